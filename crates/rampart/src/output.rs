//! Writing alerts: a table for people, JSON/JSONL/CSV for programs.
//!
//! JSONL is the stable contract (README, "The JSONL contract"): one [`Alert`] object per line,
//! serialized as the core type defines it.

use crate::scan::ScanTotals;
use rampart_core::{Alert, Severity};
use std::io::{self, Write};

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
    alerts: &[Alert],
    totals: &ScanTotals,
    color: bool,
) -> io::Result<()> {
    match format {
        Format::Jsonl => {
            for a in alerts {
                serde_json::to_writer(&mut *out, a)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Json => {
            let doc = serde_json::json!({ "alerts": alerts, "summary": totals });
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            out.write_all(b"\n")?;
        }
        Format::Csv => write_csv(out, alerts)?,
        Format::Table => write_table(out, alerts, color)?,
    }
    out.flush()
}

fn write_csv(out: &mut dyn Write, alerts: &[Alert]) -> io::Result<()> {
    writeln!(
        out,
        "id,time,last_time,severity,kind,mitre,title,actor,source_host,targets,count,evidence,description"
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

fn write_table(out: &mut dyn Write, alerts: &[Alert], color: bool) -> io::Result<()> {
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
    }
    Ok(())
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
            format!(", {} skipped as not event logs", t.skipped_files)
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
    writeln!(
        out,
        "Alerts: {} ({} critical, {} high, {} medium, {} low).",
        t.alerts, s.critical, s.high, s.medium, s.low
    )
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
