//! The read side: alerts, events, entities and scans, with optional filters.
//!
//! Filtered queries are built from fixed fragments (never from user text: values are always
//! bound), so each combination of filters is one cached prepared statement.

use super::{from_micros, micros, postings, Doing, SqliteStore};
use crate::error::{Result, StoreError};
use crate::keys::severity_rank;
use crate::model::{
    AlertQuery, Entity, EntityId, EntityQuery, EntityRecord, EventQuery, ScanId, ScanMeta,
    ScanRecord, ScanSummary,
};
use rampart_core::{Account, Alert, Evidence, Host, IdentityEvent};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, OptionalExtension};
use serde::de::DeserializeOwned;
use std::collections::BinaryHeap;

/// A `WHERE` clause and its bound values, built up filter by filter.
#[derive(Default)]
struct Filter {
    sql: String,
    values: Vec<Value>,
}

impl Filter {
    /// Adds `cond`, in which `?` stands for `value`.
    fn and(&mut self, cond: &str, value: Value) {
        self.sql.push_str(if self.sql.is_empty() {
            " WHERE "
        } else {
            " AND "
        });
        self.sql.push_str(cond);
        self.values.push(value);
    }
}

fn limit_value(limit: Option<usize>) -> i64 {
    // SQLite reads a negative limit as "no limit".
    limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX))
}

impl SqliteStore {
    fn parse<T: DeserializeOwned>(&self, json: &str, what: impl FnOnce() -> String) -> Result<T> {
        serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
            db: self.db.clone(),
            what: what(),
            source: e.into(),
        })
    }

    /// Runs `sql` (whose only column is a JSON document) and decodes every row.
    fn json_rows<T: DeserializeOwned>(
        &self,
        sql: &str,
        values: Vec<Value>,
        what: &'static str,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare_cached(sql).doing(&self.db, what)?;
        let mut rows = stmt.query(params_from_iter(values)).doing(&self.db, what)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().doing(&self.db, what)? {
            let json: String = row.get(0).doing(&self.db, what)?;
            out.push(self.parse(&json, || what.to_string())?);
        }
        Ok(out)
    }

    pub(super) fn read_alerts(&self, q: &AlertQuery) -> Result<Vec<Alert>> {
        let mut f = Filter::default();
        if let Some(s) = q.min_severity {
            f.and("severity >= ?", Value::Integer(severity_rank(s)));
        }
        if let Some(k) = q.kind {
            f.and("kind = ?", Value::Text(k.as_str().to_string()));
        }
        if let Some(t) = q.since {
            f.and("last_time >= ?", Value::Integer(micros(t)));
        }
        if let Some(t) = q.until {
            f.and("time <= ?", Value::Integer(micros(t)));
        }
        if let Some(a) = q.actor.as_deref() {
            f.and("instr(actor_key, ?) > 0", Value::Text(a.to_lowercase()));
        }
        let order = if q.newest_first { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT json FROM alert{} ORDER BY time {order}, id {order} LIMIT ?",
            f.sql
        );
        f.values.push(Value::Integer(limit_value(q.limit)));
        self.json_rows(&sql, f.values, "reading alerts")
    }

    pub(super) fn read_alert(&self, id: &str) -> Result<Option<Alert>> {
        let json: Option<String> = self
            .conn
            .prepare_cached("SELECT json FROM alert WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .doing(&self.db, "reading an alert")?;
        json.map(|j| self.parse(&j, || format!("alert {id}")))
            .transpose()
    }

    pub(super) fn read_events_by_evidence(
        &self,
        evidence: &[Evidence],
    ) -> Result<Vec<IdentityEvent>> {
        let what = "reading events by evidence";
        let mut source = self
            .conn
            .prepare_cached("SELECT id FROM evidence_source WHERE name = ?1")
            .doing(&self.db, what)?;
        let mut events = self
            .conn
            .prepare_cached(
                "SELECT id, time, json FROM event WHERE evidence_source_id = ?1 AND record = ?2",
            )
            .doing(&self.db, what)?;
        let mut found: Vec<(i64, i64, String)> = Vec::new();
        // Evidence lists run in long stretches from one source: look each name up once.
        let mut last_source: Option<(&str, Option<i64>)> = None;
        for ev in evidence {
            let source_id = match last_source {
                Some((name, id)) if name == &*ev.source => id,
                _ => {
                    let id: Option<i64> = source
                        .query_row([&*ev.source], |r| r.get(0))
                        .optional()
                        .doing(&self.db, what)?;
                    last_source = Some((&ev.source, id));
                    id
                }
            };
            let Some(source_id) = source_id else { continue };
            let mut rows = events
                .query(rusqlite::params![source_id, ev.record as i64])
                .doing(&self.db, what)?;
            while let Some(row) = rows.next().doing(&self.db, what)? {
                found.push((
                    row.get(1).doing(&self.db, what)?,
                    row.get(0).doing(&self.db, what)?,
                    row.get(2).doing(&self.db, what)?,
                ));
            }
        }
        found.sort_unstable_by_key(|(time, id, _)| (*time, *id));
        found.dedup_by_key(|(_, id, _)| *id);
        found
            .iter()
            .map(|(_, id, json)| self.parse(json, || format!("event {id}")))
            .collect()
    }

    pub(super) fn read_events(&self, q: &EventQuery) -> Result<Vec<IdentityEvent>> {
        let mut f = Filter::default();
        if let Some(k) = q.kind.as_deref() {
            f.and("kind = ?", Value::Text(k.to_string()));
        }
        if let Some(s) = q.scan {
            f.and("scan_id = ?", Value::Integer(s.0));
        }
        if let Some(t) = q.since {
            f.and("time >= ?", Value::Integer(micros(t)));
        }
        if let Some(t) = q.until {
            f.and("time <= ?", Value::Integer(micros(t)));
        }
        if let Some(entity) = q.entity {
            return self.read_entity_events(entity, q, &f);
        }
        let order = if q.newest_first { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT json FROM event{} ORDER BY time {order}, id {order} LIMIT ?",
            f.sql
        );
        f.values.push(Value::Integer(limit_value(q.limit)));
        self.json_rows(&sql, f.values, "reading events")
    }

    /// An entity's events: gather its `entity_event` rows that overlap the window (walking
    /// back from `entity_stats.last_link`), visit them in time order (by their spans), look each
    /// listed event up with the query's other filters, keep the best `limit`, and stop once no
    /// later row can hold a better one.
    fn read_entity_events(
        &self,
        entity: EntityId,
        q: &EventQuery,
        f: &Filter,
    ) -> Result<Vec<IdentityEvent>> {
        let what = "reading an entity's events";
        let since = q.since.map_or(i64::MIN, micros);
        let until = q.until.map_or(i64::MAX, micros);
        let limit = q.limit.unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let head: Option<Option<i64>> = self
            .conn
            .prepare_cached("SELECT last_link FROM entity_stats WHERE entity_id = ?1")
            .and_then(|mut s| s.query_row([entity.0], |r| r.get(0)).optional())
            .doing(&self.db, what)?;
        let mut next = head.flatten();
        let mut link = self
            .conn
            .prepare_cached(
                "SELECT prev, first_time, last_time, event_ids FROM entity_event \
                 WHERE id = ?1 AND entity_id = ?2",
            )
            .doing(&self.db, what)?;
        // (first_time, last_time, event ids) of the rows that overlap the window.
        let mut spans: Vec<(i64, i64, Vec<u8>)> = Vec::new();
        while let Some(id) = next {
            let row: Option<(Option<i64>, i64, i64, Vec<u8>)> = link
                .query_row([id, entity.0], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()
                .doing(&self.db, what)?;
            let Some((prev, first, last, blob)) = row else {
                return Err(StoreError::Corrupt {
                    db: self.db.clone(),
                    what: format!("entity {entity}'s event list"),
                    source: format!("link {id} is missing").into(),
                });
            };
            // Rows are appended, so a list runs to lower ids; anything else is a loop.
            if prev.is_some_and(|p| p >= id) {
                return Err(StoreError::Corrupt {
                    db: self.db.clone(),
                    what: format!("entity {entity}'s event list"),
                    source: format!("link {id} points forward").into(),
                });
            }
            if last >= since && first <= until {
                spans.push((first, last, blob));
            }
            next = prev;
        }
        if q.newest_first {
            spans.sort_unstable_by_key(|(_, last, _)| std::cmp::Reverse(*last));
        } else {
            spans.sort_unstable_by_key(|(first, _, _)| *first);
        }
        let mut lookup = self
            .conn
            .prepare_cached(&format!(
                "SELECT time, json FROM event WHERE id = ?{}",
                f.sql.replacen(" WHERE ", " AND ", 1)
            ))
            .doing(&self.db, what)?;
        // Ranks order the wanted way, best first: (time, id), or bit-inverted for newest first.
        let rank = |time: i64, id: i64| {
            if q.newest_first {
                (!time, !id)
            } else {
                (time, id)
            }
        };
        // The best `limit` so far; the top is the worst of them.
        let mut kept: BinaryHeap<((i64, i64), String)> = BinaryHeap::new();
        for (first, last, blob) in spans {
            if kept.len() >= limit {
                let nearest = if q.newest_first { last } else { first };
                if let Some((worst, _)) = kept.peek() {
                    if rank(nearest, i64::MIN).0 > worst.0 {
                        break;
                    }
                }
            }
            let ids = postings::decode(&blob).ok_or_else(|| StoreError::Corrupt {
                db: self.db.clone(),
                what: format!("entity {entity}'s event list"),
                source: "not a valid id list".into(),
            })?;
            for id in ids {
                let mut values = vec![Value::Integer(id)];
                values.extend(f.values.iter().cloned());
                let found: Option<(i64, String)> = lookup
                    .query_row(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
                    .doing(&self.db, what)?;
                let Some((time, json)) = found else { continue };
                kept.push((rank(time, id), json));
                if kept.len() > limit {
                    kept.pop();
                }
            }
        }
        kept.into_sorted_vec()
            .into_iter()
            .map(|(_, json)| self.parse(&json, || format!("an event of entity {entity}")))
            .collect()
    }

    pub(super) fn read_entities(&self, q: &EntityQuery) -> Result<Vec<EntityRecord>> {
        let what = "reading entities";
        let mut f = Filter::default();
        if let Some(k) = q.kind {
            f.and("e.kind = ?", Value::Text(k.as_str().to_string()));
        }
        if let Some(n) = q.name.as_deref() {
            f.and("instr(e.name_key, ?) > 0", Value::Text(n.to_lowercase()));
        }
        if let Some(s) = q.sid.as_deref() {
            f.and("e.sid = ?", Value::Text(s.trim().to_ascii_uppercase()));
        }
        if let Some(ip) = q.ip {
            f.and("e.ip = ?", Value::Text(ip.to_string()));
        }
        if let Some(t) = q.seen_since {
            f.and("s.last_seen >= ?", Value::Integer(micros(t)));
        }
        let sql = format!(
            "SELECT e.id, e.kind, e.name, e.domain, e.sid, e.ip, s.first_seen, s.last_seen, \
             s.event_count FROM entity e JOIN entity_stats s ON s.entity_id = e.id{} \
             ORDER BY s.last_seen DESC, e.id LIMIT ?",
            f.sql
        );
        f.values.push(Value::Integer(limit_value(q.limit)));
        let mut stmt = self.conn.prepare_cached(&sql).doing(&self.db, what)?;
        let mut rows = stmt
            .query(params_from_iter(f.values))
            .doing(&self.db, what)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().doing(&self.db, what)? {
            let id: i64 = row.get(0).doing(&self.db, what)?;
            let kind: String = row.get(1).doing(&self.db, what)?;
            let name: Option<String> = row.get(2).doing(&self.db, what)?;
            let domain: Option<String> = row.get(3).doing(&self.db, what)?;
            let sid: Option<String> = row.get(4).doing(&self.db, what)?;
            let ip: Option<String> = row.get(5).doing(&self.db, what)?;
            let first: i64 = row.get(6).doing(&self.db, what)?;
            let last: i64 = row.get(7).doing(&self.db, what)?;
            let count: i64 = row.get(8).doing(&self.db, what)?;
            let corrupt = |detail: String| StoreError::Corrupt {
                db: self.db.clone(),
                what: format!("entity {id}"),
                source: detail.into(),
            };
            let entity = match kind.as_str() {
                "account" => Entity::Account(Account {
                    name: name.unwrap_or_default(),
                    domain,
                    sid,
                }),
                "host" => Entity::Host(Host {
                    name,
                    ip: ip
                        .map(|s| s.parse().map_err(|_| corrupt(format!("address `{s}`"))))
                        .transpose()?,
                }),
                other => return Err(corrupt(format!("kind `{other}`"))),
            };
            out.push(EntityRecord {
                id: EntityId(id),
                entity,
                first_seen: from_micros(&self.db, "an entity's first time", first)?,
                last_seen: from_micros(&self.db, "an entity's last time", last)?,
                event_count: u64::try_from(count).map_err(|_| corrupt(format!("count {count}")))?,
            });
        }
        Ok(out)
    }

    pub(super) fn read_scans(&self) -> Result<Vec<ScanRecord>> {
        let what = "reading scans";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, started, finished, tool_version, host, inputs, summary \
                 FROM scan ORDER BY id",
            )
            .doing(&self.db, what)?;
        let mut rows = stmt.query([]).doing(&self.db, what)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().doing(&self.db, what)? {
            let id: i64 = row.get(0).doing(&self.db, what)?;
            let started: i64 = row.get(1).doing(&self.db, what)?;
            let finished: Option<i64> = row.get(2).doing(&self.db, what)?;
            let inputs: String = row.get(5).doing(&self.db, what)?;
            let summary: Option<String> = row.get(6).doing(&self.db, what)?;
            out.push(ScanRecord {
                id: ScanId(id),
                meta: ScanMeta {
                    started: from_micros(&self.db, "a scan's start", started)?,
                    inputs: self.parse(&inputs, || format!("scan {id} inputs"))?,
                    tool_version: row.get(3).doing(&self.db, what)?,
                    host: row.get(4).doing(&self.db, what)?,
                },
                finished: finished
                    .map(|t| from_micros(&self.db, "a scan's end", t))
                    .transpose()?,
                summary: summary
                    .map(|s| self.parse::<ScanSummary>(&s, || format!("scan {id} summary")))
                    .transpose()?,
            });
        }
        Ok(out)
    }
}
