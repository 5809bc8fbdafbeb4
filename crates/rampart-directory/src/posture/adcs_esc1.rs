//! AD CS ESC1: enrollee-supplied subject with client authentication.

use super::adcs::{self, published, NO_ADCS};
use super::privilege::Privilege;
use super::{
    mdi, pingcastle, Affected, Category, Check, CheckInfo, CheckResult, PostureContext, Severity,
};
use crate::model::{CertTemplate, Directory};

pub struct AdcsEsc1;

static INFO: CheckInfo = CheckInfo {
    id: "adcs_esc1",
    title: "AD CS ESC1: enrollee-supplied subject with client authentication",
    severity: Severity::Critical,
    category: Category::AdCs,
    checks: "Published certificate templates with ENROLLEE_SUPPLIES_SUBJECT (msPKI-Certificate-Name-Flag 1), an EKU that allows authentication (client auth, PKINIT, smart card logon, any purpose or none), no manager approval and no required signatures, that non-admins may enrol in.",
    why: "The enrollee writes any user principal name into the certificate, an administrator's included, and authenticates as that user with PKINIT: domain admin from any account, surviving password resets.",
    fix: "Clear 'Supply in the request' (or require CA manager approval), restrict enrolment to the accounts that need the template, or remove the authentication EKUs.",
    equivalents: &[mdi("Edit misconfigured certificate templates (ESC1)"), pingcastle("A-CertTempCustomSubject", "Enrollee-supplied subject on a template")],
};

fn vulnerable(t: &CertTemplate) -> Option<&'static str> {
    (t.enrollee_supplies_subject() && adcs::allows_authentication(t) && adcs::issued_unattended(t))
        .then_some("enrollee supplies the subject of an authentication certificate")
}

impl Check for AdcsEsc1 {
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
        template(&mut d, "Vuln", &[EKU_CLIENT_AUTH], 1);
        let r = run(&AdcsEsc1, &d);
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
        not_applicable(&run(&AdcsEsc1, &d));
        template(&mut d, "User", &[EKU_CLIENT_AUTH], 0);
        template(&mut d, "WebServer", &["1.3.6.1.5.5.7.3.1"], 1);
        let mut t = d.cert_templates[0].clone();
        t.name = "Approved".into();
        t.certificate_name_flag = Some(1);
        t.enrollment_flag = Some(2);
        d.cert_templates.push(t);
        d.enrollment_services[0]
            .certificate_templates
            .push("Approved".into());
        passes(&run(&AdcsEsc1, &d));
    }
}
