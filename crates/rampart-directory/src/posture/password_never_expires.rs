//! Enabled user accounts whose password never expires.

use super::privilege::{affected, enabled_users, service_account_reason, Privilege};
use super::{mdi, pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct PasswordNeverExpires;

static INFO: CheckInfo = CheckInfo {
    id: "password_never_expires",
    title: "Passwords that never expire",
    severity: Severity::Medium,
    category: Category::Passwords,
    checks: "Enabled user accounts with DONT_EXPIRE_PASSWORD (0x10000); each finding says \
             whether the account is privileged or looks like a service account, the ones that \
             matter most. Managed service accounts rotate by themselves and are not users here.",
    why: "A password that never changes stays valid wherever it leaked (a script, a spray hit, \
          a cracked ticket, a former employee) for as long as the account lives; service \
          accounts with such passwords are the classic foothold of lateral movement.",
    fix: "Move services to gMSAs; for the rest clear 'Password never expires' or enforce \
          rotation with a fine-grained password policy, after checking what uses the account.",
    equivalents: &[
        mdi("Unsecure account attributes"),
        pingcastle("S-PwdNeverExpires", "Accounts with never-expiring password"),
    ],
};

impl Check for PasswordNeverExpires {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let privilege = Privilege::of(dir);
        CheckResult::from_affected(
            enabled_users(dir)
                .filter(|u| u.user_account_control.dont_expire_password())
                .map(|u| {
                    let mut why = "DONT_EXPIRE_PASSWORD".to_string();
                    if let Some(p) = privilege.privileged(&u.dn) {
                        why.push_str(&format!("; privileged ({p})"));
                    }
                    if u.admin_count == Some(1) && privilege.privileged(&u.dn).is_none() {
                        why.push_str("; adminCount=1");
                    }
                    if let Some(s) = service_account_reason(u) {
                        why.push_str(&format!("; service account ({s})"));
                    }
                    affected(u, why)
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
    fn never_expiring_passwords_fail_with_context() {
        let mut d = dir();
        user(
            &mut d,
            "svc_sql",
            1100,
            Uac::NORMAL_ACCOUNT | Uac::DONT_EXPIRE_PASSWORD,
        );
        let r = run(&PasswordNeverExpires, &d);
        assert_eq!(failing(&r), ["svc_sql"]);
        assert!(r.affected[0].why.contains("service account"));
    }

    #[test]
    fn expiring_and_disabled_pass() {
        let mut d = dir();
        user(&mut d, "alice", 1100, Uac::NORMAL_ACCOUNT);
        user(
            &mut d,
            "Guest",
            501,
            Uac::NORMAL_ACCOUNT | Uac::DONT_EXPIRE_PASSWORD | Uac::ACCOUNTDISABLE,
        );
        passes(&run(&PasswordNeverExpires, &d));
    }
}
