//! LDAPS channel binding not enforced on DCs (from the DC configuration input).

use super::dc_config::judge_dcs;
use super::{pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct LdapChannelBindingOff;

static INFO: CheckInfo = CheckInfo {
    id: "ldap_channel_binding_off",
    title: "LDAPS channel binding not enforced on DCs",
    severity: Severity::Medium,
    category: Category::DcConfiguration,
    checks: "Per DC: LdapEnforceChannelBinding below 2 (always). Read from the DC configuration input; not applicable without it.",
    why: "Without channel binding, NTLM authentication captured elsewhere can be relayed to LDAPS, where signing requirements do not apply: the same takeover as unsigned LDAP.",
    fix: "Set 'Domain controller: LDAP server channel binding token requirements' to Always after checking clients (events 3039/3040).",
    equivalents: &[pingcastle("A-DCLdapsChannelBinding", "Channel binding is not enabled for all DC for LDAPS")],
};

impl Check for LdapChannelBindingOff {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, cx: &PostureContext) -> CheckResult {
        judge_dcs(dir, cx, "the LDAP channel binding setting", |s| {
            s.ldap_channel_binding.map(|cb| {
                (cb != crate::posture::ChannelBinding::Always)
                    .then(|| format!("LDAP channel binding {cb:?}"))
            })
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
        let r = LdapChannelBindingOff.run(
            &d,
            &with(DcSettings {
                name: "DC1".into(),
                ldap_channel_binding: Some(crate::posture::ChannelBinding::Never),
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
        passes(&LdapChannelBindingOff.run(
            &d,
            &with(DcSettings {
                name: "dc1.corp.test".into(),
                ldap_channel_binding: Some(crate::posture::ChannelBinding::Always),
                ..DcSettings::default()
            }),
        ));
        not_applicable(&run(&LdapChannelBindingOff, &d));
        not_applicable(&LdapChannelBindingOff.run(
            &d,
            &with(DcSettings {
                name: "DC1".into(),
                ..DcSettings::default()
            }),
        ));
    }
}
