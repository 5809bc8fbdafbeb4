//! DCSync (ATT&CK T1003.006): a principal that is not a domain controller asks a DC to
//! replicate directory secrets (mimikatz `lsadump::dcsync`, impacket `secretsdump -just-dc`).
//!
//! Evidence: [`EventKind::DirectoryReplication`] naming `DS-Replication-Get-Changes-All` (or
//! `-Get-Changes` / `-In-Filtered-Set`), from 4662 on a DC or a captured DRSUAPI
//! `DsGetNCChanges`. Replication by a DC's machine account (DC-to-DC replication) is normal and
//! never alerts; neither do built-in service principals. Machine accounts are treated as DCs
//! unless known otherwise, because only DCs hold replication rights by default; a directory
//! snapshot (later) makes that exact.

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
}
