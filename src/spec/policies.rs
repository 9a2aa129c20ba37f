//! `x-apigateway-backend-policies`: alternative backends chosen by conditions.

use super::backend::parse_backend;
use super::names::check_policy_name;
use super::node::Node;
use super::params::has_param;
use crate::error::{echo, ApiFailure, Code};
use crate::model::{
    Backend, BackendEndpoint, BackendPolicy, ConditionOrigin, ConditionType, PolicyCondition,
    RequestParam,
};

/// Parse the policies of `list` (the `x-apigateway-backend-policies` node) for an API whose
/// default backend is `default_backend`.
pub fn parse_policies(
    list: &Node<'_>,
    default_backend: &Backend,
    req_params: &[RequestParam],
    max_policies: usize,
    max_conditions: usize,
) -> Result<Vec<BackendPolicy>, ApiFailure> {
    let Some(items) = list.value.as_array() else {
        return Err(list.invalid("x-apigateway-backend-policies", "must be an array"));
    };
    if items.len() > max_policies {
        return Err(list.fail(
            Code::Apig3113,
            "x-apigateway-backend-policies",
            format!(
                "an API may have at most {max_policies} backend policies, it has {}",
                items.len()
            ),
        ));
    }
    let mut policies: Vec<BackendPolicy> = Vec::new();
    for item in list.items() {
        let name = item.required_str("name")?;
        check_policy_name(name).map_err(|e| item.field_node("name").invalid("name", e))?;
        if policies.iter().any(|p| p.name == name) {
            return Err(item.invalid(
                "name",
                format!(
                    "the backend policy {name:?} is declared twice",
                    name = echo(name)
                ),
            ));
        }
        // Simple mode never reaches here, so no clamping of timeouts.
        let backend = parse_backend(&item, req_params, false)?;
        if !compatible(&default_backend.endpoint, &backend.endpoint) {
            return Err(item.field_node("type").invalid(
                "type",
                format!(
                    "a {} backend policy cannot stand with a {} backend",
                    backend.endpoint.type_name(),
                    default_backend.endpoint.type_name()
                ),
            ));
        }
        let conditions =
            item.array_max("conditions", max_conditions, Code::Apig3113, "conditions")?;
        if conditions.len() == 0 {
            return Err(item.invalid(
                "conditions",
                "a backend policy needs at least one condition",
            ));
        }
        let conditions = conditions
            .map(|c| condition(&c, req_params))
            .collect::<Result<Vec<_>, _>>()?;
        policies.push(BackendPolicy {
            name: name.to_string(),
            backend,
            conditions,
        });
    }
    Ok(policies)
}

/// HTTP and HTTP-VPC mix; FUNCTION and MOCK only with themselves.
fn compatible(default: &BackendEndpoint, policy: &BackendEndpoint) -> bool {
    use BackendEndpoint::*;
    matches!(
        (default, policy),
        (Http(_) | HttpVpc(_), Http(_) | HttpVpc(_))
            | (Function(_), Function(_))
            | (Mock(_), Mock(_))
    )
}

fn condition(node: &Node<'_>, req_params: &[RequestParam]) -> Result<PolicyCondition, ApiFailure> {
    let condition_type = node
        .choice(
            "type",
            &[
                ("equal", ConditionType::Exact),
                ("exact", ConditionType::Exact),
                ("enum", ConditionType::Enum),
                ("pattern", ConditionType::Pattern),
            ],
        )?
        .ok_or_else(|| node.invalid("type", "the condition type is required"))?;
    let value = node
        .text("value")?
        .ok_or_else(|| node.invalid("value", "the condition value is required"))?;
    let origin = node
        .choice(
            "origin",
            &[
                ("source", ConditionOrigin::Source),
                ("request", ConditionOrigin::Request),
                ("request_parameter", ConditionOrigin::Request),
            ],
        )?
        .ok_or_else(|| node.invalid("origin", "the condition origin is required"))?;
    // Huawei's tables say `parameter_name`, its examples `parameter`: accept both.
    let (key, parameter) = match node.str("parameter_name")? {
        Some(p) => ("parameter_name", Some(p)),
        None => ("parameter", node.str("parameter")?),
    };
    let parameter = match origin {
        ConditionOrigin::Source => None,
        ConditionOrigin::Request => {
            let name = parameter.ok_or_else(|| {
                node.invalid(
                    "parameter_name",
                    "a request condition must name a request parameter",
                )
            })?;
            if !has_param(req_params, name) {
                return Err(node.field_node(key).invalid(
                    key,
                    format!("the condition tests the request parameter {name:?}, which the API does not have", name = echo(name)),
                ));
            }
            Some(name.to_string())
        }
    };
    Ok(PolicyCondition {
        condition_type,
        value,
        origin,
        parameter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ParamLocation;
    use crate::spec::params::implicit_path_param;
    use crate::spec::tree::{leaked, leaked_arena};
    use serde_json::{json, Value};

    fn parse(v: &Value, default: &Backend) -> Result<Vec<BackendPolicy>, ApiFailure> {
        let params = vec![RequestParam {
            location: ParamLocation::Query,
            ..implicit_path_param("category")
        }];
        parse_policies(
            &Node::new(leaked(v), "/p", leaked_arena()),
            default,
            &params,
            2,
            3,
        )
    }

    fn http() -> Value {
        json!({"address": "h", "scheme": "https", "method": "GET", "path": "/x"})
    }

    #[test]
    fn policies_are_parsed() {
        let v = json!([{"name": "garden_policy", "type": "HTTP", "httpEndpoints": http(),
            "conditions": [
                {"type": "equal", "value": "garden", "origin": "request", "parameter_name": "category"},
                {"type": "pattern", "value": "10.*", "origin": "source"},
                {"type": "enum", "value": "a,b", "origin": "request_parameter", "parameter": "category"}]}]);
        let default = parse_backend(&Node::new(leaked(&json!({"type": "HTTP-VPC", "httpVpcEndpoints": {"name": "c", "scheme": "http", "method": "GET", "path": "/"}})), "", leaked_arena()), &[], false).unwrap();
        let p = parse(&v, &default).unwrap();
        assert_eq!(p[0].name, "garden_policy");
        assert_eq!(
            p[0].conditions[0],
            PolicyCondition {
                condition_type: ConditionType::Exact,
                value: "garden".into(),
                origin: ConditionOrigin::Request,
                parameter: Some("category".into()),
            }
        );
        assert_eq!(p[0].conditions[1].parameter, None);
        assert_eq!(p[0].conditions[2].condition_type, ConditionType::Enum);
    }

    #[test]
    fn invalid_policies() {
        let mock = Backend::mock("");
        let one = |extra: Value| {
            let mut p = json!({"name": "pol_a", "type": "MOCK", "conditions": [{"type": "equal", "value": "x", "origin": "source"}]});
            if let (Some(p), Some(extra)) = (p.as_object_mut(), extra.as_object()) {
                p.extend(extra.clone());
            }
            p
        };
        let cases = [
            (
                json!([
                    one(json!({})),
                    one(json!({"name": "pol_b"})),
                    one(json!({"name": "pol_c"}))
                ]),
                Code::Apig3113,
                "at most 2",
            ),
            (
                json!([one(json!({"type": "HTTP", "httpEndpoints": http()}))]),
                Code::Apig2011,
                "cannot stand with a MOCK",
            ),
            (
                json!([one(json!({"conditions": []}))]),
                Code::Apig2011,
                "at least one condition",
            ),
            (
                json!([one(json!({"name": "x"}))]),
                Code::Apig2011,
                "not a valid name",
            ),
            (
                json!([one(
                    json!({"conditions": [{"type": "equal", "value": "x", "origin": "request", "parameter": "nope"}]})
                )]),
                Code::Apig2011,
                "\"nope\"",
            ),
            (
                json!([one(json!({})), one(json!({}))]),
                Code::Apig2011,
                "declared twice",
            ),
        ];
        for (v, code, words) in cases {
            let e = parse(&v, &mock).unwrap_err();
            assert_eq!(e.code, code, "{}", e.message);
            assert!(e.message.contains(words), "{}", e.message);
        }
    }
}
