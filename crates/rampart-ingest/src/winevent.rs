//! [`WinEvent`]: one Windows event, whatever file it came from.
//!
//! The readers build one only for records a mapper handles (see
//! [`crate::mappers::is_interesting`]); its data borrows from the rendered record where no
//! escape had to be undone. It stays a flat list of name/value pairs because events carry 5
//! to 40 fields and a linear scan beats hashing there.

use rampart_core::{
    wellknown, Account, EventKind, Evidence, Host, IdentityEvent, RawRecord, Timestamp,
};
use std::borrow::Cow;
use std::sync::Arc;

/// A Windows event: its system header and its `EventData` (or `UserData`) as name/value pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct WinEvent<'a> {
    pub event_id: u32,
    /// The provider (`Microsoft-Windows-Security-Auditing`, `Service Control Manager`, …).
    pub provider: String,
    /// The channel (`Security`, `System`, `Microsoft-Windows-Sysmon/Operational`, …).
    pub channel: String,
    /// The machine that recorded the event.
    pub computer: String,
    pub time: Timestamp,
    /// The record's locator, as [`Evidence::record`] uses it: the `EventRecordID` of an EVTX
    /// record, the 1-based line (or array element) number in a JSON file.
    pub record_id: u64,
    /// The event's data fields, in the order the source gave them. Numbers and booleans are
    /// written as text; a value with several parts (an unnamed `Data` list) is joined by `\n`.
    /// The user SID of the system header (`Security/@UserID`), when set, is added as `UserID`.
    pub data: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl WinEvent<'_> {
    /// A field's value: the exact name first, then ignoring ASCII case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|(k, _)| k == name)
            .or_else(|| self.data.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .map(|(_, v)| v.as_ref())
    }

    /// The value of the field named `prefix` + `suffix` (as [`Self::get`] matches names),
    /// without building the name.
    fn get_joined(&self, prefix: &str, suffix: &str) -> Option<&str> {
        let len = prefix.len() + suffix.len();
        let exact = |k: &str| k.len() == len && k.starts_with(prefix) && k.ends_with(suffix);
        let folded = |k: &str| {
            k.len() == len
                && k.is_char_boundary(prefix.len())
                && k[..prefix.len()].eq_ignore_ascii_case(prefix)
                && k[prefix.len()..].eq_ignore_ascii_case(suffix)
        };
        self.data
            .iter()
            .find(|(k, _)| exact(k))
            .or_else(|| self.data.iter().find(|(k, _)| folded(k)))
            .map(|(_, v)| v.as_ref())
    }

    /// A field's value with surrounding white space removed, `None` when it is empty or one of
    /// the placeholders Windows writes for "no value" (`-`, `%%1793`, …).
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !is_placeholder(v))
    }

    /// [`Self::value`] as an owned string.
    pub fn string(&self, name: &str) -> Option<String> {
        self.value(name).map(str::to_string)
    }

    /// A numeric field, decimal (`24`) or hexadecimal (`0x18`).
    pub fn get_u32(&self, name: &str) -> Option<u32> {
        self.get(name).and_then(wellknown::parse_number)
    }

    /// A 64-bit numeric field (logon ids, record numbers), decimal or hexadecimal.
    pub fn get_u64(&self, name: &str) -> Option<u64> {
        parse_u64(self.get(name)?)
    }

    /// The account of the `{prefix}UserName`, `{prefix}DomainName`, `{prefix}UserSid` fields
    /// (`Subject`, `Target`), as most Security events name them. 4768/4771 write `TargetSid`
    /// instead of `TargetUserSid`; both are looked up.
    pub fn account(&self, prefix: &str) -> Option<Account> {
        let name = self.get_joined(prefix, "UserName");
        let domain = self.get_joined(prefix, "DomainName");
        let sid = self
            .get_joined(prefix, "UserSid")
            .or_else(|| self.get_joined(prefix, "Sid"));
        Account::from_parts(name, domain, sid)
    }

    /// Where this event came from, for [`Evidence`].
    pub fn evidence(&self, source: &Arc<str>) -> Evidence {
        Evidence {
            source: source.clone(),
            record: self.record_id,
            event_id: Some(self.event_id),
        }
    }

    /// A new identity event of `kind` at this event's time, observed by its computer.
    pub fn identity_event(&self, source: &Arc<str>, kind: EventKind) -> IdentityEvent {
        let mut ev = IdentityEvent::new(self.time, kind, self.evidence(source));
        if !self.computer.is_empty() {
            ev.observer = Some(self.computer.clone());
        }
        ev
    }

    /// This record as a [`EventKind::RawRecord`] event (for rule matching), consuming it.
    pub fn into_raw_event(self, source: &Arc<str>) -> IdentityEvent {
        let mut ev = IdentityEvent::new(
            self.time,
            EventKind::RawRecord {
                record: Arc::new(RawRecord {
                    event_id: self.event_id,
                    channel: self.channel,
                    provider: self.provider,
                    computer: self.computer.clone(),
                    fields: self
                        .data
                        .into_iter()
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect(),
                }),
            },
            Evidence {
                source: source.clone(),
                record: self.record_id,
                event_id: Some(self.event_id),
            },
        );
        if !self.computer.is_empty() {
            ev.observer = Some(self.computer);
        }
        ev
    }

    /// The remote machine of the `WorkstationName` and `IpAddress` fields.
    pub fn source_host(&self, name_field: &str, ip_field: &str) -> Option<Host> {
        Host::from_parts(self.value(name_field), self.get(ip_field))
    }
}

/// Values Windows and log shippers write where a field has no value.
pub fn is_placeholder(v: &str) -> bool {
    matches!(
        v,
        "" | "-" | "%%1793" | "NULL SID" | "S-1-0-0" | "(null)" | "<null>"
    ) || v.eq_ignore_ascii_case("null")
}

/// Parses `0x…` hexadecimal or decimal into a `u64`.
pub fn parse_u64(raw: &str) -> Option<u64> {
    let s = raw.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Collapses the tabs and line breaks Windows puts inside multi-valued fields
/// (`"\r\n\t\t%%2080\r\n\t\t%%2082"`) into single spaces.
pub fn squash_whitespace(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for part in v.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::WinEvent;
    use chrono::TimeZone;

    /// A Security-channel event with the given data, for mapper tests.
    pub fn security(event_id: u32, data: &[(&str, &str)]) -> WinEvent<'static> {
        event(
            event_id,
            "Microsoft-Windows-Security-Auditing",
            "Security",
            data,
        )
    }

    pub fn event(
        event_id: u32,
        provider: &str,
        channel: &str,
        data: &[(&str, &str)],
    ) -> WinEvent<'static> {
        WinEvent {
            event_id,
            provider: provider.to_string(),
            channel: channel.to_string(),
            computer: "DC01.corp.local".to_string(),
            time: chrono::Utc
                .with_ymd_and_hms(2024, 1, 2, 3, 4, 5)
                .single()
                .unwrap_or_default(),
            record_id: 42,
            data: data
                .iter()
                .map(|(k, v)| (k.to_string().into(), v.to_string().into()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::security;
    use super::*;

    #[test]
    fn get_prefers_exact_name_then_ignores_case() {
        let ev = security(4624, &[("logontype", "2"), ("LogonType", "3")]);
        assert_eq!(ev.get("LogonType"), Some("3"));
        assert_eq!(ev.get("LOGONTYPE"), Some("2"));
        assert_eq!(ev.get("Missing"), None);
    }

    #[test]
    fn numbers_and_placeholders() {
        let ev = security(
            4768,
            &[
                ("Status", "0x18"),
                ("PreAuthType", "2"),
                ("TargetLogonId", "0xab3c3fc80"),
                ("IpAddress", " - "),
            ],
        );
        assert_eq!(ev.get_u32("Status"), Some(24));
        assert_eq!(ev.get_u32("PreAuthType"), Some(2));
        assert_eq!(ev.get_u64("TargetLogonId"), Some(0xab3c3fc80));
        assert_eq!(ev.value("IpAddress"), None);
        let ev = security(
            4624,
            &[("WorkstationName", "NULL"), ("IpAddress", "10.0.2.17")],
        );
        assert_eq!(
            ev.source_host("WorkstationName", "IpAddress").unwrap().name,
            None
        );
        assert_eq!(ev.get_u32("IpAddress"), None);
    }

    #[test]
    fn accounts_from_prefixed_fields() {
        let ev = security(
            4771,
            &[
                ("TargetUserName", "jdoe"),
                ("TargetSid", "S-1-5-21-1-2-3-1104"),
                ("SubjectUserName", "-"),
                ("SubjectDomainName", "-"),
                ("SubjectUserSid", "S-1-0-0"),
            ],
        );
        let a = ev.account("Target").unwrap();
        assert_eq!(a.name, "jdoe");
        assert_eq!(a.sid.as_deref(), Some("S-1-5-21-1-2-3-1104"));
        assert!(ev.account("Subject").is_none());
    }

    #[test]
    fn squashes_multiline_values() {
        assert_eq!(
            squash_whitespace("\r\n\t\t%%2080\r\n\t\t%%2082\r\n"),
            "%%2080 %%2082"
        );
    }

    #[test]
    fn accounts_are_read_from_prefixed_fields_in_any_case() {
        let ev = super::test_support::security(
            4624,
            &[
                ("targetusername", "alice"),
                ("TargetDomainName", "CORP"),
                ("TargetSid", "S-1-5-21-1-2-3-1104"),
                ("SubjectUserName", "DC01$"),
            ],
        );
        let a = ev.account("Target").expect("the target account");
        assert_eq!(a.name, "alice");
        assert_eq!(a.domain.as_deref(), Some("CORP"));
        assert_eq!(a.sid.as_deref(), Some("S-1-5-21-1-2-3-1104"));
        assert_eq!(
            ev.account("Subject").map(|a| a.name),
            Some("DC01$".to_string())
        );
        assert!(ev.account("Member").is_none());
    }
}
