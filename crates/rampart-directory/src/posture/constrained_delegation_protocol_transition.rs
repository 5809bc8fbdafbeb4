//! Constrained delegation with protocol transition (S4U2Self to any user, then S4U2Proxy).

use super::privilege::{affected, enabled};
use super::{mdi, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct ConstrainedDelegationProtocolTransition;

static INFO: CheckInfo = CheckInfo {
    id: "constrained_delegation_protocol_transition",
    title: "Constrained delegation with protocol transition",
    severity: Severity::High,
    category: Category::Delegation,
    checks: "Enabled non-DC accounts with TRUSTED_TO_AUTH_FOR_DELEGATION (0x1000000), i.e. \
             'use any authentication protocol', and their msDS-AllowedToDelegateTo targets.",
    why: "With protocol transition the account obtains a ticket to its delegation targets as \
          any user, Domain Admins included, without that user ever authenticating. Whoever \
          holds the account's key owns the target services (and, since the service name in \
          the ticket is not protected, every other service of the target host).",
    fix: "Switch to 'use Kerberos only' unless the application needs protocol transition; \
          limit msDS-AllowedToDelegateTo to the services required; mark admins sensitive or \
          add them to Protected Users so they cannot be impersonated.",
    equivalents: &[mdi("Unsecure Kerberos delegation")],
};

impl Check for ConstrainedDelegationProtocolTransition {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        CheckResult::from_affected(
            dir.computers
                .iter()
                .chain(dir.users.iter())
                .filter(|p| enabled(p) && !p.is_domain_controller())
                .filter(|p| p.user_account_control.trusted_to_auth_for_delegation())
                .map(|p| {
                    let targets = if p.allowed_to_delegate_to.is_empty() {
                        "no msDS-AllowedToDelegateTo".to_string()
                    } else {
                        p.allowed_to_delegate_to.join(", ")
                    };
                    affected(p, format!("protocol transition to {targets}"))
                })
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
    fn protocol_transition_fails() {
        let mut d = dir();
        let c = computer(
            &mut d,
            "SRV-APP01",
            1100,
            Uac::WORKSTATION_TRUST_ACCOUNT | Uac::TRUSTED_TO_AUTH_FOR_DELEGATION,
        );
        c.allowed_to_delegate_to = vec!["cifs/srv-file01.corp.test".into()];
        let r = run(&ConstrainedDelegationProtocolTransition, &d);
        assert_eq!(failing(&r), ["SRV-APP01$"]);
        assert!(r.affected[0].why.contains("cifs/srv-file01"));
    }

    #[test]
    fn kerberos_only_constrained_delegation_passes() {
        let mut d = dir();
        let c = computer(&mut d, "SRV-APP02", 1101, Uac::WORKSTATION_TRUST_ACCOUNT);
        c.allowed_to_delegate_to = vec!["cifs/srv-file01.corp.test".into()];
        passes(&run(&ConstrainedDelegationProtocolTransition, &d));
    }
}
