//! User accounts with SPNs: their service tickets can be requested by anyone and cracked.

use super::privilege::{affected, enabled_users};
use super::{Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct KerberoastableUsers;

static INFO: CheckInfo = CheckInfo {
    id: "kerberoastable_users",
    title: "Kerberoastable user accounts",
    severity: Severity::High,
    category: Category::Kerberos,
    checks: "Enabled user (not computer) accounts with a servicePrincipalName; krbtgt excluded.",
    why: "Any domain user can request a service ticket for an SPN; it is encrypted with the \
          account's password key and cracked offline. A human-chosen service password falls \
          in hours, RC4 tickets faster still.",
    fix: "Use group managed service accounts (gMSA: 120-character rotating passwords), or give \
          the account a random 25+ character password and AES only; remove SPNs that are not \
          used.",
    equivalents: &[],
};

impl Check for KerberoastableUsers {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        CheckResult::from_affected(
            enabled_users(dir)
                .filter(|u| u.rid() != Some(502) && !u.service_principal_names.is_empty())
                .map(|u| affected(u, format!("SPN {}", u.service_principal_names.join(", "))))
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
    fn a_user_with_an_spn_fails() {
        let mut d = dir();
        let u = user(&mut d, "svc_sql", 1100, Uac::NORMAL_ACCOUNT);
        u.service_principal_names = vec!["MSSQLSvc/sql01:1433".into()];
        assert_eq!(failing(&run(&KerberoastableUsers, &d)), ["svc_sql"]);
    }

    #[test]
    fn disabled_users_computers_and_krbtgt_pass() {
        let mut d = dir(); // krbtgt has kadmin/changepw, DC1 has SPNs
        let u = user(
            &mut d,
            "old_svc",
            1100,
            Uac::NORMAL_ACCOUNT | Uac::ACCOUNTDISABLE,
        );
        u.service_principal_names = vec!["HTTP/old".into()];
        passes(&run(&KerberoastableUsers, &d));
    }
}
