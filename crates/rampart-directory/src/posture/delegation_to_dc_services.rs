//! Constrained delegation whose targets are services of a domain controller (or krbtgt).

use super::dc_config::short_name;
use super::privilege::{affected, enabled};
use super::{mdi, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;
use std::collections::HashSet;

pub struct DelegationToDcServices;

static INFO: CheckInfo = CheckInfo {
    id: "delegation_to_dc_services",
    title: "Constrained delegation to domain controller services",
    severity: Severity::Critical,
    category: Category::Delegation,
    checks: "msDS-AllowedToDelegateTo entries of non-DC accounts that name a domain \
             controller's host (any service class: ldap/, cifs/, host/, gc/, …) or krbtgt.",
    why: "An account that may delegate to a DC's LDAP or CIFS service gets a ticket to the DC as \
          any user, an administrator included: DCSync or remote code on the DC. The service \
          class in a ticket is not protected, so delegation to any service of a DC is as good \
          as all of them; delegation to krbtgt yields TGTs for anyone.",
    fix: "Remove DC services and krbtgt from msDS-AllowedToDelegateTo; delegate to the \
          application's own back-end services only.",
    equivalents: &[mdi("Unsecure Kerberos delegation")],
};

/// Host part of an SPN (`ldap/dc1.corp.test/corp.test` → `dc1`), first DNS label.
fn spn_host(spn: &str) -> Option<(String, String)> {
    let (class, rest) = spn.split_once('/')?;
    let host = rest.split(['/', ':']).next()?;
    Some((class.to_ascii_lowercase(), short_name(host)))
}

impl Check for DelegationToDcServices {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let dcs: HashSet<String> = dir
            .computers
            .iter()
            .filter(|c| c.is_domain_controller())
            .flat_map(|c| {
                [
                    Some(short_name(&c.sam_account_name)),
                    c.dns_host_name.as_deref().map(short_name),
                ]
            })
            .flatten()
            .filter(|n| !n.is_empty())
            .collect();
        let mut out = Vec::new();
        for p in dir.computers.iter().chain(dir.users.iter()) {
            if !enabled(p) || p.is_domain_controller() {
                continue;
            }
            let bad: Vec<&str> = p
                .allowed_to_delegate_to
                .iter()
                .filter(|spn| {
                    spn_host(spn)
                        .is_some_and(|(class, host)| class == "krbtgt" || dcs.contains(&host))
                })
                .map(String::as_str)
                .collect();
            if !bad.is_empty() {
                out.push(affected(p, format!("may delegate to {}", bad.join(", "))));
            }
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
    fn delegation_to_a_dc_ldap_service_fails() {
        let mut d = dir();
        let c = computer(&mut d, "SRV-APP01", 1100, Uac::WORKSTATION_TRUST_ACCOUNT);
        c.allowed_to_delegate_to = vec!["ldap/dc1.corp.test".into(), "http/web".into()];
        let r = run(&DelegationToDcServices, &d);
        assert_eq!(failing(&r), ["SRV-APP01$"]);
        assert!(!r.affected[0].why.contains("http/web"));
        let u = user(&mut d, "svc_x", 1101, Uac::NORMAL_ACCOUNT);
        u.allowed_to_delegate_to = vec!["krbtgt/CORP.TEST".into()];
        assert_eq!(failing(&run(&DelegationToDcServices, &d)).len(), 2);
    }

    #[test]
    fn delegation_to_member_servers_passes() {
        let mut d = dir();
        let c = computer(&mut d, "SRV-APP01", 1100, Uac::WORKSTATION_TRUST_ACCOUNT);
        c.allowed_to_delegate_to = vec![
            "cifs/srv-file01.corp.test".into(),
            "MSSQLSvc/sql:1433".into(),
        ];
        passes(&run(&DelegationToDcServices, &d));
    }
}
