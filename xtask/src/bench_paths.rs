//! `cargo xtask bench-paths`: time and peak memory of the attack-path computation on a
//! synthetic directory graph (deterministic, 100,000 nodes and 1,000,000 edges by default).
//!
//! The measurement runs in a child process (this binary's hidden `bench-paths-run`), so the
//! peak RSS is that of the computation alone. It prints figures and never asserts on them.

use crate::proc;
use anyhow::{Context as _, Result};
use rampart_directory::graph::{AttackGraph, EdgeKind, Node, NodeKind};
use rampart_directory::{ObjectKind, Right};
use std::process::{Command, Stdio};
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Nodes in the synthetic graph.
    #[arg(long, default_value_t = 100_000)]
    nodes: usize,
    /// Edges in the synthetic graph.
    #[arg(long, default_value_t = 1_000_000)]
    edges: usize,
    /// Runs (the median is reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// xorshift64*: small, deterministic, good enough to spread edges.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A directory-shaped graph: 80% users, 15% computers, 5% groups, one domain; edges are
/// group memberships (users and nested groups), local admin rights (groups to computers),
/// sessions (computers to users) and ACL rights (any principal to any object), in the
/// proportions of a mid-sized domain's BloodHound collection.
fn synthetic(nodes: usize, edges: usize) -> (AttackGraph, Vec<petgraph::graph::NodeIndex>) {
    let mut g = AttackGraph::with_capacity(nodes, edges);
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let n_users = nodes * 80 / 100;
    let n_computers = nodes * 15 / 100;
    let n_groups = nodes.saturating_sub(n_users + n_computers + 1).max(2);
    let mut ix = Vec::with_capacity(nodes);
    let mk = |g: &mut AttackGraph, kind, name: String| {
        g.add_node(Node {
            kind: NodeKind::Object(kind),
            name,
            domain: "bench.local".into(),
            dn: None,
            sid: None,
        })
    };
    let domain = mk(&mut g, ObjectKind::Domain, "bench.local".into());
    let users: Vec<_> = (0..n_users)
        .map(|i| mk(&mut g, ObjectKind::User, format!("u{i}")))
        .collect();
    let computers: Vec<_> = (0..n_computers)
        .map(|i| mk(&mut g, ObjectKind::Computer, format!("c{i}$")))
        .collect();
    let groups: Vec<_> = (0..n_groups)
        .map(|i| mk(&mut g, ObjectKind::Group, format!("g{i}")))
        .collect();
    ix.extend_from_slice(&users);
    ix.extend_from_slice(&computers);
    ix.extend_from_slice(&groups);
    // Group 0 is Domain Admins, with 20 members; targets: it and the domain.
    let da = groups[0];
    for _ in 0..20 {
        g.add_edge_unchecked(users[rng.below(users.len())], EdgeKind::MemberOf, da);
    }
    let rights = [
        Right::GenericAll,
        Right::GenericWrite,
        Right::WriteDacl,
        Right::WriteOwner,
        Right::ForceChangePassword,
        Right::AddMember,
    ];
    for e in 20..edges {
        match e % 10 {
            0..=2 => {
                // membership: users into groups (not DA), a few nested groups
                let from = if rng.below(10) == 0 {
                    groups[1 + rng.below(groups.len() - 1)]
                } else {
                    users[rng.below(users.len())]
                };
                g.add_edge_unchecked(
                    from,
                    EdgeKind::MemberOf,
                    groups[1 + rng.below(groups.len() - 1)],
                );
            }
            3 | 4 => g.add_edge_unchecked(
                groups[1 + rng.below(groups.len() - 1)],
                EdgeKind::AdminTo,
                computers[rng.below(computers.len())],
            ),
            5..=7 => g.add_edge_unchecked(
                computers[rng.below(computers.len())],
                EdgeKind::HasSession,
                users[rng.below(users.len())],
            ),
            _ => g.add_edge_unchecked(
                ix[rng.below(ix.len())],
                EdgeKind::Acl(rights[rng.below(rights.len())]),
                ix[rng.below(ix.len())],
            ),
        }
    }
    (g, vec![da, domain])
}

/// The child: builds the graph, computes every account's shortest path, prints JSON.
pub fn run_child(args: Args) -> Result<()> {
    let t0 = Instant::now();
    let (g, targets) = synthetic(args.nodes, args.edges);
    let build = t0.elapsed();
    let t1 = Instant::now();
    let tree = g.paths_to(&targets);
    let bfs = t1.elapsed();
    let t2 = Instant::now();
    let mut paths = 0usize;
    let mut hops = 0usize;
    for ix in g.graph.node_indices() {
        if matches!(
            g.node(ix).map(|n| n.kind),
            Some(NodeKind::Object(ObjectKind::User | ObjectKind::Computer))
        ) {
            if let Some(p) = tree.path(&g, ix) {
                paths += 1;
                hops += p.edges.len();
            }
        }
    }
    let extract = t2.elapsed();
    println!(
        "{}",
        serde_json::json!({
            "nodes": g.graph.node_count(),
            "edges": g.graph.edge_count(),
            "build_s": build.as_secs_f64(),
            "bfs_s": bfs.as_secs_f64(),
            "extract_s": extract.as_secs_f64(),
            "paths": paths,
            "mean_hops": hops as f64 / paths.max(1) as f64,
        })
    );
    Ok(())
}

pub fn run(args: Args) -> Result<()> {
    let exe = std::env::current_exe().context("this binary's path")?;
    let mut results = Vec::new();
    for run in 0..args.runs.max(1) {
        let out = tempfile_path(run);
        let file = std::fs::File::create(&out).with_context(|| format!("{}", out.display()))?;
        let outcome = proc::run(
            Command::new(&exe)
                .args([
                    "bench-paths-run",
                    "--nodes",
                    &args.nodes.to_string(),
                    "--edges",
                    &args.edges.to_string(),
                ])
                .stdout(Stdio::from(file)),
            None,
        )?;
        let text = std::fs::read_to_string(&out)?;
        let _ = std::fs::remove_file(&out);
        anyhow::ensure!(
            outcome.exit == proc::Exit::Code(0),
            "bench child failed: {:?}",
            outcome.exit
        );
        let v: serde_json::Value = serde_json::from_str(text.trim()).context("child output")?;
        results.push((outcome, v));
    }
    results.sort_by_key(|r| r.0.wall);
    let (o, v) = &results[results.len() / 2];
    let f = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(f64::NAN)
    };
    println!(
        "attack paths on a synthetic graph: {} nodes, {} edges (median of {} runs)",
        v["nodes"],
        v["edges"],
        results.len()
    );
    println!("  graph build      {:>8.3} s", f("build_s"));
    println!(
        "  shortest paths   {:>8.3} s  (one backward BFS from the targets)",
        f("bfs_s")
    );
    println!(
        "  extract paths    {:>8.3} s  ({} accounts with a path, {:.1} hops on average)",
        f("extract_s"),
        v["paths"],
        f("mean_hops")
    );
    println!(
        "  process wall     {:>8.3} s, peak RSS {:.1} MiB",
        o.wall.as_secs_f64(),
        o.max_rss_kib as f64 / 1024.0
    );
    Ok(())
}

fn tempfile_path(run: usize) -> std::path::PathBuf {
    crate::target_dir().join(format!("bench-paths-{}-{run}.json", std::process::id()))
}
