//! Errors and warnings. Both always name the file, and where in it when that is known: a scan
//! over a thousand files is only useful if every complaint says which one.

use std::fmt;
use std::sync::Arc;

/// A file that cannot be read at all. Damage inside a readable file is a [`Warning`] instead.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: no such file or directory")]
    NotFound { path: Arc<str> },

    #[error("{path}: {source}")]
    Io {
        path: Arc<str>,
        #[source]
        source: std::io::Error,
    },

    /// A file named on the command line whose content is neither EVTX, JSON nor a capture.
    #[error("{path}: not a known event-log format (expected EVTX, JSON lines whose first character is '{{' or '[', or a pcap/pcapng capture)")]
    UnknownFormat { path: Arc<str> },

    /// A packet capture handed to the event-log reader: captures are read by the network
    /// sensor (`rampart_net::read`), which depends on this crate, not the other way round.
    #[error("{path}: a packet capture; packet captures are read by the network sensor (rampart-net), not by the event-log reader")]
    PacketCapture { path: Arc<str> },

    /// The file could not be opened as the format its content claimed.
    #[error("{path}: {}{message}", at(*offset))]
    Corrupt {
        path: Arc<str>,
        offset: Option<u64>,
        message: String,
    },

    /// The EVTX parser panicked on this file; what was read before is kept, the rest is lost.
    #[error("{path}: the EVTX parser failed unexpectedly ({message}); rest of the file skipped")]
    Panic { path: Arc<str>, message: String },
}

fn at(offset: Option<u64>) -> String {
    match offset {
        Some(o) => format!("offset {o:#x}: "),
        None => String::new(),
    }
}

impl IngestError {
    /// The file the error is about, as the user named it.
    pub fn path(&self) -> &str {
        match self {
            IngestError::NotFound { path }
            | IngestError::Io { path, .. }
            | IngestError::UnknownFormat { path }
            | IngestError::PacketCapture { path }
            | IngestError::Corrupt { path, .. }
            | IngestError::Panic { path, .. } => path,
        }
    }

    /// The byte offset in the file, when the error is about one place in it.
    pub fn offset(&self) -> Option<u64> {
        match self {
            IngestError::Corrupt { offset, .. } => *offset,
            _ => None,
        }
    }

    pub(crate) fn io(path: &Arc<str>, source: std::io::Error) -> IngestError {
        if source.kind() == std::io::ErrorKind::NotFound {
            IngestError::NotFound { path: path.clone() }
        } else {
            IngestError::Io {
                path: path.clone(),
                source,
            }
        }
    }
}

/// Something in a file that could not be read: a chunk, a record, a line. The reader skips it
/// and goes on.
///
/// Displays as `FILE: offset 0x1f000 (chunk 3): bad chunk magic, chunk skipped` for EVTX and
/// `FILE: line 12 (offset 0x3f0): …` for JSON lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The file, as the user named it.
    pub source: Arc<str>,
    /// Byte offset in the file (of the chunk, the record or the line), when known. For a
    /// gzipped file it is an offset in the decompressed content.
    pub offset: Option<u64>,
    /// The EVTX chunk number, for EVTX files.
    pub chunk: Option<u64>,
    /// The record's locator as [`rampart_core::Evidence::record`] uses it: EventRecordID for
    /// EVTX, the 1-based line number for JSON lines.
    pub record: Option<u64>,
    /// Whether `record` is a line number (JSON lines) rather than an EventRecordID.
    pub is_line: bool,
    pub message: String,
}

impl Warning {
    /// A warning about a whole file or an unknown place in it.
    pub fn file(source: &Arc<str>, message: impl Into<String>) -> Warning {
        Warning {
            source: source.clone(),
            offset: None,
            chunk: None,
            record: None,
            is_line: false,
            message: message.into(),
        }
    }

    /// A warning about one line of a JSON-lines file.
    pub fn line(source: &Arc<str>, line: u64, offset: u64, message: impl Into<String>) -> Warning {
        Warning {
            source: source.clone(),
            offset: Some(offset),
            chunk: None,
            record: Some(line),
            is_line: true,
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.source)?;
        let mut wrote = false;
        if self.is_line {
            if let Some(line) = self.record {
                write!(f, " line {line}")?;
                wrote = true;
            }
            if let Some(o) = self.offset {
                write!(f, " (offset {o:#x})")?;
                wrote = true;
            }
        } else {
            if let Some(o) = self.offset {
                write!(f, " offset {o:#x}")?;
                wrote = true;
            }
            if let Some(c) = self.chunk {
                write!(f, " (chunk {c})")?;
                wrote = true;
            }
            if let Some(r) = self.record {
                write!(f, "{} record {r}", if wrote { "," } else { "" })?;
                wrote = true;
            }
        }
        if wrote {
            f.write_str(":")?;
        }
        write!(f, " {}", self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_name_file_and_place() {
        let src: Arc<str> = Arc::from("logs/a.evtx");
        let w = Warning {
            offset: Some(0x1f000),
            chunk: Some(3),
            ..Warning::file(&src, "bad chunk magic, chunk skipped")
        };
        assert_eq!(
            w.to_string(),
            "logs/a.evtx: offset 0x1f000 (chunk 3): bad chunk magic, chunk skipped"
        );
        let w = Warning {
            record: Some(57),
            ..w
        };
        assert_eq!(
            w.to_string(),
            "logs/a.evtx: offset 0x1f000 (chunk 3), record 57: bad chunk magic, chunk skipped"
        );
        let l = Warning::line(&src, 12, 0x3f0, "not JSON");
        assert_eq!(
            l.to_string(),
            "logs/a.evtx: line 12 (offset 0x3f0): not JSON"
        );
        assert_eq!(Warning::file(&src, "x").to_string(), "logs/a.evtx: x");
    }

    #[test]
    fn errors_name_the_file() {
        let e = IngestError::Corrupt {
            path: Arc::from("x.evtx"),
            offset: Some(16),
            message: "bad header".into(),
        };
        assert_eq!(e.to_string(), "x.evtx: offset 0x10: bad header");
        assert_eq!(e.path(), "x.evtx");
        assert_eq!(e.offset(), Some(16));
    }
}
