//! EVTX reader.
//!
//! Performance is the point of this file: a domain controller's Security log holds millions of
//! records, and most of them (5156 firewall, 4703 token rights, 4658 handle closed…) mean
//! nothing to identity detection. So the work is done where the `evtx` crate does its own, on
//! its worker threads, inside the [`EvtxParser::serialized_records`] closure: each record is
//! rendered to JSON bytes, its event id, channel and provider are picked out of those bytes
//! with `memchr` (no JSON parse), and only records some mapper handles are parsed (into a
//! [`WinEvent`], through a small borrowing serde visitor rather than `serde_json::Value`) and
//! mapped. The consumer thread only batches events for the sink.
//!
//! Damage is reported, never fatal: a chunk that cannot be read, a record that cannot be parsed,
//! a chunk whose CRC32 does not match, all become [`Warning`]s naming the file, the chunk, its
//! offset and the record id where known, and reading goes on. Checksums are *not* validated
//! by the parser (`validate_checksums(false)`): with validation on, `evtx` drops a whole chunk
//! whose CRC32 does not match, yet such chunks are usually intact (logs copied while open,
//! recovered from shadow copies, or written by tools that leave the CRC out, like
//! `oev__Application_no_crc32.evtx`); their records are parsed individually and a record that
//! really is damaged fails on its own. We check the CRC32 ourselves and warn instead.
//!
//! An event's time is its `System/TimeCreated`, the record header's time when that is missing:
//! the two can differ by seconds, and JSON shippers carry `TimeCreated`, so this keeps EVTX and
//! JSON copies of one log on the same clock (`tests/formats_agree.rs`). Evidence names the
//! record by its `System/EventRecordID` (an exported log renumbers its headers from 1).
//!
//! A panic inside the parser (a bug on a malformed file) is caught and becomes an
//! [`IngestError::Panic`] for that file, after the events read before it are delivered, so
//! that one bad file never ends a scan.

use crate::discover::InputFile;
use crate::error::{IngestError, Warning};
use crate::mappers;
use crate::winevent::WinEvent;
use crate::{EventSink, RawSelect, ReadOptions, ReadStats};
use evtx::err::EvtxError;
use evtx::{EvtxChunkHeader, EvtxParser, EvtxRecord, ParserSettings};
use memchr::memmem;
use rampart_core::{IdentityEvent, Timestamp};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

/// Size of the EVTX file header; chunk `n` starts at `FILE_HEADER + n * CHUNK_SIZE`.
pub const FILE_HEADER: u64 = 4096;
pub const CHUNK_SIZE: u64 = 65536;
const CHUNK_HEADER: usize = 512;

/// Events handed to the sink at a time.
const BATCH: usize = 1024;
/// Records between two progress reports.
const PROGRESS_EVERY: u64 = 4096;

/// The byte offset of chunk `n` in the file.
pub fn chunk_offset(n: u64) -> u64 {
    FILE_HEADER + n * CHUNK_SIZE
}

/// What the worker threads make of one record.
enum Rec {
    /// No mapper handles this record's (log, event id).
    Unknown,
    /// Mapped (possibly to nothing: handled, but nothing about identities).
    Mapped(Vec<IdentityEvent>),
    /// A record kept raw ([`ReadOptions::raw`]): what it mapped to (`None`: no mapper handles
    /// it), and its raw-record event.
    Kept {
        mapped: Option<Vec<IdentityEvent>>,
        raw: Box<IdentityEvent>,
    },
    /// A record a mapper would handle but whose JSON could not be read.
    Bad(String),
}

struct RecordOut {
    record_id: u64,
    rec: Rec,
    /// Set on the first record of a chunk whose CRC32 does not match.
    chunk_warning: Option<String>,
}

/// Reads one EVTX file (plain or gzipped) into `sink`.
pub fn read(
    file: &InputFile,
    opts: &ReadOptions,
    sink: &mut dyn EventSink,
) -> Result<ReadStats, IngestError> {
    let corrupt = |e: EvtxError| IngestError::Corrupt {
        path: file.display.clone(),
        offset: Some(0),
        message: format!("not a readable EVTX file: {}", error_chain(&e)),
    };
    let mut stats = ReadStats {
        bytes: file.size,
        ..ReadStats::default()
    };
    let mut chunks = ChunkIndex::default();
    if file.compressed {
        let data = crate::json::gunzip_all(file)?;
        let mut parser = guard(file, || EvtxParser::from_buffer(data))?
            .map_err(corrupt)?
            .with_configuration(settings(opts));
        drain(&mut parser, file, opts, sink, &mut stats, &mut chunks)?;
    } else {
        let mut parser = guard(file, || EvtxParser::from_path(&file.path))?
            .map_err(|e| match e {
                EvtxError::InputError(evtx::err::InputError::FailedToOpenFile {
                    source, ..
                }) => IngestError::io(&file.display, source),
                e => corrupt(e),
            })?
            .with_configuration(settings(opts));
        drain(&mut parser, file, opts, sink, &mut stats, &mut chunks)?;
    }
    Ok(stats)
}

/// Runs a call into the `evtx` crate, turning a panic (a parser bug on a malformed file; panics
/// on its worker threads are re-raised on this one) into an error for this file. Only calls
/// into the parser are guarded, so that a panic in the caller's sink is not mistaken for one.
fn guard<T>(file: &InputFile, f: impl FnOnce() -> T) -> Result<T, IngestError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_string());
        IngestError::Panic {
            path: file.display.clone(),
            message,
        }
    })
}

fn settings(opts: &ReadOptions) -> ParserSettings {
    ParserSettings::new()
        .num_threads(opts.threads.max(1))
        .validate_checksums(false)
        .indent(false)
        .separate_json_attributes(false)
}

fn drain<T: Read + Seek>(
    parser: &mut EvtxParser<T>,
    file: &InputFile,
    opts: &ReadOptions,
    sink: &mut dyn EventSink,
    stats: &mut ReadStats,
    chunks: &mut ChunkIndex,
) -> Result<(), IngestError> {
    let source = file.display.clone();
    let worker_source = source.clone();
    let raw = opts.raw.clone().filter(|r| !r.is_empty());
    let mut records =
        parser.serialized_records(move |record| process(record, &worker_source, raw.as_deref()));
    // Grown as events come rather than reserved: most records map to nothing, many files
    // hold a few events, and a batch is freed on the engine's thread, so a full reservation
    // per file is fresh memory the allocator must fault in and zero every time.
    let mut batch: Vec<IdentityEvent> = Vec::new();
    let mut seen: u64 = 0;
    let mut no_magic = NoMagicRun::default();
    loop {
        let item = match guard(file, || records.next()) {
            Ok(Some(item)) => item,
            Ok(None) => break,
            Err(panic) => {
                // What was read before stays delivered; the rest of the file is lost.
                no_magic.flush(&source, sink);
                if !batch.is_empty() {
                    sink.events(batch);
                }
                return Err(panic);
            }
        };
        seen += 1;
        if let Err(EvtxError::FailedToParseChunk {
            chunk_id,
            source: cause,
        }) = &item
        {
            if is_bad_magic(cause) {
                stats.skipped += 1;
                no_magic.add(*chunk_id, &error_chain(cause.as_ref()), &source, sink);
                continue;
            }
        }
        no_magic.flush(&source, sink);
        match item {
            Ok(out) => {
                if let Some(msg) = out.chunk_warning {
                    let chunk = chunks.chunk_of(file, out.record_id);
                    sink.warning(Warning {
                        offset: chunk.map(chunk_offset),
                        chunk,
                        ..Warning::file(&source, msg)
                    });
                }
                match out.rec {
                    Rec::Unknown => {
                        stats.records += 1;
                        stats.unknown += 1;
                    }
                    Rec::Mapped(events) => {
                        stats.records += 1;
                        stats.events += events.len() as u64;
                        batch.extend(events);
                        if batch.len() >= BATCH && !sink.events(std::mem::take(&mut batch)) {
                            return Ok(());
                        }
                    }
                    Rec::Kept { mapped, raw } => {
                        stats.records += 1;
                        stats.raw += 1;
                        match mapped {
                            Some(events) => {
                                stats.events += events.len() as u64;
                                batch.extend(events);
                            }
                            None => stats.unknown += 1,
                        }
                        batch.push(*raw);
                        if batch.len() >= BATCH && !sink.events(std::mem::take(&mut batch)) {
                            return Ok(());
                        }
                    }
                    Rec::Bad(msg) => {
                        stats.skipped += 1;
                        let chunk = chunks.chunk_of(file, out.record_id);
                        sink.warning(Warning {
                            offset: chunk.map(chunk_offset),
                            chunk,
                            record: Some(out.record_id),
                            ..Warning::file(&source, msg)
                        });
                    }
                }
            }
            Err(e) => {
                stats.skipped += 1;
                sink.warning(warning_of(&e, &source, file, chunks));
            }
        }
        if seen % PROGRESS_EVERY == 0 {
            sink.progress(stats.records);
        }
    }
    no_magic.flush(&source, sink);
    if !batch.is_empty() {
        sink.events(batch);
    }
    sink.progress(stats.records);
    Ok(())
}

fn is_bad_magic(e: &evtx::err::ChunkError) -> bool {
    matches!(
        e,
        evtx::err::ChunkError::FailedToParseChunkHeader(
            evtx::err::DeserializationError::InvalidEvtxChunkMagic { .. }
        )
    )
}

/// Consecutive chunks without a chunk header, reported as one warning. Logs are often followed
/// by slack (space allocated but never written, or stale disk content) that is not a chunk;
/// one warning per 64 KiB of it would bury the warnings that matter.
#[derive(Default)]
struct NoMagicRun {
    run: Option<(u64, u64, String)>,
}

impl NoMagicRun {
    fn add(&mut self, chunk: u64, message: &str, source: &Arc<str>, sink: &mut dyn EventSink) {
        match &mut self.run {
            Some((_, last, _)) if *last + 1 == chunk => *last = chunk,
            _ => {
                self.flush(source, sink);
                self.run = Some((chunk, chunk, message.to_string()));
            }
        }
    }

    fn flush(&mut self, source: &Arc<str>, sink: &mut dyn EventSink) {
        let Some((first, last, message)) = self.run.take() else {
            return;
        };
        let message = if first == last {
            format!("{message}; chunk skipped")
        } else {
            format!(
                "chunks {first}-{last} (to offset {:#x}) have no chunk header ({message}); {} chunks skipped",
                chunk_offset(last + 1),
                last - first + 1
            )
        };
        sink.warning(Warning {
            offset: Some(chunk_offset(first)),
            chunk: Some(first),
            ..Warning::file(source, message)
        });
    }
}

/// Runs on the parser's worker threads, once per record.
fn process(
    record: evtx::err::Result<EvtxRecord<'_>>,
    source: &Arc<str>,
    raw: Option<&RawSelect>,
) -> evtx::err::Result<RecordOut> {
    let record = record?;
    let record_id = record.event_record_id;
    let header_time = jiff_to_chrono(record.timestamp);
    let chunk_warning = chunk_checksum_warning(&record);
    let rendered = record.into_json_bytes()?;
    let rec = map_record(&rendered.data, record_id, header_time, source, raw);
    Ok(RecordOut {
        record_id,
        rec,
        chunk_warning,
    })
}

/// The CRC32 check `validate_checksums` would do, done once per chunk (on its first record) so
/// that a mismatch is a warning instead of a lost chunk.
fn chunk_checksum_warning(record: &EvtxRecord<'_>) -> Option<String> {
    let chunk = record.chunk;
    let header = chunk.header;
    if record.event_record_id != header.first_event_record_id
        || header.flags.contains(evtx::ChunkFlags::NO_CRC32)
    {
        return None;
    }
    let data = chunk.data;
    let header_crc = {
        let (a, b) = (data.get(..120)?, data.get(128..CHUNK_HEADER)?);
        let mut both = Vec::with_capacity(a.len() + b.len());
        both.extend_from_slice(a);
        both.extend_from_slice(b);
        evtx::checksum_ieee(&both)
    };
    if header_crc != header.header_chunk_checksum {
        return Some(format!(
            "chunk header CRC32 mismatch (stored {:#010x}, computed {header_crc:#010x}); records read anyway",
            header.header_chunk_checksum
        ));
    }
    let records = data.get(CHUNK_HEADER..header.free_space_offset as usize)?;
    let crc = evtx::checksum_ieee(records);
    (crc != header.events_checksum).then(|| {
        format!(
            "chunk records CRC32 mismatch (stored {:#010x}, computed {crc:#010x}); records read anyway",
            header.events_checksum
        )
    })
}

fn jiff_to_chrono(ts: evtx::Timestamp) -> Option<Timestamp> {
    let ns = ts.as_nanosecond();
    let secs = i64::try_from(ns.div_euclid(1_000_000_000)).ok()?;
    let nanos = u32::try_from(ns.rem_euclid(1_000_000_000)).ok()?;
    chrono::DateTime::from_timestamp(secs, nanos)
}

/// Earliest plausible event time; a record header older than this carries no real time
/// (a zeroed FILETIME is 1601).
const PLAUSIBLE_SINCE_SECS: i64 = 315_532_800; // 1980-01-01

/// Byte patterns the scanner looks for, searchers built once.
struct Needles {
    event_id: memmem::Finder<'static>,
    provider: memmem::Finder<'static>,
    name: memmem::Finder<'static>,
    channel: memmem::Finder<'static>,
    computer: memmem::Finder<'static>,
    user_id: memmem::Finder<'static>,
    system_time: memmem::Finder<'static>,
    record_id: memmem::Finder<'static>,
    text: memmem::Finder<'static>,
    /// The common end of the `EventData`, `UserData` and `ProcessingErrorData` keys.
    data_tail: memmem::Finder<'static>,
    object_type_process: memmem::Finder<'static>,
}

static NEEDLES: std::sync::LazyLock<Needles> = std::sync::LazyLock::new(|| Needles {
    event_id: memmem::Finder::new(b"\"EventID\":"),
    provider: memmem::Finder::new(b"\"Provider\":"),
    name: memmem::Finder::new(b"\"Name\":"),
    channel: memmem::Finder::new(b"\"Channel\":"),
    computer: memmem::Finder::new(b"\"Computer\":"),
    user_id: memmem::Finder::new(b"\"UserID\":"),
    system_time: memmem::Finder::new(b"\"SystemTime\":"),
    record_id: memmem::Finder::new(b"\"EventRecordID\":"),
    text: memmem::Finder::new(b"\"#text\":"),
    data_tail: memmem::Finder::new(b"Data\":"),
    object_type_process: memmem::Finder::new(b"\"ObjectType\":\"Process\""),
});

/// Turns one rendered record into events.
///
/// `evtx` renders `{"Event":{"#attributes":…,"System":{…},"EventData"|"UserData":{…}}}` with
/// `System` first. The system fields are picked out of the bytes (no JSON parse: a quote
/// inside a JSON string is always escaped, so a key pattern like `"Channel":` cannot match
/// inside a value), and only the data object of a record a mapper handles (or `raw` selects)
/// is parsed.
fn map_record(
    json: &[u8],
    record_id: u64,
    header_time: Option<Timestamp>,
    source: &Arc<str>,
    raw: Option<&RawSelect>,
) -> Rec {
    let Some(head) = scan_header(json) else {
        return Rec::Unknown;
    };
    let keep = RawSelect::wanted(raw, head.channel, head.event_id);
    if !keep && !mappers::is_interesting_record(head.event_id, head.channel, head.provider) {
        return Rec::Unknown;
    }
    // Handle requests for files and keys are the bulk of 4656/4663 and map to nothing
    // (see `mappers::object_access`): no need to parse them to know it.
    if !keep
        && matches!(head.event_id, 4656 | 4663)
        && NEEDLES.object_type_process.find(json).is_none()
    {
        return Rec::Mapped(Vec::new());
    }
    let sys = scan_system(json, head.after_id);
    // `TimeCreated` is when the event happened, the header's time when it was written; they
    // can differ by seconds (a 104 in dbc__disablestop-eventlog.evtx: 7 s). Shippers carry
    // `TimeCreated`, so using it keeps EVTX and JSON copies of a log on the same clock.
    let time = parse_time(&json_string(sys.system_time))
        .or(header_time.filter(|t| t.timestamp() >= PLAUSIBLE_SINCE_SECS))
        .or(header_time);
    let Some(time) = time else {
        return Rec::Bad("record has no usable timestamp".to_string());
    };
    let mut data = Vec::with_capacity(24);
    if let Some(at) = sys.data_at {
        let mut de = serde_json::Deserializer::from_slice(&json[at..]);
        let seed = Flatten {
            out: &mut data,
            key: None,
        };
        if let Err(e) = seed.deserialize(&mut de) {
            return Rec::Bad(format!("record data unreadable: {e}"));
        }
    }
    if !sys.user_id.is_empty() && !data.iter().any(|(k, _)| k == "UserID") {
        data.push((
            Cow::Borrowed("UserID"),
            Cow::Owned(json_string(sys.user_id)),
        ));
    }
    let ev = WinEvent {
        event_id: head.event_id,
        provider: json_string(head.provider),
        channel: json_string(head.channel),
        computer: json_string(sys.computer),
        time,
        record_id: sys.record_id.unwrap_or(record_id),
        data,
    };
    let mapped = mappers::map(&ev, source);
    if keep {
        return Rec::Kept {
            mapped,
            raw: Box::new(ev.into_raw_event(source)),
        };
    }
    match mapped {
        Some(events) => Rec::Mapped(events),
        None => Rec::Unknown,
    }
}

fn parse_time(s: &str) -> Option<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// What the pre-filter reads from a rendered record without parsing it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Head<'a> {
    pub event_id: u32,
    /// The raw bytes of the channel and provider strings (JSON escapes not undone).
    pub channel: &'a [u8],
    pub provider: &'a [u8],
    /// Where the event id's value ends: the system fields after it are searched from there.
    pub after_id: usize,
}

/// Picks the event id, channel and provider name out of the JSON `evtx` renders:
/// `{"Event":{…,"System":{"Provider":{"#attributes":{"Name":"…"}},"EventID":4624 | {"#attributes":…,"#text":7045},…,"Channel":"Security",…`.
/// `None` when there is no event id. The first occurrences are the `System` ones: `System`
/// comes before `EventData`/`UserData` in every record.
pub(crate) fn scan_header(json: &[u8]) -> Option<Head<'_>> {
    let n = &*NEEDLES;
    let id_at = n.event_id.find(json)? + n.event_id.needle().len();
    let event_id = scan_event_id(&json[id_at..])?;
    let provider = n
        .provider
        .find(&json[..id_at])
        .and_then(|p| {
            let from = p + n.provider.needle().len();
            // The name is in the provider's attributes, a few bytes on.
            let window = &json[from..id_at];
            n.name
                .find(window)
                .map(|at| string_at(&window[at + n.name.needle().len()..]))
        })
        .unwrap_or_default();
    let channel = n
        .channel
        .find(&json[id_at..])
        .map(|c| string_at(&json[id_at + c + n.channel.needle().len()..]))
        .unwrap_or_default();
    Some(Head {
        event_id,
        channel,
        provider,
        after_id: id_at,
    })
}

/// The system fields a [`WinEvent`] needs beyond [`Head`], and where the data object starts.
#[derive(Debug, Default)]
struct SystemScan<'a> {
    computer: &'a [u8],
    user_id: &'a [u8],
    system_time: &'a [u8],
    /// `EventRecordID`: the id Windows gave the record. An exported or filtered log renumbers
    /// its record headers from 1 but keeps this one.
    record_id: Option<u64>,
    /// Offset of the value of `EventData`, `UserData` or `ProcessingErrorData`.
    data_at: Option<usize>,
}

fn scan_system(json: &[u8], from: usize) -> SystemScan<'_> {
    let n = &*NEEDLES;
    let rest = &json[from..];
    let data = data_key(rest);
    let system = &rest[..data.map_or(rest.len(), |(key, _)| key)];
    let field = |f: &memmem::Finder<'static>| {
        f.find(system)
            .map(|at| string_at(&system[at + f.needle().len()..]))
            .unwrap_or_default()
    };
    SystemScan {
        computer: field(&n.computer),
        user_id: field(&n.user_id),
        system_time: field(&n.system_time),
        record_id: n.record_id.find(system).and_then(|at| {
            let v = trim_start(&system[at + n.record_id.needle().len()..]);
            let v = v.strip_prefix(b"\"").unwrap_or(v);
            let len = v.iter().take_while(|b| b.is_ascii_digit()).count();
            std::str::from_utf8(&v[..len]).ok()?.parse().ok()
        }),
        data_at: data.map(|(_, value)| from + value),
    }
}

/// Where the first `"EventData":`, `"UserData":` or `"ProcessingErrorData":` key of `s`
/// starts and where its value starts: one pass for the common `Data":` tail (a key pattern
/// cannot match inside a value, whose quotes are escaped).
fn data_key(s: &[u8]) -> Option<(usize, usize)> {
    let tail = NEEDLES.data_tail.needle().len();
    let mut from = 0;
    while let Some(at) = NEEDLES.data_tail.find(&s[from..]) {
        let end = from + at + tail;
        let head = &s[..from + at];
        for key in [&b"\"Event"[..], b"\"User", b"\"ProcessingError"] {
            if head.ends_with(key) {
                return Some((head.len() - key.len(), end));
            }
        }
        from = end;
    }
    None
}

/// The event id at the start of `s`: `4624`, `"4624"` or `{"#attributes":{…},"#text":7045}`.
fn scan_event_id(s: &[u8]) -> Option<u32> {
    let s = trim_start(s);
    match s.first()? {
        b'{' => {
            let t = NEEDLES.text.find(s)?;
            scan_event_id(&s[t + NEEDLES.text.needle().len()..])
        }
        b'"' => digits(&s[1..]),
        _ => digits(s),
    }
}

fn digits(s: &[u8]) -> Option<u32> {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if n == 0 || n > 9 {
        return None;
    }
    let mut v: u32 = 0;
    for b in &s[..n] {
        v = v * 10 + u32::from(b - b'0');
    }
    Some(v)
}

fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &s[n..]
}

/// The raw bytes of the JSON string starting `s` (after optional white space), escapes not
/// undone; empty when it is not a string (`null`).
fn string_at(s: &[u8]) -> &[u8] {
    let s = trim_start(s);
    let Some(rest) = s.strip_prefix(b"\"") else {
        return &[];
    };
    let mut i = 0;
    while let Some(j) = memchr::memchr2(b'"', b'\\', &rest[i..]) {
        let k = i + j;
        if rest[k] == b'"' {
            return &rest[..k];
        }
        i = k + 2; // skip the escaped character
        if i >= rest.len() {
            break;
        }
    }
    rest
}

/// The text of raw JSON string bytes, escapes undone.
fn json_string(raw: &[u8]) -> String {
    if !raw.contains(&b'\\') {
        return String::from_utf8_lossy(raw).into_owned();
    }
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice(&quoted).unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned())
}

/// Converts an `evtx` error into a warning naming where it happened.
fn warning_of(
    e: &EvtxError,
    source: &Arc<str>,
    file: &InputFile,
    chunks: &mut ChunkIndex,
) -> Warning {
    let message = error_chain(e);
    match e {
        EvtxError::FailedToParseChunk { chunk_id, .. } => Warning {
            offset: Some(chunk_offset(*chunk_id)),
            chunk: Some(*chunk_id),
            ..Warning::file(source, format!("{message}; chunk skipped"))
        },
        EvtxError::FailedToReadRecordAt { chunk, offset, .. } => Warning {
            offset: Some(chunk.map_or(*offset, |c| chunk_offset(c) + offset)),
            chunk: *chunk,
            ..Warning::file(source, format!("{message}; record skipped"))
        },
        EvtxError::FailedToParseRecord { record_id, .. } => {
            let chunk = chunks.chunk_of(file, *record_id);
            Warning {
                offset: chunk.map(chunk_offset),
                chunk,
                record: Some(*record_id),
                ..Warning::file(source, format!("{message}; record skipped"))
            }
        }
        _ => Warning::file(source, message),
    }
}

/// An error with its causes: `evtx`'s top-level messages ("Failed to parse chunk number 3")
/// say where, their sources say what.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// The record-id range of each chunk, read from the chunk headers on first need (errors are
/// rare, and only errors need to know which chunk a record id is in).
#[derive(Default)]
struct ChunkIndex {
    ranges: Option<Vec<(u64, u64)>>,
}

impl ChunkIndex {
    fn chunk_of(&mut self, file: &InputFile, record_id: u64) -> Option<u64> {
        let ranges = self.ranges.get_or_insert_with(|| read_chunk_ranges(file));
        ranges
            .iter()
            .position(|(first, last)| (*first..=*last).contains(&record_id))
            .map(|n| n as u64)
    }
}

fn read_chunk_ranges(file: &InputFile) -> Vec<(u64, u64)> {
    let ranges = if file.compressed {
        crate::json::gunzip_all(file)
            .ok()
            .map(|data| ranges_from(&mut std::io::Cursor::new(data)))
    } else {
        std::fs::File::open(&file.path)
            .ok()
            .map(|mut f| ranges_from(&mut f))
    };
    ranges.unwrap_or_default()
}

fn ranges_from<R: Read + Seek>(r: &mut R) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut header = [0u8; CHUNK_HEADER];
    for n in 0.. {
        if r.seek(SeekFrom::Start(chunk_offset(n))).is_err() || r.read_exact(&mut header).is_err() {
            break;
        }
        // A damaged header keeps its slot (an empty range) so later chunks keep their numbers.
        out.push(match EvtxChunkHeader::from_bytes(&header) {
            Ok(h) => (h.first_event_record_id, h.last_event_record_id),
            Err(_) => (1, 0),
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Event data, deserialized without building a `serde_json::Value`.

/// A map key, borrowed when it has no escapes.
struct KeyStr<'a>(std::borrow::Cow<'a, str>);

impl KeyStr<'_> {
    fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for KeyStr<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(KeyStr(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(KeyStr(std::borrow::Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// A scalar that may be a number, a string, `null`, or `{"#text": …}`: as a number (when it is
/// one) and as text.
#[derive(Default)]
pub(crate) struct Flex(pub Option<u64>, pub Option<String>);

impl<'de> Deserialize<'de> for Flex {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Flex;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Flex, E> {
                Ok(Flex(Some(v), Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Flex, E> {
                Ok(Flex(u64::try_from(v).ok(), Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Flex, E> {
                Ok(Flex(None, Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flex, E> {
                Ok(Flex(None, Some(v.to_string())))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Flex, E> {
                Ok(Flex(crate::winevent::parse_u64(v), Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Flex, E> {
                Ok(Flex(None, None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Flex, E> {
                Ok(Flex(None, None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Flex, A::Error> {
                let mut out = Flex(None, None);
                while let Some(key) = map.next_key::<KeyStr<'de>>()? {
                    if key.as_str() == "#text" {
                        out = map.next_value()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(out)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Flex, A::Error> {
                let first: Option<Flex> = seq.next_element()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(first.unwrap_or_default())
            }
        }
        d.deserialize_any(V)
    }
}

/// Flattens `EventData`/`UserData` into name/value pairs:
/// - `{"TargetUserName": "bob", "LogonType": 3}` → (`TargetUserName`, `bob`), (`LogonType`, `3`);
/// - `UserData`'s wrapper element (`{"LogFileCleared": {…}}`) is looked through;
/// - `{"Data": {"#text": ["a", "b"]}}` (unnamed data) → (`Data`, `a\nb`);
/// - `#attributes` are dropped, `null` values left out.
pub(crate) struct Flatten<'v, 'de> {
    pub out: &'v mut Vec<(Cow<'de, str>, Cow<'de, str>)>,
    pub key: Option<Cow<'de, str>>,
}

impl<'de> Flatten<'_, 'de> {
    fn push(self, value: Cow<'de, str>) {
        let key = self.key.unwrap_or(Cow::Borrowed("Data"));
        self.out.push((key, value));
    }
}

impl<'de> DeserializeSeed<'de> for Flatten<'_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Flatten<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("event data")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.push(Cow::Borrowed(v));
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.push(Cow::Owned(v.to_string()));
        Ok(())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.push(Cow::Owned(v));
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.push(Cow::Owned(v.to_string()));
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.push(Cow::Owned(v.to_string()));
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.push(Cow::Owned(v.to_string()));
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.push(Cow::Borrowed(if v { "true" } else { "false" }));
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut parts = Vec::new();
        while seq
            .next_element_seed(Flatten {
                out: &mut parts,
                key: self.key.clone(),
            })?
            .is_some()
        {}
        if !parts.is_empty() {
            let joined = parts
                .into_iter()
                .map(|(_, v)| v)
                .collect::<Vec<_>>()
                .join("\n");
            self.push(Cow::Owned(joined));
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.out;
        while let Some(key) = map.next_key::<KeyStr<'de>>()? {
            match key.as_str() {
                "#attributes" => {
                    map.next_value::<IgnoredAny>()?;
                }
                "#text" => map.next_value_seed(Flatten {
                    out: &mut *out,
                    key: self.key.clone(),
                })?,
                _ => map.next_value_seed(Flatten {
                    out: &mut *out,
                    key: Some(key.0),
                })?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REC_4662: &str = r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing","Guid":"{54849625-5478-4994-a5ba-3e3b0328c30d}"}},"EventID":4662,"Version":0,"Level":0,"Task":14080,"Opcode":0,"Keywords":"0x8020000000000000","TimeCreated":{"#attributes":{"SystemTime":"2019-05-08T02:10:43.4872170Z"}},"EventRecordID":202791,"Correlation":null,"Execution":{"#attributes":{"ProcessID":444,"ThreadID":4632}},"Channel":"Security","Computer":"DC1.insecurebank.local","Security":null},"EventData":{"SubjectUserSid":"S-1-5-21-738609754-2819869699-4189121830-500","SubjectUserName":"Administrator","SubjectDomainName":"insecurebank","SubjectLogonId":"0x40c6511","ObjectServer":"DS","ObjectType":"%{19195a5b-6da0-11d0-afd3-00c04fd930c9}","ObjectName":"%{c6faf700-bfe4-452a-a766-424f84c29583}","OperationType":"Object Access","HandleId":"0x0","AccessList":"%%7688\r\n\t\t\t\t","AccessMask":"0x100","Properties":"%%7688\r\n\t\t{1131f6ad-9c07-11d1-f79f-00c04fc2dcd2}\r\n\t{19195a5b-6da0-11d0-afd3-00c04fd930c9}\r\n","AdditionalInfo":"-","AdditionalInfo2":""}}}"##;

    const REC_104: &str = r##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Eventlog","Guid":"{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}"}},"EventID":104,"Version":0,"TimeCreated":{"#attributes":{"SystemTime":"2019-04-27T21:04:25.7334012Z"}},"EventRecordID":9252,"Channel":"System","Computer":"DESKTOP-JR78RLP","Security":{"#attributes":{"UserID":"S-1-5-21-979008924-657238111-836329461-1002"}}},"UserData":{"LogFileCleared":{"#attributes":{"xmlns":"y"},"SubjectUserName":"jwrig","SubjectDomainName":"DESKTOP-JR78RLP","Channel":"Windows PowerShell","BackupPath":null}}}}"##;

    const REC_7045: &str = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Service Control Manager","Guid":"{555908d1-a6d7-4695-8e1e-26931d2012f4}","EventSourceName":"Service Control Manager"}},"EventID":{"#attributes":{"Qualifiers":16384},"#text":7045},"TimeCreated":{"#attributes":{"SystemTime":"2016-09-20T16:35:46.5908203Z"}},"EventRecordID":8424,"Channel":"System","Computer":"IE10Win7","Security":{"#attributes":{"UserID":"S-1-5-21-3463664321-2923530833-3546627382-1000"}}},"EventData":{"ServiceName":"svc","ImagePath":"cmd.exe","ServiceType":"user mode service","StartType":"demand start","AccountName":"LocalSystem"}}}"##;

    #[test]
    fn parser_panics_become_errors_naming_the_file() {
        let file = InputFile {
            path: "x.evtx".into(),
            display: Arc::from("logs/x.evtx"),
            format: crate::Format::Evtx,
            compressed: false,
            size: 0,
        };
        assert_eq!(guard(&file, || 7).ok(), Some(7));
        let err = guard(&file, || -> u32 { panic!("index out of bounds") }).unwrap_err();
        assert!(
            matches!(&err, IngestError::Panic { message, .. } if message == "index out of bounds")
        );
        assert!(err.to_string().starts_with("logs/x.evtx: "));
    }

    #[test]
    fn scans_header_fields_from_bytes() {
        let h = scan_header(REC_4662.as_bytes()).unwrap();
        assert_eq!(h.event_id, 4662);
        assert_eq!(h.channel, b"Security");
        assert_eq!(h.provider, b"Microsoft-Windows-Security-Auditing");
        let h = scan_header(REC_7045.as_bytes()).unwrap();
        assert_eq!(h.event_id, 7045);
        assert_eq!(h.provider, b"Service Control Manager");
        // The System channel, not UserData's.
        let h = scan_header(REC_104.as_bytes()).unwrap();
        assert_eq!((h.event_id, h.channel), (104, &b"System"[..]));
        assert_eq!(scan_event_id(br##""1","x""##), Some(1));
        assert_eq!(
            scan_event_id(br##"{"#attributes":{"Qualifiers":"16384"},"#text":"1"}"##),
            Some(1)
        );
        assert_eq!(scan_event_id(b"null"), None);
        assert!(scan_header(b"{}").is_none());
        assert!(scan_header(b"\"EventID\":").is_none());
        let h = scan_header(br##"{"EventID":5,"Channel":null}"##).unwrap();
        assert_eq!((h.channel, h.provider), (&b""[..], &b""[..]));
    }

    #[test]
    fn maps_a_rendered_record() {
        let src: Arc<str> = Arc::from("dc.evtx");
        let Rec::Mapped(evs) = map_record(REC_4662.as_bytes(), 1, None, &src, None) else {
            panic!("not mapped")
        };
        assert_eq!(evs.len(), 1);
        let e = &evs[0];
        assert_eq!(e.kind.name(), "directory_replication");
        assert_eq!(e.evidence.record, 202791);
        assert_eq!(e.evidence.event_id, Some(4662));
        assert_eq!(e.observer.as_deref(), Some("DC1.insecurebank.local"));
        assert_eq!(e.time.to_rfc3339(), "2019-05-08T02:10:43.487217+00:00");
    }

    #[test]
    fn selected_records_are_also_kept_raw() {
        let src: Arc<str> = Arc::from("dc.evtx");
        let mut select = RawSelect::default();
        select.add("Security", Some(&[4662]));
        select.add("Application", None);
        let Rec::Kept {
            mapped: Some(evs),
            raw,
        } = map_record(REC_4662.as_bytes(), 1, None, &src, Some(&select))
        else {
            panic!("not kept")
        };
        assert_eq!(evs[0].kind.name(), "directory_replication");
        assert_eq!(raw.evidence, evs[0].evidence);
        let rampart_core::EventKind::RawRecord { record } = &raw.kind else {
            panic!("not raw")
        };
        assert_eq!(
            (record.event_id, record.channel.as_str()),
            (4662, "Security")
        );
        assert_eq!(record.get("AccessMask"), Some("0x100"));
        assert_eq!(record.computer, "DC1.insecurebank.local");
        // A record no mapper handles is kept when selected, and only then.
        let app = REC_4662
            .replace("\"Channel\":\"Security\"", "\"Channel\":\"Application\"")
            .replace("Security-Auditing", "EventSystem");
        assert!(matches!(
            map_record(app.as_bytes(), 1, None, &src, Some(&select)),
            Rec::Kept { mapped: None, .. }
        ));
        assert!(matches!(
            map_record(app.as_bytes(), 1, None, &src, None),
            Rec::Unknown
        ));
    }

    #[test]
    fn file_handles_are_skipped_unparsed() {
        let src: Arc<str> = Arc::from("x");
        let file = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4663,"TimeCreated":{"#attributes":{"SystemTime":"2019-05-08T02:10:43.4872170Z"}},"Channel":"Security"},"EventData":{"ObjectType":"File","ObjectName":"C:\\x","ProcessName":"C:\\p.exe"}}}"##;
        assert!(
            matches!(map_record(file.as_bytes(), 1, None, &src, None), Rec::Mapped(v) if v.is_empty())
        );
        let proc = file.replace("\"File\"", "\"Process\"");
        let Rec::Mapped(v) = map_record(proc.as_bytes(), 1, None, &src, None) else {
            panic!("not mapped")
        };
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind.name(), "process_access");
    }

    /// The data object of a rendered record, flattened.
    fn data_of(json: &str) -> Vec<(String, String)> {
        let head = scan_header(json.as_bytes()).unwrap();
        let sys = scan_system(json.as_bytes(), head.after_id);
        let mut data = Vec::new();
        let mut de = serde_json::Deserializer::from_slice(&json.as_bytes()[sys.data_at.unwrap()..]);
        Flatten {
            out: &mut data,
            key: None,
        }
        .deserialize(&mut de)
        .unwrap();
        data.into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn data_key_finds_the_first_data_object_only_as_a_key() {
        let json = br#"{"System":{"Note":"a \"EventData\": inside","MyEventData":1},"UserData":{"x":1},"EventData":{}}"#;
        let (key, value) = data_key(json).expect("a data key");
        assert_eq!(&json[key..value], br#""UserData":"#);
        assert_eq!(data_key(br#"{"System":{"EventID":1}}"#), None);
        let json = br#"{"ProcessingErrorData":{"ErrorCode":15005}}"#;
        assert_eq!(data_key(json), Some((1, 23)));
    }

    #[test]
    fn flattens_user_data_and_system_user() {
        assert_eq!(
            data_of(REC_104),
            vec![
                ("SubjectUserName".to_string(), "jwrig".to_string()),
                (
                    "SubjectDomainName".to_string(),
                    "DESKTOP-JR78RLP".to_string()
                ),
                ("Channel".to_string(), "Windows PowerShell".to_string()),
            ]
        );
        let head = scan_header(REC_104.as_bytes()).unwrap();
        let sys = scan_system(REC_104.as_bytes(), head.after_id);
        assert_eq!(sys.user_id, b"S-1-5-21-979008924-657238111-836329461-1002");
        assert_eq!(sys.computer, b"DESKTOP-JR78RLP");
        assert_eq!(sys.system_time, b"2019-04-27T21:04:25.7334012Z");
        assert_eq!(sys.record_id, Some(9252));
        let src: Arc<str> = Arc::from("s.evtx");
        let Rec::Mapped(evs) = map_record(REC_7045.as_bytes(), 1, None, &src, None) else {
            panic!("not mapped")
        };
        assert_eq!(evs[0].actor.as_ref().unwrap().rid(), Some(1000));
        assert_eq!(evs[0].observer.as_deref(), Some("IE10Win7"));
        assert_eq!(
            evs[0].time.to_rfc3339(),
            "2016-09-20T16:35:46.590820300+00:00"
        );
    }

    #[test]
    fn flattens_unnamed_data_and_typed_values() {
        let json = r##"{"Event":{"System":{"EventID":1},"EventData":{"#attributes":{"Name":"X"},"Data":{"#text":["a","b"]},"LogonType":3,"Initiated":true,"Binary":null}}}"##;
        assert_eq!(
            data_of(json),
            vec![
                ("Data".to_string(), "a\nb".to_string()),
                ("LogonType".to_string(), "3".to_string()),
                ("Initiated".to_string(), "true".to_string()),
            ]
        );
    }

    #[test]
    fn strings_with_escapes() {
        assert_eq!(string_at(br#""a\"b\\" ,"#), br#"a\"b\\"#);
        assert_eq!(json_string(br#"a\"b\\"#), "a\"b\\");
        assert_eq!(string_at(b"null"), b"");
        assert_eq!(string_at(br#""unterminated\"#), br#"unterminated\"#);
        // A key pattern inside a value is escaped and does not match.
        let json = r##"{"Event":{"System":{"EventID":4624,"Channel":"Security","Computer":"x\"Computer\":y"},"EventData":{"TargetUserName":"\"EventData\":"}}}"##;
        let head = scan_header(json.as_bytes()).unwrap();
        let sys = scan_system(json.as_bytes(), head.after_id);
        assert_eq!(json_string(sys.computer), "x\"Computer\":y");
        assert_eq!(data_of(json)[0].1, "\"EventData\":");
    }

    #[test]
    fn uninteresting_and_broken_records() {
        let src: Arc<str> = Arc::from("x");
        let app = REC_4662
            .replace("\"Channel\":\"Security\"", "\"Channel\":\"Application\"")
            .replace(
                "Microsoft-Windows-Security-Auditing",
                "Microsoft-Windows-EventSystem",
            );
        assert!(matches!(
            map_record(app.as_bytes(), 1, None, &src, None),
            Rec::Unknown
        ));
        let broken = &REC_4662[..REC_4662.len() - 40];
        assert!(matches!(
            map_record(broken.as_bytes(), 1, None, &src, None),
            Rec::Bad(_)
        ));
    }
}
