//! Trusts over which SID history from the other side is honoured.

use super::{
    pingcastle, Affected, Category, Check, CheckInfo, CheckResult, PostureContext, Severity,
};
use crate::model::Directory;

pub struct TrustSidFiltering;

static INFO: CheckInfo = CheckInfo {
    id: "trust_sid_filtering",
    title: "Trusts without SID filtering",
    severity: Severity::High,
    category: Category::Hygiene,
    checks: "Outbound or two-way trusts (the other side's accounts can authenticate here) that \
             are not within the forest and either are external trusts without quarantine \
             (trustAttributes 0x4) or forest trusts with SID history enabled (0x40).",
    why: "Without SID filtering an admin of the trusted domain (or anyone who compromises it) \
          puts this domain's Domain Admins SID in an account's SID history and is admin here \
          too: the trust becomes a path from the weakest domain.",
    fix: "Enable SID filtering (netdom trust /quarantine:yes for external trusts, \
          /enablesidhistory:no for forest trusts) unless a migration is in progress.",
    equivalents: &[pingcastle("T-SIDFiltering", "Trusts without SID filtering")],
};

impl Check for TrustSidFiltering {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        if dir.trusts.is_empty() {
            return CheckResult::not_applicable("the snapshot has no trusts");
        }
        CheckResult::from_affected(
            dir.trusts
                .iter()
                .filter(|t| t.direction.is_some_and(|d| d & 2 != 0) && !t.within_forest())
                .filter_map(|t| {
                    let why = if t.forest_transitive() {
                        t.sid_history_enabled()
                            .then_some("forest trust with SID history enabled")
                    } else {
                        (!t.quarantined()).then_some("external trust without quarantine")
                    }?;
                    Some(Affected::new(
                        &t.partner,
                        Some(&t.dn),
                        format!("{why} (trusted by {})", t.domain),
                    ))
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Trust;
    use crate::posture::testkit::*;

    fn trust(direction: u32, attributes: u32) -> Trust {
        Trust {
            domain: DOMAIN.into(),
            dn: format!("CN=partner.test,CN=System,{BASE}"),
            partner: "partner.test".into(),
            direction: Some(direction),
            trust_type: Some(2),
            trust_attributes: Some(attributes),
            ..Trust::default()
        }
    }

    #[test]
    fn unfiltered_external_and_sid_history_forest_trusts_fail() {
        let mut d = dir();
        d.trusts = vec![trust(3, 0)];
        assert_eq!(failing(&run(&TrustSidFiltering, &d)), ["partner.test"]);
        d.trusts = vec![trust(2, 0x8 | 0x40)];
        assert_eq!(failing(&run(&TrustSidFiltering, &d)), ["partner.test"]);
    }

    #[test]
    fn filtered_inbound_and_intra_forest_trusts_pass() {
        let mut d = dir();
        not_applicable(&run(&TrustSidFiltering, &d));
        d.trusts = vec![trust(3, 0x4), trust(2, 0x8), trust(1, 0), trust(3, 0x20)];
        passes(&run(&TrustSidFiltering, &d));
    }
}
