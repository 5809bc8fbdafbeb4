//! AD CS ESC8: NTLM relay to the CA's HTTP enrolment endpoints.

use super::adcs::{self, published, NO_ADCS};
use super::dc_config::{short_name, CaSettings};
use super::{
    mdi, pingcastle, Affected, Category, Check, CheckInfo, CheckResult, PostureContext, Severity,
};
use crate::model::{Directory, EnrollmentService};

pub struct AdcsEsc8;

static INFO: CheckInfo = CheckInfo {
    id: "adcs_esc8",
    title: "AD CS ESC8: NTLM relay to HTTP certificate enrolment",
    severity: Severity::High,
    category: Category::AdCs,
    checks: "Per enterprise CA: whether web enrolment (certsrv) or the Certificate Enrollment Web Service runs, and if so whether it is HTTPS-only with Extended Protection for Authentication. Read from the `[[ca]]` tables of the DC configuration input (IIS settings are not in the directory); not applicable without them. Names the published templates an authenticating machine could be issued.",
    why: "An attacker coerces a DC to authenticate (PetitPotam, the printer bug) and relays its NTLM to the CA's HTTP endpoint, which issues a certificate for the DC's machine account: PKINIT as the DC, then DCSync. No credential is needed and nothing is patched by resetting passwords.",
    fix: "Disable web enrolment and CES where unused; otherwise remove the HTTP binding (HTTPS only), require Extended Protection for Authentication in IIS, and disable NTLM on the endpoints (Negotiate:Kerberos).",
    equivalents: &[
        mdi("Ensure AD CS web enrollment is configured securely (ESC8)"),
        pingcastle("A-CertEnrollHttp", "HTTP certificate enrollment without EPA"),
    ],
};

/// The settings supplied for `ca`, by CA name or by its host.
fn settings_for<'a>(ca: &EnrollmentService, cas: &'a [CaSettings]) -> Option<&'a CaSettings> {
    cas.iter().find(|s| {
        s.name.trim().eq_ignore_ascii_case(ca.name.trim())
            || ca
                .dns_host_name
                .as_deref()
                .is_some_and(|h| short_name(h) == short_name(&s.name))
    })
}

/// `Some(Some(why))` weak, `Some(None)` safe, `None` not known.
fn verdict(s: &CaSettings) -> Option<Option<String>> {
    match s.web_enrollment? {
        false => Some(None),
        true => {
            let mut weak = Vec::new();
            if s.https_only == Some(false) {
                weak.push("answers on plain HTTP");
            }
            if s.extended_protection == Some(false) {
                weak.push("does not require Extended Protection for Authentication");
            }
            if !weak.is_empty() {
                Some(Some(format!("web enrolment {}", weak.join(" and "))))
            } else if s.https_only == Some(true) && s.extended_protection == Some(true) {
                Some(None)
            } else {
                None
            }
        }
    }
}

/// Where IIS on a CA host shows itself in the directory: an `HTTP/` SPN on its computer.
fn http_spn_hint(dir: &Directory) -> Option<String> {
    let hosts: Vec<String> = dir
        .enrollment_services
        .iter()
        .filter_map(|ca| {
            let host = ca.dns_host_name.as_deref()?;
            let c = dir.computers.iter().find(|c| {
                c.dns_host_name
                    .as_deref()
                    .is_some_and(|h| h.eq_ignore_ascii_case(host))
            })?;
            c.service_principal_names
                .iter()
                .any(|s| s.len() > 5 && s[..5].eq_ignore_ascii_case("http/"))
                .then(|| format!("{} ({host})", ca.name))
        })
        .collect();
    (!hosts.is_empty()).then(|| {
        format!(
            "; the host of {} has an HTTP/ SPN, a sign of IIS (web enrolment?)",
            hosts.join(", ")
        )
    })
}

impl Check for AdcsEsc8 {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, cx: &PostureContext) -> CheckResult {
        if dir.enrollment_services.is_empty() {
            return CheckResult::not_applicable(NO_ADCS);
        }
        let cas = cx
            .dc_config
            .as_ref()
            .map(|c| c.cas.as_slice())
            .unwrap_or_default();
        let auth_templates: Vec<&str> = published(dir)
            .filter(|t| adcs::allows_authentication(t))
            .map(|t| t.name.as_str())
            .collect();
        let mut known = 0;
        let mut out = Vec::new();
        for ca in &dir.enrollment_services {
            let Some(v) = settings_for(ca, cas).and_then(verdict) else {
                continue;
            };
            known += 1;
            if let Some(why) = v {
                let issued = if auth_templates.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; publishes authentication templates {}",
                        auth_templates.join(", ")
                    )
                };
                out.push(Affected::new(
                    &ca.name,
                    Some(&ca.dn),
                    format!("{why}{issued}"),
                ));
            }
        }
        if known == 0 {
            return CheckResult::not_applicable(format!(
                "web enrolment is IIS configuration on the CA host, not in the directory; supply it with --dc-config ([[ca]] tables){}",
                http_spn_hint(dir).unwrap_or_default()
            ));
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
    use crate::posture::DcConfig;

    fn with(cas: Vec<CaSettings>) -> PostureContext {
        let mut cx = cx();
        cx.dc_config = Some(DcConfig {
            cas,
            ..DcConfig::default()
        });
        cx
    }

    fn ca(name: &str, web: Option<bool>, https: Option<bool>, epa: Option<bool>) -> CaSettings {
        CaSettings {
            name: name.into(),
            web_enrollment: web,
            https_only: https,
            extended_protection: epa,
        }
    }

    #[test]
    fn http_enrolment_without_epa_fails() {
        let mut d = dir();
        template(&mut d, "Machine", &[EKU_CLIENT_AUTH], 0);
        let r = AdcsEsc8.run(
            &d,
            &with(vec![ca("corp-ca", Some(true), Some(false), Some(false))]),
        );
        assert_eq!(failing(&r), ["CORP-CA"]);
        let why = &r.affected[0].why;
        assert!(
            why.contains("plain HTTP") && why.contains("Extended Protection"),
            "{why}"
        );
        assert!(why.contains("Machine"), "{why}");
    }

    #[test]
    fn hardened_or_absent_web_enrolment_passes_and_unknown_does_not_apply() {
        let mut d = dir();
        not_applicable(&run(&AdcsEsc8, &d));
        template(&mut d, "Machine", &[EKU_CLIENT_AUTH], 0);
        // No settings supplied, or only a partial picture: the check cannot say.
        not_applicable(&run(&AdcsEsc8, &d));
        not_applicable(&AdcsEsc8.run(&d, &with(vec![ca("CORP-CA", Some(true), Some(true), None)])));
        not_applicable(&AdcsEsc8.run(
            &d,
            &with(vec![ca("OTHER-CA", Some(true), Some(false), Some(false))]),
        ));
        passes(&AdcsEsc8.run(&d, &with(vec![ca("CORP-CA", Some(false), None, None)])));
        passes(&AdcsEsc8.run(
            &d,
            &with(vec![ca("CORP-CA", Some(true), Some(true), Some(true))]),
        ));
    }

    #[test]
    fn settings_match_the_ca_by_its_host() {
        let mut d = dir();
        template(&mut d, "Machine", &[EKU_CLIENT_AUTH], 0);
        d.enrollment_services[0].dns_host_name = Some("pki01.corp.test".into());
        let r = AdcsEsc8.run(&d, &with(vec![ca("PKI01", Some(true), None, Some(false))]));
        assert_eq!(failing(&r), ["CORP-CA"]);
    }
}
