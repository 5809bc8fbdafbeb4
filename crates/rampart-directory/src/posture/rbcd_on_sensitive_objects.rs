//! Resource-based constrained delegation configured on DCs, privileged accounts or krbtgt.

use super::privilege::{affected, Privilege};
use super::{mdi, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct RbcdOnSensitiveObjects;

static INFO: CheckInfo = CheckInfo {
    id: "rbcd_on_sensitive_objects",
    title: "Resource-based delegation on sensitive objects",
    severity: Severity::Critical,
    category: Category::Delegation,
    checks: "msDS-AllowedToActOnBehalfOfOtherIdentity on domain controllers, privileged \
             accounts and krbtgt: the principals it lets impersonate any user to them.",
    why: "Each listed principal can obtain a ticket to the object as any user (S4U2Self + \
          S4U2Proxy): on a DC that is domain compromise; on krbtgt it yields TGTs for anyone, a \
          persistence backdoor that survives password resets of the victims.",
    fix: "Clear msDS-AllowedToActOnBehalfOfOtherIdentity on the object (Set-ADComputer \
          -PrincipalsAllowedToDelegateToAccount $null) and find out who wrote it.",
    equivalents: &[mdi("Unsecure Kerberos delegation")],
};

impl Check for RbcdOnSensitiveObjects {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let privilege = Privilege::of(dir);
        let mut out = Vec::new();
        for p in dir.computers.iter().chain(dir.users.iter()) {
            if p.allowed_to_act.is_empty() {
                continue;
            }
            let what = if p.is_domain_controller() {
                "a domain controller".to_string()
            } else if p.rid() == Some(502) {
                "krbtgt".to_string()
            } else if let Some(why) = privilege.privileged(&p.dn) {
                format!("privileged ({why})")
            } else {
                continue;
            };
            let who: Vec<String> = p
                .allowed_to_act
                .iter()
                .map(|s| privilege.sid_name(s))
                .collect();
            out.push(affected(
                p,
                format!("{what}; may be impersonated to by {}", who.join(", ")),
            ));
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
    fn rbcd_on_a_dc_fails() {
        let mut d = dir();
        computer(&mut d, "EVIL", 1200, Uac::WORKSTATION_TRUST_ACCOUNT);
        d.computers[0].allowed_to_act = vec![format!("{DOM_SID}-1200")];
        let r = run(&RbcdOnSensitiveObjects, &d);
        assert_eq!(failing(&r), ["DC1$"]);
        assert!(r.affected[0].why.contains("EVIL$"), "{:?}", r.affected);
    }

    #[test]
    fn rbcd_on_an_ordinary_server_passes() {
        let mut d = dir();
        let c = computer(&mut d, "SRV-FILE01", 1200, Uac::WORKSTATION_TRUST_ACCOUNT);
        c.allowed_to_act = vec![format!("{DOM_SID}-1201")];
        passes(&run(&RbcdOnSensitiveObjects, &d));
    }
}
