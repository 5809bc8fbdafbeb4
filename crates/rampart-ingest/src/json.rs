//! JSON reader: one Windows event per line (or a top-level array of them), in the layouts
//! shippers and exports write. The layout is told per line, so concatenated exports work:
//!
//! | layout | event id | channel / provider | computer | data |
//! |--------|----------|--------------------|----------|------|
//! | NXLog / OTRF 2020, flat exports (`Get-WinEvent \| ConvertTo-Json`) | `EventID` or `Id` | `Channel`/`LogName`, `SourceName`/`ProviderName` | `Hostname`/`Computer`/`MachineName` | the top-level fields (and an `EventData` object if any) |
//! | Winlogbeat 6 / OTRF 2019 | `event_id` | `log_name`, `source_name` | `computer_name` | `event_data{}` (and `user_data{}`) |
//! | Winlogbeat 7+ / ECS | `winlog.event_id` | `winlog.channel`, `winlog.provider_name` | `winlog.computer_name` | `winlog.event_data{}` (and `winlog.user_data{}`) |
//! | EVTX as JSON (`evtx_dump -o jsonl`) | `Event.System.EventID` (or its `#text`) | `Event.System.Channel`, `…Provider.#attributes.Name` | `Event.System.Computer` | `Event.EventData{}`/`UserData{}` |
//!
//! Time is NXLog's `EventTime` (local time, its zone told by `@timestamp`), else `@timestamp`
//! (`Event.System.TimeCreated.#attributes.SystemTime` for EVTX as JSON), else `TimeCreated` (ISO 8601, `YYYY-MM-DD HH:MM:SS[.fff]` taken as
//! UTC, or .NET's `/Date(ms)/`), else `EventTime`/`UtcTime`. Numbers may be written as strings.
//!
//! Flat exports must name their data fields. `Get-WinEvent | ConvertTo-Json` as such writes
//! the event data only as a positional `Properties` list, whose names depend on each event's
//! manifest: such records count as unknown, with one warning per file. Export with the fields
//! named (from `$_.ToXml()`), or as EVTX (`wevtutil epl`).
//!
//! Each line is first probed for its event id and log alone (serde skipping the rest); only
//! lines some mapper handles are parsed in full. Evidence is the 1-based line number (element
//! number in an array). A line that is not JSON is a [`Warning`] naming file, line and byte
//! offset, and reading goes on; valid JSON that is not a Windows event counts as unknown.

use crate::discover::InputFile;
use crate::error::{IngestError, Warning};
use crate::evtx::{Flatten, Flex};
use crate::mappers;
use crate::winevent::WinEvent;
use crate::{EventSink, RawSelect, ReadOptions, ReadStats};
use flate2::read::MultiGzDecoder;
use rampart_core::{IdentityEvent, Timestamp};
use serde::de::{DeserializeSeed, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

const BATCH: usize = 1024;
const PROGRESS_EVERY: u64 = 4096;

/// The whole decompressed content of a gzipped file.
pub(crate) fn gunzip_all(file: &InputFile) -> Result<Vec<u8>, IngestError> {
    let f = std::fs::File::open(&file.path).map_err(|e| IngestError::io(&file.display, e))?;
    let mut data = Vec::new();
    MultiGzDecoder::new(f)
        .read_to_end(&mut data)
        .map_err(|e| IngestError::Corrupt {
            path: file.display.clone(),
            offset: None,
            message: format!("gzip stream unreadable: {e}"),
        })?;
    Ok(data)
}

/// Opens a JSON-lines file for reading: gunzipped when compressed, transcoded to UTF-8 when
/// it is UTF-16.
pub(crate) fn open(file: &InputFile) -> Result<Box<dyn BufRead>, IngestError> {
    let f = std::fs::File::open(&file.path).map_err(|e| IngestError::io(&file.display, e))?;
    let mut reader: Box<dyn BufRead> = if file.compressed {
        Box::new(BufReader::with_capacity(256 * 1024, MultiGzDecoder::new(f)))
    } else {
        Box::new(BufReader::with_capacity(256 * 1024, f))
    };
    // UTF-16 (Windows PowerShell's `Out-File`): transcoded to UTF-8 in memory first. Such
    // exports are small; offsets in warnings are then offsets in the UTF-8 text.
    let head = reader
        .fill_buf()
        .map_err(|e| IngestError::io(&file.display, e))?;
    if head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff") {
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| IngestError::io(&file.display, e))?;
        let text = crate::discover::utf16_text(&bytes).unwrap_or_default();
        return Ok(Box::new(std::io::Cursor::new(text.into_bytes())));
    }
    Ok(reader)
}

/// Reads one JSON file (plain or gzipped) into `sink`.
pub fn read(
    file: &InputFile,
    opts: &ReadOptions,
    sink: &mut dyn EventSink,
) -> Result<ReadStats, IngestError> {
    let mut reader = open(file)?;
    let mut r = Reader {
        raw: opts.raw.clone().filter(|r| !r.is_empty()),
        source: file.display.clone(),
        stats: ReadStats {
            bytes: file.size,
            ..ReadStats::default()
        },
        batch: Vec::with_capacity(BATCH),
        sink,
        stopped: false,
        warned_positional: false,
    };
    // A top-level array: parse it as one document, element by element.
    let (first, bom) =
        first_non_space(&mut reader).map_err(|e| IngestError::io(&file.display, e))?;
    if first == Some(b'[') {
        let mut de = serde_json::Deserializer::from_reader(reader);
        if let Err(e) = (ArraySeed { r: &mut r }).deserialize(&mut de) {
            if !r.stopped {
                r.stats.skipped += 1;
                r.sink.warning(Warning {
                    record: Some(e.line() as u64),
                    is_line: true,
                    ..Warning::file(
                        &r.source,
                        format!("JSON array unreadable from here on: {e}"),
                    )
                });
            }
        }
    } else {
        read_lines(&mut reader, &mut r, bom).map_err(|e| IngestError::io(&file.display, e))?;
    }
    r.finish();
    Ok(r.stats)
}

/// The first byte that is not white space, after consuming a UTF-8 byte-order mark (whose
/// length is returned, so that line offsets stay file offsets).
fn first_non_space(reader: &mut dyn BufRead) -> std::io::Result<(Option<u8>, u64)> {
    let buf = reader.fill_buf()?;
    let bom = if buf.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    reader.consume(bom);
    let buf = reader.fill_buf()?;
    Ok((
        buf.iter().find(|b| !b.is_ascii_whitespace()).copied(),
        bom as u64,
    ))
}

fn read_lines(reader: &mut dyn BufRead, r: &mut Reader<'_>, start: u64) -> std::io::Result<()> {
    let mut line = Vec::with_capacity(8192);
    let mut offset: u64 = start;
    let mut line_no: u64 = 0;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        let start = offset;
        offset += n as u64;
        let text: &[u8] = &line;
        if text.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        r.line(text, line_no, start);
        if r.stopped {
            return Ok(());
        }
    }
}

struct Reader<'s> {
    /// Records to deliver also as raw records.
    raw: Option<Arc<RawSelect>>,
    source: Arc<str>,
    stats: ReadStats,
    batch: Vec<IdentityEvent>,
    sink: &'s mut dyn EventSink,
    stopped: bool,
    /// Whether the file was already said to be a positional `Get-WinEvent` export.
    warned_positional: bool,
}

impl Reader<'_> {
    fn line(&mut self, text: &[u8], line_no: u64, offset: u64) {
        let probe: Probe = match serde_json::from_slice(text) {
            Ok(p) => p,
            Err(e) => {
                if e.is_data() && serde_json::from_slice::<IgnoredAny>(text).is_ok() {
                    // Valid JSON, not an object: not an event.
                    self.unknown();
                } else {
                    self.stats.skipped += 1;
                    self.sink.warning(Warning::line(
                        &self.source,
                        line_no,
                        offset,
                        format!("not a JSON object: {e}"),
                    ));
                }
                return;
            }
        };
        let Some(id) = probe.event_id() else {
            self.unknown();
            return;
        };
        let (channel, provider) = probe.log_names();
        if !self.keep(id, &channel)
            && !mappers::is_interesting_record(id, channel.as_bytes(), provider.as_bytes())
        {
            self.unknown();
            return;
        }
        match serde_json::from_slice::<Map<String, Value>>(text) {
            Ok(obj) => self.object(obj, line_no, Some(offset)),
            Err(e) => {
                self.stats.skipped += 1;
                self.sink.warning(Warning::line(
                    &self.source,
                    line_no,
                    offset,
                    format!("not a JSON object: {e}"),
                ));
            }
        }
    }

    /// One parsed event object (a line, or an array element).
    fn object(&mut self, obj: Map<String, Value>, record: u64, offset: Option<u64>) {
        let head = head_of(&obj);
        let keep = head.is_some_and(|(id, channel, _)| self.keep(id, channel));
        let interesting = head.is_some_and(|(id, channel, provider)| {
            mappers::is_interesting_record(id, channel.as_bytes(), provider.as_bytes())
        });
        if !interesting && !keep {
            self.unknown();
            return;
        }
        if is_positional_export(&obj) {
            if !self.warned_positional {
                self.warned_positional = true;
                self.sink.warning(Warning {
                    offset,
                    record: Some(record),
                    is_line: true,
                    ..Warning::file(
                        &self.source,
                        "Get-WinEvent export with positional `Properties`: event data has no \
                         names, such records are counted as unknown (export with named fields, \
                         or as EVTX)",
                    )
                });
            }
            self.unknown();
            return;
        }
        let ev = match win_event(&obj, record) {
            Ok(Some(ev)) => ev,
            Ok(None) => {
                self.unknown();
                return;
            }
            Err(msg) => {
                self.stats.skipped += 1;
                self.sink.warning(Warning {
                    offset,
                    record: Some(record),
                    is_line: true,
                    ..Warning::file(&self.source, msg)
                });
                return;
            }
        };
        self.stats.records += 1;
        match mappers::map(&ev, &self.source) {
            Some(events) => {
                self.stats.events += events.len() as u64;
                self.batch.extend(events);
            }
            None => self.stats.unknown += 1,
        }
        if keep {
            self.stats.raw += 1;
            self.batch.push(ev.into_raw_event(&self.source));
        }
        if self.batch.len() >= BATCH && !self.sink.events(std::mem::take(&mut self.batch)) {
            self.stopped = true;
        }
        self.tick();
    }

    /// Whether records of `event_id` in `channel` are kept raw.
    fn keep(&self, event_id: u32, channel: &str) -> bool {
        RawSelect::wanted(self.raw.as_deref(), channel.as_bytes(), event_id)
    }

    fn unknown(&mut self) {
        self.stats.records += 1;
        self.stats.unknown += 1;
        self.tick();
    }

    fn tick(&mut self) {
        if self.stats.records % PROGRESS_EVERY == 0 {
            self.sink.progress(self.stats.records);
        }
    }

    fn finish(&mut self) {
        if !self.batch.is_empty() && !self.stopped {
            self.sink.events(std::mem::take(&mut self.batch));
        }
        self.sink.progress(self.stats.records);
    }
}

/// Reads a top-level array's elements one at a time, without holding the array.
struct ArraySeed<'a, 's> {
    r: &'a mut Reader<'s>,
}

impl<'de> DeserializeSeed<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of events")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut n: u64 = 0;
        while let Some(v) = seq.next_element::<Value>()? {
            n += 1;
            match v {
                Value::Object(obj) => self.r.object(obj, n, None),
                _ => self.r.unknown(),
            }
            if self.r.stopped {
                // Stop reading: the sink asked for no more. Leaving the array unfinished makes
                // the deserializer fail, which `read` ignores once stopped.
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// Just enough of a line to decide whether a mapper wants it.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Probe {
    #[serde(rename = "EventID")]
    event_id_flat: Option<Flex>,
    #[serde(rename = "Id")]
    id_flat: Option<Flex>,
    #[serde(rename = "event_id")]
    event_id_beat: Option<Flex>,
    winlog: Option<WinlogProbe>,
    #[serde(rename = "Channel")]
    channel: Option<Flex>,
    #[serde(rename = "LogName")]
    log_name_flat: Option<Flex>,
    log_name: Option<Flex>,
    #[serde(rename = "SourceName")]
    source_name_flat: Option<Flex>,
    #[serde(rename = "ProviderName")]
    provider_name_flat: Option<Flex>,
    source_name: Option<Flex>,
    #[serde(rename = "Event")]
    event: Option<EventProbe>,
}

/// `{"Event": {"System": {…}}}`: the layout `evtx_dump` and `records_json` write.
#[derive(Deserialize, Default)]
#[serde(default)]
struct EventProbe {
    #[serde(rename = "System")]
    system: Option<SystemProbe>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SystemProbe {
    #[serde(rename = "EventID")]
    event_id: Option<Flex>,
    #[serde(rename = "Channel")]
    channel: Option<Flex>,
    #[serde(rename = "Provider")]
    provider: Option<ProviderProbe>,
    #[serde(rename = "Provider_attributes")]
    provider_attributes: Option<NameProbe>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProviderProbe {
    #[serde(rename = "#attributes")]
    attributes: Option<NameProbe>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NameProbe {
    #[serde(rename = "Name")]
    name: Option<Flex>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WinlogProbe {
    event_id: Option<Flex>,
    channel: Option<Flex>,
    provider_name: Option<Flex>,
}

impl Probe {
    fn event_id(&self) -> Option<u32> {
        let id = |f: &Option<Flex>| f.as_ref().and_then(|f| f.0);
        id(&self.event_id_flat)
            .or_else(|| id(&self.id_flat))
            .or_else(|| id(&self.event_id_beat))
            .or_else(|| self.winlog.as_ref().and_then(|w| id(&w.event_id)))
            .or_else(|| self.system().and_then(|s| id(&s.event_id)))
            .and_then(|v| u32::try_from(v).ok())
    }

    fn system(&self) -> Option<&SystemProbe> {
        self.event.as_ref()?.system.as_ref()
    }

    fn log_names(&self) -> (String, String) {
        let text = |f: &Option<Flex>| f.as_ref().and_then(|f| f.1.clone());
        let w = self.winlog.as_ref();
        let channel = text(&self.channel)
            .or_else(|| text(&self.log_name_flat))
            .or_else(|| text(&self.log_name))
            .or_else(|| w.and_then(|w| text(&w.channel)))
            .or_else(|| self.system().and_then(|s| text(&s.channel)))
            .unwrap_or_default();
        let provider = text(&self.source_name_flat)
            .or_else(|| text(&self.provider_name_flat))
            .or_else(|| text(&self.source_name))
            .or_else(|| w.and_then(|w| text(&w.provider_name)))
            .or_else(|| {
                let s = self.system()?;
                let attrs = s
                    .provider
                    .as_ref()
                    .and_then(|p| p.attributes.as_ref())
                    .or(s.provider_attributes.as_ref());
                text(&attrs?.name)
            })
            .unwrap_or_default();
        (channel, provider)
    }
}

/// The event id, channel and provider of a parsed object, whatever its layout.
fn head_of(obj: &Map<String, Value>) -> Option<(u32, &str, &str)> {
    fn s(v: Option<&Value>) -> &str {
        v.and_then(Value::as_str).unwrap_or_default()
    }
    let (id, channel, provider) = if let Some(sys) = evtx_system(obj) {
        (
            num_or_text(sys.get("EventID")),
            s(sys.get("Channel")),
            provider_name(sys).unwrap_or_default(),
        )
    } else if let Some(Value::Object(w)) = obj.get("winlog") {
        (
            num(w.get("event_id")),
            s(w.get("channel")),
            s(w.get("provider_name")),
        )
    } else if obj.contains_key("event_id") {
        (
            num(obj.get("event_id")),
            s(obj.get("log_name")),
            s(obj.get("source_name")),
        )
    } else {
        let first = |names: &[&str]| {
            names
                .iter()
                .map(|n| s(obj.get(*n)))
                .find(|v| !v.is_empty())
                .unwrap_or_default()
        };
        (
            num(obj.get("EventID")).or_else(|| num(obj.get("Id"))),
            first(&["Channel", "LogName", "Log"]),
            first(&["SourceName", "ProviderName", "Provider"]),
        )
    };
    Some((u32::try_from(id?).ok()?, channel, provider))
}

/// Builds the [`WinEvent`] of one JSON object, whatever its layout. `Ok(None)` when it is not
/// a Windows event (no event id); `Err` when it is one but has no usable time.
pub fn win_event(
    obj: &Map<String, Value>,
    record: u64,
) -> Result<Option<WinEvent<'static>>, String> {
    if let Some(sys) = evtx_system(obj) {
        // `evtx_dump` / `records_json`: the EVTX record as JSON.
        let Some(event_id) = num_or_text(sys.get("EventID")) else {
            return Ok(None);
        };
        let mut data = Vec::new();
        if let Some(Value::Object(ev)) = obj.get("Event") {
            for key in ["EventData", "UserData", "ProcessingErrorData"] {
                flatten_into(ev.get(key), &mut data);
            }
        }
        if let Some(uid) = attribute(sys, "Security", "UserID") {
            if !data.iter().any(|(k, _)| k == "UserID") {
                data.push(("UserID".to_string(), uid.to_string()));
            }
        }
        let time = attribute(sys, "TimeCreated", "SystemTime").and_then(parse_time);
        return build(
            event_id,
            provider_name(sys).map(str::to_string),
            text(sys.get("Channel")),
            text(sys.get("Computer")),
            time,
            record,
            data,
        );
    }
    if let Some(Value::Object(w)) = obj.get("winlog") {
        // Winlogbeat 7+ / ECS.
        let Some(event_id) = num(w.get("event_id")) else {
            return Ok(None);
        };
        let mut data = Vec::new();
        flatten_into(w.get("event_data"), &mut data);
        flatten_into(w.get("user_data"), &mut data);
        let computer = text(w.get("computer_name"))
            .or_else(|| obj.get("host").and_then(|h| text(h.get("name"))));
        return build(
            event_id,
            text(w.get("provider_name")),
            text(w.get("channel")),
            computer,
            time_of(obj),
            record,
            data,
        );
    }
    if obj.contains_key("event_id") {
        // Winlogbeat 6 / OTRF 2019.
        let Some(event_id) = num(obj.get("event_id")) else {
            return Ok(None);
        };
        let mut data = Vec::new();
        flatten_into(obj.get("event_data"), &mut data);
        flatten_into(obj.get("user_data"), &mut data);
        return build(
            event_id,
            text(obj.get("source_name")),
            text(obj.get("log_name")),
            text(obj.get("computer_name")),
            time_of(obj),
            record,
            data,
        );
    }
    // Flat: NXLog, OTRF 2020, Get-WinEvent exports.
    let Some(event_id) = num(obj.get("EventID")).or_else(|| num(obj.get("Id"))) else {
        return Ok(None);
    };
    // NXLog's im_msvistalog adds the account of the record's user SID as top-level
    // `AccountName`, `Domain`, `AccountType` (next to `UserID`), overwriting event data of the
    // same name (7045's service account). They are renamed so that mappers never mistake
    // them for event data: `UserIDName`, `UserIDDomain`, `UserIDType`.
    let nxlog = obj.get("SourceModuleType").and_then(Value::as_str) == Some("im_msvistalog")
        || (obj.contains_key("AccountType") && obj.contains_key("UserID"));
    let mut data = Vec::with_capacity(obj.len());
    for (k, v) in obj {
        let key = || match k.as_str() {
            "AccountName" if nxlog => "UserIDName".to_string(),
            "Domain" if nxlog => "UserIDDomain".to_string(),
            "AccountType" if nxlog => "UserIDType".to_string(),
            _ => k.clone(),
        };
        match v {
            Value::String(s) => data.push((key(), s.clone())),
            Value::Number(n) => data.push((key(), n.to_string())),
            Value::Bool(b) => data.push((key(), b.to_string())),
            Value::Object(_) if k == "EventData" || k == "UserData" => {
                flatten_into(Some(v), &mut data)
            }
            _ => {}
        }
    }
    let pick = |names: &[&str]| names.iter().find_map(|n| text(obj.get(*n)));
    build(
        event_id,
        pick(&["SourceName", "ProviderName", "Provider"]),
        pick(&["Channel", "LogName", "Log"]),
        pick(&["Hostname", "Computer", "MachineName", "ComputerName"]),
        time_of(obj),
        record,
        data,
    )
}

fn build(
    event_id: u64,
    provider: Option<String>,
    channel: Option<String>,
    computer: Option<String>,
    time: Option<Timestamp>,
    record: u64,
    data: Vec<(String, String)>,
) -> Result<Option<WinEvent<'static>>, String> {
    let Ok(event_id) = u32::try_from(event_id) else {
        return Ok(None);
    };
    let Some(time) = time else {
        return Err(format!("event {event_id} has no readable time"));
    };
    Ok(Some(WinEvent {
        event_id,
        provider: provider.unwrap_or_default(),
        channel: channel.unwrap_or_default(),
        computer: computer.unwrap_or_default(),
        time,
        record_id: record,
        data: data
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect(),
    }))
}

/// A `Get-WinEvent | ConvertTo-Json` object: `Id`, `ProviderName` and the event data as a
/// positional `Properties` list, without names.
fn is_positional_export(obj: &Map<String, Value>) -> bool {
    matches!(obj.get("Properties"), Some(Value::Array(_)))
        && obj.contains_key("Id")
        && !obj.contains_key("EventData")
}

/// `Event.System` of the `evtx_dump` layout.
fn evtx_system(obj: &Map<String, Value>) -> Option<&Map<String, Value>> {
    obj.get("Event")?.get("System")?.as_object()
}

/// An attribute of a system element: `{"TimeCreated": {"#attributes": {"SystemTime": …}}}`,
/// or `{"TimeCreated_attributes": {…}}` as `evtx_dump --separate-json-attributes` writes it.
fn attribute<'a>(sys: &'a Map<String, Value>, element: &str, name: &str) -> Option<&'a str> {
    sys.get(element)
        .and_then(|e| e.get("#attributes"))
        .or_else(|| sys.get(&format!("{element}_attributes")))
        .and_then(|a| a.get(name))
        .and_then(Value::as_str)
}

fn provider_name(sys: &Map<String, Value>) -> Option<&str> {
    attribute(sys, "Provider", "Name")
}

/// A number, a numeric string, or `{"#text": …}` holding one.
fn num_or_text(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Object(o) => num(o.get("#text")),
        other => num(Some(other)),
    }
}

fn flatten_into(v: Option<&Value>, data: &mut Vec<(String, String)>) {
    if let Some(v) = v {
        // A `Value` always deserializes; a failure could only come from a custom visitor.
        let mut fields = Vec::new();
        let _ = Flatten {
            out: &mut fields,
            key: None,
        }
        .deserialize(v);
        data.extend(
            fields
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_owned())),
        );
    }
}

fn num(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => crate::winevent::parse_u64(s),
        _ => None,
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn time_of(obj: &Map<String, Value>) -> Option<Timestamp> {
    if let Some(t) = nxlog_event_time(obj) {
        return Some(t);
    }
    [
        "@timestamp",
        "TimeCreated",
        "EventTime",
        "UtcTime",
        "timestamp",
    ]
    .iter()
    .find_map(|k| match obj.get(*k)? {
        Value::String(s) => parse_time(s),
        Value::Number(n) => n.as_i64().and_then(chrono::DateTime::from_timestamp_millis),
        _ => None,
    })
}

/// NXLog writes `EventTime`, when the event happened, in the collector's local time without a
/// zone, and `@timestamp`, when the pipeline received it, in UTC a few seconds later. The
/// zone offset is the difference rounded to a quarter hour; the event's own time is then
/// `EventTime` shifted by it. `None` unless both are there and agree (the remainder, the
/// shipping delay, between -2 s and 10 min).
fn nxlog_event_time(obj: &Map<String, Value>) -> Option<Timestamp> {
    let local = parse_time(obj.get("EventTime")?.as_str()?)?;
    let received = parse_time(obj.get("@timestamp")?.as_str()?)?;
    let diff = (received - local).num_milliseconds();
    let quarter = 15 * 60 * 1000;
    let offset = (diff as f64 / quarter as f64).round() as i64 * quarter;
    let delay = diff - offset;
    if offset.abs() > 14 * 3600 * 1000 || !(-2000..=600_000).contains(&delay) {
        return None;
    }
    local.checked_add_signed(chrono::Duration::milliseconds(offset))
}

/// ISO 8601 / RFC 3339; `YYYY-MM-DD HH:MM:SS[.f]` (taken as UTC); `/Date(1600000000000)/`.
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    if let Some(ms) = s.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
        // `/Date(1600000000000+0200)/`: the offset is the display zone; the count is UTC.
        let digits: &str = ms
            .char_indices()
            .find(|(i, c)| *i > 0 && (*c == '+' || *c == '-'))
            .map_or(ms, |(i, _)| &ms[..i]);
        return digits
            .parse::<i64>()
            .ok()
            .and_then(chrono::DateTime::from_timestamp_millis);
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::Format;
    use rampart_core::EventKind;
    use std::io::Write;

    #[derive(Default)]
    struct Collect {
        events: Vec<IdentityEvent>,
        warnings: Vec<Warning>,
    }

    impl EventSink for Collect {
        fn events(&mut self, batch: Vec<IdentityEvent>) -> bool {
            self.events.extend(batch);
            true
        }
        fn warning(&mut self, warning: Warning) {
            self.warnings.push(warning);
        }
    }

    fn read_str(content: &str) -> (ReadStats, Collect) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.json");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(content.as_bytes())
            .unwrap();
        let file = InputFile {
            path,
            display: Arc::from("events.json"),
            format: Format::JsonLines,
            compressed: false,
            size: content.len() as u64,
        };
        let mut sink = Collect::default();
        let stats = read(&file, &ReadOptions::default(), &mut sink).unwrap();
        (stats, sink)
    }

    const NXLOG_4624: &str = r#"{"@timestamp":"2020-09-21T23:35:27.841Z","EventTime":"2020-09-21 19:35:26","Hostname":"MORDORDC.theshire.local","EventID":4624,"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"security","RecordNumber":163812,"TargetUserName":"pgustavo","TargetDomainName":"THESHIRE","LogonType":"3","IpAddress":"172.18.39.5","AuthenticationPackageName":"Kerberos"}"#;
    const BEAT_4768: &str = r#"{"@timestamp":"2019-03-19T17:13:35.086Z","computer_name":"HFDC01.shire.com","event_data":{"TargetUserName":"wardog","Status":"0x0","PreAuthType":"2","TicketEncryptionType":"0x12","IpAddress":"::ffff:172.18.39.6"},"event_id":4768,"log_name":"Security","record_number":"7766656","source_name":"Microsoft-Windows-Security-Auditing"}"#;
    const ECS_4769: &str = r#"{"@timestamp":"2021-01-01T00:00:00Z","winlog":{"event_id":"4769","channel":"Security","provider_name":"Microsoft-Windows-Security-Auditing","computer_name":"DC01.corp.local","record_id":77,"event_data":{"TargetUserName":"bob@CORP.LOCAL","ServiceName":"sql_svc","TicketEncryptionType":"0x17","Status":"0x0"}}}"#;

    #[test]
    fn reads_the_three_line_layouts() {
        let content = format!("{NXLOG_4624}\n{BEAT_4768}\n\n{ECS_4769}\n");
        let (stats, sink) = read_str(&content);
        assert_eq!(stats.records, 3);
        assert_eq!(stats.events, 3);
        assert!(sink.warnings.is_empty(), "{:?}", sink.warnings);
        let kinds: Vec<_> = sink.events.iter().map(|e| e.kind.name()).collect();
        assert_eq!(
            kinds,
            ["logon", "kerberos_tgt_request", "kerberos_service_ticket"]
        );
        let records: Vec<_> = sink.events.iter().map(|e| e.evidence.record).collect();
        assert_eq!(records, [1, 2, 4]);
        assert_eq!(sink.events[0].actor.as_ref().unwrap().name, "pgustavo");
        // EventTime 19:35:26 local, received 23:35:27.841Z: UTC-4, the event at 23:35:26Z.
        assert_eq!(
            sink.events[0].time.to_rfc3339(),
            "2020-09-21T23:35:26+00:00"
        );
        assert_eq!(sink.events[1].observer.as_deref(), Some("HFDC01.shire.com"));
        assert_eq!(sink.events[2].actor.as_ref().unwrap().name, "bob");
        assert_eq!(sink.events[0].evidence.source.as_ref(), "events.json");
    }

    #[test]
    fn selected_lines_are_also_kept_raw() {
        let app = r#"{"EventID":1000,"Channel":"Application","SourceName":"Application Error","Hostname":"WS1","@timestamp":"2020-09-21T23:35:27.841Z","AppName":"x.exe"}"#;
        let content = format!("{NXLOG_4624}\n{app}\n{BEAT_4768}\n");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.json");
        std::fs::write(&path, &content).unwrap();
        let (files, _) = crate::discover(&[path]);
        let mut select = RawSelect::default();
        select.add("application", None);
        select.add("Security", Some(&[4624]));
        let opts = ReadOptions {
            raw: Some(Arc::new(select)),
            ..ReadOptions::default()
        };
        let mut sink = Collect::default();
        let stats = read(&files[0], &opts, &mut sink).unwrap();
        assert_eq!((stats.records, stats.events, stats.raw), (3, 2, 2));
        assert_eq!(stats.unknown, 1);
        let kinds: Vec<_> = sink.events.iter().map(|e| e.kind.name()).collect();
        assert_eq!(
            kinds,
            ["logon", "raw_record", "raw_record", "kerberos_tgt_request"]
        );
        let EventKind::RawRecord { record } = &sink.events[2].kind else {
            panic!()
        };
        assert_eq!(record.get("AppName"), Some("x.exe"));
        assert_eq!(sink.events[2].evidence.record, 2);
    }

    #[test]
    fn bad_lines_warn_and_reading_goes_on() {
        let content = format!("{NXLOG_4624}\n{{\"EventID\": 46\n42\n{{\"foo\":1}}\n{BEAT_4768}\n");
        let (stats, sink) = read_str(&content);
        assert_eq!(stats.events, 2);
        assert_eq!(stats.skipped, 1);
        assert_eq!(stats.unknown, 2);
        assert_eq!(sink.warnings.len(), 1);
        let w = &sink.warnings[0];
        assert_eq!(w.record, Some(2));
        assert_eq!(w.offset, Some(NXLOG_4624.len() as u64 + 1));
        assert!(w.to_string().starts_with("events.json: line 2 (offset 0x"));
    }

    #[test]
    fn top_level_array_export() {
        let content = r#"[
  {"Id": 4625, "LogName": "Security", "ProviderName": "Microsoft-Windows-Security-Auditing", "MachineName": "WS01", "TimeCreated": "/Date(1600000000000)/", "TargetUserName": "bob", "Status": "0xc000006d", "SubStatus": "0xc000006a", "LogonType": 3},
  {"Id": 5156, "LogName": "Security", "TimeCreated": "2020-09-13T12:26:40Z"},
  {"Id": 4625, "LogName": "Security", "MachineName": "WS01", "TargetUserName": "eve", "Status": "0xc000006d"}
]"#;
        let (stats, sink) = read_str(content);
        assert_eq!(stats.records, 2);
        assert_eq!(stats.unknown, 1);
        assert_eq!(stats.events, 1);
        assert_eq!(stats.skipped, 1, "the element without a time");
        assert_eq!(sink.events[0].time.timestamp(), 1_600_000_000);
        assert_eq!(sink.events[0].observer.as_deref(), Some("WS01"));
        assert_eq!(sink.warnings[0].record, Some(3));
    }

    #[test]
    fn nxlog_user_fields_do_not_pass_for_event_data() {
        let line = r#"{"EventID":7045,"SourceName":"Service Control Manager","Channel":"System","Hostname":"WORKSTATION6.theshire.local","@timestamp":"2020-09-20T16:16:58.233Z","SourceModuleType":"im_msvistalog","AccountType":"User","UserID":"S-1-5-21-4228717743-1032521047-1810997296-1104","AccountName":"pgustavo","Domain":"THESHIRE","ServiceName":"Updater","ImagePath":"%COMSPEC% /C start powershell","ServiceType":"user mode service","StartType":"demand start"}"#;
        let (_, sink) = read_str(line);
        let e = &sink.events[0];
        match &e.kind {
            EventKind::ServiceInstalled {
                name,
                service_account,
                ..
            } => {
                assert_eq!(name, "Updater");
                assert_eq!(*service_account, None, "NXLog overwrote it");
            }
            k => panic!("unexpected {k:?}"),
        }
        let actor = e.actor.as_ref().unwrap();
        assert_eq!(actor.name, "pgustavo");
        assert_eq!(actor.domain.as_deref(), Some("THESHIRE"));
        assert_eq!(actor.rid(), Some(1104));
    }

    #[test]
    fn nxlog_local_time_is_placed_by_its_receive_time() {
        let obj = |et: &str, ts: &str| {
            serde_json::from_str::<Map<String, Value>>(&format!(
                r#"{{"EventTime":"{et}","@timestamp":"{ts}"}}"#
            ))
            .unwrap()
        };
        let t = |et, ts| time_of(&obj(et, ts)).unwrap().to_rfc3339();
        assert_eq!(
            t("2020-10-13 00:24:53", "2020-10-13T04:24:56.495Z"),
            "2020-10-13T04:24:53+00:00"
        );
        // UTC+5:30, received within the second.
        assert_eq!(
            t("2020-10-13 10:00:00", "2020-10-13T04:30:00.400Z"),
            "2020-10-13T04:30:00+00:00"
        );
        // 5 h 10 min apart: no zone offset plus a short delay explains it; @timestamp is used.
        assert_eq!(
            t("2020-10-13 00:00:00", "2020-10-13T05:10:00Z"),
            "2020-10-13T05:10:00+00:00"
        );
    }

    #[test]
    fn utf16_powershell_export() {
        let json = format!("[{NXLOG_4624}]\r\n");
        let mut bytes = vec![0xff, 0xfe];
        bytes.extend(json.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.json");
        std::fs::write(&path, &bytes).unwrap();
        let (files, errors) = crate::discover(&[path]);
        assert!(errors.is_empty(), "{errors:?}");
        let mut sink = Collect::default();
        let stats = read(&files[0], &ReadOptions::default(), &mut sink).unwrap();
        assert_eq!(stats.events, 1);
        assert_eq!(sink.events[0].actor.as_ref().unwrap().name, "pgustavo");
    }

    #[test]
    fn positional_get_winevent_exports_are_unknown_with_one_warning() {
        let rec = r#"{"Id":4624,"LogName":"Security","ProviderName":"Microsoft-Windows-Security-Auditing","MachineName":"WS01","TimeCreated":"/Date(1600000000000)/","Properties":[{"Value":"S-1-5-18"},{"Value":"WS01$"}]}"#;
        let (stats, sink) = read_str(&format!("{rec}\n{rec}\n"));
        assert_eq!((stats.records, stats.unknown, stats.events), (2, 2, 0));
        assert_eq!(sink.warnings.len(), 1);
        assert!(sink.warnings[0].message.contains("positional"));
    }

    #[test]
    fn odd_values_never_panic() {
        let lines = [
            r#"{"EventID": -1, "Channel": "Security"}"#,
            r#"{"EventID": 1e99, "Channel": "Security"}"#,
            r#"{"EventID": 99999999999, "Channel": "Security"}"#,
            r#"{"EventID": "0x1102", "Channel": "Security", "@timestamp": "2020-01-01T00:00:00Z"}"#,
            r#"{"winlog": 5}"#,
            r#"{"winlog": {"event_id": [4624]}}"#,
            r#"{"Event": 3}"#,
            r#"{"Event": {"System": 5}}"#,
            r##"{"Event": {"System": {"EventID": {"#text": "4624"}, "Channel": "Security"}}}"##,
            r#"{"event_id": 4624, "log_name": "Security", "event_data": 7, "@timestamp": "2020-01-01T00:00:00Z"}"#,
            r#"{"EventID": 4624, "Channel": "Security", "@timestamp": "bad", "EventTime": "also bad"}"#,
            r#"{"EventID": 4624, "Channel": "Security", "TimeCreated": "/Date(99999999999999999)/"}"#,
            r#"{"EventID": 4624, "Channel": "Security", "EventTime": "9999-12-31 23:59:59", "@timestamp": "0001-01-01T00:00:00Z"}"#,
            r#"{"EventID": 4624, "Channel": "Security", "@timestamp": 1600000000000, "LogonType": {"a": [1, {"b": null}]}}"#,
            r#"[1, 2"#,
            "\u{0}\u{1}",
        ];
        let (stats, sink) = read_str(&lines.join("\n"));
        assert_eq!(stats.events as usize, sink.events.len());
        // The 1102 in hex, the event_data-less 4624 and the last ones map; the rest are
        // unknown or warned about.
        assert!(stats.events >= 2, "{stats:?}");
        assert!(!sink.warnings.is_empty());
    }

    #[test]
    fn time_forms() {
        assert_eq!(
            parse_time("2020-10-18 07:50:06.220").unwrap().to_rfc3339(),
            "2020-10-18T07:50:06.220+00:00"
        );
        assert_eq!(
            parse_time("/Date(1600000000000+0200)/")
                .unwrap()
                .timestamp(),
            1_600_000_000
        );
        assert!(parse_time("yesterday").is_none());
    }
}
