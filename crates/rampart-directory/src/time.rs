//! AD time values: FILETIME integers (`pwdLastSet`, `lastLogonTimestamp`, LAPS expiry),
//! generalized time strings (`whenCreated`), and negative 100-ns intervals (`maxPwdAge`,
//! `lockoutDuration`).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// 100-ns intervals between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_EPOCH: i64 = 116_444_736_000_000_000;

/// A FILETIME (100-ns ticks since 1601, UTC) as AD stores it in an integer attribute.
///
/// `0` and `0x7FFFFFFFFFFFFFFF` mean "never" (a password that must change at next logon, an
/// account never logged on); both give `None`, as does anything outside chrono's range.
pub fn from_filetime(ticks: i64) -> Option<DateTime<Utc>> {
    if ticks <= 0 || ticks == i64::MAX {
        return None;
    }
    let since_unix = ticks.checked_sub(FILETIME_UNIX_EPOCH)?;
    let secs = since_unix.div_euclid(10_000_000);
    let nanos = (since_unix.rem_euclid(10_000_000) * 100) as u32;
    Utc.timestamp_opt(secs, nanos).single()
}

/// A UTC time as a FILETIME.
pub fn to_filetime(t: DateTime<Utc>) -> i64 {
    t.timestamp()
        .saturating_mul(10_000_000)
        .saturating_add(i64::from(t.timestamp_subsec_nanos() / 100))
        .saturating_add(FILETIME_UNIX_EPOCH)
}

/// LDAP generalized time (`20261123184604.0Z`, `20261123184604Z`, `202611231846Z`), UTC only:
/// AD always writes `Z`. Fractions are accepted and dropped below the second.
pub fn from_generalized(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    let s = s.strip_suffix('Z').or_else(|| s.strip_suffix('z'))?;
    let (main, frac) = match s.find(['.', ',']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    if !main.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> { main.get(r)?.parse().ok() };
    let year = i32::try_from(num(0..4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, num(4..6)?, num(6..8)?)?;
    let hour = num(8..10)?;
    let (min, sec) = match main.len() {
        10 => (0, 0),
        12 => (num(10..12)?, 0),
        14 => (num(10..12)?, num(12..14)?),
        _ => return None,
    };
    let time = NaiveTime::from_hms_opt(hour, min, sec)?;
    Some(Utc.from_utc_datetime(&NaiveDateTime::new(date, time)))
}

/// An AD time attribute in either form: a FILETIME integer or a generalized time string.
pub fn parse_ad_time(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if let Ok(n) = s.parse::<i64>() {
        return from_filetime(n);
    }
    from_generalized(s)
}

/// A duration as AD stores policy intervals: negative 100-ns ticks, the most negative value
/// (or 0 for some attributes, see [`Interval::parse`]) meaning "never".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// No limit (`maxPwdAge` never expires, `lockoutDuration` until an admin unlocks).
    Never,
    /// A length in whole seconds.
    Seconds(u64),
}

impl Interval {
    /// Parses the integer form (`-36288000000000` is 42 days). `i64::MIN` is "never"; zero is
    /// zero seconds (for `maxPwdAge` AD also treats 0 as never; the posture reader decides).
    pub fn parse(raw: &str) -> Option<Interval> {
        let n: i64 = raw.trim().parse().ok()?;
        Some(Interval::from_ticks(n))
    }

    pub fn from_ticks(n: i64) -> Interval {
        if n == i64::MIN {
            return Interval::Never;
        }
        Interval::Seconds(n.unsigned_abs() / 10_000_000)
    }

    /// Seconds, or `None` for never.
    pub fn seconds(self) -> Option<u64> {
        match self {
            Interval::Never => None,
            Interval::Seconds(s) => Some(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_round_trip_and_never() {
        // 2024-01-01T00:00:00Z
        let t = from_filetime(133_485_408_000_000_000).expect("valid");
        assert_eq!(t.to_rfc3339(), "2024-01-01T00:00:00+00:00");
        assert_eq!(to_filetime(t), 133_485_408_000_000_000);
        assert_eq!(from_filetime(0), None);
        assert_eq!(from_filetime(i64::MAX), None);
        assert_eq!(from_filetime(-5), None);
        assert_eq!(parse_ad_time("133485408000000000"), Some(t));
    }

    #[test]
    fn generalized_time_forms() {
        let t = from_generalized("20261123184604.0Z").expect("valid");
        assert_eq!(t.to_rfc3339(), "2026-11-23T18:46:04+00:00");
        assert_eq!(from_generalized("20261123184604Z"), Some(t));
        assert!(from_generalized("202611231846Z").is_some());
        assert_eq!(from_generalized("20261323184604.0Z"), None);
        assert_eq!(from_generalized("2026112318460"), None);
        assert_eq!(from_generalized("２０２６"), None);
        assert_eq!(from_generalized(""), None);
        assert_eq!(parse_ad_time("20261123184604.0Z"), Some(t));
    }

    #[test]
    fn intervals() {
        assert_eq!(
            Interval::parse("-36288000000000"),
            Some(Interval::Seconds(42 * 86400))
        );
        assert_eq!(
            Interval::parse("-9223372036854775808"),
            Some(Interval::Never)
        );
        assert_eq!(Interval::parse("0"), Some(Interval::Seconds(0)));
        assert_eq!(Interval::parse("x"), None);
    }
}
