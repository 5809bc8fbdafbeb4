//! LDAP signing not required on DCs (from the DC configuration input).

use super::dc_config::judge_dcs;
use super::{pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct LdapSigningNotRequired;

static INFO: CheckInfo = CheckInfo {
    id: "ldap_signing_not_required",
    title: "LDAP signing not required on DCs",
    severity: Severity::High,
    category: Category::DcConfiguration,
    checks: "Per DC: whether LDAP signing is required (LDAPServerIntegrity=2 on Windows; on Samba, ldap server require strong auth other than no). Read from the DC configuration input; not applicable without it.",
    why: "A DC that accepts unsigned LDAP binds lets a man in the middle relay NTLM to LDAP (ntlmrelayx: add a computer, set RBCD or shadow credentials on any object) and read simple-bind passwords in clear.",
    fix: "Require LDAP signing on every DC (GPO 'Domain controller: LDAP server signing requirements' = Require signing; Samba: ldap server require strong auth = yes) after auditing clients with event 2889.",
    equivalents: &[pingcastle("A-DCLdapSign", "LDAP Authentication without signature enforcement")],
};

impl Check for LdapSigningNotRequired {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, cx: &PostureContext) -> CheckResult {
        judge_dcs(dir, cx, "whether LDAP signing is required", |s| {
            s.ldap_signing_required
                .map(|req| (!req).then(|| "LDAP signing not required".to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posture::testkit::*;
    use crate::posture::{DcConfig, DcSettings};

    fn with(s: DcSettings) -> PostureContext {
        let mut cx = cx();
        cx.dc_config = Some(DcConfig {
            dcs: vec![s],
            ..DcConfig::default()
        });
        cx
    }

    #[test]
    fn a_weak_dc_fails() {
        let d = dir();
        let r = LdapSigningNotRequired.run(
            &d,
            &with(DcSettings {
                name: "DC1".into(),
                ldap_signing_required: Some(false),
                ..DcSettings::default()
            }),
        );
        assert_eq!(failing(&r), ["DC1"]);
        assert!(r.affected[0]
            .dn
            .as_deref()
            .unwrap_or("")
            .starts_with("CN=DC1,"));
    }

    #[test]
    fn a_hardened_dc_passes_and_unknown_does_not_apply() {
        let d = dir();
        passes(&LdapSigningNotRequired.run(
            &d,
            &with(DcSettings {
                name: "dc1.corp.test".into(),
                ldap_signing_required: Some(true),
                ..DcSettings::default()
            }),
        ));
        not_applicable(&run(&LdapSigningNotRequired, &d));
        not_applicable(&LdapSigningNotRequired.run(
            &d,
            &with(DcSettings {
                name: "DC1".into(),
                ..DcSettings::default()
            }),
        ));
    }
}
