//! Zerologon, CVE-2020-1472 (ATT&CK T1210): a flaw in Netlogon's AES-CFB8 use lets an
//! unauthenticated attacker who can reach a DC set up a secure channel as any computer, the DC
//! itself included, by trying an all-zero client credential a few hundred times, then set the
//! DC's machine account password to empty with `NetrServerPasswordSet2`. With it the attacker
//! replicates every hash from the DC (DCSync as the DC), then usually restores the old password
//! (`lsadump::postzerologon`, impacket `restorepassword`) so that the DC keeps working.
//!
//! Evidence:
//! - a domain controller's own machine account had its password changed by ANONYMOUS LOGON
//!   (4742 with `PasswordLastSet` set, subject S-1-5-7, on the DC's own account or a known DC's):
//!   the exploitation itself (critical);
//! - a domain controller's machine account password reset by another account (4724 on the DC's
//!   own account or a known DC's): the post-exploitation restore, or a takeover (high);
//! - a burst of refused Netlogon secure-channel setups for one account (System 5805, 5827,
//!   5828: at least [`FAILED_CHANNELS`] within two minutes): the brute force of the zero
//!   credential (high);
//! - the exploit run from a host: `lsadump::zerologon`, `lsadump::postzerologon`, a command
//!   naming `zerologon` or `CVE-2020-1472` (4688, Sysmon 1; high).
//! - on the wire, a burst of Netlogon authentications from one host to a DC
//!   (`NetrServerAuthenticate`/`2`/`3`, opnums 5, 15, 26: at least [`FAILED_CHANNELS`] within two
//!   minutes; a machine sets up its secure channel with one): the brute force (high); and
//!   `NetrServerPasswordSet2` (opnum 30) from a host that just did so: the DC's password being
//!   emptied (critical).
//!
//! Deliberately not alerted: ANONYMOUS LOGON changing the password of a member computer
//! (Netlogon-based password changes of members can be logged that way), DCs rotating their
//! own machine password (the subject is the DC itself), a handful of refused secure channels
//! (a machine whose trust broke), and vulnerable-but-allowed Netlogon connections (5829,
//! legacy devices; a posture finding, not an attack).

use crate::engine::{Context, Detector};
use crate::state::{KeyedWindows, RecentSet};
use chrono::Duration;
use rampart_core::{Account, Alert, AlertKind, EventKind, IdentityEvent, Severity};

/// Refused secure channels for one account within two minutes that make a brute force.
pub const FAILED_CHANNELS: usize = 20;

pub struct Zerologon {
    refused: KeyedWindows<String, rampart_core::Evidence>,
    /// Per (client, DC) on the wire: Netlogon authentication calls.
    wire_auths: KeyedWindows<String, rampart_core::Evidence>,
    /// (client, DC) pairs whose authentication burst alerted.
    bursts: RecentSet<String>,
}

impl Default for Zerologon {
    fn default() -> Self {
        Zerologon {
            refused: KeyedWindows::new(Duration::minutes(2), 10_000, 4096),
            wire_auths: KeyedWindows::new(Duration::minutes(2), 10_000, 4096),
            bursts: RecentSet::new(Duration::minutes(30), 10_000),
        }
    }
}

impl Detector for Zerologon {
    fn name(&self) -> &'static str {
        "zerologon"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::Zerologon]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        match &ev.kind {
            EventKind::RpcCall {
                interface, opnum, ..
            } if interface == "netlogon" => self.netlogon_call(ev, cx, *opnum),
            EventKind::AccountChanged { changes, .. } => {
                let Some(target) = &ev.target else { return };
                let password_set = changes.iter().any(|(k, _)| k == "PasswordLastSet");
                if !password_set
                    || !ev.actor.as_ref().is_some_and(anonymous)
                    || !is_dc_machine(ev, target, cx)
                {
                    return;
                }
                let what = format!(
                    "ANONYMOUS LOGON changed the password of the domain controller account \
                     {target}: the signature of Zerologon, which sets a DC's machine password \
                     over an unauthenticated Netlogon channel"
                );
                raise(ev, cx, Severity::Critical, Some(target), what);
            }
            EventKind::PasswordReset => {
                let Some(target) = &ev.target else { return };
                let Some(actor) = &ev.actor else { return };
                if !target.is_machine()
                    || actor.same_as(target)
                    || actor.is_builtin_service()
                    || !is_dc_machine(ev, target, cx)
                {
                    return;
                }
                let what = format!(
                    "{actor} reset the machine account password of the domain controller \
                     {target}: after Zerologon attackers restore the DC's old password this way \
                     (mimikatz lsadump::postzerologon, impacket restorepassword); otherwise it \
                     takes the DC's identity"
                );
                raise(ev, cx, Severity::High, Some(target), what);
            }
            EventKind::NetlogonSecureChannel { denied: true, .. } => {
                let Some(account) = &ev.actor else { return };
                let key = format!(
                    "{}|{}",
                    ev.observer_short().unwrap_or_default(),
                    account.key()
                );
                let Some(items) = self.refused.push(key.clone(), ev.time, ev.evidence.clone())
                else {
                    return;
                };
                if items.len() < FAILED_CHANNELS {
                    return;
                }
                let n = items.len();
                let evidence: Vec<_> = items.iter().map(|(t, e)| (*t, e.clone())).collect();
                self.refused.clear(&key);
                let what = format!(
                    "{n} Netlogon secure-channel setups for {account} were refused within two \
                     minutes{}: the brute force of an all-zero credential that Zerologon needs",
                    ev.source
                        .as_ref()
                        .map(|s| format!(" (computer {s})"))
                        .unwrap_or_default()
                );
                let mut alert = alert(ev, cx, Severity::High, Some(account), what);
                alert.add_evidence_refs(evidence.iter().map(|(t, e)| (e, *t)));
                cx.emit(&target_key(ev, Some(account)), alert);
            }
            EventKind::ProcessCreated {
                image,
                command_line,
                ..
            } => {
                let cmd = command_line.as_deref().unwrap_or(image);
                let c = cmd.to_ascii_lowercase();
                if !(c.contains("zerologon") || c.contains("cve-2020-1472")) {
                    return;
                }
                let target =
                    account_after(&c, "/account:").or_else(|| account_after(&c, "/target:"));
                let what = format!("the Zerologon exploit was run: `{cmd}`");
                raise(ev, cx, Severity::High, target.as_ref(), what);
            }
            _ => {}
        }
    }
}

fn alert(
    ev: &IdentityEvent,
    cx: &Context<'_>,
    severity: Severity,
    target: Option<&Account>,
    what: String,
) -> Alert {
    let host = ev.observer.as_deref().unwrap_or("the observed host");
    let title = match target {
        Some(t) => format!("Zerologon (CVE-2020-1472) against {t}"),
        None => "Zerologon (CVE-2020-1472) exploitation".to_string(),
    };
    let mut alert = Alert::new(AlertKind::Zerologon, severity, ev)
        .title(title)
        .description(format!(
            "Recorded by {host}: {what}. A DC's machine account can replicate every \
                 password hash of the domain; an attacker holding it owns the domain, and a DC \
                 whose password was emptied breaks replication and logons until repaired."
        ))
        .remediation(
            "Make sure every DC has the August 2020 Netlogon update and enforcement mode on \
                 (FullSecureChannelProtection). If the password was changed, reset the DC's \
                 machine password (netdom resetpwd), then treat the domain as compromised: look \
                 for DCSync and new privileged accounts, reset krbtgt twice.",
        );
    match target {
        // A DC's machine account: sensitive by nature.
        Some(t) => alert = alert.target_account(t, true),
        None => alert = alert.target("a domain controller"),
    }
    if let Some(actor) = ev
        .actor
        .as_ref()
        .filter(|a| !target.is_some_and(|t| a.same_as(t)))
    {
        alert = alert.actor(actor, cx.entities.is_sensitive_account(actor));
    }
    if let Some(src) = &ev.source {
        alert = alert.source(src);
    }
    if let Some(obs) = &ev.observer {
        alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
    }
    alert
}

impl Zerologon {
    /// A captured Netlogon call.
    fn netlogon_call(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>, opnum: u16) {
        let Some(src) = &ev.source else { return };
        if ev.source_is_local() {
            return;
        }
        let dc = ev.observer.clone().unwrap_or_default();
        let key = format!("{}|{dc}", src.key());
        match opnum {
            NETR_SERVER_AUTHENTICATE | NETR_SERVER_AUTHENTICATE2 | NETR_SERVER_AUTHENTICATE3 => {
                let Some(items) = self
                    .wire_auths
                    .push(key.clone(), ev.time, ev.evidence.clone())
                else {
                    return;
                };
                if items.len() < FAILED_CHANNELS {
                    return;
                }
                let n = items.len();
                let evidence: Vec<_> = items.iter().map(|(t, e)| (*t, e.clone())).collect();
                self.bursts.insert(key.clone(), ev.time);
                let what = format!(
                    "{src} called NetrServerAuthenticate {n} times on {dc} within two minutes: \
                     the brute force of an all-zero credential that Zerologon needs (a machine \
                     sets up its secure channel with one call)"
                );
                let mut alert = alert(ev, cx, Severity::High, None, what);
                alert.add_evidence_refs(evidence.iter().map(|(t, e)| (e, *t)));
                cx.emit(&key, alert);
            }
            NETR_SERVER_PASSWORD_SET2 if self.bursts.contains(&key, ev.time) => {
                let what = format!(
                    "{src} called NetrServerPasswordSet2 on {dc} right after a burst of \
                     Netlogon authentications: the exploit setting the DC's machine password \
                     to empty"
                );
                let alert = alert(ev, cx, Severity::Critical, None, what);
                cx.emit(&key, alert);
            }
            _ => {}
        }
    }
}

/// MS-NRPC operation numbers.
const NETR_SERVER_AUTHENTICATE: u16 = 5;
const NETR_SERVER_AUTHENTICATE2: u16 = 15;
const NETR_SERVER_AUTHENTICATE3: u16 = 26;
const NETR_SERVER_PASSWORD_SET2: u16 = 30;

fn raise(
    ev: &IdentityEvent,
    cx: &mut Context<'_>,
    severity: Severity,
    target: Option<&Account>,
    what: String,
) {
    let a = alert(ev, cx, severity, target, what);
    cx.emit(&target_key(ev, target), a);
}

/// Alerts about one DC merge, whichever host recorded the evidence.
fn target_key(ev: &IdentityEvent, target: Option<&Account>) -> String {
    match target {
        Some(t) => t.key().trim_end_matches('$').to_string(),
        None => ev.observer_short().unwrap_or_default(),
    }
}

fn anonymous(a: &Account) -> bool {
    a.sid.as_deref() == Some("S-1-5-7") || a.name.eq_ignore_ascii_case("ANONYMOUS LOGON")
}

/// Whether `target` is a DC's machine account: a known DC, or the recording machine's own
/// account (account-management events on domain accounts are only written by DCs, so a DC
/// recording a change of its own machine account is a DC).
fn is_dc_machine(ev: &IdentityEvent, target: &Account, cx: &Context<'_>) -> bool {
    if !target.is_machine() {
        return false;
    }
    cx.entities.is_dc_account(target)
        || ev
            .observer_short()
            .is_some_and(|o| target.key().trim_end_matches('$') == o)
}

/// The account named after `flag` in a command line (`/account:DC01$` → `DC01$`).
fn account_after(cmd: &str, flag: &str) -> Option<Account> {
    let rest = &cmd[cmd.find(flag)? + flag.len()..];
    let value: String = rest
        .trim_start_matches('"')
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"')
        .collect();
    let short = value
        .split('.')
        .next()
        .unwrap_or(&value)
        .to_ascii_uppercase();
    (!short.is_empty()).then(|| Account::new(&short, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::AccountType;

    fn pwd_change(actor: Account, target: &str) -> IdentityEvent {
        with(
            ev(
                0,
                4742,
                EventKind::AccountChanged {
                    account_type: AccountType::Computer,
                    changes: vec![("PasswordLastSet".into(), "9/16/2020 11:40:05 PM".into())],
                    old_uac: None,
                    new_uac: None,
                },
            ),
            Some(actor),
            None,
            Some(acct(target)),
        )
    }

    fn anon() -> Account {
        Account::new("ANONYMOUS LOGON", Some("NT AUTHORITY")).with_sid(Some("S-1-5-7"))
    }

    #[test]
    fn anonymous_dc_password_change_and_restore_alert() {
        let restore = with(
            ev(60, 4724, EventKind::PasswordReset),
            Some(acct("Administrator")),
            Some(ip("172.16.66.37")),
            Some(acct("DC01$")),
        );
        let alerts = run(
            Box::<Zerologon>::default(),
            &[pwd_change(anon(), "DC01$"), restore],
        );
        assert_eq!(alerts.len(), 1, "same DC: one alert");
        assert_eq!(alerts[0].severity, Severity::Critical);
        assert_eq!(alerts[0].count, 2);
        assert_eq!(alerts[0].targets, vec!["CORP\\DC01$".to_string()]);
    }

    #[test]
    fn netlogon_brute_force_alerts() {
        let events: Vec<_> = (0..25)
            .map(|i| {
                with(
                    ev(
                        i,
                        5805,
                        EventKind::NetlogonSecureChannel {
                            denied: true,
                            vulnerable: false,
                        },
                    ),
                    Some(acct("DC01$")),
                    None,
                    None,
                )
            })
            .collect();
        let alerts = run(Box::<Zerologon>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert!(alerts[0].evidence.len() >= FAILED_CHANNELS);
    }

    #[test]
    fn ordinary_machine_password_changes_are_benign() {
        let mut events = vec![
            // The DC rotating its own password.
            pwd_change(acct("DC01$"), "DC01$"),
            // A member's password change through Netlogon, logged as anonymous.
            pwd_change(anon(), "WS01$"),
            // An administrator resetting a member computer's account.
            with(
                ev(5, 4724, EventKind::PasswordReset),
                Some(acct("admin")),
                None,
                Some(acct("WS02$")),
            ),
        ];
        // A few refused channels from a machine whose trust broke.
        events.extend((0..5).map(|i| {
            with(
                ev(
                    10 + i,
                    5805,
                    EventKind::NetlogonSecureChannel {
                        denied: true,
                        vulnerable: false,
                    },
                ),
                Some(acct("WS03$")),
                None,
                None,
            )
        }));
        assert!(run(Box::<Zerologon>::default(), &events).is_empty());
    }

    #[test]
    fn exploit_command_names_its_target() {
        let a = account_after(
            "mimikatz.exe \"lsadump::zerologon /target:mordordc.theshire.local /account:mordordc$ /exploit\"",
            "/account:",
        );
        assert_eq!(a.map(|a| a.name), Some("MORDORDC$".to_string()));
    }

    fn netlogon(secs: i64, client: &str, opnum: u16) -> IdentityEvent {
        wire(
            secs,
            "10.0.0.10",
            client,
            EventKind::RpcCall {
                interface: "netlogon".into(),
                opnum,
                operation: None,
                pipe: None,
                sealed: false,
                object: None,
            },
        )
    }

    #[test]
    fn captured_authentication_burst_and_password_set_alert() {
        let mut events = Vec::new();
        for i in 0..300 {
            events.push(netlogon(i / 10, "10.0.0.66", 4));
            events.push(netlogon(i / 10, "10.0.0.66", 26));
        }
        events.push(netlogon(40, "10.0.0.66", 30));
        let alerts = run(Box::<Zerologon>::default(), &events);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].severity, Severity::Critical);
    }

    #[test]
    fn captured_secure_channel_setups_are_benign() {
        // Each member sets up its channel once; a password change on an established channel.
        let mut events = Vec::new();
        for h in 0..30 {
            let client = format!("10.0.1.{h}");
            events.push(netlogon(h, &client, 4));
            events.push(netlogon(h, &client, 26));
            events.push(netlogon(h + 1, &client, 30));
        }
        assert!(run(Box::<Zerologon>::default(), &events).is_empty());
    }
}
