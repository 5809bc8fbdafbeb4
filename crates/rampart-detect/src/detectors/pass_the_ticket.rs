//! Pass-the-ticket (ATT&CK T1550.003): a Kerberos ticket stolen from one logon session or
//! machine (or forged, or freshly requested with a stolen key) injected into another logon
//! session, which then uses it to reach other machines as the ticket's owner.
//!
//! Evidence: the injection itself, on the machine it happens on. Windows does not log a
//! ticket submitted into a logon session's cache (`LsaCallAuthenticationPackage` with
//! `KerbSubmitTicketMessage`), so what remains is the command line of the tools that do it
//! (4688, Sysmon 1): mimikatz `kerberos::ptt`, Rubeus `ptt /ticket:…`, and Rubeus or mimikatz
//! commands that request or forge a ticket and inject it with `/ptt` (`asktgt`, `asktgs`,
//! `s4u`, `renew`, `golden`, `silver`). A ticket injected for another account than the one
//! running the tool is named in the alert when the command line says whose it is (`/user:`).
//!
//! Not alerted on: ticket export or listing (`kerberos::list`, `klist`, Rubeus `dump`/`triage`:
//! credential theft, not use), and DC-side guesses such as "the account's TGS requests came
//! from another address than its TGT" — DHCP renewals, multi-homed and NAT-ed clients and TGTs
//! older than the logs make that a noisy signal in event logs; the network sensor, which sees
//! the tickets themselves, is the place for it.

use super::{clipped, user_argument};
use crate::engine::{Context, Detector};
use crate::sessions::ReportedProcesses;
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct PassTheTicket {
    reported: ReportedProcesses,
}

impl Default for PassTheTicket {
    fn default() -> Self {
        PassTheTicket {
            reported: ReportedProcesses::new(10_000),
        }
    }
}

impl Detector for PassTheTicket {
    fn name(&self) -> &'static str {
        "pass_the_ticket"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::PassTheTicket]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::ProcessCreated {
            command_line: Some(cmd),
            ..
        } = &ev.kind
        else {
            return;
        };
        let Some(how) = ticket_injection(cmd) else {
            return;
        };
        if !self.reported.first(ev) {
            return;
        }
        let host = ev.observer.clone().unwrap_or_else(|| "a host".into());
        let actor = ev.actor.as_ref().filter(|a| !a.is_builtin_service());
        let owner = user_argument(cmd);
        let mut alert = Alert::new(AlertKind::PassTheTicket, Severity::High, ev)
            .title(format!(
                "Pass-the-ticket: Kerberos ticket injected on {host}"
            ))
            .target(host.clone())
            .description(format!(
                "{} ran `{}` on {host}: {how}{}. A ticket injected into a logon session lets \
                 that session reach other machines as the ticket's owner without their \
                 password.",
                actor.map_or("An account".to_string(), |a| a.to_string()),
                clipped(cmd),
                owner
                    .as_deref()
                    .map(|u| format!(", a ticket of {u}"))
                    .unwrap_or_default()
            ))
            .remediation(
                "Isolate the machine and end the logon sessions the ticket was injected into \
                 (klist purge, log the user off). Find where the ticket came from: reset the \
                 password of its owner, and if it was a forged or krbtgt-signed ticket, reset \
                 the krbtgt password twice. Review where the owner's account logged on after \
                 the injection.",
            );
        if let Some(u) = &owner {
            alert = alert.target(u.clone());
        }
        if let Some(a) = actor {
            alert = alert.actor(a, cx.entities.is_sensitive_account(a));
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        cx.emit(
            &format!(
                "{}|{}",
                host.to_ascii_lowercase(),
                actor.map(|a| a.key()).unwrap_or_default()
            ),
            alert,
        );
    }
}

/// Rubeus and mimikatz commands that obtain or forge a ticket before `/ptt` injects it.
const PTT_VERBS: &[&str] = &[
    "asktgt",
    "asktgs",
    "s4u",
    "renew",
    "golden",
    "silver",
    "diamond",
    "kerberos::golden",
    "kerberos::silver",
    "tgt::ask",
];

/// How a command line injects a Kerberos ticket, if it does.
fn ticket_injection(cmd: &str) -> Option<&'static str> {
    let c = cmd.to_ascii_lowercase();
    if c.contains("kerberos::ptt") {
        return Some("mimikatz kerberos::ptt submits a ticket file into the current logon session");
    }
    if c.contains("kerberos::ptc") {
        return Some(
            "mimikatz kerberos::ptc submits a ticket cache into the current logon session",
        );
    }
    let words: Vec<&str> = c.split_whitespace().map(|w| w.trim_matches('"')).collect();
    if words.contains(&"ptt") && words.iter().any(|w| w.starts_with("/ticket:")) {
        return Some("Rubeus ptt submits a ticket into a logon session");
    }
    if words.contains(&"/ptt") && words.iter().any(|w| PTT_VERBS.contains(w)) {
        return Some("the ticket it obtains is injected into the current logon session (/ptt)");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn cmd(secs: i64, line: &str) -> IdentityEvent {
        observed_by(
            with(
                ev(
                    secs,
                    4688,
                    EventKind::ProcessCreated {
                        image: "C:\\Users\\sbeavers\\Desktop\\Rubeus.exe".into(),
                        command_line: Some(line.into()),
                        parent_image: Some(
                            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe".into(),
                        ),
                        process_id: None,
                        parent_process_id: None,
                        logon_id: None,
                    },
                ),
                Some(acct("wardog")),
                None,
                None,
            ),
            "WORKSTATION6.theshire.local",
        )
    }

    #[test]
    fn ticket_injection_commands_alert() {
        let events = [
            cmd(
                0,
                "\"C:\\users\\sbeavers\\Desktop\\Rubeus.exe\" asktgt /user:pgustavo /rc4:81d310fa34e6a56a31145445891bb7b8 /ptt",
            ),
            cmd(1, "Rubeus.exe ptt /ticket:doIFmjCCBZagAwIBBaEDAgEWooIEozCCBJ9hggSbMIIEl6ADAgEFoQ0bC"),
            cmd(2, "mimikatz.exe \"kerberos::ptt Administrator@krbtgt-CORP.kirbi\" exit"),
        ];
        let alerts = run(Box::<PassTheTicket>::default(), &events);
        assert_eq!(alerts.len(), 1, "one alert per account and machine");
        assert_eq!(alerts[0].count, 3);
        assert!(alerts[0].targets.contains(&"pgustavo".to_string()));
    }

    #[test]
    fn ticket_listing_and_unrelated_commands_are_benign() {
        let events = [
            cmd(0, "klist purge"),
            cmd(1, "klist tickets"),
            cmd(2, "Rubeus.exe triage"),
            cmd(3, "Rubeus.exe asktgt /user:pgustavo /password:Summer2020"),
            cmd(4, "mimikatz.exe \"kerberos::list /export\" exit"),
            cmd(5, "robocopy C:\\src D:\\ptt /mir"),
        ];
        assert!(run(Box::<PassTheTicket>::default(), &events).is_empty());
    }
}
