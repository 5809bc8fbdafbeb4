//! Allow-lists: known-good accounts and hosts, per detector, so an analyst can silence a known
//! scanner or a replication tool without turning a detector off.
//!
//! Format (one rule per line; `#` starts a comment; fields separated by whitespace):
//!
//! ```text
//! # detector-or-kind  field   value
//! dcsync              actor   CORP\MSOL_5f2e9a1c      # Azure AD Connect replicates by design
//! account_enum        source  10.0.5.20               # the vulnerability scanner
//! *                   host    LAB-DC01                # a lab DC nobody defends
//! kerberoasting       target  svc_legacy*             # '*' matches any run of characters
//! ```
//!
//! `field` is one of `actor` (the acting account), `source` (source host name or address),
//! `target` (a targeted account or object), `host` (the machine that recorded the events).
//! Values match case-insensitively; an account value without a domain matches any domain. An
//! alert is suppressed when any rule of its detector (or kind, or `*`) matches it. Sigma rules'
//! alerts are scoped `sigma:<rule id>` (one rule) or `sigma` (all of them).

use rampart_core::{Alert, EntityRef, EntityRole};
use std::fmt;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Actor,
    Source,
    Target,
    Host,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// A detector name, an alert kind, or `*`.
    pub scope: String,
    pub field: Field,
    /// Lower-case pattern; `*` matches any run of characters.
    pub pattern: String,
    /// Where the rule came from (`file:line`), for reporting.
    pub origin: String,
}

#[derive(Debug, Clone, Default)]
pub struct AllowList {
    rules: Vec<Rule>,
}

/// A line of an allow-list that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for AllowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for AllowError {}

impl AllowList {
    /// Reads an allow-list file. `known` are the detector names and kind ids a scope may name.
    pub fn load(path: &Path, known: &[&str]) -> Result<AllowList, AllowError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| AllowError {
            file: file.clone(),
            line: 0,
            message: format!("cannot read the allow-list: {e}"),
        })?;
        AllowList::parse(&text, &file, known)
    }

    pub fn parse(text: &str, file: &str, known: &[&str]) -> Result<AllowList, AllowError> {
        let mut rules = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let err = |message: String| AllowError {
                file: file.to_string(),
                line,
                message,
            };
            let mut parts = content.split_whitespace();
            let (Some(scope), Some(field), Some(value)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(err(
                    "expected `DETECTOR FIELD VALUE` (e.g. `dcsync actor CORP\\svc_sync`)".into(),
                ));
            };
            if let Some(extra) = parts.next() {
                return Err(err(format!(
                    "unexpected `{extra}` after the value (values cannot contain spaces; use `*`)"
                )));
            }
            if scope != "*" && !known.contains(&scope) && !scope.starts_with("sigma:") {
                return Err(err(format!(
                    "unknown detector or kind `{scope}` (see `rampart detectors`)"
                )));
            }
            let field = match field.to_ascii_lowercase().as_str() {
                "actor" => Field::Actor,
                "source" => Field::Source,
                "target" => Field::Target,
                "host" => Field::Host,
                other => {
                    return Err(err(format!(
                        "unknown field `{other}` (expected actor, source, target or host)"
                    )))
                }
            };
            rules.push(Rule {
                scope: scope.to_string(),
                field,
                pattern: value.to_ascii_lowercase(),
                origin: format!("{file}:{line}"),
            });
        }
        Ok(AllowList { rules })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// The first rule that silences this alert, if any.
    pub fn matching(&self, alert: &Alert) -> Option<&Rule> {
        self.rules.iter().find(|r| {
            (r.scope == "*"
                || r.scope == alert.detector
                || r.scope == alert.kind.as_str()
                // `sigma` covers every Sigma rule (`sigma:<rule id>`).
                || alert.detector.split_once(':').is_some_and(|(d, _)| d == r.scope))
                && values(alert, r.field).iter().any(|v| glob(&r.pattern, v))
        })
    }
}

/// The alert's values for a field, lower-case, in every form a rule may name them.
fn values(alert: &Alert, field: Field) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |s: &str| {
        let s = s.to_ascii_lowercase();
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    };
    for e in &alert.entities {
        match (field, e) {
            (
                Field::Actor,
                EntityRef::Account {
                    role: EntityRole::Actor,
                    account,
                    ..
                },
            )
            | (
                Field::Target,
                EntityRef::Account {
                    role: EntityRole::Target,
                    account,
                    ..
                },
            ) => {
                push(&account.name);
                push(&account.to_string());
                if let Some(sid) = &account.sid {
                    push(sid);
                }
            }
            (
                Field::Source,
                EntityRef::Host {
                    role: EntityRole::Source,
                    host,
                    ..
                },
            )
            | (
                Field::Host,
                EntityRef::Host {
                    role: EntityRole::Observer,
                    host,
                    ..
                },
            ) => {
                if let Some(n) = &host.name {
                    push(n);
                    push(n.split('.').next().unwrap_or(n));
                }
                if let Some(ip) = host.ip {
                    push(&ip.to_string());
                }
            }
            _ => {}
        }
    }
    match field {
        Field::Actor => {
            if let Some(a) = &alert.actor {
                push(a);
            }
        }
        Field::Source => {
            if let Some(s) = &alert.source_host {
                push(s);
            }
        }
        Field::Target => {
            for t in &alert.targets {
                push(t);
            }
        }
        Field::Host => {}
    }
    out
}

/// Case-folded glob with `*` only.
fn glob(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == value;
    }
    let mut rest = value;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(p) => rest = &rest[p + part.len()..],
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::{AlertKind, EventKind, Severity};

    const KNOWN: &[&str] = &["dcsync", "account_enum", "kerberoasting"];

    fn dcsync_by(name: &str) -> Alert {
        let e = ev(0, 4662, EventKind::PasswordReset);
        let mut a = Alert::new(AlertKind::Dcsync, Severity::Critical, &e).actor(&acct(name), false);
        a.detector = "dcsync".into();
        a
    }

    #[test]
    fn rules_match_by_detector_field_and_glob() {
        let allow = AllowList::parse(
            "# sync\ndcsync actor CORP\\MSOL_*   # AAD Connect\n* source 10.0.5.20\n",
            "allow.txt",
            KNOWN,
        )
        .unwrap();
        assert_eq!(allow.len(), 2);
        assert!(allow.matching(&dcsync_by("MSOL_5f2e")).is_some());
        assert!(allow.matching(&dcsync_by("eyoung")).is_none());
    }

    #[test]
    fn sigma_rules_are_scoped_by_rule_or_all() {
        let mut a = dcsync_by("scanner");
        a.detector = "sigma:abc-123".into();
        let one = AllowList::parse("sigma:abc-123 actor scanner", "a", KNOWN).unwrap();
        assert!(one.matching(&a).is_some());
        let all = AllowList::parse("sigma actor scanner", "a", &["sigma"]).unwrap();
        assert!(all.matching(&a).is_some());
        let other = AllowList::parse("sigma:zzz actor scanner", "a", KNOWN).unwrap();
        assert!(other.matching(&a).is_none());
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let e =
            AllowList::parse("dcsync actor x\nbogus actor y\n", "allow.txt", KNOWN).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.to_string().starts_with("allow.txt:2: unknown detector"));
        let e = AllowList::parse("dcsync who x", "a", KNOWN).unwrap_err();
        assert!(e.message.contains("unknown field"));
        let e = AllowList::parse("dcsync actor", "a", KNOWN).unwrap_err();
        assert!(e.message.contains("expected"));
    }

    #[test]
    fn globs() {
        assert!(glob("svc_*", "svc_sql"));
        assert!(glob("*sql", "svc_sql"));
        assert!(glob("s*_*l", "svc_sql"));
        assert!(!glob("svc_*", "admin"));
        assert!(glob("exact", "exact"));
    }
}
