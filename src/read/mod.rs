//! The read operations (`import-api.md` §7) over any [`Store`]: what an import stored,
//! filtered, ordered and paged like Huawei's `ListApiGroupsV2`, `ListApisV2` and
//! `ShowDetailsOfApiV2`, and shaped by [`crate::views`]. The HTTP layer parses queries
//! into these requests; the CLI can call them directly.
//!
//! Every lookup is scoped to one instance: an unknown instance is `APIG.3030`, and a group
//! or API of another instance does not exist for this one.

mod apis;
mod groups;

pub use apis::{list_apis, show_api, ApiFilters, ListApis};
pub use groups::{list_api_groups, ListApiGroups};

use crate::error::ApigError;
use crate::model::Scope;
use crate::store::{PageRequest, Store};

/// Default page size of the list operations.
pub const DEFAULT_LIMIT: u64 = 20;
/// Largest page size of the list operations.
pub const MAX_LIMIT: u64 = 500;

/// One page of a list: skip `offset` items, return at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: u64,
    pub limit: u64,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            offset: 0,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl Page {
    /// The page as the stores take it.
    pub fn request(self) -> PageRequest {
        PageRequest {
            offset: self.offset,
            limit: self.limit,
        }
    }
}

/// A count as the responses carry it.
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A store's total as the responses carry it.
fn total(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A text filter: exact, or a case-insensitive substring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFilter {
    pub value: String,
    pub exact: bool,
}

impl TextFilter {
    pub fn matches(&self, candidate: &str) -> bool {
        if self.exact {
            candidate == self.value
        } else {
            candidate
                .to_lowercase()
                .contains(&self.value.to_lowercase())
        }
    }
}

/// `APIG.3030` unless the instance exists.
async fn require_instance(store: &dyn Store, scope: &Scope) -> Result<(), ApigError> {
    if store.instance_exists(scope).await? {
        Ok(())
    } else {
        Err(ApigError::instance_not_found(scope))
    }
}

/// `read`, made while the instance is checked (one round trip, not two): a missing
/// instance is the answer whatever `read` found or failed with.
async fn in_instance<T>(
    store: &dyn Store,
    scope: &Scope,
    read: impl std::future::Future<Output = Result<T, ApigError>>,
) -> Result<T, ApigError> {
    let (instance, read) = futures_util::future::join(require_instance(store, scope), read).await;
    instance?;
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        use crate::store::Paged;
        let page = |offset, limit| Page { offset, limit }.request();
        assert_eq!(
            Paged::of(vec![1, 2, 3, 4, 5], page(2, 2)),
            Paged {
                total: 5,
                items: vec![3, 4]
            }
        );
        assert_eq!(Paged::of(vec![1, 2], page(9, 2)).items, Vec::<i32>::new());
        assert_eq!(
            Paged::of((0..30).collect::<Vec<_>>(), Page::default().request())
                .items
                .len(),
            20
        );
    }

    #[test]
    fn text_filters() {
        let fuzzy = TextFilter {
            value: "Prod".to_string(),
            exact: false,
        };
        assert!(fuzzy.matches("list_products") && !fuzzy.matches("health"));
        let exact = TextFilter {
            value: "/shop".to_string(),
            exact: true,
        };
        assert!(exact.matches("/shop") && !exact.matches("/shop/products"));
    }
}
