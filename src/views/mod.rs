//! What the read operations answer: the JSON shapes of the official SDK's response models
//! (`huaweicloudsdkapig` v2: `ListApiGroupsV2Response`, `ListApisV2Response`,
//! `ShowDetailsOfApiV2Response` and the models they nest), built from [`crate::model`] types.
//!
//! Pure functions from stored values to serde structs: no store, no HTTP. Field names are
//! the SDK's `attribute_map` keys and JSON types follow its `openapi_types` (`int`, `str`,
//! `bool`, `datetime` as an RFC 3339 string ending in `Z`, `list[...]`). A field the product
//! has no value for is left out, never filled with an invented one.
//!
//! Stored settings that reference other objects by name are shown the way the SDK models
//! can show them: the custom authorizer and the gateway response by the id of the stored
//! shared object (`authorizer_id`, `response_id`), a VPC channel by the id of the
//! registered channel (`vpc_channel_info.vpc_channel_id`). The names needed for that are
//! resolved by the caller into a [`Lookups`].

pub mod api;
pub mod group;
pub mod sdk_schema;

pub use api::{api_detail, api_summary, listing_summary, ApiDetail, ApiSummary, ListApisResponse};
pub use group::{group_info, ApiGroupInfo, ListApiGroupsResponse};

use crate::model::Id;
use std::collections::BTreeMap;

/// Names of referenced objects resolved to the ids of the stored objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookups {
    /// Custom authorizer name → shared object id (per instance).
    pub authorizers: BTreeMap<String, Id>,
    /// (group id, gateway response name) → shared object id (per group).
    pub responses: BTreeMap<(Id, String), Id>,
    /// VPC channel name → registered channel id.
    pub vpc_channels: BTreeMap<String, Id>,
}

/// The `status` of every stored group and API: `1`, valid.
pub const STATUS_VALID: i32 = 1;
