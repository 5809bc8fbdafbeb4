//! Old domain functional level.

use super::privilege::per_domain;

use super::pingcastle;
use super::{Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct DomainFunctionalLevel;

static INFO: CheckInfo = CheckInfo {
    id: "domain_functional_level",
    title: "Old domain functional level",
    severity: Severity::Low,
    category: Category::Hygiene,
    checks: "The domain's msDS-Behavior-Version below 6 (Windows Server 2012 R2).",
    why: "Below 2012 R2 the DCs do not enforce Protected Users' restrictions, nor authentication policies and silos, and the level keeps DCs of unsupported Windows versions possible.",
    fix: "Retire DCs older than 2016 and raise the domain (and forest) functional level to 2016.",
    equivalents: &[pingcastle("S-FunctionalLevel4", "Domain functional level 2008 R2")],
};

impl Check for DomainFunctionalLevel {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        per_domain(
            dir,
            "the domain's functional level is not in the snapshot",
            |d| {
                let level = d.functional_level?;
                Some(
                    (level < 6)
                        .then(|| format!("msDS-Behavior-Version={level} ({})", level_name(level))),
                )
            },
        )
    }
}

fn level_name(level: u32) -> &'static str {
    match level {
        0 => "Windows 2000",
        1 => "Windows Server 2003 interim",
        2 => "Windows Server 2003",
        3 => "Windows Server 2008",
        4 => "Windows Server 2008 R2",
        5 => "Windows Server 2012",
        6 => "Windows Server 2012 R2",
        7 => "Windows Server 2016",
        10 => "Windows Server 2025",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posture::testkit::*;

    #[test]
    fn weak_setting_fails() {
        let mut d = dir();
        d.domains[0].functional_level = Some(4);
        assert_eq!(failing(&run(&DomainFunctionalLevel, &d)), [DOMAIN]);
    }

    #[test]
    fn recommended_setting_passes_and_unknown_does_not_apply() {
        let mut d = dir();
        passes(&run(&DomainFunctionalLevel, &d));
        d.domains[0].functional_level = None;
        not_applicable(&run(&DomainFunctionalLevel, &d));
    }
}
