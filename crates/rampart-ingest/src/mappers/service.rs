//! Services (System log, Service Control Manager; Security log).
//!
//! | log/id        | becomes |
//! |---------------|---------|
//! | System 7045   | [`EventKind::ServiceInstalled`] (`ServiceName`, `ImagePath`, `ServiceType`, `StartType`, `AccountName`); actor = the record's user (`UserID`, with `UserIDName`/`UserIDDomain` when the shipper resolved it) |
//! | Security 4697 | [`EventKind::ServiceInstalled`] (`ServiceName`, `ServiceFileName`, `ServiceType`, `ServiceStartType`, `ServiceAccount`); actor = `Subject*` |
//! | System 7000   | [`EventKind::ServiceStatus`] `failed to start: <error>` (`param1` = service, `param2` = error) |
//! | System 7009   | [`EventKind::ServiceStatus`] `start timed out` (`param2` = service) |
//! | System 7036   | [`EventKind::ServiceStatus`] with the new state (`param1` = service, `param2` = `running`, `stopped`, …) |
//! | System 7040   | [`EventKind::ServiceStatus`] `start type changed: <old> -> <new>` (`param1` = service) |

use super::one;
use crate::winevent::WinEvent;
use rampart_core::{Account, EventKind, IdentityEvent};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    let param = |n: &str| ev.value(n).unwrap_or_default().to_string();
    let (kind, actor) = match ev.event_id {
        7045 => (
            EventKind::ServiceInstalled {
                name: param("ServiceName"),
                image_path: param("ImagePath"),
                service_type: ev.string("ServiceType"),
                start_type: ev.string("StartType"),
                service_account: ev.string("AccountName"),
            },
            Account::from_parts(
                ev.get("UserIDName"),
                ev.get("UserIDDomain"),
                ev.get("UserID"),
            ),
        ),
        4697 => (
            EventKind::ServiceInstalled {
                name: param("ServiceName"),
                image_path: param("ServiceFileName"),
                service_type: ev.string("ServiceType"),
                start_type: ev.string("ServiceStartType"),
                service_account: ev.string("ServiceAccount"),
            },
            ev.account("Subject"),
        ),
        7000 => status(
            param("param1"),
            format!("failed to start: {}", param("param2")),
        ),
        7009 => status(param("param2"), "start timed out".to_string()),
        7036 => status(param("param1"), param("param2")),
        7040 => status(
            param("param1"),
            format!(
                "start type changed: {} -> {}",
                param("param2"),
                param("param3")
            ),
        ),
        _ => return None,
    };
    let mut e = ev.identity_event(src, kind);
    e.actor = actor;
    one(e)
}

fn status(name: String, status: String) -> (EventKind, Option<Account>) {
    (EventKind::ServiceStatus { name, status }, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::{event, security};

    fn system(id: u32, data: &[(&str, &str)]) -> WinEvent<'static> {
        event(id, "Service Control Manager", "System", data)
    }

    #[test]
    fn service_installed_7045() {
        let ev = system(
            7045,
            &[
                ("ServiceName", "UWdKhYTIQWWJxHfx"),
                (
                    "ImagePath",
                    "%COMSPEC% /b /c start /b /min powershell.exe -nop",
                ),
                ("ServiceType", "user mode service"),
                ("StartType", "demand start"),
                ("AccountName", "LocalSystem"),
                ("UserID", "S-1-5-21-1-2-3-1000"),
            ],
        );
        let e = &map(&ev, &Arc::from("s.evtx")).unwrap()[0];
        match &e.kind {
            EventKind::ServiceInstalled {
                name,
                image_path,
                start_type,
                service_account,
                ..
            } => {
                assert_eq!(name, "UWdKhYTIQWWJxHfx");
                assert!(image_path.contains("powershell.exe"));
                assert_eq!(start_type.as_deref(), Some("demand start"));
                assert_eq!(service_account.as_deref(), Some("LocalSystem"));
            }
            k => panic!("unexpected {k:?}"),
        }
        assert_eq!(e.actor.as_ref().unwrap().rid(), Some(1000));
    }

    #[test]
    fn service_installed_4697() {
        let ev = security(
            4697,
            &[
                ("SubjectUserName", "pgustavo"),
                ("ServiceName", "svc"),
                ("ServiceFileName", "C:\\x.exe"),
                ("ServiceType", "0x10"),
                ("ServiceStartType", "3"),
                ("ServiceAccount", "LocalSystem"),
            ],
        );
        let e = &map(&ev, &Arc::from("s.evtx")).unwrap()[0];
        assert_eq!(e.actor.as_ref().unwrap().name, "pgustavo");
        match &e.kind {
            EventKind::ServiceInstalled { image_path, .. } => assert_eq!(image_path, "C:\\x.exe"),
            k => panic!("unexpected {k:?}"),
        }
    }

    #[test]
    fn status_changes() {
        let st = |id, data: &[(&str, &str)]| match map(&system(id, data), &Arc::from("s"))
            .unwrap()
            .remove(0)
            .kind
        {
            EventKind::ServiceStatus { name, status } => (name, status),
            k => panic!("unexpected {k:?}"),
        };
        assert_eq!(
            st(
                7040,
                &[
                    ("param1", "Windows Event Log"),
                    ("param2", "auto start"),
                    ("param3", "disabled"),
                    ("param4", "EventLog"),
                ]
            ),
            (
                "Windows Event Log".to_string(),
                "start type changed: auto start -> disabled".to_string()
            )
        );
        assert_eq!(
            st(7036, &[("param1", "Spooler"), ("param2", "stopped")]).1,
            "stopped"
        );
        assert_eq!(
            st(7009, &[("param1", "30000"), ("param2", "genusn")]).0,
            "genusn"
        );
        assert_eq!(
            st(7000, &[("param1", "genusn"), ("param2", "%%1053")]).1,
            "failed to start: %%1053"
        );
    }
}
