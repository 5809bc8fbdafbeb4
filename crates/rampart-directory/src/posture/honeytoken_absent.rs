//! Configured honeytoken accounts missing from the directory.

use super::{Affected, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct HoneytokenAbsent;

static INFO: CheckInfo = CheckInfo {
    id: "honeytoken_absent",
    title: "No honeytoken account in the directory",
    severity: Severity::Low,
    category: Category::Hygiene,
    checks: "The honeytokens of the configuration ([entities] honeytokens): fails when none is \
             configured, or for each configured one that is not a user in the snapshot.",
    why: "A decoy account that nobody should ever use turns reconnaissance, spraying and \
          Kerberoasting into certain alerts; a decoy that was deleted or renamed silently \
          stops protecting.",
    fix: "Create a believable decoy (old admin-looking name, adminCount, an SPN if wanted) \
          and list it under [entities] honeytokens in the configuration.",
    equivalents: &[],
};

/// A configured decoy names an account by `sAMAccountName` (`DOMAIN\name` or `name`), SID,
/// objectGUID or DN, as the detectors' configuration allows.
fn names(u: &crate::model::Principal, configured: &str) -> bool {
    let c = configured.trim();
    let name = c.rsplit('\\').next().unwrap_or(c);
    u.sam_account_name.eq_ignore_ascii_case(name)
        || u.object_sid
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(c))
        || u.object_guid
            .as_deref()
            .is_some_and(|g| g.eq_ignore_ascii_case(c.trim_matches(['{', '}'])))
        || crate::model::dn_key(&u.dn) == crate::model::dn_key(c)
}

impl Check for HoneytokenAbsent {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, cx: &PostureContext) -> CheckResult {
        if cx.honeytokens.is_empty() {
            let name = dir
                .domains
                .first()
                .map(|d| d.dns_name.clone())
                .unwrap_or_else(|| "(configuration)".to_string());
            let dn = dir.domains.first().map(|d| d.dn.as_str());
            return CheckResult::from_affected(vec![Affected::new(
                name,
                dn,
                "no honeytoken account is configured",
            )]);
        }
        CheckResult::from_affected(
            cx.honeytokens
                .iter()
                .filter(|h| !dir.users.iter().any(|u| names(u, h)))
                .map(|h| Affected::new(h, None, "configured honeytoken not in the directory"))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Uac;
    use crate::posture::testkit::*;

    #[test]
    fn missing_or_unconfigured_honeytokens_fail() {
        let d = dir();
        assert_eq!(failing(&run(&HoneytokenAbsent, &d)), [DOMAIN]);
        let mut cx = cx();
        cx.honeytokens = vec!["adm_legacy".into()];
        assert_eq!(failing(&HoneytokenAbsent.run(&d, &cx)), ["adm_legacy"]);
    }

    #[test]
    fn a_present_honeytoken_passes() {
        let mut d = dir();
        user(&mut d, "adm_legacy", 1100, Uac::NORMAL_ACCOUNT);
        let mut cx = cx();
        cx.honeytokens = vec!["CORP\\ADM_LEGACY".into()];
        passes(&HoneytokenAbsent.run(&d, &cx));
        cx.honeytokens = vec![format!("{DOM_SID}-1100"), dn("adm_legacy").to_lowercase()];
        passes(&HoneytokenAbsent.run(&d, &cx));
    }
}
