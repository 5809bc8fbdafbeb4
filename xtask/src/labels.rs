//! Reading `labels.csv` (RFC 4180 CSV with a header line).

use anyhow::{bail, Context as _, Result};
use std::path::Path;

/// One labelled dataset file.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Path relative to the datasets folder, as written in the file.
    pub path: String,
    /// `evtx`, `json` or `pcap`.
    pub format: String,
    /// Class ids, in file order, duplicates removed.
    pub classes: Vec<String>,
}

impl Entry {
    /// The file name, without its folder.
    pub fn short(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    pub fn is_corrupt(&self) -> bool {
        self.classes.iter().any(|c| c == CORRUPT)
    }

    /// Labels naming an attack (everything but `benign` and `corrupt`).
    pub fn attack_classes(&self) -> impl Iterator<Item = &str> {
        self.classes
            .iter()
            .map(String::as_str)
            .filter(|c| !is_special(c))
    }
}

pub const BENIGN: &str = "benign";
pub const CORRUPT: &str = "corrupt";

pub fn is_special(class: &str) -> bool {
    class == BENIGN || class == CORRUPT
}

/// Reads `labels.csv`, keyed by its header names.
pub fn read(path: &Path) -> Result<Vec<Entry>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let rows = parse_csv(&text).with_context(|| format!("parsing {}", path.display()))?;
    let mut rows = rows.into_iter();
    let header = rows.next().context("empty file")?;
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .with_context(|| format!("no `{name}` column in {}", path.display()))
    };
    let (c_path, c_format, c_classes) = (col("path")?, col("format")?, col("classes")?);
    let mut out = Vec::new();
    for (i, row) in rows.enumerate() {
        if row.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let field = |c: usize| row.get(c).map(|s| s.trim()).unwrap_or("");
        let file_path = field(c_path);
        if file_path.is_empty() {
            bail!("{}: row {} has no path", path.display(), i + 2);
        }
        let mut classes: Vec<String> = Vec::new();
        for c in field(c_classes)
            .split(';')
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            if !classes.iter().any(|x| x == c) {
                classes.push(c.to_string());
            }
        }
        out.push(Entry {
            path: file_path.to_string(),
            format: field(c_format).to_ascii_lowercase(),
            classes,
        });
    }
    Ok(out)
}

/// Splits CSV text into rows of fields: quoted fields may hold commas, newlines and `""`.
fn parse_csv(text: &str) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                any = false;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        bail!("unterminated quoted field");
    }
    if any {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes() {
        let rows = parse_csv("a,b,c\r\n1,\"x, \"\"y\"\"\",3\n4,5,\"multi\nline\"").unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1], vec!["1", "x, \"y\"", "3"]);
        assert_eq!(rows[2][2], "multi\nline");
    }
}
