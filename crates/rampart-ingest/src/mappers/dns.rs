//! DNS zone transfers (DNS Server log, Microsoft-Windows-DNS-Server-Service).
//!
//! | id   | becomes |
//! |------|---------|
//! | 6001 | [`EventKind::DnsZoneTransfer`] completed (`refused: false`) |
//! | 6004 | [`EventKind::DnsZoneTransfer`] refused (`DNS_EVENT_BAD_ZONE_TRANSFER_REQUEST`: `param1` = the requester's address, `param2` = the zone) |
//!
//! The parameters are positional and their order differs between the two events, so the
//! requester is the first parameter that is an IP address and the zone the first that is not
//! an address or a number.

use super::one;
use crate::winevent::WinEvent;
use rampart_core::entity::parse_ip;
use rampart_core::{EventKind, Host, IdentityEvent};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    let refused = match ev.event_id {
        6001 => false,
        6004 => true,
        _ => return None,
    };
    let params: Vec<&str> = (1..=6)
        .filter_map(|i| ev.value(&format!("param{i}")))
        .collect();
    let requester = params.iter().find(|p| parse_ip(p).is_some());
    let zone = params
        .iter()
        .find(|p| parse_ip(p).is_none() && p.parse::<u64>().is_err())
        .map(|z| z.to_string())
        .unwrap_or_default();
    let mut e = ev.identity_event(src, EventKind::DnsZoneTransfer { zone, refused });
    e.source = requester.and_then(|ip| Host::from_parts(None, Some(ip)));
    one(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::event;

    #[test]
    fn refused_transfer() {
        let ev = event(
            6004,
            "Microsoft-Windows-DNS-Server-Service",
            "DNS Server",
            &[("param1", "10.23.23.9"), ("param2", "non-existing.lan.")],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::DnsZoneTransfer {
                zone: "non-existing.lan.".into(),
                refused: true
            }
        );
        assert_eq!(e.source.as_ref().unwrap().key(), "10.23.23.9");
    }

    #[test]
    fn completed_transfer() {
        let ev = event(
            6001,
            "Microsoft-Windows-DNS-Server-Service",
            "DNS Server",
            &[
                ("param1", "42"),
                ("param2", "corp.local"),
                ("param3", "10.0.0.7"),
            ],
        );
        let e = &map(&ev, &Arc::from("x")).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::DnsZoneTransfer {
                zone: "corp.local".into(),
                refused: false
            }
        );
        assert_eq!(e.source.as_ref().unwrap().key(), "10.0.0.7");
    }
}
