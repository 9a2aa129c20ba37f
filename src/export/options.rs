//! The choices of an export request, each parsed from the request's spelling.

/// `oas_version`: Swagger 2.0 or OpenAPI 3.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OasVersion {
    #[default]
    V2,
    V3,
}

impl OasVersion {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "2.0" | "2" => Some(OasVersion::V2),
            "3.0" | "3" | "3.0.0" => Some(OasVersion::V3),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OasVersion::V2 => "2.0",
            OasVersion::V3 => "3.0",
        }
    }
}

/// `define`: how much of each API the file carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Define {
    /// The frontend only.
    #[default]
    Spec,
    /// The frontend and its backends.
    Proxy,
    /// Everything the import stores.
    All,
    /// Like `All`, unpublished APIs included (every stored API counts as published, §4.1).
    Dev,
}

impl Define {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "spec" => Some(Define::Spec),
            "proxy" => Some(Define::Proxy),
            "all" => Some(Define::All),
            "dev" => Some(Define::Dev),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Define::Spec => "spec",
            Define::Proxy => "proxy",
            Define::All => "all",
            Define::Dev => "dev",
        }
    }

    /// Are backends (and backend policies) part of the file?
    pub fn backends(self) -> bool {
        self >= Define::Proxy
    }

    /// Are policies, authorizers, gateway responses and references part of the file?
    pub fn everything(self) -> bool {
        self >= Define::All
    }
}

/// `type`: the file's format (`yml` is YAML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    #[default]
    Json,
    Yaml,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "json" => Some(ExportFormat::Json),
            "yaml" | "yml" => Some(ExportFormat::Yaml),
            _ => None,
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Yaml => "yaml",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Json => "application/json",
            ExportFormat::Yaml => "application/yaml",
        }
    }
}
