//! SAM object handles (Security log).
//!
//! | id   | becomes |
//! |------|---------|
//! | 4661 | [`EventKind::SamObjectAccess`] (`ObjectType`: `SAM_SERVER`, `SAM_DOMAIN`, `SAM_USER`, `SAM_GROUP`, `SAM_ALIAS`, or a DS class; `ObjectName`: a SID or DN; `ProcessName`); actor = `Subject*` |
//!
//! 4661 is also written for directory-service objects (`ObjectServer` `DS`); their class GUID
//! is named like 4662's.

use super::directory::class_name;
use super::{bare_guid, one};
use crate::winevent::WinEvent;
use rampart_core::{EventKind, IdentityEvent};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    if ev.event_id != 4661 {
        return None;
    }
    let object_type = match ev.value("ObjectType") {
        Some(t) if t.starts_with("%{") => class_name(t)
            .map(str::to_string)
            .unwrap_or_else(|| bare_guid(t)),
        Some(t) => t.to_string(),
        None => String::new(),
    };
    let kind = EventKind::SamObjectAccess {
        object_type,
        object_name: ev.value("ObjectName").unwrap_or_default().to_string(),
        process: ev.string("ProcessName"),
    };
    let mut e = ev.identity_event(src, kind);
    e.actor = ev.account("Subject");
    one(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::security;

    #[test]
    fn sam_group_handle() {
        let ev = security(
            4661,
            &[
                ("SubjectUserName", "admmig"),
                ("ObjectServer", "Security Account Manager"),
                ("ObjectType", "SAM_GROUP"),
                ("ObjectName", "S-1-5-21-1-2-3-512"),
                ("ProcessName", "C:\\Windows\\System32\\lsass.exe"),
            ],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::SamObjectAccess {
                object_type: "SAM_GROUP".into(),
                object_name: "S-1-5-21-1-2-3-512".into(),
                process: Some("C:\\Windows\\System32\\lsass.exe".into())
            }
        );
        let ev = security(
            4661,
            &[("ObjectType", "%{bf967aba-0de6-11d0-a285-00aa003049e2}")],
        );
        match &map(&ev, &Arc::from("x")).unwrap()[0].kind {
            EventKind::SamObjectAccess { object_type, .. } => assert_eq!(object_type, "user"),
            k => panic!("unexpected {k:?}"),
        }
    }
}
