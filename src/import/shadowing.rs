//! Shadowing analysis (issue 11 item 5, no anchor has it): routes of a group that another
//! route of the same group would capture first, so that requests meant for them never
//! reach them.
//!
//! Three kinds: a `SWA` (prefix) route over a longer path it is a prefix of, an `ANY` route
//! over a specific method of the same path, and a template path (`/pets/{id}`) over a
//! literal one (`/pets/mine`). Only pairs with at least one route of the document are
//! reported: the import introduces or keeps them, the others are the group's own history.
//!
//! Cost: routes are bucketed by their first segment; only routes of one bucket, and routes
//! against the (usually tiny) bucket of routes whose first segment is a template or that
//! are the root, are compared — never every route against every other.

use crate::error::{echo, ApigError, Code};
use crate::model::{Api, ImportWarning, MatchMode, Method, RouteKey, WarningCode};
use crate::spec::{OperationOutcome, ParsedDocument};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One route of the group after the import, as the analysis sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    pub path: String,
    pub match_mode: MatchMode,
    pub name: String,
    /// From the document being imported (else: an API already stored in the group).
    pub from_document: bool,
}

/// How a route captures another's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ShadowKind {
    /// A `SWA` route whose path is a prefix of a longer path.
    #[serde(rename = "prefix")]
    Prefix,
    /// `ANY` over a specific method of the same path.
    #[serde(rename = "any_method")]
    AnyMethod,
    /// A template segment over a literal one.
    #[serde(rename = "template")]
    Template,
}

impl ShadowKind {
    fn describe(self) -> &'static str {
        match self {
            ShadowKind::Prefix => "a prefix (SWA) route over a longer path",
            ShadowKind::AnyMethod => "ANY over a specific method",
            ShadowKind::Template => "a template path over a literal one",
        }
    }
}

/// A route as a warning names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteView {
    pub method: String,
    pub path: String,
    pub match_mode: String,
    pub name: String,
    /// `document` or `existing`.
    pub source: &'static str,
}

impl RouteView {
    fn of(route: &Route) -> Self {
        RouteView {
            method: route.method.as_str().to_string(),
            path: route.path.clone(),
            match_mode: route.match_mode.as_str().to_string(),
            name: route.name.clone(),
            source: if route.from_document {
                "document"
            } else {
                "existing"
            },
        }
    }
}

/// One shadowed route and the route that captures its requests first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Always `shadowed_route` (the warnings array may carry other kinds of warnings).
    pub code: &'static str,
    pub kind: ShadowKind,
    pub route: RouteView,
    pub shadowed_by: RouteView,
    pub message: String,
}

impl Warning {
    /// The item of the response's `warnings` array: the shadowed route's method and path.
    pub fn flat(&self) -> ImportWarning {
        ImportWarning {
            method: self.route.method.clone(),
            path: self.route.path.clone(),
            code: WarningCode::ShadowedRoute,
            message: self.message.clone(),
        }
    }
}

/// The group's routes after the import: the document's mapped operations (first of each
/// route), then the stored APIs whose route the document does not have.
pub fn routes_of(parsed: &ParsedDocument, existing: &[Api]) -> Vec<Route> {
    let mut seen = HashSet::new();
    let mut routes = Vec::new();
    for operation in &parsed.operations {
        let OperationOutcome::Api(d) = &operation.outcome else {
            continue;
        };
        if seen.insert(RouteKey::new(d.method, &d.path, d.match_mode)) {
            routes.push(Route {
                method: d.method,
                path: d.path.clone(),
                match_mode: d.match_mode,
                name: d.name.clone(),
                from_document: true,
            });
        }
    }
    for api in existing {
        let d = &api.definition;
        if seen.insert(RouteKey::new(d.method, &d.path, d.match_mode)) {
            routes.push(Route {
                method: d.method,
                path: d.path.clone(),
                match_mode: d.match_mode,
                name: d.name.clone(),
                from_document: false,
            });
        }
    }
    routes
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment<'a> {
    Literal(&'a str),
    /// `{name}`: one segment.
    Param,
    /// `{name+}`: one or more segments.
    Greedy,
}

fn segments(path: &str) -> Vec<Segment<'_>> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.starts_with('{') && s.ends_with("+}") {
                Segment::Greedy
            } else if s.starts_with('{') && s.ends_with('}') {
                Segment::Param
            } else {
                Segment::Literal(s)
            }
        })
        .collect()
}

/// Does pattern segment `a` match every request segment that `b` matches?
fn covers(a: Segment<'_>, b: Segment<'_>) -> bool {
    match (a, b) {
        (Segment::Literal(x), Segment::Literal(y)) => x == y,
        (Segment::Literal(_), _) => false,
        (Segment::Param, Segment::Greedy) => false,
        (Segment::Param | Segment::Greedy, _) => true,
    }
}

/// Does `a` capture requests meant for `b` first, and how?
fn shadows(a: &Route, sa: &[Segment<'_>], b: &Route, sb: &[Segment<'_>]) -> Option<ShadowKind> {
    let methods = a.method == b.method || a.method == Method::Any;
    if !methods {
        return None;
    }
    let same_path = sa == sb;
    if same_path && a.match_mode == b.match_mode {
        // Same route but for the method: only ANY over a specific one.
        return (a.method == Method::Any && b.method != Method::Any)
            .then_some(ShadowKind::AnyMethod);
    }
    if a.match_mode == MatchMode::Swa && b.match_mode == MatchMode::Normal && sb.len() > sa.len() {
        let prefix = sa.iter().zip(sb).all(|(x, y)| covers(*x, *y));
        if prefix {
            return Some(ShadowKind::Prefix);
        }
    }
    if a.match_mode == b.match_mode && !same_path {
        // Segment by segment, a greedy last segment of `a` taking the rest of `b`.
        let greedy_tail = matches!(sa.last(), Some(Segment::Greedy));
        let lengths = sa.len() == sb.len() || (greedy_tail && sb.len() >= sa.len());
        let all = sa.iter().zip(sb).all(|(x, y)| covers(*x, *y));
        // `a` is strictly more general somewhere (it is not the same path).
        if lengths && all {
            return Some(ShadowKind::Template);
        }
    }
    None
}

/// Every shadowed route of `routes` with a route of the document on either side, ordered by
/// the shadowed route, then its shadower (document order first, then stored APIs).
pub fn analyse(routes: &[Route]) -> Vec<Warning> {
    let parsed: Vec<Vec<Segment<'_>>> = routes.iter().map(|r| segments(&r.path)).collect();
    let mut buckets: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut wild: Vec<usize> = Vec::new();
    for (i, segs) in parsed.iter().enumerate() {
        match segs.first() {
            Some(Segment::Literal(first)) => buckets.entry(first).or_default().push(i),
            _ => wild.push(i),
        }
    }
    let mut found: Vec<(usize, usize, ShadowKind)> = Vec::new();
    let mut pair = |a: usize, b: usize| {
        if !(routes[a].from_document || routes[b].from_document) {
            return;
        }
        if let Some(kind) = shadows(&routes[a], &parsed[a], &routes[b], &parsed[b]) {
            found.push((b, a, kind));
        }
        if let Some(kind) = shadows(&routes[b], &parsed[b], &routes[a], &parsed[a]) {
            found.push((a, b, kind));
        }
    };
    for bucket in buckets.values() {
        for (n, &a) in bucket.iter().enumerate() {
            for &b in &bucket[n + 1..] {
                pair(a, b);
            }
            for &w in &wild {
                pair(a, w);
            }
        }
    }
    for (n, &a) in wild.iter().enumerate() {
        for &b in &wild[n + 1..] {
            pair(a, b);
        }
    }
    found.sort_by_key(|(shadowed, by, _)| (*shadowed, *by));
    found
        .into_iter()
        .map(|(shadowed, by, kind)| warning(&routes[shadowed], &routes[by], kind))
        .collect()
}

fn warning(route: &Route, by: &Route, kind: ShadowKind) -> Warning {
    Warning {
        code: "shadowed_route",
        kind,
        message: format!(
            "{} {} ({}) is shadowed by {} {} ({}): {}",
            route.method.as_str(),
            echo(&route.path),
            route.match_mode.as_str(),
            by.method.as_str(),
            echo(&by.path),
            by.match_mode.as_str(),
            kind.describe()
        ),
        route: RouteView::of(route),
        shadowed_by: RouteView::of(by),
    }
}

/// `fail_on_warnings=true`: the import is refused with `APIG.2012` naming the first warning.
pub fn refusal(first: &Warning) -> ApigError {
    ApigError::with_message(
        Code::Apig2012,
        format!(
            "{},parameterName:fail_on_warnings. {}",
            Code::Apig2012.base_message(),
            first.message
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: Method, path: &str, mode: MatchMode, doc: bool) -> Route {
        Route {
            method,
            path: path.to_string(),
            match_mode: mode,
            name: format!("{}{}", method.as_str(), path.replace('/', "_")),
            from_document: doc,
        }
    }

    fn kinds(routes: &[Route]) -> Vec<(String, String, ShadowKind)> {
        analyse(routes)
            .into_iter()
            .map(|w| (w.route.path, w.shadowed_by.path, w.kind))
            .collect()
    }

    #[test]
    fn prefix_route_over_a_longer_path() {
        let routes = [
            route(Method::Get, "/pets/mine/toys", MatchMode::Normal, true),
            route(Method::Get, "/pets", MatchMode::Swa, true),
            route(Method::Get, "/people", MatchMode::Normal, true),
        ];
        assert_eq!(
            kinds(&routes),
            vec![("/pets/mine/toys".into(), "/pets".into(), ShadowKind::Prefix)]
        );
        // A different method is not captured; a prefix of segments, not of characters.
        let other = [
            route(Method::Post, "/pets/mine", MatchMode::Normal, true),
            route(Method::Get, "/pets", MatchMode::Swa, true),
            route(Method::Get, "/petshop", MatchMode::Normal, true),
        ];
        assert!(kinds(&other).is_empty());
        // The root prefix route captures every longer path (the wild bucket).
        let root = [
            route(Method::Any, "/", MatchMode::Swa, false),
            route(Method::Get, "/pets", MatchMode::Normal, true),
        ];
        assert_eq!(
            kinds(&root),
            vec![("/pets".into(), "/".into(), ShadowKind::Prefix)]
        );
    }

    #[test]
    fn any_over_a_specific_method() {
        let routes = [
            route(Method::Get, "/pets", MatchMode::Normal, true),
            route(Method::Any, "/pets", MatchMode::Normal, false),
            route(Method::Any, "/pets", MatchMode::Swa, true),
        ];
        let found = analyse(&routes);
        // The SWA route of the same path is another route (exact matches win over it).
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, ShadowKind::AnyMethod);
        assert_eq!(found[0].route.method, "GET");
        assert_eq!(found[0].shadowed_by.method, "ANY");
        assert_eq!(found[0].shadowed_by.source, "existing");
        assert_eq!(found[0].shadowed_by.match_mode, "NORMAL");
        // ANY does not shadow ANY.
        let both = [
            route(Method::Any, "/pets", MatchMode::Normal, true),
            route(Method::Any, "/pets/{id}", MatchMode::Normal, true),
        ];
        assert!(analyse(&both).is_empty());
    }

    #[test]
    fn template_over_a_literal() {
        let routes = [
            route(Method::Get, "/pets/mine", MatchMode::Normal, true),
            route(Method::Get, "/pets/{id}", MatchMode::Normal, true),
            route(Method::Get, "/pets/{id}/toys", MatchMode::Normal, true),
            route(Method::Get, "/{kind}/mine", MatchMode::Normal, true),
        ];
        let found = kinds(&routes);
        assert_eq!(
            found,
            vec![
                (
                    "/pets/mine".into(),
                    "/pets/{id}".into(),
                    ShadowKind::Template
                ),
                (
                    "/pets/mine".into(),
                    "/{kind}/mine".into(),
                    ShadowKind::Template
                ),
            ]
        );
        let greedy = [
            route(Method::Get, "/files/{path+}", MatchMode::Normal, true),
            route(Method::Get, "/files/a/b", MatchMode::Normal, true),
            route(Method::Get, "/files/{name}", MatchMode::Normal, true),
        ];
        let found = kinds(&greedy);
        assert!(found.contains(&(
            "/files/a/b".into(),
            "/files/{path+}".into(),
            ShadowKind::Template
        )));
        assert!(found.contains(&(
            "/files/{name}".into(),
            "/files/{path+}".into(),
            ShadowKind::Template
        )));
        // `{name}` matches one segment only: it does not capture the greedy route.
        assert!(!found
            .iter()
            .any(|(r, by, _)| r == "/files/{path+}" && by == "/files/{name}"));
    }

    #[test]
    fn pairs_of_stored_routes_alone_are_not_reported() {
        let routes = [
            route(Method::Get, "/pets/mine", MatchMode::Normal, false),
            route(Method::Get, "/pets/{id}", MatchMode::Normal, false),
            route(Method::Get, "/orders", MatchMode::Normal, true),
        ];
        assert!(analyse(&routes).is_empty());
    }

    #[test]
    fn refusal_names_the_first_warning() {
        let routes = [
            route(Method::Get, "/pets/mine", MatchMode::Normal, true),
            route(Method::Get, "/pets/{id}", MatchMode::Normal, true),
        ];
        let warnings = analyse(&routes);
        let error = refusal(&warnings[0]);
        assert_eq!(error.code, Code::Apig2012);
        assert!(
            error.message.contains("fail_on_warnings")
                && error
                    .message
                    .contains("GET /pets/mine (NORMAL) is shadowed by GET /pets/{id}"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_thousand_routes_stay_cheap() {
        // 1,000 routes over 100 first segments: pairs compared stay near n·10, and the
        // analysis finds exactly the planted template shadows.
        let mut routes = Vec::new();
        for group in 0..100 {
            for item in 0..9 {
                routes.push(route(
                    Method::Get,
                    &format!("/g{group}/item{item}"),
                    MatchMode::Normal,
                    true,
                ));
            }
            routes.push(route(
                Method::Post,
                &format!("/g{group}/{{id}}"),
                MatchMode::Normal,
                true,
            ));
        }
        let started = std::time::Instant::now();
        assert!(analyse(&routes).is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
