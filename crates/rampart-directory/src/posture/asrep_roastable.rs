//! Accounts that do not require Kerberos pre-authentication (AS-REP roasting).

use super::privilege::affected;
use super::{mdi, pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct AsrepRoastable;

static INFO: CheckInfo = CheckInfo {
    id: "asrep_roastable",
    title: "Accounts without Kerberos pre-authentication",
    severity: Severity::High,
    category: Category::Kerberos,
    checks: "User accounts whose userAccountControl has DONT_REQ_PREAUTH (0x400000). Disabled \
             accounts are reported too (noted as such): the flag is a weakness waiting for the \
             account to be re-enabled.",
    why: "Without pre-authentication the KDC answers an AS-REQ for the account from anyone, \
          with a reply encrypted by the account's password key: an offline cracking target \
          that needs no credentials at all.",
    fix: "Clear 'Do not require Kerberos preauthentication' (Set-ADAccountControl \
          -DoesNotRequirePreAuth $false); if a legacy client needs it, give the account a long \
          random password and no privileges.",
    equivalents: &[
        mdi("Unsecure account attributes"),
        pingcastle("S-NoPreAuth", "Kerberos Preauthentication Not Required"),
    ],
};

impl Check for AsrepRoastable {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        CheckResult::from_affected(
            dir.users
                .iter()
                .filter(|u| !u.is_computer() && u.user_account_control.dont_req_preauth())
                .map(|u| {
                    let state = if u.user_account_control.disabled() {
                        " (account disabled: roastable once re-enabled)"
                    } else {
                        ""
                    };
                    affected(u, format!("DONT_REQ_PREAUTH{state}"))
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
    fn dont_req_preauth_fails_and_disabled_is_noted() {
        let mut d = dir();
        user(
            &mut d,
            "svc_backup",
            1100,
            Uac::NORMAL_ACCOUNT | Uac::DONT_REQ_PREAUTH,
        );
        user(
            &mut d,
            "old",
            1101,
            Uac::NORMAL_ACCOUNT | Uac::DONT_REQ_PREAUTH | Uac::ACCOUNTDISABLE,
        );
        let r = run(&AsrepRoastable, &d);
        assert_eq!(failing(&r), ["old", "svc_backup"]);
        assert!(r.affected[0].why.contains("disabled"));
    }

    #[test]
    fn pre_authenticating_accounts_pass() {
        let mut d = dir();
        user(&mut d, "alice", 1100, Uac::NORMAL_ACCOUNT);
        passes(&run(&AsrepRoastable, &d));
    }
}
