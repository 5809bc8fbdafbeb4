//! What the ACL checks share: the rights that hand out control, and edges held by non-admins.

use super::privilege::Privilege;
use super::Affected;
use crate::model::{AclEdge, Directory};
use crate::sd::Right;

/// Rights that let the holder take the object over (or, for groups, add members).
pub const CONTROL_RIGHTS: &[Right] = &[
    Right::GenericAll,
    Right::GenericWrite,
    Right::WriteDacl,
    Right::WriteOwner,
    Right::Owns,
];

/// Every ACL edge whose trustee is not an admin, DC or system principal.
pub fn non_admin_edges(dir: &Directory, privilege: &Privilege) -> Vec<AclEdge> {
    dir.acl_edges()
        .into_iter()
        .filter(|e| !privilege.admin_trustee(&e.trustee))
        .collect()
}

/// An edge as an affected object: the target, held by the trustee.
pub fn edge_affected(
    privilege: &Privilege,
    edge: &AclEdge,
    target_name: &str,
    why: String,
) -> Affected {
    let how = if edge.inherited {
        "inherited"
    } else {
        "explicit"
    };
    Affected::new(
        target_name,
        Some(&edge.target),
        format!("{} ({how} ACE); {why}", edge.right.name()),
    )
    .held_by(privilege.sid_name(&edge.trustee))
}
