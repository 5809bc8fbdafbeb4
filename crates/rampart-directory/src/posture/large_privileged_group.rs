//! Too many accounts with domain-admin rights.

use super::privilege::Privilege;
use super::{
    pingcastle, Affected, Category, Check, CheckInfo, CheckResult, PostureContext, Severity,
};
use crate::model::{dn_key, Directory};
use std::collections::HashSet;

pub struct LargePrivilegedGroup;

static INFO: CheckInfo = CheckInfo {
    id: "large_privileged_group",
    title: "Too many members in admin groups",
    severity: Severity::Medium,
    category: Category::PrivilegedAccounts,
    checks: "Enabled user accounts that are transitively members of Domain Admins, Enterprise \
             Admins or Administrators, per group; fails above 10 (configurable).",
    why: "Every admin account is a credential whose theft ends the game; beyond a handful they \
          are used for daily work, logged on to ordinary machines, and no longer reviewed.",
    fix: "Reduce the groups to the few people who administer the domain itself; delegate \
          everything else (helpdesk, server and application admins) with scoped permissions.",
    equivalents: &[pingcastle(
        "P-AdminNum",
        "Large Number of users in Admins group",
    )],
};

/// Domain Admins, Enterprise Admins, Administrators.
fn is_admin_group(sid: &str) -> bool {
    sid == "S-1-5-32-544"
        || (sid.starts_with("S-1-5-21-") && (sid.ends_with("-512") || sid.ends_with("-519")))
}

impl Check for LargePrivilegedGroup {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, cx: &PostureContext) -> CheckResult {
        let privilege = Privilege::of(dir);
        let enabled_users: HashSet<String> = dir
            .users
            .iter()
            .filter(|u| !u.user_account_control.disabled())
            .map(|u| dn_key(&u.dn))
            .collect();
        let mut out = Vec::new();
        for g in &dir.groups {
            if !g.object_sid.as_deref().is_some_and(is_admin_group) {
                continue;
            }
            let n = privilege
                .transitive_members(&g.dn)
                .iter()
                .filter(|m| enabled_users.contains(*m))
                .count();
            if n > cx.large_group_threshold {
                out.push(Affected::new(
                    &g.sam_account_name,
                    Some(&g.dn),
                    format!(
                        "{n} enabled user accounts (threshold {})",
                        cx.large_group_threshold
                    ),
                ));
            }
        }
        CheckResult::from_affected(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Uac;
    use crate::posture::testkit::*;

    #[test]
    fn eleven_nested_admins_fail() {
        let mut d = dir();
        group(&mut d, "Tier0", &format!("{DOM_SID}-1200"));
        add_member(&mut d, "Domain Admins", &dn("Tier0"));
        for i in 0..10 {
            let name = format!("adm{i}");
            user(&mut d, &name, 1300 + i, Uac::NORMAL_ACCOUNT);
            add_member(&mut d, "Tier0", &dn(&name));
        }
        // Administrator + 10: Domain Admins and (through it) Administrators.
        assert_eq!(
            failing(&run(&LargePrivilegedGroup, &d)),
            ["Administrators", "Domain Admins"]
        );
    }

    #[test]
    fn ten_admins_and_disabled_ones_pass() {
        let mut d = dir();
        for i in 0..9 {
            let name = format!("adm{i}");
            user(&mut d, &name, 1300 + i, Uac::NORMAL_ACCOUNT);
            add_member(&mut d, "Domain Admins", &dn(&name));
        }
        user(
            &mut d,
            "gone",
            1400,
            Uac::NORMAL_ACCOUNT | Uac::ACCOUNTDISABLE,
        );
        add_member(&mut d, "Domain Admins", &dn("gone"));
        passes(&run(&LargePrivilegedGroup, &d));
    }
}
