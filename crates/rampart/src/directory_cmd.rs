//! `rampart collect` and `rampart paths`: directory snapshots and attack paths.

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use rampart_directory::collect::{collect_ldap, LdapOptions, PasswordSource};
use rampart_directory::graph::{AttackGraph, AttackPath};
use rampart_directory::sensitive::{SensitiveConfig, SensitiveSet};
use rampart_directory::{bloodhound, ldif, Directory};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Where a snapshot comes from.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct Source {
    /// A DC to read over LDAP: `ldap://host` or `ldaps://host`.
    #[arg(long, value_name = "URL", requires = "bind")]
    ldap: Option<String>,
    /// An LDIF export (`ldapsearch`, `ldifde`), with `nTSecurityDescriptor` for ACL edges.
    #[arg(long, value_name = "FILE")]
    ldif: Option<PathBuf>,
    /// A folder of SharpHound or bloodhound-python JSON files.
    #[arg(long, value_name = "DIR")]
    bloodhound: Option<PathBuf>,
}

#[derive(Args)]
pub struct LdapArgs {
    /// Bind DN or UPN (`user@domain`) for a simple bind.
    #[arg(long, value_name = "DN")]
    bind: Option<String>,
    /// File holding the bind password (its trailing newline is ignored).
    #[arg(long, value_name = "FILE", conflicts_with = "password_env")]
    password_file: Option<PathBuf>,
    /// Environment variable holding the bind password.
    #[arg(long, value_name = "VAR")]
    password_env: Option<String>,
    /// Domain naming context [default: the DC's defaultNamingContext].
    #[arg(long, value_name = "DN")]
    base: Option<String>,
    /// Accept any TLS certificate (ldaps:// to a lab DC with a self-signed certificate).
    #[arg(long)]
    insecure_tls: bool,
    /// Seconds to wait for the DC to answer one request.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    timeout: u64,
}

#[derive(Args)]
pub struct CollectArgs {
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    ldap: LdapArgs,
    /// Where to write the snapshot (JSON), for `rampart paths --directory`.
    #[arg(long, short = 'o', value_name = "FILE")]
    out: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum PathFormat {
    Table,
    Json,
    Dot,
}

#[derive(Args)]
pub struct PathsArgs {
    /// A snapshot written by `rampart collect`.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["ldif", "bloodhound"])]
    directory: Option<PathBuf>,
    /// An LDIF export.
    #[arg(long, value_name = "FILE", conflicts_with = "bloodhound")]
    ldif: Option<PathBuf>,
    /// A folder of SharpHound or bloodhound-python JSON files.
    #[arg(long, value_name = "DIR")]
    bloodhound: Option<PathBuf>,
    /// Target: `Domain Admins` (each domain's Domain Admins, the domain objects, AdminSDHolder,
    /// DCs and krbtgt: whatever controls one controls the domain), or any object by name, DN
    /// or SID.
    #[arg(long, value_name = "WHAT", default_value = "Domain Admins")]
    to: String,
    /// Only the path from this account (name, `DOMAIN\name`, DN or SID) [default: every
    /// account that is not itself sensitive].
    #[arg(long, value_name = "ACCOUNT")]
    from: Option<String>,
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    format: PathFormat,
    /// A honeytoken (repeatable): a decoy is sensitive and never a path's start.
    #[arg(long, value_name = "ACCOUNT")]
    honeytoken: Vec<String>,
}

fn read_source(src: &Source, ldap: &LdapArgs) -> anyhow::Result<Directory> {
    if let Some(url) = &src.ldap {
        let password = match (&ldap.password_file, &ldap.password_env) {
            (Some(f), _) => PasswordSource::File(f.clone()),
            (None, Some(v)) => PasswordSource::Env(v.clone()),
            (None, None) => anyhow::bail!(
                "--ldap needs --password-file or --password-env (never a password on the command line)"
            ),
        }
        .read()?;
        let opts = LdapOptions {
            url: url.clone(),
            bind: ldap.bind.clone().unwrap_or_default(),
            password,
            base: ldap.base.clone(),
            no_tls_verify: ldap.insecure_tls,
            timeout: Duration::from_secs(ldap.timeout.max(1)),
        };
        return Ok(collect_ldap(&opts)?);
    }
    if let Some(f) = &src.ldif {
        return Ok(ldif::load(f)?);
    }
    if let Some(d) = &src.bloodhound {
        return Ok(bloodhound::load(d)?);
    }
    anyhow::bail!("no source: --ldap, --ldif or --bloodhound")
}

pub fn cmd_collect(args: CollectArgs) -> anyhow::Result<ExitCode> {
    let d = read_source(&args.source, &args.ldap)?;
    for w in &d.warnings {
        eprintln!("rampart: warning: {w}");
    }
    d.save(&args.out)?;
    eprintln!(
        "{}: {} domains, {} users, {} computers, {} groups, {} OUs, {} GPOs, {} trusts, {} certificate templates",
        args.out.display(),
        d.domains.len(),
        d.users.len(),
        d.computers.len(),
        d.groups.len(),
        d.ous.len(),
        d.gpos.len(),
        d.trusts.len(),
        d.cert_templates.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Exit status: 0 no path, 1 paths found.
pub fn cmd_paths(args: PathsArgs) -> anyhow::Result<ExitCode> {
    let d = match (&args.directory, &args.ldif, &args.bloodhound) {
        (Some(f), _, _) => Directory::load(f)?,
        (None, Some(f), _) => ldif::load(f)?,
        (None, None, Some(dir)) => bloodhound::load(dir)?,
        (None, None, None) => anyhow::bail!("give --directory, --ldif or --bloodhound"),
    };
    let g = AttackGraph::build(&d);
    let cfg = SensitiveConfig {
        honeytokens: args.honeytoken.clone(),
        ..SensitiveConfig::default()
    };
    let sensitive = SensitiveSet::compute(&d, &cfg);
    let targets = if args.to.eq_ignore_ascii_case("domain admins") {
        g.tier_zero(&d)
    } else {
        vec![g
            .find(&args.to)
            .with_context(|| format!("--to {}: no such object in the snapshot", args.to))?]
    };
    let tree = g.paths_to(&targets);
    let sources = match &args.from {
        Some(f) => vec![g
            .find(f)
            .with_context(|| format!("--from {f}: no such account in the snapshot"))?],
        None => g.sources(&sensitive),
    };
    let mut paths: Vec<AttackPath> = sources
        .into_iter()
        .filter_map(|s| tree.path(&g, s))
        .collect();
    paths.sort_by_key(|p| (p.edges.len(), g.render(p)));
    let mut out = std::io::stdout().lock();
    match args.format {
        PathFormat::Table => {
            for p in &paths {
                let from = g.node(p.nodes[0]).map(|n| n.domain.as_str()).unwrap_or("");
                writeln!(out, "{:>2} hops  {}  [{from}]", p.edges.len(), g.render(p))?;
            }
            for n in &g.notes {
                writeln!(out, "note: {n}")?;
            }
            if paths.is_empty() {
                writeln!(out, "no path to {}", args.to)?;
            }
        }
        PathFormat::Json => {
            let v: Vec<serde_json::Value> = paths
                .iter()
                .map(|p| {
                    let nodes: Vec<serde_json::Value> = p
                        .nodes
                        .iter()
                        .filter_map(|ix| g.node(*ix))
                        .map(|n| serde_json::json!({"name": n.name, "domain": n.domain, "dn": n.dn, "sid": n.sid, "kind": n.kind}))
                        .collect();
                    let edges: Vec<&str> = p.edges.iter().map(|e| e.name()).collect();
                    serde_json::json!({"path": g.render(p), "nodes": nodes, "edges": edges})
                })
                .collect();
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({"paths": v, "notes": g.notes}),
            )?;
            writeln!(out)?;
        }
        PathFormat::Dot => {
            writeln!(out, "digraph paths {{\n  rankdir=LR;")?;
            let mut edges = std::collections::BTreeSet::new();
            for p in &paths {
                for (i, e) in p.edges.iter().enumerate() {
                    edges.insert((
                        g.node_label(p.nodes[i]),
                        e.name(),
                        g.node_label(p.nodes[i + 1]),
                    ));
                }
            }
            for (a, e, b) in edges {
                writeln!(out, "  {:?} -> {:?} [label={:?}];", a, b, e)?;
            }
            writeln!(out, "}}")?;
        }
    }
    Ok(if paths.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A directory from a path of any kind users bring: a folder is a BloodHound collection, a
/// file whose content starts with `{` a snapshot from `rampart collect`, any other file LDIF.
pub fn load_any(path: &std::path::Path) -> anyhow::Result<Directory> {
    if path.is_dir() {
        return Ok(bloodhound::load(path)?);
    }
    let mut head = [0u8; 512];
    let n = {
        use std::io::Read;
        let mut f = std::fs::File::open(path)
            .with_context(|| format!("opening the directory {}", path.display()))?;
        f.read(&mut head)
            .with_context(|| format!("reading the directory {}", path.display()))?
    };
    let first = head[..n].iter().find(|b| !b.is_ascii_whitespace());
    Ok(if first == Some(&b'{') {
        Directory::load(path)?
    } else {
        ldif::load(path)?
    })
}
