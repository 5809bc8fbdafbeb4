//! Event log cleared (ATT&CK T1070.001): someone erased a Windows event log, usually to hide what
//! came before (`wevtutil cl`, mimikatz `event::clear`).
//!
//! Evidence: [`EventKind::LogCleared`] (Security 1102, System 104 from the Eventlog provider).
//! Rampart watches the logs that hold the identity audit trail its detections read: Security
//! (high: logons, Kerberos, directory changes), System and Directory Service (medium: service
//! installs, DC health). Clearing an application's operational channel (Sysmon, PowerShell,
//! …) is an endpoint matter outside identity detection and does not alert here; load a Sigma
//! rule for it if you want it.

use crate::engine::{Context, Detector};
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct LogCleared;

impl Detector for LogCleared {
    fn name(&self) -> &'static str {
        "log_cleared"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::LogCleared]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::LogCleared { channel } = &ev.kind else {
            return;
        };
        let security = channel.eq_ignore_ascii_case("security");
        let watched = security
            || channel.eq_ignore_ascii_case("system")
            || channel.eq_ignore_ascii_case("directory service");
        if !watched {
            return;
        }
        let host = ev.observer.as_deref().unwrap_or("a host");
        let who = ev
            .actor
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "Someone".to_string());
        let mut alert = Alert::new(
            AlertKind::LogCleared,
            if security {
                Severity::High
            } else {
                Severity::Medium
            },
            ev,
        )
        .title(format!("{channel} event log cleared on {host}"))
        .target(format!("{host}:{channel}"))
        .description(format!(
            "{who} cleared the {channel} event log on {host}. Clearing logs destroys the record \
             of what happened before and is a common step after an intrusion."
        ))
        .remediation(
            "Confirm whether the clearing was planned maintenance. If not, recover the events \
             from your SIEM or forwarded copies, investigate the account that cleared the log, \
             and forward logs off-host so they cannot be erased locally.",
        );
        if let Some(actor) = &ev.actor {
            alert = alert.actor(actor, cx.entities.is_sensitive_account(actor));
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        cx.emit(&format!("{}|{channel}", host.to_ascii_lowercase()), alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn security_log_clearing_alerts() {
        let e = with(
            ev(
                0,
                1102,
                EventKind::LogCleared {
                    channel: "Security".into(),
                },
            ),
            Some(acct("admmig")),
            None,
            None,
        );
        let alerts = run(Box::new(LogCleared), &[e]);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::High);
    }

    #[test]
    fn operational_channels_are_out_of_scope() {
        let e = with(
            ev(
                0,
                104,
                EventKind::LogCleared {
                    channel: "Microsoft-Windows-Sysmon/Operational".into(),
                },
            ),
            Some(acct("tony")),
            None,
            None,
        );
        assert!(run(Box::new(LogCleared), &[e]).is_empty());
    }

    #[test]
    fn other_events_are_ignored() {
        let e = ev(
            0,
            1100,
            EventKind::ServiceStatus {
                name: "EventLog".into(),
                status: "stopped".into(),
            },
        );
        assert!(run(Box::new(LogCleared), &[e]).is_empty());
    }
}
