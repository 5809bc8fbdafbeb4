//! Account and group reconnaissance over SAMR (ATT&CK T1087.002, T1069.002): listing the
//! domain's users and groups, who is in Domain Admins, or who administers a server, through
//! the Security Account Manager remote protocol: `net user /domain`, `net group "Domain Admins"
//! /domain`, CrackMapExec `--users`/`--groups`/`--rid-brute`, impacket `samrdump`/`lookupsid`,
//! SharpHound's local group collection.
//!
//! Evidence:
//! - on a DC, handles to SAM user, group and alias objects (4661 `SAM_USER`, `SAM_GROUP`,
//!   `SAM_ALIAS`) requested by one account: [`BULK_OBJECTS`] or more distinct objects within
//!   ten minutes (bulk enumeration, RID cycling), or any handle to a privileged group or account
//!   (Domain Admins, Enterprise Admins, Administrators, the built-in Administrator, …);
//! - on servers, local group memberships read remotely (4799/4798 with no caller process, i.e.
//!   through SAMR from another machine) by one account: [`REMOTE_GROUPS`] or more distinct
//!   host/group pairs within ten minutes;
//! - on the wire, SAMR calls ([`EventKind::RpcCall`], interface `samr`) from a host that is not
//!   a DC: any call that lists the domain's users, groups or aliases (`SamrEnumerateUsersInDomain`
//!   13, `…GroupsInDomain` 11, `…AliasesInDomain` 15, `SamrQueryDisplayInformation` 40/48/51) or
//!   the members of a group or alias (`SamrGetMembersInGroup` 25, `…InAlias` 33), or
//!   [`BULK_OBJECTS`] or more user, group and alias handles opened (`SamrOpenUser` 34,
//!   `…Group` 19, `…Alias` 27) within ten minutes. Calls from one host to one DC join one alert.
//!   Ordinary clients open the SAM server and domain, look names up and read their own groups
//!   (`SamrLookupNamesInDomain`, `SamrGetAliasMembership`, domain joins' `SamrCreateUser2`/
//!   `SetInformationUser2`): none of that alerts;
//! - on the source host, `net`/`net1` listing all domain users or groups, or the members of a
//!   privileged domain group (4688, Sysmon 1).
//!
//! Deliberately not alerted: machine accounts and built-in services (a DC's own LSASS opens SAM
//! objects all the time), an account opening its own user object, handles to the SAM server or
//! domain object alone (every SAMR client opens those, so password policy queries and the
//! domain handle of `net user /domain` seen only on the DC are not told apart from ordinary
//! use), `net user <name> /domain` for a single account, local group listings made on the
//! machine itself, and the `IPC$\samr` pipe being opened (used by ordinary lookups). The
//! DCShadow-labelled 4661 sample (a DC's own account) is not this detector's.

use super::Deferred;
use crate::engine::{Context, Detector};
use crate::entities::Entities;
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::{wellknown, Account, Alert, AlertKind, EventKind, IdentityEvent, Severity};
use std::collections::BTreeSet;

/// Distinct SAM users, groups and aliases one account opens within ten minutes that make
/// an enumeration.
pub const BULK_OBJECTS: usize = 10;
/// Distinct host/group pairs read remotely by one account within ten minutes.
pub const REMOTE_GROUPS: usize = 3;

/// SAMR operations that list the domain's principals or a group's members (MS-SAMR 3.1.5).
const SAMR_LISTING: &[(u16, &str)] = &[
    (11, "SamrEnumerateGroupsInDomain"),
    (13, "SamrEnumerateUsersInDomain"),
    (15, "SamrEnumerateAliasesInDomain"),
    (25, "SamrGetMembersInGroup"),
    (33, "SamrGetMembersInAlias"),
    (40, "SamrQueryDisplayInformation"),
    (48, "SamrQueryDisplayInformation2"),
    (51, "SamrQueryDisplayInformation3"),
];
/// SAMR operations that open one user, group or alias.
const SAMR_OPEN_OBJECT: &[u16] = &[19, 27, 34];

pub struct SamrRecon {
    /// Per (actor, DC): the SAM objects opened, with whether each is privileged.
    handles: KeyedWindows<String, (String, bool, rampart_core::Evidence)>,
    /// Per actor: remote local-group reads as `host\group`.
    remote_groups: KeyedWindows<String, (String, rampart_core::Evidence)>,
    /// Per (source, DC) on the wire: listing calls (operation name) and object opens (`None`).
    wire_calls: KeyedWindows<String, (Option<&'static str>, rampart_core::Evidence)>,
    /// Wire keys whose open alert has taken calls since its summary was last rebuilt.
    deferred: Deferred,
}

impl Default for SamrRecon {
    fn default() -> Self {
        SamrRecon {
            handles: KeyedWindows::new(Duration::minutes(10), 20_000, 1024),
            remote_groups: KeyedWindows::new(Duration::minutes(10), 20_000, 256),
            wire_calls: KeyedWindows::new(Duration::minutes(10), 20_000, 1024),
            deferred: Deferred::default(),
        }
    }
}

impl Detector for SamrRecon {
    fn name(&self) -> &'static str {
        "samr_recon"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::SamrRecon]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        match &ev.kind {
            EventKind::SamObjectAccess {
                object_type,
                object_name,
                ..
            } => self.sam_handle(ev, cx, object_type, object_name),
            EventKind::RpcCall {
                interface, opnum, ..
            } if interface == "samr" => self.samr_call(ev, cx, *opnum),
            // No caller process: the call came over the network.
            EventKind::GroupMembershipEnumerated { process: None } => {
                self.remote_group_read(ev, cx);
            }
            EventKind::ProcessCreated {
                image,
                command_line,
                ..
            } => {
                let Some(cmd) = command_line.as_deref() else {
                    return;
                };
                let Some(what) = net_enumeration(image, cmd) else {
                    return;
                };
                let actor = ev.actor.as_ref().filter(|a| person(a));
                let host = ev.observer.as_deref().unwrap_or("a host");
                let who = actor
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| format!("a user of {host}"));
                let mut alert = base(ev, Severity::Low)
                    .title(format!("Domain account enumeration by {who}"))
                    .target(what.to_string())
                    .description(format!(
                        "On {host}, {who} ran `{cmd}`, which lists {what} from a domain \
                         controller over SAMR. Attackers map users and administrators this way \
                         before choosing whom to attack."
                    ));
                if let Some(a) = actor {
                    alert = alert.actor(a, cx.entities.is_sensitive_account(a));
                }
                if let Some(obs) = &ev.observer {
                    alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
                }
                let key = actor
                    .map(|a| a.key())
                    .unwrap_or_else(|| ev.observer_short().unwrap_or_default());
                cx.emit(&key, alert);
            }
            _ => {}
        }
    }

    fn refresh(&mut self, cx: &mut Context<'_>) {
        for (key, ev) in self.deferred.take() {
            if let Some(alert) = self.wire_summary(&key, &ev, cx.entities) {
                cx.emit_summary(&key, alert);
            }
        }
    }
}

impl SamrRecon {
    fn sam_handle(
        &mut self,
        ev: &IdentityEvent,
        cx: &mut Context<'_>,
        object_type: &str,
        object_name: &str,
    ) {
        if !matches!(object_type, "SAM_USER" | "SAM_GROUP" | "SAM_ALIAS") || object_name.is_empty()
        {
            return;
        }
        let Some(actor) = ev.actor.as_ref().filter(|a| person(a)) else {
            return;
        };
        if actor
            .sid
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(object_name))
        {
            return;
        }
        let privileged = privileged_sid(object_name);
        let dc = ev.observer_short().unwrap_or_default();
        let key = format!("{}|{dc}", actor.key());
        let Some(items) = self.handles.push(
            key.clone(),
            ev.time,
            (object_name.to_string(), privileged, ev.evidence.clone()),
        ) else {
            return;
        };
        let objects: BTreeSet<&str> = items.iter().map(|(_, (o, _, _))| o.as_str()).collect();
        let sensitive: BTreeSet<&str> = items
            .iter()
            .filter(|(_, (_, p, _))| *p)
            .map(|(_, (o, _, _))| o.as_str())
            .collect();
        let bulk = objects.len() >= BULK_OBJECTS;
        if !bulk && sensitive.is_empty() {
            return;
        }
        let on = ev.observer.as_deref().unwrap_or("a domain controller");
        let sensitive_names: Vec<String> = sensitive.iter().map(|s| name_of(s)).collect();
        let what =
            if bulk {
                format!(
                "{actor} opened {} distinct SAM accounts, groups and aliases on {on} within ten \
                 minutes{}",
                objects.len(),
                if sensitive_names.is_empty() {
                    String::new()
                } else {
                    format!(", privileged ones among them ({})", sensitive_names.join(", "))
                }
            )
            } else {
                format!(
                    "{actor} looked up the privileged {} over SAMR on {on}",
                    sensitive_names.join(", ")
                )
            };
        let mut alert = base(ev, Severity::Medium)
            .title(format!("SAMR reconnaissance by {actor}"))
            .actor(actor, cx.entities.is_sensitive_account(actor))
            .description(format!(
                "{what}. Listing accounts, groups and their members over SAMR is how attackers \
                 find the administrators to target and the accounts to spray."
            ));
        for s in sensitive_names.iter().take(20) {
            alert = alert.target(s.clone());
        }
        if sensitive_names.is_empty() {
            alert = alert.target(format!("SAM accounts and groups on {on}"));
        }
        alert.add_evidence_refs(items.iter().map(|(t, (_, _, e))| (e, *t)));
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        cx.emit_summary(&actor.key(), alert);
    }

    /// A captured SAMR call.
    fn samr_call(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>, opnum: u16) {
        let listing = SAMR_LISTING
            .iter()
            .find(|(op, _)| *op == opnum)
            .map(|(_, name)| *name);
        if listing.is_none() && !SAMR_OPEN_OBJECT.contains(&opnum) {
            return;
        }
        let Some(src) = &ev.source else { return };
        if ev.source_is_local() || cx.entities.is_dc_host(src) {
            return;
        }
        let actor = ev.actor.as_ref().filter(|a| person(a));
        if ev.actor.is_some() && actor.is_none() {
            // A machine account or built-in service: a member server's own lookups.
            return;
        }
        let dc = ev.observer.as_deref().unwrap_or("a domain controller");
        let key = format!("{}|{dc}", src.key());
        if let Some(last) = self.deferred.due(&key, ev, cx) {
            if let Some(alert) = self.wire_summary(&key, &last, cx.entities) {
                cx.emit_summary(&key, alert);
            }
        }
        let Some(items) =
            self.wire_calls
                .push(key.clone(), ev.time, (listing, ev.evidence.clone()))
        else {
            return;
        };
        // What `wire_summary` requires, cheaply: a listing call, or (with none, every call
        // being an object opened) enough objects opened.
        let listed = items.iter().any(|(_, (l, _))| l.is_some());
        if !listed && items.len() < BULK_OBJECTS {
            return;
        }
        if self.deferred.defer(&key, ev, cx) {
            return;
        }
        if let Some(alert) = self.wire_summary(&key, ev, cx.entities) {
            cx.emit_summary(&key, alert);
        }
    }

    /// The alert the wire calls of `key` (source and DC) amount to, as of its event `ev`.
    fn wire_summary(&self, key: &str, ev: &IdentityEvent, entities: &Entities) -> Option<Alert> {
        let items = self.wire_calls.get(key)?;
        let src = ev.source.as_ref()?;
        let actor = ev.actor.as_ref().filter(|a| person(a));
        let dc = ev.observer.as_deref().unwrap_or("a domain controller");
        let listings: BTreeSet<&str> = items.iter().filter_map(|(_, (l, _))| *l).collect();
        let opened = items.iter().filter(|(_, (l, _))| l.is_none()).count();
        if listings.is_empty() && opened < BULK_OBJECTS {
            return None;
        }
        let who = actor
            .map(|a| a.to_string())
            .unwrap_or_else(|| src.to_string());
        let mut what = Vec::new();
        if !listings.is_empty() {
            what.push(format!(
                "called {}",
                listings.iter().copied().collect::<Vec<_>>().join(", ")
            ));
        }
        if opened > 0 {
            what.push(format!("opened {opened} user, group and alias handles"));
        }
        let mut alert = base(ev, Severity::Medium)
            .title(format!("SAMR reconnaissance by {who}"))
            .source(src)
            .target(format!("SAM accounts and groups on {dc}"))
            .description(format!(
                "{who} (from {src}) {} on {dc} over SAMR within ten minutes. Listing accounts, \
                 groups and their members over SAMR is how attackers find the administrators to \
                 target and the accounts to spray (net user /domain, rpcclient, impacket \
                 samrdump, CrackMapExec).",
                what.join(" and ")
            ));
        if let Some(a) = actor {
            alert = alert.actor(a, entities.is_sensitive_account(a));
        }
        alert.add_evidence_refs(items.iter().map(|(t, (_, e))| (e, *t)));
        alert = alert.observer(dc, entities.observer_is_dc(ev));
        Some(alert)
    }

    fn remote_group_read(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let Some(actor) = ev.actor.as_ref().filter(|a| person(a)) else {
            return;
        };
        let Some(group) = &ev.target else { return };
        let host = ev.observer_short().unwrap_or_default();
        let pair = format!("{host}\\{}", group.name);
        let Some(items) =
            self.remote_groups
                .push(actor.key(), ev.time, (pair, ev.evidence.clone()))
        else {
            return;
        };
        let pairs: BTreeSet<&str> = items.iter().map(|(_, (p, _))| p.as_str()).collect();
        if pairs.len() < REMOTE_GROUPS {
            return;
        }
        let shown: Vec<&str> = pairs.iter().take(20).copied().collect();
        let mut alert = base(ev, Severity::Medium)
            .title(format!("Remote local-group enumeration by {actor}"))
            .actor(actor, cx.entities.is_sensitive_account(actor))
            .description(format!(
                "{actor} read the members of {} local groups from another machine over SAMR \
                 within ten minutes ({}). Who administers which server is what attackers (and \
                 SharpHound) collect to plan lateral movement.",
                pairs.len(),
                shown.join(", ")
            ));
        for p in &shown {
            alert = alert.target(p.to_string());
        }
        alert.add_evidence_refs(items.iter().map(|(t, (_, e))| (e, *t)));
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        cx.emit_summary(&format!("groups|{}", actor.key()), alert);
    }
}

fn base(ev: &IdentityEvent, severity: Severity) -> Alert {
    Alert::new(AlertKind::SamrRecon, severity, ev).remediation(
        "Confirm with the account's owner. If it was not an administrator's own work, look at \
         what the source host ran and what the account did next (password spraying, \
         Kerberoasting, logons to the listed administrators' machines). Restrict remote SAM \
         calls to administrators (\"Network access: Restrict clients allowed to make remote \
         calls to SAM\").",
    )
}

/// A person's account: not a computer, not a built-in service principal.
fn person(a: &Account) -> bool {
    !a.is_machine() && !a.is_builtin_service()
}

/// Privileged groups and accounts by SID: the protected groups, the built-in Administrator and
/// krbtgt.
fn privileged_sid(sid: &str) -> bool {
    if !sid.starts_with("S-1-5-") {
        return false;
    }
    if wellknown::is_privileged_group(None, Some(sid)) {
        return true;
    }
    sid.starts_with("S-1-5-21-")
        && sid
            .rsplit('-')
            .next()
            .and_then(|r| r.parse::<u32>().ok())
            .is_some_and(|rid| rid == wellknown::ADMINISTRATOR_RID || rid == wellknown::KRBTGT_RID)
}

/// A readable name for a privileged SID (`Domain Admins` for `…-512`).
fn name_of(sid: &str) -> String {
    let rid = sid.rsplit('-').next().and_then(|r| r.parse::<u32>().ok());
    let table: &[(u32, &str)] = if sid.starts_with("S-1-5-32-") {
        wellknown::PRIVILEGED_BUILTIN_RIDS
    } else {
        wellknown::PRIVILEGED_GROUP_RIDS
    };
    match rid {
        Some(r) if r == wellknown::ADMINISTRATOR_RID && !sid.starts_with("S-1-5-32-") => {
            format!("Administrator account ({sid})")
        }
        Some(r) if r == wellknown::KRBTGT_RID => format!("krbtgt account ({sid})"),
        Some(r) => table
            .iter()
            .find(|(id, _)| *id == r)
            .map(|(_, n)| format!("{n} ({sid})"))
            .unwrap_or_else(|| sid.to_string()),
        None => sid.to_string(),
    }
}

/// What a `net`/`net1` command lists from the domain, if it enumerates: all users, all groups,
/// or a privileged group's members.
fn net_enumeration(image: &str, cmd: &str) -> Option<&'static str> {
    let name = image
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or(image)
        .to_ascii_lowercase();
    if name != "net.exe" && name != "net1.exe" {
        return None;
    }
    let args = split_args(cmd);
    // Skip the program itself.
    let args: Vec<String> = args
        .into_iter()
        .skip_while(|a| !matches!(a.as_str(), "user" | "users" | "group" | "groups"))
        .collect();
    if !args
        .iter()
        .any(|a| a == "/domain" || a == "/do" || a == "/dom")
    {
        return None;
    }
    if args
        .iter()
        .any(|a| a.starts_with("/add") || a.starts_with("/del"))
    {
        return None;
    }
    let verb = args.first()?.as_str();
    let operands: Vec<&str> = args
        .iter()
        .skip(1)
        .map(String::as_str)
        .filter(|a| !a.starts_with('/'))
        .collect();
    match (verb, operands.first()) {
        ("user" | "users", None) => Some("every domain user"),
        ("group" | "groups", None) => Some("every domain group"),
        ("group" | "groups", Some(g)) if wellknown::is_privileged_group(Some(g), None) => {
            Some("the members of a privileged domain group")
        }
        _ => None,
    }
}

/// Splits a command line into lower-case arguments, keeping quoted ones whole.
fn split_args(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in cmd.chars() {
        match c {
            '"' | '\'' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c.to_ascii_lowercase()),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use serde_json::json;

    fn sam(secs: i64, user: &str, user_sid: &str, ty: &str, name: &str) -> IdentityEvent {
        with(
            ev(
                secs,
                4661,
                EventKind::SamObjectAccess {
                    object_type: ty.into(),
                    object_name: name.into(),
                    process: Some("C:\\Windows\\System32\\lsass.exe".into()),
                },
            ),
            Some(acct_sid(user, user_sid)),
            None,
            None,
        )
    }

    const D: &str = "S-1-5-21-1-2-3";

    #[test]
    fn rid_cycling_and_privileged_lookups_alert() {
        let mut events: Vec<_> = (0..12)
            .map(|i| {
                sam(
                    i,
                    "admmig",
                    &format!("{D}-1111"),
                    "SAM_ALIAS",
                    &format!("S-1-5-32-{}", 545 + i),
                )
            })
            .collect();
        events.push(sam(
            20,
            "user01",
            &format!("{D}-1106"),
            "SAM_GROUP",
            &format!("{D}-512"),
        ));
        let alerts = run(Box::<SamrRecon>::default(), &events);
        assert_eq!(alerts.len(), 2, "{alerts:#?}");
        let user01 = alerts
            .iter()
            .find(|a| a.actor.as_deref() == Some("CORP\\user01"));
        assert!(user01.is_some_and(|a| a.targets[0].starts_with("Domain Admins")));
    }

    #[test]
    fn remote_local_group_reads_alert() {
        let events: Vec<_> = ["Administrators", "Remote Desktop Users", "Users"]
            .iter()
            .enumerate()
            .map(|(i, g)| {
                with(
                    observed_by(
                        ev(
                            i as i64 * 30,
                            4799,
                            EventKind::GroupMembershipEnumerated { process: None },
                        ),
                        "SRV01",
                    ),
                    Some(acct("jbrown")),
                    None,
                    Some(acct(g)),
                )
            })
            .collect();
        assert_eq!(run(Box::<SamrRecon>::default(), &events).len(), 1);
    }

    #[test]
    fn net_commands_that_list_the_domain_alert() {
        let kind = serde_json::from_value(json!({
            "type": "process_created",
            "image": "C:\\Windows\\System32\\net1.exe",
            "command_line": "C:\\windows\\system32\\net1 user /domain",
        }))
        .expect("a valid event kind");
        let e = with(ev(0, 1, kind), Some(acct("pgustavo")), None, None);
        assert_eq!(run(Box::<SamrRecon>::default(), &[e]).len(), 1);
        assert!(net_enumeration("net.exe", "net group \"Domain Admins\" /domain").is_some());
        assert!(net_enumeration("net.exe", "net user bob /domain").is_none());
        assert!(net_enumeration("net.exe", "net user /add bob x /domain").is_none());
        assert!(net_enumeration("net.exe", "net group \"Sales\" /domain").is_none());
        assert!(net_enumeration("net.exe", "net localgroup administrators").is_none());
    }

    #[test]
    fn ordinary_sam_use_is_benign() {
        let mut events = vec![
            // A DC's own account opening SAM objects.
            sam(0, "DC01$", "S-1-5-18", "SAM_ALIAS", "S-1-5-32-544"),
            // Domain and server handles only (password policy, `net user /domain` seen on the DC).
            sam(
                1,
                "admmig",
                &format!("{D}-1111"),
                "SAM_SERVER",
                "CN=Server,CN=System,DC=corp",
            ),
            sam(
                2,
                "admmig",
                &format!("{D}-1111"),
                "SAM_DOMAIN",
                "DC=corp,DC=local",
            ),
            // Looking at one's own account, and a couple of ordinary groups.
            sam(
                3,
                "administrator",
                &format!("{D}-500"),
                "SAM_USER",
                &format!("{D}-500"),
            ),
            sam(
                4,
                "bob",
                &format!("{D}-1200"),
                "SAM_GROUP",
                &format!("{D}-513"),
            ),
            sam(
                5,
                "bob",
                &format!("{D}-1200"),
                "SAM_USER",
                &format!("{D}-1201"),
            ),
        ];
        // Local group listings made on the machine itself (net1.exe, VSS, …).
        events.extend((0..5).map(|i| {
            with(
                ev(
                    10 + i,
                    4799,
                    EventKind::GroupMembershipEnumerated {
                        process: Some("C:\\Windows\\System32\\VSSVC.exe".into()),
                    },
                ),
                Some(acct("bob")),
                None,
                Some(acct(&format!("Group{i}"))),
            )
        }));
        assert!(run(Box::<SamrRecon>::default(), &events).is_empty());
    }

    fn samr(secs: i64, client: &str, opnum: u16) -> IdentityEvent {
        let mut e = wire(
            secs,
            "10.0.0.10",
            client,
            EventKind::RpcCall {
                interface: "samr".into(),
                opnum,
                operation: None,
                pipe: Some("samr".into()),
                sealed: false,
                object: None,
            },
        );
        e.actor = Some(acct("jnguyen"));
        e
    }

    #[test]
    fn captured_samr_listing_from_a_workstation_is_one_alert() {
        let mut events = vec![samr(0, "10.0.0.50", 64), samr(1, "10.0.0.50", 7)];
        events.push(samr(2, "10.0.0.50", 13));
        events.extend((3..40).map(|i| samr(i, "10.0.0.50", 34)));
        events.push(samr(41, "10.0.0.50", 25));
        let alerts = run(Box::new(SamrRecon::default()), &events);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert!(alerts[0].description.contains("SamrEnumerateUsersInDomain"));
        assert!(alerts[0].description.contains("SamrGetMembersInGroup"));
        assert_eq!(alerts[0].actor.as_deref(), Some("CORP\\jnguyen"));
    }

    /// The wire summary, rebuilt once per publication, says what rebuilding it on every call
    /// says: two hosts enumerating, one with a pause past the dedup window (a second alert),
    /// and the other opening hundreds of handles.
    #[test]
    fn deferred_wire_summaries_match_summaries_rebuilt_on_every_call() {
        let mut events = Vec::new();
        for i in 0..1500i64 {
            let secs = if i < 1200 { i / 4 } else { 3 * 3600 + i };
            let (client, op) = if i % 3 == 0 {
                ("10.0.0.51", if i % 50 == 0 { 13 } else { 34 })
            } else {
                ("10.0.0.50", if i % 97 == 0 { 25 } else { 34 })
            };
            let mut e = samr(secs, client, op);
            e.evidence.record = i as u64;
            events.push(e);
        }
        let (eager, deferred) = eager_and_deferred(|| Box::new(SamrRecon::default()), &events);
        assert!(eager.len() >= 3, "{eager:?}");
        let json = |a: &[Alert]| serde_json::to_string_pretty(a).unwrap();
        assert_eq!(json(&deferred), json(&eager));
    }

    #[test]
    fn ordinary_captured_samr_use_is_benign() {
        // Connect, open the domain, look a name up, read alias membership, open a few users:
        // what a logon or a domain join does.
        let mut events: Vec<_> = [64, 7, 17, 16, 1]
            .iter()
            .enumerate()
            .map(|(i, op)| samr(i as i64, "10.0.0.50", *op))
            .collect();
        events.extend((10..13).map(|i| samr(i, "10.0.0.50", 34)));
        // A machine account's own lookups, listing included.
        let mut machine = samr(20, "10.0.0.60", 13);
        machine.actor = Some(acct("SRV01$"));
        events.push(machine);
        assert!(run(Box::new(SamrRecon::default()), &events).is_empty());
    }
}
