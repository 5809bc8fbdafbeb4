//! Sigma correlation rules (Sigma 2.0 `correlation:` documents), which `sigma-rust` does not
//! read: `event_count`, `value_count`, `temporal` and `temporal_ordered`, grouped by fields,
//! within a `timespan`. They run over the matches of the rules they name (by `id` or `name`).
//!
//! Thresholds are `gt`/`gte` (a count reached); `lt`, `lte`, `eq` and `neq` need the window to
//! close before they can be judged, which a streaming engine with no clock does not do, and
//! are reported as unsupported. So are `aliases` (differently named group-by fields per rule)
//! and correlations of correlations.

use super::load::Problem;
use crate::state::KeyedWindows;
use chrono::Duration;
use rampart_core::{Evidence, Timestamp};
use serde_norway::Value;

/// The kinds of correlation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelationType {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
}

impl CorrelationType {
    pub fn as_str(&self) -> &'static str {
        match self {
            CorrelationType::EventCount => "event_count",
            CorrelationType::ValueCount => "value_count",
            CorrelationType::Temporal => "temporal",
            CorrelationType::TemporalOrdered => "temporal_ordered",
        }
    }
}

/// A correlation rule as written; `rules` are resolved to base rules after loading.
#[derive(Debug, Clone)]
pub struct CorrelationDef {
    pub kind: CorrelationType,
    /// The `id`s or `name`s of the rules it correlates, in order.
    pub rules: Vec<String>,
    pub group_by: Vec<String>,
    pub timespan: Duration,
    /// The count that fires it (`gte: n` → n, `gt: n` → n + 1); 0 for temporal types.
    pub threshold: u64,
    /// The field whose distinct values `value_count` counts.
    pub field: Option<String>,
    /// Whether the correlated rules still raise their own alerts.
    pub generate: bool,
}

/// Parses the `correlation` mapping of a document (and its `generate`).
pub fn parse(doc: &Value) -> Result<CorrelationDef, Problem> {
    let c = doc
        .get("correlation")
        .and_then(Value::as_mapping)
        .ok_or_else(|| Problem::at("`correlation` must be a mapping", "correlation:"))?;
    let get = |k: &str| c.get(k);
    let kind = match get("type").and_then(Value::as_str) {
        Some("event_count") => CorrelationType::EventCount,
        Some("value_count") => CorrelationType::ValueCount,
        Some("temporal") => CorrelationType::Temporal,
        Some("temporal_ordered") => CorrelationType::TemporalOrdered,
        Some(other) => {
            return Err(Problem::at(
                format!("unknown correlation type `{other}`"),
                other,
            ))
        }
        None => return Err(Problem::at("correlation has no `type`", "correlation:")),
    };
    if get("aliases").is_some() {
        return Err(Problem::at(
            "correlation `aliases` are not supported",
            "aliases:",
        ));
    }
    let strings = |v: Option<&Value>, what: &str| -> Result<Vec<String>, Problem> {
        match v {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Sequence(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| Problem::at(format!("`{what}` must list strings"), what))
                })
                .collect(),
            Some(_) => Err(Problem::at(format!("`{what}` must list strings"), what)),
        }
    };
    let rules = strings(get("rules"), "rules")?;
    if rules.is_empty() {
        return Err(Problem::at("correlation names no `rules`", "correlation:"));
    }
    let group_by = strings(get("group-by"), "group-by")?;
    let timespan_text = match get("timespan") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(Problem::at("correlation has no `timespan`", "correlation:")),
    };
    let timespan = parse_timespan(&timespan_text).ok_or_else(|| {
        Problem::at(
            format!("timespan `{timespan_text}` is not a number with s, m, h or d"),
            &timespan_text,
        )
    })?;
    let mut threshold = 0;
    let mut field = None;
    match get("condition") {
        Some(Value::Mapping(cond)) => {
            for (k, v) in cond {
                let k = k.as_str().unwrap_or_default();
                let n = || {
                    v.as_u64()
                        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                        .ok_or_else(|| Problem::at(format!("`{k}` needs a count"), k))
                };
                match k {
                    "gte" => threshold = threshold.max(n()?),
                    "gt" => threshold = threshold.max(n()? + 1),
                    "field" => field = v.as_str().map(str::to_string),
                    "lt" | "lte" | "eq" | "neq" => {
                        return Err(Problem::at(
                            format!(
                                "condition `{k}` is not supported (only gt/gte: a streaming \
                                 engine cannot tell when a window will not grow)"
                            ),
                            k,
                        ))
                    }
                    other => {
                        return Err(Problem::at(
                            format!("unknown condition operator `{other}`"),
                            other,
                        ))
                    }
                }
            }
        }
        None if matches!(
            kind,
            CorrelationType::Temporal | CorrelationType::TemporalOrdered
        ) => {}
        _ => {
            return Err(Problem::at(
                "correlation needs a `condition` mapping (e.g. `gte: 10`)",
                "correlation:",
            ))
        }
    }
    match kind {
        CorrelationType::EventCount | CorrelationType::ValueCount if threshold == 0 => {
            return Err(Problem::at(
                "count correlation needs a `gt` or `gte` threshold",
                "condition:",
            ))
        }
        CorrelationType::ValueCount if field.is_none() => {
            return Err(Problem::at(
                "value_count needs `condition: {field: …}`",
                "condition:",
            ))
        }
        _ => {}
    }
    let generate = match doc.get("generate").or_else(|| get("generate")) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(Problem::at("`generate` must be true or false", "generate:")),
    };
    Ok(CorrelationDef {
        kind,
        rules,
        group_by,
        timespan,
        threshold,
        field,
        generate,
    })
}

/// `30s`, `5m`, `1h`, `2d` (a bare number is seconds).
pub fn parse_timespan(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: i64 = num.parse().ok()?;
    match unit {
        "s" => Duration::try_seconds(n),
        "m" => Duration::try_minutes(n),
        "h" => Duration::try_hours(n),
        "d" => Duration::try_days(n),
        _ => None,
    }
}

/// Keys (groups) a correlation keeps at most, and items per key.
const MAX_GROUPS: usize = 10_000;
const MAX_PER_GROUP: usize = 10_000;

/// One sighting of a correlated rule: which of the correlation's rules, the counted field's
/// value, and the record.
type Sighting = (usize, Option<String>, Evidence);

/// A correlation's running state.
pub struct CorrelationState {
    windows: KeyedWindows<String, Sighting>,
}

impl CorrelationState {
    pub fn new(def: &CorrelationDef) -> CorrelationState {
        let per_group = (def.threshold as usize).clamp(64, MAX_PER_GROUP);
        CorrelationState {
            windows: KeyedWindows::new(def.timespan, MAX_GROUPS, per_group),
        }
    }

    /// Records that the correlation's rule number `slot` matched at `time`, in `group`;
    /// returns the evidence of the window when the correlation fires (the group then starts
    /// afresh).
    pub fn observe(
        &mut self,
        def: &CorrelationDef,
        group: String,
        slot: usize,
        value: Option<String>,
        time: Timestamp,
        evidence: Evidence,
    ) -> Option<Vec<(Timestamp, Evidence)>> {
        if def.kind == CorrelationType::ValueCount && value.is_none() {
            return None;
        }
        let items = self
            .windows
            .push(group.clone(), time, (slot, value, evidence))?;
        let fired = match def.kind {
            CorrelationType::EventCount => items.len() as u64 >= def.threshold,
            CorrelationType::ValueCount => {
                let mut values: Vec<&str> = items
                    .iter()
                    .filter_map(|(_, (_, v, _))| v.as_deref())
                    .collect();
                values.sort_unstable();
                values.dedup();
                values.len() as u64 >= def.threshold
            }
            CorrelationType::Temporal => {
                (0..def.rules.len()).all(|s| items.iter().any(|(_, (slot, _, _))| *slot == s))
            }
            CorrelationType::TemporalOrdered => {
                let mut next = 0;
                for (_, (slot, _, _)) in items {
                    if *slot == next {
                        next += 1;
                        if next == def.rules.len() {
                            break;
                        }
                    }
                }
                next == def.rules.len()
            }
        };
        if !fired {
            return None;
        }
        let evidence = items.iter().map(|(t, (_, _, e))| (*t, e.clone())).collect();
        self.windows.clear(&group);
        Some(evidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn def(yaml: &str) -> Result<CorrelationDef, Problem> {
        parse(&serde_norway::from_str(yaml).unwrap())
    }

    fn ev(n: u64) -> Evidence {
        Evidence {
            source: "x".into(),
            record: n,
            event_id: None,
        }
    }

    fn t(s: i64) -> Timestamp {
        chrono::Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap()
    }

    #[test]
    fn parses_and_rejects() {
        let d = def("correlation: {type: event_count, rules: [a], group-by: [User], timespan: 5m, condition: {gte: 3}}").unwrap();
        assert_eq!(d.threshold, 3);
        assert_eq!(d.timespan, Duration::minutes(5));
        assert!(!d.generate);
        let d = def("correlation: {type: value_count, rules: a, timespan: 1h, condition: {gt: 2, field: Target}}\ngenerate: true").unwrap();
        assert_eq!(
            (d.threshold, d.field.as_deref(), d.generate),
            (3, Some("Target"), true)
        );
        assert!(def("correlation: {type: temporal, rules: [a, b], timespan: 10s}").is_ok());
        let e =
            def("correlation: {type: event_count, rules: [a], timespan: 5m, condition: {lt: 3}}")
                .unwrap_err();
        assert!(e.message.contains("`lt` is not supported"), "{e:?}");
        assert!(def("correlation: {type: event_count, rules: [a], timespan: 5 parsecs, condition: {gte: 3}}").is_err());
        assert!(def("correlation: {type: nope, rules: [a], timespan: 5m}").is_err());
    }

    #[test]
    fn counts_values_and_orders() {
        let d =
            def("correlation: {type: event_count, rules: [a], timespan: 1m, condition: {gte: 3}}")
                .unwrap();
        let mut s = CorrelationState::new(&d);
        assert!(s.observe(&d, "g".into(), 0, None, t(0), ev(1)).is_none());
        assert!(s.observe(&d, "g".into(), 0, None, t(10), ev(2)).is_none());
        // The first is out of the window by now.
        assert!(s.observe(&d, "g".into(), 0, None, t(65), ev(3)).is_none());
        let fired = s.observe(&d, "g".into(), 0, None, t(66), ev(4)).unwrap();
        assert_eq!(fired.len(), 3);

        let d = def("correlation: {type: value_count, rules: [a], timespan: 1m, condition: {gte: 2, field: U}}").unwrap();
        let mut s = CorrelationState::new(&d);
        assert!(s
            .observe(&d, "g".into(), 0, Some("x".into()), t(0), ev(1))
            .is_none());
        assert!(s
            .observe(&d, "g".into(), 0, Some("x".into()), t(1), ev(2))
            .is_none());
        assert!(s
            .observe(&d, "g".into(), 0, Some("y".into()), t(2), ev(3))
            .is_some());

        let d = def("correlation: {type: temporal_ordered, rules: [a, b], timespan: 1m}").unwrap();
        let mut s = CorrelationState::new(&d);
        assert!(s.observe(&d, "g".into(), 1, None, t(0), ev(1)).is_none());
        assert!(s.observe(&d, "g".into(), 0, None, t(1), ev(2)).is_none());
        assert!(s.observe(&d, "g".into(), 1, None, t(2), ev(3)).is_some());
        let d = def("correlation: {type: temporal, rules: [a, b], timespan: 1m}").unwrap();
        let mut s = CorrelationState::new(&d);
        assert!(s.observe(&d, "g".into(), 1, None, t(0), ev(1)).is_none());
        assert!(s.observe(&d, "h".into(), 0, None, t(1), ev(2)).is_none());
        assert!(s.observe(&d, "g".into(), 0, None, t(2), ev(3)).is_some());
    }
}
