//! Passwords stored with reversible encryption (i.e. recoverable in clear).

use super::privilege::{affected, enabled};
use super::{
    mdi, pingcastle, Affected, Category, Check, CheckInfo, CheckResult, PostureContext, Severity,
};
use crate::model::Directory;

pub struct ReversiblePasswordEncryption;

static INFO: CheckInfo = CheckInfo {
    id: "reversible_password_encryption",
    title: "Passwords stored with reversible encryption",
    severity: Severity::High,
    category: Category::Passwords,
    checks: "Enabled accounts with ENCRYPTED_TEXT_PWD_ALLOWED (0x80), and domains whose \
             pwdProperties has DOMAIN_PASSWORD_STORE_CLEARTEXT (16).",
    why: "The DC keeps such passwords decryptable with a key in the directory itself: a DCSync \
          or a DC backup gives them in clear, ready for every other system the user shares \
          them with.",
    fix: "Clear 'Store password using reversible encryption' on the accounts and in the domain \
          policy, then have the users change their passwords (the stored value stays until \
          then).",
    equivalents: &[
        mdi("Unsecure account attributes"),
        pingcastle("S-Reversible", "Accounts with reversible encryption"),
    ],
};

impl Check for ReversiblePasswordEncryption {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let mut out: Vec<Affected> = dir
            .users
            .iter()
            .chain(dir.computers.iter())
            .filter(|p| enabled(p) && p.user_account_control.encrypted_text_pwd_allowed())
            .map(|p| affected(p, "ENCRYPTED_TEXT_PWD_ALLOWED"))
            .collect();
        for d in &dir.domains {
            if d.policy.reversible_encryption() == Some(true) {
                out.push(Affected::new(
                    &d.dns_name,
                    Some(&d.dn),
                    "domain policy stores passwords with reversible encryption",
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
    fn account_and_domain_policy_fail() {
        let mut d = dir();
        user(
            &mut d,
            "bob",
            1100,
            Uac::NORMAL_ACCOUNT | Uac::ENCRYPTED_TEXT_PWD_ALLOWED,
        );
        d.domains[0].policy.pwd_properties = Some(1 | 16);
        assert_eq!(
            failing(&run(&ReversiblePasswordEncryption, &d)),
            ["bob", DOMAIN]
        );
    }

    #[test]
    fn ordinary_accounts_pass() {
        let mut d = dir();
        user(&mut d, "bob", 1100, Uac::NORMAL_ACCOUNT);
        passes(&run(&ReversiblePasswordEncryption, &d));
    }
}
