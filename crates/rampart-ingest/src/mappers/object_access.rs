//! Handles to kernel objects (Security log, "Audit Kernel Object"/"Audit Handle Manipulation").
//!
//! | id   | becomes |
//! |------|---------|
//! | 4656 | [`EventKind::ProcessAccess`] when `ObjectType` is `Process` (a handle to another process was requested, e.g. to `lsass.exe`): source = `ProcessName`, target = `ObjectName`, access = `AccessMask`; actor = `Subject*` |
//! | 4663 | the same, for an access made through such a handle |
//!
//! Handles to files, keys and other objects produce nothing (the record is handled, not
//! unknown): they are the bulk of these events and say nothing about identities.

use crate::winevent::WinEvent;
use rampart_core::{EventKind, IdentityEvent};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    if !matches!(ev.event_id, 4656 | 4663) {
        return None;
    }
    let is_process = ev
        .value("ObjectType")
        .is_some_and(|t| t.eq_ignore_ascii_case("Process"));
    let target = ev.value("ObjectName").unwrap_or_default();
    if !is_process || target.is_empty() {
        return Some(Vec::new());
    }
    let kind = EventKind::ProcessAccess {
        source_image: ev.value("ProcessName").unwrap_or_default().to_string(),
        target_image: target.to_string(),
        access: ev.string("AccessMask"),
    };
    let mut e = ev.identity_event(src, kind);
    e.actor = ev.account("Subject");
    Some(vec![e])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::security;

    #[test]
    fn handle_to_lsass() {
        let ev = security(
            4656,
            &[
                ("SubjectUserName", "admmig"),
                ("ObjectServer", "Security"),
                ("ObjectType", "Process"),
                (
                    "ObjectName",
                    "\\Device\\HarddiskVolume2\\Windows\\System32\\lsass.exe",
                ),
                ("AccessMask", "0x1410"),
                ("ProcessName", "C:\\Windows\\System32\\rundll32.exe"),
            ],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::ProcessAccess {
                source_image: "C:\\Windows\\System32\\rundll32.exe".into(),
                target_image: "\\Device\\HarddiskVolume2\\Windows\\System32\\lsass.exe".into(),
                access: Some("0x1410".into())
            }
        );
        assert_eq!(e.actor.as_ref().unwrap().name, "admmig");
    }

    #[test]
    fn file_handles_are_handled_but_silent() {
        let ev = security(
            4663,
            &[("ObjectType", "File"), ("ObjectName", "C:\\secret.txt")],
        );
        assert_eq!(map(&ev, &Arc::from("x")), Some(Vec::new()));
    }
}
