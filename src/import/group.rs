//! Which group the APIs go into: a new one named after `info.title`, or an existing one.

use super::options::GroupTarget;
use super::writer::Writer;
use crate::config::Limits;
use crate::error::{echo, ApigError, Code};
use crate::model::{Group, GroupName, GroupNameError, Id, ImportWarning, Scope, WarningCode};
use crate::spec::ParsedDocument;
use crate::store::{Catalog, GroupCreate};

const MAX_GROUP_DESCRIPTION: usize = 1000;

/// A group whose checks passed but which is not stored yet: building it writes nothing,
/// so every document-level error can still be answered with nothing written.
pub enum GroupPlan {
    Create(Group),
    Existing(Group),
}

/// Check the group part of the request (`import-api.md` §3.1 steps 5 and 6) without writing;
/// with the warning of a cut group description, if any.
pub async fn plan(
    store: &dyn Catalog,
    scope: &Scope,
    target: &GroupTarget,
    document: &ParsedDocument,
    simple_mode: bool,
    writer: &Writer,
) -> Result<(GroupPlan, Option<ImportWarning>), ApigError> {
    match target {
        GroupTarget::Existing(raw) => {
            let not_found = || ApigError::group_not_found(raw);
            let id = Id::parse(raw).ok_or_else(not_found)?;
            let group = store.get_group(scope, &id).await?;
            let group = group.ok_or_else(not_found)?;
            Ok((GroupPlan::Existing(group), None))
        }
        GroupTarget::New => {
            let name = group_name(document.title.as_deref(), simple_mode)?;
            let (remark, cut) = group_description(document.description.as_deref());
            let now = crate::now_rfc3339();
            Ok((
                GroupPlan::Create(Group {
                    id: writer.group_id(),
                    name,
                    remark,
                    created_at: now.clone(),
                    updated_at: now,
                }),
                cut,
            ))
        }
    }
}

/// `info.description` as the group's description: public documents write long ones, so a
/// description over the limit is cut with a warning, never a reason to refuse the document
/// (`import-api.md` §5).
fn group_description(description: Option<&str>) -> (Option<String>, Option<ImportWarning>) {
    let Some(text) = description else {
        return (None, None);
    };
    let length = text.chars().count();
    if length <= MAX_GROUP_DESCRIPTION {
        return (Some(text.to_string()), None);
    }
    let warning = ImportWarning::document(
        WarningCode::DescriptionCut,
        format!(
            "info.description has {length} characters; the group's description keeps the first {MAX_GROUP_DESCRIPTION}"
        ),
    );
    (
        Some(text.chars().take(MAX_GROUP_DESCRIPTION).collect()),
        Some(warning),
    )
}

/// Store the planned group if it is new; the group the APIs go into.
pub async fn commit(
    store: &dyn Catalog,
    scope: &Scope,
    plan: GroupPlan,
    limits: &Limits,
    writer: &Writer,
) -> Result<Group, ApigError> {
    match plan {
        GroupPlan::Existing(group) => Ok(group),
        GroupPlan::Create(group) => {
            // Resumed: the group is there already (checked before the quota, which it counts
            // towards itself).
            if writer.created_group(&group.id) {
                if let Some(own) = store.get_group(scope, &group.id).await? {
                    if own.name == group.name {
                        return Ok(own);
                    }
                }
            }
            match store
                .create_group(scope, &group, limits.max_groups_per_instance)
                .await?
            {
                GroupCreate::Created => Ok(group),
                // The name is taken by the group an earlier run of this writer created.
                GroupCreate::NameTaken if writer.created_group(&group.id) => {
                    match store.get_group(scope, &group.id).await? {
                        Some(own) if own.name == group.name => Ok(own),
                        _ => Err(ApigError::new(
                            Code::Apig3201,
                            format!("name:{}", echo(group.name.as_str())),
                        )),
                    }
                }
                GroupCreate::NameTaken => Err(ApigError::new(
                    Code::Apig3201,
                    format!("name:{}", echo(group.name.as_str())),
                )),
                GroupCreate::QuotaReached => Err(ApigError::new(
                    Code::Apig3101,
                    format!("limit:{}", limits.max_groups_per_instance),
                )),
            }
        }
    }
}

/// The group name from `info.title`: as written in strict mode, repaired in simple mode.
fn group_name(title: Option<&str>, simple_mode: bool) -> Result<GroupName, ApigError> {
    let refuse = |why: String| {
        ApigError::with_message(
            Code::Apig2044,
            format!(
                "{},parameterName:info.title. {why}",
                Code::Apig2044.base_message()
            ),
        )
    };
    match title {
        None => Err(refuse(GroupNameError::Missing.to_string())),
        Some(title) if simple_mode && !title.is_empty() => Ok(GroupName::repair(title)),
        // Strict mode refuses what simple mode would repair: say so, with the result.
        Some(title) => GroupName::parse(title).map_err(|e| {
            let repaired = GroupName::repair(title);
            let hint = if title.is_empty() {
                String::new()
            } else if repaired.as_str().len() <= 64 {
                format!(
                    ". With simple_mode=true it is repaired: the group would be named {:?}",
                    repaired.as_str()
                )
            } else {
                ". With simple_mode=true it is repaired (each disallowed character becomes _, \
                 cut to 255 characters)"
                    .to_string()
            };
            refuse(format!("Title {title:?}: {e}{hint}", title = echo(title)))
        }),
    }
}
