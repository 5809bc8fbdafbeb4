//! Real captures rewritten: cut short, gzipped, re-encoded big-endian with nanosecond stamps,
//! and with their TCP segments reordered and retransmitted. What the reader makes of them must
//! follow from what was done, never a panic or a lost file.

mod common;

use common::{read, shared, Collect};
use rampart_core::IdentityEvent;
use std::io::Write;

/// The records of a little-endian microsecond pcap: (header bytes, [(record offset, record)]).
fn records(bytes: &[u8]) -> (Vec<u8>, Vec<(usize, Vec<u8>)>) {
    assert_eq!(
        &bytes[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "a little-endian pcap"
    );
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= bytes.len() {
        let caplen = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().unwrap()) as usize;
        out.push((off, bytes[off..off + 16 + caplen].to_vec()));
        off += 16 + caplen;
    }
    (bytes[..24].to_vec(), out)
}

/// What an event says, without where in the file it was.
fn gist(e: &IdentityEvent) -> String {
    format!(
        "{} {:?} {:?} {:?}",
        e.time,
        e.kind,
        e.actor.as_ref().map(|a| &a.name),
        e.outcome
    )
}

fn gists(c: &Collect) -> Vec<String> {
    let mut v: Vec<String> = c.events.iter().map(gist).collect();
    v.sort();
    v
}

#[test]
fn a_truncated_capture_keeps_the_packets_before_the_cut_and_names_the_offset() {
    let bytes = std::fs::read(shared("lab/captures/kerberoasting.pcap")).unwrap();
    let (_, recs) = records(&bytes);
    let cut_record = 60; // 1-based frame number of the record cut in two
    let cut_at = recs[cut_record - 1].0;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.pcap");
    std::fs::write(&path, &bytes[..cut_at + 10]).unwrap();

    let (full_stats, full) = read(&shared("lab/captures/kerberoasting.pcap"));
    let (stats, c) = read(&path);
    assert_eq!(stats.records, cut_record as u64 - 1);
    assert_eq!(stats.skipped, 1);
    assert!(full_stats.records > stats.records);
    let w: Vec<_> = c.warnings.iter().filter(|w| w.offset.is_some()).collect();
    assert_eq!(w.len(), 1, "{:?}", c.warnings);
    assert_eq!(w[0].offset, Some(cut_at as u64));
    assert!(w[0].to_string().contains("cut.pcap"), "{}", w[0]);
    // Every exchange completed before the cut is there, as in the whole capture.
    let before: Vec<String> = full
        .events
        .iter()
        .filter(|e| e.evidence.record < cut_record as u64)
        .map(gist)
        .collect();
    let got: Vec<String> = c.events.iter().map(gist).collect();
    for g in &before {
        assert!(got.contains(g), "lost {g}");
    }
    assert!(!before.is_empty());
    assert!(c
        .events
        .iter()
        .all(|e| e.evidence.record < cut_record as u64));
}

#[test]
fn gzipped_capture_reads_the_same() {
    let src = shared("lab/captures/benign.pcap");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benign.pcap.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&std::fs::read(&src).unwrap()).unwrap();
    std::fs::write(&path, enc.finish().unwrap()).unwrap();
    let (s1, plain) = read(&src);
    let (s2, gz) = read(&path);
    assert_eq!(s1.records, s2.records);
    assert_eq!(gists(&plain), gists(&gz));
    assert!(gz.warnings.is_empty(), "{:?}", gz.warnings);
}

#[test]
fn big_endian_nanosecond_capture_reads_the_same() {
    let src = shared("lab/captures/kerberoasting.pcap");
    let bytes = std::fs::read(&src).unwrap();
    let (hdr, recs) = records(&bytes);
    let mut out = Vec::new();
    out.extend(0xa1b2_3c4du32.to_be_bytes());
    for i in [4usize, 6] {
        out.extend(u16::from_le_bytes(hdr[i..i + 2].try_into().unwrap()).to_be_bytes());
    }
    for i in [8usize, 12, 16, 20] {
        out.extend(u32::from_le_bytes(hdr[i..i + 4].try_into().unwrap()).to_be_bytes());
    }
    for (_, r) in &recs {
        let f = |i: usize| u32::from_le_bytes(r[i..i + 4].try_into().unwrap());
        out.extend(f(0).to_be_bytes());
        out.extend((f(4) * 1000).to_be_bytes());
        out.extend(f(8).to_be_bytes());
        out.extend(f(12).to_be_bytes());
        out.extend_from_slice(&r[16..]);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("be.pcap");
    std::fs::write(&path, out).unwrap();
    let (_, a) = read(&src);
    let (_, b) = read(&path);
    assert_eq!(gists(&a), gists(&b));
    assert!(!a.events.is_empty());
}

/// A record (pcap record header + Ethernet/IPv4/TCP frame) carrying `part` of its payload
/// at `offset`.
fn piece(rec: &[u8], offset: usize, part: &[u8]) -> Vec<u8> {
    let frame = &rec[16..];
    let ihl = ((frame[14] & 0x0f) as usize) * 4;
    let tcp = 14 + ihl;
    let doff = ((frame[tcp + 12] >> 4) as usize) * 4;
    let mut f = frame[..tcp + doff].to_vec();
    let total = (ihl + doff + part.len()) as u16;
    f[16..18].copy_from_slice(&total.to_be_bytes());
    let seq = u32::from_be_bytes(f[tcp + 4..tcp + 8].try_into().unwrap());
    f[tcp + 4..tcp + 8].copy_from_slice(&seq.wrapping_add(offset as u32).to_be_bytes());
    f.extend_from_slice(part);
    let mut r = rec[..8].to_vec();
    r.extend((f.len() as u32).to_le_bytes());
    r.extend((f.len() as u32).to_le_bytes());
    r.extend(f);
    r
}

/// Every TCP payload of ldap_recon (real BER messages, several per segment) cut in three and
/// sent out of order, with a retransmission and an overlapping segment: reassembly must hand
/// the dissectors the same streams.
#[test]
fn reordered_retransmitted_and_overlapping_segments_give_the_same_events() {
    use rampart_net::decode::{decode, L4};
    let src = shared("lab/captures/ldap_recon.pcap");
    let bytes = std::fs::read(&src).unwrap();
    let (hdr, recs) = records(&bytes);
    let mut out = hdr.clone();
    let mut split = 0;
    for (_, r) in &recs {
        let payload = match decode(1, &r[16..]) {
            Ok(d) => match d.l4 {
                L4::Tcp(t) if t.payload.len() >= 12 => Some(t.payload.to_vec()),
                _ => None,
            },
            Err(_) => None,
        };
        let Some(p) = payload else {
            out.extend_from_slice(r);
            continue;
        };
        split += 1;
        let (a, b) = (p.len() / 3, 2 * p.len() / 3);
        out.extend(piece(r, b, &p[b..]));
        out.extend(piece(r, 0, &p[..a]));
        out.extend(piece(r, a - 2, &p[a - 2..a + 2])); // overlaps both neighbours
        out.extend(piece(r, a, &p[a..b]));
        out.extend(piece(r, 0, &p[..a])); // retransmission
    }
    assert!(split > 50, "{split}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shuffled.pcap");
    std::fs::write(&path, out).unwrap();
    let (_, a) = read(&src);
    let (_, b) = read(&path);
    assert!(b.warnings.is_empty(), "{:?}", b.warnings);
    // Frame numbers moved; times did not.
    assert_eq!(gists(&a), gists(&b));
    assert_eq!(a.events.len(), 26);
}

#[test]
fn damaged_copies_of_every_lab_capture_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["kerberoasting", "ldap_recon", "dns_recon", "brute_force"] {
        let bytes = std::fs::read(shared(&format!("lab/captures/{name}.pcap"))).unwrap();
        let mut seed = 0x9e37_79b9u32;
        for round in 0..8 {
            let mut b = bytes.clone();
            // Flip bytes past the file header: lengths, addresses, payloads.
            for _ in 0..(50 + round * 40) {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let at = 24 + (seed as usize % (b.len() - 24));
                b[at] ^= (seed >> 8) as u8 | 1;
            }
            let path = dir.path().join(format!("{name}-{round}.pcap"));
            std::fs::write(&path, &b).unwrap();
            let (stats, _) = read(&path);
            assert!(stats.records > 0 || stats.skipped > 0);
        }
    }
}
