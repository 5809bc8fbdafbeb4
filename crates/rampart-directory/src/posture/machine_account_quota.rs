//! Any user can join computers to the domain.

use super::privilege::per_domain;

use super::pingcastle;
use super::{Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct MachineAccountQuota;

static INFO: CheckInfo = CheckInfo {
    id: "machine_account_quota",
    title: "Any user can join computers to the domain",
    severity: Severity::Medium,
    category: Category::Hygiene,
    checks: "The domain's ms-DS-MachineAccountQuota above 0 (the default is 10).",
    why: "Every user can create machine accounts: an attacker with any account gets a principal with an SPN and a known password, the first step of resource-based delegation (RBCD) abuse, noPac and KrbRelayUp.",
    fix: "Set ms-DS-MachineAccountQuota to 0 and delegate 'Create computer objects' on the target OUs to the staff who join machines.",
    equivalents: &[pingcastle("S-ADRegistration", "Non-admin users can add up to 10 computers to a domain")],
};

impl Check for MachineAccountQuota {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        per_domain(
            dir,
            "the domain's ms-DS-MachineAccountQuota is not in the snapshot",
            |d| {
                let q = d.machine_account_quota?;
                Some((q > 0).then(|| format!("ms-DS-MachineAccountQuota={q}")))
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
        d.domains[0].machine_account_quota = Some(10);
        assert_eq!(failing(&run(&MachineAccountQuota, &d)), [DOMAIN]);
    }

    #[test]
    fn recommended_setting_passes_and_unknown_does_not_apply() {
        let mut d = dir();
        passes(&run(&MachineAccountQuota, &d));
        d.domains[0].machine_account_quota = None;
        not_applicable(&run(&MachineAccountQuota, &d));
    }
}
