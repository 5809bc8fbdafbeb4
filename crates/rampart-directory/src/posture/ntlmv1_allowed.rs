//! NTLMv1 accepted by DCs (from the DC configuration input).

use super::dc_config::judge_dcs;
use super::{pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct Ntlmv1Allowed;

static INFO: CheckInfo = CheckInfo {
    id: "ntlmv1_allowed",
    title: "NTLMv1 accepted by DCs",
    severity: Severity::High,
    category: Category::DcConfiguration,
    checks: "Per DC: whether NTLMv1 (or LM) responses are accepted (LmCompatibilityLevel below 5; Samba ntlm auth = yes or ntlmv1-permitted). Read from the DC configuration input; not applicable without it.",
    why: "NTLMv1 responses are cracked to the NT hash regardless of password strength (DES with a chosen challenge, rainbow tables): a coerced DC or admin authentication becomes its hash.",
    fix: "Set 'Network security: LAN Manager authentication level' to 'Send NTLMv2 response only. Refuse LM & NTLM' (level 5) on DCs after auditing NTLMv1 use (event 4624 package NTLM V1); Samba: ntlm auth = ntlmv2-only.",
    equivalents: &[pingcastle("S-OldNtlm", "The LAN Manager Authentication Level allows the use of NTLMv1 or LM")],
};

impl Check for Ntlmv1Allowed {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, cx: &PostureContext) -> CheckResult {
        judge_dcs(dir, cx, "whether NTLMv1 is accepted", |s| {
            s.ntlmv1_allowed
                .map(|v1| v1.then(|| "NTLMv1 accepted".to_string()))
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
        let r = Ntlmv1Allowed.run(
            &d,
            &with(DcSettings {
                name: "DC1".into(),
                ntlmv1_allowed: Some(true),
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
        passes(&Ntlmv1Allowed.run(
            &d,
            &with(DcSettings {
                name: "dc1.corp.test".into(),
                ntlmv1_allowed: Some(false),
                ..DcSettings::default()
            }),
        ));
        not_applicable(&run(&Ntlmv1Allowed, &d));
        not_applicable(&Ntlmv1Allowed.run(
            &d,
            &with(DcSettings {
                name: "DC1".into(),
                ..DcSettings::default()
            }),
        ));
    }
}
