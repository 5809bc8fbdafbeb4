//! SMB signing not required on DCs (from the DC configuration input).

use super::dc_config::judge_dcs;
use super::{pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct SmbSigningNotRequired;

static INFO: CheckInfo = CheckInfo {
    id: "smb_signing_not_required",
    title: "SMB signing not required on DCs",
    severity: Severity::High,
    category: Category::DcConfiguration,
    checks: "Per DC: whether the SMB server requires signing (RequireSecuritySignature=1; Samba server signing = mandatory, the AD DC default). Read from the DC configuration input; not applicable without it.",
    why: "Unsigned SMB to a DC can be relayed and tampered with: relayed NTLM gets an authenticated session on the DC, and SYSVOL/NETLOGON traffic (group policy) can be modified in transit.",
    fix: "Enable 'Microsoft network server: Digitally sign communications (always)' on DCs (the default since Windows Server 2008; Samba: server signing = mandatory).",
    equivalents: &[pingcastle("A-SMB2SignatureNotRequired", "SMB2 signing not required")],
};

impl Check for SmbSigningNotRequired {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, cx: &PostureContext) -> CheckResult {
        judge_dcs(dir, cx, "whether SMB signing is required", |s| {
            s.smb_signing_required
                .map(|req| (!req).then(|| "SMB signing not required".to_string()))
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
        let r = SmbSigningNotRequired.run(
            &d,
            &with(DcSettings {
                name: "DC1".into(),
                smb_signing_required: Some(false),
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
        passes(&SmbSigningNotRequired.run(
            &d,
            &with(DcSettings {
                name: "dc1.corp.test".into(),
                smb_signing_required: Some(true),
                ..DcSettings::default()
            }),
        ));
        not_applicable(&run(&SmbSigningNotRequired, &d));
        not_applicable(&SmbSigningNotRequired.run(
            &d,
            &with(DcSettings {
                name: "DC1".into(),
                ..DcSettings::default()
            }),
        ));
    }
}
