//! SID history naming privileged SIDs: hidden admin rights.

use super::privilege::Privilege;
use super::sid_history::with_history;
use super::{mdi, Affected, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::{rid, Directory};

pub struct SidHistoryPrivileged;

static INFO: CheckInfo = CheckInfo {
    id: "sid_history_privileged",
    title: "SID history with privileged SIDs",
    severity: Severity::Critical,
    category: Category::PrivilegedAccounts,
    checks: "sIDHistory values that are privileged principals of the snapshot, built-in \
             admin aliases (S-1-5-32-544, -548 to -551), or admin RIDs of any domain (500, \
             512, 516, 518, 519, 526, 527).",
    why: "An account whose SID history holds Domain Admins' (or any admin's) SID is a domain \
          admin that appears in no admin group: the classic persistence of an attacker who \
          once had control (mimikatz sid::add), and across trusts without SID filtering a \
          path from another forest.",
    fix: "Clear the sIDHistory value (Set-ADUser -Remove @{sIDHistory=…}), then treat the \
          domain as compromised: find out who wrote it.",
    equivalents: &[mdi("Unsecure SID History attributes")],
};

fn privileged_sid(privilege: &Privilege, sid: &str) -> bool {
    if privilege.privileged_sid(sid) {
        return true;
    }
    if let Some(r) = sid
        .strip_prefix("S-1-5-32-")
        .and_then(|r| r.parse::<u32>().ok())
    {
        return matches!(r, 544 | 548..=551);
    }
    sid.starts_with("S-1-5-21-")
        && rid(sid).is_some_and(|r| matches!(r, 500 | 512 | 516 | 518 | 519 | 526 | 527))
}

impl Check for SidHistoryPrivileged {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let privilege = Privilege::of(dir);
        CheckResult::from_affected(
            with_history(dir)
                .into_iter()
                .filter_map(|(name, dn, h)| {
                    let bad: Vec<String> = h
                        .iter()
                        .filter(|s| privileged_sid(&privilege, s))
                        .map(|s| format!("{} ({s})", privilege.sid_name(s)))
                        .collect();
                    (!bad.is_empty()).then(|| {
                        Affected::new(
                            name,
                            Some(dn),
                            format!("sIDHistory holds {}", bad.join(", ")),
                        )
                    })
                })
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
    fn domain_admins_in_sid_history_fails() {
        let mut d = dir();
        user(&mut d, "backdoor", 1100, Uac::NORMAL_ACCOUNT).sid_history =
            vec![format!("{DOM_SID}-512")];
        let r = run(&SidHistoryPrivileged, &d);
        assert_eq!(failing(&r), ["backdoor"]);
        assert!(r.affected[0].why.contains("Domain Admins"));
    }

    #[test]
    fn ordinary_migrated_sids_pass() {
        let mut d = dir();
        user(&mut d, "migrated", 1100, Uac::NORMAL_ACCOUNT).sid_history =
            vec!["S-1-5-21-9-9-9-1104".into()];
        passes(&run(&SidHistoryPrivileged, &d));
    }
}
