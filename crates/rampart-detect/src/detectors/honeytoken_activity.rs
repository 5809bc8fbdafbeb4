//! Honeytoken activity (ATT&CK T1087.002, and whatever the decoy was used for): decoy accounts
//! exist only to be found; nothing legitimate uses or even reads them, so any activity around
//! one is an attacker enumerating, roasting or trying the credentials they found.
//!
//! Only the decoys the operator configured count (`EntityConfig::honeytokens`, by
//! sAMAccountName, SID, objectGUID or DN); a name that merely looks like a decoy never does.
//!
//! Evidence:
//! - the decoy authenticating or trying to: logons and failed logons, TGT and service ticket
//!   requests, NTLM validations, explicit credentials, processes run as it (any event whose
//!   actor is the decoy);
//! - a service ticket requested for the decoy (Kerberoasting a decoy with an SPN);
//! - the decoy's directory object read (4662 on its objectGUID or DN) or its SAM object opened
//!   (4661 on its SID) by an account that is not a machine or a built-in service;
//! - any other event naming the decoy as its target (its groups enumerated, its password reset,
//!   its account changed).
//!
//! Deliberately not alerted: reads of the decoy by machine accounts and built-in services (DC
//! replication, the DC's own services) and anything at all when no honeytoken is configured.

use crate::engine::{Context, Detector};
use rampart_core::{Account, Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct HoneytokenActivity;

impl Detector for HoneytokenActivity {
    fn name(&self) -> &'static str {
        "honeytoken_activity"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::HoneytokenActivity]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let Some((decoy, what, reader)) = finding(ev, cx) else {
            return;
        };
        let host = ev.observer.as_deref().unwrap_or("an unknown host");
        let mut alert = Alert::new(AlertKind::HoneytokenActivity, Severity::High, ev)
            .title(format!(
                "Honeytoken {decoy} {}",
                if reader { "read" } else { "used" }
            ))
            .target(decoy.clone())
            .description(format!(
                "{what} (recorded by {host}{}). {decoy} is a decoy: nothing legitimate uses or \
                 looks it up, so whoever did is exploring the directory for targets or trying \
                 credentials they found.",
                ev.source
                    .as_ref()
                    .map(|s| format!(", from {s}"))
                    .unwrap_or_default()
            ))
            .remediation(
                "Find the account and host behind the activity and what else they did in the \
                 same session. Treat them as compromised: isolate the host, reset the account's \
                 credentials, and review recent reconnaissance and authentication alerts for \
                 the same source.",
            );
        if let Some(actor) = ev.actor.as_ref() {
            alert = alert.actor(actor, cx.entities.is_sensitive_account(actor));
        }
        if let Some(src) = &ev.source {
            alert = alert.source(src);
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        cx.emit(&decoy.to_ascii_lowercase(), alert);
    }
}

/// The decoy an event touches, a sentence about it, and whether it was read (not used).
fn finding(ev: &IdentityEvent, cx: &Context<'_>) -> Option<(String, String, bool)> {
    let e = cx.entities;
    let by = |ev: &IdentityEvent| {
        ev.actor
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "someone".to_string())
    };
    let reader_ok =
        |a: Option<&Account>| a.is_some_and(|a| !a.is_machine() && !a.is_builtin_service());
    if let Some(actor) = ev.actor.as_ref().filter(|a| e.is_honeytoken(a)) {
        return Some((
            actor.to_string(),
            format!(
                "the decoy account {actor} was used: {}{}",
                describe(&ev.kind),
                if ev.outcome.is_failure() {
                    " (failed)"
                } else {
                    ""
                }
            ),
            false,
        ));
    }
    match &ev.kind {
        EventKind::KerberosServiceTicket { service, .. } => {
            let svc = Account::parse(service)?;
            e.is_honeytoken(&svc).then(|| {
                (
                    svc.name.clone(),
                    format!(
                        "{} requested a service ticket for the decoy service account {}, as \
                         Kerberoasting does",
                        by(ev),
                        svc.name
                    ),
                    false,
                )
            })
        }
        EventKind::DirectoryAccess { object, .. }
        | EventKind::DirectoryReplication { object, .. } => {
            if !e.is_honeytoken_object(object) || !reader_ok(ev.actor.as_ref()) {
                return None;
            }
            // 4662 often names the object only by its GUID (`%{…}`): show the bare GUID then.
            let name = object
                .dn
                .clone()
                .filter(|dn| !dn.starts_with("%{"))
                .or_else(|| object.guid.as_ref().map(|g| format!("object {g}")))
                .unwrap_or_else(|| "a decoy object".to_string());
            Some((
                name.clone(),
                format!("{} read the directory object of the decoy {name}", by(ev)),
                true,
            ))
        }
        EventKind::SamObjectAccess { object_name, .. } => {
            let decoy = Account::new(object_name, None).with_sid(Some(object_name));
            if !e.is_honeytoken(&decoy) || !reader_ok(ev.actor.as_ref()) {
                return None;
            }
            Some((
                object_name.clone(),
                format!(
                    "{} opened the SAM object of the decoy {object_name}",
                    by(ev)
                ),
                true,
            ))
        }
        _ => {
            let target = ev.target.as_ref().filter(|t| e.is_honeytoken(t))?;
            Some((
                target.to_string(),
                format!(
                    "{} acted on the decoy {target}: {}",
                    by(ev),
                    describe(&ev.kind)
                ),
                !matches!(
                    ev.kind,
                    EventKind::PasswordReset
                        | EventKind::AccountChanged { .. }
                        | EventKind::AccountEnabled
                        | EventKind::GroupMembershipChange { .. }
                ),
            ))
        }
    }
}

/// A few words for what an event was.
fn describe(kind: &EventKind) -> String {
    match kind {
        EventKind::Logon { logon_type, .. } => format!("a logon (type {logon_type})"),
        EventKind::LogonFailure { logon_type, .. } => {
            format!("a failed logon (type {logon_type})")
        }
        EventKind::KerberosTgtRequest { .. } => "a Kerberos TGT request".to_string(),
        EventKind::KerberosServiceTicket { service, .. } => {
            format!("a service ticket request for {service}")
        }
        EventKind::NtlmAuth { .. } => "an NTLM authentication".to_string(),
        EventKind::ExplicitCredentials { .. } => "explicit credentials".to_string(),
        EventKind::PasswordReset => "a password reset".to_string(),
        EventKind::GroupMembershipEnumerated { .. } => {
            "an enumeration of its group memberships".to_string()
        }
        other => other.name().replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, EngineConfig};
    use crate::entities::EntityConfig;
    use crate::testutil::*;
    use rampart_core::DirObject;

    fn engine(honeytokens: &[&str]) -> Engine {
        let config = EngineConfig {
            entities: EntityConfig {
                honeytokens: honeytokens.iter().map(|s| s.to_string()).collect(),
                ..EntityConfig::default()
            },
            ..EngineConfig::default()
        };
        Engine::with_detectors(&config, vec![Box::new(HoneytokenActivity)])
    }

    fn read(user: &str, guid: &str) -> IdentityEvent {
        with(
            ev(
                0,
                4662,
                EventKind::DirectoryAccess {
                    object: DirObject {
                        dn: Some(format!("%{{{guid}}}")),
                        class: Some("user".into()),
                        guid: Some(guid.into()),
                    },
                    access_mask: Some(0x10),
                    properties: vec![],
                },
            ),
            Some(acct(user)),
            None,
            None,
        )
    }

    fn logon(user: &str) -> IdentityEvent {
        with(
            ev(
                1,
                4624,
                EventKind::Logon {
                    logon_type: 3,
                    auth_package: Some("NTLM".into()),
                    logon_process: None,
                    logon_id: None,
                    elevated: None,
                },
            ),
            Some(acct(user)),
            Some(ip("10.23.23.9")),
            None,
        )
    }

    const GUID: &str = "259162f1-58e4-4ee9-9b9c-2baf2a03d376";

    #[test]
    fn decoy_reads_and_logons_alert() {
        let mut e = engine(&[GUID, "svc_sql_old"]);
        e.process(&read("lambda-user", GUID));
        e.process(&logon("svc_sql_old"));
        let alerts = e.finish();
        assert_eq!(alerts.len(), 2, "one per decoy: {alerts:#?}");
        assert!(alerts.iter().all(|a| a.severity == Severity::High));
    }

    #[test]
    fn nothing_without_configured_decoys_or_from_machines() {
        // Not configured: the same events are nothing.
        let mut e = engine(&[]);
        e.process(&read("lambda-user", GUID));
        e.process(&logon("svc_sql_old"));
        assert!(e.finish().is_empty());
        // Configured, but read by a DC's own account and by other users' logons.
        let mut e = engine(&[GUID]);
        e.process(&read("DC01$", GUID));
        e.process(&read("lambda-user", "00000000-0000-0000-0000-000000000001"));
        e.process(&logon("alice"));
        assert!(e.finish().is_empty());
        // Through `run` (no configuration at all).
        assert!(run(Box::new(HoneytokenActivity), &[read("bob", GUID)]).is_empty());
    }
}
