//! Writing alerts: a table for people, JSON/JSONL/CSV for programs.
//!
//! JSONL is the stable contract (README, "The JSONL contract"): one [`Alert`] object per line,
//! serialized as the core type defines it.

use crate::scan::ScanTotals;
use rampart_core::{Alert, Evidence, IdentityEvent, Severity};
use rampart_detect::Incident;
use std::collections::HashMap;
use std::io::{self, Write};

/// What an output writer shows.
pub struct View<'a> {
    pub alerts: &'a [Alert],
    pub incidents: &'a [Incident],
    pub totals: &'a ScanTotals,
    /// With `--timeline`: the events behind the alerts.
    pub timeline: Option<&'a HashMap<Evidence, IdentityEvent>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Jsonl,
    Csv,
}

pub fn write_alerts(
    out: &mut dyn Write,
    format: Format,
    view: &View<'_>,
    color: bool,
) -> io::Result<()> {
    let alerts = view.alerts;
    match format {
        Format::Jsonl => {
            for a in alerts {
                serde_json::to_writer(&mut *out, a)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Json => {
            let mut doc = serde_json::json!({
                "incidents": view.incidents,
                "alerts": alerts,
                "summary": view.totals,
            });
            if let Some(tl) = view.timeline {
                let per_alert: serde_json::Map<String, serde_json::Value> = alerts
                    .iter()
                    .map(|a| {
                        let events: Vec<&IdentityEvent> = timeline_of(a, tl);
                        (a.id.clone(), serde_json::json!(events))
                    })
                    .collect();
                doc["timeline"] = serde_json::Value::Object(per_alert);
            }
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            out.write_all(b"\n")?;
        }
        Format::Csv => write_csv(out, alerts)?,
        Format::Table => {
            write_incidents(out, view.incidents, alerts, color)?;
            write_table(out, alerts, color, view.timeline)?;
        }
    }
    out.flush()
}

/// The events behind an alert, in time order.
fn timeline_of<'a>(a: &Alert, tl: &'a HashMap<Evidence, IdentityEvent>) -> Vec<&'a IdentityEvent> {
    let mut events: Vec<&IdentityEvent> = a.evidence.iter().filter_map(|e| tl.get(e)).collect();
    events.sort_by(|x, y| {
        x.time
            .cmp(&y.time)
            .then(x.evidence.record.cmp(&y.evidence.record))
    });
    events
}

fn write_incidents(
    out: &mut dyn Write,
    incidents: &[Incident],
    alerts: &[Alert],
    color: bool,
) -> io::Result<()> {
    if incidents.is_empty() {
        return Ok(());
    }
    writeln!(out, "INCIDENTS")?;
    for inc in incidents {
        let sev = inc.severity.to_string().to_uppercase();
        let sev = if color {
            format!("{}{sev}\x1b[0m", sev_color(inc.severity))
        } else {
            sev
        };
        writeln!(
            out,
            "{}  {}  {} .. {}  {}",
            inc.id,
            sev,
            inc.time.format("%Y-%m-%d %H:%M:%S"),
            inc.last_time.format("%H:%M:%S"),
            inc.title
        )?;
        if !inc.victims.is_empty() {
            writeln!(out, "    targets: {}", clip(&inc.victims.join(", "), 120))?;
        }
        for id in &inc.alerts {
            if let Some(a) = alerts.iter().find(|a| &a.id == id) {
                writeln!(
                    out,
                    "    {}  {:<8}  {:<24} {}",
                    a.time.format("%H:%M:%S"),
                    a.severity.as_str(),
                    a.kind.as_str(),
                    clip(&a.title, 90)
                )?;
            }
        }
    }
    writeln!(out)?;
    writeln!(out, "ALERTS")
}

fn write_csv(out: &mut dyn Write, alerts: &[Alert]) -> io::Result<()> {
    writeln!(
        out,
        "id,time,last_time,severity,kind,mitre,title,actor,source_host,targets,count,evidence,description,incident"
    )?;
    for a in alerts {
        let evidence: Vec<String> = a
            .evidence
            .iter()
            .map(|e| format!("{}#{}", e.source, e.record))
            .collect();
        let fields = [
            a.id.clone(),
            a.time.to_rfc3339(),
            a.last_time.to_rfc3339(),
            a.severity.to_string(),
            a.kind.to_string(),
            a.mitre.join(";"),
            a.title.clone(),
            a.actor.clone().unwrap_or_default(),
            a.source_host.clone().unwrap_or_default(),
            a.targets.join(";"),
            a.count.to_string(),
            evidence.join(";"),
            a.description.clone(),
            a.incident.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

/// RFC 4180 quoting, plus a leading `'` for cells a spreadsheet would run as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn write_table(
    out: &mut dyn Write,
    alerts: &[Alert],
    color: bool,
    timeline: Option<&HashMap<Evidence, IdentityEvent>>,
) -> io::Result<()> {
    if alerts.is_empty() {
        return writeln!(out, "No alerts.");
    }
    let rows: Vec<[String; 5]> = alerts
        .iter()
        .map(|a| {
            [
                a.time.format("%Y-%m-%d %H:%M:%S").to_string(),
                a.severity.to_string().to_uppercase(),
                a.kind.to_string(),
                a.actor.clone().unwrap_or_else(|| "-".into()),
                if a.count > 1 {
                    format!("{} (x{})", a.title, a.count)
                } else {
                    a.title.clone()
                },
            ]
        })
        .collect();
    let headers = ["TIME (UTC)", "SEVERITY", "KIND", "ACTOR", "TITLE"];
    let mut widths = headers.map(|h| h.len());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()).take(4) {
            *w = (*w).max(c.chars().count()).min(40);
        }
    }
    let line = |cells: &[String; 5], sev: Option<Severity>| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let text = if i < 4 { clip(c, widths[i]) } else { c.clone() };
            let padded = if i < 4 {
                format!("{:<w$}  ", text, w = widths[i])
            } else {
                text
            };
            match (i, sev, color) {
                (1, Some(sev), true) => s.push_str(&format!("{}{padded}\x1b[0m", sev_color(sev))),
                _ => s.push_str(&padded),
            }
        }
        s
    };
    writeln!(out, "{}", line(&headers.map(String::from), None))?;
    for (r, a) in rows.iter().zip(alerts) {
        writeln!(out, "{}", line(r, Some(a.severity)))?;
        if let Some(tl) = timeline {
            for e in timeline_of(a, tl) {
                writeln!(out, "      {}", describe_event(e))?;
            }
            if a.evidence_omitted > 0 {
                writeln!(out, "      … {} more record(s)", a.evidence_omitted)?;
            }
        }
    }
    Ok(())
}

/// One timeline line: time, what happened, who, from where, to whom, and the record.
pub fn describe_event(e: &IdentityEvent) -> String {
    let mut s = format!(
        "{}  {}",
        e.time.format("%Y-%m-%d %H:%M:%S%.3f"),
        e.kind.name()
    );
    if let Some(a) = &e.actor {
        s.push_str(&format!("  actor={a}"));
    }
    if let Some(h) = &e.source {
        s.push_str(&format!("  from={h}"));
    }
    if let Some(t) = &e.target {
        s.push_str(&format!("  target={t}"));
    }
    if e.outcome.is_failure() {
        s.push_str("  FAILED");
    }
    s.push_str(&format!(
        "  [{}#{}{}]",
        e.evidence.source,
        e.evidence.record,
        e.evidence
            .event_id
            .map(|id| format!(" event {id}"))
            .unwrap_or_default()
    ));
    s
}

fn sev_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[1;35m",
        Severity::High => "\x1b[1;31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
    }
}

fn clip(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(w.saturating_sub(1)).collect();
        c.push('…');
        c
    }
}

/// The closing summary, for people (stderr).
pub fn write_summary(out: &mut dyn Write, t: &ScanTotals) -> io::Result<()> {
    let s = &t.alerts_by_severity;
    writeln!(
        out,
        "Scanned {} file(s) ({} read, {} unreadable{}), {} records, {} identity events in {:.2}s ({:.0} records/s).",
        t.files,
        t.files_read,
        t.unreadable_files,
        if t.skipped_files > 0 {
            format!(
                ", {} skipped as neither event logs nor packet captures",
                t.skipped_files
            )
        } else {
            String::new()
        },
        t.records,
        t.events,
        t.elapsed_secs,
        t.records_per_sec
    )?;
    if t.warnings > 0 {
        writeln!(
            out,
            "{} damaged record(s) or line(s) skipped with a warning.",
            t.warnings
        )?;
    }
    if t.encrypted > 0 {
        writeln!(
            out,
            "{} encrypted payload(s) in packet captures left unread (sealed LDAP, SMB3, RPC).",
            t.encrypted
        )?;
    }
    writeln!(
        out,
        "Alerts: {} ({} critical, {} high, {} medium, {} low) in {} incident(s).",
        t.alerts, s.critical, s.high, s.medium, s.low, t.incidents
    )?;
    if t.suppressed_alerts > 0 {
        writeln!(
            out,
            "{} alert(s) silenced by the allow-list.",
            t.suppressed_alerts
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
    }
}
