//! Enabled accounts allowed an empty password (PASSWD_NOTREQD).

use super::privilege::{affected, enabled};
use super::{mdi, pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct PasswordNotRequired;

static INFO: CheckInfo = CheckInfo {
    id: "password_not_required",
    title: "Enabled accounts that may have an empty password",
    severity: Severity::High,
    category: Category::Passwords,
    checks: "Enabled user and computer accounts with PASSWD_NOTREQD (0x20). Disabled accounts \
             are left out: they cannot log on, and Windows and Samba provision the disabled \
             Guest with this flag by default; re-enabling an account is a change the audit log \
             records.",
    why: "The flag exempts the account from the password policy: it may be set to an empty \
          password by anyone allowed to reset it, or already have one, and then logs on with \
          none.",
    fix: "Clear the flag (Set-ADAccountControl -PasswordNotRequired $false) and set a password \
          that meets the policy.",
    equivalents: &[
        mdi("Unsecure account attributes"),
        pingcastle("S-PwdNotRequired", "Password not required"),
    ],
};

impl Check for PasswordNotRequired {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        CheckResult::from_affected(
            dir.users
                .iter()
                .chain(dir.computers.iter())
                .filter(|p| enabled(p) && p.user_account_control.passwd_notreqd())
                .map(|p| affected(p, "PASSWD_NOTREQD on an enabled account"))
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
    fn an_enabled_account_without_password_requirement_fails() {
        let mut d = dir();
        user(
            &mut d,
            "kiosk",
            1100,
            Uac::NORMAL_ACCOUNT | Uac::PASSWD_NOTREQD,
        );
        assert_eq!(failing(&run(&PasswordNotRequired, &d)), ["kiosk"]);
    }

    #[test]
    fn the_disabled_guest_passes() {
        let mut d = dir();
        user(
            &mut d,
            "Guest",
            501,
            Uac::NORMAL_ACCOUNT
                | Uac::PASSWD_NOTREQD
                | Uac::ACCOUNTDISABLE
                | Uac::DONT_EXPIRE_PASSWORD,
        );
        passes(&run(&PasswordNotRequired, &d));
    }
}
