//! Capture files: pcap (both byte orders, microsecond and nanosecond magics, the "modified"
//! variant) and pcapng (several sections and interfaces, each with its link type and timestamp
//! resolution), optionally gzipped.
//!
//! An uncompressed capture file is mapped into memory ([`map`], [`read_mapped`]) and its
//! records parsed where the page cache holds them, with the pages already read let go as
//! reading passes them. Everything else (gzip, pipes, `--no-mmap`) is read streaming
//! ([`read_packets`]): a bounded buffer refilled from the file, packets parsed in place in it,
//! and only the partial record left at its end moved before the next read. Either way a
//! capture of any size costs the same memory, and both paths share one reading loop. Damage (a cut-off last record, a block whose length makes no sense, a
//! decompression error) is a [`Warning`] naming the file and the byte offset of the record, and
//! every packet read before it is kept. Offsets of a gzipped capture are offsets in its
//! decompressed content.

use flate2::read::MultiGzDecoder;
use pcap_parser::nom;
use pcap_parser::pcap::{
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
    LegacyPcapBlock, PcapHeader,
};
use pcap_parser::pcapng::{parse_block_be, parse_block_le, parse_sectionheaderblock, Block};
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

/// Maps an uncompressed capture file into memory for [`read_slice`]. `None` when it cannot
/// be (not a regular file, empty, or the mapping fails): the caller reads it with [`open`].
pub fn map(file: &InputFile) -> Option<memmap2::Mmap> {
    let f = File::open(&file.path).ok()?;
    let meta = f.metadata().ok()?;
    if !meta.is_file() || meta.len() == 0 {
        return None;
    }
    // SAFETY: the mapping is read-only and private to this process, and is only read as
    // bytes. Another process truncating the file while it is mapped makes reading the lost
    // pages raise SIGBUS (as for every reader of mapped files, ripgrep among them);
    // `ReadOptions::mmap` turns mapping off for captures that may be truncated under us.
    let map = unsafe { memmap2::Mmap::map(&f) }.ok()?;
    // Records are read once, front to back: ask for aggressive readahead.
    let _ = map.advise(memmap2::Advice::Sequential);
    Some(map)
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
    let kind = magic(&head).ok_or_else(|| not_a_capture(source))?;
    let chained = FullRead {
        inner: io::Cursor::new(head).chain(first),
        pending: None,
        last_error: last_error.clone(),
    };
    let reader: Box<dyn PcapReaderIterator + '_> = match kind {
        Kind::Legacy => {
            Box::new(LegacyPcapReader::new(BUFFER, chained).map_err(|e| bad_header(source, &e))?)
        }
        Kind::Ng => {
            Box::new(PcapNGReader::new(BUFFER, chained).map_err(|e| bad_header(source, &e))?)
        }
    };
    read_blocks(reader, &kind, source, sink, &last_error)
}

/// [`read_packets`] over a capture already in memory: records are parsed where they lie,
/// with no copy into a read buffer.
pub fn read_slice(
    data: &[u8],
    source: &Arc<str>,
    sink: &mut dyn PacketSink,
) -> Result<CaptureSummary, IngestError> {
    read_in_memory(data, None, source, sink)
}

/// [`read_slice`] over a file [`map`]ped into memory, whose pages are let go as reading
/// passes them: the process's resident memory stays bounded, whatever the capture's size.
pub fn read_mapped(
    map: &memmap2::Mmap,
    source: &Arc<str>,
    sink: &mut dyn PacketSink,
) -> Result<CaptureSummary, IngestError> {
    read_in_memory(map, Some(map), source, sink)
}

fn read_in_memory(
    data: &[u8],
    map: Option<&memmap2::Mmap>,
    source: &Arc<str>,
    sink: &mut dyn PacketSink,
) -> Result<CaptureSummary, IngestError> {
    let kind = magic(data).ok_or_else(|| not_a_capture(source))?;
    let mut reader = Slice::new(data, &kind).map_err(|e| bad_header(source, &e))?;
    reader.map = map;
    read_blocks(
        Box::new(reader),
        &kind,
        source,
        sink,
        &Rc::new(RefCell::new(None)),
    )
}

fn not_a_capture(source: &Arc<str>) -> IngestError {
    IngestError::Corrupt {
        path: source.clone(),
        offset: Some(0),
        message: "not a pcap or pcapng capture (unknown magic)".into(),
    }
}

fn bad_header(source: &Arc<str>, e: &PcapError<&[u8]>) -> IngestError {
    IngestError::Corrupt {
        path: source.clone(),
        offset: Some(0),
        message: format!("unreadable capture header: {}", describe(e)),
    }
}

/// The reading loop shared by streams and slices: blocks to packets and warnings.
fn read_blocks(
    mut reader: Box<dyn PcapReaderIterator + '_>,
    kind: &Kind,
    source: &Arc<str>,
    sink: &mut dyn PacketSink,
    last_error: &Rc<RefCell<Option<String>>>,
) -> Result<CaptureSummary, IngestError> {
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

type LegacyParse = fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

/// A whole capture in memory, read through the same interface as the streaming readers.
/// It is always exhausted: a record cut off by the end of the data is the end of the file
/// (`UnexpectedEof`), never a request to refill.
struct Slice<'a> {
    data: &'a [u8],
    pos: usize,
    format: SliceFormat,
    /// The mapping `data` is, when it is one: pages before `released` have been let go.
    map: Option<&'a memmap2::Mmap>,
    released: usize,
}

/// Mapped pages are let go in steps of this many bytes.
const RELEASE_STEP: usize = 8 << 20;

enum SliceFormat {
    Legacy {
        header: PcapHeader,
        parse: LegacyParse,
    },
    /// pcapng: the byte order of the current section.
    Ng { big_endian: bool },
}

impl<'a> Slice<'a> {
    fn new(data: &'a [u8], kind: &Kind) -> Result<Slice<'a>, PcapError<&'a [u8]>> {
        let incomplete = |e: nom::Err<PcapError<&'a [u8]>>| match e {
            nom::Err::Error(e) | nom::Err::Failure(e) => e,
            nom::Err::Incomplete(_) => PcapError::Incomplete(0),
        };
        let format = match kind {
            Kind::Legacy => {
                let (_, header) = parse_pcap_header(data).map_err(incomplete)?;
                // As `LegacyPcapReader` chooses its record parser.
                let parse: LegacyParse = if header.is_modified_format() {
                    parse_pcap_frame_modified
                } else if header.is_bigendian() {
                    parse_pcap_frame_be
                } else {
                    parse_pcap_frame
                };
                SliceFormat::Legacy { header, parse }
            }
            Kind::Ng => {
                parse_sectionheaderblock(data).map_err(incomplete)?;
                SliceFormat::Ng { big_endian: false }
            }
        };
        Ok(Slice {
            data,
            pos: 0,
            format,
            map: None,
            released: 0,
        })
    }
}

impl PcapReaderIterator for Slice<'_> {
    fn next(&mut self) -> Result<(usize, PcapBlockOwned<'_>), PcapError<&[u8]>> {
        let data = self.data.get(self.pos..).unwrap_or_default();
        let parsed = match &mut self.format {
            SliceFormat::Legacy { header, parse } => {
                if self.pos == 0 {
                    return Ok((header.size(), PcapBlockOwned::from(header.clone())));
                }
                if data.is_empty() {
                    return Err(PcapError::Eof);
                }
                parse(data).map(|(rem, b)| (rem, PcapBlockOwned::from(b)))
            }
            SliceFormat::Ng { big_endian } => {
                if data.is_empty() {
                    return Err(PcapError::Eof);
                }
                let parse = if *big_endian {
                    parse_block_be
                } else {
                    parse_block_le
                };
                parse(data).map(|(rem, b)| {
                    if let Block::SectionHeader(shb) = &b {
                        *big_endian = shb.big_endian();
                    }
                    (rem, PcapBlockOwned::from(b))
                })
            }
        };
        match parsed {
            Ok((rem, block)) => Ok((data.len() - rem.len(), block)),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e),
            Err(nom::Err::Incomplete(_)) => Err(PcapError::UnexpectedEof),
        }
    }
    fn consume(&mut self, offset: usize) {
        self.pos = self.pos.saturating_add(offset).min(self.data.len());
        if let Some(map) = self.map {
            if self.pos - self.released >= RELEASE_STEP {
                // Whole steps only, so the range stays page-aligned.
                let end = self.pos - (self.pos - self.released) % RELEASE_STEP;
                // SAFETY: the mapping is a read-only shared file mapping. MADV_DONTNEED only
                // drops this process's page table entries: a later access reads the same
                // bytes from the page cache or the file again, so no borrowed byte changes.
                // Nothing before `pos` is read again in any case.
                let _ = unsafe {
                    map.unchecked_advise_range(
                        memmap2::UncheckedAdvice::DontNeed,
                        self.released,
                        end - self.released,
                    )
                };
                self.released = end;
            }
        }
    }
    fn consume_noshift(&mut self, offset: usize) {
        self.consume(offset);
    }
    fn consumed(&self) -> usize {
        self.pos
    }
    fn refill(&mut self) -> Result<(), PcapError<&[u8]>> {
        Ok(())
    }
    fn position(&self) -> usize {
        self.pos
    }
    fn grow(&mut self, _new_size: usize) -> bool {
        false
    }
    fn data(&self) -> &[u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }
    fn reader_exhausted(&self) -> bool {
        true
    }
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

    /// Reads `bytes` as a stream and as a slice; both must see the same packets, the same
    /// damage at the same offsets and the same outcome. Returns the stream's.
    fn run(bytes: Vec<u8>) -> (Result<CaptureSummary, IngestError>, Collect) {
        let src: Arc<str> = Arc::from("t.pcap");
        let mut mapped = Collect::default();
        let from_slice = read_slice(&bytes, &src, &mut mapped);
        let mut c = Collect::default();
        let r = read_packets(Box::new(io::Cursor::new(bytes)), &src, &mut c);
        assert_eq!(mapped.frames, c.frames);
        let offsets = |c: &Collect| c.warnings.iter().map(|w| w.offset).collect::<Vec<_>>();
        assert_eq!(offsets(&mapped), offsets(&c), "{:?}", mapped.warnings);
        match (&from_slice, &r) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            other => panic!("slice and stream disagree: {other:?}"),
        }
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
