//! Samba AD DC audit records (the reader is [`crate::samba`]), one file per record family:
//! [`auth`] for `Authentication` and `Authorization`, [`dsdb`] for `passwordChange`,
//! `groupChange` and `dsdbChange`. `dsdbTransaction` (commit/rollback timings) and
//! `replicatedUpdate` (inbound replication from another DC) say nothing about an identity and
//! count as unknown, as do types later Samba versions may add.
//!
//! Each Samba record is mapped as the record a Windows DC writes for the same step:
//!
//! | record | becomes | like |
//! |--------|---------|------|
//! | `Authentication` by the `Kerberos KDC` | [`EventKind::KerberosTgtRequest`] | 4768 / 4771 |
//! | `Authentication` by anything else (NTLMSSP over SMB, LDAP, DCE/RPC; `SamLogon` pass-through; NETLOGON `ServerAuthenticate`; LDAP simple bind) | [`EventKind::NtlmAuth`] | 4776 (Windows DCs validate simple-bind passwords with the same package) |
//! | `Authorization` (a session was set up) | [`EventKind::Logon`] | 4624 |
//! | `passwordChange` `Change` / `Reset` | [`EventKind::PasswordChange`] / [`EventKind::PasswordReset`] | 4723 / 4724 |
//! | `groupChange` `Added` / `Removed` / `PrimaryGroup` | [`EventKind::GroupMembershipChange`] | 4728/4729, 4732/4733, 4756/4757, … |
//! | `dsdbChange` `Add` / `Modify` / `Delete` / `Rename` | [`EventKind::DirectoryChange`], one per attribute value | 5137 + 5136 / 5136 / 5141 / 5139 |
//!
//! Roles: actor = the authenticating account (`becameAccount`/`becameSid`, else
//! `mappedAccount`, else `clientAccount`) or the session user of a directory change
//! (`userSid`, named from the authentications of the same file when they showed that SID);
//! source = `remoteAddress` (and the client's `workstation` where it is the client's); target =
//! the account or group a change was made to (named by its DN's first RDN, its domain by the
//! DN's `DC=` components); observer = the server's name once the file told it (see
//! [`SambaContext`]), never guessed.

pub mod auth;
pub mod dsdb;

use rampart_core::{Account, EventKind, Evidence, IdentityEvent, Outcome, Timestamp};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// One Samba audit record.
#[derive(Debug, Clone, Copy)]
pub struct SambaRecord<'a> {
    pub time: Timestamp,
    /// The record type (`Authentication`, `groupChange`, …).
    pub kind: &'a str,
    /// The object under the type's name.
    pub body: &'a Map<String, Value>,
    /// The 1-based line number in its file.
    pub line: u64,
}

/// Bound on the SIDs remembered per file.
const MAX_NAMES: usize = 100_000;

/// What the records of one file tell about its other records. Samba writes one audit log per
/// server, so a fact of one record holds for the whole file.
#[derive(Debug, Default)]
pub struct SambaContext {
    server: Option<String>,
    /// Accounts by upper-case SID, from authentications and authorizations.
    names: HashMap<String, Account>,
}

impl SambaContext {
    /// The name of the server that wrote the file, once a record told it.
    pub fn server(&self) -> Option<&str> {
        self.server.as_deref()
    }

    pub(crate) fn learn_server(&mut self, name: &str) {
        let name = name.trim();
        if !name.is_empty() && self.server.as_deref() != Some(name) {
            self.server = Some(name.to_string());
        }
    }

    /// Remembers the name of an account that carries a SID.
    pub(crate) fn learn_account(&mut self, account: &Account) {
        let Some(sid) = account.sid.as_deref() else {
            return;
        };
        if account.name.is_empty() || account.name.eq_ignore_ascii_case(sid) {
            return;
        }
        let key = sid.to_ascii_uppercase();
        if self.names.len() < MAX_NAMES || self.names.contains_key(&key) {
            self.names.insert(key, account.clone());
        }
    }

    /// The account of a SID: as an authentication of this file named it, a well-known
    /// principal, or the bare SID.
    pub fn account_of_sid(&self, sid: &str) -> Option<Account> {
        let sid = sid.trim();
        if let Some(a) = self.names.get(&sid.to_ascii_uppercase()) {
            return Some(a.clone());
        }
        let well_known = match sid {
            "S-1-5-18" => Some("SYSTEM"),
            "S-1-5-19" => Some("LOCAL SERVICE"),
            "S-1-5-20" => Some("NETWORK SERVICE"),
            "S-1-5-7" => Some("ANONYMOUS LOGON"),
            _ => None,
        };
        match well_known {
            Some(name) => Account::from_parts(Some(name), Some("NT AUTHORITY"), Some(sid)),
            None => Account::from_parts(None, None, Some(sid)),
        }
    }

    /// A new event of `kind` at the record's time, observed by the file's server.
    pub(crate) fn event(
        &self,
        rec: &SambaRecord<'_>,
        src: &Arc<str>,
        kind: EventKind,
    ) -> IdentityEvent {
        let mut e = IdentityEvent::new(
            rec.time,
            kind,
            Evidence {
                source: src.clone(),
                record: rec.line,
                event_id: int(rec.body, "eventId").and_then(|v| u32::try_from(v).ok()),
            },
        );
        e.observer = self.server.clone();
        e
    }
}

/// The identity events of one record; `None` for record types (and actions) no mapper handles.
pub fn map(
    rec: &SambaRecord<'_>,
    cx: &mut SambaContext,
    src: &Arc<str>,
) -> Option<Vec<IdentityEvent>> {
    match rec.kind {
        "Authentication" => auth::authentication(rec, cx, src),
        "Authorization" => auth::authorization(rec, cx, src),
        "passwordChange" => dsdb::password_change(rec, cx, src),
        "groupChange" => dsdb::group_change(rec, cx, src),
        "dsdbChange" => dsdb::dsdb_change(rec, cx, src),
        _ => None,
    }
}

/// Samba's timestamps: `2026-11-23T18:47:16.320363+0000` (a zone without a colon), or any
/// form the JSON reader knows.
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
        .or_else(|| crate::json::parse_time(s))
}

/// A string field with a value (`null`, empty and placeholder values are none).
pub(crate) fn text<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !crate::winevent::is_placeholder(v))
}

/// An integer field, written as a number or a numeric string.
pub(crate) fn int(body: &Map<String, Value>, key: &str) -> Option<i64> {
    match body.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The outcome of a directory operation: its LDB `statusCode` (0 = success).
pub(crate) fn ldb_outcome(body: &Map<String, Value>) -> Outcome {
    match int(body, "statusCode") {
        None | Some(0) => Outcome::Success,
        Some(code) => Outcome::Failure(code as u32),
    }
}

/// The domain a DN names by its `DC=` components (`rampart.lab`), if any.
pub fn dn_domain(dn: &str) -> Option<String> {
    let labels: Vec<&str> = split_dn(dn)
        .filter_map(|rdn| {
            let (k, v) = rdn.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("dc")
                .then_some(v.trim())
                .filter(|v| !v.is_empty())
        })
        .collect();
    (!labels.is_empty()).then(|| labels.join("."))
}

/// The RDNs of a DN, split at unescaped commas.
fn split_dn(dn: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let bytes = dn.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b',' => {
                parts.push(&dn[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    parts.push(dn.get(start..).unwrap_or_default());
    parts.into_iter()
}

/// Whether a name is written as a DN (`CN=…,DC=…`).
pub(crate) fn is_dn(s: &str) -> bool {
    s.split_once('=')
        .is_some_and(|(k, _)| matches!(k.trim().to_ascii_uppercase().as_str(), "CN" | "OU" | "DC"))
        && s.contains(',')
}

/// The account a DN names: its first RDN value (the CN, often but not always the
/// sAMAccountName) in the DN's domain. `None` for an empty DN or RDN.
pub fn dn_account(dn: &str) -> Option<Account> {
    let dn = dn.trim();
    let name = super::group::first_rdn_value(dn).trim();
    if name.is_empty() {
        return None;
    }
    Some(Account::new(name, dn_domain(dn).as_deref()))
}

/// The DN of an extended DN (`<GUID=…>;<SID=…>;CN=x,DC=…`), and its SID if it carries one.
pub fn extended_dn(raw: &str) -> (&str, Option<&str>) {
    let mut rest = raw.trim();
    let mut sid = None;
    while rest.starts_with('<') {
        let Some(end) = rest.find('>') else { break };
        let part = &rest[1..end];
        if let Some(s) = part.strip_prefix("SID=") {
            sid = Some(s);
        }
        rest = rest[end + 1..].trim_start_matches(';');
    }
    (rest, sid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_and_accounts() {
        let dn = "CN=Domain Admins,CN=Users,DC=rampart,DC=lab";
        assert_eq!(dn_domain(dn).as_deref(), Some("rampart.lab"));
        let a = dn_account(dn).unwrap();
        assert_eq!(a.name, "Domain Admins");
        assert_eq!(a.domain.as_deref(), Some("rampart.lab"));
        let b = dn_account(r"CN=Moore\, Rachel,OU=Staff,DC=corp,DC=local").unwrap();
        assert_eq!(b.name, r"Moore\, Rachel");
        assert_eq!(b.domain.as_deref(), Some("corp.local"));
        assert!(dn_account("").is_none());
        assert!(dn_account("CN=,DC=x").is_none());
        assert_eq!(dn_domain("CN=x,OU=y"), None);
        assert!(is_dn("CN=Administrator,CN=Users,DC=rampart,DC=lab"));
        assert!(!is_dn("rmoore@rampart.lab"));
        assert_eq!(
            extended_dn(
                "<GUID=14ac>;<SID=S-1-5-21-1-2-3-1111>;CN=hking,OU=Staff,DC=rampart,DC=lab"
            ),
            (
                "CN=hking,OU=Staff,DC=rampart,DC=lab",
                Some("S-1-5-21-1-2-3-1111")
            )
        );
        assert_eq!(extended_dn("CN=x,DC=y"), ("CN=x,DC=y", None));
        assert_eq!(extended_dn("<GUID=x"), ("<GUID=x", None));
    }

    #[test]
    fn samba_timestamps() {
        assert_eq!(
            parse_time("2026-11-23T18:47:16.320363+0000")
                .unwrap()
                .to_rfc3339(),
            "2026-11-23T18:47:16.320363+00:00"
        );
        assert_eq!(
            parse_time("2018-04-05T09:07:31.131541+1200")
                .unwrap()
                .to_rfc3339(),
            "2018-04-04T21:07:31.131541+00:00"
        );
        assert!(parse_time("2026-11-23T18:47:16Z").is_some());
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn sids_are_named_from_the_file_or_well_known() {
        let mut cx = SambaContext::default();
        let admin = Account::from_parts(
            Some("Administrator"),
            Some("RAMPART"),
            Some("S-1-5-21-1-2-3-500"),
        )
        .unwrap();
        cx.learn_account(&admin);
        assert_eq!(cx.account_of_sid("s-1-5-21-1-2-3-500"), Some(admin));
        let system = cx.account_of_sid("S-1-5-18").unwrap();
        assert_eq!(system.name, "SYSTEM");
        assert!(system.is_builtin_service());
        let other = cx.account_of_sid("S-1-5-21-1-2-3-1105").unwrap();
        assert_eq!(other.name, "S-1-5-21-1-2-3-1105");
        assert_eq!(other.rid(), Some(1105));
    }
}
