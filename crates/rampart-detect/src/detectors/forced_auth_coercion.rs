//! Forced authentication, or coercion (ATT&CK T1187): an attacker calls an RPC interface of a
//! host, usually a DC, that makes the host's machine account authenticate to a path of the
//! attacker's choosing: the printer bug (MS-RPRN `RpcRemoteFindFirstPrinterChangeNotification`
//! on `spoolss`, SpoolSample, printerbug.py), PetitPotam (MS-EFSR on `efsrpc`, `lsarpc`,
//! `samr`, `lsass`, `netlogon`), DFSCoerce (MS-DFSNM on `netdfs`), ShadowCoerce (MS-FSRVP on
//! `FssagentRpc`). The captured or relayed machine authentication then gives the attacker the
//! DC (relay to AD CS or LDAP, or a TGT caught on a host with unconstrained delegation).
//!
//! Evidence, on the coerced host:
//! - a coercible interface opened over the network (5145 on `IPC$`, pipes above) or an inbound
//!   SMB connection (Sysmon 3, accepted on port 445/139) from a remote host, followed within
//!   [`CALLBACK_SECONDS`] seconds by an SMB connection that the host's kernel (`System`) opens
//!   back to that same remote host (Sysmon 3): the forced authentication itself. High on a
//!   known DC, or when the interface called was not the print spooler (no ordinary LSA, SAM,
//!   Netlogon, EFS, DFS or VSS-agent call makes a server connect back to its caller); medium
//!   for the spooler or a bare SMB connection on other hosts (see below).
//! - the EFSRPC or file-server VSS agent pipe (`efsrpc`, `FssagentRpc`) opened remotely, or the
//!   print spooler pipe opened remotely on a known DC (DCs should not be print servers): the
//!   coercion call, whether or not the call-back shows (medium).
//!
//! Deliberately not alerted: remote use of `spoolss` on hosts not known as DCs without a
//! call-back (printing), a DC's spooler opened by a machine account (a print server calling
//! back a DC that printed), requests from DCs, call-backs between two DCs (they reach each
//! other's SYSVOL), and call-backs to a host other than the one that made the request, which
//! ordinary SMB traffic of a busy server produces. A print server calling back a client that
//! registered for printer change notifications has the call-back's shape: print servers that
//! are not DCs alert at medium and belong on the allow-list. The labelled 5145-only `spoolss`
//! sample on a workstation (no call-back recorded) is such an ambiguous single event and is not
//! alerted.

use crate::engine::{Context, Detector};
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::{Alert, AlertKind, EventKind, Evidence, Host, IdentityEvent, Severity};

/// How soon after the request the coerced host must connect back.
pub const CALLBACK_SECONDS: i64 = 5;

/// Named pipes of interfaces whose calls make the server authenticate somewhere, lower-case.
const COERCIBLE_PIPES: &[&str] = &[
    "spoolss",
    "efsrpc",
    "lsarpc",
    "lsass",
    "samr",
    "netlogon",
    "netdfs",
    "fssagentrpc",
];

/// Of those, pipes no ordinary client opens over the network.
const RARE_PIPES: &[&str] = &["efsrpc", "fssagentrpc"];

#[derive(Debug, Clone)]
struct Request {
    /// The remote host's key (address or short name).
    remote: String,
    remote_host: Host,
    /// The pipe, or `None` for a bare inbound SMB connection.
    pipe: Option<String>,
    actor: Option<rampart_core::Account>,
    evidence: Evidence,
}

pub struct ForcedAuthCoercion {
    /// Recent requests per coerced host (observer short name).
    requests: KeyedWindows<String, Request>,
}

impl Default for ForcedAuthCoercion {
    fn default() -> Self {
        ForcedAuthCoercion {
            requests: KeyedWindows::new(Duration::seconds(CALLBACK_SECONDS), 20_000, 256),
        }
    }
}

impl Detector for ForcedAuthCoercion {
    fn name(&self) -> &'static str {
        "forced_auth_coercion"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::ForcedAuthCoercion]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        if !matches!(
            ev.kind,
            EventKind::ShareAccess { .. } | EventKind::NetworkConnection { .. }
        ) {
            return;
        }
        let Some(host) = ev.observer_short() else {
            return;
        };
        match &ev.kind {
            EventKind::ShareAccess {
                share,
                relative_target,
            } => {
                if !share.to_ascii_lowercase().ends_with("ipc$") {
                    return;
                }
                let Some(pipe) = relative_target
                    .as_deref()
                    .map(|p| p.trim_start_matches('\\').to_ascii_lowercase())
                    .filter(|p| COERCIBLE_PIPES.contains(&p.as_str()))
                else {
                    return;
                };
                let Some(remote) = remote_of(ev.source.as_ref(), &host, None) else {
                    return;
                };
                let on_dc = cx.entities.observer_is_dc(ev);
                let by_machine = ev.actor.as_ref().is_some_and(|a| a.is_machine());
                let from_dc = cx.entities.is_dc_host(&remote)
                    || ev
                        .actor
                        .as_ref()
                        .is_some_and(|a| cx.entities.is_dc_account(a));
                // A print server calling back a DC that printed opens the DC's spooler as the
                // print server's machine account: only people count for spoolss.
                let coercion_call = RARE_PIPES.contains(&pipe.as_str())
                    || (on_dc && pipe == "spoolss" && !by_machine);
                if coercion_call && !from_dc {
                    let what = format!(
                        "{} opened the {} pipe from {remote}, an interface attackers call to \
                         make the host authenticate to them{}",
                        ev.actor
                            .as_ref()
                            .map(|a| a.to_string())
                            .unwrap_or_else(|| "a client".to_string()),
                        pipe,
                        if on_dc {
                            " (a domain controller should not serve it)"
                        } else {
                            ""
                        }
                    );
                    let alert = build(ev, cx, Severity::Medium, &remote, what);
                    cx.emit(&format!("{host}|{}", remote.key()), alert);
                }
                self.requests.push(
                    host,
                    ev.time,
                    Request {
                        remote: remote.key(),
                        remote_host: remote,
                        pipe: Some(pipe),
                        actor: ev.actor.clone(),
                        evidence: ev.evidence.clone(),
                    },
                );
            }
            EventKind::NetworkConnection {
                image,
                destination,
                destination_port,
                source_port,
                initiated,
            } => {
                // SMB, server and client side, is the kernel's (`System`).
                if !image
                    .as_deref()
                    .is_some_and(|i| i.eq_ignore_ascii_case("system"))
                {
                    return;
                }
                match initiated {
                    Some(false) => {
                        // Accepted. Sysmon names the initiator as the source; older versions
                        // name the local end instead (then the source port is the SMB port).
                        let (remote, local) = if source_port.is_some_and(is_smb_port) {
                            (destination.as_ref(), ev.source.as_ref())
                        } else if destination_port.is_some_and(is_smb_port) {
                            (ev.source.as_ref(), destination.as_ref())
                        } else {
                            return;
                        };
                        let Some(peer) = remote_of(remote, &host, local) else {
                            return;
                        };
                        self.requests.push(
                            host,
                            ev.time,
                            Request {
                                remote: peer.key(),
                                remote_host: peer,
                                pipe: None,
                                actor: None,
                                evidence: ev.evidence.clone(),
                            },
                        );
                    }
                    Some(true) if destination_port.is_some_and(is_smb_port) => {
                        if let Some(peer) =
                            remote_of(destination.as_ref(), &host, ev.source.as_ref())
                        {
                            self.callback(ev, cx, &host, &peer);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

impl ForcedAuthCoercion {
    /// The host `host` opened an SMB connection to `peer`: was it asked to?
    fn callback(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>, host: &str, peer: &Host) {
        let on_dc = cx.entities.observer_is_dc(ev);
        if on_dc && cx.entities.is_dc_host(peer) {
            return;
        }
        let Some(items) = self.requests.get(&host.to_string()) else {
            return;
        };
        let horizon = ev.time - Duration::seconds(CALLBACK_SECONDS);
        let asked: Vec<&(rampart_core::Timestamp, Request)> = items
            .iter()
            .filter(|(t, r)| *t >= horizon && *t <= ev.time && r.remote == peer.key())
            .collect();
        if asked.is_empty() {
            return;
        }
        let pipes: Vec<&str> = asked
            .iter()
            .filter_map(|(_, r)| r.pipe.as_deref())
            .collect();
        let rare_pipe = pipes.iter().any(|p| *p != "spoolss");
        let severity = if on_dc || rare_pipe {
            Severity::High
        } else {
            Severity::Medium
        };
        let how = if pipes.is_empty() {
            "connected to it over SMB".to_string()
        } else {
            let mut p = pipes.clone();
            p.sort_unstable();
            p.dedup();
            format!("opened its {} pipe", p.join(", "))
        };
        let what = format!(
            "{peer} {how}, and within {CALLBACK_SECONDS} seconds the host's kernel opened an SMB \
             connection back to {peer}: the host was made to authenticate, with its machine \
             account, to the machine that asked{}",
            if on_dc || rare_pipe {
                ""
            } else {
                " (print servers calling back clients that registered for printer notifications \
                 look the same)"
            }
        );
        let actor = asked.iter().find_map(|(_, r)| r.actor.clone());
        let remote_host = asked
            .first()
            .map(|(_, r)| r.remote_host.clone())
            .unwrap_or_else(|| peer.clone());
        let mut alert = build(ev, cx, severity, &remote_host, what);
        if let Some(a) = actor.filter(|a| !a.is_builtin_service() || anonymous(a)) {
            alert = alert.actor(&a, cx.entities.is_sensitive_account(&a));
        }
        alert.add_evidence_refs(asked.iter().map(|(t, r)| (&r.evidence, *t)));
        cx.emit(&format!("{host}|{}", peer.key()), alert);
    }
}

fn build(
    ev: &IdentityEvent,
    cx: &Context<'_>,
    severity: Severity,
    remote: &Host,
    what: String,
) -> Alert {
    let host = ev.observer.as_deref().unwrap_or("the host");
    let mut alert = Alert::new(AlertKind::ForcedAuthCoercion, severity, ev)
        .title(format!("Forced authentication of {host} by {remote}"))
        .target(host.to_string())
        .description(format!(
            "On {host}: {what}. Coercing a server (PrinterBug, PetitPotam, DFSCoerce) is how \
             attackers get a domain controller's machine authentication to relay to certificate \
             services or LDAP, or to catch its TGT on a host trusted for delegation."
        ))
        .remediation(
            "Find what runs on the remote host. Disable the Print Spooler on DCs and servers that \
             do not print, apply the EFSRPC/PetitPotam and DFS mitigations (RPC filters), \
             require EPA and signing on AD CS web enrolment and LDAP, and check the remote host \
             for unconstrained delegation or relay tools. If the DC's authentication was \
             relayed, look for certificates issued to the DC and for DCSync.",
        );
    if let Some(actor) = &ev.actor {
        if !actor.is_builtin_service() || anonymous(actor) {
            alert = alert.actor(actor, cx.entities.is_sensitive_account(actor));
        }
    }
    alert = alert.source(remote);
    if let Some(obs) = &ev.observer {
        alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
    }
    alert
}

/// The remote end of a connection or share access, if it is another machine: not loopback,
/// not the recording host by name, not the connection's local end.
fn remote_of(h: Option<&Host>, host: &str, local: Option<&Host>) -> Option<Host> {
    let h = h?;
    if h.is_loopback() || h.key().is_empty() || h.short_name().is_some_and(|n| n == host) {
        return None;
    }
    if local.is_some_and(|l| l.ip.is_some() && l.ip == h.ip) {
        return None;
    }
    Some(h.clone())
}

fn is_smb_port(p: u16) -> bool {
    p == 445 || p == 139
}

fn anonymous(a: &rampart_core::Account) -> bool {
    a.sid.as_deref() == Some("S-1-5-7") || a.name.eq_ignore_ascii_case("ANONYMOUS LOGON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn pipe(secs: i64, name: &str, from: &str) -> IdentityEvent {
        with(
            observed_by(
                ev(
                    secs,
                    5145,
                    EventKind::ShareAccess {
                        share: "\\\\*\\IPC$".into(),
                        relative_target: Some(name.into()),
                    },
                ),
                "WS01",
            ),
            Some(acct("IEUser")),
            Some(ip(from)),
            None,
        )
    }

    fn conn(
        secs: i64,
        initiated: bool,
        local_port: u16,
        remote_port: u16,
        to: &str,
    ) -> IdentityEvent {
        let mut e = observed_by(
            ev(
                secs,
                3,
                EventKind::NetworkConnection {
                    image: Some("System".into()),
                    destination: Some(ip(to)),
                    destination_port: Some(remote_port),
                    source_port: Some(local_port),
                    initiated: Some(initiated),
                },
            ),
            "WS01",
        );
        e.source = Some(ip("10.0.2.15"));
        e
    }

    #[test]
    fn call_back_to_the_requester_alerts() {
        // SpoolSample: spoolss opened, then the kernel connects back to the requester.
        let events = [
            pipe(0, "spoolss", "10.0.2.17"),
            conn(1, false, 445, 59767, "10.0.2.17"),
            conn(2, true, 62733, 445, "10.0.2.17"),
        ];
        let alerts = run(Box::<ForcedAuthCoercion>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::ForcedAuthCoercion);
        assert_eq!(alerts[0].source_host.as_deref(), Some("10.0.2.17"));
        assert_eq!(alerts[0].severity, Severity::Medium);
        assert_eq!(alerts[0].evidence.len(), 3);
        // PetitPotam over lsarpc followed by a call-back: high anywhere.
        let events = [
            pipe(0, "lsarpc", "10.0.2.17"),
            conn(2, true, 50000, 445, "10.0.2.17"),
        ];
        let alerts = run(Box::<ForcedAuthCoercion>::default(), &events);
        assert_eq!(alerts[0].severity, Severity::High);
        // The EFSRPC pipe alone is enough.
        assert_eq!(
            run(
                Box::<ForcedAuthCoercion>::default(),
                &[pipe(0, "efsrpc", "10.0.2.17")]
            )
            .len(),
            1
        );
    }

    #[test]
    fn modern_sysmon_names_the_initiator_as_source() {
        // Sysmon 11+: an accepted connection's source is the remote initiator.
        let mut inbound = conn(0, false, 49267, 445, "10.0.2.15");
        inbound.source = Some(ip("10.0.2.17"));
        let events = [inbound, conn(1, true, 50000, 445, "10.0.2.17")];
        let alerts = run(Box::<ForcedAuthCoercion>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].source_host.as_deref(), Some("10.0.2.17"));
    }

    #[test]
    fn printing_and_unrelated_traffic_are_benign() {
        let events = [
            // A client printing through a workstation's shared printer: no call-back.
            pipe(0, "spoolss", "10.0.2.17"),
            // The host connects to a file server after a client's lsarpc lookup.
            pipe(100, "lsarpc", "10.0.2.17"),
            conn(101, true, 50001, 445, "10.0.2.30"),
            // A call-back too late to be caused by the request.
            pipe(200, "spoolss", "10.0.2.18"),
            conn(230, true, 50002, 445, "10.0.2.18"),
            // An inbound SMB connection with nothing after it.
            conn(300, false, 445, 51000, "10.0.2.19"),
        ];
        assert!(run(Box::<ForcedAuthCoercion>::default(), &events).is_empty());
    }
}
