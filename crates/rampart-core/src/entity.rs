//! The entities events and alerts talk about: accounts and hosts.
//!
//! An entity always carries its domain where the source named one, so that one store can hold
//! several domains (and, later, several tenants) without two `Administrator`s becoming one.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

/// A security principal: a user, computer (name ends in `$`), group or service account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Account {
    /// The account name as the source wrote it, without the domain (`jdoe`, `DC01$`).
    pub name: String,
    /// NetBIOS or DNS domain name, when the source named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The security identifier in string form (`S-1-5-21-…-500`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl Account {
    /// Builds an account from the loose forms sources use: `DOMAIN\name`, `name@domain`, or a bare
    /// name. Returns `None` for empty and placeholder values (`-`, `NULL SID`).
    pub fn parse(raw: &str) -> Option<Account> {
        let raw = raw.trim();
        if is_placeholder(raw) {
            return None;
        }
        if let Some((domain, name)) = raw.split_once('\\') {
            return Some(Account::new(name, Some(domain)));
        }
        if let Some((name, domain)) = raw.rsplit_once('@') {
            if !name.is_empty() && !domain.is_empty() {
                return Some(Account::new(name, Some(domain)));
            }
        }
        Some(Account::new(raw, None))
    }

    /// Builds an account from separate fields as Windows events carry them
    /// (`TargetUserName`, `TargetDomainName`, `TargetSid`). Returns `None` when no field holds
    /// anything but placeholders.
    pub fn from_parts(
        name: Option<&str>,
        domain: Option<&str>,
        sid: Option<&str>,
    ) -> Option<Account> {
        let name = name.map(str::trim).filter(|n| !is_placeholder(n));
        let sid = sid.map(str::trim).filter(|s| !is_placeholder(s));
        if name.is_none() && sid.is_none() {
            return None;
        }
        // A name given as `DOMAIN\name` or a UPN keeps its own domain if no separate one is set.
        let mut account = match name {
            Some(n) => Account::parse(n).unwrap_or_default(),
            None => Account::default(),
        };
        if let Some(d) = domain.map(str::trim).filter(|d| !is_placeholder(d)) {
            account.domain = Some(d.to_string());
        }
        account.sid = sid.map(str::to_string);
        if account.name.is_empty() {
            if let Some(s) = &account.sid {
                account.name = s.clone();
            }
        }
        Some(account)
    }

    pub fn new(name: &str, domain: Option<&str>) -> Account {
        Account {
            name: name.to_string(),
            domain: domain.filter(|d| !d.is_empty()).map(str::to_string),
            sid: None,
        }
    }

    pub fn with_sid(mut self, sid: Option<&str>) -> Account {
        self.sid = sid.filter(|s| !is_placeholder(s)).map(str::to_string);
        self
    }

    /// The name detectors key state on: lower-case, without the domain.
    pub fn key(&self) -> String {
        self.name.to_ascii_lowercase()
    }

    /// [`Account::key`] without allocating when the name is already lower-case (as most are),
    /// for lookups and comparisons on hot paths.
    pub fn key_ref(&self) -> Cow<'_, str> {
        if self.name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(self.name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(&self.name)
        }
    }

    /// A computer account (`NAME$`).
    pub fn is_machine(&self) -> bool {
        self.name.ends_with('$')
    }

    /// The relative identifier: the last component of a domain SID.
    pub fn rid(&self) -> Option<u32> {
        let sid = self.sid.as_deref()?;
        if !sid.starts_with("S-1-5-21-") {
            return None;
        }
        sid.rsplit('-').next()?.parse().ok()
    }

    /// Built-in principals that are not people: SYSTEM, LOCAL SERVICE, NETWORK SERVICE,
    /// ANONYMOUS LOGON, DWM/UMFD sessions.
    pub fn is_builtin_service(&self) -> bool {
        if let Some(sid) = &self.sid {
            if matches!(
                sid.as_str(),
                "S-1-5-18" | "S-1-5-19" | "S-1-5-20" | "S-1-5-7" | "S-1-0-0"
            ) || sid.starts_with("S-1-5-90-")
                || sid.starts_with("S-1-5-96-")
            {
                return true;
            }
        }
        let n = self.name.to_ascii_uppercase();
        matches!(
            n.as_str(),
            "SYSTEM" | "LOCAL SERVICE" | "NETWORK SERVICE" | "ANONYMOUS LOGON" | "LOCAL SYSTEM"
        ) || n.starts_with("DWM-")
            || n.starts_with("UMFD-")
    }

    /// True when both name the same principal: same SID when both carry one, else same name.
    pub fn same_as(&self, other: &Account) -> bool {
        match (&self.sid, &other.sid) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => self.name.eq_ignore_ascii_case(&other.name),
        }
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.domain {
            Some(d) => write!(f, "{}\\{}", d, self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Values Windows writes where a field has no value.
fn is_placeholder(s: &str) -> bool {
    matches!(
        s,
        "" | "-" | "NULL SID" | "S-1-0-0" | "%%1793" | "(null)" | "null"
    )
}

/// A machine, by name, address, or both.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Host {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
}

impl Host {
    /// Builds a host from a workstation name and an address string as events carry them
    /// (`::ffff:10.0.0.5`, `10.0.0.5`, `-`, `\\WS01`). `None` when neither holds a value.
    pub fn from_parts(name: Option<&str>, ip: Option<&str>) -> Option<Host> {
        let name = name
            .map(|n| n.trim().trim_start_matches('\\'))
            .filter(|n| !is_placeholder(n))
            .map(str::to_string);
        let ip = ip.and_then(parse_ip);
        if name.is_none() && ip.is_none() {
            return None;
        }
        Some(Host { name, ip })
    }

    pub fn named(name: &str) -> Host {
        Host {
            name: Some(name.to_string()),
            ip: None,
        }
    }

    /// The key detectors group by: the address if known, else the lower-case short name.
    pub fn key(&self) -> String {
        match (&self.ip, &self.name) {
            (Some(ip), _) => ip_string(ip),
            (None, Some(n)) => short_name(n).to_ascii_lowercase(),
            (None, None) => String::new(),
        }
    }

    /// The first DNS label of the name, lower-case (`dc01` for `DC01.corp.local`).
    pub fn short_name(&self) -> Option<String> {
        self.name
            .as_deref()
            .map(|n| short_name(n).to_ascii_lowercase())
    }

    pub fn is_loopback(&self) -> bool {
        self.ip.is_some_and(|ip| ip.is_loopback())
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.name, &self.ip) {
            (Some(n), Some(ip)) => write!(f, "{n} ({ip})"),
            (Some(n), None) => f.write_str(n),
            (None, Some(ip)) => write!(f, "{ip}"),
            (None, None) => f.write_str("-"),
        }
    }
}

/// `ip.to_string()`, with IPv4 written directly: detectors key their state on the address
/// of every event, and the formatting machinery costs more than the digits.
pub fn ip_string(ip: &IpAddr) -> String {
    let IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut s = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        if octet >= 100 {
            s.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            s.push(char::from(b'0' + octet / 10 % 10));
        }
        s.push(char::from(b'0' + octet % 10));
    }
    s
}

fn short_name(n: &str) -> &str {
    n.split('.').next().unwrap_or(n)
}

/// Parses the address forms Windows and Samba write: `10.0.0.5`, `::ffff:10.0.0.5`,
/// `ipv4:10.0.0.5:49152`, `[fe80::1]:445`. Placeholders (`-`, `::1` is kept) give `None`.
pub fn parse_ip(raw: &str) -> Option<IpAddr> {
    let s = raw.trim();
    if is_placeholder(s) {
        return None;
    }
    let s = s
        .strip_prefix("ipv4:")
        .or_else(|| s.strip_prefix("ipv6:"))
        .unwrap_or(s);
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical_ip(ip));
    }
    // address:port and [v6]:port
    if let Ok(sa) = s.parse::<std::net::SocketAddr>() {
        return Some(canonical_ip(sa.ip()));
    }
    if let Some((host, port)) = s.rsplit_once(':') {
        if port.chars().all(|c| c.is_ascii_digit()) {
            if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
                return Some(canonical_ip(ip));
            }
        }
    }
    None
}

/// `::ffff:a.b.c.d` becomes `a.b.c.d` so one host has one key whichever way it was written.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_their_slow_forms() {
        for ip in [
            "0.0.0.0",
            "10.0.0.5",
            "127.1.99.1",
            "192.168.100.255",
            "255.255.255.255",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(ip_string(&ip), ip.to_string());
        }
        for o in 0..=255u8 {
            let ip = IpAddr::from([o, o / 3, 255 - o, o % 10]);
            assert_eq!(ip_string(&ip), ip.to_string());
        }
        let v6: IpAddr = "fe80::1".parse().unwrap();
        assert_eq!(ip_string(&v6), "fe80::1");
        for name in ["jdoe", "JDoe", "DC01$", "", "élise", "ÉLISE"] {
            let a = Account::new(name, None);
            assert_eq!(a.key_ref(), a.key());
        }
    }

    #[test]
    fn parses_account_forms() {
        let a = Account::parse("CORP\\jdoe").unwrap();
        assert_eq!(a.name, "jdoe");
        assert_eq!(a.domain.as_deref(), Some("CORP"));
        let b = Account::parse("jdoe@corp.local").unwrap();
        assert_eq!(b.name, "jdoe");
        assert_eq!(b.domain.as_deref(), Some("corp.local"));
        assert!(Account::parse("-").is_none());
        assert!(Account::from_parts(Some("-"), Some("-"), Some("S-1-0-0")).is_none());
        let c =
            Account::from_parts(Some("DC01$"), Some("CORP"), Some("S-1-5-21-1-2-3-1000")).unwrap();
        assert!(c.is_machine());
        assert_eq!(c.rid(), Some(1000));
        assert_eq!(c.key(), "dc01$");
    }

    #[test]
    fn parses_address_forms() {
        assert_eq!(parse_ip("::ffff:10.0.0.5"), "10.0.0.5".parse().ok());
        assert_eq!(parse_ip("ipv4:127.0.0.1:50152"), "127.0.0.1".parse().ok());
        assert_eq!(parse_ip("[fe80::1]:445"), "fe80::1".parse().ok());
        assert_eq!(parse_ip("-"), None);
        assert_eq!(parse_ip("garbage"), None);
        let h = Host::from_parts(Some("\\\\WS01"), Some("-")).unwrap();
        assert_eq!(h.key(), "ws01");
    }
}
