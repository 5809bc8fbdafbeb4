//! Silent process exit monitoring (Application log, provider
//! `Microsoft-Windows-ProcessExitMonitor`). Windows writes these only for images configured under
//! `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\SilentProcessExit\<image>`, and Windows
//! Error Reporting can dump the process's memory when it does.
//!
//! | id   | becomes |
//! |------|---------|
//! | 3000 | [`EventKind::ProcessExitReported`]: `param1` exited by itself with code `param2` |
//! | 3001 | [`EventKind::ProcessExitReported`]: `param1` was terminated by `param2` with code `param3` |
//!
//! The actor is the user of the record's system header (`Security/@UserID`), when set.

use super::one;
use crate::winevent::WinEvent;
use rampart_core::{wellknown, Account, EventKind, IdentityEvent};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    let (terminated_by, code_field) = match ev.event_id {
        3000 => (None, "param2"),
        3001 => (ev.string("param2"), "param3"),
        _ => return None,
    };
    let Some(image) = ev.string("param1") else {
        return Some(Vec::new());
    };
    let kind = EventKind::ProcessExitReported {
        image,
        terminated_by,
        exit_code: ev.value(code_field).and_then(wellknown::parse_number),
    };
    let mut e = ev.identity_event(src, kind);
    e.actor = Account::from_parts(None, None, ev.get("UserID"));
    one(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::event;

    #[test]
    fn lsass_terminated_by_another_process() {
        let ev = event(
            3001,
            "Microsoft-Windows-ProcessExitMonitor",
            "Application",
            &[
                ("param1", "C:\\Windows\\System32\\lsass.exe"),
                (
                    "param2",
                    "C:\\Users\\IEUser\\Desktop\\LsassSilentProcessExit.exe",
                ),
                ("param3", "0"),
                ("param4", "01d75d3714c3280e"),
                ("UserID", "S-1-5-21-1-2-3-1000"),
            ],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::ProcessExitReported {
                image: "C:\\Windows\\System32\\lsass.exe".into(),
                terminated_by: Some(
                    "C:\\Users\\IEUser\\Desktop\\LsassSilentProcessExit.exe".into()
                ),
                exit_code: Some(0),
            }
        );
        assert_eq!(e.actor.as_ref().unwrap().rid(), Some(1000));
    }

    #[test]
    fn self_exit_and_empty_records() {
        let ev = event(
            3000,
            "Microsoft-Windows-ProcessExitMonitor",
            "Application",
            &[("param1", "C:\\app.exe"), ("param2", "1")],
        );
        match &map(&ev, &Arc::from("x")).unwrap()[0].kind {
            EventKind::ProcessExitReported {
                terminated_by,
                exit_code,
                ..
            } => {
                assert_eq!(*terminated_by, None);
                assert_eq!(*exit_code, Some(1));
            }
            k => panic!("unexpected {k:?}"),
        }
        let empty = event(
            3001,
            "Microsoft-Windows-ProcessExitMonitor",
            "Application",
            &[],
        );
        assert_eq!(map(&empty, &Arc::from("x")), Some(Vec::new()));
    }
}
