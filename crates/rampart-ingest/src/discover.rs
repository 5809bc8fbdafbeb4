//! Finding the input files: paths given by the user, folders walked recursively, formats
//! sniffed from content (never from the extension: exported logs are renamed all the time).

use crate::error::IngestError;
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file's event-log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Windows XML Event Log (`ElfFile\0` magic).
    Evtx,
    /// One JSON object per line (or one top-level JSON array of objects).
    JsonLines,
    /// Samba's JSON audit log (`auth_json_audit`, `dsdb_*_json_audit`): one record per line,
    /// `{"timestamp": …, "type": "Authentication", "Authentication": {…}}`, as Samba writes it
    /// (indented, between debug headers) or extracted to JSON lines.
    SambaAudit,
    /// A packet capture: pcap (either byte order, microsecond or nanosecond timestamps) or
    /// pcapng. Read by the network sensor (`rampart_net::read`), not by this crate.
    Pcap,
}

impl Format {
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Evtx => "evtx",
            Format::JsonLines => "json",
            Format::SambaAudit => "samba-audit",
            Format::Pcap => "pcap",
        }
    }
}

/// A file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    /// The path as the user gave it (joined with the relative path for a file found in a
    /// folder): what warnings, errors and evidence name.
    pub display: Arc<str>,
    pub format: Format,
    /// Gzip-compressed (the format is that of the decompressed content).
    pub compressed: bool,
    /// Size on disk in bytes.
    pub size: u64,
}

/// A file inside a folder that is not an event log, skipped (not an error: folders hold
/// READMEs, CSVs and pcaps next to logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub display: Arc<str>,
    pub reason: String,
}

/// Everything [`discover_all`] found.
#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<InputFile>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<IngestError>,
}

/// The input files of `paths`, in a deterministic order, and the paths that could not be used.
/// Files of unknown format inside folders are left out silently; use [`discover_all`] to
/// report them.
pub fn discover(paths: &[PathBuf]) -> (Vec<InputFile>, Vec<IngestError>) {
    let d = discover_all(paths);
    (d.files, d.errors)
}

/// Like [`discover`], also listing the files inside folders that were skipped.
///
/// - A file named explicitly must be EVTX or JSON (possibly gzipped), else it is an error.
/// - A folder is walked recursively in file-name order; files of unknown format are skipped.
/// - A path that does not exist is an error.
pub fn discover_all(paths: &[PathBuf]) -> Discovery {
    let mut d = Discovery::default();
    for given in paths {
        let given_display: Arc<str> = Arc::from(given.to_string_lossy().as_ref());
        let meta = match std::fs::metadata(given) {
            Ok(m) => m,
            Err(e) => {
                d.errors.push(IngestError::io(&given_display, e));
                continue;
            }
        };
        if meta.is_dir() {
            walk_folder(given, &mut d);
            continue;
        }
        match sniff(given) {
            Ok(Some((format, compressed))) => d.files.push(InputFile {
                path: given.clone(),
                display: given_display,
                format,
                compressed,
                size: meta.len(),
            }),
            Ok(None) => d.errors.push(IngestError::UnknownFormat {
                path: given_display,
            }),
            Err(e) => d.errors.push(IngestError::io(&given_display, e)),
        }
    }
    d
}

fn walk_folder(root: &Path, d: &mut Discovery) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let p = e.path().unwrap_or(root).to_path_buf();
                let display: Arc<str> = Arc::from(p.to_string_lossy().as_ref());
                let io = e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("file system loop"));
                d.errors.push(IngestError::io(&display, io));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path().to_path_buf();
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let display: Arc<str> = Arc::from(root.join(rel).to_string_lossy().as_ref());
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        match sniff(&path) {
            Ok(Some((format, compressed))) => d.files.push(InputFile {
                path,
                display,
                format,
                compressed,
                size,
            }),
            Ok(None) => d.skipped.push(Skipped {
                path,
                display,
                reason: "neither an event log (EVTX, JSON) nor a packet capture".to_string(),
            }),
            Err(e) => d.errors.push(IngestError::io(&display, e)),
        }
    }
}

/// Bytes looked at to decide a format.
const SNIFF_LEN: usize = 4096;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
pub(crate) const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

/// The format of the file at `path`, `None` when it is not one we read.
pub fn sniff(path: &Path) -> std::io::Result<Option<(Format, bool)>> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    File::open(path)?
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)?;
    if head.starts_with(&GZIP_MAGIC) {
        let mut inner = Vec::with_capacity(SNIFF_LEN);
        // A truncated or damaged gzip stream sniffs as unknown rather than failing the scan.
        let _ = MultiGzDecoder::new(File::open(path)?)
            .take(SNIFF_LEN as u64)
            .read_to_end(&mut inner);
        return Ok(sniff_bytes(&inner).map(|f| (f, true)));
    }
    Ok(sniff_bytes(&head).map(|f| (f, false)))
}

/// The format of content starting with `head`.
pub fn sniff_bytes(head: &[u8]) -> Option<Format> {
    if head.starts_with(EVTX_MAGIC) {
        return Some(Format::Evtx);
    }
    if is_capture_magic(head) {
        return Some(Format::Pcap);
    }
    if let Some(text) = utf16_text(head) {
        // Windows PowerShell's `Out-File` writes UTF-16 (`Get-WinEvent | ConvertTo-Json`).
        return match text.chars().find(|c| !c.is_whitespace()) {
            Some('{') | Some('[') => Some(Format::JsonLines),
            _ => None,
        };
    }
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if crate::samba::looks_like_samba_audit(body) {
        return Some(Format::SambaAudit);
    }
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => Some(Format::JsonLines),
        _ => None,
    }
}

/// pcapng's section header block type, and the pcap magics in both byte orders (microsecond,
/// nanosecond and the "modified" format).
fn is_capture_magic(head: &[u8]) -> bool {
    let Some(m) = head.get(..4) else {
        return false;
    };
    matches!(
        m,
        [0x0a, 0x0d, 0x0d, 0x0a]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0x34, 0xcd, 0xb2, 0xa1]
    )
}

/// The text of UTF-16 content (little- or big-endian, told by its byte-order mark); `None`
/// when it has no UTF-16 byte-order mark. Unpaired surrogates become U+FFFD.
pub fn utf16_text(bytes: &[u8]) -> Option<String> {
    let (body, little) = if let Some(b) = bytes.strip_prefix(b"\xff\xfe") {
        (b, true)
    } else if let Some(b) = bytes.strip_prefix(b"\xfe\xff") {
        (b, false)
    } else {
        return None;
    };
    let units = body.chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, content).unwrap();
        p
    }

    fn gz(content: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(content).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff_bytes(b"ElfFile\0rest"), Some(Format::Evtx));
        assert_eq!(sniff_bytes(b"  \n{\"a\":1}"), Some(Format::JsonLines));
        assert_eq!(sniff_bytes(b"\xef\xbb\xbf[{}]"), Some(Format::JsonLines));
        assert_eq!(
            sniff_bytes(b"\xff\xfe\r\0\n\0[\0{\0"),
            Some(Format::JsonLines)
        );
        assert_eq!(sniff_bytes(b"\xfe\xff\0{\0}"), Some(Format::JsonLines));
        assert_eq!(sniff_bytes(b"\xff\xfeh\0i\0"), None);
        assert_eq!(sniff_bytes(b"path,format\n"), None);
        assert_eq!(sniff_bytes(b""), None);
        for magic in [
            [0x0a, 0x0d, 0x0d, 0x0a],
            [0xa1, 0xb2, 0xc3, 0xd4],
            [0xd4, 0xc3, 0xb2, 0xa1],
            [0xa1, 0xb2, 0x3c, 0x4d],
            [0x4d, 0x3c, 0xb2, 0xa1],
        ] {
            assert_eq!(sniff_bytes(&magic), Some(Format::Pcap), "{magic:x?}");
        }
        assert_eq!(sniff_bytes(&[0xa1, 0xb2]), None);
    }

    #[test]
    fn walks_folders_in_order_and_skips_unknown_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "b.log", b"{\"EventID\":4624}\n");
        write(root, "a/x.evtx", b"ElfFile\0....");
        write(root, "a/readme.txt", b"hello");
        write(root, "c.json.gz", &gz(b"{\"EventID\":1}\n"));
        write(root, "d.gz", &gz(b"ElfFile\0"));
        write(root, "e.cap.gz", &gz(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]));

        let d = discover_all(&[root.to_path_buf()]);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let names: Vec<_> = d
            .files
            .iter()
            .map(|f| {
                f.path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .to_string()
            })
            .collect();
        assert_eq!(
            names,
            ["a/x.evtx", "b.log", "c.json.gz", "d.gz", "e.cap.gz"]
        );
        assert!(d.files[4].compressed && d.files[4].format == Format::Pcap);
        assert_eq!(d.files[0].format, Format::Evtx);
        assert_eq!(d.files[1].format, Format::JsonLines);
        assert!(d.files[2].compressed && d.files[2].format == Format::JsonLines);
        assert!(d.files[3].compressed && d.files[3].format == Format::Evtx);
        assert_eq!(
            d.files[0].display.as_ref(),
            root.join("a/x.evtx").to_string_lossy()
        );
        assert_eq!(d.skipped.len(), 1);
        assert!(d.skipped[0].display.ends_with("readme.txt"));
    }

    #[test]
    fn explicit_files_must_be_known_and_exist() {
        let dir = tempfile::tempdir().unwrap();
        let txt = write(dir.path(), "notes.txt", b"just text");
        let ok = write(dir.path(), "events", b"[{\"EventID\":4624}]");
        let missing = dir.path().join("nope.evtx");
        let (files, errors) = discover(&[txt.clone(), ok.clone(), missing.clone()]);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, ok);
        assert_eq!(files[0].display.as_ref(), ok.to_string_lossy());
        assert_eq!(errors.len(), 2);
        assert!(matches!(errors[0], IngestError::UnknownFormat { .. }));
        assert!(errors[0].to_string().contains("notes.txt"));
        assert!(matches!(errors[1], IngestError::NotFound { .. }));
        assert!(errors[1].to_string().contains("nope.evtx"));
    }
}
