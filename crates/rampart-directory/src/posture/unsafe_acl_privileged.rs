//! Control over privileged accounts and groups held by non-admins.

use super::acl::{edge_affected, non_admin_edges, CONTROL_RIGHTS};
use super::privilege::Privilege;
use super::{mdi, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;
use crate::sd::Right;

pub struct UnsafeAclPrivileged;

/// Besides full control: adding members, and the writes that yield a principal's
/// credentials (shadow credentials, a roastable SPN, RBCD).
const RIGHTS: &[Right] = &[
    Right::AddMember,
    Right::AddSelf,
    Right::AllExtendedRights,
    Right::WriteSpn,
    Right::AddKeyCredentialLink,
    Right::AddAllowedToAct,
];

static INFO: CheckInfo = CheckInfo {
    id: "unsafe_acl_privileged",
    title: "Non-admins control privileged accounts or groups",
    severity: Severity::Critical,
    category: Category::Acls,
    checks: "ACL edges (GenericAll, GenericWrite, WriteDacl, WriteOwner, ownership, AddMember, \
             AddSelf, AllExtendedRights, WriteSPN, AddKeyCredentialLink, AddAllowedToAct) on \
             privileged users, computers and groups, nested groups included, whose trustee is \
             not itself an admin, a DC or a system principal. ForceChangePassword has its own \
             check.",
    why: "Whoever holds such a right becomes a domain admin in one step: adds itself to the \
          group, rewrites the account's DACL, sets shadow credentials or an SPN and roasts \
          it. These edges are the attack paths BloodHound draws.",
    fix: "Remove the ACE (check the object's DACL and, for inherited ones, its OU); \
          privileged objects should carry only the ACEs SDProp gives them.",
    equivalents: &[mdi("Riskiest lateral movement paths (LMP)")],
};

impl Check for UnsafeAclPrivileged {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let privilege = Privilege::of(dir);
        CheckResult::from_affected(
            non_admin_edges(dir, &privilege)
                .iter()
                .filter(|e| CONTROL_RIGHTS.contains(&e.right) || RIGHTS.contains(&e.right))
                .filter_map(|e| {
                    let why = privilege.privileged(&e.target)?;
                    let name = privilege.dn_name(&e.target)?;
                    Some(edge_affected(&privilege, e, name, format!("target {why}")))
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Uac;
    use crate::posture::testkit::*;
    use crate::sd::mask;

    #[test]
    fn generic_all_on_a_nested_admin_group_fails() {
        let mut d = dir();
        group(&mut d, "Tier0", &format!("{DOM_SID}-1200"));
        add_member(&mut d, "Domain Admins", &dn("Tier0"));
        group(&mut d, "IT-Support", &format!("{DOM_SID}-1201"));
        let g = d
            .groups
            .iter_mut()
            .find(|g| g.sam_account_name == "Tier0")
            .unwrap();
        g.security_descriptor = sd(vec![allow(
            &format!("{DOM_SID}-1201"),
            mask::GENERIC_ALL_MAPPED,
            None,
        )]);
        let r = run(&UnsafeAclPrivileged, &d);
        assert_eq!(failing(&r), ["Tier0"]);
        assert_eq!(r.affected[0].principal.as_deref(), Some("IT-Support"));
        assert!(r.affected[0].why.starts_with("GenericAll (explicit ACE)"));
    }

    #[test]
    fn admin_rights_and_rights_on_ordinary_objects_pass() {
        let mut d = dir();
        user(&mut d, "helpdesk", 1100, Uac::NORMAL_ACCOUNT);
        let u = user(&mut d, "bob", 1101, Uac::NORMAL_ACCOUNT);
        u.security_descriptor = sd(vec![allow(
            &format!("{DOM_SID}-1100"),
            mask::GENERIC_ALL_MAPPED,
            None,
        )]);
        let da = d.groups.iter_mut().find(|g| g.rid() == Some(512)).unwrap();
        da.security_descriptor = sd(vec![
            allow("S-1-5-32-548", mask::GENERIC_ALL_MAPPED, None), // Account Operators
            allow("S-1-5-18", mask::GENERIC_ALL_MAPPED, None),
        ]);
        passes(&run(&UnsafeAclPrivileged, &d));
    }
}
