//! NTLM credential validation (Security log).
//!
//! | id   | becomes |
//! |------|---------|
//! | 4776 | [`EventKind::NtlmAuth`] with `Status`: actor = `TargetUserName` (the account validated), source = `Workstation` (the client's name as it claimed it), outcome `Failure(Status)` when not 0 |

use super::one;
use crate::winevent::WinEvent;
use rampart_core::{Account, EventKind, Host, IdentityEvent, Outcome};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    if ev.event_id != 4776 {
        return None;
    }
    let status = ev.get_u32("Status").unwrap_or(0);
    let workstation = ev
        .value("Workstation")
        .map(|w| w.trim_start_matches('\\').to_string());
    let mut e = ev.identity_event(
        src,
        EventKind::NtlmAuth {
            status,
            workstation: workstation.clone(),
            wire: None,
        },
    );
    e.actor = Account::from_parts(ev.get("TargetUserName"), None, None);
    e.source = Host::from_parts(workstation.as_deref(), None);
    if status != 0 {
        e.outcome = Outcome::Failure(status);
    }
    one(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::security;

    #[test]
    fn failed_validation() {
        let ev = security(
            4776,
            &[
                ("PackageName", "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0"),
                ("TargetUserName", "jdoe"),
                ("Workstation", "WORKSTATION5"),
                ("Status", "0xc000006a"),
            ],
        );
        let e = &map(&ev, &Arc::from("t")).unwrap()[0];
        assert_eq!(e.outcome, Outcome::Failure(0xC000_006A));
        assert_eq!(
            e.kind,
            EventKind::NtlmAuth {
                status: 0xC000_006A,
                workstation: Some("WORKSTATION5".into()),
                wire: None,
            }
        );
        assert_eq!(e.actor.as_ref().unwrap().name, "jdoe");
        assert_eq!(e.source.as_ref().unwrap().key(), "workstation5");
    }

    #[test]
    fn success_without_workstation() {
        let ev = security(
            4776,
            &[
                ("TargetUserName", "WEC$"),
                ("Workstation", "-"),
                ("Status", "0x0"),
            ],
        );
        let e = &map(&ev, &Arc::from("t")).unwrap()[0];
        assert_eq!(e.outcome, Outcome::Success);
        assert!(e.source.is_none());
        assert!(e.actor.as_ref().unwrap().is_machine());
    }
}
