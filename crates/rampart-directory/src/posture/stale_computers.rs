//! Enabled computer accounts not seen for a long time.

use super::privilege::{affected, enabled, last_seen};
use super::{pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct StaleComputers;

static INFO: CheckInfo = CheckInfo {
    id: "stale_computers",
    title: "Stale enabled computer accounts",
    severity: Severity::Low,
    category: Category::StaleObjects,
    checks: "Enabled computer accounts whose last logon and machine password change (or, never \
             used, creation) are older than 90 days (configurable) at snapshot time.",
    why: "A machine that no longer exists keeps a valid account: whoever recovers its password \
          (an old image, a disposed disk) authenticates as it, and nobody patches or watches it.",
    fix: "Disable computer accounts unseen for 90 days, move them to a quarantine OU, delete \
          them after a grace period.",
    equivalents: &[pingcastle("S-C-Inactive", "Inactive Computers Check")],
};

impl Check for StaleComputers {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, cx: &PostureContext) -> CheckResult {
        CheckResult::from_affected(
            dir.computers
                .iter()
                .filter(|c| enabled(c))
                .filter_map(|c| {
                    let days = cx.days_since(last_seen(c)?);
                    (days > cx.stale_days).then(|| affected(c, format!("not seen for {days} days")))
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
    fn a_computer_gone_for_a_year_fails() {
        let mut d = dir();
        let c = computer(&mut d, "WS99", 1100, Uac::WORKSTATION_TRUST_ACCOUNT);
        c.last_logon_timestamp = days_ago(365);
        c.pwd_last_set = days_ago(330);
        assert_eq!(failing(&run(&StaleComputers, &d)), ["WS99$"]);
    }

    #[test]
    fn machines_changing_passwords_and_disabled_ones_pass() {
        let mut d = dir();
        let c = computer(&mut d, "WS01", 1100, Uac::WORKSTATION_TRUST_ACCOUNT);
        c.last_logon_timestamp = days_ago(200);
        c.pwd_last_set = days_ago(20);
        let c = computer(
            &mut d,
            "WS02",
            1101,
            Uac::WORKSTATION_TRUST_ACCOUNT | Uac::ACCOUNTDISABLE,
        );
        c.last_logon_timestamp = days_ago(900);
        passes(&run(&StaleComputers, &d));
    }
}
