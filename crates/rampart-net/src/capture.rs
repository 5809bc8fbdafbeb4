//! Capture files: pcap (both byte orders, microsecond and nanosecond magics, the "modified"
//! variant) and pcapng (several sections and interfaces, each with its link type and timestamp
//! resolution), optionally gzipped.
//!
//! Reading is streaming: a bounded buffer refilled from the file, so a capture of any size costs
//! the same memory. Packets are parsed in place in that buffer; only the partial record left
//! at its end is moved before the next read. Damage (a cut-off last record, a block whose length makes no sense, a
//! decompression error) is a [`Warning`] naming the file and the byte offset of the record, and
//! every packet read before it is kept. Offsets of a gzipped capture are offsets in its
//! decompressed content.

use flate2::read::MultiGzDecoder;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError, PcapNGReader};
use rampart_ingest::{IngestError, InputFile, Warning};
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::Arc;

/// One captured packet as the file holds it.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// 1-based frame number, as Wireshark counts: packet records only.
    pub frame: u64,
    /// Capture time, nanoseconds since the Unix epoch.
    pub ts_nanos: i64,
    /// The link type of the interface the packet was captured on (1 Ethernet, 113 SLL, …).
    pub linktype: i32,
    /// The captured bytes (may be shorter than the packet on the wire: snap length).
    pub data: &'a [u8],
}

/// Where [`read_packets`] delivers packets and warnings.
pub trait PacketSink {
    /// A packet. Returning `false` stops reading.
    fn packet(&mut self, packet: &Packet<'_>) -> bool;
    /// A damaged record or block; what was read before it has been delivered.
    fn warning(&mut self, warning: Warning);
}

/// What [`read_packets`] saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CaptureSummary {
    /// Packet records read (delivered or not).
    pub frames: u64,
    /// Records or blocks that could not be used (each reported as a warning).
    pub damaged: u64,
}

/// Initial read buffer: comfortably more than one maximal (256 KiB snap length) packet.
const BUFFER: usize = 512 * 1024;
/// The buffer never grows beyond this; a record claiming more is damage.
const MAX_BUFFER: usize = 16 * 1024 * 1024;
const SNIFF: usize = 4096;

/// Opens a capture file, decompressing `.gz` content transparently.
pub fn open(file: &InputFile) -> Result<Box<dyn Read + Send>, IngestError> {
    let f = File::open(&file.path).map_err(|e| io_error(&file.display, e))?;
    if file.compressed {
        Ok(Box::new(MultiGzDecoder::new(io::BufReader::with_capacity(
            64 * 1024,
            f,
        ))))
    } else {
        Ok(Box::new(f))
    }
}

pub(crate) fn io_error(path: &Arc<str>, source: io::Error) -> IngestError {
    if source.kind() == io::ErrorKind::NotFound {
        IngestError::NotFound { path: path.clone() }
    } else {
        IngestError::Io {
            path: path.clone(),
            source,
        }
    }
}

/// Whether `head` starts like a capture this module reads.
pub fn is_capture(head: &[u8]) -> bool {
    magic(head).is_some()
}

enum Kind {
    Legacy,
    Ng,
}

fn magic(head: &[u8]) -> Option<Kind> {
    let m: [u8; 4] = head.get(..4)?.try_into().ok()?;
    if m == [0x0a, 0x0d, 0x0d, 0x0a] {
        return Some(Kind::Ng);
    }
    let le = u32::from_le_bytes(m);
    let be = u32::from_be_bytes(m);
    let known = |v: u32| matches!(v, 0xa1b2_c3d4 | 0xa1b2_3c4d);
    // The "modified" (Alexey Kuznetsov) format exists only little-endian in pcap-parser.
    if known(le) || known(be) || le == 0xa1b2_cd34 {
        Some(Kind::Legacy)
    } else {
        None
    }
}

/// A reader whose every `read` fills the buffer unless the input ends: the capture parsers
/// treat a short first read as a short file. A read error after some bytes is kept for the next
/// call, and its message for the warning (the parsers drop it).
struct FullRead<R> {
    inner: R,
    pending: Option<io::Error>,
    last_error: Rc<RefCell<Option<String>>>,
}

impl<R: Read> Read for FullRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.pending.take() {
            *self.last_error.borrow_mut() = Some(e.to_string());
            return Err(e);
        }
        let mut n = 0;
        while n < buf.len() {
            match self.inner.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if n > 0 => {
                    self.pending = Some(e);
                    break;
                }
                Err(e) => {
                    *self.last_error.borrow_mut() = Some(e.to_string());
                    return Err(e);
                }
            }
        }
        Ok(n)
    }
}

/// An interface of a pcapng section.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: i32,
    /// Timestamp units per second (`if_tsresol`); `None` when the IDB's value is invalid.
    units: Option<u64>,
    /// Seconds added to every timestamp (`if_tsoffset`).
    offset: i64,
}

/// What the reader loop does next, decided while the parser's buffer is borrowed.
enum Step {
    Consume(usize),
    Refill,
    Grow,
    End,
    Damaged(String, bool),
}

/// Reads every packet of a capture into `sink`. Damage is a warning (and the end of the file
/// for pcap, whose records cannot be resynchronised; pcapng skips a block with a readable
/// length); only content that is no capture at all, or unreadable from the start, is an error.
pub fn read_packets(
    reader: Box<dyn Read + Send + '_>,
    source: &Arc<str>,
    sink: &mut dyn PacketSink,
) -> Result<CaptureSummary, IngestError> {
    let last_error = Rc::new(RefCell::new(None));
    let mut head = Vec::with_capacity(SNIFF);
    let mut first = FullRead {
        inner: reader,
        pending: None,
        last_error: last_error.clone(),
    };
    (&mut first)
        .take(SNIFF as u64)
        .read_to_end(&mut head)
        .map_err(|e| io_error(source, e))?;
    let kind = magic(&head).ok_or_else(|| IngestError::Corrupt {
        path: source.clone(),
        offset: Some(0),
        message: "not a pcap or pcapng capture (unknown magic)".into(),
    })?;
    let chained = FullRead {
        inner: io::Cursor::new(head).chain(first),
        pending: None,
        last_error: last_error.clone(),
    };
    let corrupt = |e: PcapError<&[u8]>| IngestError::Corrupt {
        path: source.clone(),
        offset: Some(0),
        message: format!("unreadable capture header: {}", describe(&e)),
    };
    let mut reader: Box<dyn PcapReaderIterator + '_> = match kind {
        Kind::Legacy => Box::new(LegacyPcapReader::new(BUFFER, chained).map_err(corrupt)?),
        Kind::Ng => Box::new(PcapNGReader::new(BUFFER, chained).map_err(corrupt)?),
    };
    let mut capacity = BUFFER;
    let mut summary = CaptureSummary::default();
    let mut legacy_link = 1;
    let mut legacy_nanos = false;
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut stopped = false;
    loop {
        let offset = reader.consumed() as u64;
        let step = match reader.next() {
            Ok((len, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        legacy_link = h.network.0;
                        legacy_nanos = h.is_nanosecond_precision();
                    }
                    PcapBlockOwned::Legacy(b) => {
                        summary.frames += 1;
                        let frac = if legacy_nanos {
                            b.ts_usec as i64
                        } else {
                            b.ts_usec as i64 * 1000
                        };
                        let p = Packet {
                            frame: summary.frames,
                            ts_nanos: (b.ts_sec as i64) * 1_000_000_000 + frac,
                            linktype: legacy_link,
                            data: b.data,
                        };
                        stopped = !sink.packet(&p);
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => interfaces.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        interfaces.push(Interface {
                            linktype: idb.linktype.0,
                            units: pcap_parser::pcapng::build_ts_resolution(idb.if_tsresol),
                            offset: idb.if_tsoffset,
                        })
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        summary.frames += 1;
                        match interfaces.get(epb.if_id as usize) {
                            Some(iface) => {
                                use pcap_parser::traits::PcapNGPacketBlock;
                                let raw = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                                let p = Packet {
                                    frame: summary.frames,
                                    ts_nanos: ng_time(raw, iface),
                                    linktype: iface.linktype,
                                    data: epb.packet_data(),
                                };
                                stopped = !sink.packet(&p);
                            }
                            None => {
                                summary.damaged += 1;
                                sink.warning(at(
                                    source,
                                    offset,
                                    format!(
                                        "frame {}: packet of interface {} which no interface description block declared; skipped",
                                        summary.frames, epb.if_id
                                    ),
                                ));
                            }
                        }
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        summary.frames += 1;
                        match interfaces.first() {
                            Some(iface) => {
                                use pcap_parser::traits::PcapNGPacketBlock;
                                // A simple packet block has no timestamp.
                                let p = Packet {
                                    frame: summary.frames,
                                    ts_nanos: 0,
                                    linktype: iface.linktype,
                                    data: spb.packet_data(),
                                };
                                stopped = !sink.packet(&p);
                            }
                            None => {
                                summary.damaged += 1;
                                sink.warning(at(
                                    source,
                                    offset,
                                    format!("frame {}: simple packet block before any interface description; skipped", summary.frames),
                                ));
                            }
                        }
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                Step::Consume(len)
            }
            Err(PcapError::Eof) => Step::End,
            Err(PcapError::Incomplete(_)) => Step::Refill,
            Err(PcapError::BufferTooSmall) => Step::Grow,
            Err(PcapError::UnexpectedEof) => Step::Damaged(
                "the capture ends in the middle of a record (truncated file)".into(),
                false,
            ),
            Err(PcapError::ReadError) => Step::Damaged(
                format!(
                    "read error ({})",
                    last_error
                        .borrow()
                        .clone()
                        .unwrap_or_else(|| "unknown".into())
                ),
                false,
            ),
            Err(e) => Step::Damaged(format!("damaged record: {}", describe(&e)), true),
        };
        match step {
            Step::Consume(len) => {
                // Not `consume`: it moves the unread half of the buffer to its start whenever
                // the read position passes the middle, copying every byte of the file once
                // more. `refill` moves only the partial record left at the end.
                reader.consume_noshift(len);
                if stopped {
                    break;
                }
            }
            Step::Refill => {
                if reader.refill().is_err() {
                    let msg = last_error
                        .borrow()
                        .clone()
                        .unwrap_or_else(|| "unknown".into());
                    summary.damaged += 1;
                    sink.warning(at(
                        source,
                        offset,
                        format!("read error ({msg}); rest of the file lost"),
                    ));
                    break;
                }
            }
            Step::Grow => {
                if capacity >= MAX_BUFFER {
                    summary.damaged += 1;
                    sink.warning(at(
                        source,
                        offset,
                        format!(
                            "record larger than {} MiB (damaged length); rest of the file skipped",
                            MAX_BUFFER >> 20
                        ),
                    ));
                    break;
                }
                capacity = (capacity * 2).min(MAX_BUFFER);
                reader.grow(capacity);
                if reader.refill().is_err() {
                    summary.damaged += 1;
                    sink.warning(at(source, offset, "read error; rest of the file lost"));
                    break;
                }
            }
            Step::End => break,
            Step::Damaged(msg, resync) => {
                summary.damaged += 1;
                if resync && matches!(kind, Kind::Ng) {
                    if let Some(len) = ng_block_len(reader.data()) {
                        sink.warning(at(source, offset, format!("{msg}; block skipped")));
                        reader.consume_noshift(len);
                        continue;
                    }
                }
                let tail = if resync {
                    "; rest of the file skipped"
                } else {
                    ""
                };
                sink.warning(at(source, offset, format!("{msg}{tail}")));
                break;
            }
        }
    }
    Ok(summary)
}

/// The length of the pcapng block at the start of `data`, when it can be trusted: a multiple of
/// four, at least a header and trailer, within the buffer, and repeated in the trailer.
fn ng_block_len(data: &[u8]) -> Option<usize> {
    let raw: [u8; 4] = data.get(4..8)?.try_into().ok()?;
    for len in [u32::from_le_bytes(raw), u32::from_be_bytes(raw)] {
        let len = len as usize;
        if len < 12 || len % 4 != 0 || len > data.len() {
            continue;
        }
        let trailer = data.get(len - 4..len)?;
        if trailer == raw {
            return Some(len);
        }
    }
    None
}

/// A pcapng timestamp in nanoseconds since the epoch, without overflow on any input.
fn ng_time(raw: u64, iface: &Interface) -> i64 {
    let units = iface.units.unwrap_or(1_000_000).max(1);
    let secs = (raw / units) as i128 + iface.offset as i128;
    let frac = ((raw % units) as u128 * 1_000_000_000 / units as u128) as i128;
    let ns = secs * 1_000_000_000 + frac;
    ns.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

fn describe(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::NomError(_, kind) => format!("parse error ({kind:?})"),
        PcapError::OwnedNomError(_, kind) => format!("parse error ({kind:?})"),
        PcapError::HeaderNotRecognized => "header not recognised".into(),
        PcapError::Incomplete(_) | PcapError::UnexpectedEof => "too short".into(),
        other => other.to_string(),
    }
}

fn at(source: &Arc<str>, offset: u64, message: impl Into<String>) -> Warning {
    Warning {
        offset: Some(offset),
        ..Warning::file(source, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        frames: Vec<(u64, i64, i32, usize)>,
        warnings: Vec<Warning>,
    }
    impl PacketSink for Collect {
        fn packet(&mut self, p: &Packet<'_>) -> bool {
            self.frames
                .push((p.frame, p.ts_nanos, p.linktype, p.data.len()));
            true
        }
        fn warning(&mut self, w: Warning) {
            self.warnings.push(w);
        }
    }

    fn pcap(big: bool, nanos: bool, records: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let w32 = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let w16 = |v: u16| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut out = Vec::new();
        out.extend(w32(magic));
        out.extend(w16(2));
        out.extend(w16(4));
        out.extend(w32(0));
        out.extend(w32(0));
        out.extend(w32(65535));
        out.extend(w32(1));
        for (sec, frac, data) in records {
            out.extend(w32(*sec));
            out.extend(w32(*frac));
            out.extend(w32(data.len() as u32));
            out.extend(w32(data.len() as u32));
            out.extend_from_slice(data);
        }
        out
    }

    fn run(bytes: Vec<u8>) -> (Result<CaptureSummary, IngestError>, Collect) {
        let mut c = Collect::default();
        let src: Arc<str> = Arc::from("t.pcap");
        let r = read_packets(Box::new(io::Cursor::new(bytes)), &src, &mut c);
        (r, c)
    }

    #[test]
    fn reads_all_four_pcap_magics() {
        for big in [false, true] {
            for nanos in [false, true] {
                let (r, c) = run(pcap(big, nanos, &[(10, 5, b"abc"), (11, 7, b"de")]));
                let s = r.unwrap();
                assert_eq!(s.frames, 2);
                let scale = if nanos { 1 } else { 1000 };
                assert_eq!(c.frames[0], (1, 10_000_000_000 + 5 * scale, 1, 3));
                assert_eq!(c.frames[1], (2, 11_000_000_000 + 7 * scale, 1, 2));
                assert!(c.warnings.is_empty());
            }
        }
    }

    #[test]
    fn truncated_pcap_keeps_packets_and_warns_with_offset() {
        let mut bytes = pcap(false, false, &[(1, 0, b"abcd"), (2, 0, b"efghijkl")]);
        let full = bytes.len();
        bytes.truncate(full - 3);
        let (r, c) = run(bytes);
        assert_eq!(r.unwrap().frames, 1);
        assert_eq!(c.frames.len(), 1);
        assert_eq!(c.warnings.len(), 1);
        // The second record starts after the 24-byte header and the first 16+4-byte record.
        assert_eq!(c.warnings[0].offset, Some(44));
        assert!(
            c.warnings[0].to_string().contains("truncated"),
            "{}",
            c.warnings[0]
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let (r, _) = run(b"hello world, not a capture".to_vec());
        assert!(matches!(r, Err(IngestError::Corrupt { .. })));
        let (r, _) = run(Vec::new());
        assert!(r.is_err());
    }

    #[test]
    fn absurd_record_length_is_a_warning() {
        let mut bytes = pcap(false, false, &[(1, 0, b"abcd")]);
        bytes.extend(1u32.to_le_bytes());
        bytes.extend(0u32.to_le_bytes());
        bytes.extend(0xffff_fff0u32.to_le_bytes());
        bytes.extend(0xffff_fff0u32.to_le_bytes());
        bytes.extend([0u8; 64]);
        let (r, c) = run(bytes);
        assert_eq!(r.unwrap().frames, 1);
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.warnings[0].offset, Some(44));
    }

    #[test]
    fn pcapng_timestamps_follow_each_interface() {
        fn block(kind: u32, body: &[u8]) -> Vec<u8> {
            let len = (12 + body.len()).div_ceil(4) * 4;
            let mut b = Vec::new();
            b.extend(kind.to_le_bytes());
            b.extend((len as u32).to_le_bytes());
            b.extend_from_slice(body);
            b.resize(len - 4, 0);
            b.extend((len as u32).to_le_bytes());
            b
        }
        let mut shb = Vec::new();
        shb.extend(0x1a2b_3c4du32.to_le_bytes());
        shb.extend(1u16.to_le_bytes());
        shb.extend(0u16.to_le_bytes());
        shb.extend((-1i64).to_le_bytes());
        let idb = |link: u16, tsresol: Option<u8>| {
            let mut b = Vec::new();
            b.extend(link.to_le_bytes());
            b.extend(0u16.to_le_bytes());
            b.extend(0u32.to_le_bytes());
            if let Some(r) = tsresol {
                b.extend(9u16.to_le_bytes());
                b.extend(1u16.to_le_bytes());
                b.extend([r, 0, 0, 0]);
                b.extend([0u8; 4]);
            }
            b
        };
        let epb = |iface: u32, ts: u64, data: &[u8]| {
            let mut b = Vec::new();
            b.extend(iface.to_le_bytes());
            b.extend(((ts >> 32) as u32).to_le_bytes());
            b.extend((ts as u32).to_le_bytes());
            b.extend((data.len() as u32).to_le_bytes());
            b.extend((data.len() as u32).to_le_bytes());
            b.extend_from_slice(data);
            while b.len() % 4 != 0 {
                b.push(0);
            }
            b
        };
        let mut f = block(0x0a0d_0d0a, &shb);
        f.extend(block(1, &idb(1, None)));
        f.extend(block(1, &idb(113, Some(9))));
        f.extend(block(6, &epb(0, 1_500_000, b"xyz")));
        f.extend(block(6, &epb(1, 2_000_000_001, b"abcdef")));
        f.extend(block(6, &epb(7, 1, b"orphan")));
        let (r, c) = run(f);
        let s = r.unwrap();
        assert_eq!(s.frames, 3);
        assert_eq!(s.damaged, 1);
        assert_eq!(c.frames[0], (1, 1_500_000_000, 1, 3));
        assert_eq!(c.frames[1], (2, 2_000_000_001, 113, 6));
        assert_eq!(c.warnings.len(), 1);
    }
}
