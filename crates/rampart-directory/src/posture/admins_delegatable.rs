//! Privileged accounts whose credentials may be delegated.

use super::privilege::{affected, enabled_users, Privilege};
use super::{pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct AdminsDelegatable;

static INFO: CheckInfo = CheckInfo {
    id: "admins_delegatable",
    title: "Admins not marked \"sensitive and cannot be delegated\"",
    severity: Severity::Medium,
    category: Category::PrivilegedAccounts,
    checks: "Enabled privileged user accounts without NOT_DELEGATED (0x100000) that are not in \
             Protected Users (which has the same effect).",
    why: "A delegatable admin who connects to a host trusted for delegation leaves a usable TGT \
          there, and services with constrained delegation can impersonate the admin to their \
          targets: one compromised server becomes a domain admin session.",
    fix: "Set 'Account is sensitive and cannot be delegated' on every admin account (or add \
          them to Protected Users).",
    equivalents: &[pingcastle(
        "P-Delegated",
        "Administrator Accounts without the \"this account is sensitive and cannot be delegated\" flag",
    )],
};

impl Check for AdminsDelegatable {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let privilege = Privilege::of(dir);
        CheckResult::from_affected(
            enabled_users(dir)
                .filter(|u| !u.user_account_control.not_delegated())
                .filter_map(|u| {
                    let why = privilege.privileged(&u.dn)?;
                    (!privilege.in_protected_users(dir, &u.dn))
                        .then(|| affected(u, format!("{why}; NOT_DELEGATED not set")))
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
    fn a_delegatable_admin_fails() {
        let mut d = dir();
        user(&mut d, "adm_bob", 1100, Uac::NORMAL_ACCOUNT);
        add_member(&mut d, "Domain Admins", &dn("adm_bob"));
        assert_eq!(failing(&run(&AdminsDelegatable, &d)), ["adm_bob"]);
    }

    #[test]
    fn sensitive_admins_and_protected_users_pass() {
        let mut d = dir();
        user(
            &mut d,
            "adm_bob",
            1100,
            Uac::NORMAL_ACCOUNT | Uac::NOT_DELEGATED,
        );
        add_member(&mut d, "Domain Admins", &dn("adm_bob"));
        user(&mut d, "adm_eve", 1101, Uac::NORMAL_ACCOUNT);
        add_member(&mut d, "Domain Admins", &dn("adm_eve"));
        add_member(&mut d, "Protected Users", &dn("adm_eve"));
        passes(&run(&AdminsDelegatable, &d));
    }
}
