//! Principals carrying SID history.

use super::privilege::{display_name, Privilege};
use super::{
    mdi, pingcastle, Affected, Category, Check, CheckInfo, CheckResult, PostureContext, Severity,
};
use crate::model::Directory;

pub struct SidHistory;

static INFO: CheckInfo = CheckInfo {
    id: "sid_history",
    title: "Accounts with SID history",
    severity: Severity::Medium,
    category: Category::Hygiene,
    checks: "Users, computers and groups with a non-empty sIDHistory.",
    why: "Every SID in sIDHistory is added to the account's tokens: a leftover of migrations \
          that keeps old access alive unseen, and, written by an attacker, an invisible \
          membership in any group whose SID it names.",
    fix: "After a migration, re-permission resources to the new SIDs and clear sIDHistory; \
          investigate any SID history nobody migrated.",
    equivalents: &[
        mdi("Unsecure SID History attributes"),
        pingcastle("S-SIDHistory", "Domain(s) used in SID history"),
    ],
};

/// Every principal with SID history: (name, dn, SIDs).
pub(super) fn with_history(dir: &Directory) -> Vec<(&str, &str, &[String])> {
    let principals = dir.users.iter().chain(dir.computers.iter()).map(|p| {
        (
            display_name(&p.sam_account_name, &p.dn),
            p.dn.as_str(),
            p.sid_history.as_slice(),
        )
    });
    let groups = dir.groups.iter().map(|g| {
        (
            display_name(&g.sam_account_name, &g.dn),
            g.dn.as_str(),
            g.sid_history.as_slice(),
        )
    });
    principals
        .chain(groups)
        .filter(|(_, _, h)| !h.is_empty())
        .collect()
}

impl Check for SidHistory {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let privilege = Privilege::of(dir);
        CheckResult::from_affected(
            with_history(dir)
                .into_iter()
                .map(|(name, dn, h)| {
                    let sids: Vec<String> = h.iter().map(|s| privilege.sid_name(s)).collect();
                    Affected::new(name, Some(dn), format!("sIDHistory {}", sids.join(", ")))
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
    fn a_migrated_account_fails() {
        let mut d = dir();
        user(&mut d, "migrated", 1100, Uac::NORMAL_ACCOUNT).sid_history =
            vec!["S-1-5-21-9-9-9-1104".into()];
        assert_eq!(failing(&run(&SidHistory, &d)), ["migrated"]);
    }

    #[test]
    fn accounts_without_history_pass() {
        let mut d = dir();
        user(&mut d, "bob", 1100, Uac::NORMAL_ACCOUNT);
        passes(&run(&SidHistory, &d));
    }
}
