//! Every labelled EVTX and JSON file of the shared datasets reads without panic or error, and
//! its statistics add up.

mod common;
use common::*;

#[test]
fn every_labelled_log_file_reads() {
    let labels = labels();
    let logs: Vec<_> = labels
        .iter()
        .filter(|l| l.format == "evtx" || l.format == "json")
        .collect();
    assert!(
        logs.len() >= 100,
        "labels.csv lists only {} log files",
        logs.len()
    );
    let mut total_events = 0;
    for l in logs {
        let (stats, sink) = read(&l.path, 2);
        println!(
            "{:<100} records {:>6} events {:>6} unknown {:>6} skipped {:>3} warnings {:>3}",
            l.path,
            stats.records,
            stats.events,
            stats.unknown,
            stats.skipped,
            sink.warnings.len()
        );
        assert_eq!(stats.events as usize, sink.events.len(), "{}", l.path);
        assert!(stats.unknown <= stats.records, "{}", l.path);
        assert!(stats.records > 0, "{}: no records read", l.path);
        for w in &sink.warnings {
            assert!(w.to_string().contains(&l.path), "{w}");
        }
        if l.classes.iter().any(|c| c == "corrupt") {
            for w in &sink.warnings {
                println!("    {w}");
            }
            continue;
        }
        // Intact logs may be followed by slack that is not a chunk; nothing else is allowed.
        for w in &sink.warnings {
            println!("    {w}");
            assert!(w.chunk.is_some() && w.record.is_none(), "{}: {w}", l.path);
        }
        total_events += stats.events;
    }
    assert!(total_events > 5_000, "only {total_events} events");
}
