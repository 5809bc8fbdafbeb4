//! Minimum password length below 14.

use super::privilege::per_domain;
use super::{Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct MinPasswordLengthBelow14;

static INFO: CheckInfo = CheckInfo {
    id: "min_password_length_below_14",
    title: "Minimum password length below 14",
    severity: Severity::Low,
    category: Category::Passwords,
    checks: "The domain's minPwdLength below 14 characters (Microsoft's and CIS's baseline).",
    why: "Every extra character multiplies the cost of cracking a stolen hash or ticket; 14 characters is the length at which offline cracking of human passwords stops being routine.",
    fix: "Raise minPwdLength to 14 (Windows Server 2022 and later accept more with the relaxed-limit setting) or enforce it with a fine-grained password policy.",
    equivalents: &[],
};

impl Check for MinPasswordLengthBelow14 {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        per_domain(
            dir,
            "the domain's minPwdLength is not in the snapshot",
            |d| {
                let n = d.policy.min_pwd_length?;
                Some((n < 14).then(|| format!("minPwdLength={n}")))
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
        d.domains[0].policy.min_pwd_length = Some(12);
        assert_eq!(failing(&run(&MinPasswordLengthBelow14, &d)), [DOMAIN]);
    }

    #[test]
    fn recommended_setting_passes_and_unknown_does_not_apply() {
        let mut d = dir();
        passes(&run(&MinPasswordLengthBelow14, &d));
        d.domains[0].policy.min_pwd_length = None;
        not_applicable(&run(&MinPasswordLengthBelow14, &d));
    }
}
