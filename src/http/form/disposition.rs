//! The `Content-Disposition` header of a form part (RFC 7578 §4.2, with the syntax of
//! RFC 6266 §4.1 and the extended values of RFC 8187).
//!
//! Why a parser of our own: multer reads `name=` by searching the raw header, so
//! `filename="a;name=file_name;"; name="innocent"` is the document for it and another field
//! for a proxy or a WAF that reads the header correctly. No maintained crate parses this
//! header for servers by the grammar, and the grammar is small: a disposition type, then
//! `; param=value` pairs where a value is a token or a quoted string with backslash
//! escapes. Anything that leaves a part's name open to interpretation (a malformed header,
//! a parameter given twice, `name*`) is refused rather than guessed.

use std::borrow::Cow;

/// What a part's `Content-Disposition` says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Disposition {
    /// The field name; `None` when the header has no `name` parameter.
    pub name: Option<String>,
    /// `filename*` when given and decodable, else `filename`.
    pub file_name: Option<String>,
}

/// Why a header was refused (the message names no input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DispositionError {
    #[error("the Content-Disposition of a part is not form-data")]
    NotFormData,
    #[error("the Content-Disposition of a part is malformed")]
    Malformed,
    #[error("the Content-Disposition of a part gives a parameter more than once")]
    Repeated,
    #[error("the Content-Disposition of a part gives its name in an extended form (name*)")]
    ExtendedName,
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A cursor over the header's bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn skip_ows(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn token(&mut self) -> Option<&'a [u8]> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        (self.at > start).then(|| &self.bytes[start..self.at])
    }

    /// A quoted string after its opening quote: `qdtext` (obs-text included, as browsers
    /// send UTF-8 file names raw) and `\`-escaped pairs, up to the closing quote.
    fn quoted_rest(&mut self) -> Result<Vec<u8>, DispositionError> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(DispositionError::Malformed),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(b) if b == b'\t' || b >= 0x20 && b != 0x7f => {
                            out.push(b);
                            self.at += 1;
                        }
                        _ => return Err(DispositionError::Malformed),
                    }
                }
                Some(b) if b == b'\t' || b >= 0x20 && b != 0x7f => {
                    out.push(b);
                    self.at += 1;
                }
                Some(_) => return Err(DispositionError::Malformed),
            }
        }
    }
}

/// Parse a part's `Content-Disposition` value.
pub fn parse(value: &[u8]) -> Result<Disposition, DispositionError> {
    let mut cursor = Cursor {
        bytes: value,
        at: 0,
    };
    cursor.skip_ows();
    let kind = cursor.token().ok_or(DispositionError::Malformed)?;
    if !kind.eq_ignore_ascii_case(b"form-data") {
        return Err(DispositionError::NotFormData);
    }
    let mut name: Option<Vec<u8>> = None;
    let mut file_name: Option<Vec<u8>> = None;
    let mut file_name_ext: Option<Vec<u8>> = None;
    let mut others: Vec<Vec<u8>> = Vec::new();
    loop {
        cursor.skip_ows();
        if cursor.peek().is_none() {
            break;
        }
        if !cursor.eat(b';') {
            return Err(DispositionError::Malformed);
        }
        cursor.skip_ows();
        // A trailing `;` is common and harmless.
        if cursor.peek().is_none() {
            break;
        }
        let key = cursor
            .token()
            .ok_or(DispositionError::Malformed)?
            .to_ascii_lowercase();
        cursor.skip_ows();
        if !cursor.eat(b'=') {
            return Err(DispositionError::Malformed);
        }
        cursor.skip_ows();
        let value = if cursor.eat(b'"') {
            cursor.quoted_rest()?
        } else {
            cursor.token().ok_or(DispositionError::Malformed)?.to_vec()
        };
        let slot = match key.as_slice() {
            b"name" => &mut name,
            b"filename" => &mut file_name,
            b"filename*" => &mut file_name_ext,
            b"name*" => return Err(DispositionError::ExtendedName),
            // Other parameters are allowed (RFC 6266 extensions), but once each.
            _ => {
                if others.contains(&key) {
                    return Err(DispositionError::Repeated);
                }
                others.push(key);
                continue;
            }
        };
        if slot.replace(value).is_some() {
            return Err(DispositionError::Repeated);
        }
    }
    let text = |bytes: Vec<u8>| match String::from_utf8_lossy(&bytes) {
        Cow::Borrowed(s) => s.to_string(),
        Cow::Owned(s) => s,
    };
    let file_name = file_name_ext
        .and_then(|ext| decode_ext_value(&ext))
        .or_else(|| file_name.map(text));
    Ok(Disposition {
        name: name.map(text),
        file_name,
    })
}

/// An RFC 8187 `ext-value`: `charset'[language]'pct-encoded`, UTF-8 or ISO-8859-1. `None`
/// when it does not decode (then `filename` is used, as RFC 6266 §4.3 advises).
fn decode_ext_value(value: &[u8]) -> Option<String> {
    let mut pieces = value.splitn(3, |b| *b == b'\'');
    let charset = pieces.next()?;
    let _language = pieces.next()?;
    let encoded = pieces.next()?;
    let bytes: Vec<u8> = percent_encoding::percent_decode(encoded).collect();
    if charset.eq_ignore_ascii_case(b"utf-8") {
        String::from_utf8(bytes).ok()
    } else if charset.eq_ignore_ascii_case(b"iso-8859-1") {
        Some(bytes.iter().map(|b| char::from(*b)).collect())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(header: &str) -> Disposition {
        parse(header.as_bytes()).expect(header)
    }

    fn named(name: &str, file: Option<&str>) -> Disposition {
        Disposition {
            name: Some(name.into()),
            file_name: file.map(str::to_string),
        }
    }

    #[test]
    fn what_clients_send() {
        assert_eq!(ok("form-data; name=\"group_id\""), named("group_id", None));
        assert_eq!(
            ok("form-data; name=\"file_name\"; filename=\"api.yaml\""),
            named("file_name", Some("api.yaml"))
        );
        assert_eq!(
            ok("Form-Data;name=file_name;filename=api.yaml;"),
            named("file_name", Some("api.yaml"))
        );
        assert_eq!(
            ok("form-data; name=\"file_name\"; filename=\"d\u{e9}j\u{e0}.yaml\""),
            named("file_name", Some("d\u{e9}j\u{e0}.yaml"))
        );
        assert_eq!(ok("form-data"), Disposition::default());
        assert_eq!(ok("form-data; size=3"), Disposition::default());
    }

    #[test]
    fn quoted_strings_are_honoured() {
        // Row 5 of the issue: the `name=` inside the quoted file name is not a parameter.
        assert_eq!(
            ok("form-data; filename=\"a;name=file_name;\"; name=\"innocent\""),
            named("innocent", Some("a;name=file_name;"))
        );
        assert_eq!(
            ok(r#"form-data; name="a\"b\\c"; filename="x\y""#),
            named("a\"b\\c", Some("xy"))
        );
        assert_eq!(ok("form-data; name=\"a; b\""), named("a; b", None));
    }

    #[test]
    fn extended_file_names() {
        assert_eq!(
            ok("form-data; name=file_name; filename=\"fallback.yaml\"; filename*=UTF-8''%E2%82%AC%20rates.yaml"),
            named("file_name", Some("\u{20ac} rates.yaml"))
        );
        assert_eq!(
            ok("form-data; name=file_name; filename*=iso-8859-1'en'%A3.json"),
            named("file_name", Some("\u{a3}.json"))
        );
        // Undecodable: the plain file name stands.
        assert_eq!(
            ok("form-data; name=file_name; filename=\"a.yaml\"; filename*=koi8-r''%C1"),
            named("file_name", Some("a.yaml"))
        );
    }

    #[test]
    fn ambiguity_is_refused() {
        for (header, error) in [
            ("form-data; name=a; name=b", DispositionError::Repeated),
            ("form-data; name=a; NAME=a", DispositionError::Repeated),
            (
                "form-data; name=a; filename=x; filename=y",
                DispositionError::Repeated,
            ),
            ("form-data; name=a; x=1; x=2", DispositionError::Repeated),
            (
                "form-data; name*=UTF-8''file_name",
                DispositionError::ExtendedName,
            ),
            ("attachment; name=file_name", DispositionError::NotFormData),
            ("form-data; name=\"file_name", DispositionError::Malformed),
            ("form-data; name=\"a\" b", DispositionError::Malformed),
            ("form-data; name", DispositionError::Malformed),
            ("form-data; name=", DispositionError::Malformed),
            ("form-data name=a", DispositionError::Malformed),
            ("form-data; =a", DispositionError::Malformed),
            ("form-data; name=a b", DispositionError::Malformed),
            ("form-data; name=\"a\u{1}\"", DispositionError::Malformed),
            ("", DispositionError::Malformed),
        ] {
            assert_eq!(parse(header.as_bytes()), Err(error), "{header}");
        }
    }
}
