//! Samba directory audit records: `passwordChange` (`dsdb_password_json_audit`), `groupChange`
//! (`dsdb_group_json_audit`) and `dsdbChange` (`dsdb_json_audit`). Every one names its actor by
//! `userSid` only (the session's user; for changes performed as system on a user's behalf, that
//! user), named from the authentications of the same file where they showed the SID; the
//! source is `remoteAddress` (none for changes made inside the DC, such as kpasswd or logon
//! bookkeeping); the outcome is the LDB `statusCode` (0 = success, else `Failure(code)`).
//!
//! | record | becomes |
//! |--------|---------|
//! | `passwordChange` `Change` (4723) | [`EventKind::PasswordChange`]: target = the account of `dn` |
//! | `passwordChange` `Reset` (4724, also a password set when an account is created) | [`EventKind::PasswordReset`]: target = the account of `dn` |
//! | `groupChange` `Added` / `Removed` | [`EventKind::GroupMembershipChange`] `added` true / false: target = the group of `group`, `member_dn` = `user`, member = its account; scope from `eventId` (4728/4729/4751/4752 global, 4732/4733/4746/4747 local, 4756/4757/4761/4762 universal) |
//! | `groupChange` `PrimaryGroup` | [`EventKind::GroupMembershipChange`] `added`: the account's primary group was set to `group`, which makes it a member of that group without a `member` link (no event id, scope unknown) |
//! | `groupChange` `Failure` | nothing (unknown): the change failed before its members were known |
//! | `dsdbChange` `Add` | [`EventKind::DirectoryChange`] `Created` (class = the last `objectClass` value), then `ValueAdded` per attribute value |
//! | `dsdbChange` `Modify` | [`EventKind::DirectoryChange`] per attribute value: `add` → `ValueAdded`, `delete` → `ValueDeleted`, `replace` → `ValueAdded` (the value set; Samba does not log the one it replaced) |
//! | `dsdbChange` `Delete` / `Rename` | [`EventKind::DirectoryChange`] `Deleted` / `Moved` (object = the old DN: Samba logs no new one) |
//! | `dsdbChange` other operations (`Extended`, …) | nothing (unknown) |
//!
//! Attribute values: linked values written as extended DNs (`<GUID=…>;<SID=…>;CN=hking,…`) are
//! given as the plain DN, as 5136 writes them; binary values Samba base64-encodes are given as
//! `base64:` and the encoding (Samba cuts values at 1024 bytes before encoding, so a long binary
//! value such as a security descriptor may be partial); redacted secrets (passwords) and empty
//! values have no value. `correlation` is the record's `transactionId`. A record yields at most
//! [`MAX_CHANGES`] events.

use super::{dn_account, extended_dn, int, ldb_outcome, text, SambaContext, SambaRecord};
use rampart_core::{ChangeOp, DirObject, EventKind, GroupScope, Host, IdentityEvent};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Events one `dsdbChange` record yields at most.
pub const MAX_CHANGES: usize = 1024;

pub fn password_change(
    rec: &SambaRecord<'_>,
    cx: &mut SambaContext,
    src: &Arc<str>,
) -> Option<Vec<IdentityEvent>> {
    let b = rec.body;
    let kind = match text(b, "action")? {
        "Change" => EventKind::PasswordChange,
        "Reset" => EventKind::PasswordReset,
        _ => return None,
    };
    let mut e = common(rec, cx, src, kind);
    e.target = text(b, "dn").and_then(dn_account);
    Some(vec![e])
}

pub fn group_change(
    rec: &SambaRecord<'_>,
    cx: &mut SambaContext,
    src: &Arc<str>,
) -> Option<Vec<IdentityEvent>> {
    let b = rec.body;
    let added = match text(b, "action")? {
        "Added" | "PrimaryGroup" => true,
        "Removed" => false,
        _ => return None,
    };
    let group = text(b, "group").and_then(dn_account)?;
    let member_dn = text(b, "user").map(str::to_string);
    let scope = match int(b, "eventId") {
        Some(4728 | 4729 | 4751 | 4752) => GroupScope::Global,
        Some(4732 | 4733 | 4746 | 4747) => GroupScope::Local,
        Some(4756 | 4757 | 4761 | 4762) => GroupScope::Universal,
        _ => GroupScope::Unknown,
    };
    let kind = EventKind::GroupMembershipChange {
        member: member_dn.as_deref().and_then(dn_account),
        member_dn,
        added,
        scope,
    };
    let mut e = common(rec, cx, src, kind);
    e.target = Some(group);
    Some(vec![e])
}

pub fn dsdb_change(
    rec: &SambaRecord<'_>,
    cx: &mut SambaContext,
    src: &Arc<str>,
) -> Option<Vec<IdentityEvent>> {
    let b = rec.body;
    let operation = text(b, "operation")?;
    let attributes = b.get("attributes").and_then(Value::as_object);
    let class = match operation {
        "Add" => attributes.and_then(object_class),
        _ => None,
    };
    let object = DirObject {
        dn: text(b, "dn").map(str::to_string),
        class,
        guid: None,
    };
    let correlation = text(b, "transactionId").map(str::to_string);
    let change = |op: ChangeOp, attribute: Option<&str>, value: Option<String>| {
        let kind = EventKind::DirectoryChange {
            object: object.clone(),
            op,
            attribute: attribute.map(str::to_string),
            value,
            correlation: correlation.clone(),
        };
        common(rec, cx, src, kind)
    };
    let mut events = Vec::new();
    match operation {
        "Add" => {
            events.push(change(ChangeOp::Created, None, None));
            for (name, actions) in attributes.into_iter().flatten() {
                for (_, value) in values(actions) {
                    if events.len() >= MAX_CHANGES {
                        break;
                    }
                    events.push(change(ChangeOp::ValueAdded, Some(name), value));
                }
            }
        }
        "Modify" => {
            for (name, actions) in attributes.into_iter().flatten() {
                for (action, value) in values(actions) {
                    if events.len() >= MAX_CHANGES {
                        break;
                    }
                    let op = match action {
                        "add" | "replace" => ChangeOp::ValueAdded,
                        "delete" => ChangeOp::ValueDeleted,
                        _ => continue,
                    };
                    events.push(change(op, Some(name), value));
                }
            }
        }
        "Delete" => events.push(change(ChangeOp::Deleted, None, None)),
        "Rename" => events.push(change(ChangeOp::Moved, None, None)),
        _ => return None,
    }
    Some(events)
}

/// An event with the actor, source and outcome every directory record gives.
fn common(
    rec: &SambaRecord<'_>,
    cx: &SambaContext,
    src: &Arc<str>,
    kind: EventKind,
) -> IdentityEvent {
    let b = rec.body;
    let mut e = cx.event(rec, src, kind);
    e.actor = text(b, "userSid").and_then(|sid| cx.account_of_sid(sid));
    e.source = Host::from_parts(None, text(b, "remoteAddress"));
    e.outcome = ldb_outcome(b);
    e
}

/// The most specific class of an added object: the last `objectClass` value.
fn object_class(attributes: &Map<String, Value>) -> Option<String> {
    let (_, actions) = attributes
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("objectClass"))?;
    values(actions).filter_map(|(_, v)| v).last()
}

/// The `(action, value)` pairs of one attribute's `{"actions": [{"action": …, "values": […]}]}`:
/// one per value, or one without a value for an action that has none (redacted, empty, or a
/// delete of the whole attribute).
fn values(attribute: &Value) -> impl Iterator<Item = (&str, Option<String>)> {
    let actions = attribute
        .get("actions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    actions.iter().filter_map(Value::as_object).flat_map(|a| {
        let action = a.get("action").and_then(Value::as_str).unwrap_or("add");
        let values: Vec<Option<String>> = match a.get("values").and_then(Value::as_array) {
            Some(vs) if !vs.is_empty() => vs.iter().map(value_text).collect(),
            _ => vec![None],
        };
        values.into_iter().map(move |v| (action, v))
    })
}

/// The text of one logged value (`{"value": …, "base64": true, "truncated": true}`).
fn value_text(v: &Value) -> Option<String> {
    let o = v.as_object()?;
    let s = o.get("value")?.as_str()?;
    if o.get("base64").and_then(Value::as_bool) == Some(true) {
        return Some(format!("base64:{s}"));
    }
    Some(extended_dn(s).0.to_string())
}

#[cfg(test)]
mod tests {
    use super::super::{map, SambaContext, SambaRecord};
    use super::*;
    use chrono::TimeZone;
    use rampart_core::{Account, Outcome};

    fn run(cx: &mut SambaContext, kind: &str, body: &str) -> Option<Vec<IdentityEvent>> {
        let body: Map<String, Value> = serde_json::from_str(body).unwrap();
        let rec = SambaRecord {
            time: chrono::Utc
                .with_ymd_and_hms(2026, 11, 23, 18, 47, 16)
                .single()
                .unwrap(),
            kind,
            body: &body,
            line: 5,
        };
        map(&rec, cx, &Arc::from("sensitive_group_change.audit.jsonl"))
    }

    fn admin_cx() -> SambaContext {
        let mut cx = SambaContext::default();
        cx.learn_server("DC1");
        cx.learn_account(
            &Account::from_parts(
                Some("Administrator"),
                Some("RAMPART"),
                Some("S-1-5-21-1287229808-3540844513-2492091382-500"),
            )
            .unwrap(),
        );
        cx
    }

    const GROUP_ADD: &str = r#"{"version": {"major": 1, "minor": 1}, "eventId": 4728, "statusCode": 0, "status": "Success", "action": "Added", "remoteAddress": "ipv4:127.0.0.1:42476", "userSid": "S-1-5-21-1287229808-3540844513-2492091382-500", "group": "CN=Domain Admins,CN=Users,DC=rampart,DC=lab", "transactionId": "64e635de-8d0f-4e23-bc0d-a90b289ae430", "sessionId": "9ffe7299-8086-47df-be52-1551df6aa7d1", "user": "CN=hking,OU=Staff,OU=Corp,DC=rampart,DC=lab"}"#;

    #[test]
    fn member_added_to_domain_admins() {
        let evs = run(&mut admin_cx(), "groupChange", GROUP_ADD).unwrap();
        let e = &evs[0];
        let EventKind::GroupMembershipChange {
            member,
            member_dn,
            added,
            scope,
        } = &e.kind
        else {
            panic!("{:?}", e.kind)
        };
        assert!(*added);
        assert_eq!(*scope, GroupScope::Global);
        assert_eq!(member.as_ref().unwrap().name, "hking");
        assert_eq!(
            member_dn.as_deref(),
            Some("CN=hking,OU=Staff,OU=Corp,DC=rampart,DC=lab")
        );
        let group = e.target.as_ref().unwrap();
        assert_eq!(group.name, "Domain Admins");
        assert_eq!(group.domain.as_deref(), Some("rampart.lab"));
        assert!(rampart_core::wellknown::is_privileged_group(
            Some(&group.name),
            group.sid.as_deref()
        ));
        let actor = e.actor.as_ref().unwrap();
        assert_eq!(actor.name, "Administrator");
        assert_eq!(actor.rid(), Some(500));
        assert_eq!(e.observer.as_deref(), Some("DC1"));
        assert_eq!(e.evidence.event_id, Some(4728));
        assert_eq!(e.source.as_ref().unwrap().ip, "127.0.0.1".parse().ok());
        assert_eq!(e.outcome, Outcome::Success);
    }

    #[test]
    fn removal_primary_group_and_failure() {
        let removed = GROUP_ADD
            .replace("\"Added\"", "\"Removed\"")
            .replace("4728", "4733");
        let e = &run(&mut admin_cx(), "groupChange", &removed).unwrap()[0];
        assert!(matches!(
            e.kind,
            EventKind::GroupMembershipChange {
                added: false,
                scope: GroupScope::Local,
                ..
            }
        ));
        let primary = r#"{"statusCode": 0, "action": "PrimaryGroup", "userSid": "S-1-5-21-1-2-3-1150", "group": "CN=Domain Admins,CN=Users,DC=rampart,DC=lab", "user": "CN=svc_x,OU=Corp,DC=rampart,DC=lab"}"#;
        let e = &run(&mut SambaContext::default(), "groupChange", primary).unwrap()[0];
        assert!(matches!(
            e.kind,
            EventKind::GroupMembershipChange {
                added: true,
                scope: GroupScope::Unknown,
                ..
            }
        ));
        assert_eq!(e.evidence.event_id, None);
        assert_eq!(e.actor.as_ref().unwrap().rid(), Some(1150));
        let failed = r#"{"statusCode": 50, "status": "Insufficient access rights", "action": "Failure", "userSid": "S-1-5-21-1-2-3-1150", "group": "CN=Domain Admins,CN=Users,DC=rampart,DC=lab", "user": ""}"#;
        assert!(run(&mut SambaContext::default(), "groupChange", failed).is_none());
    }

    #[test]
    fn password_change_and_reset() {
        let change = r#"{"eventId": 4723, "statusCode": 0, "status": "Success", "remoteAddress": null, "userSid": "S-1-5-21-1287229808-3540844513-2492091382-1129", "dn": "CN=wwhite,OU=Staff,OU=Corp,DC=rampart,DC=lab", "action": "Change", "transactionId": "cc10ee7e", "sessionId": "93919674"}"#;
        let e = &run(&mut SambaContext::default(), "passwordChange", change).unwrap()[0];
        assert_eq!(e.kind, EventKind::PasswordChange);
        assert_eq!(e.target.as_ref().unwrap().name, "wwhite");
        assert_eq!(e.actor.as_ref().unwrap().rid(), Some(1129));
        assert_eq!(e.source, None);
        assert_eq!(e.evidence.event_id, Some(4723));
        let reset = change
            .replace("\"Change\"", "\"Reset\"")
            .replace("4723", "4724")
            .replace("\"statusCode\": 0", "\"statusCode\": 19");
        let e = &run(&mut SambaContext::default(), "passwordChange", &reset).unwrap()[0];
        assert_eq!(e.kind, EventKind::PasswordReset);
        assert_eq!(e.outcome, Outcome::Failure(19));
    }

    #[test]
    fn modify_yields_one_change_per_attribute_value() {
        let modify = r#"{"statusCode": 0, "status": "Success", "operation": "Modify", "remoteAddress": "ipv4:127.0.0.1:42476", "performedAsSystem": false, "userSid": "S-1-5-21-1287229808-3540844513-2492091382-500", "dn": "CN=Domain Admins,CN=Users,DC=rampart,DC=lab", "transactionId": "64e635de-8d0f-4e23-bc0d-a90b289ae430", "sessionId": "9ffe7299", "attributes": {"member": {"actions": [{"action": "add", "values": [{"value": "<GUID=14acf025-e3ab-433b-9e11-ce4c7a51e796>;<SID=S-1-5-21-1287229808-3540844513-2492091382-1111>;CN=hking,OU=Staff,OU=Corp,DC=rampart,DC=lab"}]}]}, "description": {"actions": [{"action": "replace", "values": [{"value": "a"}, {"value": "b"}]}, {"action": "delete"}]}, "clearTextPassword": {"actions": [{"action": "replace", "redacted": true}]}, "nTSecurityDescriptor": {"actions": [{"action": "replace", "values": [{"value": "AQAEjA==", "base64": true}]}]}}}"#;
        let evs = run(&mut admin_cx(), "dsdbChange", modify).unwrap();
        let got: Vec<(ChangeOp, String, Option<String>)> = evs
            .iter()
            .map(|e| match &e.kind {
                EventKind::DirectoryChange {
                    op,
                    attribute,
                    value,
                    object,
                    correlation,
                } => {
                    assert_eq!(
                        object.dn.as_deref(),
                        Some("CN=Domain Admins,CN=Users,DC=rampart,DC=lab")
                    );
                    assert_eq!(
                        correlation.as_deref(),
                        Some("64e635de-8d0f-4e23-bc0d-a90b289ae430")
                    );
                    (*op, attribute.clone().unwrap(), value.clone())
                }
                k => panic!("{k:?}"),
            })
            .collect();
        use ChangeOp::*;
        assert_eq!(
            got,
            [
                (
                    ValueAdded,
                    "member".into(),
                    Some("CN=hking,OU=Staff,OU=Corp,DC=rampart,DC=lab".into())
                ),
                (ValueAdded, "description".into(), Some("a".into())),
                (ValueAdded, "description".into(), Some("b".into())),
                (ValueDeleted, "description".into(), None),
                (ValueAdded, "clearTextPassword".into(), None),
                (
                    ValueAdded,
                    "nTSecurityDescriptor".into(),
                    Some("base64:AQAEjA==".into())
                ),
            ]
        );
        assert!(evs.iter().all(|e| e.evidence.event_id.is_none()));
        assert_eq!(evs[0].actor.as_ref().unwrap().name, "Administrator");
    }

    #[test]
    fn system_bookkeeping_is_by_system() {
        let logon = r#"{"statusCode": 0, "operation": "Modify", "remoteAddress": null, "performedAsSystem": false, "userSid": "S-1-5-18", "dn": "CN=tlee,OU=Staff,OU=Corp,DC=rampart,DC=lab", "attributes": {"lastLogon": {"actions": [{"action": "replace", "values": [{"value": "134399331759205980"}]}]}}}"#;
        let evs = run(&mut SambaContext::default(), "dsdbChange", logon).unwrap();
        assert_eq!(evs.len(), 1);
        let actor = evs[0].actor.as_ref().unwrap();
        assert!(actor.is_builtin_service());
        assert_eq!(actor.to_string(), "NT AUTHORITY\\SYSTEM");
    }

    #[test]
    fn add_delete_rename() {
        let add = r#"{"statusCode": 0, "operation": "Add", "userSid": "S-1-5-21-1-2-3-500", "dn": "CN=svc_new,OU=Corp,DC=rampart,DC=lab", "attributes": {"objectClass": {"actions": [{"action": "add", "values": [{"value": "top"}, {"value": "user"}]}]}, "servicePrincipalName": {"actions": [{"action": "add", "values": [{"value": "MSSQLSvc/db01:1433"}]}]}, "unicodePwd": {"actions": [{"action": "add", "redacted": true}]}}}"#;
        let evs = run(&mut SambaContext::default(), "dsdbChange", add).unwrap();
        assert_eq!(evs.len(), 5);
        let EventKind::DirectoryChange { object, op, .. } = &evs[0].kind else {
            panic!()
        };
        assert_eq!(*op, ChangeOp::Created);
        assert_eq!(object.class.as_deref(), Some("user"));
        assert!(evs.iter().any(|e| matches!(&e.kind,
            EventKind::DirectoryChange { op: ChangeOp::ValueAdded, attribute: Some(a), value: Some(v), object, .. }
                if a == "servicePrincipalName" && v == "MSSQLSvc/db01:1433" && object.class.as_deref() == Some("user"))));
        for (op, want) in [("Delete", ChangeOp::Deleted), ("Rename", ChangeOp::Moved)] {
            let body = format!(
                r#"{{"statusCode": 0, "operation": "{op}", "userSid": "S-1-5-21-1-2-3-500", "dn": "CN=x,DC=rampart,DC=lab"}}"#
            );
            let evs = run(&mut SambaContext::default(), "dsdbChange", &body).unwrap();
            assert!(matches!(&evs[0].kind, EventKind::DirectoryChange { op, .. } if *op == want));
        }
        let ext = r#"{"statusCode": 0, "operation": "Extended", "dn": "CN=x"}"#;
        assert!(run(&mut SambaContext::default(), "dsdbChange", ext).is_none());
    }
}
