//! NTLM relay (ATT&CK T1557.001): an attacker relays a captured NTLM authentication, typically
//! a server's machine account coerced into authenticating (PrivExchange, PetitPotam), to LDAP on
//! a DC and uses it to change the directory (grant DCSync rights, add a member, set RBCD).
//!
//! Evidence: a computer account that is not a DC logs on to a DC over the network with NTLM
//! ([`EventKind::Logon`] 4624, NTLM package) — computers in a domain authenticate with Kerberos —
//! and then, within ten minutes, the same account makes a privilege-granting directory change
//! (a security-descriptor change or a group membership addition). NTLM logons of machine
//! accounts without a following change are common in legacy setups and do not alert.

use crate::engine::{Context, Detector};
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::{Alert, AlertKind, EventKind, Evidence, Host, IdentityEvent, Severity};

pub struct NtlmRelay {
    /// NTLM network logons of machine accounts, by account, with where they came from.
    ntlm_logons: KeyedWindows<String, (Option<Host>, Evidence)>,
}

impl Default for NtlmRelay {
    fn default() -> Self {
        NtlmRelay {
            ntlm_logons: KeyedWindows::new(Duration::minutes(10), 20_000, 16),
        }
    }
}

impl Detector for NtlmRelay {
    fn name(&self) -> &'static str {
        "ntlm_relay"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::NtlmRelay]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        match &ev.kind {
            EventKind::Logon {
                logon_type: 3,
                auth_package: Some(pkg),
                ..
            } if pkg.to_ascii_uppercase().starts_with("NTLM") => {
                let Some(actor) = &ev.actor else { return };
                if !actor.is_machine() || cx.entities.is_dc_account(actor) {
                    return;
                }
                if ev.source.as_ref().is_some_and(|s| s.is_loopback()) {
                    return;
                }
                self.ntlm_logons.push(
                    actor.key(),
                    ev.time,
                    (ev.source.clone(), ev.evidence.clone()),
                );
            }
            EventKind::DirectoryChange {
                attribute: Some(attr),
                ..
            } if attr.eq_ignore_ascii_case("nTSecurityDescriptor")
                || attr.eq_ignore_ascii_case("msDS-AllowedToActOnBehalfOfOtherIdentity")
                || attr.eq_ignore_ascii_case("member") =>
            {
                self.change(ev, cx)
            }
            EventKind::GroupMembershipChange { added: true, .. } => self.change(ev, cx),
            _ => {}
        }
    }
}

impl NtlmRelay {
    fn change(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let Some(actor) = &ev.actor else { return };
        if !actor.is_machine() {
            return;
        }
        let Some(logons) = self.ntlm_logons.get(&actor.key()) else {
            return;
        };
        let Some((t, (source, logon_ev))) = logons
            .iter()
            .rev()
            .find(|(t, _)| *t <= ev.time && ev.time - *t <= Duration::minutes(10))
        else {
            return;
        };
        let from = source
            .as_ref()
            .map(|s| format!(" from {s}"))
            .unwrap_or_default();
        let mut alert = Alert::new(AlertKind::NtlmRelay, Severity::High, ev)
            .title(format!(
                "NTLM relay: {actor} changed the directory after an NTLM logon"
            ))
            .actor(actor, cx.entities.is_sensitive_account(actor))
            .description(format!(
                "The computer account {actor} logged on with NTLM{from} and then changed the \
                 directory ({}). Computers authenticate with Kerberos; an NTLM logon of a machine \
                 account followed by a privilege change is the signature of a relayed \
                 authentication (PrivExchange, PetitPotam + ntlmrelayx).",
                ev.kind.name()
            ))
            .remediation(
                "Revert the change, require LDAP signing and channel binding on DCs, enable EPA \
                 and disable NTLM where possible, patch the coerced service (Exchange, EFSRPC, \
                 print spooler) and investigate the relaying host.",
            );
        alert.add_evidence_ref(logon_ev, *t);
        if let Some(src) = source {
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
    use rampart_core::{ChangeOp, DirObject};

    fn ntlm_logon(secs: i64, who: &str, pkg: &str) -> IdentityEvent {
        with(
            ev(
                secs,
                4624,
                EventKind::Logon {
                    logon_type: 3,
                    auth_package: Some(pkg.into()),
                    logon_process: Some("NtLmSsp".into()),
                    logon_id: None,
                    elevated: None,
                },
            ),
            Some(acct(who)),
            Some(ip("192.168.111.87")),
            None,
        )
    }

    fn acl_change(secs: i64, who: &str) -> IdentityEvent {
        with(
            ev(
                secs,
                5136,
                EventKind::DirectoryChange {
                    object: DirObject {
                        dn: Some("DC=internal,DC=corp".into()),
                        ..DirObject::default()
                    },
                    op: ChangeOp::ValueAdded,
                    attribute: Some("nTSecurityDescriptor".into()),
                    value: None,
                    correlation: None,
                },
            ),
            Some(acct(who)),
            None,
            None,
        )
    }

    #[test]
    fn machine_ntlm_logon_then_acl_change_alerts() {
        let alerts = run(
            Box::<NtlmRelay>::default(),
            &[
                ntlm_logon(0, "EXCHANGE$", "NTLM"),
                acl_change(2, "EXCHANGE$"),
            ],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].evidence.len(), 2);
    }

    #[test]
    fn kerberos_logons_and_changes_without_ntlm_are_benign() {
        let events = [
            ntlm_logon(0, "EXCHANGE$", "Kerberos"),
            acl_change(2, "EXCHANGE$"),
            ntlm_logon(10, "WS01$", "NTLM"),
            acl_change(10_000, "WS01$"),
        ];
        assert!(run(Box::<NtlmRelay>::default(), &events).is_empty());
    }
}
