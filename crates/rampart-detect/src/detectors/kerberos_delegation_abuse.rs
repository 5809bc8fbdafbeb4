//! Kerberos delegation set up for abuse (ATT&CK T1558, T1098): an attacker who can write an
//! account's delegation settings makes it able to impersonate any user to some or all services:
//! unconstrained delegation (the host receives every visiting user's TGT), constrained
//! delegation with protocol transition (S4U2self + S4U2proxy as anyone), or resource-based
//! constrained delegation on a target (RBCD: KrbRelayUp, `rbcd.py`).
//!
//! Evidence: [`EventKind::AccountChanged`] (4738/4742) turning on the SAM flags
//! "trusted for delegation" or "trusted to authenticate for delegation", or setting
//! `AllowedToDelegateTo`; [`EventKind::DirectoryChange`] (5136) adding
//! `msDS-AllowedToDelegateTo`, `msDS-AllowedToActOnBehalfOfOtherIdentity`, or a
//! `userAccountControl` value with TRUSTED_FOR_DELEGATION / TRUSTED_TO_AUTH_FOR_DELEGATION.
//! Domain controllers are trusted for delegation by design and do not alert. The use of
//! delegation (S4U ticket requests) is left to the network sensor; a lone loopback Kerberos logon
//! is too thin to call.

use crate::engine::{Context, Detector};
use rampart_core::wellknown::{samr_uac, uac};
use rampart_core::{Alert, AlertKind, ChangeOp, EventKind, IdentityEvent, Severity};

pub struct KerberosDelegationAbuse;

impl Detector for KerberosDelegationAbuse {
    fn name(&self) -> &'static str {
        "kerberos_delegation_abuse"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::KerberosDelegationAbuse]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        if ev.outcome.is_failure() {
            return;
        }
        let (object, what, severity) = match &ev.kind {
            EventKind::AccountChanged {
                changes,
                old_uac,
                new_uac,
                ..
            } => {
                let Some(target) = &ev.target else { return };
                if cx.entities.is_dc_account(target) {
                    return;
                }
                let turned_on = |flag: u32| {
                    new_uac.is_some_and(|n| n & flag != 0) && old_uac.is_none_or(|o| o & flag == 0)
                };
                let mut found = Vec::new();
                if turned_on(samr_uac::TRUSTED_FOR_DELEGATION) {
                    found.push(
                        "unconstrained delegation (trusted for delegation to any service)"
                            .to_string(),
                    );
                }
                if turned_on(samr_uac::TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION) {
                    found.push(
                        "protocol transition (trusted to authenticate for delegation)".to_string(),
                    );
                }
                if let Some((_, v)) = changes
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("AllowedToDelegateTo"))
                {
                    let spns: Vec<&str> = v
                        .split(|c: char| c.is_whitespace() || c == ',')
                        .filter(|s| !s.is_empty() && !s.starts_with("%%") && *s != "-")
                        .collect();
                    if !spns.is_empty() {
                        found.push(format!("constrained delegation to {}", spns.join(", ")));
                    }
                }
                if found.is_empty() {
                    return;
                }
                let sev = if found[0].starts_with("unconstrained")
                    || found.iter().any(|f| f.starts_with("protocol"))
                {
                    Severity::High
                } else {
                    Severity::Medium
                };
                (target.to_string(), found.join("; "), sev)
            }
            EventKind::DirectoryChange {
                object,
                op: ChangeOp::ValueAdded,
                attribute: Some(attr),
                value,
                ..
            } => {
                let dn = object.dn.clone().unwrap_or_else(|| "an object".into());
                let v = value.as_deref().unwrap_or("");
                let a = attr.to_ascii_lowercase();
                if a == "msds-allowedtoactonbehalfofotheridentity" {
                    (dn, "resource-based constrained delegation granted (msDS-AllowedToActOnBehalfOfOtherIdentity)".to_string(), Severity::High)
                } else if a == "msds-allowedtodelegateto" {
                    (
                        dn,
                        format!("constrained delegation to {v}"),
                        Severity::Medium,
                    )
                } else if a == "useraccountcontrol" {
                    let Some(flags) = v.trim().parse::<u32>().ok() else {
                        return;
                    };
                    if flags & uac::SERVER_TRUST_ACCOUNT != 0 {
                        return;
                    }
                    if flags & uac::TRUSTED_FOR_DELEGATION != 0 {
                        (
                            dn,
                            "unconstrained delegation (TRUSTED_FOR_DELEGATION)".to_string(),
                            Severity::High,
                        )
                    } else if flags & uac::TRUSTED_TO_AUTH_FOR_DELEGATION != 0 {
                        (
                            dn,
                            "protocol transition (TRUSTED_TO_AUTH_FOR_DELEGATION)".to_string(),
                            Severity::High,
                        )
                    } else {
                        return;
                    }
                } else {
                    return;
                }
            }
            _ => return,
        };
        let who = ev
            .actor
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "Someone".into());
        let mut alert = Alert::new(AlertKind::KerberosDelegationAbuse, severity, ev)
            .title(format!("Kerberos delegation configured on {object}"))
            .target(object.clone())
            .description(format!(
                "{who} configured {what} on {object}. Delegation lets the account impersonate \
                 users to other services; set up by an attacker it becomes a path to \
                 impersonate administrators."
            ))
            .remediation(
                "Unless a change request explains it, remove the delegation setting, mark \
                 privileged accounts \"sensitive and cannot be delegated\" (or add them to \
                 Protected Users), and investigate who can write these attributes.",
            );
        if let Some(actor) = &ev.actor {
            alert = alert.actor(actor, cx.entities.is_sensitive_account(actor));
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        // One alert per configured object: 4742 and its 5136 lines are one change.
        let key = object
            .trim_start_matches("cn=")
            .trim_start_matches("CN=")
            .split([',', '\\'])
            .next()
            .unwrap_or("")
            .trim_end_matches('$')
            .to_ascii_lowercase();
        let key = ev
            .target
            .as_ref()
            .map(|t| t.key().trim_end_matches('$').to_string())
            .unwrap_or(key);
        cx.emit(&key, alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::{AccountType, DirObject};

    fn computer_change(old: u32, new: u32, allowed: Option<&str>) -> IdentityEvent {
        let mut changes = vec![("UserAccountControl".to_string(), "%%2093".to_string())];
        if let Some(a) = allowed {
            changes.push(("AllowedToDelegateTo".into(), a.into()));
        }
        with(
            ev(
                0,
                4742,
                EventKind::AccountChanged {
                    account_type: AccountType::Computer,
                    changes,
                    old_uac: Some(old),
                    new_uac: Some(new),
                },
            ),
            Some(acct("admmig")),
            None,
            Some(acct("MYTARGET-PC$")),
        )
    }

    #[test]
    fn unconstrained_delegation_enabled_alerts() {
        let alerts = run(
            Box::new(KerberosDelegationAbuse),
            &[computer_change(0x84, 0x2084, None)],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::High);
    }

    #[test]
    fn rbcd_write_alerts_and_other_changes_do_not() {
        let rbcd = with(
            ev(
                0,
                5136,
                EventKind::DirectoryChange {
                    object: DirObject {
                        dn: Some("CN=WS01,OU=PCs,DC=corp,DC=local".into()),
                        ..DirObject::default()
                    },
                    op: ChangeOp::ValueAdded,
                    attribute: Some("msDS-AllowedToActOnBehalfOfOtherIdentity".into()),
                    value: Some(
                        "O:BAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;S-1-5-21-1-2-3-1500)".into(),
                    ),
                    correlation: None,
                },
            ),
            Some(acct("jdoe")),
            None,
            None,
        );
        assert_eq!(run(Box::new(KerberosDelegationAbuse), &[rbcd]).len(), 1);
        let benign = [
            computer_change(0x2084, 0x84, None),
            computer_change(0x80, 0x80, Some("-")),
        ];
        assert!(run(Box::new(KerberosDelegationAbuse), &benign).is_empty());
    }
}
