//! Netlogon secure channel events (System log, provider `NETLOGON`).
//!
//! | id   | becomes |
//! |------|---------|
//! | 5805 | [`EventKind::NetlogonSecureChannel`] denied: "the session setup from the computer … failed to authenticate" |
//! | 5827 | [`EventKind::NetlogonSecureChannel`] denied, vulnerable: a machine account's vulnerable (non secure-RPC) connection was refused |
//! | 5828 | the same for a trust account |
//! | 5829 | [`EventKind::NetlogonSecureChannel`] allowed, vulnerable: a machine account's vulnerable connection was allowed |
//! | 5830/5831 | the same, allowed by the "vulnerable Netlogon" group policy (machine / trust account) |
//!
//! The actor is the account named (`SAMAccountName`/`AccountName`, else the first data value
//! ending in `$`); for 5805 the source is the computer named first. 5805 is classic event text
//! with positional data (computer, account, error), so names are also looked for there.

use super::one;
use crate::winevent::WinEvent;
use rampart_core::{Account, EventKind, Host, IdentityEvent};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    let (denied, vulnerable) = match ev.event_id {
        5805 => (true, false),
        5827 | 5828 => (true, true),
        5829..=5831 => (false, true),
        _ => return None,
    };
    if !ev.provider.to_ascii_lowercase().contains("netlogon") {
        // Another provider's event with the same id: not ours.
        return Some(Vec::new());
    }
    let parts: Vec<&str> = ev
        .data
        .iter()
        .filter(|(k, _)| k != "UserID")
        .flat_map(|(_, v)| v.split('\n'))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    let named = ["SAMAccountName", "AccountName", "MachineSamAccountName"]
        .iter()
        .find_map(|n| ev.value(n));
    let account = named.or_else(|| parts.iter().copied().find(|p| p.ends_with('$')));
    let mut e = ev.identity_event(src, EventKind::NetlogonSecureChannel { denied, vulnerable });
    e.actor = account.and_then(|a| Account::from_parts(Some(a), ev.get("Domain"), None));
    if ev.event_id == 5805 {
        e.source = parts
            .first()
            .filter(|p| !p.ends_with('$') && !p.contains(' '))
            .and_then(|c| Host::from_parts(Some(c), None));
    }
    one(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::event;

    #[test]
    fn failed_session_setup() {
        let ev = event(
            5805,
            "NETLOGON",
            "System",
            &[("Data", "DC01\nDC01$\nAccess is denied.")],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::NetlogonSecureChannel {
                denied: true,
                vulnerable: false
            }
        );
        assert_eq!(e.actor.as_ref().unwrap().name, "DC01$");
        assert_eq!(e.source.as_ref().unwrap().key(), "dc01");
    }

    #[test]
    fn vulnerable_connections() {
        let ev = event(
            5829,
            "NetLogon",
            "System",
            &[("SAMAccountName", "NAS01$"), ("Domain", "CORP")],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::NetlogonSecureChannel {
                denied: false,
                vulnerable: true
            }
        );
        assert_eq!(e.actor.as_ref().unwrap().to_string(), "CORP\\NAS01$");
        let other = event(5827, "Some-Other-Provider", "System", &[]);
        assert_eq!(map(&other, &Arc::from("x")), Some(Vec::new()));
    }
}
