//! Privileged accounts with SPNs: a cracked service ticket is a domain admin password.

use super::privilege::{affected, enabled_users, Privilege};
use super::{pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct KerberoastablePrivileged;

static INFO: CheckInfo = CheckInfo {
    id: "kerberoastable_privileged",
    title: "Kerberoastable privileged accounts",
    severity: Severity::Critical,
    category: Category::Kerberos,
    checks: "Enabled users with a servicePrincipalName that are (transitively) in a tier-0 \
             group or are the built-in Administrator; krbtgt excluded.",
    why: "Kerberoasting needs only a domain user; if the cracked account is an admin the \
          attacker owns the domain without touching a DC.",
    fix: "Remove the SPN from the admin account and run the service under a gMSA without \
          administrative rights.",
    equivalents: &[pingcastle(
        "P-Kerberoasting",
        "Admin users vulnerable to Kerberoast attack",
    )],
};

impl Check for KerberoastablePrivileged {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let privilege = Privilege::of(dir);
        CheckResult::from_affected(
            enabled_users(dir)
                .filter(|u| u.rid() != Some(502) && !u.service_principal_names.is_empty())
                .filter_map(|u| {
                    let why = privilege.privileged(&u.dn)?;
                    Some(affected(
                        u,
                        format!("{why}; SPN {}", u.service_principal_names.join(", ")),
                    ))
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
    fn an_admin_with_an_spn_fails() {
        let mut d = dir();
        let u = user(&mut d, "svc_admin", 1100, Uac::NORMAL_ACCOUNT);
        u.service_principal_names = vec!["HTTP/app".into()];
        add_member(&mut d, "Domain Admins", &dn("svc_admin"));
        let r = run(&KerberoastablePrivileged, &d);
        assert_eq!(failing(&r), ["svc_admin"]);
        assert!(r.affected[0].why.contains("Domain Admins"));
    }

    #[test]
    fn a_non_admin_with_an_spn_passes() {
        let mut d = dir();
        let u = user(&mut d, "svc_web", 1100, Uac::NORMAL_ACCOUNT);
        u.service_principal_names = vec!["HTTP/app".into()];
        passes(&run(&KerberoastablePrivileged, &d));
    }
}
