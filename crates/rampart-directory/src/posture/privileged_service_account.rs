//! Service accounts that are members of privileged groups.

use super::privilege::{affected, enabled_users, service_account_reason, Privilege};
use super::{pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct PrivilegedServiceAccount;

static INFO: CheckInfo = CheckInfo {
    id: "privileged_service_account",
    title: "Service accounts in privileged groups",
    severity: Severity::High,
    category: Category::PrivilegedAccounts,
    checks: "Enabled users that look like service accounts (an SPN, a svc/sa_/service name, an \
             OU for service accounts) and are transitively in a tier-0 group (Domain Admins, \
             Administrators, Backup/Account/Server/Print Operators, …).",
    why: "Service account passwords are stored on servers, in scripts and in configuration, \
          rarely change and are often Kerberoastable or AS-REP roastable: the easiest tier-0 \
          credential to steal. Backup Operators alone can read the NTDS database.",
    fix: "Give the service only the rights it needs (delegated permissions, not group \
          membership); run it under a gMSA; if it must stay privileged, treat it as tier 0 \
          (Protected Users, no SPN, logon restricted to its servers).",
    equivalents: &[pingcastle(
        "P-ServiceDomainAdmin",
        "Presence of service accounts in the domain admin group",
    )],
};

impl Check for PrivilegedServiceAccount {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let privilege = Privilege::of(dir);
        CheckResult::from_affected(
            enabled_users(dir)
                .filter(|u| u.rid() != Some(502) && u.rid() != Some(500))
                .filter_map(|u| {
                    let why = privilege.privileged(&u.dn)?;
                    let svc = service_account_reason(u)?;
                    Some(affected(u, format!("{why}; service account: {svc}")))
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
    fn a_service_account_in_backup_operators_fails() {
        let mut d = dir();
        user(&mut d, "svc_backup", 1100, Uac::NORMAL_ACCOUNT);
        add_member(&mut d, "Backup Operators", &dn("svc_backup"));
        let r = run(&PrivilegedServiceAccount, &d);
        assert_eq!(failing(&r), ["svc_backup"]);
        assert!(r.affected[0].why.contains("Backup Operators"));
    }

    #[test]
    fn personal_admins_and_unprivileged_services_pass() {
        let mut d = dir();
        user(&mut d, "adm_alice", 1100, Uac::NORMAL_ACCOUNT);
        add_member(&mut d, "Domain Admins", &dn("adm_alice"));
        user(&mut d, "svc_web", 1101, Uac::NORMAL_ACCOUNT);
        passes(&run(&PrivilegedServiceAccount, &d));
    }
}
