//! `rampart sensor`: live capture on an interface into the detection engine.

use crate::{parse_severity, DetectionArgs, MAX_WARNINGS_SHOWN};
use anyhow::Context as _;
use clap::{Args, ValueEnum};
use rampart::sensor::{self, SensorOutput};
use rampart_core::{Alert, IdentityEvent, Severity};
use rampart_ingest::Warning;
use rampart_net::live::{self, LiveCapture, LiveConfig};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Args)]
pub struct SensorArgs {
    /// The interface to capture on (`rampart sensor --list-interfaces` shows them).
    #[arg(
        long,
        short = 'i',
        value_name = "IF",
        required_unless_present = "list_interfaces"
    )]
    interface: Option<String>,
    /// A capture filter in tcpdump (BPF) syntax, e.g. `host 10.0.0.10`. Leave RPC's dynamic
    /// ports in: DRSUAPI and SAMR often run there.
    #[arg(long, value_name = "BPF")]
    filter: Option<String>,
    /// Bytes kept of each packet.
    #[arg(long, value_name = "BYTES", default_value_t = 262_144)]
    snaplen: i32,
    /// Only traffic to and from this host (no promiscuous mode).
    #[arg(long)]
    no_promiscuous: bool,
    /// The kernel capture buffer, in MiB: what absorbs bursts.
    #[arg(long, value_name = "MIB", default_value_t = 32)]
    buffer_mib: i32,
    /// Stop after this many seconds (default: run until Ctrl-C or SIGTERM).
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// How alerts are written: `jsonl` (the scan's JSONL contract, one alert per line) or
    /// `text` (one readable line each) [default: text on a terminal, else jsonl].
    #[arg(long, short = 'f', value_enum)]
    format: Option<LiveFormat>,
    /// Only report alerts at or above this severity.
    #[arg(long, value_name = "LEVEL", default_value = "low", value_parser = parse_severity)]
    min_severity: Severity,
    /// Append alerts to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also append every event the sensor produced to FILE, as JSON lines.
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
    /// No start and end messages or warnings on standard error (errors still print).
    #[arg(long, short = 'q')]
    quiet: bool,
    /// List the interfaces that can be captured on, and exit.
    #[arg(long)]
    list_interfaces: bool,
    #[command(flatten)]
    detection: DetectionArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LiveFormat {
    Jsonl,
    Text,
}

struct Writer {
    alerts: Box<dyn Write>,
    events: Option<Box<dyn Write>>,
    format: LiveFormat,
    min_severity: Severity,
    quiet: bool,
    warnings: u64,
    /// Alerts written (distinct ids), for the exit status.
    shown: std::collections::HashSet<String>,
    failed: Option<std::io::Error>,
}

impl Writer {
    fn keep(&mut self, r: std::io::Result<()>) {
        if let Err(e) = r {
            self.failed.get_or_insert(e);
        }
    }
}

impl SensorOutput for Writer {
    fn alert(&mut self, a: &Alert, update: bool) {
        if a.severity < self.min_severity {
            return;
        }
        self.shown.insert(a.id.clone());
        let r = match self.format {
            LiveFormat::Jsonl => serde_json::to_writer(&mut self.alerts, a)
                .map_err(std::io::Error::from)
                .and_then(|()| self.alerts.write_all(b"\n")),
            LiveFormat::Text => writeln!(
                self.alerts,
                "{} {:<8} {:<24} {:<20} {}{}",
                a.time.format("%Y-%m-%d %H:%M:%S"),
                a.severity.to_string().to_uppercase(),
                a.kind,
                a.actor.as_deref().unwrap_or("-"),
                a.title,
                if update {
                    format!(" (update x{}, {})", a.count, a.id)
                } else {
                    format!(" ({})", a.id)
                }
            ),
        }
        .and_then(|()| self.alerts.flush());
        self.keep(r);
    }

    fn event(&mut self, e: &IdentityEvent) {
        if let Some(w) = &mut self.events {
            let r = serde_json::to_writer(&mut *w, e)
                .map_err(std::io::Error::from)
                .and_then(|()| w.write_all(b"\n"));
            self.keep(r);
        }
    }

    fn warning(&mut self, w: &Warning) {
        if self.quiet {
            return;
        }
        self.warnings += 1;
        if self.warnings <= MAX_WARNINGS_SHOWN {
            eprintln!("warning: {w}");
        } else if self.warnings == MAX_WARNINGS_SHOWN + 1 {
            eprintln!("warning: more warnings follow; counted at the end");
        }
    }
}

fn append(path: &PathBuf) -> anyhow::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

pub fn run(args: SensorArgs) -> anyhow::Result<ExitCode> {
    if args.list_interfaces {
        let mut out = std::io::stdout().lock();
        for i in live::interfaces()? {
            let addrs: Vec<String> = i.addresses.iter().map(|a| a.to_string()).collect();
            writeln!(
                out,
                "{:<16} {:<5} {:<40} {}",
                i.name,
                if i.up { "up" } else { "down" },
                addrs.join(","),
                i.description.unwrap_or_default()
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(interface) = args.interface.clone() else {
        anyhow::bail!("--interface is required");
    };
    let duration = match args.duration {
        Some(d) if d.is_finite() && d > 0.0 => Some(Duration::from_secs_f64(d)),
        Some(d) => anyhow::bail!("--duration {d}: must be a positive number of seconds"),
        None => None,
    };
    if args.buffer_mib <= 0 || args.buffer_mib > 2047 {
        anyhow::bail!(
            "--buffer-mib {}: must be between 1 and 2047",
            args.buffer_mib
        );
    }
    let engine = args.detection.engine_config(args.quiet)?;
    let mut config = LiveConfig::new(interface.clone());
    config.filter = args.filter.clone();
    config.snaplen = args.snaplen;
    config.promiscuous = !args.no_promiscuous;
    config.buffer_bytes = args.buffer_mib * 1024 * 1024;
    let capture = LiveCapture::open(&config)?;

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed))
            .context("installing the Ctrl-C / SIGTERM handler")?;
    }
    let format = args.format.unwrap_or(
        if args.output.is_none() && std::io::stdout().is_terminal() {
            LiveFormat::Text
        } else {
            LiveFormat::Jsonl
        },
    );
    let alerts: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::LineWriter::new(append(path)?)),
        None => Box::new(std::io::stdout()),
    };
    let events: Option<Box<dyn Write>> = match &args.events {
        Some(path) => Some(Box::new(std::io::BufWriter::new(append(path)?))),
        None => None,
    };
    let mut out = Writer {
        alerts,
        events,
        format,
        min_severity: args.min_severity,
        quiet: args.quiet,
        warnings: 0,
        shown: Default::default(),
        failed: None,
    };
    if !args.quiet {
        eprintln!(
            "rampart sensor: capturing on {interface} (link type {}){}; Ctrl-C stops",
            capture.linktype(),
            match &args.filter {
                Some(f) => format!(", filter `{f}`"),
                None => String::new(),
            }
        );
    }
    let report = sensor::run(capture, &engine, &stop, duration, &mut out)?;
    if let Some(w) = &mut out.events {
        let r = w.flush();
        out.keep(r);
    }
    if let Some(e) = out.failed.take() {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(anyhow::Error::from(e).context("writing the sensor's output"));
        }
    }
    if !args.quiet {
        let c = &report.capture;
        eprintln!(
            "rampart sensor: {} packets in {:.1}s ({} dropped by the kernel, {} by the interface), \
             {} events ({} unknown packets, {} malformed, {} encrypted), {} alerts ({} lines), \
             {} silenced by --allow",
            c.read.records,
            c.elapsed.as_secs_f64(),
            c.dropped,
            c.if_dropped,
            report.events,
            c.read.unknown,
            c.read.skipped,
            c.read.encrypted,
            report.alerts,
            report.alert_updates,
            report.suppressed
        );
    }
    Ok(if out.shown.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
