//! SID history injection (ATT&CK T1134.005): a SID added to an account's sIDHistory makes the
//! account carry that SID's rights at every logon. Adding a privileged SID (Domain Admins, a
//! built-in admin group) is a stealthy way to keep domain control (mimikatz `sid::add`,
//! DCShadow).
//!
//! Evidence: [`EventKind::SidHistoryAdded`] (4765 added, 4766 failed attempt). Outside a
//! domain migration SID history is never written; any addition alerts, critical when the SID
//! is privileged.

use crate::engine::{Context, Detector};
use rampart_core::wellknown;
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct SidHistoryInjection;

impl Detector for SidHistoryInjection {
    fn name(&self) -> &'static str {
        "sid_history_injection"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::SidHistoryInjection]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::SidHistoryAdded { sid_history } = &ev.kind else {
            return;
        };
        let failed = ev.outcome.is_failure();
        let privileged = sid_history
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|s| !s.is_empty())
            .any(|sid| {
                wellknown::is_privileged_group(None, Some(sid))
                    || sid.ends_with("-500")
                    || sid.ends_with("-502")
            });
        let severity = match (failed, privileged) {
            (false, true) => Severity::Critical,
            (false, false) => Severity::High,
            (true, _) => Severity::Medium,
        };
        let target = ev.target.as_ref();
        let target_name = target
            .map(|t| t.to_string())
            .unwrap_or_else(|| "an account".into());
        let mut alert = Alert::new(AlertKind::SidHistoryInjection, severity, ev)
            .title(format!(
                "SID history {} {target_name}",
                if failed {
                    "addition attempted on"
                } else {
                    "added to"
                }
            ))
            .description(format!(
                "{}{} SID history {} to {target_name}{}. An account carries the rights of every \
                 SID in its history at each logon, so this {} a hidden, lasting privilege.",
                ev.actor
                    .as_ref()
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "Someone".into()),
                if failed { " tried to add" } else { " added" },
                sid_history,
                if privileged {
                    " (a privileged SID)"
                } else {
                    ""
                },
                if failed { "would grant" } else { "grants" }
            ))
            .remediation(
                "Unless a domain migration is under way, remove the SID history from the account \
                 (Get-ADUser … | Set-ADUser -Remove @{sIDHistory=…}), reset its password, enable \
                 SID filtering on trusts, and investigate the account that made the change.",
            );
        if let Some(t) = target {
            alert = alert.target_account(t, privileged || cx.entities.is_sensitive_account(t));
        }
        if let Some(actor) = &ev.actor {
            alert = alert.actor(actor, cx.entities.is_sensitive_account(actor));
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        let key = target.map(|t| t.key()).unwrap_or_default();
        cx.emit(&key, alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn privileged_sid_history_is_critical() {
        let e = with(
            ev(
                0,
                4765,
                EventKind::SidHistoryAdded {
                    sid_history: "S-1-5-21-1-2-3-512".into(),
                },
            ),
            Some(acct("Administrator")),
            None,
            Some(acct("Andrei")),
        );
        let alerts = run(Box::new(SidHistoryInjection), &[e]);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::Critical);
    }

    #[test]
    fn other_account_changes_are_ignored() {
        let e = with(
            ev(0, 4738, EventKind::PasswordReset),
            Some(acct("helpdesk")),
            None,
            Some(acct("bob")),
        );
        assert!(run(Box::new(SidHistoryInjection), &[e]).is_empty());
    }
}
