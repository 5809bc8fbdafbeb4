//! No account lockout policy.

use super::privilege::per_domain;
use super::{Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct NoLockoutPolicy;

static INFO: CheckInfo = CheckInfo {
    id: "no_lockout_policy",
    title: "No account lockout policy",
    severity: Severity::Medium,
    category: Category::Passwords,
    checks: "The domain's lockoutThreshold: 0 means accounts never lock, however many wrong passwords are tried.",
    why: "Without lockout, online guessing (brute force against one account, spraying across all) is limited only by network speed and the audit log nobody reads; MDI and PingCastle both treat it as a basic control.",
    fix: "Set a lockout threshold (Microsoft's baseline: 10 attempts, 10-minute window and duration) in the Default Domain Policy; add fine-grained policies for accounts that need other values.",
    equivalents: &[],
};

impl Check for NoLockoutPolicy {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        per_domain(
            dir,
            "the domain's lockoutThreshold is not in the snapshot",
            |d| {
                let t = d.policy.lockout_threshold?;
                Some((t == 0).then(|| "lockoutThreshold=0: accounts never lock out".to_string()))
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
        d.domains[0].policy.lockout_threshold = Some(0);
        assert_eq!(failing(&run(&NoLockoutPolicy, &d)), [DOMAIN]);
    }

    #[test]
    fn recommended_setting_passes_and_unknown_does_not_apply() {
        let mut d = dir();
        passes(&run(&NoLockoutPolicy, &d));
        d.domains[0].policy.lockout_threshold = None;
        not_applicable(&run(&NoLockoutPolicy, &d));
    }
}
