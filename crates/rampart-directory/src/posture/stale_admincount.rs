//! adminCount=1 left on objects no longer in a protected group.

use super::privilege::{display_name, Privilege};
use super::{
    pingcastle, Affected, Category, Check, CheckInfo, CheckResult, PostureContext, Severity,
};
use crate::model::Directory;

pub struct StaleAdminCount;

static INFO: CheckInfo = CheckInfo {
    id: "stale_admincount",
    title: "adminCount=1 on objects outside protected groups",
    severity: Severity::Medium,
    category: Category::PrivilegedAccounts,
    checks: "Users, computers and groups with adminCount=1 that are not themselves protected \
             by SDProp (the protected groups, Administrator, krbtgt) and not transitively a \
             member of a protected group.",
    why: "adminCount is never cleared when an account leaves an admin group: the account keeps \
          AdminSDHolder's DACL with inheritance off, so delegated helpdesk rights do not reach \
          it, and it usually is a former admin whose rights may still linger elsewhere. \
          Attackers look for it to find old admin accounts.",
    fix: "Confirm the account no longer needs privileges, clear adminCount and re-enable \
          inheritance on its DACL; disable former admin accounts that are not used.",
    equivalents: &[pingcastle(
        "A-AdminSDHolder",
        "Check for suspicious account(s) used in administrator activities",
    )],
};

impl Check for StaleAdminCount {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let privilege = Privilege::of(dir);
        let principals = dir
            .users
            .iter()
            .chain(dir.computers.iter())
            .map(|p| (p.admin_count, &p.sam_account_name, &p.dn));
        let groups = dir
            .groups
            .iter()
            .map(|g| (g.admin_count, &g.sam_account_name, &g.dn));
        CheckResult::from_affected(
            principals
                .chain(groups)
                .filter(|(ac, _, dn)| *ac == Some(1) && !privilege.protected(dn))
                .map(|(_, sam, dn)| {
                    Affected::new(
                        display_name(sam, dn),
                        Some(dn),
                        "adminCount=1 but in no protected group",
                    )
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
    fn a_former_admin_fails() {
        let mut d = dir();
        user(&mut d, "adm_legacy", 1100, Uac::NORMAL_ACCOUNT).admin_count = Some(1);
        assert_eq!(failing(&run(&StaleAdminCount, &d)), ["adm_legacy"]);
    }

    #[test]
    fn current_admins_nested_admins_and_krbtgt_pass() {
        let mut d = dir(); // Administrator and krbtgt carry adminCount=1
        group(&mut d, "Tier0", &format!("{DOM_SID}-1200")).admin_count = Some(1);
        add_member(&mut d, "Domain Admins", &dn("Tier0"));
        user(&mut d, "adm_bob", 1100, Uac::NORMAL_ACCOUNT).admin_count = Some(1);
        add_member(&mut d, "Tier0", &dn("adm_bob"));
        user(&mut d, "svc_backup", 1101, Uac::NORMAL_ACCOUNT).admin_count = Some(1);
        add_member(&mut d, "Backup Operators", &dn("svc_backup"));
        passes(&run(&StaleAdminCount, &d));
    }
}
