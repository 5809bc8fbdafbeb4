//! Reading rule files: folders walked recursively (sorted), each `.yml`/`.yaml` file split
//! into its YAML documents, each document a rule, a correlation, or a problem reported with
//! the file, line and column it is at.
//!
//! `sigma-rust` reports a rule it cannot read with a message but no position (its errors come
//! out of `serde` conversions after the YAML was parsed), so the position is found here: from
//! the YAML parser for syntax errors, else by looking up what the message names (the modifier,
//! the selection, the field, the condition) in the document's text.

use super::correlation::{self, CorrelationDef};
use super::logsource::{self, Source};
use serde::Deserialize;
use serde_norway::Value;
use std::fmt;
use std::path::{Path, PathBuf};

/// A rule document that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: String,
    /// 1-based; 0 when the file itself could not be read.
    pub line: usize,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}", self.file, self.message),
            (l, Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (l, None) => write!(f, "{}:{l}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for RuleError {}

/// A rule document that does not apply to Windows event logs, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRule {
    pub file: String,
    pub title: String,
    pub reason: String,
}

impl fmt::Display for SkippedRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.file, self.reason, self.title)
    }
}

/// What went wrong in a document, and a piece of its text that shows where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    /// Text to look for in the document (`|re|i`, `selection_x:`, `condition:`).
    pub token: Option<String>,
}

impl Problem {
    pub fn at(message: impl Into<String>, token: &str) -> Problem {
        Problem {
            message: message.into(),
            token: Some(token.to_string()),
        }
    }
}

/// One document of a rule file, understood.
pub enum Doc {
    Rule {
        rule: Box<sigma_rust::Rule>,
        sources: Vec<Source>,
        /// The rule's `level`, as written.
        level: Option<String>,
        line: usize,
    },
    Correlation {
        def: CorrelationDef,
        meta: Box<sigma_rust::Rule>,
        level: Option<String>,
        line: usize,
    },
    Skipped(SkippedRule),
    Failed(RuleError),
}

/// The message of a rule path that does not exist.
pub const NO_SUCH_PATH: &str = "no such file or folder";

/// The rule files under `paths` (files given directly are taken whatever their extension).
pub fn rule_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<RuleError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_file() {
            files.push(p.clone());
            continue;
        }
        if !p.is_dir() {
            errors.push(RuleError {
                file: p.display().to_string(),
                line: 0,
                column: None,
                message: NO_SUCH_PATH.to_string(),
            });
            continue;
        }
        let walk = walkdir::WalkDir::new(p)
            .follow_links(true)
            .sort_by_file_name();
        for entry in walk {
            match entry {
                Ok(e) if e.file_type().is_file() && is_yaml(e.path()) => files.push(e.into_path()),
                Ok(_) => {}
                Err(e) => errors.push(RuleError {
                    file: e
                        .path()
                        .map_or_else(|| p.display().to_string(), |x| x.display().to_string()),
                    line: 0,
                    column: None,
                    message: format!("cannot read: {e}"),
                }),
            }
        }
    }
    (files, errors)
}

fn is_yaml(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

/// The documents of one rule file.
pub fn parse_file(file: &str, text: &str) -> Vec<Doc> {
    let starts = doc_start_lines(text);
    let mut out = Vec::new();
    for (n, de) in serde_norway::Deserializer::from_str(text).enumerate() {
        let start = starts.get(n).copied().unwrap_or(1);
        let value = match Value::deserialize(de) {
            Ok(v) => v,
            Err(e) => {
                let (line, column) = e
                    .location()
                    .map_or((start, None), |l| (l.line(), Some(l.column())));
                out.push(Doc::Failed(RuleError {
                    file: file.to_string(),
                    line,
                    column,
                    message: format!("not valid YAML: {}", strip_position(&e.to_string())),
                }));
                // The parser cannot go on past a syntax error.
                break;
            }
        };
        if value.is_null() {
            continue; // an empty document (a trailing `---`)
        }
        out.push(parse_doc(file, text, start, value));
    }
    if out.is_empty() {
        out.push(Doc::Failed(RuleError {
            file: file.to_string(),
            line: 1,
            column: None,
            message: "the file holds no rule".to_string(),
        }));
    }
    out
}

/// Where each YAML document starts (1-based lines), by its `---` separators.
fn doc_start_lines(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_end();
        if t == "---" || t.starts_with("--- ") {
            starts.push(i + 2);
        } else if starts.is_empty() && !t.is_empty() && !t.trim_start().starts_with('#') {
            // Content before any separator: the first document starts at the top.
            starts.push(1);
        }
    }
    if starts.is_empty() {
        starts.push(1);
    }
    starts
}

fn parse_doc(file: &str, text: &str, start: usize, value: Value) -> Doc {
    let fail = |p: Problem| {
        let (line, column) = locate(text, start, &p);
        Doc::Failed(RuleError {
            file: file.to_string(),
            line,
            column,
            message: p.message,
        })
    };
    if !value.is_mapping() {
        return fail(Problem {
            message: "not a Sigma rule: the document is not a mapping".to_string(),
            token: None,
        });
    }
    let level = value
        .get("level")
        .and_then(Value::as_str)
        .map(str::to_string);
    let title = value
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("(untitled)")
        .to_string();
    if value.get("action").is_some() {
        return fail(Problem::at(
            "rule collections (`action: global`/`repeat`) are not supported: write each rule \
             as its own document",
            "action:",
        ));
    }
    if value.get("correlation").is_some() {
        let def = match correlation::parse(&value) {
            Ok(d) => d,
            Err(p) => return fail(p),
        };
        // Metadata (title, id, level, tags) read like a rule's, with a stand-in detection.
        let mut meta_value = value.clone();
        if let Some(m) = meta_value.as_mapping_mut() {
            m.remove("correlation");
            m.insert(
                Value::from("logsource"),
                serde_norway::from_str("{product: windows}").unwrap_or(Value::Null),
            );
            m.insert(
                Value::from("detection"),
                serde_norway::from_str("{never: {__correlation__: x}, condition: never}")
                    .unwrap_or(Value::Null),
            );
        }
        return match serde_norway::from_value::<sigma_rust::Rule>(meta_value) {
            Ok(meta) => Doc::Correlation {
                def,
                meta: Box::new(meta),
                level,
                line: line_of(text, start, "correlation:").map_or(start, |(l, _)| l),
            },
            Err(e) => fail(problem_of(&e.to_string())),
        };
    }
    let logsource = value.get("logsource");
    let field = |k: &str| logsource.and_then(|l| l.get(k)).and_then(Value::as_str);
    if logsource.is_some() {
        if let Err(reason) =
            logsource::sources(field("product"), field("service"), field("category"))
        {
            return Doc::Skipped(SkippedRule {
                file: file.to_string(),
                title,
                reason,
            });
        }
    }
    match value.get("status").and_then(Value::as_str) {
        Some("deprecated") | Some("unsupported") => {
            return Doc::Skipped(SkippedRule {
                file: file.to_string(),
                title,
                reason: format!(
                    "status `{}`",
                    value.get("status").and_then(Value::as_str).unwrap_or("")
                ),
            })
        }
        _ => {}
    }
    let ids = value
        .get("detection")
        .map(super::condition::event_ids)
        .unwrap_or(super::condition::Ids::Any);
    let rule: sigma_rust::Rule = match serde_norway::from_value(value) {
        Ok(r) => r,
        Err(e) => return fail(problem_of(&e.to_string())),
    };
    let mut sources = match logsource::sources(
        rule.logsource.product.as_deref(),
        rule.logsource.service.as_deref(),
        rule.logsource.category.as_deref(),
    ) {
        Ok(s) => s,
        Err(reason) => return fail(Problem::at(reason, "logsource:")),
    };
    // Narrow to the event ids the detection can match.
    if let super::condition::Ids::Some(ids) = ids {
        for s in &mut sources {
            s.ids = Some(match s.ids.take() {
                None => ids.iter().copied().collect(),
                Some(have) => have.into_iter().filter(|i| ids.contains(i)).collect(),
            });
        }
    }
    Doc::Rule {
        rule: Box::new(rule),
        sources,
        level,
        line: start,
    }
}

/// The message of a `sigma-rust` or `serde` error, with what to look for in the text.
fn problem_of(message: &str) -> Problem {
    let message = strip_position(message);
    let quoted = |open: char, close: char| -> Option<String> {
        let a = message.find(open)? + open.len_utf8();
        let b = message[a..].find(close)? + a;
        Some(message[a..b].to_string())
    };
    let token = if message.contains("in condition")
        || message.contains("Condition references")
        || message.contains("closing parenthesis")
    {
        Some("condition:".to_string())
    } else if let Some(m) = message
        .strip_prefix("Unknown field modifier '")
        .and_then(|r| r.split('\'').next())
    {
        Some(format!("|{m}"))
    } else if message.starts_with("The field modifiers '") {
        quoted('\'', '\'').map(|m| format!("|{m}"))
    } else if let Some(s) = message
        .strip_prefix("Selection '")
        .and_then(|r| r.split('\'').next())
    {
        Some(format!("{s}:"))
    } else if message.starts_with("Failed to parse regular expression") {
        // regex's message quotes the pattern on its second line.
        message
            .lines()
            .nth(1)
            .map(|l| l.trim().chars().take(40).collect::<String>())
            .filter(|s| !s.is_empty())
            .or_else(|| Some("|re".to_string()))
    } else if message.contains("missing field") {
        None
    } else if let Some(f) = message
        .rsplit("for field: '")
        .next()
        .filter(|_| message.contains("for field: '"))
    {
        Some(f.trim_end_matches('\'').to_string())
    } else {
        quoted('`', '`').or_else(|| quoted('\'', '\''))
    };
    Problem { message, token }
}

/// `serde_norway` writes ` at line L column C` into its messages; the position is reported
/// separately.
fn strip_position(message: &str) -> String {
    let Some(at) = message.find(" at line ") else {
        return message.to_string();
    };
    let rest = &message[at + " at line ".len()..];
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let n = digits(rest);
    let Some(after) = rest[n..].strip_prefix(" column ") else {
        return message.to_string();
    };
    let m = digits(after);
    if n == 0 || m == 0 {
        return message.to_string();
    }
    format!("{}{}", &message[..at], &after[m..])
}

/// The line and column of a problem's token in the document starting at line `start`.
fn locate(text: &str, start: usize, p: &Problem) -> (usize, Option<usize>) {
    // An undefined identifier: its place in the condition.
    if let Some(name) = p
        .message
        .split_once("undefined identifiers: '[\"")
        .and_then(|(_, rest)| rest.split('"').next())
    {
        if let Some((line, col)) = line_of(text, start, "condition:") {
            let in_line = text.lines().nth(line - 1).unwrap_or_default();
            let at = in_line[col - 1..]
                .find(name)
                .map_or(col, |i| col + in_line[col - 1..col - 1 + i].chars().count());
            return (line, Some(at));
        }
    }
    let found = p.token.as_deref().and_then(|t| {
        if t.starts_with('|') {
            // A modifier: `|i:` or `|i|` before a bare `|i` (which `|int…` would match).
            line_of(text, start, &format!("{t}:"))
                .or_else(|| line_of(text, start, &format!("{t}|")))
                .or_else(|| line_of(text, start, t))
        } else {
            line_of(text, start, t)
        }
    });
    found.map_or((start, None), |(l, c)| (l, Some(c)))
}

/// The first line (1-based) at or after `start` containing `token` (ASCII case ignored), and
/// its column (1-based).
fn line_of(text: &str, start: usize, token: &str) -> Option<(usize, usize)> {
    let lower = token.to_ascii_lowercase();
    text.lines()
        .enumerate()
        .skip(start.saturating_sub(1))
        .find_map(|(i, line)| {
            let at = line.to_ascii_lowercase().find(&lower)?;
            Some((i + 1, line[..at].chars().count() + 1))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(text: &str) -> RuleError {
        match parse_file("r.yml", text).remove(0) {
            Doc::Failed(e) => e,
            _ => panic!("loaded"),
        }
    }

    const HEAD: &str = "title: t\nid: x1\nlogsource:\n  product: windows\n  service: security\n";

    #[test]
    fn errors_name_the_line() {
        let e = failed(&format!(
            "{HEAD}detection:\n  sel:\n    EventID: 1\n    Image: 'a|ifoo'\n    Image|re|i: 'x'\n  condition: sel\n"
        ));
        assert_eq!((e.line, e.column), (10, Some(13)), "{e}");
        assert!(e.message.contains("modifier 'i'"), "{e}");
        let e = failed(&format!(
            "{HEAD}detection:\n  sel:\n    EventID: 1\n  condition: sel and nope\n"
        ));
        assert_eq!((e.line, e.column), (9, Some(22)), "{e}");
        assert!(e.message.contains("nope"), "{e}");
        let e = failed(&format!("{HEAD}detection:\n  sel: [\n  condition: sel\n"));
        assert!(e.message.starts_with("not valid YAML"), "{e}");
        assert!(
            !e.message.contains(&format!("at line {} column", e.line)),
            "{e}"
        );
        assert!(e.line >= 7 && e.column.is_some(), "{e}");
        let e = failed("title: t\nlogsource: {product: windows, service: security}\n");
        assert!(e.message.contains("detection"), "{e}");
        assert_eq!(e.to_string(), format!("r.yml:1: {}", e.message));
    }

    #[test]
    fn other_products_are_skipped() {
        let docs = parse_file(
            "r.yml",
            "title: t\nlogsource: {product: linux, category: process_creation}\ndetection: {s: {a: b}, condition: s}\n",
        );
        assert!(matches!(&docs[0], Doc::Skipped(s) if s.reason.contains("linux")));
    }

    #[test]
    fn documents_are_split() {
        let text = format!(
            "{HEAD}detection: {{s: {{EventID: 4624}}, condition: s}}\n---\n{HEAD}detection: {{s: {{EventID: 4625}}, condition: x}}\n"
        );
        let docs = parse_file("r.yml", &text);
        assert_eq!(docs.len(), 2);
        assert!(
            matches!(&docs[0], Doc::Rule { sources, .. } if sources[0].ids == Some(vec![4624]))
        );
        let Doc::Failed(e) = &docs[1] else {
            panic!("loaded")
        };
        assert_eq!(e.line, 13, "{e}");
    }
}
