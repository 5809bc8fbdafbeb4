//! AD CS ESC3: enrolment agent templates open to users.

use super::adcs::{self, published, NO_ADCS};
use super::privilege::Privilege;
use super::{
    mdi, pingcastle, Affected, Category, Check, CheckInfo, CheckResult, PostureContext, Severity,
};
use crate::model::{CertTemplate, Directory};

pub struct AdcsEsc3;

static INFO: CheckInfo = CheckInfo {
    id: "adcs_esc3",
    title: "AD CS ESC3: enrolment agent templates open to users",
    severity: Severity::High,
    category: Category::AdCs,
    checks: "Published certificate templates with the Certificate Request Agent EKU, no manager approval and no required signatures, that non-admins may enrol in.",
    why: "An enrolment agent certificate lets its holder request certificates on behalf of any user from templates that accept agents: an authentication certificate for a Domain Admin.",
    fix: "Restrict enrolment in agent templates to the staff who enrol smart cards, and configure enrolment agent restrictions on the CA.",
    equivalents: &[mdi("Edit misconfigured enrollment agent certificate template (ESC3)"), pingcastle("A-CertTempAgent", "Certificate template can be used to issue agent certiticates to everyone")],
};

fn vulnerable(t: &CertTemplate) -> Option<&'static str> {
    (adcs::ekus(t).contains(&adcs::EKU_CERTIFICATE_REQUEST_AGENT) && adcs::issued_unattended(t))
        .then_some("Certificate Request Agent EKU")
}

impl Check for AdcsEsc3 {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        if dir.enrollment_services.is_empty() {
            return CheckResult::not_applicable(NO_ADCS);
        }
        let privilege = Privilege::of(dir);
        let mut out = Vec::new();
        for t in published(dir) {
            let Some(what) = vulnerable(t) else { continue };
            let Some(sd) = &t.security_descriptor else {
                continue;
            };
            let who = adcs::low_privileged_enrollees(&privilege, sd);
            if !who.is_empty() {
                out.push(Affected::new(
                    &t.name,
                    Some(&t.dn),
                    format!("{what}; enrolment open to {}", who.join(", ")),
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

    #[test]
    fn a_vulnerable_published_template_fails() {
        let mut d = dir();
        template(&mut d, "Vuln", &[EKU_CERTIFICATE_REQUEST_AGENT], 0);
        let r = run(&AdcsEsc3, &d);
        assert_eq!(failing(&r), ["Vuln"]);
        assert!(
            r.affected[0].why.contains("Domain Users"),
            "{:?}",
            r.affected
        );
    }

    #[test]
    fn safe_templates_pass_and_no_ca_does_not_apply() {
        let mut d = dir();
        not_applicable(&run(&AdcsEsc3, &d));
        template(&mut d, "User", &[EKU_CLIENT_AUTH], 0);
        passes(&run(&AdcsEsc3, &d));
    }
}
