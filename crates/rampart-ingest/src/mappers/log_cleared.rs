//! Event logs cleared.
//!
//! | log/id        | becomes |
//! |---------------|---------|
//! | Security 1102 | [`EventKind::LogCleared`] `Security` (provider Microsoft-Windows-Eventlog; the fields are in `UserData/LogFileCleared`); actor = `Subject*` |
//! | System 104    | [`EventKind::LogCleared`] of the log named in `Channel` (`System` when absent); actor = `Subject*` |

use super::one;
use crate::winevent::WinEvent;
use rampart_core::{EventKind, IdentityEvent};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    let channel = match ev.event_id {
        1102 => "Security".to_string(),
        104 => ev.string("Channel").unwrap_or_else(|| "System".to_string()),
        _ => return None,
    };
    let mut e = ev.identity_event(src, EventKind::LogCleared { channel });
    e.actor = ev.account("Subject");
    one(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::event;

    #[test]
    fn security_and_system_clears() {
        let ev = event(
            1102,
            "Microsoft-Windows-Eventlog",
            "Security",
            &[
                ("SubjectUserSid", "S-1-5-21-1-2-3-1000"),
                ("SubjectUserName", "IEUser"),
                ("SubjectDomainName", "IE10WIN7"),
            ],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::LogCleared {
                channel: "Security".into()
            }
        );
        assert_eq!(e.actor.as_ref().unwrap().name, "IEUser");

        let ev = event(
            104,
            "Microsoft-Windows-Eventlog",
            "System",
            &[
                ("SubjectUserName", "jwrig"),
                ("SubjectDomainName", "DESKTOP-JR78RLP"),
                ("Channel", "Windows PowerShell"),
            ],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::LogCleared {
                channel: "Windows PowerShell".into()
            }
        );
        assert_eq!(
            e.actor.as_ref().unwrap().domain.as_deref(),
            Some("DESKTOP-JR78RLP")
        );
    }
}
