//! Link, network and transport headers: from a captured frame to addresses, ports and payload.
//!
//! Link types: Ethernet (1) with stacked 802.1Q/802.1ad tags, Linux cooked capture v1 (113) and
//! v2 (276), raw IP (101, 12, 14, 228, 229) and BSD loopback (0 null, 108 loop). IPv4 headers are
//! checked (version, header length, total length) but not checksummed: captures taken on the
//! sending host carry offloaded, unfilled checksums. IPv4 and IPv6 fragments are counted and
//! skipped, not reassembled: the protocols dissected here keep their messages below the MTU
//! (a KDC answers a too-big UDP request with RESPONSE_TOO_BIG and the client retries over TCP).
//! IPv6 extension headers are skipped, at most eight.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A decoded TCP or UDP packet; the payload borrows the frame.
#[derive(Debug, Clone, Copy)]
pub struct Decoded<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub l4: L4<'a>,
}

#[derive(Debug, Clone, Copy)]
pub enum L4<'a> {
    Tcp(TcpSegment<'a>),
    Udp {
        sport: u16,
        dport: u16,
        payload: &'a [u8],
    },
}

#[derive(Debug, Clone, Copy)]
pub struct TcpSegment<'a> {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub payload: &'a [u8],
}

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const ACK: u8 = 0x10;

/// Why a frame yields no TCP/UDP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Not IP, or IP carrying another protocol (ARP, ICMP, LLDP…): counted, not damage.
    Other,
    /// An IP fragment (counted and skipped).
    Fragment,
    /// A link type this decoder does not know.
    LinkType(i32),
    /// A header that contradicts itself or is cut short.
    Malformed(&'static str),
}

const MAX_VLAN_TAGS: usize = 8;
const MAX_IPV6_EXTENSIONS: usize = 8;

/// Decodes one frame of link type `linktype`.
pub fn decode(linktype: i32, frame: &[u8]) -> Result<Decoded<'_>, Skip> {
    match linktype {
        1 => {
            let ethertype = u16_at(frame, 12).ok_or(Skip::Malformed("short Ethernet header"))?;
            ethertype_payload(ethertype, frame.get(14..).unwrap_or_default())
        }
        113 => {
            let proto = u16_at(frame, 14).ok_or(Skip::Malformed("short SLL header"))?;
            ethertype_payload(proto, frame.get(16..).unwrap_or_default())
        }
        276 => {
            let proto = u16_at(frame, 0).ok_or(Skip::Malformed("short SLL2 header"))?;
            if frame.len() < 20 {
                return Err(Skip::Malformed("short SLL2 header"));
            }
            ethertype_payload(proto, &frame[20..])
        }
        101 | 12 | 14 => ip(frame),
        228 => ipv4(frame),
        229 => ipv6(frame),
        0 | 108 => ip(frame
            .get(4..)
            .ok_or(Skip::Malformed("short loopback header"))?),
        other => Err(Skip::LinkType(other)),
    }
}

fn ethertype_payload(mut ethertype: u16, mut rest: &[u8]) -> Result<Decoded<'_>, Skip> {
    for _ in 0..=MAX_VLAN_TAGS {
        match ethertype {
            0x0800 => return ipv4(rest),
            0x86dd => return ipv6(rest),
            0x8100 | 0x88a8 | 0x9100 => {
                ethertype = u16_at(rest, 2).ok_or(Skip::Malformed("short VLAN tag"))?;
                rest = &rest[4..];
            }
            _ => return Err(Skip::Other),
        }
    }
    Err(Skip::Malformed("too many stacked VLAN tags"))
}

fn ip(p: &[u8]) -> Result<Decoded<'_>, Skip> {
    match p.first().map(|b| b >> 4) {
        Some(4) => ipv4(p),
        Some(6) => ipv6(p),
        Some(_) => Err(Skip::Other),
        None => Err(Skip::Malformed("empty IP packet")),
    }
}

fn ipv4(p: &[u8]) -> Result<Decoded<'_>, Skip> {
    if p.len() < 20 {
        return Err(Skip::Malformed("short IPv4 header"));
    }
    if p[0] >> 4 != 4 {
        return Err(Skip::Malformed("IPv4 header with another version"));
    }
    let ihl = ((p[0] & 0x0f) as usize) * 4;
    let total = u16::from_be_bytes([p[2], p[3]]) as usize;
    if ihl < 20 || ihl > p.len() {
        return Err(Skip::Malformed("bad IPv4 header length"));
    }
    // TSO captures write 0 for the total length of segments the NIC will split.
    let end = if total == 0 {
        p.len()
    } else if total < ihl {
        return Err(Skip::Malformed("IPv4 total length below header length"));
    } else {
        total.min(p.len())
    };
    let frag = u16::from_be_bytes([p[6], p[7]]);
    if frag & 0x3fff != 0 {
        return Err(Skip::Fragment);
    }
    let src = IpAddr::V4(Ipv4Addr::new(p[12], p[13], p[14], p[15]));
    let dst = IpAddr::V4(Ipv4Addr::new(p[16], p[17], p[18], p[19]));
    transport(p[9], src, dst, &p[ihl..end])
}

fn ipv6(p: &[u8]) -> Result<Decoded<'_>, Skip> {
    if p.len() < 40 {
        return Err(Skip::Malformed("short IPv6 header"));
    }
    if p[0] >> 4 != 6 {
        return Err(Skip::Malformed("IPv6 header with another version"));
    }
    let plen = u16::from_be_bytes([p[4], p[5]]) as usize;
    let end = if plen == 0 {
        p.len()
    } else {
        (40 + plen).min(p.len())
    };
    let addr = |o: usize| {
        let mut a = [0u8; 16];
        a.copy_from_slice(&p[o..o + 16]);
        IpAddr::V6(Ipv6Addr::from(a))
    };
    let (src, dst) = (addr(8), addr(24));
    let mut next = p[6];
    let mut off = 40;
    for _ in 0..=MAX_IPV6_EXTENSIONS {
        match next {
            0 | 43 | 60 | 135 | 139 | 140 => {
                let h = p
                    .get(off..off + 2)
                    .ok_or(Skip::Malformed("short IPv6 extension"))?;
                next = h[0];
                off += (h[1] as usize + 1) * 8;
            }
            51 => {
                let h = p
                    .get(off..off + 2)
                    .ok_or(Skip::Malformed("short IPv6 AH"))?;
                next = h[0];
                off += (h[1] as usize + 2) * 4;
            }
            44 => {
                let h = p
                    .get(off..off + 8)
                    .ok_or(Skip::Malformed("short IPv6 fragment header"))?;
                let fo = u16::from_be_bytes([h[2], h[3]]);
                if fo & 0xfff9 != 0 {
                    return Err(Skip::Fragment);
                }
                next = h[0];
                off += 8;
            }
            _ => {
                if off > end {
                    return Err(Skip::Malformed("IPv6 extension headers beyond the packet"));
                }
                return transport(next, src, dst, &p[off..end]);
            }
        }
    }
    Err(Skip::Malformed("too many IPv6 extension headers"))
}

fn transport(proto: u8, src: IpAddr, dst: IpAddr, p: &[u8]) -> Result<Decoded<'_>, Skip> {
    match proto {
        6 => {
            if p.len() < 20 {
                return Err(Skip::Malformed("short TCP header"));
            }
            let doff = ((p[12] >> 4) as usize) * 4;
            if doff < 20 || doff > p.len() {
                return Err(Skip::Malformed("bad TCP data offset"));
            }
            Ok(Decoded {
                src,
                dst,
                l4: L4::Tcp(TcpSegment {
                    sport: u16::from_be_bytes([p[0], p[1]]),
                    dport: u16::from_be_bytes([p[2], p[3]]),
                    seq: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
                    ack: u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
                    flags: p[13],
                    payload: &p[doff..],
                }),
            })
        }
        17 => {
            if p.len() < 8 {
                return Err(Skip::Malformed("short UDP header"));
            }
            let len = u16::from_be_bytes([p[4], p[5]]) as usize;
            let end = if len == 0 {
                p.len()
            } else if len < 8 {
                return Err(Skip::Malformed("UDP length below header length"));
            } else {
                len.min(p.len())
            };
            Ok(Decoded {
                src,
                dst,
                l4: L4::Udp {
                    sport: u16::from_be_bytes([p[0], p[1]]),
                    dport: u16::from_be_bytes([p[2], p[3]]),
                    payload: &p[8..end],
                },
            })
        }
        _ => Err(Skip::Other),
    }
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    let s = b.get(o..o + 2)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4_udp(payload: &[u8], frag: u16) -> Vec<u8> {
        let mut p = vec![0x45, 0, 0, 0, 0, 1];
        p.extend(frag.to_be_bytes());
        p.extend([64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        p.extend(5353u16.to_be_bytes());
        p.extend(53u16.to_be_bytes());
        p.extend(((8 + payload.len()) as u16).to_be_bytes());
        p.extend([0, 0]);
        p.extend_from_slice(payload);
        let total = p.len() as u16;
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p
    }

    #[test]
    fn ethernet_with_stacked_vlans_and_padding() {
        let mut f = vec![0u8; 12];
        f.extend([0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2, 0x08, 0x00]);
        f.extend(ipv4_udp(b"hi", 0));
        f.extend([0u8; 10]); // Ethernet padding beyond the IP total length
        let d = decode(1, &f).unwrap();
        match d.l4 {
            L4::Udp {
                sport,
                dport,
                payload,
            } => {
                assert_eq!((sport, dport, payload), (5353, 53, &b"hi"[..]));
            }
            _ => panic!("not UDP"),
        }
        assert_eq!(d.src.to_string(), "10.0.0.1");
    }

    #[test]
    fn cooked_raw_and_loopback_links() {
        let ip = ipv4_udp(b"x", 0);
        let mut sll = vec![0u8; 14];
        sll.extend([0x08, 0x00]);
        sll.extend(&ip);
        assert!(decode(113, &sll).is_ok());
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend([0u8; 18]);
        sll2.extend(&ip);
        assert!(decode(276, &sll2).is_ok());
        assert!(decode(101, &ip).is_ok());
        assert!(decode(228, &ip).is_ok());
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend(&ip);
        assert!(decode(0, &null).is_ok());
        assert_eq!(decode(147, &ip).unwrap_err(), Skip::LinkType(147));
    }

    #[test]
    fn fragments_and_damage_are_told_apart() {
        assert_eq!(
            decode(101, &ipv4_udp(b"x", 0x2000)).unwrap_err(),
            Skip::Fragment
        );
        assert_eq!(
            decode(101, &ipv4_udp(b"x", 0x0010)).unwrap_err(),
            Skip::Fragment
        );
        let mut bad = ipv4_udp(b"x", 0);
        bad[0] = 0x4f; // header length 60 > packet
        assert!(matches!(decode(101, &bad), Err(Skip::Malformed(_))));
        for n in 0..bad.len() {
            let _ = decode(1, &bad[..n]);
            let _ = decode(229, &bad[..n]);
        }
    }

    #[test]
    fn ipv6_extension_headers_are_skipped() {
        let mut p = vec![0x60, 0, 0, 0];
        let body_len = 8 + 8 + 2;
        p.extend((body_len as u16).to_be_bytes());
        p.extend([0u8, 64]); // next header: hop-by-hop
        p.extend([0u8; 32]);
        p.extend([17, 0, 0, 0, 0, 0, 0, 0]); // hop-by-hop → UDP
        p.extend(1000u16.to_be_bytes());
        p.extend(88u16.to_be_bytes());
        p.extend(10u16.to_be_bytes());
        p.extend([0, 0, 0xab, 0xcd]);
        let d = decode(229, &p).unwrap();
        assert!(matches!(d.l4, L4::Udp { dport: 88, payload, .. } if payload == [0xab, 0xcd]));
    }
}
