//! Directory permission change (ATT&CK T1222.001): an ACE or owner change on a directory object
//! that hands control to a principal that is not an administrator: replication rights on the
//! domain root (PowerView `Add-DomainObjectAcl -Rights DCSync`, PrivExchange / ntlmrelayx
//! `--escalate-user`), GenericAll, WriteDacl, WriteOwner, write access to members, SPNs, key
//! credentials or delegation, or taking ownership.
//!
//! Evidence: [`EventKind::DirectoryChange`] of `nTSecurityDescriptor` (5136 writes the old value
//! as a deletion and the new one as an addition under one correlation id). The detector parses
//! both SDDL values and alerts only on what the change *added*: a granting ACE with a dangerous
//! right for a non-admin trustee, or a new owner that is not an admin. Ordinary ACL edits
//! (read rights, admin groups) do not alert. AdminSDHolder has its own detector.

use crate::engine::{Context, Detector};
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::sddl::{self, Ace};
use rampart_core::{Alert, AlertKind, ChangeOp, EventKind, IdentityEvent, Severity};
use std::collections::HashSet;

pub struct AdAclChange {
    /// The old descriptor of an object, by (object, correlation), until its new value arrives.
    old: KeyedWindows<String, String>,
}

impl Default for AdAclChange {
    fn default() -> Self {
        AdAclChange {
            old: KeyedWindows::new(Duration::minutes(5), 10_000, 1),
        }
    }
}

impl Detector for AdAclChange {
    fn name(&self) -> &'static str {
        "ad_acl_change"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::AdAclChange]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::DirectoryChange {
            object,
            op,
            attribute,
            value,
            correlation,
        } = &ev.kind
        else {
            return;
        };
        if !attribute
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("nTSecurityDescriptor"))
        {
            return;
        }
        let Some(dn) = &object.dn else { return };
        let dn_l = dn.to_ascii_lowercase();
        if dn_l.starts_with("cn=adminsdholder,cn=system,") {
            return;
        }
        let Some(value) = value else { return };
        let key = format!("{dn_l}|{}", correlation.as_deref().unwrap_or(""));
        match op {
            ChangeOp::ValueDeleted => {
                self.old.push(key, ev.time, value.clone());
                return;
            }
            ChangeOp::ValueAdded | ChangeOp::Created => {}
            _ => return,
        }
        let old = self
            .old
            .get(&key)
            .and_then(|v| v.back())
            .map(|(_, s)| sddl::parse(s));
        self.old.clear(&key);
        let new = sddl::parse(value);
        let before: HashSet<&Ace> = old
            .as_ref()
            .map(|o| o.dacl.iter().collect())
            .unwrap_or_default();
        let mut grants: Vec<(String, &'static str)> = new
            .dacl
            .iter()
            .filter(|a| !before.contains(a))
            .filter(|a| !sddl::is_admin_trustee(&a.trustee))
            .filter_map(|a| sddl::dangerous_right(a).map(|r| (a.trustee.clone(), r)))
            .collect();
        grants.sort();
        grants.dedup();
        let new_owner = match (&old, &new.owner) {
            (Some(o), Some(n)) if o.owner.as_ref() != Some(n) && !sddl::is_admin_trustee(n) => {
                Some(n.clone())
            }
            _ => None,
        };
        if grants.is_empty() && new_owner.is_none() {
            return;
        }
        let domain_root = object
            .class
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("domainDNS"))
            || dn_l.starts_with("dc=");
        let dcsync = grants.iter().any(|(_, r)| r.contains("DCSync"));
        let severity = if dcsync {
            Severity::Critical
        } else if domain_root
            || grants
                .iter()
                .any(|(_, r)| matches!(*r, "GenericAll" | "WriteDacl" | "WriteOwner"))
        {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut parts: Vec<String> = grants.iter().map(|(t, r)| format!("{r} to {t}")).collect();
        if let Some(o) = &new_owner {
            parts.push(format!("ownership to {o}"));
        }
        let who = ev
            .actor
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "Someone".into());
        let mut alert = Alert::new(AlertKind::AdAclChange, severity, ev)
            .title(if dcsync {
                format!("DCSync rights granted on {dn}")
            } else {
                format!("Control of {dn} granted to a non-admin")
            })
            .target(dn.clone())
            .description(format!(
                "{who} changed the permissions of {dn}, granting {}. {}",
                parts.join("; "),
                if dcsync {
                    "Replication rights let the trustee pull every password hash from a DC \
                     (DCSync) without ever logging on to one."
                } else {
                    "Rights like these let the trustee take over the object (reset passwords, \
                     add members, rewrite its permissions) and are a classic persistence and \
                     escalation path."
                }
            ))
            .remediation(
                "Remove the added ACEs (or restore the owner) unless a change request explains \
                 them, investigate the account that made the change and the trustee, and watch \
                 for the trustee using the rights (DCSync, password resets, group changes).",
            );
        if let Some(actor) = &ev.actor {
            alert = alert.actor(actor, cx.entities.is_sensitive_account(actor));
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, true);
        }
        let dedup = format!(
            "{}|{dn_l}",
            ev.actor.as_ref().map(|a| a.key()).unwrap_or_default()
        );
        cx.emit(&dedup, alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::DirObject;

    fn sd_change(secs: i64, dn: &str, op: ChangeOp, sddl: &str) -> IdentityEvent {
        with(
            ev(
                secs,
                5136,
                EventKind::DirectoryChange {
                    object: DirObject {
                        dn: Some(dn.into()),
                        class: Some("domainDNS".into()),
                        guid: None,
                    },
                    op,
                    attribute: Some("nTSecurityDescriptor".into()),
                    value: Some(sddl.into()),
                    correlation: Some("{c1}".into()),
                },
            ),
            Some(acct("bob")),
            None,
            None,
        )
    }

    const BEFORE: &str = "O:BAG:BAD:AI(A;;RPLCLORC;;;AU)(A;;GA;;;DA)";

    #[test]
    fn replication_rights_granted_to_a_user_are_critical() {
        let after = "O:BAG:BAD:AI(A;;RPLCLORC;;;AU)(A;;GA;;;DA)(OA;;CR;1131f6aa-9c07-11d1-f79f-00c04fc2dcd2;;S-1-5-21-1-2-3-1105)(OA;;CR;1131f6ad-9c07-11d1-f79f-00c04fc2dcd2;;S-1-5-21-1-2-3-1105)";
        let alerts = run(
            Box::<AdAclChange>::default(),
            &[
                sd_change(0, "DC=corp,DC=local", ChangeOp::ValueDeleted, BEFORE),
                sd_change(0, "DC=corp,DC=local", ChangeOp::ValueAdded, after),
            ],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::Critical);
        assert!(alerts[0].description.contains("S-1-5-21-1-2-3-1105"));
    }

    #[test]
    fn read_grants_and_admin_grants_are_benign() {
        let after =
            "O:BAG:BAD:AI(A;;RPLCLORC;;;AU)(A;;GA;;;DA)(A;;RPLC;;;S-1-5-21-1-2-3-1105)(A;;GA;;;EA)";
        let alerts = run(
            Box::<AdAclChange>::default(),
            &[
                sd_change(0, "DC=corp,DC=local", ChangeOp::ValueDeleted, BEFORE),
                sd_change(0, "DC=corp,DC=local", ChangeOp::ValueAdded, after),
            ],
        );
        assert!(alerts.is_empty());
    }

    #[test]
    fn ownership_taken_by_a_user_alerts() {
        let dn = "CN=test56,OU=Test,DC=corp,DC=local";
        let alerts = run(
            Box::<AdAclChange>::default(),
            &[
                sd_change(
                    0,
                    dn,
                    ChangeOp::ValueDeleted,
                    "O:S-1-5-21-1-2-3-1170G:DAD:AI(A;;RP;;;AU)",
                ),
                sd_change(
                    0,
                    dn,
                    ChangeOp::ValueAdded,
                    "O:S-1-5-21-1-2-3-1234G:DAD:AI(A;;RP;;;AU)",
                ),
            ],
        );
        assert_eq!(alerts.len(), 1);
        assert!(alerts[0].description.contains("ownership"));
    }
}
