//! Network share access (Security log of the file server).
//!
//! | id   | becomes |
//! |------|---------|
//! | 5140 | [`EventKind::ShareAccess`] to `ShareName`; actor = `Subject*`, source = `IpAddress` |
//! | 5145 | [`EventKind::ShareAccess`] to `ShareName` with `RelativeTargetName` (a file, or a named pipe of `IPC$`: `svcctl`, `samr`, `atsvc`, …) |

use super::one;
use crate::winevent::WinEvent;
use rampart_core::{EventKind, Host, IdentityEvent};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    if !matches!(ev.event_id, 5140 | 5145) {
        return None;
    }
    let kind = EventKind::ShareAccess {
        share: ev.value("ShareName").unwrap_or_default().to_string(),
        relative_target: ev.string("RelativeTargetName"),
    };
    let mut e = ev.identity_event(src, kind);
    e.actor = ev.account("Subject");
    e.source = Host::from_parts(None, ev.get("IpAddress"));
    one(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::security;

    #[test]
    fn pipe_access() {
        let ev = security(
            5145,
            &[
                ("SubjectUserName", "admmig"),
                ("SubjectDomainName", "OFFSEC"),
                ("ObjectType", "File"),
                ("IpAddress", "10.23.123.11"),
                ("ShareName", "\\\\*\\IPC$"),
                ("ShareLocalPath", ""),
                ("RelativeTargetName", "samr"),
            ],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::ShareAccess {
                share: "\\\\*\\IPC$".into(),
                relative_target: Some("samr".into())
            }
        );
        assert_eq!(e.source.as_ref().unwrap().key(), "10.23.123.11");
        assert_eq!(e.actor.as_ref().unwrap().name, "admmig");
    }
}
