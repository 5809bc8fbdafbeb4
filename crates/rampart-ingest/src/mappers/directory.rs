//! Directory service access and changes (Security log of a domain controller).
//!
//! | id   | becomes |
//! |------|---------|
//! | 4662 | [`EventKind::DirectoryReplication`] when `Properties` holds a replication extended right (DS-Replication-Get-Changes, -All, -In-Filtered-Set), else [`EventKind::DirectoryAccess`] with the property GUIDs and `AccessMask`; actor = `Subject*` |
//! | 5136 | [`EventKind::DirectoryChange`] `ValueAdded`/`ValueDeleted` (`OperationType` %%14674/%%14675) of `AttributeLDAPDisplayName` = `AttributeValue`, correlated by `OpCorrelationID` |
//! | 5137 | [`EventKind::DirectoryChange`] `Created` |
//! | 5138 | [`EventKind::DirectoryChange`] `Undeleted` |
//! | 5139 | [`EventKind::DirectoryChange`] `Moved` (object = the new DN, value = the old DN) |
//! | 5141 | [`EventKind::DirectoryChange`] `Deleted` |
//!
//! 4662 names objects by schema GUID (`%{19195a5b-…}`); the classes detectors care about are
//! given their `lDAPDisplayName` (`domainDNS`, `nTDSDSA`, …), others keep the bare GUID.

use super::{bare_guid, one};
use crate::winevent::WinEvent;
use rampart_core::{wellknown, ChangeOp, DirObject, EventKind, IdentityEvent};
use std::sync::Arc;

/// Schema GUIDs of object classes, with their `lDAPDisplayName`.
pub const CLASS_NAMES: &[(&str, &str)] = &[
    (wellknown::CLASS_DOMAIN_DNS, "domainDNS"),
    (wellknown::CLASS_NTDS_DSA, "nTDSDSA"),
    (wellknown::CLASS_SERVER, "server"),
    (wellknown::CLASS_GPO, "groupPolicyContainer"),
    ("bf967aba-0de6-11d0-a285-00aa003049e2", "user"),
    ("bf967a9c-0de6-11d0-a285-00aa003049e2", "group"),
    ("bf967a86-0de6-11d0-a285-00aa003049e2", "computer"),
    ("bf967aa5-0de6-11d0-a285-00aa003049e2", "organizationalUnit"),
    ("bf967a8b-0de6-11d0-a285-00aa003049e2", "container"),
    (
        "7b8b558a-93a5-4af7-adca-c017e67f1057",
        "msDS-GroupManagedServiceAccount",
    ),
    (
        "ce206244-5827-4a86-ba1c-1c0c386c1b64",
        "msDS-ManagedServiceAccount",
    ),
    ("5cb41ed0-0e4c-11d0-a286-00aa003049e2", "contact"),
];

/// The class name of a schema GUID, if it is one we know.
pub fn class_name(guid: &str) -> Option<&'static str> {
    let g = bare_guid(guid);
    CLASS_NAMES
        .iter()
        .find(|(id, _)| *id == g)
        .map(|(_, name)| *name)
}

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    let kind = match ev.event_id {
        // 4662 is also written for LSA and SAM objects on member machines (`ObjectServer`
        // `LSA`, `Security Account Manager`): those are not directory objects, and only a
        // DC's directory service writes `DS` ones.
        4662 if ev
            .value("ObjectServer")
            .is_some_and(|s| !s.eq_ignore_ascii_case("DS")) =>
        {
            return None
        }
        4662 => access(ev),
        5136..=5139 | 5141 => change(ev)?,
        _ => return None,
    };
    let mut e = ev.identity_event(src, kind);
    e.actor = ev.account("Subject");
    one(e)
}

fn access(ev: &WinEvent) -> EventKind {
    let object = DirObject {
        dn: ev.string("ObjectName"),
        class: ev.value("ObjectType").map(class_of),
        guid: ev
            .value("ObjectName")
            .filter(|n| n.starts_with("%{"))
            .map(bare_guid),
    };
    let properties = property_guids(ev.get("Properties").unwrap_or_default());
    let rights: Vec<String> = properties
        .iter()
        .filter_map(|g| wellknown::replication_right(g))
        .map(str::to_string)
        .collect();
    if !rights.is_empty() {
        return EventKind::DirectoryReplication { object, rights };
    }
    EventKind::DirectoryAccess {
        object,
        access_mask: ev.get_u32("AccessMask"),
        properties,
    }
}

/// A class as 4662 writes it: `%{guid}` (named when known) or already a name.
fn class_of(raw: &str) -> String {
    if raw.starts_with("%{") || raw.starts_with('{') {
        match class_name(raw) {
            Some(n) => n.to_string(),
            None => bare_guid(raw),
        }
    } else {
        raw.to_string()
    }
}

/// The GUIDs of a 4662 `Properties` value (`%%7688\r\n\t\t{1131f6aa-…}\r\n\t{19195a5b-…}`),
/// bare and lower-case, in order; the `%%` access names between them are dropped.
pub fn property_guids(raw: &str) -> Vec<String> {
    raw.split_whitespace()
        .filter(|t| t.starts_with('{') || t.starts_with("%{"))
        .map(bare_guid)
        .collect()
}

fn change(ev: &WinEvent) -> Option<EventKind> {
    let (op, dn) = match ev.event_id {
        5136 => {
            let op = match ev.value("OperationType") {
                Some("%%14674") | Some("Value Added") => ChangeOp::ValueAdded,
                Some("%%14675") | Some("Value Deleted") => ChangeOp::ValueDeleted,
                // An operation type we do not know: not worth guessing at.
                _ => return Some(unknown_change(ev)),
            };
            (op, ev.string("ObjectDN"))
        }
        5137 => (ChangeOp::Created, ev.string("ObjectDN")),
        5138 => (
            ChangeOp::Undeleted,
            ev.string("NewObjectDN").or_else(|| ev.string("ObjectDN")),
        ),
        5139 => (ChangeOp::Moved, ev.string("NewObjectDN")),
        5141 => (ChangeOp::Deleted, ev.string("ObjectDN")),
        _ => return None,
    };
    let object = DirObject {
        dn,
        class: ev.string("ObjectClass"),
        guid: ev.value("ObjectGUID").map(bare_guid),
    };
    let (attribute, value) = match ev.event_id {
        5136 => (
            ev.string("AttributeLDAPDisplayName"),
            ev.get("AttributeValue").map(|v| v.trim().to_string()),
        ),
        5138 | 5139 => (None, ev.string("OldObjectDN")),
        _ => (None, None),
    };
    Some(EventKind::DirectoryChange {
        object,
        op,
        attribute,
        value,
        correlation: ev.value("OpCorrelationID").map(bare_guid),
    })
}

/// A 5136 whose `OperationType` is neither add nor delete: kept as access to the object, so
/// that it is not lost, without claiming a change we cannot name.
fn unknown_change(ev: &WinEvent) -> EventKind {
    EventKind::DirectoryAccess {
        object: DirObject {
            dn: ev.string("ObjectDN"),
            class: ev.string("ObjectClass"),
            guid: ev.value("ObjectGUID").map(bare_guid),
        },
        access_mask: None,
        properties: ev.string("AttributeLDAPDisplayName").into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::security;

    fn src() -> Arc<str> {
        Arc::from("t.evtx")
    }

    #[test]
    fn dcsync_4662_is_replication() {
        let ev = security(
            4662,
            &[
                ("SubjectUserSid", "S-1-5-21-1-2-3-500"),
                ("SubjectUserName", "Administrator"),
                ("SubjectDomainName", "insecurebank"),
                ("ObjectServer", "DS"),
                ("ObjectType", "%{19195a5b-6da0-11d0-afd3-00c04fd930c9}"),
                ("ObjectName", "%{c6faf700-bfe4-452a-a766-424f84c29583}"),
                ("OperationType", "Object Access"),
                ("AccessMask", "0x100"),
                (
                    "Properties",
                    "%%7688\r\n\t\t{1131f6ad-9c07-11d1-f79f-00c04fc2dcd2}\r\n\t{19195a5b-6da0-11d0-afd3-00c04fd930c9}\r\n",
                ),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        match &e.kind {
            EventKind::DirectoryReplication { object, rights } => {
                assert_eq!(rights, &["DS-Replication-Get-Changes-All"]);
                assert_eq!(object.class.as_deref(), Some("domainDNS"));
                assert_eq!(
                    object.guid.as_deref(),
                    Some("c6faf700-bfe4-452a-a766-424f84c29583")
                );
            }
            k => panic!("unexpected {k:?}"),
        }
        assert_eq!(e.actor.as_ref().unwrap().name, "Administrator");
    }

    #[test]
    fn non_directory_4662_is_not_a_directory_event() {
        let ev = WinEvent {
            event_id: 4662,
            provider: "Microsoft-Windows-Security-Auditing".into(),
            channel: "Security".into(),
            computer: "WORKSTATION6".into(),
            time: chrono::DateTime::from_timestamp(1_600_000_000, 0).unwrap_or_default(),
            record_id: 1,
            data: vec![
                ("ObjectServer".into(), "LSA".into()),
                ("ObjectType".into(), "SecretObject".into()),
                ("SubjectUserName".into(), "WORKSTATION6$".into()),
            ],
        };
        assert!(map(&ev, &Arc::from("t.evtx")).is_none());
    }

    #[test]
    fn other_4662_is_access() {
        let ev = security(
            4662,
            &[
                ("SubjectUserName", "ALICE$"),
                ("ObjectType", "%{f0f8ffab-1191-11d0-a060-00aa006c33ed}"),
                ("ObjectName", "CN=NTDS Settings,CN=ALICE,CN=Servers,CN=Configuration"),
                ("AccessMask", "0x100"),
                (
                    "Properties",
                    "%%7688\r\n\t\t{1131f6ac-9c07-11d1-f79f-00c04fc2dcd2}\r\n\t{f0f8ffab-1191-11d0-a060-00aa006c33ed}",
                ),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        match &e.kind {
            EventKind::DirectoryAccess {
                object,
                access_mask,
                properties,
            } => {
                assert_eq!(object.class.as_deref(), Some("nTDSDSA"));
                assert!(object
                    .dn
                    .as_deref()
                    .unwrap()
                    .starts_with("CN=NTDS Settings"));
                assert_eq!(object.guid, None);
                assert_eq!(*access_mask, Some(0x100));
                assert_eq!(properties[0], wellknown::DS_REPLICATION_MANAGE_TOPOLOGY);
            }
            k => panic!("unexpected {k:?}"),
        }
    }

    #[test]
    fn attribute_change_5136() {
        let ev = security(
            5136,
            &[
                ("OpCorrelationID", "{b3a4c1d2-0000-0000-0000-000000000001}"),
                ("SubjectUserName", "admmig"),
                ("ObjectDN", "CN=AdminSDHolder,CN=System,DC=offsec,DC=lan"),
                ("ObjectGUID", "{8e0e4c2a-1111-2222-3333-444455556666}"),
                ("ObjectClass", "container"),
                ("AttributeLDAPDisplayName", "nTSecurityDescriptor"),
                ("AttributeValue", "O:DAG:DAD:(A;;RP;;;WD)"),
                ("OperationType", "%%14674"),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        match &e.kind {
            EventKind::DirectoryChange {
                object,
                op,
                attribute,
                value,
                correlation,
            } => {
                assert_eq!(*op, ChangeOp::ValueAdded);
                assert_eq!(
                    object.dn.as_deref(),
                    Some("CN=AdminSDHolder,CN=System,DC=offsec,DC=lan")
                );
                assert_eq!(object.class.as_deref(), Some("container"));
                assert_eq!(
                    object.guid.as_deref(),
                    Some("8e0e4c2a-1111-2222-3333-444455556666")
                );
                assert_eq!(attribute.as_deref(), Some("nTSecurityDescriptor"));
                assert_eq!(value.as_deref(), Some("O:DAG:DAD:(A;;RP;;;WD)"));
                assert_eq!(
                    correlation.as_deref(),
                    Some("b3a4c1d2-0000-0000-0000-000000000001")
                );
            }
            k => panic!("unexpected {k:?}"),
        }
        assert_eq!(e.actor.as_ref().unwrap().name, "admmig");
    }

    #[test]
    fn create_move_delete() {
        let created = security(
            5137,
            &[
                ("ObjectDN", "CN=evil,OU=x,DC=corp"),
                ("ObjectClass", "computer"),
            ],
        );
        let moved = security(
            5139,
            &[
                ("OldObjectDN", "CN=a,OU=x,DC=corp"),
                ("NewObjectDN", "CN=a,OU=y,DC=corp"),
            ],
        );
        let deleted = security(5141, &[("ObjectDN", "CN=a,OU=y,DC=corp")]);
        let op = |ev| match map(&ev, &src()).unwrap().remove(0).kind {
            EventKind::DirectoryChange {
                op, object, value, ..
            } => (op, object.dn, value),
            k => panic!("unexpected {k:?}"),
        };
        assert_eq!(op(created).0, ChangeOp::Created);
        let (mop, mdn, mvalue) = op(moved);
        assert_eq!(mop, ChangeOp::Moved);
        assert_eq!(mdn.as_deref(), Some("CN=a,OU=y,DC=corp"));
        assert_eq!(mvalue.as_deref(), Some("CN=a,OU=x,DC=corp"));
        assert_eq!(op(deleted).0, ChangeOp::Deleted);
    }
}
