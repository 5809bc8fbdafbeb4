//! Privileged accounts outside the Protected Users group.

use super::privilege::{affected, enabled_users, Privilege};
use super::{pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct ProtectedUsersUnused;

static INFO: CheckInfo = CheckInfo {
    id: "protected_users_unused",
    title: "Privileged accounts not in Protected Users",
    severity: Severity::Medium,
    category: Category::PrivilegedAccounts,
    checks: "Enabled privileged user accounts (the built-in Administrator excepted, as \
             Microsoft advises) that are not transitively members of Protected Users. Not \
             applicable below domain functional level 2012 R2, where DCs do not enforce the \
             group's protections, or when the snapshot has no Protected Users group.",
    why: "Protected Users members cannot use NTLM, DES or RC4, are never delegated, get \
          4-hour non-renewable TGTs and leave no cached credentials: pass-the-hash, \
          delegation abuse and offline cracking of their tickets stop working.",
    fix: "Add admin accounts (not service accounts, which would break) to Protected Users \
          after checking they do not need NTLM.",
    equivalents: &[pingcastle(
        "P-ProtectedUsers",
        "Privileged accounts not in the \"Protected Group\"",
    )],
};

impl Check for ProtectedUsersUnused {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        if !dir.groups.iter().any(|g| g.rid() == Some(525)) {
            return CheckResult::not_applicable("the snapshot has no Protected Users group");
        }
        if let Some(level) = dir
            .domains
            .iter()
            .filter_map(|d| d.functional_level)
            .min()
            .filter(|l| *l < 6)
        {
            return CheckResult::not_applicable(format!(
                "domain functional level {level} is below 2012 R2 (6): DCs do not enforce \
                 Protected Users (see domain_functional_level)"
            ));
        }
        let privilege = Privilege::of(dir);
        CheckResult::from_affected(
            enabled_users(dir)
                .filter(|u| u.rid() != Some(500))
                .filter_map(|u| {
                    let why = privilege.privileged(&u.dn)?;
                    (!privilege.in_protected_users(dir, &u.dn))
                        .then(|| affected(u, format!("{why}; not in Protected Users")))
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

    #[test]
    fn an_admin_outside_protected_users_fails() {
        let mut d = dir();
        user(&mut d, "adm_bob", 1100, Uac::NORMAL_ACCOUNT);
        add_member(&mut d, "Domain Admins", &dn("adm_bob"));
        assert_eq!(failing(&run(&ProtectedUsersUnused, &d)), ["adm_bob"]);
    }

    #[test]
    fn members_pass_and_old_levels_do_not_apply() {
        let mut d = dir();
        user(&mut d, "adm_bob", 1100, Uac::NORMAL_ACCOUNT);
        add_member(&mut d, "Domain Admins", &dn("adm_bob"));
        add_member(&mut d, "Protected Users", &dn("adm_bob"));
        passes(&run(&ProtectedUsersUnused, &d));
        d.domains[0].functional_level = Some(4);
        not_applicable(&run(&ProtectedUsersUnused, &d));
    }
}
