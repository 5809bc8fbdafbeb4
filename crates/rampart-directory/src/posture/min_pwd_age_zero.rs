//! Minimum password age of zero.

use super::privilege::per_domain;
use super::{Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct MinPwdAgeZero;

static INFO: CheckInfo = CheckInfo {
    id: "min_pwd_age_zero",
    title: "Minimum password age of zero",
    severity: Severity::Low,
    category: Category::Passwords,
    checks: "The domain's minPwdAge: 0 lets a user change a password again immediately.",
    why: "With no minimum age, password history is defeated by changing the password repeatedly until the old one is allowed again, so a compromised or expired password comes straight back.",
    fix: "Set minPwdAge to at least one day (Microsoft's baseline) in the Default Domain Policy.",
    equivalents: &[],
};

impl Check for MinPwdAgeZero {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        per_domain(dir, "the domain's minPwdAge is not in the snapshot", |d| {
            let age = d.policy.min_pwd_age?;
            Some(
                (age.seconds() == Some(0)).then(|| {
                    "minPwdAge=0: password history can be cycled through at once".to_string()
                }),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posture::testkit::*;

    #[test]
    fn weak_setting_fails() {
        let mut d = dir();
        d.domains[0].policy.min_pwd_age = Some(crate::time::Interval::Seconds(0));
        assert_eq!(failing(&run(&MinPwdAgeZero, &d)), [DOMAIN]);
    }

    #[test]
    fn recommended_setting_passes_and_unknown_does_not_apply() {
        let mut d = dir();
        passes(&run(&MinPwdAgeZero, &d));
        d.domains[0].policy.min_pwd_age = None;
        not_applicable(&run(&MinPwdAgeZero, &d));
    }
}
