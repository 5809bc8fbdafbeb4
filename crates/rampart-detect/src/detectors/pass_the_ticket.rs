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
//!
//! On the wire, tickets are recognised by a fingerprint of their encrypted part
//! ([`rampart_core::KerberosWire`]): the TGT an AS-REP issued to one client address, or that
//! one client presented first, presented in a TGS-REQ from another address within its lifetime
//! (ten hours) is a ticket used on another machine than the one it was issued to. Alerts name
//! the ticket's owner when the KDC's replies did. Clients behind one NAT address share it, so
//! they never alert; a multi-homed client presenting its ticket from two addresses does.

use super::{clipped, contains_ignore_case, user_argument};
use crate::engine::{Context, Detector};
use crate::sessions::ReportedProcesses;
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct PassTheTicket {
    reported: ReportedProcesses,
    /// Per captured TGT fingerprint: the client addresses it was issued to or presented from,
    /// the owner when known.
    tickets: KeyedWindows<
        u64,
        (
            String,
            Option<rampart_core::Account>,
            rampart_core::Evidence,
        ),
    >,
}

impl Default for PassTheTicket {
    fn default() -> Self {
        PassTheTicket {
            reported: ReportedProcesses::new(10_000),
            tickets: KeyedWindows::new(Duration::hours(10), 200_000, 8),
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
        if ev.is_captured() {
            self.captured_ticket(ev, cx);
            return;
        }
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
    // Every form below names `ptt` or `ptc`.
    if !contains_ignore_case(cmd, "ptt") && !contains_ignore_case(cmd, "ptc") {
        return None;
    }
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

impl PassTheTicket {
    /// A captured AS exchange (the TGT it issued) or TGS exchange (the TGT it presented).
    fn captured_ticket(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let (ticket, presented) = match &ev.kind {
            EventKind::KerberosTgtRequest {
                status: 0,
                wire: Some(w),
                ..
            } => (w.issued_ticket, false),
            EventKind::KerberosServiceTicket { wire: Some(w), .. } => (w.presented_ticket, true),
            _ => return,
        };
        let (Some(ticket), Some(src)) = (ticket, ev.source.as_ref()) else {
            return;
        };
        let Some(addr) = src.ip.map(|ip| ip.to_string()) else {
            return;
        };
        // The TGS reply names the client; an AS reply names the ticket's owner.
        let owner = ev.actor.clone();
        let Some(items) =
            self.tickets
                .push(ticket, ev.time, (addr.clone(), owner, ev.evidence.clone()))
        else {
            return;
        };
        if !presented {
            return;
        }
        let Some((first_time, (first_addr, _, first_evidence))) = items.front() else {
            return;
        };
        if *first_addr == addr {
            return;
        }
        let owner = items.iter().find_map(|(_, (_, o, _))| o.clone());
        let (first_time, first_addr, first_evidence) =
            (*first_time, first_addr.clone(), first_evidence.clone());
        let who = owner
            .as_ref()
            .map_or_else(|| "an account".to_string(), |a| a.to_string());
        let kdc = ev.observer.as_deref().unwrap_or("the KDC");
        let mut alert = Alert::new(AlertKind::PassTheTicket, Severity::High, ev)
            .title(format!("Pass-the-ticket: {who}'s TGT used from {src}"))
            .source(src)
            .target(format!("TGT of {who} issued to {first_addr}"))
            .description(format!(
                "A Kerberos TGT of {who} first seen with {first_addr} was presented to {kdc} from \
                 {src}. A TGT belongs to the logon session it was issued to; the same ticket from \
                 another machine was stolen from the first (mimikatz sekurlsa::tickets, Rubeus \
                 dump) and injected on the second."
            ))
            .remediation(
                "Find who is logged on at both machines. Reset the account's password (which \
                 does not revoke issued tickets: purge them with klist, or wait out their \
                 lifetime), and investigate the first machine for credential theft.",
            );
        if let Some(a) = &owner {
            alert = alert.actor(a, cx.entities.is_sensitive_account(a));
        }
        alert.add_evidence_ref(&first_evidence, first_time);
        alert = alert.observer(kdc, true);
        cx.emit(&format!("ticket|{ticket:016x}"), alert);
    }
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

    fn as_rep(secs: i64, client: &str, ticket: u64) -> IdentityEvent {
        let mut e = wire(
            secs,
            "10.0.0.10",
            client,
            EventKind::KerberosTgtRequest {
                status: 0,
                preauth_type: Some(2),
                ticket_etype: Some(18),
                ticket_options: None,
                wire: Some(Box::new(rampart_core::KerberosWire {
                    issued_ticket: Some(ticket),
                    answered: true,
                    ..Default::default()
                })),
            },
        );
        e.actor = Some(acct("alice"));
        e
    }

    fn tgs_with(secs: i64, client: &str, ticket: u64) -> IdentityEvent {
        wire(
            secs,
            "10.0.0.10",
            client,
            EventKind::KerberosServiceTicket {
                status: 0,
                service: "cifs/fs01.corp.local".into(),
                service_sid: None,
                ticket_etype: Some(18),
                ticket_options: None,
                wire: Some(Box::new(rampart_core::KerberosWire {
                    presented_ticket: Some(ticket),
                    answered: true,
                    ..Default::default()
                })),
            },
        )
    }

    #[test]
    fn a_captured_tgt_presented_from_another_host_alerts() {
        let events = [
            as_rep(0, "10.0.0.50", 0xabc),
            tgs_with(10, "10.0.0.50", 0xabc),
            tgs_with(600, "10.0.0.66", 0xabc),
            tgs_with(601, "10.0.0.66", 0xabc),
        ];
        let alerts = run(Box::<PassTheTicket>::default(), &events);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].actor.as_deref(), Some("CORP\\alice"));
        assert_eq!(alerts[0].source_host.as_deref(), Some("10.0.0.66"));
    }

    #[test]
    fn captured_tickets_used_where_issued_are_benign() {
        let events = [
            as_rep(0, "10.0.0.50", 1),
            as_rep(1, "10.0.0.51", 2),
            tgs_with(10, "10.0.0.50", 1),
            tgs_with(11, "10.0.0.51", 2),
            tgs_with(12, "10.0.0.50", 1),
            // A ticket first seen in a TGS-REQ (issued before the capture) from one host.
            tgs_with(13, "10.0.0.52", 3),
            tgs_with(14, "10.0.0.52", 3),
        ];
        assert!(run(Box::<PassTheTicket>::default(), &events).is_empty());
    }
}
