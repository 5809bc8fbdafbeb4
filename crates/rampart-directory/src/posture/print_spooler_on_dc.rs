//! Print spooler running on DCs (from the DC configuration input).

use super::dc_config::judge_dcs;
use super::{pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct PrintSpoolerOnDc;

static INFO: CheckInfo = CheckInfo {
    id: "print_spooler_on_dc",
    title: "Print spooler running on DCs",
    severity: Severity::High,
    category: Category::DcConfiguration,
    checks: "Per DC: whether the Print Spooler service runs. Read from the DC configuration input; not applicable without evidence.",
    why: "Any domain user can make a DC's spooler authenticate to a host of their choice (the printer bug, MS-RPRN): with unconstrained delegation or NTLM relay that is the DC's TGT or a relayed DC session.",
    fix: "Stop and disable the Print Spooler service on every DC (GPO: System Services, Print Spooler = Disabled).",
    equivalents: &[super::mdi("Domain controllers with Print spooler service available"), pingcastle("A-DC-Spooler", "Print spooler running on DCs")],
};

impl Check for PrintSpoolerOnDc {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, cx: &PostureContext) -> CheckResult {
        judge_dcs(dir, cx, "whether the print spooler runs", |s| {
            s.print_spooler_running
                .map(|on| on.then(|| "Print Spooler running".to_string()))
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
        let r = PrintSpoolerOnDc.run(
            &d,
            &with(DcSettings {
                name: "DC1".into(),
                print_spooler_running: Some(true),
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
        passes(&PrintSpoolerOnDc.run(
            &d,
            &with(DcSettings {
                name: "dc1.corp.test".into(),
                print_spooler_running: Some(false),
                ..DcSettings::default()
            }),
        ));
        not_applicable(&run(&PrintSpoolerOnDc, &d));
        not_applicable(&PrintSpoolerOnDc.run(
            &d,
            &with(DcSettings {
                name: "DC1".into(),
                ..DcSettings::default()
            }),
        ));
    }
}
