//! `rampart posture`: score a directory snapshot with the posture checks and report.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args, ValueEnum};
use rampart_directory::posture::{self, DcConfig, PostureContext, Status};
use rampart_directory::Directory;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
#[command(group(ArgGroup::new("input").required(true).args(["directory", "ldif", "bloodhound"])))]
pub struct PostureArgs {
    /// A directory snapshot (JSON, as Rampart's collectors save it).
    #[arg(long, value_name = "FILE")]
    directory: Option<PathBuf>,
    /// An LDIF export of the domain (ldapsearch, ldifde); security descriptors are read when
    /// exported (SD flags control 7).
    #[arg(long, value_name = "FILE")]
    ldif: Option<PathBuf>,
    /// A BloodHound collection folder (SharpHound v4/v5 or bloodhound-python JSON files).
    #[arg(long, value_name = "DIR")]
    bloodhound: Option<PathBuf>,
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    format: PostureFormat,
    /// Write the report here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// The configuration file (its [entities] honeytokens are the decoys that must exist).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// DC settings the directory does not hold (LDAP/SMB signing, channel binding, NTLMv1,
    /// print spooler): Rampart's TOML (`[[dc]]` tables) or a Samba DC's smb.conf.
    #[arg(long, value_name = "FILE")]
    dc_config: Option<PathBuf>,
    /// Judge ages and staleness as of this time (RFC 3339) instead of the snapshot's own.
    #[arg(long, value_name = "TIME")]
    now: Option<DateTime<Utc>>,
    /// Accounts and computers unseen for longer than this are stale.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    stale_days: i64,
    /// krbtgt's password must be younger than this.
    #[arg(long, value_name = "DAYS", default_value_t = 180)]
    krbtgt_max_age_days: i64,
    /// Admin groups with more enabled members than this are too large.
    #[arg(long, value_name = "N", default_value_t = 10)]
    large_group_threshold: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum PostureFormat {
    Table,
    Json,
    Html,
}

impl PostureArgs {
    pub fn config(&self) -> Option<&std::path::Path> {
        self.config.as_deref()
    }
}

/// Exit status: 0 every check passed or did not apply, 1 findings, 2 usage or input error.
pub fn run(args: PostureArgs, honeytokens: Vec<String>) -> anyhow::Result<ExitCode> {
    let (dir, now) = load(&args)?;
    let mut cx = PostureContext::new(args.now.unwrap_or(now));
    cx.stale_days = args.stale_days;
    cx.dormant_admin_days = args.stale_days;
    cx.krbtgt_max_age_days = args.krbtgt_max_age_days;
    cx.large_group_threshold = args.large_group_threshold;
    cx.honeytokens = honeytokens;
    if let Some(path) = &args.dc_config {
        cx.dc_config = Some(DcConfig::load(path)?);
    }
    for w in dir.warnings.iter().take(20) {
        eprintln!("warning: {w}");
    }
    if dir.warnings.len() > 20 {
        eprintln!("warning: {} more warnings", dir.warnings.len() - 20);
    }
    if dir.domains.is_empty() {
        eprintln!(
            "warning: the snapshot holds no domain object; domain policy checks do not apply"
        );
    }
    let report = posture::assess(&dir, &cx);
    let text = match args.format {
        PostureFormat::Table => posture::report::table(&report),
        PostureFormat::Json => {
            let mut j = posture::report::json(&report).context("serializing the report")?;
            j.push('\n');
            j
        }
        PostureFormat::Html => posture::report::html(&report),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("writing the report to {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(e).context("writing the report");
                }
            }
        }
    }
    let failing = report
        .results
        .iter()
        .any(|o| o.result.status == Status::Fail);
    Ok(ExitCode::from(if failing { 1 } else { 0 }))
}

/// The snapshot and the time it describes. An LDIF file records no time of its own (its
/// reader stamps the load time), so an export is judged as of its newest time stamp.
fn load(args: &PostureArgs) -> anyhow::Result<(Directory, DateTime<Utc>)> {
    if let Some(path) = &args.directory {
        let dir = Directory::load(path)?;
        let now = posture::snapshot_time(&dir, Utc::now());
        return Ok((dir, now));
    }
    if let Some(path) = &args.ldif {
        let dir = rampart_directory::ldif::load(path)?;
        let now = posture::content_time(&dir).unwrap_or_else(Utc::now);
        return Ok((dir, now));
    }
    if let Some(path) = &args.bloodhound {
        let dir = rampart_directory::bloodhound::load(path)?;
        let now = posture::snapshot_time(&dir, Utc::now());
        return Ok((dir, now));
    }
    anyhow::bail!("one of --directory, --ldif or --bloodhound is required")
}
