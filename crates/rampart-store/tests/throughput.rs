//! Batched insert throughput, printed rather than asserted (machines differ):
//!
//! ```text
//! cargo test -p rampart-store --release --test throughput -- --ignored --nocapture
//! ```
//!
//! Knobs (environment): `BENCH_EVENTS` (500000), `BENCH_BATCH` (10000), `BENCH_ACCOUNTS`
//! (2000), `BENCH_HOSTS` (300). Wall time counts everything the writer waits for; the CPU line
//! is the writing thread's own time (not the checkpoint thread's), which other processes on a
//! busy machine do not inflate.

mod common;

use common::*;
use rampart_core::{Account, Host, IdentityEvent};
use rampart_store::{EventQuery, SqliteStore, Store};
use std::time::Instant;

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A busy stretch of a mid-sized domain: accounts on workstations, mostly logons, some service
/// tickets and failures, from two DC logs; every event names an account and a host.
fn workload(n: usize, accounts: usize, hosts: usize) -> Vec<IdentityEvent> {
    let accounts: Vec<Account> = (0..accounts)
        .map(|i| {
            account(&format!("user{i:04}"), "CORP")
                .with_sid(Some(&format!("S-1-5-21-1-2-3-{}", 1100 + i)))
        })
        .collect();
    let hosts: Vec<Host> = (0..hosts)
        .map(|i| {
            let ip = format!("10.{}.{}.{}", i / 40_000, i / 200 % 200, i % 200 + 1);
            Host::from_parts(Some(&format!("WS{i:03}.corp.local")), Some(&ip)).unwrap()
        })
        .collect();
    (0..n)
        .map(|i| {
            let user = &accounts[(i * 7919) % accounts.len()];
            let host = &hosts[(i * 104_729) % hosts.len()];
            let t = (i / 3) as i64;
            match i % 10 {
                0..=5 => logon(t, user, host, i as u64),
                6..=8 => service_ticket(t, user, "svc_sql", "logs/dc02.jsonl", i as u64),
                _ => logon_failure(t, user, i as u64),
            }
        })
        .collect()
}

/// CPU seconds (user + system) this thread has used, from /proc; `None` elsewhere.
fn thread_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn report(what: &str, n: usize, wall: f64, cpu: Option<f64>) {
    print!(
        "{what}: {n} events, {wall:.2} s, {:.0} events/s",
        n as f64 / wall
    );
    match cpu {
        Some(cpu) => println!(" ({cpu:.2} CPU s, {:.0} events per CPU s)", n as f64 / cpu),
        None => println!(),
    }
}

#[test]
#[ignore = "measures; run in release with --nocapture"]
fn batched_insert_throughput() {
    let n = knob("BENCH_EVENTS", 500_000);
    let batch = knob("BENCH_BATCH", 10_000);
    let events = workload(n, knob("BENCH_ACCOUNTS", 2000), knob("BENCH_HOSTS", 300));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let scan = store.begin_scan(&meta(0)).unwrap();

    for (what, expect_new) in [("insert", true), ("re-insert (all duplicates)", false)] {
        let start = Instant::now();
        let cpu = thread_cpu_secs();
        for chunk in events.chunks(batch) {
            store.insert_events(scan, chunk).unwrap();
        }
        let wall = start.elapsed().as_secs_f64();
        let cpu = cpu.zip(thread_cpu_secs()).map(|(a, b)| b - a);
        report(&format!("{what}, batches of {batch}"), n, wall, cpu);
        if expect_new {
            let size = std::fs::metadata(&path).unwrap().len()
                + std::fs::metadata(format!("{}-wal", path.display()))
                    .map(|m| m.len())
                    .unwrap_or(0);
            println!(
                "database and WAL: {:.1} MB, {:.0} bytes/event",
                size as f64 / 1e6,
                size as f64 / n as f64
            );
        }
    }

    let start = Instant::now();
    let page = store
        .events(&EventQuery {
            limit: Some(100),
            newest_first: true,
            ..Default::default()
        })
        .unwrap();
    println!(
        "latest 100 events: {:.2} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    assert_eq!(page.len(), 100);
}
