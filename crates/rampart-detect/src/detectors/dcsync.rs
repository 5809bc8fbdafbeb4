//! DCSync (ATT&CK T1003.006): a principal that is not a domain controller asks a DC to
//! replicate directory secrets (mimikatz `lsadump::dcsync`, impacket `secretsdump -just-dc`).
//!
//! Evidence: [`EventKind::DirectoryReplication`] naming `DS-Replication-Get-Changes-All` (or
//! `-Get-Changes` / `-In-Filtered-Set`), from 4662 on a DC or a captured DRSUAPI
//! `DsGetNCChanges`. Replication by a DC's machine account (DC-to-DC replication) is normal and
//! never alerts; neither do built-in service principals. Machine accounts are treated as DCs
//! unless known otherwise, because only DCs hold replication rights by default; a directory
//! snapshot (later) makes that exact.
//!
//! On the wire: a DRSUAPI `DsGetNCChanges` call ([`EventKind::RpcCall`], interface `drsuapi`,
//! opnum 3) from a host that is not a known DC (DCs are learned from the traffic itself: the
//! servers that answer Kerberos and replication). The stub is usually sealed, so what was
//! replicated is unknown; the call is the evidence, answered or refused, because only DCs
//! replicate. Calls from one requester join one alert.

use crate::engine::{Context, Detector};
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct DcSync;

impl Detector for DcSync {
    fn name(&self) -> &'static str {
        "dcsync"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::Dcsync]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        if let EventKind::RpcCall {
            interface, opnum, ..
        } = &ev.kind
        {
            if interface == "drsuapi" && *opnum == DS_GET_NC_CHANGES {
                replication_call(ev, cx);
            }
            return;
        }
        let EventKind::DirectoryReplication { object, rights } = &ev.kind else {
            return;
        };
        if ev.outcome.is_failure() || rights.is_empty() {
            return;
        }
        let Some(actor) = &ev.actor else { return };
        if actor.is_builtin_service() || actor.is_machine() || cx.entities.is_dc_account(actor) {
            return;
        }
        if ev
            .source
            .as_ref()
            .is_some_and(|s| cx.entities.is_dc_host(s))
        {
            return;
        }
        let secrets = rights
            .iter()
            .any(|r| r.ends_with("-All") || r.ends_with("Filtered-Set"));
        let severity = if secrets {
            Severity::Critical
        } else {
            Severity::High
        };
        let object_name = object
            .dn
            .clone()
            .unwrap_or_else(|| "the domain".to_string());
        let mut alert = Alert::new(AlertKind::Dcsync, severity, ev)
            .title(format!("DCSync: {actor} replicated directory secrets"))
            .actor(actor, cx.entities.is_sensitive_account(actor))
            .target(object_name.clone())
            .description(format!(
                "{actor}, which is not a domain controller, requested directory replication \
                 ({}) of {object_name}{}. Replication hands over every account's password \
                 hashes, including krbtgt's: the requester can impersonate anyone and forge \
                 golden tickets.",
                rights.join(", "),
                ev.source
                    .as_ref()
                    .map(|s| format!(" from {s}"))
                    .unwrap_or_default()
            ))
            .remediation(
                "Confirm whether this account is a legitimate replication tool (e.g. Azure AD \
                 Connect) and allow-list it if so. Otherwise treat the domain as compromised: \
                 remove replication rights from the account, reset its password, reset the \
                 krbtgt password twice, and investigate the source host.",
            );
        if let Some(src) = &ev.source {
            alert = alert.source(src);
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, true);
        }
        cx.emit(&actor.key(), alert);
    }
}

/// DRSUAPI `IDL_DRSGetNCChanges` (MS-DRSR 4.1.10).
const DS_GET_NC_CHANGES: u16 = 3;

/// A captured `DsGetNCChanges` call.
fn replication_call(ev: &IdentityEvent, cx: &mut Context<'_>) {
    let Some(src) = &ev.source else { return };
    if ev.source_is_local() || cx.entities.is_dc_host(src) {
        return;
    }
    let actor = ev.actor.as_ref();
    if actor.is_some_and(|a| a.is_builtin_service() || cx.entities.is_dc_account(a)) {
        return;
    }
    let server = ev.observer.as_deref().unwrap_or("a domain controller");
    let who = actor
        .map(|a| a.to_string())
        .unwrap_or_else(|| src.to_string());
    let answered = !ev.outcome.is_failure();
    let mut alert = Alert::new(AlertKind::Dcsync, Severity::Critical, ev)
        .title(format!(
            "DCSync: {who} asked {server} to replicate the directory"
        ))
        .source(src)
        .target(format!("directory replication on {server}"))
        .description(format!(
            "{src}, which is not a known domain controller, called DRSUAPI DsGetNCChanges on \
             {server}{}{}. Only domain controllers replicate the directory; a replication \
             request from anywhere else is how DCSync (mimikatz lsadump::dcsync, impacket \
             secretsdump) pulls every account's password hashes, krbtgt's included.",
            actor.map(|a| format!(" as {a}")).unwrap_or_default(),
            if answered {
                ""
            } else {
                " (the server refused the call)"
            }
        ))
        .remediation(
            "Identify the requesting host and account. If it is not a replication tool you \
             run (a new DC being promoted, Azure AD Connect), treat the domain as compromised: \
             remove replication rights from the account, reset its password, reset the krbtgt \
             password twice, and investigate the host.",
        );
    if let Some(a) = actor {
        alert = alert.actor(a, cx.entities.is_sensitive_account(a));
    }
    alert = alert.observer(server, true);
    cx.emit(&src.key(), alert);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::DirObject;

    fn replication(actor: &str) -> IdentityEvent {
        with(
            ev(
                0,
                4662,
                EventKind::DirectoryReplication {
                    object: DirObject {
                        dn: Some("DC=corp,DC=local".into()),
                        ..DirObject::default()
                    },
                    rights: vec![
                        "DS-Replication-Get-Changes".into(),
                        "DS-Replication-Get-Changes-All".into(),
                    ],
                },
            ),
            Some(acct(actor)),
            None,
            None,
        )
    }

    #[test]
    fn user_replicating_secrets_alerts() {
        let alerts = run(
            Box::new(DcSync),
            &[replication("jdoe"), replication("jdoe")],
        );
        assert_eq!(alerts.len(), 1, "repeats merge into one alert");
        assert_eq!(alerts[0].kind, AlertKind::Dcsync);
        assert_eq!(alerts[0].severity, Severity::Critical);
        assert_eq!(alerts[0].count, 2);
        assert_eq!(alerts[0].actor.as_deref(), Some("CORP\\jdoe"));
    }

    #[test]
    fn dc_to_dc_replication_is_benign() {
        assert!(run(
            Box::new(DcSync),
            &[replication("DC02$"), replication("SYSTEM")]
        )
        .is_empty());
    }

    #[test]
    fn other_directory_access_is_ignored() {
        let e = with(
            ev(
                0,
                4662,
                EventKind::DirectoryAccess {
                    object: DirObject::default(),
                    access_mask: Some(0x100),
                    properties: vec![],
                },
            ),
            Some(acct("jdoe")),
            None,
            None,
        );
        assert!(run(Box::new(DcSync), &[e]).is_empty());
    }

    fn get_nc_changes(secs: i64, server: &str, client: &str, actor: Option<&str>) -> IdentityEvent {
        let mut e = wire(
            secs,
            server,
            client,
            EventKind::RpcCall {
                interface: "drsuapi".into(),
                opnum: 3,
                operation: Some("DsGetNCChanges".into()),
                pipe: None,
                sealed: true,
                object: None,
            },
        );
        e.actor = actor.map(acct);
        e
    }

    fn kdc_reply(secs: i64, server: &str, client: &str) -> IdentityEvent {
        wire(
            secs,
            server,
            client,
            EventKind::KerberosTgtRequest {
                status: 0,
                preauth_type: Some(2),
                ticket_etype: Some(18),
                ticket_options: None,
                wire: Some(Box::new(rampart_core::KerberosWire {
                    answered: true,
                    ..Default::default()
                })),
            },
        )
    }

    #[test]
    fn captured_replication_from_a_workstation_alerts_once() {
        let events: Vec<_> = (0..17)
            .map(|i| get_nc_changes(i, "10.0.0.10", "10.0.0.50", Some("Administrator")))
            .collect();
        let alerts = run(Box::new(DcSync), &events);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].severity, Severity::Critical);
        assert_eq!(alerts[0].count, 17);
        assert_eq!(alerts[0].source_host.as_deref(), Some("10.0.0.50"));
    }

    #[test]
    fn captured_replication_between_dcs_is_benign() {
        // Both DCs answer Kerberos, so both are known DCs before they replicate.
        let events = [
            kdc_reply(0, "10.0.0.10", "10.0.0.50"),
            kdc_reply(1, "10.0.0.11", "10.0.0.50"),
            get_nc_changes(2, "10.0.0.10", "10.0.0.11", Some("DC02$")),
            get_nc_changes(3, "10.0.0.11", "10.0.0.10", None),
        ];
        assert!(run(Box::new(DcSync), &events).is_empty());
    }
}
