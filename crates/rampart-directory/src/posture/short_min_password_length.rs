//! Minimum password length below 8.

use super::privilege::per_domain;

use super::pingcastle;
use super::{Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct ShortMinPasswordLength;

static INFO: CheckInfo = CheckInfo {
    id: "short_min_password_length",
    title: "Minimum password length below 8",
    severity: Severity::High,
    category: Category::Passwords,
    checks: "The domain's minPwdLength below 8 characters.",
    why: "Short passwords fall to guessing and to offline cracking of any hash or ticket in minutes; below 8 characters even complexity rules leave a search space a GPU exhausts.",
    fix: "Set minPwdLength to 14 (at least 8) in the Default Domain Policy, or use fine-grained password policies for groups that cannot change yet.",
    equivalents: &[pingcastle("A-MinPwdLen", "Password policy length is less than 8 characters")],
};

impl Check for ShortMinPasswordLength {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        per_domain(
            dir,
            "the domain's minPwdLength is not in the snapshot",
            |d| {
                let n = d.policy.min_pwd_length?;
                Some((n < 8).then(|| format!("minPwdLength={n}")))
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posture::testkit::*;

    #[test]
    fn weak_setting_fails() {
        let mut d = dir();
        d.domains[0].policy.min_pwd_length = Some(7);
        assert_eq!(failing(&run(&ShortMinPasswordLength, &d)), [DOMAIN]);
    }

    #[test]
    fn recommended_setting_passes_and_unknown_does_not_apply() {
        let mut d = dir();
        passes(&run(&ShortMinPasswordLength, &d));
        d.domains[0].policy.min_pwd_length = None;
        not_applicable(&run(&ShortMinPasswordLength, &d));
    }
}
