//! Event-log sources for Rampart.
//!
//! Readers turn a file into [`WinEvent`]s (a Windows event with its system header and its
//! `EventData` as name/value pairs, whatever the file format), and the mappers in [`mappers`]
//! (one file per Windows event family) turn those into [`IdentityEvent`]s. Samba AD DC audit
//! logs take their own path: [`samba`] reads the JSON records and [`mappers::samba`] maps them
//! into the same events. Readers never decide what is an attack; mappers only say what happened.
//!
//! ```text
//! discover(paths) ─► InputFile ─► read_file ─► evtx.rs | json.rs ─► WinEvent ─► mappers ─────────► EventSink
//!                                          └─► samba.rs ─► SambaRecord ─► mappers::samba ─┘
//! ```
//!
//! - [`discover()`] / [`discover_all`]: files given and folders walked (sorted), formats sniffed
//!   from content (`ElfFile\0`; a Samba audit record's `timestamp`/`type`; `{`/`[`), `.gz`
//!   looked into.
//! - [`read_file`]: one file into an [`EventSink`], in record order, in batches. Damage inside
//!   a file is a [`Warning`] and reading goes on; an [`IngestError`] only when the file cannot
//!   be read at all (or the EVTX parser panicked on it).
//! - [`mappers`]: one file per Windows event family (logon, kerberos, ntlm, directory,
//!   account, group, service, task, log_cleared, process, sysmon, share, sam, dns,
//!   object_access, winrm), each documenting the event ids it maps and what they become.
//!
//! Invariant: nothing here panics on input, and nothing here decides what is an attack.

pub mod discover;
pub mod error;
pub mod evtx;
pub mod json;
pub mod mappers;
pub mod raw;
pub mod samba;
pub mod winevent;

pub use discover::{discover, discover_all, Discovery, Format, InputFile, Skipped};
pub use error::{IngestError, Warning};
pub use raw::RawSelect;
pub use winevent::WinEvent;

use rampart_core::IdentityEvent;

/// Options for reading one file.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Threads the EVTX parser may use for one file (chunks are parsed in parallel).
    pub threads: usize,
    /// Records to deliver also as [`EventKind::RawRecord`](rampart_core::EventKind::RawRecord)
    /// events, for rule matching (Sigma). `None`, the default, keeps none and costs nothing.
    pub raw: Option<std::sync::Arc<RawSelect>>,
    /// Whether an uncompressed capture file may be memory-mapped (the default) rather than
    /// read through a buffer: records are then parsed in the page cache with no copy. A file
    /// cut short by another process while it is mapped ends this one (`SIGBUS`), so the
    /// option exists for captures that are being rotated or truncated as they are read.
    pub mmap: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            threads: 1,
            raw: None,
            mmap: true,
        }
    }
}

/// Counts for one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Records read (EVTX records, JSON lines holding an event).
    pub records: u64,
    /// Identity events produced.
    pub events: u64,
    /// Records of an event id no mapper handles: counted, not errors.
    pub unknown: u64,
    /// Records also delivered as raw records ([`ReadOptions::raw`]); not counted in `events`.
    pub raw: u64,
    /// Records or chunks that could not be read (each reported as a [`Warning`]).
    pub skipped: u64,
    /// Bytes of the file (compressed size for `.gz`).
    pub bytes: u64,
    /// Payloads recognised as encrypted and left unread (packet captures: sealed LDAP, SMB3
    /// encryption, sealed DCE/RPC): counted, never guessed at.
    pub encrypted: u64,
}

impl ReadStats {
    pub fn add(&mut self, o: &ReadStats) {
        self.records += o.records;
        self.events += o.events;
        self.unknown += o.unknown;
        self.raw += o.raw;
        self.skipped += o.skipped;
        self.bytes += o.bytes;
        self.encrypted += o.encrypted;
    }
}

/// Where a reader delivers what it read. Events come in batches, in record order.
pub trait EventSink {
    /// Receives a batch of events. Returning `false` asks the reader to stop early.
    fn events(&mut self, batch: Vec<IdentityEvent>) -> bool;
    /// A record, chunk or line that could not be read; the reader goes on with the rest.
    fn warning(&mut self, warning: Warning);
    /// Progress: records read so far in this file (called every few thousand records).
    fn progress(&mut self, _records: u64) {}
}

/// Reads one file, delivering its events to `sink`. A damaged record or chunk is reported as a
/// warning and skipped; only a file that cannot be read at all is an error. Packet captures
/// ([`Format::Pcap`]) are discovered here but read by the network sensor (`rampart_net::read`):
/// this returns [`IngestError::PacketCapture`] for them.
pub fn read_file(
    file: &InputFile,
    opts: &ReadOptions,
    sink: &mut dyn EventSink,
) -> Result<ReadStats, IngestError> {
    match file.format {
        Format::Evtx => evtx::read(file, opts, sink),
        Format::JsonLines => json::read(file, opts, sink),
        Format::SambaAudit => samba::read(file, opts, sink),
        Format::Pcap => Err(IngestError::PacketCapture {
            path: file.display.clone(),
        }),
    }
}
