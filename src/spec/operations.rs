//! Operations: walk `paths` in document order and map each operation onto an API
//! definition (`import-api.md` §3.2, §4; `extensions.md`).

use super::backend::{check_mock_body, parse_backend, MAX_MOCK_BODY};
use super::document::{protocol_of, servers_protocol, Document, Fork};
use super::names::{check_api_name, generated_api_name};
use super::node::{at_use_site, Node};
use super::params::{implicit_path_param, request_params};
use super::policies::parse_policies;
use super::request_path;
use super::samples::{first_example, samples};
use super::security::auth_for;
use super::tree::Value;
use super::{ImportWarning, MapOptions, Operation, OperationOutcome, WarningCode};
use crate::config::{Limits, MIN_OPERATIONS_PER_MAP_THREAD};
use crate::error::{echo, echo_pointer, ApiFailure, Code};
use bumpalo::Bump;
use std::ops::Range;

/// The longest API remark; longer prose is cut, with a warning (`import-api.md` §5).
const MAX_REMARK: usize = 255;
use crate::model::{ApiDefinition, Backend, MatchMode, Method, ParamLocation, RequestType};

/// The keys of a path item that hold operations, and their methods (`None`: ignored).
fn method_of(key: &str) -> Option<Option<Method>> {
    Some(match key {
        "get" => Some(Method::Get),
        "put" => Some(Method::Put),
        "post" => Some(Method::Post),
        "delete" => Some(Method::Delete),
        "options" => Some(Method::Options),
        "head" => Some(Method::Head),
        "patch" => Some(Method::Patch),
        "x-apigateway-any-method" => Some(Method::Any),
        "trace" => None,
        _ => return None,
    })
}

/// One operation found in the document, before mapping.
struct Slot<'a> {
    /// The position of its path item among the entries of `paths`.
    entry: usize,
    method: String,
    path: String,
    /// Where the operation is written (a path item's `$ref` may lead elsewhere): its
    /// pointer is rendered only for the operations mapped, never for the whole document
    /// before the operation limit is checked.
    at: Node<'a>,
    kind: SlotKind<'a>,
}

enum SlotKind<'a> {
    Api {
        path_key: &'a str,
        path_pointer: String,
        path_item: Node<'a>,
        method: Method,
        operation: Node<'a>,
        /// The operation object is the target of a `$ref` written in its place.
        referenced: bool,
    },
    Ignored,
    /// A path item that cannot be read (broken `$ref`, not an object): its operations are
    /// unknown, so it stands for one failed `ANY` operation.
    Broken(ApiFailure),
}

impl Slot<'_> {
    /// Does this slot count against the per-import operation limit?
    fn counts(&self) -> bool {
        !matches!(self.kind, SlotKind::Ignored)
    }
}

/// The document's operations, counted, before mapping.
pub struct Pending<'a> {
    /// How many count against the per-import operation limit (`trace` does not: it is not
    /// an API).
    pub count: usize,
    slots: Vec<Slot<'a>>,
}

/// Every operation of the document in document order (paths as written, verbs as written).
pub fn collect<'a>(doc: &Document<'a>) -> Pending<'a> {
    let slots = collect_entries(doc, 0..usize::MAX);
    Pending {
        count: count(&slots),
        slots,
    }
}

fn count(slots: &[Slot<'_>]) -> usize {
    slots.iter().filter(|s| s.counts()).count()
}

/// The operations of the entries of `paths` at positions `entries` (document order).
fn collect_entries<'a>(doc: &Document<'a>, entries: Range<usize>) -> Vec<Slot<'a>> {
    let mut slots = Vec::new();
    let Some(paths) = &doc.paths else {
        return slots;
    };
    let all = paths.value.as_object().map(|fields| fields.iter());
    let chosen = all.into_iter().flatten().enumerate().skip(entries.start);
    for (entry, (path_key, value)) in chosen.take(entries.len()) {
        // `x-...` keys of the Paths object are extensions, not paths.
        if path_key.starts_with("x-") {
            continue;
        }
        let item = paths.entry(path_key, value);
        let path = request_path::join(&doc.base_path, path_key);
        let path_pointer = item.pointer();
        let broken = |failure: ApiFailure| Slot {
            entry,
            method: Method::Any.as_str().to_string(),
            path: path.clone(),
            at: item.clone(),
            kind: SlotKind::Broken(failure),
        };
        let path_item = match doc.resolve(item.clone()) {
            Ok(resolved) => resolved,
            Err(failure) => {
                slots.push(broken(failure));
                continue;
            }
        };
        let Some(fields) = path_item.value.as_object() else {
            let failure = path_item.invalid(path_key, "a path item must be an object");
            slots.push(broken(failure));
            continue;
        };
        // Nodes only for the operations: a path item's other keys are passed over on the raw
        // tree (a path item reached through many `$ref`s is walked once per reference).
        for (key, value) in fields.iter() {
            let Some(method) = method_of(key) else {
                continue;
            };
            let operation = path_item.entry(key, value);
            let slot = |method: String, kind| Slot {
                entry,
                method,
                path: path.clone(),
                at: operation.clone(),
                kind,
            };
            slots.push(match method {
                None => slot(key.to_ascii_uppercase(), SlotKind::Ignored),
                // Real documents reference whole operation objects (`get: {$ref: ...}`),
                // which OpenAPI does not allow but users upload [decision]: an internal one
                // is followed, a broken or external one fails this operation alone.
                Some(method) => match doc.resolve(operation.clone()) {
                    Err(failure) => slot(method.as_str().to_string(), SlotKind::Broken(failure)),
                    Ok(resolved) => slot(
                        method.as_str().to_string(),
                        SlotKind::Api {
                            path_key,
                            path_pointer: path_pointer.clone(),
                            path_item: path_item.clone(),
                            method,
                            referenced: !resolved.same_place(&operation),
                            operation: resolved,
                        },
                    ),
                },
            });
        }
    }
    slots
}

/// Map the collected operations, in order: on up to `limits.map_threads` threads, each
/// mapping a run of path items (an operation's mapping depends on the document alone).
pub fn map(
    doc: &Document<'_>,
    pending: Pending<'_>,
    options: MapOptions,
    limits: &Limits,
) -> Vec<Operation> {
    let mut slots = pending.slots;
    let threads = limits
        .map_threads
        .min(slots.len() / MIN_OPERATIONS_PER_MAP_THREAD);
    if threads <= 1 {
        return map_slots(doc, slots, options, limits);
    }
    let entries: Vec<usize> = slots.iter().map(|slot| slot.entry).collect();
    let runs = runs_of_entries(&entries, threads);
    // This thread maps the first run with the slots it has collected; a node is tied to
    // its thread's arena, so the others collect their runs again from the shared tree (the
    // slots of those runs were collected twice: a cheap walk, next to their mapping).
    let first = slots.partition_point(|slot| slot.entry < runs[0].end);
    slots.truncate(first);
    std::thread::scope(|scope| {
        let others: Vec<_> = runs[1..]
            .iter()
            .map(|run| {
                let (fork, run) = (doc.fork(), run.clone());
                std::thread::Builder::new()
                    .name("spec-map".into())
                    .spawn_scoped(scope, move || map_run(fork, run, options, limits))
                    // No thread to be had (a process limit): the run is mapped here, later.
                    .map_err(|_| doc.fork())
            })
            .collect();
        let mut operations = map_slots(doc, slots, options, limits);
        for (other, run) in others.into_iter().zip(&runs[1..]) {
            operations.extend(match other {
                Ok(thread) => thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(fork) => map_run(fork, run.clone(), options, limits),
            });
        }
        operations
    })
}

/// Map the operations of a run of path items in a document of its own (another thread's).
fn map_run(
    fork: Fork<'_>,
    run: Range<usize>,
    options: MapOptions,
    limits: &Limits,
) -> Vec<Operation> {
    let steps = Bump::new();
    let doc = fork.open(&steps);
    map_slots(&doc, collect_entries(&doc, run), options, limits)
}

/// `threads` consecutive runs of path items (positions among the entries of `paths`) with
/// about as many operations each, given each operation's path item in document order; the
/// last run ends with the entries.
fn runs_of_entries(entries: &[usize], threads: usize) -> Vec<Range<usize>> {
    let share = entries.len().div_ceil(threads.max(1)).max(1);
    let mut runs = Vec::with_capacity(threads);
    let mut start = 0;
    for boundary in entries.chunks(share).skip(1).map(|chunk| chunk[0]) {
        // A path item's operations stay together: a boundary inside one moves before it.
        if boundary > start {
            runs.push(start..boundary);
            start = boundary;
        }
    }
    runs.push(start..usize::MAX);
    runs
}

fn map_slots<'a>(
    doc: &Document<'a>,
    slots: Vec<Slot<'a>>,
    options: MapOptions,
    limits: &Limits,
) -> Vec<Operation> {
    // The steps of the nodes one operation's mapping visits (see `node`), freed together
    // before the next operation: what the mapping holds stays the same whatever the
    // number of operations.
    let mut steps = Bump::new();
    slots
        .into_iter()
        .map(|slot| {
            steps.reset();
            let mut warnings = Vec::new();
            let outcome = match slot.kind {
                SlotKind::Ignored => OperationOutcome::Ignored,
                SlotKind::Broken(failure) => OperationOutcome::Failed(failure),
                SlotKind::Api {
                    path_key,
                    path_pointer,
                    path_item,
                    method,
                    operation,
                    referenced,
                } => {
                    let path_item = path_item.with_steps(&steps);
                    let operation = operation.with_steps(&steps);
                    let input = OperationInput {
                        path: &slot.path,
                        path_key,
                        path_pointer: &path_pointer,
                        path_item: &path_item,
                        method,
                        operation: &operation,
                    };
                    let mut notes = Vec::new();
                    match map_api(doc, &input, options, limits, &mut notes) {
                        Ok(api) => {
                            warnings = notes
                                .into_iter()
                                .map(|(code, message)| ImportWarning {
                                    method: slot.method.clone(),
                                    path: slot.path.clone(),
                                    code,
                                    message,
                                })
                                .collect();
                            OperationOutcome::Api(Box::new(api))
                        }
                        // An operation object reached through `$ref`: say which use failed.
                        Err(failure) if referenced => {
                            OperationOutcome::Failed(at_use_site(failure, &slot.at.pointer()))
                        }
                        Err(failure) => OperationOutcome::Failed(failure),
                    }
                }
            };
            Operation {
                method: slot.method,
                path: slot.path,
                pointer: echo_pointer(&slot.at.pointer()),
                outcome,
                warnings,
            }
        })
        .collect()
}

struct OperationInput<'s, 'a> {
    path: &'s str,
    path_key: &'a str,
    path_pointer: &'s str,
    path_item: &'s Node<'a>,
    method: Method,
    operation: &'s Node<'a>,
}

/// Map one operation; `warnings` receives what the API stores differently from the
/// document (kept only if the mapping succeeds).
fn map_api(
    doc: &Document<'_>,
    input: &OperationInput<'_, '_>,
    options: MapOptions,
    limits: &Limits,
    warnings: &mut Vec<(WarningCode, String)>,
) -> Result<ApiDefinition, ApiFailure> {
    let op = input.operation;
    let simple = options.simple_mode;
    if !op.value.is_object() {
        return Err(op.invalid(input.method.as_str(), "an operation must be an object"));
    }
    let name = api_name(op, input.method, input.path, simple)?;
    // Public documents carry long descriptions; APIG's remark holds 255 characters
    // [decision: cut, not refused, so that design-first documents import cleanly].
    let remark_key = if op.str("description")?.is_some() {
        "description"
    } else {
        "summary"
    };
    let remark = match op.str(remark_key)? {
        Some(text) => {
            let length = text.chars().count();
            if length > MAX_REMARK {
                warnings.push((
                    WarningCode::DescriptionCut,
                    format!(
                        "the {remark_key} has {length} characters; the API's description keeps \
                         the first {MAX_REMARK} (at {})",
                        echo_pointer(&op.child_pointer(remark_key))
                    ),
                ));
            }
            op.str_truncated(remark_key, MAX_REMARK)?
        }
        None => None,
    };

    let path_vars = request_path::parse(input.path)
        .map_err(|e| ApiFailure::field(Code::Apig2011, "path", input.path_pointer, e))?;
    let mut req_params =
        request_params(doc, input.path_item, op, simple, limits.max_params_per_api)?;
    for var in &path_vars {
        let declared = req_params
            .iter()
            .any(|p| p.location == ParamLocation::Path && p.name == var.name);
        if declared {
            continue;
        }
        if simple {
            req_params.push(implicit_path_param(&var.name));
        } else {
            return Err(op.fail(
                Code::Apig2026,
                "parameters",
                format!(
                    "the path variable {{{}}} of {} has no path parameter named {:?}",
                    echo(&var.name),
                    echo(input.path_key),
                    echo(&var.name)
                ),
            ));
        }
    }
    if req_params.len() > limits.max_params_per_api {
        return Err(op.fail(
            Code::Apig3111,
            "parameters",
            format!(
                "an API may have at most {} request parameters, it has {}",
                limits.max_params_per_api,
                req_params.len()
            ),
        ));
    }

    // 3.x: the operation's (else the path item's) servers; 2.0: the operation's `schemes`
    // (Swagger 2.0 lets an operation override the root's), else the root's.
    let protocol = if doc.version.is_v3() {
        servers_protocol(op.get("servers").map(|s| s.value))
            .or_else(|| servers_protocol(input.path_item.get("servers").map(|s| s.value)))
            .unwrap_or(doc.protocol)
    } else {
        operation_schemes(op).unwrap_or(doc.protocol)
    };
    let auth = auth_for(doc, op)?;
    let tags = tags(op)?;
    let samples = samples(doc, op)?;

    if let Some((scheme, kind)) = &auth.unmapped {
        warnings.push((
            WarningCode::SecurityNotMapped,
            format!(
                "the operation requires the security scheme {scheme:?} ({kind}), which APIG \
                 cannot enforce: the API is imported with auth type NONE and is open to \
                 anyone; give the scheme x-apigateway-auth-type (AppSigv1 or IAM, type apiKey \
                 in header) or set the API's authentication after the import",
                scheme = echo(scheme),
                kind = echo(kind)
            ),
        ));
    }

    let backend = if options.mock_mode {
        let body = match &samples.normal {
            Some(sample) => sample.clone(),
            None => {
                let example = first_example(doc, op)?;
                for (pointer, length) in &example.skipped {
                    warnings.push((
                        WarningCode::MockExampleSkipped,
                        format!(
                            "the example has {length} characters, more than a mock body may \
                             hold ({MAX_MOCK_BODY}), so it was passed over (at {}); the mock \
                             body is {}",
                            echo_pointer(pointer),
                            if example.body.is_empty() {
                                "empty"
                            } else {
                                "the next example that fits"
                            }
                        ),
                    ));
                }
                example.body
            }
        };
        check_mock_body(op, &body)?;
        Backend::mock(body)
    } else {
        match op.get("x-apigateway-backend") {
            Some(node) => parse_backend(&node, &req_params, simple)?,
            None => Backend::mock(""),
        }
    };
    // Dropped in mock mode (their backends would contradict the mock), skipped in simple mode.
    let backend_policies = match op.get("x-apigateway-backend-policies") {
        Some(list) if !simple && !options.mock_mode => parse_policies(
            &list,
            &backend,
            &req_params,
            limits.max_backend_policies,
            limits.max_conditions_per_policy,
        )?,
        _ => Vec::new(),
    };
    let skipped = |key: &str| -> Result<Option<String>, ApiFailure> {
        if simple {
            Ok(None)
        } else {
            Ok(op.str(key)?.map(str::to_string))
        }
    };
    let skipped_list = |key: &str, what: &str| -> Result<Vec<String>, ApiFailure> {
        if simple {
            Ok(Vec::new())
        } else {
            op.str_list_max(key, limits.max_plugins_per_api, Code::Apig2011, what)
        }
    };
    Ok(ApiDefinition {
        name,
        remark,
        method: input.method,
        path: input.path.to_string(),
        match_mode: op
            .choice(
                "x-apigateway-match-mode",
                &[("NORMAL", MatchMode::Normal), ("SWA", MatchMode::Swa)],
            )?
            .unwrap_or_default(),
        protocol,
        request_type: op
            .choice(
                "x-apigateway-request-type",
                &[
                    ("public", RequestType::Public),
                    ("private", RequestType::Private),
                ],
            )?
            .unwrap_or_default(),
        cors: op.bool("x-apigateway-cors")?.unwrap_or(false),
        auth_type: auth.auth_type,
        app_code_auth: auth.app_code_auth,
        authorizer: auth.authorizer,
        content_type: op
            .choice(
                "x-apigateway-content-type",
                &[
                    ("application/json", "application/json"),
                    ("application/xml", "application/xml"),
                    ("multipart/form-data", "multipart/form-data"),
                    ("text/plain", "text/plain"),
                ],
            )?
            .map(str::to_string),
        send_fg_body_base64: op
            .bool("x-apigateway-is-send-fg-body-base64")?
            .unwrap_or(true),
        tags,
        req_params,
        backend,
        backend_policies,
        ratelimit: skipped("x-apigateway-ratelimit")?,
        access_control: skipped("x-apigateway-access-control")?,
        plugins: skipped_list("x-apigateway-plugins", "plugins")?,
        response: skipped("x-apigateway-response")?,
        orchestrations: skipped_list("x-apigateway-orchestrations", "orchestration rules")?,
        result_normal_sample: samples.normal,
        result_failure_sample: samples.failure,
    })
}

/// `operationId`, or a generated name when it is missing (or, in simple mode, invalid).
fn api_name(op: &Node<'_>, method: Method, path: &str, simple: bool) -> Result<String, ApiFailure> {
    let generated = || generated_api_name(method.as_str(), path);
    let Some(id) = op.get("operationId") else {
        return Ok(generated());
    };
    let checked = match id.value.as_str() {
        Some(name) => check_api_name(name).map(|()| name.to_string()),
        None => Err("operationId must be a string".to_string()),
    };
    match checked {
        Ok(name) => Ok(name),
        Err(_) if simple => Ok(generated()),
        Err(detail) => Err(id.invalid("operationId", detail)),
    }
}

/// `tags`: at most 10, each 1–128 characters.
fn tags(op: &Node<'_>) -> Result<Vec<String>, ApiFailure> {
    let tags = op.str_list("tags")?;
    let node = op.field_node("tags");
    if tags.len() > 10 {
        return Err(node.invalid("tags", format!("at most 10 tags, it has {}", tags.len())));
    }
    if let Some(bad) = tags
        .iter()
        .find(|t| !(1..=128).contains(&t.chars().count()))
    {
        return Err(node.invalid(
            "tags",
            format!(
                "the tag {bad:?} must have 1 to 128 characters",
                bad = echo(bad)
            ),
        ));
    }
    Ok(tags)
}

/// The protocol of a 2.0 operation's own `schemes`, if it names http(s) or ws(s).
fn operation_schemes(op: &Node<'_>) -> Option<crate::model::Protocol> {
    let schemes: Vec<String> = op
        .get("schemes")?
        .value
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_ascii_lowercase)
        .collect();
    protocol_of(schemes.iter().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::runs_of_entries;
    use std::ops::Range;

    /// All the entries in one run.
    fn one_run() -> Vec<Range<usize>> {
        std::iter::once(0..usize::MAX).collect()
    }

    #[test]
    fn runs_cover_the_entries_and_keep_path_items_whole() {
        // Path items 0..=5 with 3, 1, 4, 1, 1, 2 operations (an `x-` key at 3 has none).
        let entries = [0, 0, 0, 1, 2, 2, 2, 2, 4, 5, 6, 6];
        assert_eq!(runs_of_entries(&entries, 1), one_run());
        assert_eq!(runs_of_entries(&entries, 2), [0..2, 2..usize::MAX]);
        assert_eq!(runs_of_entries(&entries, 3), [0..2, 2..4, 4..usize::MAX]);
        // A share that ends inside a path item moves before it; one item is one run.
        assert_eq!(runs_of_entries(&[0, 0, 0, 1], 2), one_run());
        assert_eq!(runs_of_entries(&[0, 0, 0, 0], 4), one_run());
        assert_eq!(runs_of_entries(&[], 4), one_run());
        assert_eq!(
            runs_of_entries(&[3, 4, 5, 6], 4),
            [0..4, 4..5, 5..6, 6..usize::MAX]
        );
    }
}
