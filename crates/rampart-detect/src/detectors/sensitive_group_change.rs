//! Sensitive group membership change (ATT&CK T1098): an account added to a group that controls
//! the domain (Domain Admins, Enterprise Admins, Schema Admins, Administrators, the operator
//! groups, DnsAdmins, Exchange Windows Permissions, …), a classic persistence and
//! privilege-escalation step.
//!
//! Evidence: [`EventKind::GroupMembershipChange`] with `added` (4728 global, 4732 domain-local,
//! 4756 universal, Samba group-change audit records) for a privileged group, by RID, well-known
//! name or configuration. Built-in groups (`S-1-5-32-…`) count only when the event comes from a
//! domain controller: a workstation's local Administrators group is account manipulation, not
//! a domain-dominance change.

use crate::engine::{Context, Detector};
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct SensitiveGroupChange;

impl Detector for SensitiveGroupChange {
    fn name(&self) -> &'static str {
        "sensitive_group_change"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::SensitiveGroupChange]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::GroupMembershipChange {
            member,
            member_dn,
            added: true,
            ..
        } = &ev.kind
        else {
            return;
        };
        if ev.outcome.is_failure() {
            return;
        }
        let Some(group) = &ev.target else { return };
        if !cx.entities.is_privileged_group(group) {
            return;
        }
        let builtin = group
            .sid
            .as_deref()
            .is_some_and(|s| s.starts_with("S-1-5-32-"))
            || group
                .domain
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case("builtin"));
        if builtin && !cx.entities.observer_is_dc(ev) {
            return;
        }
        let member_name = member
            .as_ref()
            .map(|m| m.to_string())
            .or_else(|| member_dn.clone())
            .unwrap_or_else(|| "an account".to_string());
        let mut alert =
            Alert::new(AlertKind::SensitiveGroupChange, Severity::High, ev)
                .title(format!(
                    "{member_name} added to sensitive group {}",
                    group.name
                ))
                .target_account(group, true)
                .description(format!(
                "{member_name} was added to {group}{}. Members of this group control the domain \
                 or a path to it; adding an account is how attackers keep or raise their \
                 privileges.",
                ev.actor.as_ref().map(|a| format!(" by {a}")).unwrap_or_default()
            ))
                .remediation(
                    "Confirm the change with its owner (a change ticket). If it is not expected, \
                 remove the member, reset its password, and investigate the account that made the \
                 change and its recent logons.",
                );
        if let Some(m) = member {
            alert = alert.target_account(m, true);
        }
        if let Some(actor) = &ev.actor {
            alert = alert.actor(actor, cx.entities.is_sensitive_account(actor));
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        let key = format!(
            "{}|{}",
            ev.actor.as_ref().map(|a| a.key()).unwrap_or_default(),
            member_name.to_ascii_lowercase()
        );
        cx.emit(&key, alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::GroupScope;

    fn add(event_id: u32, group: &str, sid: &str, observer: &str) -> IdentityEvent {
        observed_by(
            with(
                ev(
                    0,
                    event_id,
                    EventKind::GroupMembershipChange {
                        member: Some(acct_sid("honey-pot1", "S-1-5-21-1-2-3-1159")),
                        member_dn: Some("CN=honey-pot1,OU=Test,DC=corp,DC=local".into()),
                        added: true,
                        scope: GroupScope::Global,
                    },
                ),
                Some(acct("lambda-user")),
                None,
                Some(acct_sid(group, sid)),
            ),
            observer,
        )
    }

    #[test]
    fn addition_to_domain_admins_alerts() {
        let alerts = run(
            Box::new(SensitiveGroupChange),
            &[add(
                4728,
                "Domain Admins",
                "S-1-5-21-1-2-3-512",
                "DC01.corp.local",
            )],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::SensitiveGroupChange);
        assert_eq!(alerts[0].actor.as_deref(), Some("CORP\\lambda-user"));
    }

    #[test]
    fn ordinary_groups_and_workstation_local_admins_are_not_domain_changes() {
        let events = [
            add(4728, "Group01", "S-1-5-21-1-2-3-1134", "DC01.corp.local"),
            add(4732, "Administrators", "S-1-5-32-544", "WS01.corp.local"),
        ];
        assert!(run(Box::new(SensitiveGroupChange), &events).is_empty());
    }

    #[test]
    fn builtin_administrators_on_a_dc_alerts() {
        let kdc = ev(
            0,
            4769,
            EventKind::KerberosServiceTicket {
                status: 0,
                service: "krbtgt".into(),
                service_sid: None,
                ticket_etype: Some(18),
                ticket_options: None,
                wire: None,
            },
        );
        let events = [
            kdc,
            add(4732, "Administrators", "S-1-5-32-544", "DC01.corp.local"),
        ];
        assert_eq!(run(Box::new(SensitiveGroupChange), &events).len(), 1);
    }
}
