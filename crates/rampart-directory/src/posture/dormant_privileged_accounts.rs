//! Privileged accounts that have not logged on for a long time.

use super::privilege::{affected, enabled_users, last_seen, Privilege};
use super::{mdi, pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct DormantPrivilegedAccounts;

static INFO: CheckInfo = CheckInfo {
    id: "dormant_privileged_accounts",
    title: "Dormant privileged accounts",
    severity: Severity::Medium,
    category: Category::StaleObjects,
    checks: "Enabled privileged user accounts whose lastLogonTimestamp (or, never used, \
             whenCreated) is older than 90 days (configurable) at snapshot time. \
             lastLogonTimestamp lags up to 14 days behind the real last logon.",
    why: "An admin account nobody uses is nobody's to notice: its password is old, its owner \
          may have left, and an attacker who gets it blends in.",
    fix: "Disable or delete the account, or remove it from the privileged groups; re-enable \
          on demand if it is a break-glass account (and watch its use).",
    equivalents: &[
        mdi("Remove dormant accounts from sensitive groups"),
        pingcastle("P-Inactive", "Inactive Domain Administrators"),
    ],
};

impl Check for DormantPrivilegedAccounts {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, cx: &PostureContext) -> CheckResult {
        let privilege = Privilege::of(dir);
        CheckResult::from_affected(
            enabled_users(dir)
                .filter_map(|u| {
                    let why = privilege.privileged(&u.dn)?;
                    let seen = last_seen(u)?;
                    let days = cx.days_since(seen);
                    (days > cx.dormant_admin_days).then(|| {
                        let what = if u.last_logon_timestamp.is_some() {
                            "last logon"
                        } else {
                            "never logged on; created"
                        };
                        affected(u, format!("{why}; {what} {days} days before the snapshot"))
                    })
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
    fn an_admin_unused_for_a_year_fails() {
        let mut d = dir();
        let u = user(&mut d, "adm_old", 1100, Uac::NORMAL_ACCOUNT);
        u.last_logon_timestamp = days_ago(365);
        user(&mut d, "adm_never", 1101, Uac::NORMAL_ACCOUNT).last_logon_timestamp = None;
        add_member(&mut d, "Domain Admins", &dn("adm_old"));
        add_member(&mut d, "Domain Admins", &dn("adm_never"));
        assert_eq!(
            failing(&run(&DormantPrivilegedAccounts, &d)),
            ["adm_never", "adm_old"]
        );
    }

    #[test]
    fn active_new_and_unprivileged_accounts_pass() {
        let mut d = dir();
        let u = user(&mut d, "adm_new", 1100, Uac::NORMAL_ACCOUNT);
        u.last_logon_timestamp = None;
        u.when_created = days_ago(3);
        add_member(&mut d, "Domain Admins", &dn("adm_new"));
        user(&mut d, "bob", 1101, Uac::NORMAL_ACCOUNT).last_logon_timestamp = days_ago(900);
        passes(&run(&DormantPrivilegedAccounts, &d));
    }
}
