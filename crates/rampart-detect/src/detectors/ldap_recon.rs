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

//! On the wire, the searches themselves are visible ([`EventKind::LdapSearch`], readable when
//! the bind did not negotiate SASL sealing). Filters are sorted into the questions an attacker
//! asks (see [`recon_question`]): accounts with SPNs (Kerberoasting targets), accounts without
//! pre-authentication (AS-REP roasting targets), delegation, privileged accounts and groups
//! (adminCount, recursive Domain Admins membership), trusts, group policy objects, and
//! whole-domain listings of users, groups or computers. One client asking about roasting or
//! delegation targets, or [`WIRE_QUESTIONS`] or more different questions within
//! [`WINDOW_MINUTES`] minutes, alerts; everything one client asks one DC joins one alert.
//! Ordinary clients read their own entry, look one name up, and fetch the GPOs that apply to
//! them by DN (base scope): none of that alerts.

use crate::engine::{Context, Detector};
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};
use std::collections::{BTreeSet, HashSet};

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

/// Different reconnaissance questions one client asks within the window that make an
/// enumeration.
pub const WIRE_QUESTIONS: usize = 3;

pub struct LdapRecon {
    reads: KeyedWindows<String, (String, rampart_core::Evidence)>,
    /// Per (client, DC): the questions its searches asked.
    searches: KeyedWindows<String, (&'static str, rampart_core::Evidence)>,
}

impl Default for LdapRecon {
    fn default() -> Self {
        LdapRecon {
            reads: KeyedWindows::new(Duration::minutes(WINDOW_MINUTES), 20_000, 1024),
            searches: KeyedWindows::new(Duration::minutes(WINDOW_MINUTES), 20_000, 256),
        }
    }
}

impl LdapRecon {
    /// A captured LDAP search.
    fn search(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>, scope: u8, filter: &str) {
        let Some(question) = recon_question(scope, filter) else {
            return;
        };
        let Some(src) = &ev.source else { return };
        if ev.source_is_local() || cx.entities.is_dc_host(src) {
            return;
        }
        let actor = ev.actor.as_ref();
        if actor.is_some_and(|a| a.is_machine() || a.is_builtin_service()) {
            return;
        }
        let dc = ev.observer.as_deref().unwrap_or("a domain controller");
        let key = format!("{}|{dc}", src.key());
        let Some(items) = self
            .searches
            .push(key.clone(), ev.time, (question, ev.evidence.clone()))
        else {
            return;
        };
        let questions: BTreeSet<&str> = items.iter().map(|(_, (q, _))| *q).collect();
        let targeted = questions.iter().any(|q| TARGETING.contains(q));
        if !targeted && questions.len() < WIRE_QUESTIONS {
            return;
        }
        let who = actor
            .map(|a| a.to_string())
            .unwrap_or_else(|| src.to_string());
        let listed: Vec<&str> = questions.iter().copied().collect();
        let mut alert = Alert::new(AlertKind::LdapRecon, Severity::Medium, ev)
            .title(format!("LDAP reconnaissance by {who}"))
            .source(src)
            .target(format!("the directory on {dc}"))
            .description(format!(
                "{who} (from {src}) searched the directory on {dc} for {} within \
                 {WINDOW_MINUTES} minutes. These are the questions enumeration tools \
                 (BloodHound, PowerView, ldapdomaindump, impacket's GetUserSPNs, GetNPUsers and \
                 findDelegation) ask to find roastable accounts, delegation to abuse and the \
                 administrators to target.",
                listed.join("; ")
            ))
            .remediation(
                "Identify the process and account on the source host. If this is not an \
                 administrator's or an inventory tool's known activity (allow-list it then), \
                 treat the account as compromised and review what the found accounts can be \
                 used for (roastable service accounts, delegation).",
            );
        if let Some(a) = actor {
            alert = alert.actor(a, cx.entities.is_sensitive_account(a));
        }
        alert.add_evidence_refs(items.iter().map(|(t, (_, e))| (e, *t)));
        alert = alert.observer(dc, cx.entities.observer_is_dc(ev));
        cx.emit_summary(&key, alert);
    }
}

/// Questions that look for accounts to attack: enough on their own.
const TARGETING: &[&str] = &[
    "accounts with SPNs (Kerberoasting targets)",
    "accounts without Kerberos pre-authentication (AS-REP roasting targets)",
    "delegation settings",
];

/// The reconnaissance question an LDAP search asks, if it asks one. The scope matters for
/// listings: a base-scope read of one GPO is group policy processing, a subtree listing of all
/// GPOs is mapping.
pub fn recon_question(scope: u8, filter: &str) -> Option<&'static str> {
    let f: String = filter
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let subtree = scope == 2;
    let has = |needle: &str| f.contains(needle);
    if has("serviceprincipalname=*") && !has("objectclass=computer") {
        return Some(TARGETING[0]);
    }
    if has(":1.2.840.113556.1.4.803:=4194304") {
        return Some(TARGETING[1]);
    }
    if has(":1.2.840.113556.1.4.803:=524288")
        || has(":1.2.840.113556.1.4.803:=16777216")
        || has("msds-allowedtodelegateto=*")
        || has("msds-allowedtoactonbehalfofotheridentity=*")
    {
        return Some(TARGETING[2]);
    }
    if has("admincount=1") {
        return Some("privileged accounts and groups (adminCount=1)");
    }
    if has(":1.2.840.113556.1.4.1941:=") {
        return Some("recursive group membership");
    }
    if has("objectclass=trusteddomain") {
        return Some("domain trusts");
    }
    if !subtree {
        return None;
    }
    if has("objectclass=grouppolicycontainer") {
        return Some("all group policy objects");
    }
    let listing = |class: &str| {
        // The class alone, or with conditions that do not narrow it to a name.
        has(class)
            && !has("samaccountname=")
            && !has("userprincipalname=")
            && !has("cn=")
            && !has("distinguishedname=")
            && !has("objectsid=")
    };
    if listing("objectclass=computer") || listing("objectcategory=computer") {
        return Some("all computers");
    }
    if listing("objectclass=group") || listing("objectcategory=group") {
        return Some("all groups");
    }
    if listing("objectclass=user")
        || listing("objectcategory=person")
        || listing("samaccounttype=805306368")
    {
        return Some("all users");
    }
    None
}

impl Detector for LdapRecon {
    fn name(&self) -> &'static str {
        "ldap_recon"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::LdapRecon]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        if let EventKind::LdapSearch { scope, filter, .. } = &ev.kind {
            self.search(ev, cx, *scope, filter);
            return;
        }
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
        // Cheap tests first: this runs on every read of a busy reader's window.
        if items.len() < DISTINCT_OBJECTS {
            return;
        }
        let objects: HashSet<&str> = items.iter().map(|(_, (o, _))| o.as_str()).collect();
        if objects.len() < DISTINCT_OBJECTS {
            return;
        }
        let classes: BTreeSet<&str> = objects
            .iter()
            .filter_map(|o| o.split_once(':').map(|(c, _)| c))
            .collect();
        let classes: Vec<&str> = classes.into_iter().collect();
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
        alert.add_evidence_refs(items.iter().map(|(t, (_, e))| (e, *t)));
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

    fn search(secs: i64, client: &str, scope: u8, filter: &str) -> IdentityEvent {
        let mut e = wire(
            secs,
            "10.0.0.10",
            client,
            EventKind::LdapSearch {
                base: "DC=corp,DC=local".into(),
                scope,
                filter: filter.into(),
                attributes: vec![],
                entries: Some(10),
            },
        );
        e.actor = Some(acct("jnguyen"));
        e
    }

    #[test]
    fn captured_enumeration_searches_alert_once_per_client() {
        let events = [
            search(
                0,
                "10.0.0.50",
                2,
                "(&(objectCategory=person)(objectClass=user))",
            ),
            search(1, "10.0.0.50", 2, "(objectClass=group)"),
            search(2, "10.0.0.50", 2, "(objectClass=computer)"),
            search(
                3,
                "10.0.0.50",
                2,
                "(&(objectClass=user)(servicePrincipalName=*))",
            ),
            search(4, "10.0.0.50", 2, "(objectClass=trustedDomain)"),
        ];
        let alerts = run(Box::new(LdapRecon::default()), &events);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert!(alerts[0].description.contains("Kerberoasting targets"));
        // One SPN query alone is enough.
        let one = run(
            Box::new(LdapRecon::default()),
            &[search(
                0,
                "10.0.0.51",
                2,
                "(userAccountControl:1.2.840.113556.1.4.803:=4194304)",
            )],
        );
        assert_eq!(one.len(), 1);
    }

    #[test]
    fn ordinary_captured_searches_are_benign() {
        let events = [
            // A client reading its own entry, looking a name up, fetching its GPOs by DN.
            search(0, "10.0.0.50", 0, "(objectClass=*)"),
            search(1, "10.0.0.50", 2, "(sAMAccountName=tlee)"),
            search(
                2,
                "10.0.0.50",
                2,
                "(&(objectClass=user)(sAMAccountName=tlee))",
            ),
            search(3, "10.0.0.50", 0, "(objectClass=groupPolicyContainer)"),
            search(
                4,
                "10.0.0.50",
                2,
                "(&(objectClass=computer)(servicePrincipalName=*))",
            ),
            // Two listings are not yet an enumeration.
            search(5, "10.0.0.52", 2, "(objectClass=group)"),
            search(6, "10.0.0.52", 2, "(objectClass=computer)"),
        ];
        let alerts = run(Box::new(LdapRecon::default()), &events);
        assert!(alerts.is_empty(), "{alerts:?}");
    }
}
