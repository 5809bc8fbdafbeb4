//! LDIF (RFC 2849) content records, as `ldapsearch` and `ldifde` write them: `attr: value`,
//! `attr:: base64`, folded lines, comments (including `# refldap://` continuation references
//! and `# pagedresults` cookies, which are comments to LDIF). Change records and `attr:< URL`
//! values are not directory content and are reported, not followed.
//!
//! Entries are streamed to a callback one at a time; a bad entry is an error naming the file
//! and line, and reading goes on with the next entry.

use crate::entry::{Builder, Entry};
use crate::model::Directory;
use base64::Engine as _;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// A problem with one entry (or the file).
#[derive(Debug, thiserror::Error)]
pub enum LdifError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Entry {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// What a read produced besides the entries.
#[derive(Debug, Default)]
pub struct LdifStats {
    pub entries: usize,
    /// Bad entries, each skipped whole.
    pub errors: Vec<LdifError>,
}

/// Bound on one logical (unfolded) line: a descriptor is a few KiB, a photo some hundred;
/// anything larger is damage, and the reader must not grow without limit on it.
const MAX_LOGICAL_LINE: usize = 16 << 20;

/// Reads an LDIF file, handing each entry to `sink`. Fails only if the file cannot be
/// opened or read; bad entries are in [`LdifStats::errors`].
pub fn read(path: &Path, sink: impl FnMut(Entry)) -> Result<LdifStats, LdifError> {
    let file = std::fs::File::open(path).map_err(|source| LdifError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_from(std::io::BufReader::new(file), path, sink)
}

/// Reads LDIF from any reader; `path` names it in errors.
pub fn read_from(
    mut r: impl BufRead,
    path: &Path,
    mut sink: impl FnMut(Entry),
) -> Result<LdifStats, LdifError> {
    let mut stats = LdifStats::default();
    let mut rec = Record::default();
    let mut raw = Vec::new();
    let mut lineno = 0usize;
    loop {
        raw.clear();
        let n = r
            .read_until(b'\n', &mut raw)
            .map_err(|source| LdifError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            break;
        }
        lineno += 1;
        while raw.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
            raw.pop();
        }
        if raw.is_empty() {
            rec.finish(path, &mut stats, &mut sink);
            continue;
        }
        if raw[0] == b' ' {
            // Continuation of the previous line (a comment's continuation stays a comment).
            match rec.lines.last_mut() {
                Some((_, l)) if !rec.in_comment => {
                    if l.len() + raw.len() > MAX_LOGICAL_LINE {
                        rec.fail(lineno, "line longer than 16 MiB");
                    } else {
                        l.extend_from_slice(&raw[1..]);
                    }
                }
                Some(_) => {}
                None if rec.in_comment => {}
                None => rec.fail(lineno, "continuation line without a line to continue"),
            }
            continue;
        }
        if raw[0] == b'#' {
            rec.in_comment = true;
            continue;
        }
        rec.in_comment = false;
        if rec.lines.is_empty() && rec.error.is_none() && raw.starts_with(b"version:") {
            continue;
        }
        rec.lines.push((lineno, raw.clone()));
    }
    rec.finish(path, &mut stats, &mut sink);
    Ok(stats)
}

/// Reads an LDIF file into a snapshot; bad entries become the snapshot's warnings.
pub fn load(path: &Path) -> Result<Directory, LdifError> {
    let mut b = Builder::new();
    b.source(format!("ldif:{}", path.display()));
    let stats = read(path, |e| b.add(&e))?;
    for err in stats.errors {
        b.warn(err.to_string());
    }
    Ok(b.finish())
}

#[derive(Default)]
struct Record {
    lines: Vec<(usize, Vec<u8>)>,
    in_comment: bool,
    error: Option<(usize, String)>,
}

impl Record {
    fn fail(&mut self, line: usize, msg: &str) {
        if self.error.is_none() {
            self.error = Some((line, msg.to_string()));
        }
    }

    fn finish(&mut self, path: &Path, stats: &mut LdifStats, sink: &mut impl FnMut(Entry)) {
        self.in_comment = false;
        let lines = std::mem::take(&mut self.lines);
        let error = self.error.take();
        if lines.is_empty() && error.is_none() {
            return;
        }
        let first = lines.first().map(|(n, _)| *n).unwrap_or(0);
        let result = match error {
            Some((line, message)) => Err((line, message)),
            None => parse_entry(&lines),
        };
        match result {
            Ok(e) => {
                stats.entries += 1;
                sink(e);
            }
            Err((line, message)) => stats.errors.push(LdifError::Entry {
                path: path.to_path_buf(),
                line: if line == 0 { first } else { line },
                message,
            }),
        }
    }
}

fn parse_entry(lines: &[(usize, Vec<u8>)]) -> Result<Entry, (usize, String)> {
    let mut entry: Option<Entry> = None;
    for (n, line) in lines {
        let (name, value) = parse_line(line).map_err(|m| (*n, m))?;
        match &mut entry {
            None => {
                if !name.eq_ignore_ascii_case("dn") {
                    return Err((*n, format!("entry starts with `{name}`, not `dn`")));
                }
                let dn =
                    String::from_utf8(value).map_err(|_| (*n, "dn is not UTF-8".to_string()))?;
                entry = Some(Entry::new(dn));
            }
            Some(e) => {
                if name.eq_ignore_ascii_case("changetype") {
                    return Err((*n, "change record, not directory content".to_string()));
                }
                e.push(&name, value);
            }
        }
    }
    entry.ok_or((0, "empty entry".to_string()))
}

fn parse_line(line: &[u8]) -> Result<(String, Vec<u8>), String> {
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(|| "line has no `:`".to_string())?;
    let name = std::str::from_utf8(&line[..colon])
        .map_err(|_| "attribute name is not UTF-8".to_string())?
        .trim();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b';' || b == b'=' || b == b'.')
    {
        return Err(format!("bad attribute name `{}`", name.escape_debug()));
    }
    let rest = &line[colon + 1..];
    let value = match rest.first() {
        Some(b':') => {
            let b64: Vec<u8> = rest[1..].iter().copied().filter(|b| *b != b' ').collect();
            base64::engine::general_purpose::STANDARD
                .decode(&b64)
                .map_err(|e| format!("{name}: bad base64: {e}"))?
        }
        Some(b'<') => return Err(format!("{name}: URL values (`:<`) are not read")),
        _ => {
            let v = rest.strip_prefix(b" ").unwrap_or(rest);
            let start = v.iter().position(|&b| b != b' ').unwrap_or(v.len());
            v[start..].to_vec()
        }
    };
    Ok((name.to_string(), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> (Vec<Entry>, LdifStats) {
        let mut v = Vec::new();
        let stats = read_from(s.as_bytes(), Path::new("t.ldif"), |e| v.push(e)).expect("read");
        (v, stats)
    }

    #[test]
    fn folding_base64_comments() {
        let (e, s) = parse(
            "version: 1\n\n# a comment\n#  folded comment\n dn: not a dn\ndn: CN=a,DC=x\ndescription: hello\n  world\nobjectSid:: AQ\n IAAAAAAAUgAAAAIAIAAA==\nmember;range=0-1: CN=b\r\n\n# refldap://x/CN=Configuration\n\n# pagedresults: cookie=\n",
        );
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].dn, "CN=a,DC=x");
        assert_eq!(e[0].text("description").as_deref(), Some("hello world"));
        assert_eq!(e[0].first("objectsid").map(|v| v.len()), Some(16));
        assert_eq!(e[0].text("member").as_deref(), Some("CN=b"));
    }

    #[test]
    fn bad_entry_is_reported_and_the_rest_read() {
        let (e, s) = parse("dn: CN=a\nx:: !!!\n\nnot an entry\n\ndn: CN=b\ncn: b\n\n dangling\n");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].dn, "CN=b");
        let msgs: Vec<String> = s.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs[0].starts_with("t.ldif:2: x: bad base64"), "{msgs:?}");
        assert!(msgs[1].starts_with("t.ldif:4:"), "{msgs:?}");
        assert!(msgs[2].starts_with("t.ldif:9:"), "{msgs:?}");
    }
}
