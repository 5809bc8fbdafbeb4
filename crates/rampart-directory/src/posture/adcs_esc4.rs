//! AD CS ESC4: certificate templates non-admins can modify.

use super::acl::{edge_affected, non_admin_edges, CONTROL_RIGHTS};
use super::adcs::NO_ADCS;
use super::privilege::Privilege;
use super::{mdi, pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::{dn_key, Directory};

pub struct AdcsEsc4;

static INFO: CheckInfo = CheckInfo {
    id: "adcs_esc4",
    title: "AD CS ESC4: certificate templates writable by non-admins",
    severity: Severity::Critical,
    category: Category::AdCs,
    checks: "ACL edges GenericAll, GenericWrite, WriteDacl, WriteOwner and ownership on \
             certificate templates whose trustee is not an admin, a DC or a system principal; \
             each finding says whether a CA publishes the template.",
    why: "Whoever can write a template turns it into ESC1 (enrollee-supplied subject, client \
          authentication, open enrolment), enrols as a Domain Admin and restores the template \
          afterwards.",
    fix: "Remove the ACE from the template; only PKI admins should be able to change \
          templates.",
    equivalents: &[
        mdi("Edit misconfigured certificate templates ACL (ESC4)"),
        pingcastle(
            "A-CertTempAnyone",
            "Certificate template can be modified by everyone",
        ),
    ],
};

impl Check for AdcsEsc4 {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        if dir.enrollment_services.is_empty() && dir.cert_templates.is_empty() {
            return CheckResult::not_applicable(NO_ADCS);
        }
        let privilege = Privilege::of(dir);
        let mut out = Vec::new();
        for e in non_admin_edges(dir, &privilege) {
            if !CONTROL_RIGHTS.contains(&e.right) {
                continue;
            }
            let key = dn_key(&e.target);
            if let Some(t) = dir.cert_templates.iter().find(|t| dn_key(&t.dn) == key) {
                let published = dir.enrollment_services.iter().any(|ca| {
                    ca.certificate_templates
                        .iter()
                        .any(|n| n.eq_ignore_ascii_case(&t.name))
                });
                let state = if published {
                    "published"
                } else {
                    "not published"
                };
                out.push(edge_affected(
                    &privilege,
                    &e,
                    &t.name,
                    format!("template {state}"),
                ));
            }
        }
        CheckResult::from_affected(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posture::adcs::testkit::*;
    use crate::posture::adcs::*;
    use crate::posture::testkit::*;
    use crate::sd::mask;

    #[test]
    fn a_template_writable_by_domain_users_fails() {
        let mut d = dir();
        template(&mut d, "Vuln", &[EKU_CLIENT_AUTH], 0);
        d.cert_templates[0].security_descriptor =
            sd(vec![allow(DOMAIN_USERS, mask::GENERIC_WRITE_MAPPED, None)]);
        let r = run(&AdcsEsc4, &d);
        assert_eq!(failing(&r), ["Vuln"]);
        assert_eq!(r.affected[0].principal.as_deref(), Some("Domain Users"));
    }

    #[test]
    fn enrol_only_templates_pass_and_no_adcs_does_not_apply() {
        let mut d = dir();
        not_applicable(&run(&AdcsEsc4, &d));
        template(&mut d, "User", &[EKU_CLIENT_AUTH], 0);
        passes(&run(&AdcsEsc4, &d));
    }
}
