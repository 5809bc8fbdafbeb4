//! Renderers for a [`Report`]: a terminal table, JSON (the full results), and one
//! self-contained HTML file (inline CSS, no scripts, no external assets) that can be mailed or
//! attached to a ticket and opened offline.

use super::{Outcome, Report, Status};
use std::fmt::Write as _;

/// How many affected objects the HTML lists per check; the JSON always has all of them.
const HTML_MAX_AFFECTED: usize = 500;

/// Score, then one line per check (failing first): status, severity, title, affected count.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let domains = if report.domains.is_empty() {
        "(no domain in the snapshot)".to_string()
    } else {
        report.domains.join(", ")
    };
    let _ = writeln!(
        out,
        "Posture score: {}/100   domain: {}   assessed as of {}",
        report.score,
        domains,
        report.assessed_at.format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(
        out,
        "{} failing, {} passing, {} not applicable\n",
        report.counts.fail, report.counts.pass, report.counts.not_applicable
    );
    let id_w = report
        .results
        .iter()
        .map(|o| o.info.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let _ = writeln!(
        out,
        "{:<14} {:<8} {:>8}  {:<id_w$}  TITLE",
        "STATUS", "SEVERITY", "AFFECTED", "ID"
    );
    for o in &report.results {
        let affected = match o.result.status {
            Status::Fail => o.result.affected.len().to_string(),
            _ => "-".to_string(),
        };
        let _ = write!(
            out,
            "{:<14} {:<8} {:>8}  {:<id_w$}  {}",
            o.result.status.as_str(),
            o.info.severity.as_str(),
            affected,
            o.info.id,
            o.info.title
        );
        if o.result.status == Status::NotApplicable {
            if let Some(r) = &o.result.reason {
                let _ = write!(out, " ({})", one_line(r));
            }
        }
        out.push('\n');
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The whole report as pretty JSON.
pub fn json(report: &Report) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(report)
}

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than white space would make the file invalid HTML.
            c if c.is_control() && !matches!(c, '\n' | '\t' | '\r') => {
                let _ = write!(out, "&#x{:x};", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:70rem;color:#1d2330;padding:0 1rem}
h1{margin-bottom:.2rem}.meta{color:#5a6272;margin-top:0}
.score{font-size:3rem;font-weight:700;margin:.5rem 0}.score small{font-size:1rem;color:#5a6272}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e6ec;vertical-align:top}
th{background:#f3f5f8}a{color:#1a56b0}
.sev{font-weight:600;text-transform:uppercase;font-size:.8rem}
.critical{color:#a3001b}.high{color:#c2410c}.medium{color:#a16207}.low{color:#4b5563}
.st{font-weight:600}.fail{color:#a3001b}.pass{color:#15803d}.not_applicable{color:#6b7280}
section{border:1px solid #e3e6ec;border-radius:6px;padding:.2rem 1rem 1rem;margin:1rem 0}
section h3{margin-bottom:.3rem}dt{font-weight:600;margin-top:.6rem}dd{margin-left:0}
code{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all}
";

/// One self-contained HTML page: score, summary table, then one section per check with what
/// it checks, why it matters, how to fix it, equivalents and the affected objects.
pub fn html(report: &Report) -> String {
    let mut h = String::new();
    let domains = escape_html(&report.domains.join(", "));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Rampart posture: {domains}</title><style>{CSS}</style></head><body>\n\
         <h1>Posture assessment</h1><p class=\"meta\">Domain: {domains} &middot; as of {}</p>\n\
         <p class=\"score\">{}<small>/100</small></p>\
         <p>{} failing, {} passing, {} not applicable.</p>\n",
        report.assessed_at.format("%Y-%m-%d %H:%M UTC"),
        report.score,
        report.counts.fail,
        report.counts.pass,
        report.counts.not_applicable
    );
    h.push_str(
        "<table><thead><tr><th>Status</th><th>Severity</th><th>Check</th><th>Category</th>\
         <th>Affected</th></tr></thead><tbody>\n",
    );
    for o in &report.results {
        let st = o.result.status.as_str();
        let sev = o.info.severity.as_str();
        let affected = if o.result.status == Status::Fail {
            o.result.affected.len().to_string()
        } else {
            String::new()
        };
        let _ = writeln!(
            h,
            "<tr><td class=\"st {st}\">{}</td><td class=\"sev {sev}\">{sev}</td>\
             <td><a href=\"#{id}\">{title}</a></td><td>{cat}</td><td>{affected}</td></tr>",
            st.replace('_', " "),
            id = escape_html(o.info.id),
            title = escape_html(o.info.title),
            cat = o.info.category.label(),
        );
    }
    h.push_str("</tbody></table>\n");
    for o in &report.results {
        section(&mut h, o);
    }
    h.push_str("</body></html>\n");
    h
}

fn section(h: &mut String, o: &Outcome) {
    let st = o.result.status.as_str();
    let sev = o.info.severity.as_str();
    let _ = write!(
        h,
        "<section id=\"{id}\"><h3>{title}</h3><p><span class=\"st {st}\">{stl}</span> &middot; \
         <span class=\"sev {sev}\">{sev}</span> &middot; {cat} &middot; <code>{id}</code></p><dl>",
        id = escape_html(o.info.id),
        title = escape_html(o.info.title),
        stl = st.replace('_', " "),
        cat = o.info.category.label(),
    );
    if let Some(reason) = &o.result.reason {
        let _ = write!(h, "<dt>Note</dt><dd>{}</dd>", escape_html(reason));
    }
    let _ = write!(
        h,
        "<dt>What is checked</dt><dd>{}</dd><dt>Why it matters</dt><dd>{}</dd>\
         <dt>How to fix</dt><dd>{}</dd>",
        escape_html(o.info.checks),
        escape_html(o.info.why),
        escape_html(o.info.fix)
    );
    if !o.info.equivalents.is_empty() {
        h.push_str("<dt>Equivalents</dt><dd>");
        for (i, e) in o.info.equivalents.iter().enumerate() {
            if i > 0 {
                h.push_str("; ");
            }
            if e.id == e.name {
                let _ = write!(h, "{}: {}", e.product, escape_html(e.name));
            } else {
                let _ = write!(
                    h,
                    "{} <code>{}</code> {}",
                    e.product,
                    escape_html(e.id),
                    escape_html(e.name)
                );
            }
        }
        h.push_str("</dd>");
    }
    h.push_str("</dl>");
    if o.result.status == Status::Fail {
        let total = o.result.affected.len();
        let _ = write!(
            h,
            "<table><thead><tr><th>Object</th><th>Held by</th><th>Why</th></tr></thead><tbody>"
        );
        for a in o.result.affected.iter().take(HTML_MAX_AFFECTED) {
            let dn =
                a.dn.as_deref()
                    .map(|d| format!("<br><code>{}</code>", escape_html(d)))
                    .unwrap_or_default();
            let _ = write!(
                h,
                "<tr><td>{}{dn}</td><td>{}</td><td>{}</td></tr>",
                escape_html(&a.name),
                escape_html(a.principal.as_deref().unwrap_or("")),
                escape_html(&a.why)
            );
        }
        h.push_str("</tbody></table>");
        if total > HTML_MAX_AFFECTED {
            let _ = write!(
                h,
                "<p>and {} more (the JSON report lists all).</p>",
                total - HTML_MAX_AFFECTED
            );
        }
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::super::{pingcastle, Affected, Category, CheckInfo, CheckResult, Severity};
    use super::*;
    use chrono::TimeZone;

    static INFO: CheckInfo = CheckInfo {
        id: "kerberoastable_users",
        title: "Kerberoastable <users>",
        severity: Severity::High,
        category: Category::Kerberos,
        checks: "Enabled users with an SPN & more",
        why: "why",
        fix: "fix",
        equivalents: &[pingcastle("S-SPN", "SPN on user")],
    };
    static NA: CheckInfo = CheckInfo {
        id: "esc1",
        title: "ESC1",
        severity: Severity::Critical,
        category: Category::AdCs,
        checks: "",
        why: "",
        fix: "",
        equivalents: &[],
    };

    fn report(name: &str) -> Report {
        Report::from_results(
            chrono::Utc
                .with_ymd_and_hms(2026, 11, 23, 19, 0, 0)
                .unwrap(),
            vec!["rampart.lab".into()],
            [
                (
                    &INFO,
                    CheckResult::from_affected(vec![Affected::new(
                        name,
                        Some("CN=x,DC=rampart,DC=lab"),
                        "SPN \"a\" & 'b'",
                    )
                    .held_by("IT-Support")]),
                ),
                (&NA, CheckResult::not_applicable("no AD CS in the snapshot")),
            ],
        )
    }

    #[test]
    fn html_escapes_every_directory_value() {
        let h = html(&report("<script>alert(1)</script>"));
        assert!(!h.contains("<script>"), "raw script tag in the report");
        assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(h.contains("Kerberoastable &lt;users&gt;"));
        assert!(h.contains("SPN &quot;a&quot; &amp; &#39;b&#39;"));
        assert!(h.contains("Enabled users with an SPN &amp; more"));
        assert!(escape_html("a\u{1}b").contains("&#x1;"));
    }

    #[test]
    fn html_is_self_contained() {
        let h = html(&report("svc_sql"));
        for forbidden in ["<script", "<link", "src=", "http://", "https://", "@import"] {
            assert!(!h.contains(forbidden), "{forbidden} in the HTML report");
        }
        assert!(h.contains("<style>"));
        assert!(h.contains("id=\"kerberoastable_users\""));
        assert!(h.contains("href=\"#kerberoastable_users\""));
        assert!(h.contains("no AD CS in the snapshot"));
        assert!(h.contains("PingCastle <code>S-SPN</code>"));
    }

    #[test]
    fn table_shows_score_and_failing_first() {
        let t = table(&report("svc_sql"));
        let lines: Vec<_> = t.lines().collect();
        assert!(
            lines[0].starts_with("Posture score: 90/100"),
            "{}",
            lines[0]
        );
        let fail = t.find("kerberoastable_users").unwrap();
        let na = t.find("esc1").unwrap();
        assert!(fail < na);
        assert!(t.contains("(no AD CS in the snapshot)"));
    }

    #[test]
    fn json_has_metadata_results_and_score() {
        let v: serde_json::Value =
            serde_json::from_str(&json(&report("svc_sql")).unwrap()).unwrap();
        assert_eq!(v["score"], 90);
        let r = &v["results"][0];
        assert_eq!(r["id"], "kerberoastable_users");
        assert_eq!(r["status"], "fail");
        assert_eq!(r["severity"], "high");
        assert_eq!(r["category"], "kerberos");
        assert_eq!(r["affected"][0]["principal"], "IT-Support");
        assert_eq!(r["equivalents"][0]["id"], "S-SPN");
        assert_eq!(v["results"][1]["status"], "not_applicable");
        assert_eq!(v["counts"]["fail"], 1);
    }
}
