//! The multipart form of an import (`import-api.md` §1.1).
//!
//! Every malformed input is a 400 with a precise message; nothing here panics or reports a
//! 500, whatever the bytes.

mod disposition;

pub use disposition::{Disposition, DispositionError};

use crate::config::Limits;
use crate::error::{ApigError, Code};
use crate::import::{GroupTarget, ImportOptions, Mode};
use bytes::Bytes;
use multer::{Constraints, Multipart, SizeLimit};

/// The form field that carries the document.
pub const FILE_FIELD: &str = "file_name";

/// The text fields the form knows.
pub const TEXT_FIELDS: [&str; 6] = [
    "is_create_group",
    "group_id",
    "extend_mode",
    "simple_mode",
    "mock_mode",
    "api_mode",
];

/// Longest accepted value of a known text field.
pub const MAX_TEXT_FIELD_BYTES: usize = 4 * 1024;

/// The expected content type, as named in messages.
pub const EXPECTED_CONTENT_TYPE: &str = "multipart/form-data";

fn parameter_error(detail: impl AsRef<str>) -> ApigError {
    ApigError::new(Code::Apig2000, detail)
}

fn too_long_document(limits: &Limits) -> ApigError {
    ApigError::new(
        Code::Apig3603,
        format!(
            "The file must not be larger than {} bytes",
            limits.max_document_bytes
        ),
    )
}

/// The raw values collected from the form, before interpretation.
#[derive(Default)]
struct RawForm {
    text: [Option<String>; TEXT_FIELDS.len()],
    file: Option<(Bytes, Option<String>)>,
}

impl RawForm {
    fn text(&self, name: &str) -> Option<&str> {
        TEXT_FIELDS
            .iter()
            .position(|f| *f == name)
            .and_then(|i| self.text[i].as_deref())
    }
}

/// Parse the form of an import request.
///
/// Returns the options, the document, and the file name sent with it (its last path
/// component only), if any.
pub async fn parse_import_form(
    content_type: Option<&str>,
    body: Bytes,
    limits: &Limits,
) -> Result<(ImportOptions, Bytes, Option<String>), ApigError> {
    let content_type = content_type.ok_or_else(|| {
        parameter_error(format!(
            "The request body must be {EXPECTED_CONTENT_TYPE}; no Content-Type was sent"
        ))
    })?;
    let boundary = multer::parse_boundary(content_type).map_err(|e| match e {
        multer::Error::NoBoundary => parameter_error(format!(
            "The {EXPECTED_CONTENT_TYPE} Content-Type has no boundary parameter"
        )),
        _ => parameter_error(format!("The request body must be {EXPECTED_CONTENT_TYPE}")),
    })?;
    if boundary.is_empty() || boundary.len() > 70 {
        return Err(parameter_error(format!(
            "The {EXPECTED_CONTENT_TYPE} boundary must have 1 to 70 characters"
        )));
    }

    let raw = read_parts(body, boundary, limits).await?;
    interpret(raw)
}

async fn read_parts(body: Bytes, boundary: String, limits: &Limits) -> Result<RawForm, ApigError> {
    let mut size = SizeLimit::new()
        .whole_stream(limits.max_body_bytes() as u64)
        // Unknown fields are drained chunk by chunk, never buffered: the whole-stream limit
        // is what bounds them.
        .per_field(limits.max_body_bytes() as u64)
        .for_field(FILE_FIELD, limits.max_document_bytes as u64);
    for name in TEXT_FIELDS {
        size = size.for_field(name, MAX_TEXT_FIELD_BYTES as u64);
    }
    let stream =
        futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut multipart =
        Multipart::with_constraints(stream, boundary, Constraints::new().size_limit(size));

    let mut raw = RawForm::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e, limits)),
        };
        let disposition = part_disposition(&field)?;
        match disposition.name.as_deref() {
            Some(FILE_FIELD) => {
                if raw.file.is_some() {
                    return Err(duplicate(FILE_FIELD));
                }
                let file_name = disposition.file_name.as_deref().and_then(last_component);
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| multipart_error(e, limits))?;
                raw.file = Some((bytes, file_name));
            }
            Some(known) if TEXT_FIELDS.contains(&known) => {
                let index = TEXT_FIELDS.iter().position(|f| *f == known).unwrap_or(0);
                let name = TEXT_FIELDS[index];
                if raw.text[index].is_some() {
                    return Err(duplicate(name));
                }
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| multipart_error(e, limits))?;
                let value = String::from_utf8(bytes.to_vec())
                    .map_err(|_| ApigError::parameter(Code::Apig2012, name))?;
                raw.text[index] = Some(value);
            }
            // Unknown or nameless parts are ignored (forward compatibility), but read to the
            // end so that the rest of the body is still checked.
            _ => {
                let mut field = field;
                loop {
                    match field.chunk().await {
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        Err(e) => return Err(multipart_error(e, limits)),
                    }
                }
            }
        }
    }
    Ok(raw)
}

/// The name and file name of a part, from its `Content-Disposition` read by the grammar
/// ([`disposition`]). multer applies its size limits by the name it reads itself: when the
/// two readings differ the part's name is open to interpretation, and the form is refused.
fn part_disposition(field: &multer::Field<'_>) -> Result<Disposition, ApigError> {
    let disposition = match field.headers().get(axum::http::header::CONTENT_DISPOSITION) {
        Some(value) => disposition::parse(value.as_bytes()).map_err(|e| {
            parameter_error(format!(
                "The request body is not valid {EXPECTED_CONTENT_TYPE}: {e}"
            ))
        })?,
        None => Disposition::default(),
    };
    if disposition.name.as_deref() != field.name() {
        return Err(parameter_error(format!(
            "The request body is not valid {EXPECTED_CONTENT_TYPE}: the name of a part cannot be read unambiguously"
        )));
    }
    Ok(disposition)
}

fn interpret(raw: RawForm) -> Result<(ImportOptions, Bytes, Option<String>), ApigError> {
    let boolean = |name: &str, default: bool| -> Result<bool, ApigError> {
        match raw.text(name) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(ApigError::parameter(Code::Apig2012, name)),
        }
    };
    let mode = |name: &str| -> Result<Mode, ApigError> {
        match raw.text(name) {
            None => Ok(Mode::default()),
            Some(v) => Mode::parse(v).ok_or_else(|| ApigError::parameter(Code::Apig2012, name)),
        }
    };

    let is_create_group = boolean("is_create_group", true)?;
    let extend_mode = mode("extend_mode")?;
    let simple_mode = boolean("simple_mode", false)?;
    let mock_mode = boolean("mock_mode", false)?;
    let api_mode = mode("api_mode")?;

    let (document, file_name) = match &raw.file {
        Some((bytes, name)) => (bytes.clone(), name.clone()),
        None => return Err(ApigError::parameter(Code::Apig2001, FILE_FIELD)),
    };

    let group = if is_create_group {
        GroupTarget::New
    } else {
        match raw.text("group_id") {
            Some(id) if !id.trim().is_empty() => GroupTarget::Existing(id.to_string()),
            _ => return Err(ApigError::parameter(Code::Apig2001, "group_id")),
        }
    };

    if is_blank(&document) {
        return Err(ApigError::new(Code::Apig3609, ""));
    }

    Ok((
        ImportOptions {
            group,
            api_mode,
            extend_mode,
            simple_mode,
            mock_mode,
        },
        document,
        file_name,
    ))
}

/// Zero bytes, or only white space (a UTF-8 byte-order mark counts as such).
fn is_blank(document: &[u8]) -> bool {
    let rest = document.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(document);
    rest.iter().all(u8::is_ascii_whitespace)
}

/// The last component of a file name that may carry directories (`/` or `\`).
fn last_component(name: &str) -> Option<String> {
    name.rsplit(['/', '\\'])
        .next()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn duplicate(name: &str) -> ApigError {
    ApigError::with_message(
        Code::Apig2012,
        format!(
            "{},parameterName:{name}. The field was sent more than once. Please refer to the support documentation",
            Code::Apig2012.base_message()
        ),
    )
}

fn multipart_error(e: multer::Error, limits: &Limits) -> ApigError {
    match e {
        multer::Error::FieldSizeExceeded { field_name, .. } => match field_name.as_deref() {
            Some(FILE_FIELD) => too_long_document(limits),
            Some(name) if TEXT_FIELDS.contains(&name) => {
                let name = TEXT_FIELDS
                    .iter()
                    .find(|f| **f == name)
                    .copied()
                    .unwrap_or("form");
                ApigError::parameter(Code::Apig2006, name)
            }
            _ => too_long_document(limits),
        },
        multer::Error::StreamSizeExceeded { .. } => too_long_document(limits),
        other => parameter_error(format!(
            "The request body is not valid {EXPECTED_CONTENT_TYPE}: {}",
            describe(&other)
        )),
    }
}

/// A description of a multipart error that repeats nothing of the input but field names.
fn describe(e: &multer::Error) -> &'static str {
    match e {
        multer::Error::IncompleteFieldData { .. } => "a part is truncated",
        multer::Error::IncompleteHeaders | multer::Error::ReadHeaderFailed(_) => {
            "the headers of a part are incomplete or invalid"
        }
        multer::Error::DecodeHeaderName { .. } | multer::Error::DecodeHeaderValue { .. } => {
            "a part header cannot be decoded"
        }
        multer::Error::DecodeContentType(_) => "the Content-Type of a part is invalid",
        multer::Error::IncompleteStream => {
            "the body ends before the closing boundary (truncated, another boundary, or lines not ended by CRLF)"
        }
        _ => "the body cannot be parsed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        assert_eq!(last_component("a.yaml").as_deref(), Some("a.yaml"));
        assert_eq!(last_component("dir/sub/a.yaml").as_deref(), Some("a.yaml"));
        assert_eq!(last_component("C:\\x\\a.json").as_deref(), Some("a.json"));
        assert_eq!(last_component("dir/"), None);
        assert_eq!(last_component(""), None);
    }

    #[test]
    fn blank() {
        assert!(is_blank(b""));
        assert!(is_blank(b" \r\n\t"));
        assert!(is_blank(b"\xEF\xBB\xBF\n"));
        assert!(!is_blank(b"{}"));
    }
}
