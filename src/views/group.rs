//! `ApiGroupInfo` (items of `ListApiGroupsV2Response.groups`).

use super::STATUS_VALID;
use crate::model::Group;
use serde::Serialize;

/// `ListApiGroupsV2Response`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListApiGroupsResponse {
    /// Number of groups matching the filters.
    pub total: i64,
    /// Number of groups in this page.
    pub size: i64,
    pub groups: Vec<ApiGroupInfo>,
}

/// `ApiGroupInfo`. Left out: `sl_domain`, `sl_domains`, `sl_domain_access_enabled` (no
/// debugging domain is allocated), `call_limits`/`time_interval`/`time_unit` (no group
/// throttling), `version`, `roma_app_id`, `roma_app_name`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiGroupInfo {
    pub id: String,
    pub name: String,
    pub status: i32,
    pub register_time: String,
    pub update_time: String,
    /// `2`: not on sale in KooGallery.
    pub on_sell_status: i32,
    /// Independent domains bound to the group: none.
    pub url_domains: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// `2`: not the instance's default group.
    pub is_default: i32,
}

/// A stored group as the SDK's `ApiGroupInfo`.
pub fn group_info(group: &Group) -> ApiGroupInfo {
    ApiGroupInfo {
        id: group.id.to_string(),
        name: group.name.to_string(),
        status: STATUS_VALID,
        register_time: group.created_at.clone(),
        update_time: group.updated_at.clone(),
        on_sell_status: 2,
        url_domains: Vec::new(),
        remark: group.remark.clone(),
        is_default: 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GroupName, Id};

    #[test]
    fn group_fields() {
        let group = Group {
            id: Id::parse("0123456789abcdef0123456789abcdef").expect("id"),
            name: GroupName::parse("shop_backend").expect("name"),
            remark: Some("Storefront".into()),
            created_at: "2026-01-02T03:04:05Z".into(),
            updated_at: "2026-01-02T03:04:06Z".into(),
        };
        let json = serde_json::to_value(group_info(&group)).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "id": "0123456789abcdef0123456789abcdef",
                "name": "shop_backend",
                "status": 1,
                "register_time": "2026-01-02T03:04:05Z",
                "update_time": "2026-01-02T03:04:06Z",
                "on_sell_status": 2,
                "url_domains": [],
                "remark": "Storefront",
                "is_default": 2
            })
        );
        let bare = Group {
            remark: None,
            ..group
        };
        let json = serde_json::to_value(group_info(&bare)).expect("json");
        assert!(json.get("remark").is_none());
    }
}
