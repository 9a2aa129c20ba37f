//! Items ↔ model values.
//!
//! Every entity is stored whole as a JSON string in the `body` attribute (serde_json with
//! `float_roundtrip`, so every `f64` and `u64` reads back bit for bit), next to the few
//! native attributes that conditions and keys need (`id`, `name`, `version`, counters).
//! Where a conditional update changes the body but must keep a stored field (an API's or
//! shared object's `created_at` and `id`), that field is a native attribute and wins over
//! the body's copy when the item is decoded.

use super::keys::Key;
use crate::model::{Api, ApiListing, Group, ImportRecord, Reference, SharedObject};
use crate::store::{KeepIdentity, StoreError, StoreResult};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

pub const BODY: &str = "body";
pub const ID: &str = "id";
pub const NAME: &str = "name";
pub const VERSION: &str = "version";
pub const CREATED_AT: &str = "created_at";
/// Item type, for audits and humans reading the table.
pub const TYPE: &str = "t";
/// The group item's API counter.
pub const API_COUNT: &str = "apis";
/// The instance item's group counter.
pub const GROUP_COUNT: &str = "groups";
/// Pointer attributes.
pub const GROUP: &str = "group";
pub const ROUTE: &str = "route";
/// Listing order of group and API items: the sort key of the local secondary indexes.
pub const ORDER: &str = super::table::ORDER_ATTRIBUTE;
/// What a listing shows of a group or API item (JSON: the group, an [`ApiListing`]),
/// written with the item; the `order` index projects it instead of whole items.
pub const LISTING: &str = "lst";
/// The API item's last writer: a random marker of the `write_apis` call that wrote it.
pub const WRITER: &str = "w";
/// The API item's (and its pointer's) creator: the marker of the `write_apis` call whose
/// quota reservation it was created under; kept by replacements.
pub const CREATOR: &str = "c";

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::new(format_args!("encode: {e}")))
}

pub fn from_json<T: DeserializeOwned>(body: &str) -> StoreResult<T> {
    serde_json::from_str(body).map_err(|e| StoreError::new(format_args!("decode: {e}")))
}

/// An item: its key, its type and the given attributes.
pub fn item(
    key: &Key,
    kind: &str,
    attrs: impl IntoIterator<Item = (&'static str, AttributeValue)>,
) -> Item {
    let mut item = key.attrs();
    item.insert(TYPE.to_string(), s(kind));
    for (k, v) in attrs {
        item.insert(k.to_string(), v);
    }
    item
}

pub fn get_s<'a>(item: &'a Item, name: &str) -> StoreResult<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(StoreError::new(format_args!(
            "decode: item {:?} lacks string attribute {name}",
            Key::of_item(item)
        ))),
    }
}

pub fn get_n(item: &Item, name: &str) -> StoreResult<u64> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|e| StoreError::new(format_args!("decode: attribute {name}={v:?}: {e}"))),
        _ => Err(StoreError::new(format_args!(
            "decode: item {:?} lacks number attribute {name}",
            Key::of_item(item)
        ))),
    }
}

/// A number attribute that may be absent (counters created lazily).
pub fn get_n_or_zero(item: &Item, name: &str) -> StoreResult<u64> {
    if item.contains_key(name) {
        get_n(item, name)
    } else {
        Ok(0)
    }
}

fn body<T: DeserializeOwned>(item: &Item) -> StoreResult<T> {
    from_json(get_s(item, BODY)?)
}

pub fn decode_group(item: &Item) -> StoreResult<Group> {
    body(item)
}

pub fn decode_reference(item: &Item) -> StoreResult<Reference> {
    body(item)
}

pub fn decode_record(item: &Item) -> StoreResult<ImportRecord> {
    body(item)
}

/// An API item: listing and body (the rest), with the stored `version` and `created_at`.
/// An item without a listing (written before it existed) has the whole API in its body.
pub fn decode_api(item: &Item) -> StoreResult<Api> {
    if let Some(AttributeValue::S(listing)) = item.get(LISTING) {
        return super::listing::decode_api(
            listing,
            get_s(item, BODY)?,
            group_of(item)?,
            get_n(item, VERSION)?,
            get_s(item, CREATED_AT)?.to_string(),
        );
    }
    let mut api: Api = body(item)?;
    api.version = get_n(item, VERSION)?;
    api.keep_identity(None, get_s(item, CREATED_AT)?.to_string());
    Ok(api)
}

/// The `body` and the listing attribute (`lst`) of an API item: the listing as the `order`
/// index shows it, the body the rest, so that the API is stored once ([`super::listing`]).
pub fn api_attributes(api: &Api) -> StoreResult<(String, String)> {
    Ok((
        super::listing::encode_rest(api)?,
        super::listing::encode(api)?,
    ))
}

/// The group of an item of a group partition (`<t>#G#<group id>`).
fn group_of(item: &Item) -> StoreResult<crate::model::Id> {
    let pk = get_s(item, super::table::PARTITION_KEY)?;
    pk.rsplit_once("#G#")
        .and_then(|(_, id)| crate::model::Id::parse(id))
        .ok_or_else(|| StoreError::new(format_args!("decode: {pk:?} is not a group partition")))
}

/// The listing attribute of a group item (the group is small: all of it).
pub fn group_listing(group: &Group) -> StoreResult<AttributeValue> {
    Ok(s(to_json(group)?))
}

/// An API's listing from an `order` index entry: the listing attribute, the group from the
/// partition key, the stored `version` and `created_at` (as [`decode_api`]).
pub fn decode_api_listing(item: &Item) -> StoreResult<ApiListing> {
    super::listing::decode(
        get_s(item, LISTING)?,
        group_of(item)?,
        get_n(item, VERSION)?,
        get_s(item, CREATED_AT)?.to_string(),
    )
}

/// A group from an `order` index entry.
pub fn decode_group_listing(item: &Item) -> StoreResult<Group> {
    from_json(get_s(item, LISTING)?)
}

/// A shared object item: the body, with the stored `id`, `version` and `created_at`.
pub fn decode_shared(item: &Item) -> StoreResult<SharedObject> {
    let mut object: SharedObject = body(item)?;
    object.version = get_n(item, VERSION)?;
    object.keep_identity(
        crate::model::Id::parse(get_s(item, ID)?),
        get_s(item, CREATED_AT)?.to_string(),
    );
    Ok(object)
}
