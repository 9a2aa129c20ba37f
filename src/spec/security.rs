//! The auth type of an API, from the operation's `security` (else the root's) and the
//! security scheme it names (`import-api.md` §4, `extensions.md`).

use super::document::Document;
use super::node::Node;
use crate::error::{echo, ApiFailure};
use crate::model::AuthType;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Auth {
    pub auth_type: AuthType,
    pub app_code_auth: bool,
    /// The custom authorizer (named after its scheme) for `AuthType::Authorizer`.
    pub authorizer: Option<String>,
    /// The scheme the operation requires when APIG cannot enforce it (OAuth2, bearer, an
    /// API key without `x-apigateway-auth-type`): the API is open, and the user must be told
    /// (`security_not_mapped`). Its name and its `type`.
    pub unmapped: Option<(String, String)>,
}

/// The first scheme of the first security requirement decides; `[]` or `[{}]` is NONE, and so
/// is a scheme without APIG extensions (OAuth2, basic, ...), which APIG cannot enforce.
pub fn auth_for<'a>(doc: &Document<'a>, operation: &Node<'a>) -> Result<Auth, ApiFailure> {
    let requirements = match operation.get("security") {
        Some(own) => own,
        None => match operation.root_beside(doc.root).get("security") {
            Some(root) => root,
            None => return Ok(Auth::default()),
        },
    };
    let Some(list) = requirements.value.as_array() else {
        return Err(requirements.invalid("security", "must be an array of security requirements"));
    };
    let Some(first) = list.first() else {
        return Ok(Auth::default());
    };
    let Some(first) = first.as_object() else {
        return Err(requirements.invalid("security", "a security requirement must be an object"));
    };
    let Some(scheme_name) = first.keys().next() else {
        return Ok(Auth::default());
    };
    let scheme = doc
        .security_schemes_beside(operation)
        .and_then(|schemes| schemes.get(scheme_name))
        .ok_or_else(|| {
            requirements.invalid(
                "security",
                format!(
                    "the security scheme {scheme_name:?} is not defined",
                    scheme_name = echo(scheme_name)
                ),
            )
        })?;
    let scheme = doc.resolve(scheme)?;

    if scheme.get("x-apigateway-authorizer").is_some() {
        return Ok(Auth {
            auth_type: AuthType::Authorizer,
            app_code_auth: false,
            authorizer: Some(scheme_name.to_string()),
            unmapped: None,
        });
    }
    let auth_type = scheme
        .choice(
            "x-apigateway-auth-type",
            &[("AppSigv1", AuthType::App), ("IAM", AuthType::Iam)],
        )?
        .unwrap_or(AuthType::None);
    if auth_type != AuthType::None {
        let api_key_in_header = scheme
            .str("type")?
            .is_some_and(|t| t.eq_ignore_ascii_case("apiKey"))
            && scheme
                .str("in")?
                .is_some_and(|i| i.eq_ignore_ascii_case("header"))
            && scheme.str("name")?.is_some_and(|n| !n.is_empty());
        if !api_key_in_header {
            return Err(scheme.invalid(
                "x-apigateway-auth-type",
                "a scheme with x-apigateway-auth-type must be type: apiKey, in: header, with a name",
            ));
        }
    }
    let app_code_auth = match scheme.object("x-apigateway-auth-opt")? {
        None => false,
        Some(opt) => opt
            .choice("appcode-auth-type", &[("disable", false), ("header", true)])?
            .unwrap_or(false),
    };
    if app_code_auth && auth_type != AuthType::App {
        return Err(scheme.invalid(
            "x-apigateway-auth-opt",
            "AppCode authentication is only possible with x-apigateway-auth-type: AppSigv1",
        ));
    }
    let unmapped = (auth_type == AuthType::None).then(|| {
        let kind = scheme.value.get("type").map_or_else(
            || "no type".to_string(),
            |t| t.as_str().map_or_else(|| t.to_string(), str::to_string),
        );
        (scheme_name.to_string(), kind)
    });
    Ok(Auth {
        auth_type,
        app_code_auth,
        authorizer: None,
        unmapped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;
    use serde_json::{json, Value};

    fn auth(doc: &Value) -> Result<Auth, ApiFailure> {
        let d = Document::new(
            crate::spec::tree::leaked(doc),
            crate::spec::tree::leaked_arena(),
        )
        .unwrap();
        let op = d
            .paths
            .as_ref()
            .unwrap()
            .get("/p")
            .unwrap()
            .get("get")
            .unwrap();
        auth_for(&d, &op)
    }

    fn doc(root_security: Value, op_security: Option<Value>) -> Value {
        let mut op = json!({});
        if let Some(s) = op_security {
            op["security"] = s;
        }
        json!({"swagger": "2.0", "security": root_security, "paths": {"/p": {"get": op}},
            "securityDefinitions": {
                "app": {"type": "apiKey", "name": "Authorization", "in": "header",
                        "x-apigateway-auth-type": "AppSigv1",
                        "x-apigateway-auth-opt": {"appcode-auth-type": "header"}},
                "iam": {"type": "apiKey", "name": "x", "in": "header", "x-apigateway-auth-type": "IAM"},
                "bad_iam": {"type": "basic", "x-apigateway-auth-type": "IAM"},
                "custom": {"type": "apiKey", "name": "x", "in": "header",
                           "x-apigateway-authorizer": {"authorizer_uri": "u"}},
                "oauth": {"type": "oauth2", "flow": "implicit"}}})
    }

    #[test]
    fn auth_types() {
        let a = auth(&doc(json!([{"app": []}]), None)).unwrap();
        assert_eq!((a.auth_type, a.app_code_auth), (AuthType::App, true));
        let a = auth(&doc(json!([{"app": []}]), Some(json!([{"iam": []}])))).unwrap();
        assert_eq!(a.auth_type, AuthType::Iam);
        let a = auth(&doc(json!([{"app": []}]), Some(json!([])))).unwrap();
        assert_eq!(a, Auth::default());
        let a = auth(&doc(json!([{"custom": []}]), None)).unwrap();
        assert_eq!(
            (a.auth_type, a.authorizer.as_deref()),
            (AuthType::Authorizer, Some("custom"))
        );
        let a = auth(&doc(json!([{"oauth": ["r"]}]), None)).unwrap();
        assert_eq!(a.auth_type, AuthType::None);
        assert_eq!(
            a.unmapped,
            Some(("oauth".to_string(), "oauth2".to_string()))
        );
        // An explicit `[]` opens the API on purpose: nothing to warn about.
        let a = auth(&doc(json!([{"oauth": ["r"]}]), Some(json!([])))).unwrap();
        assert_eq!(a.unmapped, None);
        assert_eq!(
            auth(&doc(json!(null), None)).unwrap().auth_type,
            AuthType::None
        );
    }

    #[test]
    fn bad_security() {
        let e = auth(&doc(json!([{"ghost": []}]), None)).unwrap_err();
        assert_eq!(e.code, Code::Apig2011);
        assert!(
            e.message.contains("\"ghost\" is not defined"),
            "{}",
            e.message
        );
        assert!(e.message.contains("(at /security)"), "{}", e.message);
        let e = auth(&doc(json!([{"bad_iam": []}]), None)).unwrap_err();
        assert!(e.message.contains("type: apiKey"), "{}", e.message);
        assert!(
            e.message.contains("(at /securityDefinitions/bad_iam)"),
            "{}",
            e.message
        );
    }
}
