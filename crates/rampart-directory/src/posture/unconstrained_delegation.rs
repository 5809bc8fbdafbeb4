//! Unconstrained delegation on accounts that are not domain controllers.

use super::privilege::{affected, enabled};
use super::{mdi, pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct UnconstrainedDelegation;

static INFO: CheckInfo = CheckInfo {
    id: "unconstrained_delegation",
    title: "Unconstrained delegation on non-DC accounts",
    severity: Severity::Critical,
    category: Category::Delegation,
    checks: "Enabled computer and user accounts other than domain controllers whose \
             userAccountControl has TRUSTED_FOR_DELEGATION (0x80000).",
    why: "Every user who authenticates to such a host leaves a forwardable TGT in its memory. \
          Whoever controls the host takes those TGTs and impersonates the users anywhere; with \
          the printer bug or PetitPotam an attacker makes a DC authenticate to it and gets a DC \
          TGT, i.e. DCSync.",
    fix: "Replace it with constrained or resource-based constrained delegation to the services \
          actually needed, then clear 'Trust this computer for delegation to any service'. Put \
          admins in Protected Users or mark them sensitive so their TGTs are never delegated.",
    equivalents: &[
        mdi("Unsecure Kerberos delegation"),
        pingcastle("P-UnconstrainedDelegation", "Unconstrained delegation"),
    ],
};

impl Check for UnconstrainedDelegation {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        CheckResult::from_affected(
            dir.computers
                .iter()
                .chain(dir.users.iter())
                .filter(|p| enabled(p) && !p.is_domain_controller())
                .filter(|p| p.user_account_control.trusted_for_delegation())
                .map(|p| affected(p, "TRUSTED_FOR_DELEGATION (unconstrained)"))
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
    fn a_delegating_server_fails_and_dcs_do_not() {
        let mut d = dir();
        computer(
            &mut d,
            "SRV-WEB01",
            1100,
            Uac::WORKSTATION_TRUST_ACCOUNT | Uac::TRUSTED_FOR_DELEGATION,
        );
        assert_eq!(failing(&run(&UnconstrainedDelegation, &d)), ["SRV-WEB01$"]);
    }

    #[test]
    fn dcs_and_disabled_accounts_pass() {
        let mut d = dir(); // DC1 delegates, as every DC does
        computer(
            &mut d,
            "OLD",
            1101,
            Uac::WORKSTATION_TRUST_ACCOUNT | Uac::TRUSTED_FOR_DELEGATION | Uac::ACCOUNTDISABLE,
        );
        passes(&run(&UnconstrainedDelegation, &d));
    }
}
