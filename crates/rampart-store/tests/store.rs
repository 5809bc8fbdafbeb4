//! The Store contract, on SQLite: round trips, re-scans, entities and filtered queries.

mod common;

use common::*;
use rampart_core::{Account, AlertKind, Host, IdentityEvent, Severity};
use rampart_store::{
    AlertQuery, Entity, EntityKind, EntityQuery, EntityRecord, EventQuery, ScanId, SqliteStore,
    Store, StoreError,
};

fn store_with_scan() -> (SqliteStore, ScanId) {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let scan = store.begin_scan(&meta(0)).unwrap();
    (store, scan)
}

/// A small scan's worth of events, in no particular order.
fn sample() -> Vec<IdentityEvent> {
    let jdoe = account("jdoe", "CORP");
    let admin = account("Administrator", "CORP").with_sid(Some("S-1-5-21-1-2-3-500"));
    let ws = Host::from_parts(Some("WS01.corp.local"), Some("10.0.0.21")).unwrap();
    let mut precise = logon(40, &jdoe, &ws, 14);
    // Sub-microsecond precision survives in the JSON.
    precise.time += chrono::Duration::nanoseconds(123_456_789);
    vec![
        logon(10, &jdoe, &ws, 10),
        service_ticket(20, &jdoe, "svc_sql", "logs/dc02.jsonl", 3),
        logon_failure(5, &jdoe, 11),
        group_add(30, &admin, &jdoe, 12),
        logon(25, &admin, &ws, 13),
        precise,
    ]
}

fn by_time(mut events: Vec<IdentityEvent>) -> Vec<IdentityEvent> {
    events.sort_by_key(|e| e.time);
    events
}

fn entity<'a>(list: &'a [EntityRecord], name: &str) -> &'a EntityRecord {
    list.iter()
        .find(|e| match &e.entity {
            Entity::Account(a) => a.name.eq_ignore_ascii_case(name),
            Entity::Host(h) => h
                .name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name)),
        })
        .unwrap_or_else(|| panic!("no entity {name} in {list:#?}"))
}

#[test]
fn events_round_trip_as_json() {
    let (mut store, scan) = store_with_scan();
    let events = sample();
    store.insert_events(scan, &events).unwrap();
    let back = store.events(&EventQuery::default()).unwrap();
    let expected = by_time(events);
    assert_eq!(back.len(), expected.len());
    for (a, b) in back.iter().zip(&expected) {
        assert!(same_json(a, b), "{a:#?}\n!=\n{b:#?}");
        assert_eq!(a, b);
    }
}

#[test]
fn events_behind_an_alert_come_back_in_time_order() {
    let (mut store, scan) = store_with_scan();
    let events = sample();
    store.insert_events(scan, &events).unwrap();
    let wanted = vec![
        events[3].evidence.clone(),
        events[1].evidence.clone(),
        events[2].evidence.clone(),
        events[1].evidence.clone(),
        evidence("logs/never-read.evtx", 1, 4624),
        evidence("logs/Security.evtx", 999, 4624),
    ];
    let back = store.events_by_evidence(&wanted).unwrap();
    let expected = by_time(vec![
        events[3].clone(),
        events[1].clone(),
        events[2].clone(),
    ]);
    assert_eq!(back, expected);
    assert!(store.events_by_evidence(&[]).unwrap().is_empty());
}

#[test]
fn a_rescan_does_not_duplicate_events_or_inflate_counts() {
    let (mut store, scan) = store_with_scan();
    let events = sample();
    store.insert_events(scan, &events).unwrap();
    let entities = store.entities(&EntityQuery::default()).unwrap();

    let again = store.begin_scan(&meta(100)).unwrap();
    store.insert_events(again, &events).unwrap();
    store.insert_events(again, &events[..2]).unwrap();
    assert_eq!(
        store.events(&EventQuery::default()).unwrap().len(),
        events.len()
    );
    assert_eq!(store.entities(&EntityQuery::default()).unwrap(), entities);
    // The events stay filed under the scan that first stored them.
    let q = EventQuery {
        scan: Some(again),
        ..Default::default()
    };
    assert!(store.events(&q).unwrap().is_empty());

    // A different event from the same record is a different event.
    let mut other = events[0].clone();
    other.outcome = rampart_core::Outcome::Unknown;
    store.insert_events(again, &[other]).unwrap();
    assert_eq!(store.events(&q).unwrap().len(), 1);
}

#[test]
fn alerts_round_trip_as_json() {
    let (mut store, scan) = store_with_scan();
    let events = sample();
    let jdoe = account("jdoe", "CORP");
    let a = alert(
        "kerberoasting-1",
        AlertKind::Kerberoasting,
        Severity::High,
        &jdoe,
        &events[1..3],
    );
    store.insert_alerts(scan, std::slice::from_ref(&a)).unwrap();
    let back = store.alert("kerberoasting-1").unwrap().unwrap();
    assert!(same_json(&back, &a));
    assert_eq!(back, a);
    assert_eq!(store.alerts(&AlertQuery::default()).unwrap(), vec![a]);
    assert!(store.alert("nope").unwrap().is_none());
}

#[test]
fn alerts_are_upserted_by_id_across_scans() {
    let (mut store, first) = store_with_scan();
    let jdoe = account("jdoe", "CORP");
    let failures: Vec<_> = (0..8)
        .map(|i| logon_failure(i * 10, &jdoe, 100 + i as u64))
        .collect();
    let early = alert(
        "brute_force-jdoe",
        AlertKind::BruteForce,
        Severity::Medium,
        &jdoe,
        &failures[..5],
    );
    let other = alert(
        "log_cleared-1",
        AlertKind::LogCleared,
        Severity::High,
        &jdoe,
        &failures[..1],
    );
    store
        .insert_alerts(first, &[early.clone(), other.clone()])
        .unwrap();

    // The same logs scanned again: nothing changes.
    let second = store.begin_scan(&meta(1000)).unwrap();
    store
        .insert_alerts(second, &[early.clone(), other.clone()])
        .unwrap();
    let all = store.alerts(&AlertQuery::default()).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(store.alert(&early.id).unwrap().unwrap(), early);

    // The logs read further: the same alert, grown.
    let third = store.begin_scan(&meta(2000)).unwrap();
    let grown = alert(
        "brute_force-jdoe",
        AlertKind::BruteForce,
        Severity::High,
        &jdoe,
        &failures,
    );
    store
        .insert_alerts(third, std::slice::from_ref(&grown))
        .unwrap();
    // And an older, smaller view after it does not shrink it.
    store
        .insert_alerts(third, std::slice::from_ref(&early))
        .unwrap();
    let stored = store.alert(&early.id).unwrap().unwrap();
    assert_eq!(stored.count, 8);
    assert_eq!(stored.last_time, failures[7].time);
    assert_eq!(stored.time, failures[0].time);
    assert_eq!(stored.severity, Severity::High);
    assert_eq!(stored.evidence.len(), 8);
    assert_eq!(store.alerts(&AlertQuery::default()).unwrap().len(), 2);
}

#[test]
fn entities_are_upserted_with_first_and_last_seen_and_counts() {
    let (mut store, scan) = store_with_scan();
    let jdoe = account("jdoe", "CORP");
    let ws = Host::from_parts(Some("WS01"), None).unwrap();
    // Out of time order, over two batches.
    store
        .insert_events(scan, &[logon(50, &jdoe, &ws, 1), logon(10, &jdoe, &ws, 2)])
        .unwrap();
    store
        .insert_events(scan, &[logon(30, &jdoe, &ws, 3), logon(70, &jdoe, &ws, 4)])
        .unwrap();

    let list = store.entities(&EntityQuery::default()).unwrap();
    assert_eq!(list.len(), 2, "{list:#?}");
    let user = entity(&list, "jdoe");
    assert_eq!(user.entity, Entity::Account(jdoe.clone()));
    assert_eq!(user.first_seen, at(10));
    assert_eq!(user.last_seen, at(70));
    assert_eq!(user.event_count, 4);
    let host = entity(&list, "WS01");
    assert_eq!(host.event_count, 4);
    assert_eq!(host.entity.kind(), EntityKind::Host);

    // A fresh store value (empty cache) finds the same rows.
    let mut other_writer = SqliteStore::open_in_memory().unwrap();
    let s = other_writer.begin_scan(&meta(0)).unwrap();
    other_writer
        .insert_events(s, &[logon(1, &jdoe, &ws, 1)])
        .unwrap();
    assert_eq!(
        other_writer
            .entities(&EntityQuery::default())
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn an_account_is_one_entity_whatever_form_names_it() {
    let (mut store, scan) = store_with_scan();
    let ws = Host::named("WS01");
    let sid = "S-1-5-21-1-2-3-1104";
    let forms = [
        // First seen by SID only: the name is the SID.
        Account::from_parts(None, None, Some(sid)).unwrap(),
        // Then by name without SID, NetBIOS domain.
        account("jdoe", "CORP"),
        // Then by UPN form with the SID (lower-case), DNS domain.
        Account::parse("JDoe@corp.local")
            .unwrap()
            .with_sid(Some(&sid.to_lowercase())),
        // Then by name, different case, no SID.
        account("JDOE", "corp"),
    ];
    for (i, form) in forms.iter().enumerate() {
        store
            .insert_events(scan, &[logon(i as i64, form, &ws, i as u64)])
            .unwrap();
    }
    let accounts = store
        .entities(&EntityQuery {
            kind: Some(EntityKind::Account),
            ..Default::default()
        })
        .unwrap();
    // The SID-only row took the name when one came with the SID; the name-only row is the
    // same person but could only be joined once both appeared together, so at most two rows,
    // and the named one carries the SID.
    assert!(accounts.len() <= 2, "{accounts:#?}");
    let total: u64 = accounts.iter().map(|a| a.event_count).sum();
    assert_eq!(total, 4);
    for a in &accounts {
        let Entity::Account(acc) = &a.entity else {
            unreachable!()
        };
        assert!(!acc.name.starts_with("S-1-"), "{accounts:#?}");
    }
    let by_sid = store
        .entities(&EntityQuery {
            sid: Some(sid.to_lowercase()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_sid.len(), 1);

    // Name first, SID later: the SID joins the named row.
    let (mut store, scan) = store_with_scan();
    let plain = account("alice", "CORP");
    let with_sid = account("Alice", "corp.local").with_sid(Some("S-1-5-21-1-2-3-1200"));
    store
        .insert_events(scan, &[logon(1, &plain, &ws, 1)])
        .unwrap();
    store
        .insert_events(
            scan,
            &[logon(2, &with_sid, &ws, 2), logon(3, &plain, &ws, 3)],
        )
        .unwrap();
    let accounts = store
        .entities(&EntityQuery {
            kind: Some(EntityKind::Account),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(accounts.len(), 1, "{accounts:#?}");
    assert_eq!(accounts[0].event_count, 3);
    let Entity::Account(acc) = &accounts[0].entity else {
        unreachable!()
    };
    assert_eq!(acc.sid.as_deref(), Some("S-1-5-21-1-2-3-1200"));
}

#[test]
fn hosts_meet_by_short_name_and_by_address() {
    let (mut store, scan) = store_with_scan();
    let jdoe = account("jdoe", "CORP");
    let fqdn = Host::from_parts(Some("WS01.corp.local"), Some("10.0.0.21")).unwrap();
    let short = Host::named("ws01");
    let ip_only = Host::from_parts(None, Some("::ffff:10.0.0.21")).unwrap();
    let ip_as_name = Host::named("10.0.0.21");
    store
        .insert_events(
            scan,
            &[
                logon(1, &jdoe, &fqdn, 1),
                logon(2, &jdoe, &short, 2),
                logon(3, &jdoe, &ip_only, 3),
                logon(4, &jdoe, &ip_as_name, 4),
            ],
        )
        .unwrap();
    let hosts = store
        .entities(&EntityQuery {
            kind: Some(EntityKind::Host),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(hosts.len(), 1, "{hosts:#?}");
    assert_eq!(hosts[0].event_count, 4);
    assert_eq!(hosts[0].entity, Entity::Host(fqdn));

    // Loopback says "this machine", not which: it neither joins hosts nor makes one.
    let local_a = Host::from_parts(Some("SRV-A"), Some("127.0.0.1")).unwrap();
    let local_b = Host::from_parts(Some("SRV-B"), Some("127.0.0.1")).unwrap();
    let local = Host::from_parts(None, Some("::1")).unwrap();
    store
        .insert_events(
            scan,
            &[
                logon(5, &jdoe, &local_a, 5),
                logon(6, &jdoe, &local_b, 6),
                logon(7, &jdoe, &local, 7),
            ],
        )
        .unwrap();
    let hosts = store
        .entities(&EntityQuery {
            kind: Some(EntityKind::Host),
            ..Default::default()
        })
        .unwrap();
    let mut names: Vec<String> = hosts
        .iter()
        .map(|h| match &h.entity {
            Entity::Host(h) => h.to_string(),
            Entity::Account(_) => unreachable!(),
        })
        .collect();
    names.sort();
    assert_eq!(names, ["SRV-A", "SRV-B", "WS01.corp.local (10.0.0.21)"]);
}

#[test]
fn an_actor_who_is_also_the_target_counts_once() {
    let (mut store, scan) = store_with_scan();
    let jdoe = account("jdoe", "CORP");
    let mut e = group_add(1, &jdoe, &jdoe, 1);
    e.target = Some(jdoe.clone());
    store.insert_events(scan, &[e]).unwrap();
    let list = store.entities(&EntityQuery::default()).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].event_count, 1);
}

#[test]
fn scans_round_trip() {
    let (mut store, scan) = store_with_scan();
    let second = store.begin_scan(&meta(500)).unwrap();
    store.finish_scan(scan, &summary(6)).unwrap();
    let scans = store.scans().unwrap();
    assert_eq!(scans.len(), 2);
    assert_eq!(scans[0].id, scan);
    assert_eq!(scans[0].meta, meta(0));
    assert_eq!(scans[0].summary, Some(summary(6)));
    assert!(scans[0].finished.is_some());
    assert_eq!(scans[1].id, second);
    assert!(scans[1].finished.is_none() && scans[1].summary.is_none());
    // The summary is JSON in and out.
    let json = serde_json::to_string(&scans[0]).unwrap();
    assert!(json.contains("\"unreadable_files\":0"), "{json}");
}

#[test]
fn an_unknown_scan_is_refused() {
    let (mut store, _) = store_with_scan();
    let jdoe = account("jdoe", "CORP");
    let bogus = ScanId(4242);
    let err = store
        .insert_events(bogus, &[logon(1, &jdoe, &Host::named("WS01"), 1)])
        .unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownScan { scan: 4242, .. }),
        "{err}"
    );
    assert!(err.to_string().contains(":memory:"));
    assert!(store.finish_scan(bogus, &summary(0)).is_err());
    let a = alert(
        "x",
        AlertKind::Dcsync,
        Severity::High,
        &jdoe,
        &[logon(1, &jdoe, &Host::named("WS01"), 1)],
    );
    assert!(store
        .insert_alerts(bogus, std::slice::from_ref(&a))
        .is_err());
    let scan = store.begin_scan(&meta(1)).unwrap();
    let mut nameless = a;
    nameless.id.clear();
    let err = store.insert_alerts(scan, &[nameless]).unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput { .. }), "{err}");
    assert!(store.alerts(&AlertQuery::default()).unwrap().is_empty());
    assert!(store.events(&EventQuery::default()).unwrap().is_empty());
}

#[test]
fn alert_queries_filter_and_order() {
    let (mut store, scan) = store_with_scan();
    let jdoe = account("jdoe", "CORP");
    let jurgen = account("Jürgen", "CORP");
    let svc = account("svc_backup", "CORP");
    let ev = |t: i64, r: u64| logon_failure(t, &jdoe, r);
    let alerts = vec![
        alert(
            "a1",
            AlertKind::BruteForce,
            Severity::Low,
            &jdoe,
            &[ev(100, 1), ev(400, 2)],
        ),
        alert(
            "a2",
            AlertKind::Kerberoasting,
            Severity::High,
            &svc,
            &[ev(200, 3)],
        ),
        alert(
            "a3",
            AlertKind::Dcsync,
            Severity::Critical,
            &jurgen,
            &[ev(300, 4)],
        ),
        alert(
            "a4",
            AlertKind::BruteForce,
            Severity::Medium,
            &svc,
            &[ev(500, 5)],
        ),
    ];
    store.insert_alerts(scan, &alerts).unwrap();
    let ids = |q: AlertQuery| -> Vec<String> {
        store
            .alerts(&q)
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect()
    };
    assert_eq!(ids(AlertQuery::default()), ["a1", "a2", "a3", "a4"]);
    assert_eq!(
        ids(AlertQuery {
            newest_first: true,
            limit: Some(2),
            ..Default::default()
        }),
        ["a4", "a3"]
    );
    assert_eq!(
        ids(AlertQuery {
            min_severity: Some(Severity::High),
            ..Default::default()
        }),
        ["a2", "a3"]
    );
    assert_eq!(
        ids(AlertQuery {
            kind: Some(AlertKind::BruteForce),
            ..Default::default()
        }),
        ["a1", "a4"]
    );
    // a1 spans 100..400, so it is still active at 350.
    assert_eq!(
        ids(AlertQuery {
            since: Some(at(350)),
            ..Default::default()
        }),
        ["a1", "a4"]
    );
    assert_eq!(
        ids(AlertQuery {
            since: Some(at(150)),
            until: Some(at(300)),
            ..Default::default()
        }),
        ["a1", "a2", "a3"]
    );
    assert_eq!(
        ids(AlertQuery {
            actor: Some("SVC_".into()),
            ..Default::default()
        }),
        ["a2", "a4"]
    );
    assert_eq!(
        ids(AlertQuery {
            actor: Some("jÜrg".into()),
            ..Default::default()
        }),
        ["a3"]
    );
    assert_eq!(
        ids(AlertQuery {
            actor: Some("svc".into()),
            min_severity: Some(Severity::Medium),
            kind: Some(AlertKind::BruteForce),
            limit: Some(5),
            ..Default::default()
        }),
        ["a4"]
    );
}

#[test]
fn event_queries_filter_by_entity_kind_and_time() {
    let (mut store, scan) = store_with_scan();
    let jdoe = account("jdoe", "CORP");
    let bob = account("bob", "CORP");
    let ws1 = Host::named("WS01");
    let ws2 = Host::named("WS02");
    let mut events = Vec::new();
    for i in 0..20u64 {
        let t = i as i64 * 10;
        events.push(logon(t, &jdoe, &ws1, 1000 + i));
        events.push(logon(t + 1, &bob, &ws2, 2000 + i));
    }
    // jdoe as a target: bob resets his password.
    let mut reset = IdentityEvent::new(
        at(55),
        rampart_core::EventKind::PasswordReset,
        evidence("logs/Security.evtx", 3000, 4724),
    );
    reset.actor = Some(bob.clone());
    reset.target = Some(jdoe.clone());
    events.push(reset);
    events.push(logon_failure(66, &bob, 3001));
    store.insert_events(scan, &events).unwrap();

    let entities = store.entities(&EntityQuery::default()).unwrap();
    let jdoe_id = entity(&entities, "jdoe").id;
    let ws2_id = entity(&entities, "ws02").id;
    let times = |q: EventQuery| -> Vec<i64> {
        store
            .events(&q)
            .unwrap()
            .iter()
            .map(|e| (e.time - at(0)).num_seconds())
            .collect()
    };

    // As actor (20 logons) and as target (the reset).
    let all_jdoe = times(EventQuery {
        entity: Some(jdoe_id),
        ..Default::default()
    });
    assert_eq!(all_jdoe.len(), 21);
    assert!(all_jdoe.windows(2).all(|w| w[0] <= w[1]));
    assert!(all_jdoe.contains(&55));
    assert_eq!(
        times(EventQuery {
            entity: Some(jdoe_id),
            since: Some(at(50)),
            until: Some(at(80)),
            ..Default::default()
        }),
        [50, 55, 60, 70, 80]
    );
    assert_eq!(
        times(EventQuery {
            entity: Some(jdoe_id),
            limit: Some(3),
            newest_first: true,
            ..Default::default()
        }),
        [190, 180, 170]
    );
    assert_eq!(
        times(EventQuery {
            entity: Some(jdoe_id),
            kind: Some("password_reset".into()),
            ..Default::default()
        }),
        [55]
    );
    // A host as source.
    assert_eq!(
        times(EventQuery {
            entity: Some(ws2_id),
            limit: Some(2),
            ..Default::default()
        }),
        [1, 11]
    );
    // No entity: kind and window over everything.
    assert_eq!(
        times(EventQuery {
            kind: Some("logon_failure".into()),
            ..Default::default()
        }),
        [66]
    );
    assert_eq!(
        times(EventQuery {
            since: Some(at(30)),
            until: Some(at(41)),
            ..Default::default()
        }),
        [30, 31, 40, 41]
    );
    assert_eq!(
        times(EventQuery {
            limit: Some(3),
            newest_first: true,
            ..Default::default()
        }),
        [191, 190, 181]
    );
}

#[test]
fn entity_queries_filter() {
    let (mut store, scan) = store_with_scan();
    store.insert_events(scan, &sample()).unwrap();
    let names = |q: EntityQuery| -> Vec<String> {
        let mut n: Vec<String> = store
            .entities(&q)
            .unwrap()
            .into_iter()
            .map(|e| match e.entity {
                Entity::Account(a) => a.name,
                Entity::Host(h) => h.to_string(),
            })
            .collect();
        n.sort();
        n
    };
    assert_eq!(
        names(EntityQuery {
            kind: Some(EntityKind::Account),
            ..Default::default()
        }),
        ["Administrator", "Domain Admins", "jdoe"]
    );
    assert_eq!(
        names(EntityQuery {
            name: Some("ADMIN".into()),
            ..Default::default()
        }),
        ["Administrator", "Domain Admins"]
    );
    assert_eq!(
        names(EntityQuery {
            sid: Some("S-1-5-21-1-2-3-500".into()),
            ..Default::default()
        }),
        ["Administrator"]
    );
    assert_eq!(
        names(EntityQuery {
            ip: "10.0.0.66".parse().ok(),
            ..Default::default()
        }),
        ["KALI (10.0.0.66)"]
    );
    assert_eq!(
        names(EntityQuery {
            kind: Some(EntityKind::Host),
            seen_since: Some(at(20)),
            ..Default::default()
        }),
        ["10.0.0.50", "WS01.corp.local (10.0.0.21)"]
    );
    let newest = store
        .entities(&EntityQuery {
            limit: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(newest.len(), 1);
    // Entity times are kept to the microsecond.
    assert_eq!(
        newest[0].last_seen.timestamp_micros(),
        sample()[5].time.timestamp_micros()
    );
}

#[test]
fn entity_event_queries_agree_with_a_full_scan_across_many_batches() {
    let (mut store, scan) = store_with_scan();
    let users: Vec<Account> = (0..7).map(|i| account(&format!("u{i}"), "CORP")).collect();
    let hosts: Vec<Host> = (0..3).map(|i| Host::named(&format!("WS{i}"))).collect();
    // Times jump around so batches' spans overlap, as with several logs read one after another.
    let mut events: Vec<IdentityEvent> = (0..600u64)
        .map(|i| {
            let t = ((i * 7_919) % 1_000) as i64;
            let user = &users[(i % 7) as usize];
            match i % 5 {
                0 => logon_failure(t, user, i),
                _ => logon(t, user, &hosts[(i % 3) as usize], i),
            }
        })
        .collect();
    // Batches of uneven sizes.
    let mut start = 0;
    for size in [1usize, 50, 7, 200, 13, 100, 229] {
        store
            .insert_events(scan, &events[start..start + size])
            .unwrap();
        start += size;
    }
    assert_eq!(start, events.len());
    events.sort_by_key(|e| e.time);
    let all = store.entities(&EntityQuery::default()).unwrap();
    assert_eq!(all.len(), 7 + 3 + 1, "users, workstations, KALI");

    for rec in &all {
        let names = |e: &IdentityEvent| -> bool {
            match &rec.entity {
                Entity::Account(a) => e.actor.as_ref() == Some(a) || e.target.as_ref() == Some(a),
                Entity::Host(h) => e.source.as_ref() == Some(h),
            }
        };
        let windows = [
            (None, None),
            (Some(at(100)), Some(at(400))),
            (Some(at(990)), None),
        ];
        for (since, until) in windows {
            for newest_first in [false, true] {
                for limit in [None, Some(1), Some(5), Some(40)] {
                    for kind in [None, Some("logon")] {
                        let q = EventQuery {
                            entity: Some(rec.id),
                            kind: kind.map(String::from),
                            since,
                            until,
                            limit,
                            newest_first,
                            ..Default::default()
                        };
                        let got: Vec<i64> = store
                            .events(&q)
                            .unwrap()
                            .iter()
                            .map(|e| (e.time - at(0)).num_seconds())
                            .collect();
                        let mut want: Vec<i64> = events
                            .iter()
                            .filter(|e| names(e))
                            .filter(|e| kind.is_none_or(|k| e.kind.name() == k))
                            .filter(|e| since.is_none_or(|s| e.time >= s))
                            .filter(|e| until.is_none_or(|u| e.time <= u))
                            .map(|e| (e.time - at(0)).num_seconds())
                            .collect();
                        if newest_first {
                            want.reverse();
                        }
                        want.truncate(limit.unwrap_or(usize::MAX));
                        // Equal times may come in either order between the two; compare times.
                        assert_eq!(got, want, "{q:?}");
                    }
                }
            }
        }
        let total = store
            .events(&EventQuery {
                entity: Some(rec.id),
                ..Default::default()
            })
            .unwrap()
            .len() as u64;
        assert_eq!(total, rec.event_count);
    }
}
