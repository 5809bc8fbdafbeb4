//! AD CS ESC2: any-purpose or no-EKU templates.

use super::adcs::{self, published, NO_ADCS};
use super::privilege::Privilege;
use super::{mdi, Affected, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::{CertTemplate, Directory};

pub struct AdcsEsc2;

static INFO: CheckInfo = CheckInfo {
    id: "adcs_esc2",
    title: "AD CS ESC2: any-purpose or no-EKU templates",
    severity: Severity::High,
    category: Category::AdCs,
    checks: "Published certificate templates with the Any Purpose EKU or no EKU at all, no manager approval and no required signatures, that non-admins may enrol in.",
    why: "An any-purpose certificate authenticates as its subject and acts as an enrolment agent (ESC3); a no-EKU certificate is in effect a subordinate CA certificate an attacker can sign anything with where it is trusted.",
    fix: "Give the template the specific EKUs its use needs, or restrict enrolment to the accounts that need it.",
    equivalents: &[mdi("Edit overly permissive Certificate Template with privileged EKU (Any purpose EKU or No EKU) (ESC2)")],
};

fn vulnerable(t: &CertTemplate) -> Option<&'static str> {
    (adcs::any_purpose(t) && adcs::issued_unattended(t)).then_some("any purpose or no EKU")
}

impl Check for AdcsEsc2 {
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
        template(&mut d, "Vuln", &[EKU_ANY_PURPOSE], 0);
        let r = run(&AdcsEsc2, &d);
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
        not_applicable(&run(&AdcsEsc2, &d));
        template(&mut d, "User", &[EKU_CLIENT_AUTH], 0);
        passes(&run(&AdcsEsc2, &d));
    }
}
