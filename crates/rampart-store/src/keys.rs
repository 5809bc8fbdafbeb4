//! What makes two things the same, for every backend: the keys entities are matched by, the
//! digest that tells events of one record apart, and severity as a sortable number.

use rampart_core::{Host, Severity};
use std::net::IpAddr;

/// The name an account is matched by: lower-case.
pub(crate) fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// The domain an account is matched by: the first label, lower-case, so that the NetBIOS name
/// `CORP` and the DNS name `corp.local` meet ('' when there is none).
pub(crate) fn domain_key(domain: Option<&str>) -> String {
    domain
        .map(|d| d.split('.').next().unwrap_or(d).to_lowercase())
        .unwrap_or_default()
}

/// A host's name as it is matched: the short name, lower-case; `None` when the name is really an
/// address (some sources write the IP in the workstation field).
pub(crate) fn host_name_key(host: &Host) -> Option<String> {
    let name = host.name.as_deref()?.trim();
    if name.is_empty() || name.parse::<IpAddr>().is_ok() {
        return None;
    }
    host.short_name().filter(|n| !n.is_empty())
}

/// A host's address as it is matched: its own, or its name when that is an address; `None`
/// for loopback and unspecified addresses, which say "this machine" (whichever recorded the
/// event), not which machine: matching by them would make every host's local logons one host.
pub(crate) fn host_ip(host: &Host) -> Option<IpAddr> {
    host.ip
        .or_else(|| host.name.as_deref()?.trim().parse().ok())
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
}

/// A 64-bit digest of an event's JSON, to tell apart different events from one record.
///
/// Stored, so it must never change: a fixed word-at-a-time multiply-xorshift with a final
/// avalanche (8 bytes a step; FNV-1a's byte a step was a twentieth of insert time). Collisions
/// matter only between events of the same record, of which there are one or two.
pub(crate) fn digest(bytes: &[u8]) -> i64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    fn mix(h: u64, w: u64) -> u64 {
        let h = (h ^ w).wrapping_mul(K);
        h ^ (h >> 29)
    }
    let mut h = (bytes.len() as u64).wrapping_mul(K) ^ 0x5241_4D50_4152_5421;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        h = mix(h, u64::from_le_bytes(w));
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut w = [0u8; 8];
        w[..tail.len()].copy_from_slice(tail);
        h = mix(h, u64::from_le_bytes(w));
    }
    // murmur3's finaliser.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h as i64
}

/// Severity as a number that orders: 0 low … 3 critical.
pub(crate) fn severity_rank(s: Severity) -> i64 {
    use Severity::*;
    match s {
        Low => 0,
        Medium => 1,
        High => 2,
        Critical => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_never_changes() {
        // Stored in databases: these values are a contract.
        let known = [
            digest(b""),
            digest(b"a"),
            digest(b"{\"time\":\"2024-01-01T00:00:00Z\"}"),
        ];
        assert_eq!(known, PINNED);
    }

    const PINNED: [i64; 3] = [
        2_909_268_373_502_140_256,
        5_653_196_047_266_141_980,
        -4_764_325_643_155_884_565,
    ];

    #[test]
    fn the_digest_tells_near_identical_events_apart() {
        let a = br#"{"kind":{"type":"logon","logon_type":3},"outcome":{"result":"success"}}"#;
        let mut seen = std::collections::HashSet::new();
        for i in 0..a.len() {
            let mut b = a.to_vec();
            b[i] ^= 1;
            assert!(seen.insert(digest(&b)));
        }
        assert!(seen.insert(digest(a)));
        assert_ne!(digest(b"ab"), digest(b"ab\0"));
    }

    #[test]
    fn keys_fold_case_and_domain_forms() {
        assert_eq!(domain_key(Some("CORP")), domain_key(Some("corp.local")));
        assert_eq!(domain_key(None), "");
        assert_eq!(name_key("JDoe"), "jdoe");
        assert_eq!(
            host_name_key(&Host::named("WS01.corp.local")).as_deref(),
            Some("ws01")
        );
        assert_eq!(host_name_key(&Host::named("10.0.0.5")), None);
        assert_eq!(host_ip(&Host::named("10.0.0.5")), "10.0.0.5".parse().ok());
        assert_eq!(host_ip(&Host::named("127.0.0.1")), None);
        assert_eq!(
            host_ip(&Host::from_parts(Some("WS01"), Some("::1")).unwrap()),
            None
        );
        assert_eq!(
            host_ip(&Host::from_parts(None, Some("0.0.0.0")).unwrap()),
            None
        );
    }
}
