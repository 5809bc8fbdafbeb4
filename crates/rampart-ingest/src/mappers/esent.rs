//! Database engine events (Application log, provider `ESENT`): the Extensible Storage Engine
//! that holds the directory database (`ntds.dit`) reports when it creates, attaches or detaches
//! a database file, or finds one at a new location. A copy of `ntds.dit` made with `ntdsutil`
//! IFM, or opened from a shadow copy, shows up here.
//!
//! | id  | becomes |
//! |-----|---------|
//! | 325 | [`EventKind::EseDatabase`] `Created` |
//! | 326 | [`EventKind::EseDatabase`] `Attached` |
//! | 327 | [`EventKind::EseDatabase`] `Detached` |
//! | 216 | [`EventKind::EseDatabase`] `Moved` (`previous_path` → `path`) |
//!
//! The data is unnamed and positional (`NTDS`, pid, instance, database id, path, …) and the
//! timing text that follows may span lines, so the instance is the first value and the paths
//! are the values that look like file paths, in order.

use super::one;
use crate::winevent::WinEvent;
use rampart_core::{EseDatabaseOp, EventKind, IdentityEvent};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    let op = match ev.event_id {
        325 => EseDatabaseOp::Created,
        326 => EseDatabaseOp::Attached,
        327 => EseDatabaseOp::Detached,
        216 => EseDatabaseOp::Moved,
        _ => return None,
    };
    let parts = values(ev);
    let mut paths = parts.iter().filter(|p| is_path(p));
    let (previous_path, path) = if op == EseDatabaseOp::Moved {
        let previous = paths.next().map(|p| p.to_string());
        (previous, paths.next().map(|p| p.to_string()))
    } else {
        (None, paths.next().map(|p| p.to_string()))
    };
    let Some(path) = path else {
        // Nothing that names a database file: handled, but nothing to say.
        return Some(Vec::new());
    };
    let instance = parts.first().filter(|p| !is_path(p)).map(|p| p.to_string());
    one(ev.identity_event(
        src,
        EventKind::EseDatabase {
            op,
            path,
            instance,
            previous_path,
        },
    ))
}

/// Every data value, split at line breaks (unnamed data lists are joined by `\n`), trimmed.
fn values<'e>(ev: &'e WinEvent<'_>) -> Vec<&'e str> {
    ev.data
        .iter()
        .filter(|(k, _)| k != "UserID")
        .flat_map(|(_, v)| v.split('\n'))
        .map(str::trim)
        .collect()
}

/// `C:\Windows\NTDS\ntds.dit`, `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy5\…`.
fn is_path(s: &str) -> bool {
    s.contains(":\\") || s.starts_with("\\\\")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::event;

    fn esent(id: u32, data: &str) -> Vec<IdentityEvent> {
        let ev = event(id, "ESENT", "Application", &[("Data", data)]);
        map(&ev, &Arc::from("x")).unwrap()
    }

    #[test]
    fn created_database() {
        let e = &esent(
            325,
            "NTDS\n7148\n\n2\nc:\\hacker\\Active Directory\\ntds.dit\n0\n[1] 0.000, [2] 0.000.",
        )[0];
        assert_eq!(
            e.kind,
            EventKind::EseDatabase {
                op: EseDatabaseOp::Created,
                path: "c:\\hacker\\Active Directory\\ntds.dit".into(),
                instance: Some("NTDS".into()),
                previous_path: None,
            }
        );
        assert_eq!(e.observer.as_deref(), Some("DC01.corp.local"));
    }

    #[test]
    fn moved_database_names_both_locations() {
        let e = &esent(
            216,
            "lsass\n548\n\nC:\\Windows\\NTDS\\ntds.dit\n\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy5\\Windows\\NTDS\\ntds.dit",
        )[0];
        match &e.kind {
            EventKind::EseDatabase {
                op,
                path,
                previous_path,
                ..
            } => {
                assert_eq!(*op, EseDatabaseOp::Moved);
                assert!(path.contains("HarddiskVolumeShadowCopy5"));
                assert_eq!(
                    previous_path.as_deref(),
                    Some("C:\\Windows\\NTDS\\ntds.dit")
                );
            }
            k => panic!("unexpected {k:?}"),
        }
    }

    #[test]
    fn records_without_a_path_say_nothing() {
        assert!(esent(327, "NTDS\n7148").is_empty());
        let other = event(300, "ESENT", "Application", &[("Data", "x")]);
        assert!(map(&other, &Arc::from("x")).is_none());
    }
}
