//! Which group the APIs go into: a new one named after `info.title`, or an existing one.

use super::options::GroupTarget;
use super::writer::Writer;
use crate::config::Limits;
use crate::error::{echo, ApigError, Code};
use crate::model::{Group, GroupName, GroupNameError, Id, ImportWarning, Scope, WarningCode};
use crate::spec::ParsedDocument;
use crate::store::{
    Catalog, GroupCreate, GroupLimits, QuotaHold, SharedCreate, SharedWriteOutcome,
};

const MAX_GROUP_DESCRIPTION: usize = 1000;

/// A group whose checks passed but which is not stored yet: building it writes nothing,
/// so every document-level error can still be answered with nothing written.
pub enum GroupPlan {
    Create(Group),
    Existing(Group),
}

/// A group the import writes into, once round trip 2 is done.
pub enum Committed {
    /// Created by this import, holding room for its creates already, with the outcomes of
    /// the shared objects created with it (in the order given).
    New(Group, QuotaHold, Vec<SharedWriteOutcome>),
    /// Stored before (by someone else, or by an earlier run of this task).
    Existing(Group),
}

/// Which group to read in the import's first round trip, together with the instance: the
/// target group, or the group an earlier run of this task may have created.
pub fn lookup(target: &GroupTarget, writer: &Writer) -> Option<Id> {
    match target {
        GroupTarget::Existing(raw) => Id::parse(raw),
        GroupTarget::New => writer.resumable_group(),
    }
}

/// The id of the group the APIs go into, as far as known before anything is read: the
/// target's, or `new_id` for a group the import creates.
pub fn target_id(target: &GroupTarget, new_id: &Id) -> Option<Id> {
    match target {
        GroupTarget::Existing(raw) => Id::parse(raw),
        GroupTarget::New => Some(new_id.clone()),
    }
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
    let stored = match target {
        GroupTarget::Existing(raw) => match Id::parse(raw) {
            Some(id) => store.get_group(scope, &id).await?,
            None => None,
        },
        GroupTarget::New => None,
    };
    plan_with(target, document, simple_mode, writer.group_id(), stored)
}

/// [`plan`] with the target group already read (`stored`: the group [`lookup`] names, if
/// it exists); `new_id` is the id of a group the import creates.
pub fn plan_with(
    target: &GroupTarget,
    document: &ParsedDocument,
    simple_mode: bool,
    new_id: Id,
    stored: Option<Group>,
) -> Result<(GroupPlan, Option<ImportWarning>), ApigError> {
    match target {
        GroupTarget::Existing(raw) => {
            let id = Id::parse(raw).ok_or_else(|| ApigError::group_not_found(raw))?;
            let group = stored
                .filter(|g| g.id == id)
                .ok_or_else(|| ApigError::group_not_found(raw))?;
            Ok((GroupPlan::Existing(group), None))
        }
        GroupTarget::New => {
            let name = group_name(document.title.as_deref(), simple_mode)?;
            let (remark, cut) = group_description(document.description.as_deref());
            let now = crate::now_rfc3339();
            Ok((
                GroupPlan::Create(Group {
                    id: new_id,
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

/// Store the planned group if it is new, with room for up to `creates` APIs held for this
/// import and the `shared` objects created in the same write; the group the APIs go into.
/// `own` is the group an earlier run of this task created, if round trip 1 found it.
#[allow(clippy::too_many_arguments)]
pub async fn commit(
    store: &dyn Catalog,
    scope: &Scope,
    plan: GroupPlan,
    limits: &Limits,
    writer: &Writer,
    creates: u64,
    shared: &[SharedCreate],
    own: Option<Group>,
) -> Result<Committed, ApigError> {
    let group = match plan {
        GroupPlan::Existing(group) => return Ok(Committed::Existing(group)),
        GroupPlan::Create(group) => group,
    };
    // Resumed: the group is there already (checked before the quota, which it counts
    // towards itself).
    if writer.created_group(&group.id) {
        if let Some(own) = own.filter(|own| own.id == group.id && own.name == group.name) {
            return Ok(Committed::Existing(own));
        }
    }
    let name_taken = || {
        ApigError::new(
            Code::Apig3201,
            format!("name:{}", echo(group.name.as_str())),
        )
    };
    let limits_of_group = GroupLimits {
        groups: limits.max_groups_per_instance,
        apis: limits.max_apis_per_group,
    };
    let created = store
        .create_group_holding(scope, &group, limits_of_group, creates, shared)
        .await?;
    match created.outcome {
        GroupCreate::Created => Ok(Committed::New(group, created.hold, created.shared)),
        // The name is taken by the group an earlier run of this writer created.
        GroupCreate::NameTaken if writer.created_group(&group.id) => {
            match store.get_group(scope, &group.id).await? {
                Some(own) if own.name == group.name => Ok(Committed::Existing(own)),
                _ => Err(name_taken()),
            }
        }
        GroupCreate::NameTaken => Err(name_taken()),
        GroupCreate::QuotaReached => Err(ApigError::new(
            Code::Apig3101,
            format!("limit:{}", limits.max_groups_per_instance),
        )),
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
