//! Items written before the model was reshaped must still load, and write back the same
//! bytes: `testdata/` holds JSON serialized by the previous model (the APIs of the APIG
//! fixtures, with HTTP, HTTP-VPC, FUNCTION and MOCK backends and a backend policy, and
//! import records), and every enum's one string form is checked against the serde rename
//! rule it replaced.

use super::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

const APIS: &str = include_str!("testdata/stored_apis.jsonl");
const IMPORT_RECORDS: &str = include_str!("testdata/stored_import_records.jsonl");

/// Every line loads as `T` and serializes back to exactly that line.
fn round_trips<T: DeserializeOwned + Serialize>(lines: &str) -> Vec<T> {
    lines
        .lines()
        .map(|line| {
            let value: T = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert_eq!(serde_json::to_string(&value).expect("encode"), line);
            value
        })
        .collect()
}

#[test]
fn stored_apis_load_and_write_back_unchanged() {
    let apis: Vec<Api> = round_trips(APIS);
    let endpoints: Vec<&BackendEndpoint> = apis
        .iter()
        .flat_map(|a| {
            std::iter::once(&a.definition.backend.endpoint).chain(
                a.definition
                    .backend_policies
                    .iter()
                    .map(|p| &p.backend.endpoint),
            )
        })
        .collect();
    let http = endpoints.iter().find_map(|e| match e {
        BackendEndpoint::Http(h) => Some(h),
        _ => None,
    });
    let vpc = endpoints.iter().find_map(|e| match e {
        BackendEndpoint::HttpVpc(v) => Some(v),
        _ => None,
    });
    // The shared fields land in the flattened target.
    let http = http.expect("an HTTP backend");
    assert!(http.target.path.starts_with('/'), "{http:?}");
    assert!(!http.address.is_empty());
    let vpc = vpc.expect("an HTTP-VPC backend");
    assert!(!vpc.channel_name.is_empty());
    assert!(vpc.target.timeout_ms > 0);
    assert!(apis
        .iter()
        .any(|a| !a.definition.backend_policies.is_empty()));
}

#[test]
fn stored_import_records_load_and_write_back_unchanged() {
    let records: Vec<ImportRecord> = round_trips(IMPORT_RECORDS);
    assert_eq!(records[0].options.group, GroupTarget::New);
    assert_eq!(records[0].options.api_mode, Mode::Override);
    assert!(records[0].options.simple_mode);
    assert_eq!(
        records[1].options.group,
        GroupTarget::Existing(String::new())
    );
    assert_eq!(records[1].options.extend_mode, Mode::Override);
    assert!(records[1].options.mock_mode);
}

/// The variant name under a serde `rename_all` rule.
fn renamed(variant: &str, rule: &str) -> String {
    let mut snake = String::new();
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    match rule {
        "UPPERCASE" => variant.to_ascii_uppercase(),
        "lowercase" => variant.to_ascii_lowercase(),
        "snake_case" => snake,
        "SCREAMING_SNAKE_CASE" => snake.to_ascii_uppercase(),
        other => panic!("rule {other}"),
    }
}

/// For each variant: `as_str` is the string the replaced serde rule wrote, serde writes
/// and reads it, and `FromStr` parses it.
fn agree<T>(all: &[T], rule: &str)
where
    T: Copy + PartialEq + std::fmt::Debug + Serialize + DeserializeOwned,
    T: std::str::FromStr + AsStr,
    <T as std::str::FromStr>::Err: std::fmt::Debug,
{
    for &v in all {
        let s = v.text();
        assert_eq!(s, renamed(&format!("{v:?}"), rule), "{v:?}");
        assert_eq!(serde_json::to_value(v).expect("encode"), s);
        assert_eq!(serde_json::from_value::<T>(s.into()).expect("decode"), v);
        assert_eq!(s.parse::<T>().expect("parse"), v);
    }
}

trait AsStr {
    fn text(self) -> &'static str;
}

macro_rules! as_str {
    ($($t:ty),*) => {$(impl AsStr for $t { fn text(self) -> &'static str { self.as_str() } })*};
}

as_str!(
    Method,
    MatchMode,
    AuthType,
    Protocol,
    RequestType,
    ParamLocation,
    ParamType,
    PassThrough,
    ParamOrigin,
    Scheme,
    InvocationType,
    NetworkType,
    ConditionType,
    ConditionOrigin,
    ReferenceKind,
    SharedKind,
    TimeUnit,
    SpecialType,
    AclType,
    AclEntityType,
    AuthorizerType,
    Mode
);

#[test]
fn one_string_form_per_enum() {
    agree(&Method::ALL, "UPPERCASE");
    agree(&MatchMode::ALL, "UPPERCASE");
    agree(&AuthType::ALL, "UPPERCASE");
    agree(&Protocol::ALL, "UPPERCASE");
    agree(&RequestType::ALL, "lowercase");
    agree(&ParamLocation::ALL, "UPPERCASE");
    agree(&ParamType::ALL, "UPPERCASE");
    agree(&PassThrough::ALL, "lowercase");
    agree(&ParamOrigin::ALL, "UPPERCASE");
    agree(&Scheme::ALL, "lowercase");
    agree(&InvocationType::ALL, "lowercase");
    agree(&NetworkType::ALL, "UPPERCASE");
    agree(&ConditionType::ALL, "lowercase");
    agree(&ConditionOrigin::ALL, "lowercase");
    agree(&ReferenceKind::ALL, "snake_case");
    agree(&SharedKind::ALL, "snake_case");
    agree(&TimeUnit::ALL, "UPPERCASE");
    agree(&SpecialType::ALL, "UPPERCASE");
    agree(&AclType::ALL, "UPPERCASE");
    agree(&AclEntityType::ALL, "SCREAMING_SNAKE_CASE");
    agree(&AuthorizerType::ALL, "UPPERCASE");
    agree(&Mode::ALL, "lowercase");
}

#[test]
fn unknown_strings_are_refused() {
    assert!("get".parse::<Method>().is_err());
    assert_eq!(Method::parse("get"), Some(Method::Get));
    assert_eq!(Mode::parse("OVERRIDE"), Some(Mode::Override));
    let e = serde_json::from_str::<Method>("\"FETCH\"").expect_err("unknown");
    assert!(e.to_string().contains("unknown variant `FETCH`"), "{e}");
}

#[test]
fn backend_type_names_are_the_serde_tags() {
    let target = HttpTarget {
        scheme: Scheme::Http,
        method: Method::Get,
        path: "/".into(),
        timeout_ms: 1,
        retry_count: -1,
        enable_client_ssl: false,
        description: None,
    };
    let endpoints = [
        BackendEndpoint::Http(HttpEndpoint {
            address: "h".into(),
            target: target.clone(),
        }),
        BackendEndpoint::HttpVpc(VpcEndpoint {
            channel_name: "c".into(),
            target,
            cascade_flag: None,
        }),
        BackendEndpoint::Function(FunctionEndpoint {
            function_urn: "u".into(),
            version: None,
            alias_urn: None,
            invocation_type: InvocationType::Sync,
            network_type: NetworkType::V1,
            timeout_ms: 1,
            description: None,
        }),
        BackendEndpoint::Mock(MockEndpoint::default()),
    ];
    for e in endpoints {
        assert_eq!(
            serde_json::to_value(&e).expect("encode")["type"],
            e.type_name()
        );
    }
}
