//! How a repeat of a stored alert is folded in. Backend-neutral: every store uses this rule.

use rampart_core::{Alert, MAX_EVIDENCE};

/// Folds `incoming` into `stored`, two alerts with the same id.
///
/// An alert id is stable for the same detector, key and first evidence, so an alert that comes
/// again is another look at the same activity: most often the same logs read again (nothing
/// new), or the same logs read further (more evidence, a higher count). Counts are therefore
/// not added, which would double them on every re-scan; the fuller of the two (the higher count,
/// the incoming one on a tie) is kept, and widened by the other: the earliest first time, the
/// latest last time, the higher severity, and the union of evidence (up to [`MAX_EVIDENCE`]),
/// targets and entities. `evidence_omitted` stays a lower bound.
///
/// Unlike [`Alert::merge`], which folds two *different* occurrences found in one run.
pub fn merge_alert(stored: Alert, incoming: Alert) -> Alert {
    let (mut base, other) = if incoming.count >= stored.count {
        (incoming, stored)
    } else {
        (stored, incoming)
    };
    base.time = base.time.min(other.time);
    base.last_time = base.last_time.max(other.last_time);
    base.severity = base.severity.max(other.severity);
    base.count = base.count.max(other.count);

    let mut overflow = 0u64;
    for ev in other.evidence {
        if base.evidence.contains(&ev) {
            continue;
        }
        if base.evidence.len() < MAX_EVIDENCE {
            base.evidence.push(ev);
        } else {
            overflow += 1;
        }
    }
    base.evidence_omitted = base
        .evidence_omitted
        .max(other.evidence_omitted)
        .max(overflow);

    for t in other.targets {
        if !base.targets.contains(&t) && base.targets.len() < MAX_EVIDENCE {
            base.targets.push(t);
        }
    }
    for e in other.entities {
        if !base.entities.contains(&e) {
            base.entities.push(e);
        }
    }
    if base.actor.is_none() {
        base.actor = other.actor;
    }
    if base.source_host.is_none() {
        base.source_host = other.source_host;
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use rampart_core::{AlertKind, EventKind, Evidence, IdentityEvent, Severity};

    fn event(sec: i64, record: u64) -> IdentityEvent {
        IdentityEvent::new(
            Utc.timestamp_opt(1_700_000_000 + sec, 0).unwrap(),
            EventKind::PasswordReset,
            Evidence {
                source: "a.evtx".into(),
                record,
                event_id: Some(4724),
            },
        )
    }

    fn alert(records: std::ops::Range<u64>) -> Alert {
        let events: Vec<_> = records.map(|r| event(r as i64, r)).collect();
        let mut a = Alert::new(AlertKind::BruteForce, Severity::Medium, &events[0])
            .with_evidence(&events[1..]);
        a.id = "brute_force-1".into();
        a.count = events.len() as u64;
        a
    }

    #[test]
    fn same_alert_again_is_unchanged() {
        let a = alert(0..5);
        assert_eq!(merge_alert(a.clone(), a.clone()), a);
    }

    #[test]
    fn a_fuller_view_wins_and_counts_are_not_added() {
        let short = alert(0..5);
        let long = alert(0..8);
        for merged in [
            merge_alert(short.clone(), long.clone()),
            merge_alert(long.clone(), short.clone()),
        ] {
            assert_eq!(merged.count, 8);
            assert_eq!(merged.evidence.len(), 8);
            assert_eq!(merged.time, short.time);
            assert_eq!(merged.last_time, long.last_time);
        }
    }

    #[test]
    fn keeps_the_higher_severity_and_caps_evidence() {
        let mut a = alert(0..40);
        let mut b = alert(100..140);
        b.severity = Severity::High;
        a.count = 1;
        b.count = 1;
        let m = merge_alert(a, b);
        assert_eq!(m.severity, Severity::High);
        assert_eq!(m.evidence.len(), MAX_EVIDENCE);
        assert_eq!(m.evidence_omitted, 30);
    }
}
