//! Batched insert throughput, printed rather than asserted (machines differ):
//!
//! ```text
//! cargo test -p rampart-store --release --test throughput -- --ignored --nocapture
//! ```

mod common;

use common::*;
use rampart_core::{Account, Host, IdentityEvent};
use rampart_store::{EventQuery, SqliteStore, Store};
use std::time::Instant;

/// A day of a mid-sized domain: 2,000 accounts on 300 workstations, mostly logons, some
/// service tickets and failures, from two DC logs.
fn workload(n: usize) -> Vec<IdentityEvent> {
    let n_accounts: usize = std::env::var("BENCH_ACCOUNTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let n_hosts: usize = std::env::var("BENCH_HOSTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let accounts: Vec<Account> = (0..n_accounts)
        .map(|i| {
            account(&format!("user{i:04}"), "CORP")
                .with_sid(Some(&format!("S-1-5-21-1-2-3-{}", 1100 + i)))
        })
        .collect();
    let hosts: Vec<Host> = (0..n_hosts)
        .map(|i| {
            Host::from_parts(
                Some(&format!("WS{i:03}.corp.local")),
                Some(&format!(
                    "10.{}.{}.{}",
                    i / 40000,
                    i / 200 % 200,
                    i % 200 + 1
                )),
            )
            .unwrap()
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

/// CPU seconds (user + system) this thread has used, from /proc; `None` elsewhere. Other
/// processes competing for the machine inflate wall time but not this.
fn thread_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

#[test]
#[ignore = "measures; run in release with --nocapture"]
fn batched_insert_throughput() {
    let events_n: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500_000);
    let batch_size: usize = std::env::var("BENCH_BATCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let events = workload(events_n);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let scan = store.begin_scan(&meta(0)).unwrap();

    let start = Instant::now();
    let cpu = thread_cpu_secs();
    for batch in events.chunks(batch_size) {
        store.insert_events(scan, batch).unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "inserted {events_n} events in batches of {batch_size}: {secs:.2} s, {:.0} events/s",
        events_n as f64 / secs
    );
    if let (Some(before), Some(after)) = (cpu, thread_cpu_secs()) {
        println!(
            "  CPU {:.2} s: {:.0} events per CPU second",
            after - before,
            events_n as f64 / (after - before)
        );
    }

    let start = Instant::now();
    for batch in events.chunks(batch_size) {
        store.insert_events(scan, batch).unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "re-inserted the same {events_n} (all skipped as duplicates): {secs:.2} s, {:.0} events/s",
        events_n as f64 / secs
    );

    let size = std::fs::metadata(&path).unwrap().len()
        + std::fs::metadata(format!("{}-wal", path.display()))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "database: {:.1} MB, {:.0} bytes/event",
        size as f64 / 1e6,
        size as f64 / events_n as f64
    );

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
