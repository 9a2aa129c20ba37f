//! Export (`async-export.md` §4): a group's stored APIs and the shared objects they use,
//! back into a Swagger 2.0 or OpenAPI 3.0 document that the import maps onto the very same
//! definitions (§4.3, the round trip).
//!
//! Pure: [`document`] builds the file's value from stored values, [`render`] writes it as
//! JSON or YAML. Reading those values from a store is [`load`]'s job (the only async part).
//!
//! One module per job: `options` (what the request asks), `document` (model → value, the
//! inverse of `crate::spec`), `yaml` (emission), `load` (store reads).

mod document;
mod load;
mod options;
mod yaml;

pub use document::document;
pub use load::load;
pub use options::{Define, ExportFormat, OasVersion};

use crate::error::{ApigError, Code};
use crate::model::{Api, Group, Scope, SharedObject};
use crate::store::Catalog;

/// The one environment (`async-export.md` §4.1): every stored API counts as published there.
pub const RELEASE_ENV_ID: &str = "DEFAULT_ENVIRONMENT_RELEASE_ID";
pub const RELEASE_ENV_NAME: &str = "RELEASE";

/// One export request, its values already parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    pub env_id: String,
    pub group_id: String,
    pub define: Define,
    pub format: ExportFormat,
    pub oas: OasVersion,
    /// `info.version`; the current date and time when absent.
    pub version: Option<String>,
    /// API ids to export; empty: the whole group.
    pub apis: Vec<String>,
}

/// The exported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    /// `{group name}-{env name}-{define}-{timestamp}.{ext}`.
    pub file_name: String,
    pub content_type: &'static str,
    pub text: String,
}

/// Run an export: the environment rule of §4.1 (any other environment is `APIG.3003`), then
/// [`load`], [`document`] and [`render`].
pub async fn export(
    store: &dyn Catalog,
    scope: &Scope,
    request: &ExportRequest,
) -> Result<ExportFile, ApigError> {
    if request.env_id != RELEASE_ENV_ID {
        return Err(ApigError::new(
            Code::Apig3003,
            format!("id:{}", crate::error::echo(&request.env_id)),
        ));
    }
    let source = load(store, scope, &request.group_id, &request.apis).await?;
    let now = time::OffsetDateTime::now_utc();
    let version = match &request.version {
        Some(version) => version.clone(),
        None => crate::now_rfc3339(),
    };
    let value = document(&source, request.oas, request.define, &version);
    let stamp = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    Ok(ExportFile {
        file_name: format!(
            "{}-{}-{}-{stamp}.{}",
            source.group.name.as_str(),
            RELEASE_ENV_NAME,
            request.define.as_str(),
            request.format.extension()
        ),
        content_type: request.format.content_type(),
        text: render(&value, request.format),
    })
}

/// What an export reads: the group, its APIs (the requested ones) and the shared objects
/// the file carries (see [`load`]).
#[derive(Debug, Clone)]
pub struct ExportSource {
    pub group: Group,
    pub apis: Vec<Api>,
    pub shared: Vec<SharedObject>,
}

/// The file's text in the requested format.
pub fn render(value: &serde_json::Value, format: ExportFormat) -> String {
    match format {
        // Serializing a `Value` cannot fail (its keys are strings).
        ExportFormat::Json => serde_json::to_string_pretty(value).unwrap_or_default(),
        ExportFormat::Yaml => yaml::emit(value),
    }
}
