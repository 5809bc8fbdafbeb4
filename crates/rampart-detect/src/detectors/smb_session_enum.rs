//! SMB session enumeration (ATT&CK T1049): asking servers who is connected to them
//! (`NetSessionEnum` over the `srvsvc` pipe) and who is logged on (`HKEY_USERS` over the remote
//! registry `winreg` pipe) to find where administrators' credentials can be stolen: PsLoggedOn,
//! PowerView `Get-NetSession`/`Invoke-UserHunter`, SharpHound session collection, NetSess.
//!
//! Evidence (5145 on `IPC$`, from a remote address, by a user account or an anonymous session):
//! - one source opening `srvsvc` on [`HUNT_HOSTS`] or more hosts within ten minutes: hunting
//!   sessions across the network (medium);
//! - one source opening both `srvsvc` and `winreg` on the same host within a minute: who is
//!   logged on, over the network and interactively, PsLoggedOn's method (medium);
//! - `srvsvc` opened on a known domain controller from a host that is not one: a DC's sessions
//!   show which accounts are active from which machines (low, because the pipe also lists
//!   shares; the alert says so). Whether the recording host is a DC is often learned later in
//!   the stream, so these are judged again at the end of input.
//!
//! On the wire the operation itself is visible, so the pipe patterns above are not needed:
//! `NetrSessionEnum` (srvsvc opnum 12) and `NetrWkstaUserEnum` (wkssvc opnum 2) from another
//! host alert (medium), each one. Share listing on the same pipe (`NetrShareEnum`, opnum 15,
//! `smbclient -L`, Explorer) does not alert on one server; one source listing the shares of
//! [`HUNT_HOSTS`] or more hosts within ten minutes is the same hunt as the pipe pattern above
//! (PowerView `Invoke-ShareFinder`, PurpleSharp, CrackMapExec `--shares`). Captured pipe opens
//! are left to those calls.
//!
//! Everything one source does joins one alert (keyed by the source address).
//!
//! Deliberately not alerted: machine accounts and built-in services, local (loopback) use, a
//! user browsing one server's shares (`srvsvc` on one host that is not a DC), and `wkssvc` or
//! `lsarpc` alone, which ordinary clients open all the time. A 5145 cannot tell session
//! enumeration from share listing on the same pipe, hence the patterns above rather than single
//! opens.

use super::origin_key;
use crate::engine::{Context, Detector};
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::{Alert, AlertKind, EventKind, Evidence, Host, IdentityEvent, Severity};
use std::collections::BTreeSet;

/// `NetrShareEnum`, srvsvc opnum 15.
const SHARE_ENUM: u16 = 15;
/// Distinct hosts whose `srvsvc` one source opens within ten minutes that make a hunt.
pub const HUNT_HOSTS: usize = 3;
/// Opens of `srvsvc` on DCs kept for judging at the end of input.
const MAX_PENDING: usize = 1000;

pub struct SmbSessionEnum {
    /// Per source: hosts whose `srvsvc` it opened.
    hosts: KeyedWindows<String, (String, Evidence)>,
    /// Per host and source: the pipes it opened.
    pipes: KeyedWindows<String, (String, Evidence)>,
    /// `srvsvc` opens on hosts not (yet) known as DCs.
    pending: Vec<IdentityEvent>,
}

impl Default for SmbSessionEnum {
    fn default() -> Self {
        SmbSessionEnum {
            hosts: KeyedWindows::new(Duration::minutes(10), 20_000, 512),
            pipes: KeyedWindows::new(Duration::minutes(1), 20_000, 64),
            pending: Vec::new(),
        }
    }
}

impl Detector for SmbSessionEnum {
    fn name(&self) -> &'static str {
        "smb_session_enum"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::SmbSessionEnum]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        if let EventKind::RpcCall {
            interface, opnum, ..
        } = &ev.kind
        {
            session_call(ev, cx, interface, *opnum);
            if (interface.as_str(), *opnum) == ("srvsvc", SHARE_ENUM) {
                self.captured_share_listing(ev, cx);
            }
            return;
        }
        let Some(pipe) = remote_pipe(ev) else { return };
        let Some(host) = ev.observer_short() else {
            return;
        };
        let Some(src) = ev.source.as_ref() else {
            return;
        };
        let origin = origin_key(ev);
        if pipe == "srvsvc" {
            self.hunt(ev, cx, &host, &origin, false);
            if cx.entities.observer_is_dc(ev) {
                on_dc(ev, cx, &host, src);
            } else if self.pending.len() < MAX_PENDING && !cx.entities.is_dc_host(src) {
                self.pending.push(ev.clone());
            }
        }
        if pipe == "srvsvc" || pipe == "winreg" {
            let key = format!("{host}|{origin}");
            if let Some(items) = self.pipes.push(
                key.clone(),
                ev.time,
                (pipe.to_string(), ev.evidence.clone()),
            ) {
                let seen: BTreeSet<&str> = items.iter().map(|(_, (p, _))| p.as_str()).collect();
                if seen.contains("srvsvc") && seen.contains("winreg") {
                    let what = format!(
                        "{} opened both the server service (srvsvc) and the remote registry \
                         (winreg) of {} from {src} within a minute: the sessions connected to the \
                         host and the users logged on to it, as PsLoggedOn lists them",
                        who(ev),
                        ev.observer.as_deref().unwrap_or(&host)
                    );
                    let mut alert = build(ev, cx, Severity::Medium, what).target(target(ev));
                    alert.add_evidence_refs(items.iter().map(|(t, (_, e))| (e, *t)));
                    cx.emit(&alert_key(&origin), alert);
                }
            }
        }
    }

    fn flush(&mut self, cx: &mut Context<'_>) {
        for ev in std::mem::take(&mut self.pending) {
            if !cx.entities.observer_is_dc(&ev) {
                continue;
            }
            if let (Some(host), Some(src)) = (ev.observer_short(), ev.source.as_ref()) {
                on_dc(&ev, cx, &host, src);
            }
        }
    }
}

impl SmbSessionEnum {
    /// A captured `NetrShareEnum`: counts towards a hunt across hosts, never alone.
    fn captured_share_listing(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let Some(src) = ev.source.as_ref() else {
            return;
        };
        if ev.source_is_local() || cx.entities.is_dc_host(src) || ev.outcome.is_failure() {
            return;
        }
        if ev
            .actor
            .as_ref()
            .is_some_and(|a| a.is_machine() || (a.is_builtin_service() && !anonymous(a)))
        {
            return;
        }
        let Some(host) = ev.observer_short() else {
            return;
        };
        self.hunt(ev, cx, &host, &origin_key(ev), true);
    }

    /// One source reaching the server service of many hosts (`listing`: seen as captured
    /// share listings rather than pipe opens).
    fn hunt(
        &mut self,
        ev: &IdentityEvent,
        cx: &mut Context<'_>,
        host: &str,
        origin: &str,
        listing: bool,
    ) {
        let Some(items) = self.hosts.push(
            origin.to_string(),
            ev.time,
            (host.to_string(), ev.evidence.clone()),
        ) else {
            return;
        };
        let hosts: BTreeSet<&str> = items.iter().map(|(_, (h, _))| h.as_str()).collect();
        if hosts.len() < HUNT_HOSTS {
            return;
        }
        let shown: Vec<&str> = hosts.iter().take(20).copied().collect();
        let how = if listing {
            "listed the shares (srvsvc NetrShareEnum) of"
        } else {
            "opened the server service (srvsvc) of"
        };
        let what = format!(
            "{} {how} {} hosts within ten minutes ({}{}): hunting across the network, asking \
             each server what it offers and who is connected to it",
            who(ev),
            hosts.len(),
            shown.join(", "),
            if hosts.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        );
        let mut alert = build(ev, cx, Severity::Medium, what);
        for h in &shown {
            alert = alert.target(h.to_string());
        }
        alert.add_evidence_refs(items.iter().map(|(t, (_, e))| (e, *t)));
        cx.emit_summary(&alert_key(origin), alert);
    }
}

/// A captured call that lists a server's sessions or logged-on users.
fn session_call(ev: &IdentityEvent, cx: &mut Context<'_>, interface: &str, opnum: u16) {
    let op = match (interface, opnum) {
        ("srvsvc", 12) => "NetrSessionEnum, the sessions connected to it",
        ("wkssvc", 2) => "NetrWkstaUserEnum, the users logged on to it",
        _ => return,
    };
    let Some(src) = ev.source.as_ref() else {
        return;
    };
    if ev.source_is_local() || cx.entities.is_dc_host(src) {
        return;
    }
    if let Some(actor) = &ev.actor {
        if actor.is_machine() || (actor.is_builtin_service() && !anonymous(actor)) {
            return;
        }
    }
    let what = format!(
        "{} (from {src}) asked {} for {op}",
        who(ev),
        ev.observer.as_deref().unwrap_or("a server")
    );
    let alert = build(ev, cx, Severity::Medium, what).target(target(ev));
    cx.emit(&alert_key(&origin_key(ev)), alert);
}

/// `srvsvc` opened on a DC from a host that is not one.
fn on_dc(ev: &IdentityEvent, cx: &mut Context<'_>, host: &str, src: &Host) {
    if cx.entities.is_dc_host(src) {
        return;
    }
    let what = format!(
        "{} opened the server service (srvsvc) of the domain controller {} from {src}: the \
         interface of NetSessionEnum, which lists the accounts connected to the DC and the \
         machines they use (the same pipe also lists shares, which is why this is low severity)",
        who(ev),
        ev.observer.as_deref().unwrap_or(host)
    );
    let alert = build(ev, cx, Severity::Low, what).target(target(ev));
    cx.emit(&alert_key(&origin_key(ev)), alert);
}

/// Everything one source does joins one alert: hunting, PsLoggedOn-style lookups, DC sessions.
fn alert_key(origin: &str) -> String {
    format!("smb|{origin}")
}

/// The pipe a remote user opened on `IPC$`, lower-case, if it is one of ours.
fn remote_pipe(ev: &IdentityEvent) -> Option<&'static str> {
    let EventKind::ShareAccess {
        share,
        relative_target,
    } = &ev.kind
    else {
        return None;
    };
    if !share.to_ascii_lowercase().ends_with("ipc$") {
        return None;
    }
    let pipe = relative_target
        .as_deref()?
        .trim_start_matches('\\')
        .to_ascii_lowercase();
    let pipe = match pipe.as_str() {
        "srvsvc" => "srvsvc",
        "winreg" => "winreg",
        _ => return None,
    };
    let src = ev.source.as_ref()?;
    if src.is_loopback() || src.key().is_empty() || ev.is_captured() {
        return None;
    }
    if let Some(actor) = &ev.actor {
        if actor.is_machine() || (actor.is_builtin_service() && !anonymous(actor)) {
            return None;
        }
    }
    Some(pipe)
}

fn target(ev: &IdentityEvent) -> String {
    ev.observer.clone().unwrap_or_else(|| "a host".to_string())
}

/// `what` with its first letter upper-case: it opens the description.
fn capitalized(what: &str) -> String {
    let mut c = what.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn who(ev: &IdentityEvent) -> String {
    match (&ev.actor, ev.is_captured()) {
        (Some(a), _) => a.to_string(),
        // Over a Kerberos-authenticated session the account is inside the ticket.
        (None, true) => "a client whose account the capture does not show".to_string(),
        (None, false) => "an unauthenticated client".to_string(),
    }
}

fn build(ev: &IdentityEvent, cx: &Context<'_>, severity: Severity, what: String) -> Alert {
    let mut alert = Alert::new(AlertKind::SmbSessionEnum, severity, ev)
        .title(format!(
            "SMB session enumeration by {}",
            ev.actor
                .as_ref()
                .map(|a| a.to_string())
                .or_else(|| ev.source.as_ref().map(|s| s.to_string()))
                .unwrap_or_else(|| "an unknown client".to_string())
        ))
        .description(format!(
            "{}. Knowing which accounts are connected where tells an attacker which machine \
             to compromise next to steal an administrator's credentials.",
            capitalized(&what)
        ))
        .remediation(
            "Identify the process on the source host. Restrict NetSessionEnum to administrators \
             (the SrvsvcSessionInfo permission, or Microsoft's NetCease script) and limit the \
             remote registry service to the hosts that need it.",
        );
    if let Some(actor) = &ev.actor {
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

fn anonymous(a: &rampart_core::Account) -> bool {
    a.sid.as_deref() == Some("S-1-5-7") || a.name.eq_ignore_ascii_case("ANONYMOUS LOGON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, EngineConfig};
    use crate::entities::EntityConfig;
    use crate::testutil::*;

    fn pipe(secs: i64, on: &str, name: &str, user: &str, from: &str) -> IdentityEvent {
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
                on,
            ),
            Some(acct(user)),
            Some(ip(from)),
            None,
        )
    }

    #[test]
    fn hunting_across_hosts_and_psloggedon_alert() {
        let hunt = [
            pipe(0, "DC01.corp.local", "srvsvc", "pgustavo", "172.18.39.5"),
            pipe(1, "WS07.corp.local", "srvsvc", "pgustavo", "172.18.39.5"),
            pipe(2, "WS06.corp.local", "srvsvc", "pgustavo", "172.18.39.5"),
        ];
        let alerts = run(Box::<SmbSessionEnum>::default(), &hunt);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].targets.len(), 3);
        let psloggedon = [
            pipe(0, "SRV01", "winreg", "user01", "10.0.2.17"),
            pipe(0, "SRV01", "lsarpc", "user01", "10.0.2.17"),
            pipe(0, "SRV01", "srvsvc", "user01", "10.0.2.17"),
        ];
        let alerts = run(Box::<SmbSessionEnum>::default(), &psloggedon);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::Medium);
    }

    #[test]
    fn srvsvc_on_a_dc_learned_later_alerts_low() {
        let mut engine = Engine::with_detectors(
            &EngineConfig::default(),
            vec![Box::<SmbSessionEnum>::default()],
        );
        engine.process(&pipe(
            0,
            "DC01.corp.local",
            "srvsvc",
            "pgustavo",
            "172.18.39.5",
        ));
        // A KDC event later in the stream shows DC01 is a DC.
        engine.process(&ev(
            5,
            4769,
            EventKind::KerberosServiceTicket {
                status: 0,
                service: "krbtgt".into(),
                service_sid: None,
                ticket_etype: None,
                ticket_options: None,
                wire: None,
            },
        ));
        let alerts = engine.finish();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::Low);
    }

    #[test]
    fn share_browsing_and_machines_are_benign() {
        let config = EngineConfig {
            entities: EntityConfig {
                domain_controllers: vec!["DC02".into(), "10.0.0.12".into()],
                ..EntityConfig::default()
            },
            ..EngineConfig::default()
        };
        let mut engine = Engine::with_detectors(&config, vec![Box::<SmbSessionEnum>::default()]);
        for e in [
            // A user browsing one file server's shares, twice.
            pipe(0, "FS01", "srvsvc", "admmig", "10.23.23.9"),
            pipe(4, "FS01", "srvsvc", "admmig", "10.23.23.9"),
            // Machines and local use.
            pipe(5, "FS02", "srvsvc", "WS01$", "10.0.0.8"),
            pipe(6, "FS03", "srvsvc", "bob", "127.0.0.1"),
            pipe(7, "FS04", "winreg", "bob", "10.0.0.9"),
            // A DC reaching another DC's server service.
            pipe(8, "DC02", "srvsvc", "admin", "10.0.0.12"),
        ] {
            engine.process(&e);
        }
        assert!(engine.finish().is_empty());
    }

    fn rpc(secs: i64, client: &str, interface: &str, opnum: u16) -> IdentityEvent {
        let mut e = wire(
            secs,
            "10.0.0.10",
            client,
            EventKind::RpcCall {
                interface: interface.into(),
                opnum,
                operation: None,
                pipe: Some(interface.into()),
                sealed: false,
                object: None,
            },
        );
        e.actor = Some(acct("jnguyen"));
        e
    }

    #[test]
    fn captured_session_enumeration_alerts() {
        let alerts = run(
            Box::new(SmbSessionEnum::default()),
            &[
                rpc(0, "10.0.0.50", "srvsvc", 12),
                rpc(1, "10.0.0.50", "srvsvc", 12),
            ],
        );
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].count, 2);
        assert!(alerts[0].description.contains("NetrSessionEnum"));
    }

    #[test]
    fn captured_share_listing_is_benign() {
        let mut pipe_open = wire(
            0,
            "10.0.0.10",
            "10.0.0.50",
            EventKind::ShareAccess {
                share: "IPC$".into(),
                relative_target: Some("srvsvc".into()),
            },
        );
        pipe_open.actor = Some(acct("rmoore"));
        let alerts = run(
            Box::new(SmbSessionEnum::default()),
            &[pipe_open, rpc(1, "10.0.0.50", "srvsvc", 15)],
        );
        assert!(alerts.is_empty(), "{alerts:?}");
    }

    fn listing(secs: i64, server: &str, client: &str) -> IdentityEvent {
        let mut e = rpc(secs, client, "srvsvc", SHARE_ENUM);
        e.observer = Some(server.into());
        e.actor = None; // a Kerberos SMB session: the account is not on the wire
        e
    }

    #[test]
    fn captured_share_listing_across_hosts_is_a_hunt() {
        // PurpleSharp: one workstation listing the shares of three machines in a second.
        let alerts = run(
            Box::new(SmbSessionEnum::default()),
            &[
                listing(0, "172.18.39.6", "172.18.39.5"),
                listing(0, "172.18.38.5", "172.18.39.5"),
                listing(1, "172.18.39.7", "172.18.39.5"),
            ],
        );
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert!(
            alerts[0].description.contains("NetrShareEnum"),
            "{}",
            alerts[0].description
        );
        assert!(
            alerts[0].description.contains("does not show"),
            "{}",
            alerts[0].description
        );
    }

    #[test]
    fn captured_share_listing_of_two_hosts_or_from_a_dc_is_benign() {
        let config = EngineConfig {
            entities: EntityConfig {
                domain_controllers: vec!["10.0.0.12".into()],
                ..EntityConfig::default()
            },
            ..EngineConfig::default()
        };
        let mut engine = Engine::with_detectors(&config, vec![Box::<SmbSessionEnum>::default()]);
        for e in [
            // A user opening two file servers in Explorer.
            listing(0, "10.0.0.20", "10.0.0.50"),
            listing(60, "10.0.0.21", "10.0.0.50"),
            // A DC polling three servers (DFS, replication checks).
            listing(0, "10.0.0.20", "10.0.0.12"),
            listing(1, "10.0.0.21", "10.0.0.12"),
            listing(2, "10.0.0.22", "10.0.0.12"),
            // Three servers, but over more than ten minutes.
            listing(0, "10.0.0.20", "10.0.0.60"),
            listing(400, "10.0.0.21", "10.0.0.60"),
            listing(800, "10.0.0.22", "10.0.0.60"),
        ] {
            engine.process(&e);
        }
        let alerts = engine.finish();
        assert!(alerts.is_empty(), "{alerts:?}");
    }
}
