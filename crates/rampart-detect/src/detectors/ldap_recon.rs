//! Directory reconnaissance over LDAP (ATT&CK T1087.002, T1069.002): reading the directory's
//! users, groups and computers in bulk to map the domain (BloodHound/SharpHound, PowerView,
//! ldapdomaindump, CrackMapExec `ldap --groups`, ADRecon).
//!
//! Evidence: on a DC with read auditing on principal objects, 4662 read accesses (read property,
//! control access to read a property set, list) by one account to [`DISTINCT_OBJECTS`] or more
//! distinct user, group or computer objects within [`WINDOW_MINUTES`] minutes. Reading that many
//! principals in so short a time is a query tool at work, not a person.
//!
//! Deliberately not alerted: machine accounts, DCs and built-in services (replication, group
//! policy and the DC's own services read the directory constantly); accesses that write
//! (write property, create, delete, permission changes, password resets); reads of other
//! classes (organizational units, containers, group policy objects: every user's group policy
//! processing reads those); and small numbers of reads (a console opening one object). A
//! directory browser listing a large OU with read auditing on looks the same; its reader is an
//! administrator, whom the allow-list can name.

use crate::engine::{Context, Detector};
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};
use std::collections::BTreeSet;

/// Distinct principal objects read by one account that make a bulk enumeration.
pub const DISTINCT_OBJECTS: usize = 50;
pub const WINDOW_MINUTES: i64 = 5;

/// Object classes of security principals.
const PRINCIPAL_CLASSES: &[&str] = &[
    "user",
    "group",
    "computer",
    "msDS-GroupManagedServiceAccount",
    "msDS-ManagedServiceAccount",
];

/// Directory access rights that only read (ADS_RIGHT_*): list children, read property, list
/// object, control access (reading confidential property sets), read permissions.
const READ_RIGHTS: u32 = 0x4 | 0x10 | 0x80 | 0x100 | 0x2_0000;
/// Rights that change something: create/delete child, self write, write property, delete
/// tree, delete, write DACL, write owner.
const WRITE_RIGHTS: u32 = 0x1 | 0x2 | 0x8 | 0x20 | 0x40 | 0x1_0000 | 0x4_0000 | 0x8_0000;

/// Extended rights that act rather than read (reset and change password).
const ACTING_RIGHTS: &[&str] = &[
    "00299570-246d-11d0-a768-00aa006e0529",
    "ab721a53-1e2f-11d0-9819-00aa0040529b",
];

pub struct LdapRecon {
    reads: KeyedWindows<String, (String, rampart_core::Evidence)>,
}

impl Default for LdapRecon {
    fn default() -> Self {
        LdapRecon {
            reads: KeyedWindows::new(Duration::minutes(WINDOW_MINUTES), 20_000, 1024),
        }
    }
}

impl Detector for LdapRecon {
    fn name(&self) -> &'static str {
        "ldap_recon"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::LdapRecon]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::DirectoryAccess {
            object,
            access_mask,
            properties,
        } = &ev.kind
        else {
            return;
        };
        if ev.outcome.is_failure() {
            return;
        }
        let Some(mask) = access_mask else { return };
        if mask & READ_RIGHTS == 0 || mask & WRITE_RIGHTS != 0 {
            return;
        }
        if properties
            .iter()
            .any(|p| ACTING_RIGHTS.contains(&p.as_str()))
        {
            return;
        }
        let principal = object
            .class
            .as_deref()
            .is_some_and(|c| PRINCIPAL_CLASSES.iter().any(|p| p.eq_ignore_ascii_case(c)));
        if !principal {
            return;
        }
        let Some(id) = object.guid.clone().or_else(|| object.dn.clone()) else {
            return;
        };
        let Some(actor) = &ev.actor else { return };
        if actor.is_machine() || actor.is_builtin_service() || cx.entities.is_dc_account(actor) {
            return;
        }
        let dc = ev.observer_short().unwrap_or_default();
        let key = format!("{}|{dc}", actor.key());
        let class = object.class.clone().unwrap_or_default();
        let Some(items) =
            self.reads
                .push(key, ev.time, (format!("{class}:{id}"), ev.evidence.clone()))
        else {
            return;
        };
        let objects: BTreeSet<&str> = items.iter().map(|(_, (o, _))| o.as_str()).collect();
        if objects.len() < DISTINCT_OBJECTS {
            return;
        }
        let mut classes: Vec<&str> = objects
            .iter()
            .filter_map(|o| o.split_once(':').map(|(c, _)| c))
            .collect();
        classes.sort_unstable();
        classes.dedup();
        let on = ev.observer.as_deref().unwrap_or("a domain controller");
        let mut alert = Alert::new(AlertKind::LdapRecon, Severity::Medium, ev)
            .title(format!("Directory enumeration by {actor}"))
            .actor(actor, cx.entities.is_sensitive_account(actor))
            .target(format!("{} objects on {on}", classes.join("/")))
            .description(format!(
                "{actor} read {} distinct directory objects ({}) on {on} within {WINDOW_MINUTES} \
                 minutes. Reading users, groups and computers in bulk is how attackers map the \
                 domain (BloodHound, PowerView, ldapdomaindump) to find paths to its \
                 administrators.",
                objects.len(),
                classes.join(", ")
            ))
            .remediation(
                "Confirm with the account's owner which tool ran, and from which host (the \
                 logon session's 4624). If it was not sanctioned, treat the account as \
                 compromised, and expect attacks on what the enumeration shows: Kerberoastable \
                 accounts, ACL paths, delegation.",
            );
        for (t, (_, e)) in items {
            alert.add_evidence_ref(e, *t);
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        cx.emit_summary(&actor.key(), alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::DirObject;

    fn read(secs: i64, user: &str, class: &str, n: usize, mask: u32) -> IdentityEvent {
        with(
            ev(
                secs,
                4662,
                EventKind::DirectoryAccess {
                    object: DirObject {
                        dn: Some(format!("%{{00000000-0000-0000-0000-{n:012}}}")),
                        class: Some(class.into()),
                        guid: Some(format!("00000000-0000-0000-0000-{n:012}")),
                    },
                    access_mask: Some(mask),
                    properties: vec![],
                },
            ),
            Some(acct(user)),
            None,
            None,
        )
    }

    #[test]
    fn bulk_reads_of_groups_alert_once() {
        let events: Vec<_> = (0..80)
            .map(|n| read(0, "admmig", "group", n, 0x100))
            .collect();
        let alerts = run(Box::<LdapRecon>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].count, 1, "a summary, not one alert per read");
        assert!(alerts[0].description.contains("80 distinct"));
    }

    #[test]
    fn machines_writes_other_classes_and_few_reads_are_benign() {
        let mut events: Vec<_> = (0..80).map(|n| read(0, "DC01$", "user", n, 0x10)).collect();
        events.extend((0..80).map(|n| read(1, "helpdesk", "user", n, 0x20)));
        events.extend((0..80).map(|n| read(2, "bob", "groupPolicyContainer", n, 0x10)));
        events.extend((0..10).map(|n| read(3, "alice", "user", n, 0x10)));
        // Many reads, but of the same few objects.
        events.extend((0..200).map(|n| read(4, "carol", "user", n % 5, 0x10)));
        assert!(run(Box::<LdapRecon>::default(), &events).is_empty());
    }
}
