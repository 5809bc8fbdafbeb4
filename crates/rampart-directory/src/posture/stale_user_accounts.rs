//! Enabled user accounts not used for a long time.

use super::privilege::{affected, enabled_users, last_seen};
use super::{pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct StaleUserAccounts;

static INFO: CheckInfo = CheckInfo {
    id: "stale_user_accounts",
    title: "Stale enabled user accounts",
    severity: Severity::Low,
    category: Category::StaleObjects,
    checks: "Enabled user accounts (krbtgt and the configured honeytokens excepted) whose \
             lastLogonTimestamp (or, never used, whenCreated) is older than 90 days \
             (configurable) at snapshot time.",
    why: "Unused accounts are the ones a password spray hits without anyone noticing, and \
          often belong to people who left.",
    fix: "Disable accounts unused for 90 days after checking with their owners; delete them \
          after a grace period.",
    equivalents: &[pingcastle("S-Inactive", "Inactive User or Computers")],
};

impl Check for StaleUserAccounts {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, cx: &PostureContext) -> CheckResult {
        CheckResult::from_affected(
            enabled_users(dir)
                .filter(|u| u.rid() != Some(502))
                .filter(|u| {
                    !cx.honeytokens
                        .iter()
                        .any(|h| h.eq_ignore_ascii_case(&u.sam_account_name))
                })
                .filter_map(|u| {
                    let days = cx.days_since(last_seen(u)?);
                    (days > cx.stale_days).then(|| affected(u, format!("unused for {days} days")))
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
    fn an_unused_account_fails() {
        let mut d = dir();
        user(&mut d, "left", 1100, Uac::NORMAL_ACCOUNT).last_logon_timestamp = days_ago(400);
        assert_eq!(failing(&run(&StaleUserAccounts, &d)), ["left"]);
    }

    #[test]
    fn honeytokens_and_recent_accounts_pass() {
        let mut d = dir();
        user(&mut d, "decoy", 1100, Uac::NORMAL_ACCOUNT).last_logon_timestamp = days_ago(900);
        let mut cx = cx();
        cx.honeytokens = vec!["DECOY".into()];
        passes(&StaleUserAccounts.run(&d, &cx));
    }
}
