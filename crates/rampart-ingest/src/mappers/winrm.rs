//! Windows Remote Management (Microsoft-Windows-WinRM/Operational), on the machine being
//! managed.
//!
//! | id  | becomes |
//! |-----|---------|
//! | 91  | [`EventKind::RemoteShell`] (a WSMan shell was created) with its `resourceUri`; actor = the record's user SID (`UserID`) |
//! | 169 | [`EventKind::RemoteShell`] (a user authenticated to WinRM): actor = `username` (`DOMAIN\name`), auth = `authenticationMechanism` |
//!
//! A 91 whose template failed to render carries `ProcessingErrorData` instead of its data; its
//! `EventPayload` (hex of the UTF-16 insertion strings) still holds the resource URI, which is
//! recovered from it.

use super::one;
use crate::winevent::WinEvent;
use rampart_core::{Account, EventKind, IdentityEvent};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    let (resource, auth, actor) = match ev.event_id {
        91 => (
            ev.string("resourceUri")
                .or_else(|| ev.value("EventPayload").and_then(utf16_hex)),
            None,
            Account::from_parts(None, None, ev.get("UserID")),
        ),
        169 => (
            None,
            ev.string("authenticationMechanism"),
            ev.value("username").and_then(Account::parse),
        ),
        _ => return None,
    };
    let kind = EventKind::RemoteShell {
        protocol: "winrm".to_string(),
        resource,
        auth,
        client: None,
    };
    let mut e = ev.identity_event(src, kind);
    e.actor = actor;
    one(e)
}

/// The text of a hex dump of UTF-16LE strings (`68007400…0000`), NULs ending each string;
/// `None` unless it decodes to printable text.
fn utf16_hex(hex: &str) -> Option<String> {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).ok()?;
    let parts: Vec<&str> = text.split('\0').filter(|p| !p.is_empty()).collect();
    let joined = parts.join(" ");
    (!joined.is_empty() && joined.chars().all(|c| !c.is_control())).then_some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::event;

    fn winrm(id: u32, data: &[(&str, &str)]) -> WinEvent<'static> {
        event(
            id,
            "Microsoft-Windows-WinRM",
            "Microsoft-Windows-WinRM/Operational",
            data,
        )
    }

    #[test]
    fn authenticated_user() {
        let ev = winrm(
            169,
            &[
                ("username", "iewin7\\ieuser"),
                ("authenticationMechanism", "NTLM"),
            ],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::RemoteShell {
                protocol: "winrm".into(),
                resource: None,
                auth: Some("NTLM".into()),
                client: None,
            }
        );
        let a = e.actor.as_ref().unwrap();
        assert_eq!(
            (a.name.as_str(), a.domain.as_deref()),
            ("ieuser", Some("iewin7"))
        );
    }

    #[test]
    fn shell_created_from_a_processing_error_payload() {
        let ev = winrm(
            91,
            &[
                ("ErrorCode", "15005"),
                ("DataItemName", "shellId"),
                ("EventPayload", "68007400740070003A002F002F0078000000"),
                ("UserID", "S-1-5-21-1-2-3-500"),
            ],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        match &e.kind {
            EventKind::RemoteShell { resource, .. } => {
                assert_eq!(resource.as_deref(), Some("http://x"))
            }
            k => panic!("unexpected {k:?}"),
        }
        assert_eq!(e.actor.as_ref().unwrap().rid(), Some(500));
        assert_eq!(utf16_hex("zz"), None);
        assert_eq!(utf16_hex("0100"), None);
    }
}
