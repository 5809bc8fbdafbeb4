//! Computers whose local administrator password LAPS does not manage.

use super::privilege::{affected, enabled};
use super::{
    mdi, pingcastle, Affected, Category, Check, CheckInfo, CheckResult, PostureContext, Severity,
};
use crate::model::Directory;

pub struct LapsAbsent;

static INFO: CheckInfo = CheckInfo {
    id: "laps_absent",
    title: "Local administrator passwords not managed by LAPS",
    severity: Severity::Medium,
    category: Category::Hygiene,
    checks: "Whether the LAPS schema attributes exist (ms-Mcs-AdmPwd, msLAPS-Password, \
             msLAPS-EncryptedPassword) and which enabled non-DC computers carry a LAPS \
             password expiry. Without schema information (an LDIF export that did not include \
             the schema) and with no computer carrying an expiry, the snapshot cannot tell: \
             not applicable. A live LDAP collection reads the schema, so there an absent \
             schema means LAPS is not deployed.",
    why: "Without LAPS, local administrator passwords are set once by an image or a script and \
          shared by many machines: one machine's hash (pass-the-hash) opens all the others.",
    fix: "Deploy Windows LAPS (built into current Windows; Update-LapsADSchema, then a GPO or \
          Intune policy) and let it rotate every computer's local administrator password.",
    equivalents: &[
        mdi("Microsoft LAPS usage"),
        pingcastle(
            "A-LAPS-Not-Installed",
            "Local Administration Password Solution (LAPS) not implemented",
        ),
    ],
};

impl Check for LapsAbsent {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let schema_known = !dir.laps_attribute_guids.is_empty();
        let any_laps = dir.computers.iter().any(|c| c.has_laps());
        let live = dir
            .sources
            .iter()
            .any(|s| s.starts_with("ldap://") || s.starts_with("ldaps://"));
        if !schema_known && !any_laps {
            if live {
                return CheckResult::from_affected(
                    dir.domains
                        .iter()
                        .map(|d| {
                            Affected::new(
                                &d.dns_name,
                                Some(&d.dn),
                                "no LAPS attribute in the schema: LAPS is not deployed",
                            )
                        })
                        .collect(),
                );
            }
            return CheckResult::not_applicable(
                "no computer has a LAPS expiry and the snapshot has no schema information: \
                 LAPS is either absent or was not collected",
            );
        }
        CheckResult::from_affected(
            dir.computers
                .iter()
                .filter(|c| enabled(c) && !c.is_domain_controller() && !c.has_laps())
                .map(|c| affected(c, "no LAPS password expiry: local admin password unmanaged"))
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
    fn computers_without_laps_fail_and_a_live_domain_without_schema_fails() {
        let mut d = dir();
        computer(&mut d, "WS01", 1100, Uac::WORKSTATION_TRUST_ACCOUNT); // has LAPS
        computer(&mut d, "WS02", 1101, Uac::WORKSTATION_TRUST_ACCOUNT).laps_expiration = None;
        assert_eq!(failing(&run(&LapsAbsent, &d)), ["WS02$"]);
        let mut d = dir();
        d.sources = vec!["ldap://dc1.corp.test".into()];
        assert_eq!(failing(&run(&LapsAbsent, &d)), [DOMAIN]);
    }

    #[test]
    fn managed_computers_pass_and_an_export_without_schema_does_not_apply() {
        let mut d = dir();
        computer(&mut d, "WS01", 1100, Uac::WORKSTATION_TRUST_ACCOUNT);
        passes(&run(&LapsAbsent, &d));
        let mut d = dir();
        computer(&mut d, "WS02", 1101, Uac::WORKSTATION_TRUST_ACCOUNT).laps_expiration = None;
        not_applicable(&run(&LapsAbsent, &d));
    }
}
