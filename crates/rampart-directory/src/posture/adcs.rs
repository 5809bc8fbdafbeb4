//! What the AD CS checks share: which templates a CA publishes, who may enrol, which EKUs
//! allow authentication (after SpecterOps' "Certified Pre-Owned").

use super::privilege::Privilege;
use crate::model::{CertTemplate, Directory};
use crate::sd::{mask, SecurityDescriptor};

pub const EKU_CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";
pub const EKU_PKINIT_CLIENT: &str = "1.3.6.1.5.2.3.4";
pub const EKU_SMARTCARD_LOGON: &str = "1.3.6.1.4.1.311.20.2.2";
pub const EKU_ANY_PURPOSE: &str = "2.5.29.37.0";
pub const EKU_CERTIFICATE_REQUEST_AGENT: &str = "1.3.6.1.4.1.311.20.2.1";
/// Certificate-Enrollment and Certificate-AutoEnrollment extended rights.
const ENROLL: &str = "0e10c968-78fb-11d2-90d4-00c04f79dc55";
const AUTO_ENROLL: &str = "a05b8cc2-17bc-4802-a710-e7c15ab866a2";

/// Why the check cannot run, when the snapshot has no enterprise CA.
pub const NO_ADCS: &str = "no AD CS in the snapshot (no enterprise CA)";

/// The template's EKUs: the application policies of schema v2+ templates, else pKIExtendedKeyUsage.
pub fn ekus(t: &CertTemplate) -> Vec<&str> {
    let v: Vec<&str> = t.application_policies.iter().map(String::as_str).collect();
    if v.is_empty() {
        t.extended_key_usage.iter().map(String::as_str).collect()
    } else {
        v
    }
}

/// No EKU or Any Purpose: the certificate is good for anything, authentication included.
pub fn any_purpose(t: &CertTemplate) -> bool {
    let e = ekus(t);
    e.is_empty() || e.contains(&EKU_ANY_PURPOSE)
}

pub fn allows_authentication(t: &CertTemplate) -> bool {
    any_purpose(t)
        || ekus(t)
            .iter()
            .any(|e| [EKU_CLIENT_AUTH, EKU_PKINIT_CLIENT, EKU_SMARTCARD_LOGON].contains(e))
}

/// Issued without a CA manager's approval or an enrolment agent's signature.
pub fn issued_unattended(t: &CertTemplate) -> bool {
    !t.requires_manager_approval() && t.ra_signature.unwrap_or(0) == 0
}

/// The templates some enterprise CA of the snapshot publishes.
pub fn published(dir: &Directory) -> impl Iterator<Item = &CertTemplate> {
    dir.cert_templates.iter().filter(|t| {
        dir.enrollment_services.iter().any(|ca| {
            ca.certificate_templates
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&t.name))
        })
    })
}

/// Non-admin principals allowed to enrol (allow ACEs granting Enroll, AutoEnroll, all
/// extended rights or full control). Deny ACEs are not subtracted: an over-report names a
/// principal to look at, an under-report would hide one.
pub fn low_privileged_enrollees(privilege: &Privilege, sd: &SecurityDescriptor) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for ace in sd.dacl.iter().flatten() {
        if !ace.is_allow() || ace.is_inherit_only() || privilege.admin_trustee(&ace.trustee) {
            continue;
        }
        let full = ace.mask & mask::GENERIC_ALL != 0
            || ace.mask & mask::GENERIC_ALL_MAPPED == mask::GENERIC_ALL_MAPPED;
        let enroll = ace.mask & mask::CONTROL_ACCESS != 0
            && ace.object_type.as_deref().is_none_or(|g| {
                g.eq_ignore_ascii_case(ENROLL) || g.eq_ignore_ascii_case(AUTO_ENROLL)
            });
        if full || enroll {
            let name = privilege.sid_name(&ace.trustee);
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod testkit {
    use crate::model::{CertTemplate, Directory, EnrollmentService};
    use crate::posture::testkit::*;
    use crate::sd::mask;

    pub const DOMAIN_USERS: &str = "S-1-5-21-100-200-300-513";

    /// A published template enrollable by Domain Users.
    pub fn template(d: &mut Directory, name: &str, ekus: &[&str], name_flag: u32) {
        d.cert_templates.push(CertTemplate {
            domain: DOMAIN.into(),
            dn: format!("CN={name},CN=Certificate Templates,CN=Public Key Services,CN=Services,CN=Configuration,{BASE}"),
            name: name.into(),
            schema_version: Some(2),
            certificate_name_flag: Some(name_flag),
            enrollment_flag: Some(0),
            ra_signature: Some(0),
            application_policies: ekus.iter().map(|s| s.to_string()).collect(),
            security_descriptor: sd(vec![allow(
                DOMAIN_USERS,
                mask::CONTROL_ACCESS,
                Some("0e10c968-78fb-11d2-90d4-00c04f79dc55"),
            )]),
            ..CertTemplate::default()
        });
        if d.enrollment_services.is_empty() {
            d.enrollment_services.push(EnrollmentService {
                domain: DOMAIN.into(),
                dn: format!("CN=CORP-CA,CN=Enrollment Services,CN=Public Key Services,CN=Services,CN=Configuration,{BASE}"),
                name: "CORP-CA".into(),
                ..EnrollmentService::default()
            });
        }
        d.enrollment_services[0]
            .certificate_templates
            .push(name.into());
    }
}
