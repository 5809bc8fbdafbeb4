//! Samba AD DC audit log reader: the JSON records Samba writes with `auth_json_audit`,
//! `dsdb_json_audit`, `dsdb_password_json_audit`, `dsdb_group_json_audit` and
//! `dsdb_transaction_json_audit`, one per line:
//!
//! ```text
//! {"timestamp": "2026-11-23T18:47:16.358928+0000", "type": "groupChange", "groupChange": {…}}
//! ```
//!
//! The reader takes the lines as Samba writes them to its log file (indented by two spaces,
//! possibly between `[2026/11/23 18:47:16.358928,  5] ../../source4/…` debug headers, older
//! versions with a `JSON Authentication: ` prefix) as well as extracted to plain JSON lines.
//! Debug headers are framing and skipped; every other non-blank line is a record.
//!
//! - A line that is not JSON is a [`Warning`] naming file, line and byte offset; reading goes
//!   on. Valid JSON that is not a Samba record, and record types no mapper handles
//!   (`dsdbTransaction`, `replicatedUpdate`, types of later Samba versions), count as unknown.
//! - A record without a readable `timestamp` is a warning and skipped.
//! - Evidence is the 1-based line number; the event id is the record's `eventId` when it has
//!   one (4624/4625, 4723/4724, 4728/…).
//! - The mapping is in [`crate::mappers::samba`]. What one record teaches about the others of
//!   the same file is kept for the file: the server's own name (the observer of every event of
//!   the file, told by `logonServer` of NTLM / simple-bind authorizations and by the
//!   `workstation` Samba writes into LDAP simple-bind authentications), and the account names of
//!   SIDs seen in authentications (directory-change records name their actor by SID only).
//!   Events read before the server named itself are held back (up to [`HOLD`] events) and given
//!   the name when it comes.

use crate::discover::InputFile;
use crate::error::{IngestError, Warning};
use crate::mappers::samba::{self as mapper, SambaContext, SambaRecord};
use crate::{EventSink, ReadOptions, ReadStats};
use rampart_core::IdentityEvent;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::io::BufRead;
use std::sync::Arc;

const BATCH: usize = 1024;
/// Events held back while the file has not yet named its server.
pub const HOLD: usize = 16_384;
const PROGRESS_EVERY: u64 = 4096;

/// The record types Samba's JSON audit writes (4.7 to 4.20).
pub const RECORD_TYPES: &[&str] = &[
    "Authentication",
    "Authorization",
    "dsdbChange",
    "dsdbTransaction",
    "replicatedUpdate",
    "passwordChange",
    "groupChange",
];

/// Reads one Samba audit log (plain or gzipped) into `sink`.
pub fn read(
    file: &InputFile,
    _opts: &ReadOptions,
    sink: &mut dyn EventSink,
) -> Result<ReadStats, IngestError> {
    let mut reader = crate::json::open(file)?;
    let mut r = Reader {
        source: file.display.clone(),
        stats: ReadStats {
            bytes: file.size,
            ..ReadStats::default()
        },
        batch: Vec::with_capacity(BATCH),
        sink,
        stopped: false,
        cx: SambaContext::default(),
    };
    read_lines(&mut *reader, &mut r).map_err(|e| IngestError::io(&file.display, e))?;
    r.finish();
    Ok(r.stats)
}

fn read_lines(reader: &mut dyn BufRead, r: &mut Reader<'_>) -> std::io::Result<()> {
    // A UTF-8 byte-order mark is consumed but counted, so offsets stay file offsets.
    let bom = reader.fill_buf()?.starts_with(b"\xef\xbb\xbf");
    let mut offset: u64 = 0;
    if bom {
        reader.consume(3);
        offset = 3;
    }
    let mut line = Vec::with_capacity(8192);
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
        r.line(&line, line_no, start);
        if r.stopped {
            return Ok(());
        }
    }
}

struct Reader<'s> {
    source: Arc<str>,
    stats: ReadStats,
    batch: Vec<IdentityEvent>,
    sink: &'s mut dyn EventSink,
    stopped: bool,
    cx: SambaContext,
}

impl Reader<'_> {
    fn line(&mut self, raw: &[u8], line_no: u64, offset: u64) {
        let text = raw.trim_ascii();
        if text.is_empty() || is_debug_header(text) {
            return;
        }
        let text = strip_json_prefix(text);
        let obj: Map<String, Value> = match serde_json::from_slice(text) {
            Ok(o) => o,
            Err(e) => {
                if e.is_data() && serde_json::from_slice::<IgnoredAny>(text).is_ok() {
                    // Valid JSON, not an object: not a record.
                    self.unknown();
                } else {
                    self.warn(line_no, offset, format!("not a JSON audit record: {e}"));
                }
                return;
            }
        };
        let Some(kind) = record_type(&obj) else {
            self.unknown();
            return;
        };
        let Some(body) = obj.get(kind).and_then(Value::as_object) else {
            self.unknown();
            return;
        };
        let Some(time) = obj
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(mapper::parse_time)
        else {
            self.warn(
                line_no,
                offset,
                format!("Samba {kind} record without a readable timestamp"),
            );
            return;
        };
        self.stats.records += 1;
        let named_before = self.cx.server().is_some();
        let rec = SambaRecord {
            time,
            kind,
            body,
            line: line_no,
        };
        match mapper::map(&rec, &mut self.cx, &self.source) {
            Some(events) => {
                self.stats.events += events.len() as u64;
                self.batch.extend(events);
            }
            None => self.stats.unknown += 1,
        }
        if !named_before {
            if let Some(server) = self.cx.server() {
                // The file named its server: the events held so far were recorded by it too.
                for e in &mut self.batch {
                    if e.observer.is_none() {
                        e.observer = Some(server.to_string());
                    }
                }
            }
        }
        let limit = if self.cx.server().is_some() {
            BATCH
        } else {
            HOLD
        };
        if self.batch.len() >= limit && !self.sink.events(std::mem::take(&mut self.batch)) {
            self.stopped = true;
        }
        self.tick();
    }

    fn warn(&mut self, line_no: u64, offset: u64, message: String) {
        self.stats.skipped += 1;
        self.sink
            .warning(Warning::line(&self.source, line_no, offset, message));
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

/// The record type of a parsed Samba audit object: its `type`, when that names an object
/// beside it (`{"type": "groupChange", "groupChange": {…}}`).
pub fn record_type(obj: &Map<String, Value>) -> Option<&str> {
    let kind = obj.get("type")?.as_str()?;
    obj.get(kind)?.is_object().then_some(kind)
}

/// A Samba debug header (`[2026/11/23 18:47:16.320363,  3] ../../auth/auth_log.c:…`): the
/// framing Samba writes before a message when its log has headers on.
fn is_debug_header(line: &[u8]) -> bool {
    // `[YYYY/MM/DD HH:MM:SS`
    const SHAPE: &[u8] = b"[dddd/dd/dd dd:dd:dd";
    line.len() >= SHAPE.len()
        && SHAPE.iter().zip(line).all(|(s, c)| match s {
            b'd' => c.is_ascii_digit(),
            _ => s == c,
        })
}

/// `{…}` of `JSON Authentication: {…}`, the prefix Samba 4.7–4.9 put before each record.
fn strip_json_prefix(line: &[u8]) -> &[u8] {
    if !line.starts_with(b"JSON ") {
        return line;
    }
    match memchr::memmem::find(line, b": {") {
        Some(i) => &line[i + 2..],
        None => line,
    }
}

/// Whether content starting with `head` is a Samba JSON audit log: its first line that is not
/// blank or a debug header is a JSON object (possibly cut off at the end of `head`) with a
/// `type` of the Samba audit vocabulary ([`RECORD_TYPES`]) next to a `timestamp` or an object
/// of that name, or with an unknown `type` next to both.
pub fn looks_like_samba_audit(head: &[u8]) -> bool {
    for line in head.split(|b| *b == b'\n') {
        let text = line.trim_ascii();
        if text.is_empty() || is_debug_header(text) {
            continue;
        }
        let text = strip_json_prefix(text);
        if !text.starts_with(b"{") {
            return false;
        }
        let head = RecordHead::of(text);
        let Some(kind) = head.kind.as_deref() else {
            return false;
        };
        let nested = head.objects.iter().any(|k| k == kind);
        return if RECORD_TYPES.contains(&kind) {
            nested || head.timestamp
        } else {
            nested && head.timestamp
        };
    }
    false
}

/// The top-level keys of a record that tell it is Samba's, read from a line that may be cut
/// off: whatever was read before the cut is kept.
#[derive(Default)]
struct RecordHead {
    kind: Option<String>,
    timestamp: bool,
    /// Keys whose value is an object (the first few).
    objects: Vec<String>,
}

impl RecordHead {
    fn of(text: &[u8]) -> RecordHead {
        let mut head = RecordHead::default();
        let mut de = serde_json::Deserializer::from_slice(text);
        // A cut-off line fails at the cut; what was read before it is all we need.
        let _ = (HeadSeed(&mut head)).deserialize(&mut de);
        head
    }
}

struct HeadSeed<'a>(&'a mut RecordHead);

impl<'de> DeserializeSeed<'de> for HeadSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeadSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => {
                    let v: Value = map.next_value()?;
                    self.0.kind = v.as_str().map(str::to_string);
                }
                "timestamp" => {
                    let v: Value = map.next_value()?;
                    self.0.timestamp = v.is_string();
                }
                _ => {
                    if map.next_value::<IsObject>()?.0 && self.0.objects.len() < 8 {
                        self.0.objects.push(key);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Whether a JSON value is an object, skipping over it without building it.
struct IsObject(bool);

impl<'de> serde::Deserialize<'de> for IsObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IsObject;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IsObject, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(IsObject(true))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<IsObject, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(IsObject(false))
            }
            fn visit_bool<E>(self, _: bool) -> Result<IsObject, E> {
                Ok(IsObject(false))
            }
            fn visit_i64<E>(self, _: i64) -> Result<IsObject, E> {
                Ok(IsObject(false))
            }
            fn visit_u64<E>(self, _: u64) -> Result<IsObject, E> {
                Ok(IsObject(false))
            }
            fn visit_f64<E>(self, _: f64) -> Result<IsObject, E> {
                Ok(IsObject(false))
            }
            fn visit_str<E>(self, _: &str) -> Result<IsObject, E> {
                Ok(IsObject(false))
            }
            fn visit_unit<E>(self) -> Result<IsObject, E> {
                Ok(IsObject(false))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::Format;
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

    fn read_bytes(content: &[u8]) -> (ReadStats, Collect) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(content)
            .unwrap();
        let file = InputFile {
            path,
            display: Arc::from("audit.log"),
            format: Format::SambaAudit,
            compressed: false,
            size: content.len() as u64,
        };
        let mut sink = Collect::default();
        let stats = read(&file, &ReadOptions::default(), &mut sink).unwrap();
        (stats, sink)
    }

    const KDC_FAIL: &str = r#"{"timestamp": "2026-11-23T18:45:55.100000+0000", "type": "Authentication", "Authentication": {"version": {"major": 1, "minor": 2}, "eventId": 4625, "logonId": "49d244e6f7e461b8", "logonType": 3, "status": "NT_STATUS_WRONG_PASSWORD", "localAddress": null, "remoteAddress": "ipv4:127.0.0.1:50152", "serviceDescription": "Kerberos KDC", "authDescription": "ENC-TS Pre-authentication", "clientDomain": null, "clientAccount": "rmoore@RAMPART.LAB", "workstation": null, "becameAccount": "rmoore", "becameDomain": "RAMPART", "becameSid": "S-1-5-21-1-2-3-1123", "mappedAccount": "rmoore", "mappedDomain": "RAMPART", "passwordType": "aes256-cts-hmac-sha1-96", "duration": 4893}}"#;
    const AUTHZ: &str = r#"{"timestamp": "2026-11-23T18:47:16.323103+0000", "type": "Authorization", "Authorization": {"version": {"major": 1, "minor": 1}, "localAddress": "ipv4:127.0.0.2:389", "remoteAddress": "ipv4:127.0.0.1:42464", "serviceDescription": "LDAP", "authType": "simple bind", "domain": "RAMPART", "account": "Administrator", "sid": "S-1-5-21-1-2-3-500", "sessionId": "a2443725-46ce-4cf9-b056-2b13c7c7f61a", "logonServer": "DC1", "transportProtection": "NONE", "accountFlags": "0x00000010"}}"#;
    const TRANSACTION: &str = r#"{"timestamp": "2026-11-23T18:47:16.400000+0000", "type": "dsdbTransaction", "dsdbTransaction": {"version": {"major": 1, "minor": 0}, "action": "commit", "transactionId": "64e635de-8d0f-4e23-bc0d-a90b289ae430", "duration": 2000}}"#;

    const UNKNOWN_TYPE: &str = r#"{"timestamp": "2026-11-23T18:47:17.000000+0000", "type": "kdcPolicy", "kdcPolicy": {"version": {"major": 1, "minor": 0}}}"#;

    #[test]
    fn sniffs_samba_records_by_content() {
        assert!(looks_like_samba_audit(KDC_FAIL.as_bytes()));
        assert!(looks_like_samba_audit(format!("\n  {AUTHZ}\n").as_bytes()));
        // Cut off inside the first record: the head still tells.
        assert!(looks_like_samba_audit(&KDC_FAIL.as_bytes()[..120]));
        // Samba's own log: debug header, indentation, the old `JSON …: ` prefix.
        let raw = format!(
            "[2026/11/23 18:47:16.323103,  4] ../../auth/auth_log.c:610(log_authz_event_json)\n  JSON Authorization: {AUTHZ}\n"
        );
        assert!(looks_like_samba_audit(raw.as_bytes()));
        // An unknown type needs both a timestamp and its object.
        assert!(looks_like_samba_audit(
            br#"{"timestamp": "2030-01-01T00:00:00.000000+0000", "type": "kdcPolicy", "kdcPolicy": {}}"#
        ));
        assert!(!looks_like_samba_audit(
            br#"{"timestamp": "2030-01-01T00:00:00Z", "type": "request"}"#
        ));
        assert!(!looks_like_samba_audit(
            br#"{"EventID": 4624, "Channel": "Security"}"#
        ));
        assert!(!looks_like_samba_audit(b"[{\"type\": \"Authentication\"}]"));
        assert!(!looks_like_samba_audit(b""));
        assert_eq!(
            crate::discover::sniff_bytes(KDC_FAIL.as_bytes()),
            Some(Format::SambaAudit)
        );
        assert_eq!(
            crate::discover::sniff_bytes(br#"{"EventID": 4624}"#),
            Some(Format::JsonLines)
        );
    }

    #[test]
    fn reads_samba_log_framing_and_counts_lines() {
        let content = format!(
            "[2026/11/23 18:45:55.100000,  2] ../../auth/auth_log.c:1(log_json)\n  {KDC_FAIL}\n\n  JSON Authorization: {AUTHZ}\n{TRANSACTION}\n{UNKNOWN_TYPE}\n"
        );
        let (stats, sink) = read_bytes(content.as_bytes());
        assert!(sink.warnings.is_empty(), "{:?}", sink.warnings);
        // dsdbTransaction and a type of some later Samba are unknown, not errors.
        assert_eq!((stats.records, stats.events, stats.unknown), (4, 2, 2));
        let lines: Vec<u64> = sink.events.iter().map(|e| e.evidence.record).collect();
        assert_eq!(lines, [2, 4]);
        assert_eq!(sink.events[0].evidence.event_id, Some(4625));
        assert_eq!(sink.events[1].evidence.event_id, None);
        // The authorization named the server; the event before it was held and named too.
        for e in &sink.events {
            assert_eq!(e.observer.as_deref(), Some("DC1"));
        }
    }

    #[test]
    fn malformed_lines_warn_with_line_and_offset() {
        let content = format!(
            "{KDC_FAIL}\n{{\"timestamp\": \"2026-\n42\n{{\"type\": \"Authentication\"}}\nAuth: [LDAP,simple bind] user [x]\n{}\n{AUTHZ}\n",
            KDC_FAIL.replace("2026-11-23T18:45:55.100000+0000", "yesterday")
        );
        let (stats, sink) = read_bytes(content.as_bytes());
        assert_eq!(stats.events, 2);
        assert_eq!(
            stats.unknown, 2,
            "a number and a typed object without a body"
        );
        assert_eq!(stats.skipped, 3);
        assert_eq!(sink.warnings.len(), 3);
        let w = &sink.warnings[0];
        assert_eq!(w.record, Some(2));
        assert_eq!(w.offset, Some(KDC_FAIL.len() as u64 + 1));
        assert!(
            w.to_string().starts_with("audit.log: line 2 (offset 0x"),
            "{w}"
        );
        assert_eq!(sink.warnings[1].record, Some(5));
        assert_eq!(sink.warnings[2].record, Some(6));
        assert!(sink.warnings[2].message.contains("timestamp"));
    }

    #[test]
    fn byte_order_mark_keeps_offsets() {
        let content = format!("\u{feff}{KDC_FAIL}\nnot json\n");
        let (_, sink) = read_bytes(content.as_bytes());
        assert_eq!(sink.warnings[0].offset, Some(3 + KDC_FAIL.len() as u64 + 1));
    }

    #[test]
    fn odd_values_never_panic() {
        let lines = [
            r#"{"timestamp": 5, "type": "Authentication", "Authentication": {}}"#,
            r#"{"timestamp": "2026-11-23T18:45:55+0000", "type": "Authentication", "Authentication": {}}"#,
            r#"{"timestamp": "2026-11-23T18:45:55+0000", "type": "Authentication", "Authentication": {"status": 7, "eventId": "x", "becameSid": [], "remoteAddress": {"a": 1}}}"#,
            r#"{"timestamp": "2026-11-23T18:45:55+0000", "type": "Authorization", "Authorization": {"account": null, "sid": 3, "logonServer": ""}}"#,
            r#"{"timestamp": "2026-11-23T18:45:55+0000", "type": "groupChange", "groupChange": {"action": "Added", "group": 1, "user": null, "eventId": 99999999999}}"#,
            r#"{"timestamp": "2026-11-23T18:45:55+0000", "type": "groupChange", "groupChange": {"action": "Added", "group": "CN=,", "user": "\\", "statusCode": -1}}"#,
            r#"{"timestamp": "2026-11-23T18:45:55+0000", "type": "passwordChange", "passwordChange": {"action": "Reset", "dn": "", "userSid": ""}}"#,
            r#"{"timestamp": "2026-11-23T18:45:55+0000", "type": "dsdbChange", "dsdbChange": {"operation": "Modify", "dn": "CN=x", "attributes": {"a": 1, "b": {"actions": 2}, "c": {"actions": [1, {"action": 5}, {"action": "add", "values": [null, 1, {"value": 2}, {"value": "<GUID=x"}, {"value": "<SID=S-1-5-18>;"}]}]}}}}"#,
            r#"{"timestamp": "2026-11-23T18:45:55+0000", "type": "dsdbChange", "dsdbChange": {"operation": "Add", "attributes": []}}"#,
            r#"{"timestamp": "9999-99-99T99:99:99+9999", "type": "dsdbChange", "dsdbChange": {}}"#,
            r#"{"type": "dsdbChange", "dsdbChange": 5}"#,
            "\u{0}\u{1}{",
            "JSON : {",
            "[2026/1",
        ];
        let (stats, sink) = read_bytes(lines.join("\n").as_bytes());
        assert_eq!(stats.events as usize, sink.events.len());
        assert!(!sink.warnings.is_empty());
    }
}
