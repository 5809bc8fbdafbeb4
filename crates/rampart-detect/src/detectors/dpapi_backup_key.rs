//! DPAPI domain backup key theft (ATT&CK T1552.004): the domain's DPAPI backup key decrypts the
//! DPAPI master key of every user of the domain, and with it their saved passwords, browser
//! cookies, certificates' private keys and vault credentials. It never changes unless rotated by
//! hand. Attackers read it from a DC's LSA secrets (`G$BCKUPKEY_…`, mimikatz
//! `lsadump::backupkeys`, SharpDPAPI `backupkey`, impacket `dpapi.py backupkeys`) or use the
//! BackupKey remote protocol (MS-BKRP) to have a DC decrypt master keys for them.
//!
//! Evidence:
//! - a read of the backup key secret: 4662 on `Policy\Secrets\G$BCKUPKEY_…` (object server
//!   LSA) or on a `CN=BCKUPKEY_… Secret` directory object, by an account that is not a DC or a
//!   built-in service (high);
//! - the BackupKey interface opened over the network: 5145 on `IPC$\protected_storage` from a
//!   remote address by a user account (medium; Sigma rates it high);
//! - tools run to export it: `lsadump::backupkeys`, SharpDPAPI `backupkey` (4688, Sysmon 1).
//!
//! Deliberately not alerted: machine accounts and local system services using the interface
//! (domain members fetch the domain's public backup key as themselves), and access from the
//! DC itself. A user's own client also calls BackupKey to recover the user's master key after
//! an administrator reset the password; that is rare and the alert says so. The labelled
//! sample of this class is a single such 5145: thin evidence, kept at medium severity.

use crate::engine::{Context, Detector};
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct DpapiBackupKey;

impl Detector for DpapiBackupKey {
    fn name(&self) -> &'static str {
        "dpapi_backup_key"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::DpapiBackupKey]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let Some((severity, what)) = finding(ev, cx) else {
            return;
        };
        let host = ev.observer.as_deref().unwrap_or("a domain controller");
        let who = ev
            .actor
            .as_ref()
            .map(|a| a.to_string())
            .or_else(|| ev.source.as_ref().map(|s| s.to_string()))
            .unwrap_or_else(|| "an unknown principal".to_string());
        let mut alert = Alert::new(AlertKind::DpapiBackupKey, severity, ev)
            .title(format!("DPAPI domain backup key accessed by {who}"))
            .target(format!("DPAPI backup key on {host}"))
            .description(format!(
                "On {host}, {what}. The DPAPI domain backup key decrypts every domain user's \
                 DPAPI master keys, and with them their saved passwords, browser cookies, \
                 certificates' private keys and vault credentials; it does not change unless \
                 rotated by hand."
            ))
            .remediation(
                "Find the process and host behind the access. If the key may have been taken, \
                 plan a new DPAPI backup key (Microsoft's documented procedure) and treat secrets \
                 protected by DPAPI on domain machines as exposed; reset the credentials of the \
                 account used.",
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
        let key = ev
            .actor
            .as_ref()
            .map(|a| a.key())
            .unwrap_or_else(|| super::origin_key(ev));
        cx.emit(&key, alert);
    }
}

fn finding(ev: &IdentityEvent, cx: &Context<'_>) -> Option<(Severity, String)> {
    match &ev.kind {
        EventKind::DirectoryAccess { object, .. } => {
            let dn = object.dn.as_deref()?;
            if !dn.to_ascii_lowercase().contains("bckupkey") {
                return None;
            }
            let actor = ev.actor.as_ref()?;
            if actor.is_builtin_service() || cx.entities.is_dc_account(actor) {
                return None;
            }
            Some((
                Severity::High,
                format!("{actor} read the secret {dn}, which holds the DPAPI domain backup key"),
            ))
        }
        EventKind::ShareAccess {
            share,
            relative_target,
        } => {
            let pipe = relative_target
                .as_deref()?
                .trim_start_matches('\\')
                .to_ascii_lowercase();
            if pipe != "protected_storage" || !share.to_ascii_lowercase().ends_with("ipc$") {
                return None;
            }
            let src = ev.source.as_ref().filter(|s| !s.is_loopback())?;
            if cx.entities.is_dc_host(src) {
                return None;
            }
            let actor = ev.actor.as_ref();
            if actor.is_some_and(|a| a.is_machine() || (a.is_builtin_service() && !anonymous(a))) {
                return None;
            }
            Some((
                Severity::Medium,
                format!(
                    "{} opened the BackupKey interface (IPC$\\protected_storage) from {src}, as \
                     tools do to retrieve the domain backup key or have the DC decrypt DPAPI \
                     master keys; Windows clients use it rarely, to recover a user's master key \
                     after an administrator reset the password",
                    actor
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| "a client".to_string())
                ),
            ))
        }
        EventKind::ProcessCreated {
            image,
            command_line,
            ..
        } => {
            let cmd = command_line.as_deref().unwrap_or(image);
            let c = cmd.to_ascii_lowercase();
            let tool = c.contains("lsadump::backupkeys")
                || (c.contains("sharpdpapi") && c.contains("backupkey"))
                || (c.contains("dpapi.py") && c.contains("backupkeys"));
            tool.then(|| {
                (
                    Severity::High,
                    format!("the command `{cmd}` was run to export the DPAPI domain backup key"),
                )
            })
        }
        _ => None,
    }
}

fn anonymous(a: &rampart_core::Account) -> bool {
    a.sid.as_deref() == Some("S-1-5-7") || a.name.eq_ignore_ascii_case("ANONYMOUS LOGON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::DirObject;

    fn pipe(user: &str, name: &str, from: &str) -> IdentityEvent {
        with(
            ev(
                0,
                5145,
                EventKind::ShareAccess {
                    share: "\\\\*\\IPC$".into(),
                    relative_target: Some(name.into()),
                },
            ),
            Some(acct(user)),
            Some(ip(from)),
            None,
        )
    }

    #[test]
    fn backup_key_interface_and_secret_reads_alert() {
        let secret = with(
            ev(
                5,
                4662,
                EventKind::DirectoryAccess {
                    object: DirObject {
                        dn: Some("Policy\\Secrets\\G$BCKUPKEY_PREFERRED".into()),
                        class: Some("SecretObject".into()),
                        guid: None,
                    },
                    access_mask: Some(0x2),
                    properties: vec![],
                },
            ),
            Some(acct("backdoor")),
            None,
            None,
        );
        let alerts = run(
            Box::new(DpapiBackupKey),
            &[pipe("backdoor", "protected_storage", "172.16.66.1"), secret],
        );
        assert_eq!(alerts.len(), 1, "one per account");
        assert_eq!(alerts[0].count, 2);
        assert_eq!(alerts[0].severity, Severity::High);
        assert_eq!(alerts[0].source_host.as_deref(), Some("172.16.66.1"));
    }

    #[test]
    fn machine_accounts_local_calls_and_other_pipes_are_benign() {
        let events = [
            pipe("WS01$", "protected_storage", "10.0.0.8"),
            pipe("alice", "protected_storage", "127.0.0.1"),
            pipe("alice", "lsarpc", "10.0.0.8"),
            pipe("alice", "samr", "10.0.0.8"),
        ];
        assert!(run(Box::new(DpapiBackupKey), &events).is_empty());
    }
}
