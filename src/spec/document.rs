//! Document level: which specification a decoded value follows, its base path and default
//! protocol, and resolution of internal `$ref`s.

use super::node::Node;
use super::tree::Value;
use crate::error::{echo, ApiFailure, ApigError, Code};
use crate::model::Protocol;
use bumpalo::Bump;
use std::cell::RefCell;
use std::collections::HashMap;

/// How many `$ref` hops one resolution may take (a chain longer than this is a loop in
/// all but name).
const MAX_REF_HOPS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Swagger2,
    OpenApi30,
    OpenApi31,
}

impl Version {
    pub fn is_v3(self) -> bool {
        !matches!(self, Version::Swagger2)
    }
}

/// A decoded document that is a Swagger 2.0 or OpenAPI 3.0/3.1 document.
#[derive(Debug)]
pub struct Document<'a> {
    pub root: &'a Value<'a>,
    /// Where the nodes made from the root keep their steps (see `node`).
    steps: &'a Bump,
    pub version: Version,
    /// `paths`, or `None` for a 3.1 document without paths (webhooks / components only).
    pub paths: Option<Node<'a>>,
    /// Prefix of every request path: `""` or `/segment...` without a trailing slash.
    pub base_path: String,
    /// From `schemes` (2.0) or the root `servers` (3.x); HTTPS when nothing says otherwise.
    pub protocol: Protocol,
    /// Why the base path may not be what the author meant: a 3.x `servers[0].url` without
    /// a scheme (`api.example.com/v1`) is a relative URL, so all of it becomes the path.
    pub server_warning: Option<String>,
    /// The targets of the `$ref`s followed so far: documents reference a few shared
    /// definitions from thousands of places.
    targets: RefCell<Targets>,
}

/// What the cache of `$ref` targets may hold: the texts of the references and their
/// positions. Real documents need a few kilobytes; a document of many differently spelled
/// references (`%64` for `d`) to a deep target would otherwise keep a copy of each.
const MAX_TARGET_BYTES: usize = 1024 * 1024;

/// `$ref` targets by the reference's text, as positions from the root. Positions, not
/// references into the tree, so that the document stays covariant in `'a` (the mapping
/// narrows it to each operation's arena).
#[derive(Debug, Default)]
struct Targets {
    by_text: HashMap<Box<str>, Box<[u32]>>,
    bytes: usize,
}

impl Targets {
    /// Remember a target, unless the cache is full (the reference is then resolved again
    /// at its next use).
    fn insert(&mut self, reference: &str, positions: Vec<u32>) {
        let bytes = reference.len() + positions.len() * std::mem::size_of::<u32>();
        if self.bytes + bytes <= MAX_TARGET_BYTES {
            self.bytes += bytes;
            self.by_text
                .insert(reference.into(), positions.into_boxed_slice());
        }
    }
}

impl<'a> Document<'a> {
    pub fn new(root: &'a Value<'a>, steps: &'a Bump) -> Result<Self, ApigError> {
        let version = detect_version(root)?;
        let node = Node::root(root, steps);
        let paths = match root.get("paths") {
            Some(Value::Object(_)) => node.get("paths"),
            // 3.1 made `paths` optional: a document of webhooks or components only is valid
            // and simply has no operations [decision, see the public fixtures' README].
            None if version == Version::OpenApi31
                && (root.get("webhooks").is_some() || root.get("components").is_some()) =>
            {
                None
            }
            None => {
                return Err(ApigError::new(
                    Code::Apig3602,
                    "the document has no paths object",
                ))
            }
            Some(other) => {
                return Err(ApigError::new(
                    Code::Apig3602,
                    format!(
                        "paths must be an object, it is {}",
                        super::decode::kind_of(other)
                    ),
                ))
            }
        };
        let mut server_warning = None;
        let (base_path, protocol) = match version {
            Version::Swagger2 => (swagger_base_path(root)?, swagger_protocol(root)),
            _ => {
                let servers = root.get("servers");
                let base = match servers.and_then(|s| s.as_array()?.first()) {
                    Some(server) => {
                        let (base, warning) = server_base_path(server)?;
                        server_warning = warning;
                        base
                    }
                    None => String::new(),
                };
                (base, servers_protocol(servers).unwrap_or_default())
            }
        };
        Ok(Document {
            root,
            steps,
            version,
            paths,
            base_path,
            protocol,
            server_warning,
            targets: RefCell::default(),
        })
    }

    /// What this reading of the root found, for a mapping on another thread: nodes and the
    /// `$ref` cache are the thread's own, the root is shared and not read again.
    pub fn fork(&self) -> Fork<'a> {
        Fork {
            root: self.root,
            version: self.version,
            has_paths: self.paths.is_some(),
            base_path: self.base_path.clone(),
            protocol: self.protocol,
        }
    }

    /// Follow `$ref` from `node` until a value without one. External, dangling, malformed
    /// and circular references fail the operation that reads through them (`APIG.2011`,
    /// naming the reference).
    pub fn resolve(&self, node: Node<'a>) -> Result<Node<'a>, ApiFailure> {
        // The latest target and the fragment that led to it: a node (a step in the mapping's
        // arena) is made only for the result, or for a failure to locate.
        let mut at: Option<(&'a Value<'a>, &'a str)> = None;
        let here = |at: Option<(&'a Value<'a>, &'a str)>| match at {
            None => node.clone(),
            Some((value, fragment)) => node.referenced(value, fragment),
        };
        // The references followed, by identity: the same `$ref` string reached twice is a
        // loop (its target is a function of its text). On the stack: most chains are one hop.
        let mut seen: [&'a str; MAX_REF_HOPS] = [""; MAX_REF_HOPS];
        let mut hops = 0;
        loop {
            let value = at.map_or(node.value, |(value, _)| value);
            let Some(reference) = value.get("$ref").filter(|r| !r.is_null()) else {
                return Ok(here(at));
            };
            let fail = |detail: String| {
                let current = here(at);
                match current.get("$ref") {
                    Some(reference) => reference.invalid("$ref", detail),
                    None => current.invalid("$ref", detail),
                }
            };
            let Some(text) = reference.as_str() else {
                return Err(fail("must be a string".to_string()));
            };
            let Some(fragment) = text.strip_prefix('#') else {
                return Err(fail(format!(
                    "external reference {text:?} cannot be followed: only references \
                     inside the document (#/...) are; a multi-file document must be \
                     bundled into one file first (e.g. `redocly bundle` or \
                     `swagger-cli bundle`)",
                    text = echo(text)
                )));
            };
            let followed = seen.get(..hops).unwrap_or_default();
            if hops >= MAX_REF_HOPS || followed.iter().any(|s| std::ptr::eq(*s, text)) {
                return Err(fail(format!(
                    "reference {text:?} is circular",
                    text = echo(text)
                )));
            }
            let target = match self.cached_target(text) {
                Some(target) => target,
                None => {
                    let pointer = percent_encoding::percent_decode_str(fragment)
                        .decode_utf8()
                        .map_err(|_| {
                            fail(format!("{text:?} is not valid UTF-8", text = echo(text)))
                        })?;
                    let mut positions = Vec::new();
                    let target = if pointer.is_empty() || pointer.starts_with('/') {
                        super::node::locate_pointer(self.root, &pointer, &mut positions)
                    } else {
                        None
                    };
                    let Some(target) = target else {
                        return Err(fail(format!(
                            "reference {text:?} does not resolve to anything in the document",
                            text = echo(text)
                        )));
                    };
                    self.targets.borrow_mut().insert(text, positions);
                    target
                }
            };
            // Only while resolving: the node keeps the fragment, borrowed from the document.
            if let Some(slot) = seen.get_mut(hops) {
                *slot = text;
            }
            hops += 1;
            at = Some((target, fragment));
        }
    }

    /// The target of a `$ref` string followed before: found again by its position, without
    /// decoding the reference or comparing a key.
    fn cached_target(&self, reference: &'a str) -> Option<&'a Value<'a>> {
        let targets = self.targets.borrow();
        super::node::at_positions(self.root, targets.by_text.get(reference)?)
    }

    /// The root's node.
    pub fn root_node(&self) -> Node<'a> {
        Node::root(self.root, self.steps)
    }

    /// The security schemes: 2.0 `securityDefinitions`, 3.x `components.securitySchemes`.
    pub fn security_schemes(&self) -> Option<Node<'a>> {
        self.security_schemes_beside(&self.root_node())
    }

    /// [`Document::security_schemes`], their nodes' steps where `beside`'s are (an
    /// operation's, freed with it).
    pub fn security_schemes_beside(&self, beside: &Node<'a>) -> Option<Node<'a>> {
        let root = beside.root_beside(self.root);
        match self.version {
            Version::Swagger2 => root.get("securityDefinitions"),
            _ => root
                .get("components")
                .and_then(|c| c.get("securitySchemes")),
        }
    }
}

/// A [`Document`] as another thread opens it (see [`Document::fork`]).
pub struct Fork<'a> {
    root: &'a Value<'a>,
    version: Version,
    has_paths: bool,
    base_path: String,
    protocol: Protocol,
}

impl<'a> Fork<'a> {
    /// The document again, its nodes' steps in `steps` (the document-level warning stays
    /// with the first reading, which reports it).
    pub fn open<'b>(self, steps: &'b Bump) -> Document<'b>
    where
        'a: 'b,
    {
        let root: &'b Value<'b> = self.root;
        Document {
            root,
            steps,
            version: self.version,
            paths: self
                .has_paths
                .then(|| Node::root(root, steps).get("paths"))
                .flatten(),
            base_path: self.base_path,
            protocol: self.protocol,
            server_warning: None,
            targets: RefCell::default(),
        }
    }
}

fn detect_version(root: &Value<'_>) -> Result<Version, ApigError> {
    // YAML authors write `swagger: 2.0` unquoted, which is a number.
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let swagger = root.get("swagger").map(|v| text(v).unwrap_or_default());
    let openapi = root.get("openapi").map(|v| text(v).unwrap_or_default());
    match (swagger, openapi) {
        (Some(_), Some(_)) => Err(ApigError::new(
            Code::Apig3602,
            "the document declares both swagger and openapi",
        )),
        (Some(s), None) if s == "2.0" || s == "2" => Ok(Version::Swagger2),
        (Some(s), None) => Err(ApigError::new(
            Code::Apig3602,
            format!("swagger version {s:?} is not supported, only \"2.0\" is", s = echo(&s)),
        )),
        (None, Some(o)) => {
            if o == "3.0" || o.starts_with("3.0.") {
                Ok(Version::OpenApi30)
            } else if o == "3.1" || o.starts_with("3.1.") {
                Ok(Version::OpenApi31)
            } else {
                Err(ApigError::new(
                    Code::Apig3602,
                    format!("openapi version {o:?} is not supported, only 3.0.x and 3.1.x are", o = echo(&o)),
                ))
            }
        }
        (None, None) => Err(ApigError::new(
            Code::Apig3602,
            "the document is neither Swagger 2.0 (swagger: \"2.0\") nor OpenAPI 3.x (openapi: 3.x.y)",
        )),
    }
}

/// `basePath` as a prefix: leading slash, no trailing slash, `""` for `/`.
fn swagger_base_path(root: &Value<'_>) -> Result<String, ApigError> {
    match root.get("basePath") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(normalize_base(s)),
        Some(_) => Err(ApigError::new(Code::Apig3602, "basePath must be a string")),
    }
}

fn normalize_base(path: &str) -> String {
    let trimmed = path.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else if trimmed.starts_with('/') {
        trimmed.to_string()
    } else {
        format!("/{trimmed}")
    }
}

fn swagger_protocol(root: &Value<'_>) -> Protocol {
    let schemes: Vec<String> = root
        .get("schemes")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default();
    protocol_of(schemes.iter().map(String::as_str)).unwrap_or_default()
}

/// HTTP, HTTPS or BOTH from a list of URL schemes; `None` if neither appears.
pub fn protocol_of<'s>(schemes: impl Iterator<Item = &'s str>) -> Option<Protocol> {
    let (mut http, mut https) = (false, false);
    for scheme in schemes {
        match scheme {
            "http" | "ws" => http = true,
            "https" | "wss" => https = true,
            _ => {}
        }
    }
    match (http, https) {
        (true, true) => Some(Protocol::Both),
        (true, false) => Some(Protocol::Http),
        (false, true) => Some(Protocol::Https),
        (false, false) => None,
    }
}

/// The protocol said by a 3.x `servers` list: the schemes of its URLs.
pub fn servers_protocol(servers: Option<&Value>) -> Option<Protocol> {
    let schemes: Vec<String> = servers
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|server| substitute_variables(server).ok())
                .filter_map(|url| {
                    url.split_once("://")
                        .map(|(scheme, _)| scheme.to_ascii_lowercase())
                })
                .collect()
        })
        .unwrap_or_default();
    protocol_of(schemes.iter().map(String::as_str))
}

/// The URL of a 3.x server object with `{variables}` replaced by their defaults.
fn substitute_variables(server: &Value<'_>) -> Result<String, String> {
    let url = server
        .get("url")
        .and_then(Value::as_str)
        .ok_or("servers[0].url must be a string")?;
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("unclosed {{ in server URL {url:?}", url = echo(url)))?;
        let name = &after[..close];
        let default = server
            .get("variables")
            .and_then(|v| v.get(name))
            .and_then(|v| v.get("default"));
        match default {
            Some(Value::String(s)) => out.push_str(s),
            Some(Value::Number(n)) => out.push_str(&n.to_string()),
            _ => {
                return Err(format!(
                    "server variable {name:?} of {url:?} has no default value",
                    name = echo(name),
                    url = echo(url)
                ))
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The path of `servers[0].url` (variables replaced by their defaults) as a base path.
/// `https://h/api/v1` → `/api/v1`; `/api` → `/api`; `https://h` → `""`. A URL that is
/// neither absolute nor starts with `/` (`api.example.com/v1`) is taken as a path, with a
/// warning: the author most likely forgot the scheme.
fn server_base_path(server: &Value<'_>) -> Result<(String, Option<String>), ApigError> {
    let unusable = |detail: String| ApigError::new(Code::Apig2045, detail);
    let url = substitute_variables(server).map_err(unusable)?;
    let url = url.trim();
    if url.chars().any(char::is_whitespace) {
        return Err(unusable(format!(
            "server URL {url:?} contains white space",
            url = echo(url)
        )));
    }
    // A relative URL is relative to the document's own location, whose host we do not know
    // and do not need: only the path becomes the base path.
    let mut warning = None;
    let parsed = match url::Url::parse(url) {
        Ok(parsed) => parsed,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            if !url.is_empty() && !url.starts_with('/') {
                warning = Some(url.to_string());
            }
            url::Url::parse("https://document.invalid/")
                .and_then(|base| base.join(url))
                .map_err(|e| {
                    unusable(format!(
                        "server URL {url:?} is not a valid URL: {e}",
                        url = echo(url)
                    ))
                })?
        }
        Err(e) => {
            return Err(unusable(format!(
                "server URL {url:?} is not a valid URL: {e}",
                url = echo(url)
            )))
        }
    };
    if parsed.cannot_be_a_base() {
        return Err(unusable(format!(
            "server URL {url:?} has no path that can be a base path",
            url = echo(url)
        )));
    }
    let path = percent_encoding::percent_decode_str(parsed.path())
        .decode_utf8()
        .map_err(|_| {
            unusable(format!(
                "server URL {url:?} is not valid UTF-8 once decoded",
                url = echo(url)
            ))
        })?;
    let base = normalize_base(&path);
    let warning = warning.map(|url| {
        format!(
            "servers[0].url {url:?} has no scheme, so it is a relative URL and all of it is \
             taken as the base path {base:?}; write it as \"https://{url}\" if {host:?} is \
             a host name",
            url = echo(&url),
            base = echo(&base),
            host = echo(url.split('/').next().unwrap_or_default()),
        )
    });
    Ok((base, warning))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tree::{leaked, leaked_arena};
    use serde_json::json;
    use serde_json::Value;

    fn doc_err(v: Value) -> ApigError {
        Document::new(leaked(&v), leaked_arena()).unwrap_err()
    }

    #[test]
    fn versions() {
        let ok = |v: Value| {
            Document::new(leaked(&v), leaked_arena())
                .map(|d| d.version)
                .unwrap()
        };
        assert_eq!(
            ok(json!({"swagger": "2.0", "paths": {}})),
            Version::Swagger2
        );
        assert_eq!(ok(json!({"swagger": 2.0, "paths": {}})), Version::Swagger2);
        assert_eq!(
            ok(json!({"openapi": "3.0.3", "paths": {}})),
            Version::OpenApi30
        );
        assert_eq!(
            ok(json!({"openapi": "3.1.0", "paths": {}})),
            Version::OpenApi31
        );
        for bad in [
            json!({"paths": {}}),
            json!({"swagger": "1.2", "paths": {}}),
            json!({"openapi": "4.0.0", "paths": {}}),
            json!({"openapi": "3.0.0"}),
            json!({"swagger": "2.0", "paths": []}),
            json!({"openapi": "3.0.0", "webhooks": {}}),
        ] {
            let e = doc_err(bad);
            assert_eq!(e.code, Code::Apig3602);
            assert!(
                e.message.starts_with("Syntax error in the Swagger file. "),
                "{}",
                e.message
            );
        }
        assert!(doc_err(json!({"openapi": "3.0.0"}))
            .message
            .contains("no paths"));
        // 3.1 may have webhooks only.
        let v = json!({"openapi": "3.1.0", "webhooks": {}});
        assert!(Document::new(leaked(&v), leaked_arena())
            .unwrap()
            .paths
            .is_none());
    }

    #[test]
    fn base_paths() {
        let base = |v: Value| {
            Document::new(leaked(&v), leaked_arena())
                .map(|d| d.base_path)
                .unwrap()
        };
        assert_eq!(
            base(json!({"swagger": "2.0", "paths": {}, "basePath": "/v1/"})),
            "/v1"
        );
        assert_eq!(
            base(json!({"swagger": "2.0", "paths": {}, "basePath": "/"})),
            ""
        );
        assert_eq!(base(json!({"swagger": "2.0", "paths": {}})), "");
        let server = |url: Value| {
            json!({"openapi": "3.0.0", "paths": {}, "servers": [{"url": url,
                "variables": {"env": {"default": "prod"}, "version": {"default": "v1"}}}]})
        };
        assert_eq!(
            base(server(json!("https://{env}.example.com/api/{version}"))),
            "/api/v1"
        );
        assert_eq!(base(server(json!("http://petstore.swagger.io/v1"))), "/v1");
        assert_eq!(base(server(json!("https://example.com"))), "");
        assert_eq!(base(server(json!("/relative/"))), "/relative");
        let warned = |url: &str| {
            let v = server(json!(url));
            let d = Document::new(leaked(&v), leaked_arena()).unwrap();
            (d.base_path, d.server_warning)
        };
        let (path, warning) = warned("api.example.com/v1");
        assert_eq!(path, "/api.example.com/v1");
        let warning = warning.unwrap();
        assert!(
            warning.contains("\"https://api.example.com/v1\""),
            "{warning}"
        );
        assert_eq!(warned("/v1").1, None);
        assert_eq!(warned("https://x/v1").1, None);
        for bad in [
            json!("https://{missing}.example.com/"),
            json!(12),
            json!("http://[::1"),
            json!("https://exa mple.com:99999/"),
            json!("https://a b/c"),
        ] {
            assert_eq!(doc_err(server(bad)).code, Code::Apig2045);
        }
    }

    #[test]
    fn protocols() {
        let proto = |v: Value| {
            Document::new(leaked(&v), leaked_arena())
                .map(|d| d.protocol)
                .unwrap()
        };
        assert_eq!(
            proto(json!({"swagger": "2.0", "paths": {}})),
            Protocol::Https
        );
        assert_eq!(
            proto(json!({"swagger": "2.0", "paths": {}, "schemes": ["http"]})),
            Protocol::Http
        );
        assert_eq!(
            proto(json!({"swagger": "2.0", "paths": {}, "schemes": ["https", "http"]})),
            Protocol::Both
        );
        assert_eq!(
            proto(json!({"openapi": "3.0.0", "paths": {}, "servers": [{"url": "http://x/"}]})),
            Protocol::Http
        );
    }

    #[test]
    fn refs_resolve_with_pointer_unescaping() {
        let v = json!({"swagger": "2.0", "paths": {"/a/{b}": {"x": 1}},
            "parameters": {"p": {"$ref": "#/parameters/q"}, "q": {"name": "q"}},
            "loop": {"$ref": "#/loop2"}, "loop2": {"$ref": "#/loop"}});
        let doc = Document::new(leaked(&v), leaked_arena()).unwrap();
        let resolve = |r: &str| {
            let holder = json!({ "$ref": r });
            doc.resolve(Node::new(leaked(&holder), "/here", leaked_arena()))
                .map(|n| (n.value.to_json(), n.pointer()))
        };
        let (value, pointer) = resolve("#/parameters/p").unwrap();
        assert_eq!(value["name"], "q");
        assert_eq!(pointer, "/parameters/q");
        let (value, _) = resolve("#/paths/~1a~1%7Bb%7D").unwrap();
        assert_eq!(value["x"], 1);
        // Twice: the second time from the targets found the first time, with the same
        // answers, and what failed fails again.
        for _ in 0..2 {
            for (r, words) in [
                ("other.yaml#/a", "external reference"),
                ("#/nothing/here", "does not resolve"),
                ("#/loop", "circular"),
                ("#/%FF", "not valid UTF-8"),
            ] {
                let e = resolve(r).unwrap_err();
                assert_eq!(e.code, Code::Apig2011);
                assert!(e.message.contains(words), "{}", e.message);
                assert!(e.message.contains(r), "{}", e.message);
                assert!(e.message.contains("/$ref)"), "{}", e.message);
            }
            assert_eq!(
                resolve("#/parameters/p").unwrap(),
                (json!({"name": "q"}), "/parameters/q".to_string())
            );
            assert_eq!(resolve("#/paths/~1a~1%7Bb%7D").unwrap().0["x"], 1);
        }
        assert_eq!(
            doc.targets.borrow().by_text.len(),
            5,
            "p, q, the path, loop, loop2"
        );
    }

    #[test]
    fn the_target_cache_stays_within_its_budget() {
        let mut targets = Targets::default();
        let long = "#/".to_string() + &"d".repeat(MAX_TARGET_BYTES / 2);
        targets.insert(&long, vec![0; 8]);
        targets.insert(&(long.clone() + "x"), vec![0; 8]);
        targets.insert("#/short", vec![1]);
        assert_eq!(
            targets.by_text.len(),
            2,
            "the second long reference is not kept"
        );
        assert!(targets.bytes <= MAX_TARGET_BYTES);
        assert!(targets.by_text.contains_key("#/short"));
    }
}
