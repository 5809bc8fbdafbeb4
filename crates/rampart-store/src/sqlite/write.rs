//! The write side: scans, event batches with their entities, alerts.
//!
//! Event batches are the hot path. Each batch is one IMMEDIATE transaction; statements are
//! prepared once per batch from the connection's cache; entity and evidence-source ids are
//! remembered across batches in [`IdCache`] so that a known account costs a hash lookup, not a
//! query; entity counters are summed in memory and written once per entity per batch.

use super::{micros, postings, Doing, SqliteStore};
use crate::error::{Result, StoreError};
use crate::keys::{digest, domain_key, host_ip, host_name_key, name_key, severity_rank};
use crate::merge::merge_alert;
use crate::model::{ScanId, ScanMeta, ScanSummary};
use rampart_core::{Account, Alert, Host, IdentityEvent, Outcome};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Past this many remembered ids the cache starts over (a long-running server meets new
/// entities forever; a miss only costs a query).
const CACHE_LIMIT: usize = 200_000;

/// Ids of rows already committed, by the values that find them.
#[derive(Default)]
pub(super) struct IdCache {
    sources: HashMap<Arc<str>, i64>,
    /// Exactly this account value was resolved to this id (the fast path: no allocation).
    accounts: HashMap<Account, i64>,
    /// Account rows by upper-case SID, and whether the row has a real name (not the SID).
    by_sid: HashMap<String, (i64, bool)>,
    /// Account rows by (domain key, name key).
    by_name: HashMap<(String, String), i64>,
    /// Exactly this host value was resolved to this id.
    hosts: HashMap<Host, i64>,
    /// Host rows by short name, with their last known address.
    host_by_name: HashMap<String, (i64, Option<IpAddr>)>,
    host_by_ip: HashMap<IpAddr, i64>,
}

impl IdCache {
    pub(super) fn clear(&mut self) {
        *self = IdCache::default();
    }

    fn len(&self) -> usize {
        self.sources.len()
            + self.accounts.len()
            + self.by_sid.len()
            + self.by_name.len()
            + self.hosts.len()
            + self.host_by_name.len()
            + self.host_by_ip.len()
    }
}

/// What one batch learned about an entity, written once at the end of the batch.
struct Seen {
    first: i64,
    last: i64,
    /// The batch's events naming it, ascending.
    events: Vec<i64>,
}

fn outcome_columns(o: &Outcome) -> (&'static str, Option<u32>) {
    match o {
        Outcome::Success => ("success", None),
        Outcome::Failure(code) => ("failure", Some(*code)),
        Outcome::Unknown => ("unknown", None),
    }
}

const INSERT_EVENT: &str = "INSERT OR IGNORE INTO event (scan_id, time, kind, outcome, status, \
     observer, actor, actor_domain, actor_sid, actor_id, source_host, source_ip, source_id, \
     target, target_domain, target_id, evidence_source_id, record, event_id, digest, json) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
     ?19, ?20, ?21)";

const UPDATE_SEEN: &str = "UPDATE entity_stats SET first_seen = min(first_seen, ?2), \
     last_seen = max(last_seen, ?3), event_count = event_count + ?4, last_link = ?5 \
     WHERE entity_id = ?1";

/// Among rows matching by name, the most recently seen.
const MOST_RECENT: &str =
    "ORDER BY (SELECT last_seen FROM entity_stats WHERE entity_id = entity.id) DESC, id LIMIT 1";

/// A new entity row's values.
struct NewEntity<'a> {
    kind: &'static str,
    name: Option<&'a str>,
    domain: Option<&'a str>,
    sid: Option<&'a str>,
    ip: Option<String>,
    name_key: &'a str,
    domain_key: &'a str,
}

/// One batch's writer: the transaction, the cache and the per-batch entity counters.
struct Batch<'a> {
    tx: &'a Transaction<'a>,
    db: &'a str,
    cache: &'a mut IdCache,
    seen: HashMap<i64, Seen>,
}

impl Batch<'_> {
    fn source_id(&mut self, source: &Arc<str>) -> Result<i64> {
        if let Some(id) = self.cache.sources.get(&**source) {
            return Ok(*id);
        }
        let id: i64 = self
            .tx
            .prepare_cached(
                "INSERT INTO evidence_source (name) VALUES (?1) \
                 ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
            )
            .and_then(|mut s| s.query_row([&**source], |r| r.get(0)))
            .doing(self.db, "storing an evidence source")?;
        self.cache.sources.insert(source.clone(), id);
        Ok(id)
    }

    fn insert_entity(&self, e: NewEntity<'_>, time: i64) -> Result<i64> {
        let id: i64 = self
            .tx
            .prepare_cached(
                "INSERT INTO entity (kind, name, domain, sid, ip, name_key, domain_key) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            )
            .and_then(|mut s| {
                s.query_row(
                    params![
                        e.kind,
                        e.name,
                        e.domain,
                        e.sid,
                        e.ip,
                        e.name_key,
                        e.domain_key,
                    ],
                    |r| r.get(0),
                )
            })
            .doing(self.db, "storing an entity")?;
        self.tx
            .prepare_cached(
                "INSERT INTO entity_stats (entity_id, first_seen, last_seen) VALUES (?1, ?2, ?2)",
            )
            .and_then(|mut s| s.execute(params![id, time]))
            .doing(self.db, "storing an entity")?;
        Ok(id)
    }

    fn account_id(&mut self, account: &Account, time: i64) -> Result<i64> {
        if let Some(id) = self.cache.accounts.get(account) {
            return Ok(*id);
        }
        let id = self.resolve_account(account, time)?;
        self.cache.accounts.insert(account.clone(), id);
        Ok(id)
    }

    fn resolve_account(&mut self, account: &Account, time: i64) -> Result<i64> {
        let nkey = name_key(&account.name);
        let dkey = domain_key(account.domain.as_deref());
        let sid = account
            .sid
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_uppercase);
        // A name that is only the SID (sources without a resolved name) is not a real name.
        let named = sid
            .as_deref()
            .is_none_or(|s| !account.name.eq_ignore_ascii_case(s));
        let Some(sid) = sid else {
            let key = (dkey, nkey);
            if let Some(id) = self.cache.by_name.get(&key) {
                return Ok(*id);
            }
            let found: Option<i64> = self
                .tx
                .prepare_cached(&format!(
                    "SELECT id FROM entity WHERE kind = 'account' AND name_key = ?1 \
                         AND domain_key = ?2 {MOST_RECENT}"
                ))
                .and_then(|mut s| s.query_row([&key.1, &key.0], |r| r.get(0)).optional())
                .doing(self.db, "looking up an account")?;
            let id = match found {
                Some(id) => id,
                None => self.insert_entity(
                    NewEntity {
                        kind: "account",
                        name: Some(&account.name),
                        domain: account.domain.as_deref(),
                        sid: None,
                        ip: None,
                        name_key: &key.1,
                        domain_key: &key.0,
                    },
                    time,
                )?,
            };
            self.cache.by_name.insert(key, id);
            return Ok(id);
        };

        if let Some(&(id, row_named)) = self.cache.by_sid.get(&sid) {
            if named && !row_named {
                self.name_account(id, account, &nkey, &dkey)?;
                self.cache.by_sid.insert(sid, (id, true));
            }
            return Ok(id);
        }
        let by_sid: Option<(i64, String)> = self
            .tx
            .prepare_cached("SELECT id, name_key FROM entity WHERE sid = ?1")
            .and_then(|mut s| {
                s.query_row([&sid], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .doing(self.db, "looking up an account by SID")?;
        if let Some((id, row_key)) = by_sid {
            let mut row_named = row_key != sid.to_lowercase();
            if named && !row_named {
                self.name_account(id, account, &nkey, &dkey)?;
                row_named = true;
            }
            self.cache.by_sid.insert(sid, (id, row_named));
            return Ok(id);
        }
        // The same name seen earlier without a SID: that row is this account.
        let nameless: Option<i64> = if named {
            self.tx
                .prepare_cached(&format!(
                    "SELECT id FROM entity WHERE kind = 'account' AND name_key = ?1 \
                         AND domain_key = ?2 AND sid IS NULL {MOST_RECENT}"
                ))
                .and_then(|mut s| s.query_row([&nkey, &dkey], |r| r.get(0)).optional())
                .doing(self.db, "looking up an account")?
        } else {
            None
        };
        let id = match nameless {
            Some(id) => {
                self.tx
                    .prepare_cached("UPDATE entity SET sid = ?2 WHERE id = ?1")
                    .and_then(|mut s| s.execute(params![id, sid]))
                    .doing(self.db, "adding a SID to an account")?;
                id
            }
            None => self.insert_entity(
                NewEntity {
                    kind: "account",
                    name: Some(&account.name),
                    domain: account.domain.as_deref(),
                    sid: Some(&sid),
                    ip: None,
                    name_key: &nkey,
                    domain_key: &dkey,
                },
                time,
            )?,
        };
        if named {
            self.cache.by_name.entry((dkey, nkey)).or_insert(id);
        }
        self.cache.by_sid.insert(sid, (id, named));
        Ok(id)
    }

    /// Gives a real name to an account first seen only by its SID.
    fn name_account(&self, id: i64, account: &Account, nkey: &str, dkey: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE entity SET name = ?2, domain = coalesce(?3, domain), name_key = ?4, \
                 domain_key = CASE WHEN ?3 IS NULL THEN domain_key ELSE ?5 END WHERE id = ?1",
            )
            .and_then(|mut s| s.execute(params![id, account.name, account.domain, nkey, dkey]))
            .doing(self.db, "naming an account")?;
        Ok(())
    }

    fn host_id(&mut self, host: &Host, time: i64) -> Result<Option<i64>> {
        if let Some(id) = self.cache.hosts.get(host) {
            return Ok(Some(*id));
        }
        let Some(id) = self.resolve_host(host, time)? else {
            return Ok(None);
        };
        self.cache.hosts.insert(host.clone(), id);
        Ok(Some(id))
    }

    fn resolve_host(&mut self, host: &Host, time: i64) -> Result<Option<i64>> {
        let ip = host_ip(host);
        if let Some(key) = host_name_key(host) {
            let cached = self.cache.host_by_name.get(&key).copied();
            let (id, row_ip) = match cached {
                Some(slot) => slot,
                None => {
                    let found: Option<(i64, Option<String>)> = self
                        .tx
                        .prepare_cached(&format!(
                            "SELECT id, ip FROM entity WHERE kind = 'host' \
                                 AND name_key = ?1 AND domain_key = '' {MOST_RECENT}"
                        ))
                        .and_then(|mut s| {
                            s.query_row([&key], |r| Ok((r.get(0)?, r.get(1)?)))
                                .optional()
                        })
                        .doing(self.db, "looking up a host")?;
                    match found {
                        Some((id, row_ip)) => (id, row_ip.and_then(|s| s.parse().ok())),
                        None => {
                            let id = self.insert_entity(
                                NewEntity {
                                    kind: "host",
                                    name: host.name.as_deref().map(str::trim),
                                    domain: None,
                                    sid: None,
                                    ip: ip.map(|a| a.to_string()),
                                    name_key: &key,
                                    domain_key: "",
                                },
                                time,
                            )?;
                            (id, ip)
                        }
                    }
                }
            };
            let mut row_ip = row_ip;
            if let Some(a) = ip {
                if row_ip != Some(a) {
                    self.tx
                        .prepare_cached("UPDATE entity SET ip = ?2 WHERE id = ?1")
                        .and_then(|mut s| s.execute(params![id, a.to_string()]))
                        .doing(self.db, "updating a host's address")?;
                    row_ip = Some(a);
                }
                self.cache.host_by_ip.insert(a, id);
            }
            self.cache.host_by_name.insert(key, (id, row_ip));
            return Ok(Some(id));
        }
        let Some(ip) = ip else {
            return Ok(None);
        };
        if let Some(id) = self.cache.host_by_ip.get(&ip) {
            return Ok(Some(*id));
        }
        let text = ip.to_string();
        let found: Option<i64> = self
            .tx
            .prepare_cached(
                "SELECT id FROM entity WHERE kind = 'host' AND ip = ?1 ORDER BY name IS NULL, \
                 (SELECT last_seen FROM entity_stats WHERE entity_id = entity.id) DESC, id LIMIT 1",
            )
            .and_then(|mut s| s.query_row([&text], |r| r.get(0)).optional())
            .doing(self.db, "looking up a host by address")?;
        let id = match found {
            Some(id) => id,
            None => self.insert_entity(
                NewEntity {
                    kind: "host",
                    name: None,
                    domain: None,
                    sid: None,
                    ip: Some(text),
                    name_key: "",
                    domain_key: "",
                },
                time,
            )?,
        };
        self.cache.host_by_ip.insert(ip, id);
        Ok(Some(id))
    }

    fn saw(&mut self, entity: i64, event: i64, time: i64) {
        let s = self.seen.entry(entity).or_insert(Seen {
            first: time,
            last: time,
            events: Vec::new(),
        });
        s.first = s.first.min(time);
        s.last = s.last.max(time);
        s.events.push(event);
    }

    /// Writes each entity's `entity_event` row for the batch and its counters, in entity order
    /// (neighbouring entity rows share pages).
    fn flush_seen(&mut self) -> Result<()> {
        let mut update = self
            .tx
            .prepare_cached(UPDATE_SEEN)
            .doing(self.db, "preparing entity updates")?;
        let mut link = self
            .tx
            .prepare_cached(
                "INSERT INTO entity_event (entity_id, prev, first_time, last_time, event_ids) \
                 VALUES (?1, (SELECT last_link FROM entity_stats WHERE entity_id = ?1), ?2, ?3, ?4) \
                 RETURNING id",
            )
            .doing(self.db, "preparing entity links")?;
        let mut seen: Vec<(i64, Seen)> = self.seen.drain().collect();
        seen.sort_unstable_by_key(|(id, _)| *id);
        let mut blob = Vec::new();
        for (id, s) in seen {
            postings::encode(&s.events, &mut blob);
            let link_id: i64 = link
                .query_row(params![id, s.first, s.last, blob], |r| r.get(0))
                .doing(self.db, "linking an entity to its events")?;
            let count = i64::try_from(s.events.len()).unwrap_or(i64::MAX);
            update
                .execute(params![id, s.first, s.last, count, link_id])
                .doing(self.db, "updating an entity")?;
        }
        Ok(())
    }
}

impl SqliteStore {
    pub(super) fn write_begin_scan(&mut self, meta: &ScanMeta) -> Result<ScanId> {
        let inputs = serde_json::to_string(&meta.inputs).map_err(|e| StoreError::Database {
            db: self.db.clone(),
            doing: "encoding scan inputs",
            source: e.into(),
        })?;
        let id: i64 = self
            .conn
            .prepare_cached(
                "INSERT INTO scan (started, tool_version, host, inputs) VALUES (?1, ?2, ?3, ?4) \
                 RETURNING id",
            )
            .and_then(|mut s| {
                s.query_row(
                    params![micros(meta.started), meta.tool_version, meta.host, inputs],
                    |r| r.get(0),
                )
            })
            .doing(&self.db, "starting a scan")?;
        Ok(ScanId(id))
    }

    pub(super) fn write_finish_scan(&mut self, scan: ScanId, summary: &ScanSummary) -> Result<()> {
        let json = serde_json::to_string(summary).map_err(|e| StoreError::Database {
            db: self.db.clone(),
            doing: "encoding a scan summary",
            source: e.into(),
        })?;
        let changed = self
            .conn
            .prepare_cached("UPDATE scan SET finished = ?2, summary = ?3 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![scan.0, micros(chrono::Utc::now()), json]))
            .doing(&self.db, "finishing a scan")?;
        if changed == 0 {
            return Err(StoreError::UnknownScan {
                db: self.db.clone(),
                scan: scan.0,
            });
        }
        Ok(())
    }

    pub(super) fn write_events(&mut self, scan: ScanId, events: &[IdentityEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        if self.cache.len() > CACHE_LIMIT {
            self.cache.clear();
        }
        let db = self.db.as_str();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .doing(db, "starting a write")?;
        {
            let mut batch = Batch {
                tx: &tx,
                db,
                cache: &mut self.cache,
                seen: HashMap::new(),
            };
            let mut insert = tx
                .prepare_cached(INSERT_EVENT)
                .doing(db, "preparing event inserts")?;
            let mut json = Vec::with_capacity(1024);
            for ev in events {
                json.clear();
                serde_json::to_writer(&mut json, ev).map_err(|e| StoreError::Database {
                    db: db.to_string(),
                    doing: "encoding an event",
                    source: e.into(),
                })?;
                let json = std::str::from_utf8(&json).map_err(|e| StoreError::Database {
                    db: db.to_string(),
                    doing: "encoding an event",
                    source: e.into(),
                })?;
                let time = micros(ev.time);
                let source_id = batch.source_id(&ev.evidence.source)?;
                let actor_id = match &ev.actor {
                    Some(a) => Some(batch.account_id(a, time)?),
                    None => None,
                };
                let target_id = match &ev.target {
                    Some(a) => Some(batch.account_id(a, time)?),
                    None => None,
                };
                let host_id = match &ev.source {
                    Some(h) => batch.host_id(h, time)?,
                    None => None,
                };
                let (outcome, status) = outcome_columns(&ev.outcome);
                let inserted = insert
                    .execute(params![
                        scan.0,
                        time,
                        ev.kind.name(),
                        outcome,
                        status,
                        ev.observer,
                        ev.actor.as_ref().map(|a| &a.name),
                        ev.actor.as_ref().and_then(|a| a.domain.as_ref()),
                        ev.actor.as_ref().and_then(|a| a.sid.as_ref()),
                        actor_id,
                        ev.source.as_ref().and_then(|h| h.name.as_ref()),
                        ev.source
                            .as_ref()
                            .and_then(|h| h.ip)
                            .map(|ip| ip.to_string()),
                        host_id,
                        ev.target.as_ref().map(|a| &a.name),
                        ev.target.as_ref().and_then(|a| a.domain.as_ref()),
                        target_id,
                        source_id,
                        // Record locators are u64; SQLite integers are i64. The bit pattern is
                        // kept (a bijection), so every locator round-trips.
                        ev.evidence.record as i64,
                        ev.evidence.event_id,
                        digest(json.as_bytes()),
                        json,
                    ])
                    .doing(db, "storing an event")?;
                if inserted == 0 {
                    // Stored before (a re-scan): the entities have counted it already.
                    continue;
                }
                let event_id = tx.last_insert_rowid();
                for (i, id) in [actor_id, target_id, host_id].into_iter().enumerate() {
                    let Some(id) = id else { continue };
                    // An account that is both actor and target counts once.
                    if i == 1 && actor_id == Some(id) {
                        continue;
                    }
                    batch.saw(id, event_id, time);
                }
            }
            batch.flush_seen()?;
        }
        tx.commit().doing(db, "committing events")
    }

    pub(super) fn write_alerts(&mut self, scan: ScanId, alerts: &[Alert]) -> Result<()> {
        if alerts.is_empty() {
            return Ok(());
        }
        if let Some(a) = alerts.iter().find(|a| a.id.is_empty()) {
            // Alerts are kept by id: without one, unrelated alerts would fold into one row.
            return Err(StoreError::InvalidInput {
                db: self.db.clone(),
                detail: format!("alert `{}` has no id; alerts are stored by id", a.title),
            });
        }
        let db = self.db.as_str();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .doing(db, "starting a write")?;
        {
            let mut find = tx
                .prepare_cached("SELECT json FROM alert WHERE id = ?1")
                .doing(db, "preparing alert lookups")?;
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO alert (id, kind, severity, time, last_time, actor, actor_key, \
                     source_host, count, first_scan_id, last_scan_id, json) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11) \
                     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, \
                     severity = excluded.severity, time = excluded.time, \
                     last_time = excluded.last_time, actor = excluded.actor, \
                     actor_key = excluded.actor_key, source_host = excluded.source_host, \
                     count = excluded.count, last_scan_id = excluded.last_scan_id, \
                     json = excluded.json",
                )
                .doing(db, "preparing alert upserts")?;
            for alert in alerts {
                let stored: Option<String> = find
                    .query_row([&alert.id], |r| r.get(0))
                    .optional()
                    .doing(db, "looking up an alert")?;
                let alert = match stored {
                    Some(json) => {
                        let old: Alert =
                            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                                db: db.to_string(),
                                what: format!("alert {}", alert.id),
                                source: e.into(),
                            })?;
                        merge_alert(old, alert.clone())
                    }
                    None => alert.clone(),
                };
                let json = serde_json::to_string(&alert).map_err(|e| StoreError::Database {
                    db: db.to_string(),
                    doing: "encoding an alert",
                    source: e.into(),
                })?;
                upsert
                    .execute(params![
                        alert.id,
                        alert.kind.as_str(),
                        severity_rank(alert.severity),
                        micros(alert.time),
                        micros(alert.last_time),
                        alert.actor,
                        alert.actor.as_deref().map(str::to_lowercase),
                        alert.source_host,
                        i64::try_from(alert.count).unwrap_or(i64::MAX),
                        scan.0,
                        json,
                    ])
                    .doing(db, "storing an alert")?;
            }
        }
        tx.commit().doing(db, "committing alerts")
    }
}
