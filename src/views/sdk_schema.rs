//! The SDK's response models as data, to check that what the views serialize has the
//! field names and JSON types the official SDK expects (used by tests; cheap to keep).
//!
//! [`conforms`] walks a JSON value against a model: every key must be one of the model's
//! `attribute_map` keys, and its value must have the model's type (`int` an integer, `str`
//! a string, `bool` a boolean, `datetime` an RFC 3339 string ending in `Z` — the SDK
//! appends a `Z` before parsing otherwise —, `list[X]` an array of `X`, a model name an
//! object that conforms to it). `null` is accepted anywhere (the SDK keeps `None`).

use serde_json::Value;

/// Check `value` against the SDK model `model`; the error names the JSON path at fault.
pub fn conforms(model: &str, value: &Value) -> Result<(), String> {
    check(model, value, "$")
}

fn fields(model: &str) -> Option<&'static [(&'static str, &'static str)]> {
    MODELS
        .iter()
        .find(|(name, _)| *name == model)
        .map(|(_, fields)| *fields)
}

fn check(ty: &str, value: &Value, at: &str) -> Result<(), String> {
    if value.is_null() {
        return Ok(());
    }
    if let Some(inner) = ty.strip_prefix("list[").and_then(|t| t.strip_suffix(']')) {
        let items = value
            .as_array()
            .ok_or_else(|| format!("{at}: expected a list of {inner}, got {value}"))?;
        for (i, item) in items.iter().enumerate() {
            check(inner, item, &format!("{at}[{i}]"))?;
        }
        return Ok(());
    }
    let ok = match ty {
        "int" => value.is_i64() || value.is_u64(),
        "str" => value.is_string(),
        "bool" => value.is_boolean(),
        "datetime" => value.as_str().is_some_and(|s| {
            s.ends_with('Z') && s.len() >= 20 && s.as_bytes().get(10) == Some(&b'T')
        }),
        "object" => true,
        model => {
            let fields = fields(model).ok_or_else(|| format!("{at}: unknown SDK model {model}"))?;
            let object = value
                .as_object()
                .ok_or_else(|| format!("{at}: expected a {model} object, got {value}"))?;
            for (key, item) in object {
                let (_, field_type) = fields
                    .iter()
                    .find(|(name, _)| name == key)
                    .ok_or_else(|| format!("{at}: {model} has no field {key:?}"))?;
                check(field_type, item, &format!("{at}.{key}"))?;
            }
            true
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{at}: expected {ty}, got {value}"))
    }
}

/// `(model, [(JSON key, SDK type)])`, from `openapi_types`/`attribute_map` of
/// huaweicloudsdkapig 3.1.219.
pub const MODELS: &[(&str, &[(&str, &str)])] = &[
    (
        "ListApiGroupsV2Response",
        &[
            ("size", "int"),
            ("total", "int"),
            ("groups", "list[ApiGroupInfo]"),
        ],
    ),
    (
        "ApiGroupInfo",
        &[
            ("id", "str"),
            ("name", "str"),
            ("status", "int"),
            ("sl_domain", "str"),
            ("register_time", "datetime"),
            ("update_time", "datetime"),
            ("on_sell_status", "int"),
            ("url_domains", "list[UrlDomain]"),
            ("sl_domain_access_enabled", "bool"),
            ("sl_domains", "list[str]"),
            ("remark", "str"),
            ("call_limits", "int"),
            ("time_interval", "int"),
            ("time_unit", "str"),
            ("is_default", "int"),
            ("version", "str"),
            ("roma_app_id", "str"),
            ("roma_app_name", "str"),
        ],
    ),
    (
        "UrlDomain",
        &[
            ("id", "str"),
            ("domain", "str"),
            ("cname_status", "int"),
            ("ssl_id", "str"),
            ("ssl_name", "str"),
            ("min_ssl_version", "str"),
            ("verified_client_certificate_enabled", "bool"),
            ("is_has_trusted_root_ca", "bool"),
            ("ingress_http_port", "int"),
            ("ingress_https_port", "int"),
            ("ssl_infos", "list[SslInfo]"),
        ],
    ),
    (
        "ListApisV2Response",
        &[
            ("size", "int"),
            ("total", "int"),
            ("apis", "list[ApiInfoPerPage]"),
        ],
    ),
    (
        "ApiInfoPerPage",
        &[
            ("name", "str"),
            ("type", "int"),
            ("version", "str"),
            ("req_protocol", "str"),
            ("req_method", "str"),
            ("req_uri", "str"),
            ("auth_type", "str"),
            ("auth_opt", "AuthOpt"),
            ("cors", "bool"),
            ("trace_enabled", "bool"),
            ("sampling_strategy", "str"),
            ("sampling_param", "str"),
            ("match_mode", "str"),
            ("backend_type", "str"),
            ("remark", "str"),
            ("group_id", "str"),
            ("body_remark", "str"),
            ("result_normal_sample", "str"),
            ("result_failure_sample", "str"),
            ("authorizer_id", "str"),
            ("tags", "list[str]"),
            ("response_id", "str"),
            ("roma_app_id", "str"),
            ("domain_name", "str"),
            ("tag", "str"),
            ("content_type", "str"),
            ("is_send_fg_body_base64", "bool"),
            ("id", "str"),
            ("status", "int"),
            ("arrange_necessary", "int"),
            ("register_time", "datetime"),
            ("update_time", "datetime"),
            ("group_name", "str"),
            ("group_version", "str"),
            ("run_env_id", "str"),
            ("run_env_name", "str"),
            ("publish_id", "str"),
            ("publish_time", "str"),
            ("roma_app_name", "str"),
            ("ld_api_id", "str"),
            ("backend_api", "BackendApi"),
            ("api_group_info", "ApiGroupCommonInfo"),
            ("req_params", "list[ReqParam]"),
        ],
    ),
    (
        "ShowDetailsOfApiV2Response",
        &[
            ("name", "str"),
            ("type", "int"),
            ("version", "str"),
            ("req_protocol", "str"),
            ("req_method", "str"),
            ("req_uri", "str"),
            ("auth_type", "str"),
            ("auth_opt", "AuthOpt"),
            ("cors", "bool"),
            ("trace_enabled", "bool"),
            ("sampling_strategy", "str"),
            ("sampling_param", "str"),
            ("match_mode", "str"),
            ("backend_type", "str"),
            ("remark", "str"),
            ("group_id", "str"),
            ("body_remark", "str"),
            ("result_normal_sample", "str"),
            ("result_failure_sample", "str"),
            ("authorizer_id", "str"),
            ("tags", "list[str]"),
            ("response_id", "str"),
            ("roma_app_id", "str"),
            ("domain_name", "str"),
            ("tag", "str"),
            ("content_type", "str"),
            ("is_send_fg_body_base64", "bool"),
            ("id", "str"),
            ("status", "int"),
            ("arrange_necessary", "int"),
            ("register_time", "datetime"),
            ("update_time", "datetime"),
            ("group_name", "str"),
            ("group_version", "str"),
            ("run_env_id", "str"),
            ("run_env_name", "str"),
            ("publish_id", "str"),
            ("publish_time", "str"),
            ("roma_app_name", "str"),
            ("ld_api_id", "str"),
            ("backend_api", "BackendApi"),
            ("api_group_info", "ApiGroupCommonInfo"),
            ("func_info", "ApiFunc"),
            ("mock_info", "ApiMock"),
            ("req_params", "list[ReqParam]"),
            ("backend_params", "list[BackendParam]"),
            ("policy_functions", "list[ApiPolicyFunctionResp]"),
            ("policy_mocks", "list[ApiPolicyMockResp]"),
            ("policy_https", "list[ApiPolicyHttpResp]"),
        ],
    ),
    ("AuthOpt", &[("app_code_auth_type", "str")]),
    (
        "ApiGroupCommonInfo",
        &[
            ("id", "str"),
            ("name", "str"),
            ("status", "int"),
            ("sl_domain", "str"),
            ("register_time", "datetime"),
            ("update_time", "datetime"),
            ("on_sell_status", "int"),
            ("url_domains", "list[UrlDomain]"),
            ("sl_domain_access_enabled", "bool"),
        ],
    ),
    (
        "BackendApi",
        &[
            ("authorizer_id", "str"),
            ("url_domain", "str"),
            ("req_protocol", "str"),
            ("remark", "str"),
            ("req_method", "str"),
            ("version", "str"),
            ("req_uri", "str"),
            ("timeout", "int"),
            ("enable_client_ssl", "bool"),
            ("retry_count", "str"),
            ("enable_sm_channel", "bool"),
            ("member_group_url_infos", "list[MemberGroupUrlInfo]"),
            ("id", "str"),
            ("status", "int"),
            ("register_time", "datetime"),
            ("update_time", "datetime"),
            ("vpc_channel_info", "VpcInfo"),
            ("vpc_channel_status", "int"),
        ],
    ),
    (
        "VpcInfo",
        &[
            ("ecs_id", "str"),
            ("ecs_name", "str"),
            ("cascade_flag", "bool"),
            ("vpc_channel_proxy_host", "str"),
            ("vpc_channel_id", "str"),
            ("vpc_channel_port", "int"),
        ],
    ),
    (
        "MemberGroupUrlInfo",
        &[
            ("member_group_id", "str"),
            ("req_protocol", "str"),
            ("req_method", "str"),
            ("req_uri", "str"),
        ],
    ),
    (
        "ApiFunc",
        &[
            ("function_urn", "str"),
            ("remark", "str"),
            ("invocation_type", "str"),
            ("network_type", "str"),
            ("version", "str"),
            ("alias_urn", "str"),
            ("timeout", "int"),
            ("authorizer_id", "str"),
            ("req_protocol", "str"),
            ("id", "str"),
            ("register_time", "datetime"),
            ("status", "int"),
            ("update_time", "datetime"),
        ],
    ),
    (
        "ApiMock",
        &[
            ("remark", "str"),
            ("result_content", "str"),
            ("version", "str"),
            ("authorizer_id", "str"),
            ("id", "str"),
            ("register_time", "datetime"),
            ("status", "int"),
            ("update_time", "datetime"),
        ],
    ),
    (
        "ReqParam",
        &[
            ("name", "str"),
            ("type", "str"),
            ("location", "str"),
            ("default_value", "str"),
            ("sample_value", "str"),
            ("required", "int"),
            ("valid_enable", "int"),
            ("remark", "str"),
            ("enumerations", "str"),
            ("min_num", "int"),
            ("max_num", "int"),
            ("min_size", "int"),
            ("max_size", "int"),
            ("regular", "str"),
            ("json_schema", "str"),
            ("pass_through", "int"),
            ("orchestrations", "list[str]"),
            ("id", "str"),
        ],
    ),
    (
        "BackendParam",
        &[
            ("origin", "str"),
            ("name", "str"),
            ("remark", "str"),
            ("location", "str"),
            ("value", "str"),
            ("id", "str"),
            ("req_param_id", "str"),
        ],
    ),
    (
        "CoditionResp",
        &[
            ("req_param_name", "str"),
            ("sys_param_name", "str"),
            ("cookie_param_name", "str"),
            ("frontend_authorizer_param_name", "str"),
            ("condition_type", "str"),
            ("condition_origin", "str"),
            ("condition_value", "str"),
            ("mapped_param_name", "str"),
            ("mapped_param_location", "str"),
            ("id", "str"),
            ("req_param_id", "str"),
            ("req_param_location", "str"),
        ],
    ),
    (
        "ApiPolicyHttpResp",
        &[
            ("id", "str"),
            ("effect_mode", "str"),
            ("name", "str"),
            ("backend_params", "list[BackendParam]"),
            ("conditions", "list[CoditionResp]"),
            ("authorizer_id", "str"),
            ("url_domain", "str"),
            ("req_protocol", "str"),
            ("req_method", "str"),
            ("req_uri", "str"),
            ("timeout", "int"),
            ("retry_count", "str"),
            ("enable_sm_channel", "bool"),
            ("member_group_url_infos", "list[MemberGroupUrlInfo]"),
            ("vpc_channel_info", "VpcInfo"),
            ("vpc_channel_status", "int"),
        ],
    ),
    (
        "ApiPolicyFunctionResp",
        &[
            ("function_urn", "str"),
            ("invocation_type", "str"),
            ("network_type", "str"),
            ("version", "str"),
            ("alias_urn", "str"),
            ("timeout", "int"),
            ("req_protocol", "str"),
            ("id", "str"),
            ("effect_mode", "str"),
            ("name", "str"),
            ("backend_params", "list[BackendParam]"),
            ("conditions", "list[CoditionResp]"),
            ("authorizer_id", "str"),
        ],
    ),
    (
        "ApiPolicyMockResp",
        &[
            ("id", "str"),
            ("effect_mode", "str"),
            ("name", "str"),
            ("backend_params", "list[BackendParam]"),
            ("conditions", "list[CoditionResp]"),
            ("authorizer_id", "str"),
            ("result_content", "str"),
        ],
    ),
    (
        "SslInfo",
        &[
            ("ssl_id", "str"),
            ("ssl_name", "str"),
            ("algorithm_type", "str"),
            ("type", "int"),
            ("is_has_trusted_root_ca", "bool"),
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn checks_names_and_types() {
        assert!(conforms("AuthOpt", &json!({"app_code_auth_type": "HEADER"})).is_ok());
        assert!(conforms("AuthOpt", &json!({"app_code": "HEADER"})).is_err());
        assert!(conforms("BackendApi", &json!({"timeout": "5"})).is_err());
        assert!(conforms("BackendApi", &json!({"retry_count": 1})).is_err());
        assert!(conforms("BackendApi", &json!({"retry_count": "1", "timeout": 5})).is_ok());
        assert!(conforms("ApiMock", &json!({"register_time": "2026-01-01T00:00:00Z"})).is_ok());
        assert!(conforms("ApiMock", &json!({"register_time": "2026-01-01"})).is_err());
        assert!(conforms("ListApisV2Response", &json!({"apis": [{"tags": [1]}]})).is_err());
        assert!(conforms("ListApisV2Response", &json!({"apis": [{"tags": ["a"]}]})).is_ok());
    }
}
