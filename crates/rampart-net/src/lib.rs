//! Rampart's network sensor: packets from a domain controller's traffic become the same
//! [`rampart_core::IdentityEvent`]s as its event logs, so the same engine and detectors see both.
//!
//! ```text
//! pcap / pcapng file ─┐
//! live capture (BPF) ─┴─► capture ─► decode (link / IP / TCP·UDP) ─► flow (bounded TCP reassembly) ─► dissect::* ─► IdentityEvent
//! ```
//!
//! - [`capture`]: pcap and pcapng files, streaming, `.gz` transparently; damage is a warning.
//! - [`decode`]: link types, VLAN tags, IPv4/IPv6, TCP/UDP headers.
//! - [`flow`]: the flow table, TCP reassembly, idle timeouts and eviction.
//! - [`dissect`]: one dissector a protocol, chosen per flow by [`dissect::for_flow`].
//! - [`live`]: live capture on an interface (libpcap, BPF filter) into the same [`Sensor`].
//! - [`read`]: a capture file into an [`EventSink`], as `rampart_ingest::read_file` reads logs.
//!
//! Invariant: nothing here panics on input, allocates in proportion to an unchecked length, or
//! decides what is an attack.

pub mod capture;
pub mod decode;
pub mod dissect;
pub mod flow;
pub mod live;

use dissect::Note;
use rampart_core::IdentityEvent;
use rampart_ingest::{EventSink, IngestError, InputFile, ReadOptions, ReadStats, Warning};
use std::sync::Arc;

/// Events handed to the sink at once.
const BATCH: usize = 1024;
/// Malformed packets and PDUs reported one by one per file; the rest are counted.
const MAX_WARNINGS: u64 = 10;

/// Reads a capture file into `sink`: events in batches, in the order of the frames that
/// completed them (replies; a request left unanswered comes when its flow ends).
///
/// Counts: `records` are packets, `unknown` packets of no dissected protocol, `skipped`
/// damaged records and undecodable frames, `encrypted` payloads recognised as encrypted.
pub fn read(
    file: &InputFile,
    opts: &ReadOptions,
    sink: &mut dyn EventSink,
) -> Result<ReadStats, IngestError> {
    let mut sensor = Sensor::new(file.display.clone(), sink);
    let mapped = if opts.mmap && !file.compressed {
        capture::map(file)
    } else {
        None
    };
    let summary = match &mapped {
        Some(map) => capture::read_mapped(map, &file.display, &mut sensor)?,
        None => capture::read_packets(capture::open(file)?, &file.display, &mut sensor)?,
    };
    let mut stats = sensor.finish();
    stats.skipped += summary.damaged;
    stats.bytes = file.size;
    Ok(stats)
}

/// Packets → flow table → events and warnings for one source.
pub struct Sensor<'s> {
    source: Arc<str>,
    table: flow::FlowTable,
    sink: &'s mut dyn EventSink,
    batch: Vec<IdentityEvent>,
    events: u64,
    warned: u64,
    /// Link types already reported as not decoded.
    unknown_links: Vec<i32>,
    stopped: bool,
}

impl<'s> Sensor<'s> {
    pub fn new(source: Arc<str>, sink: &'s mut dyn EventSink) -> Sensor<'s> {
        Sensor {
            table: flow::FlowTable::new(source.clone(), flow::FlowConfig::default()),
            source,
            sink,
            batch: Vec::with_capacity(BATCH),
            events: 0,
            warned: 0,
            unknown_links: Vec::new(),
            stopped: false,
        }
    }

    /// One frame of link type `linktype`; `false` once the sink asked to stop.
    pub fn frame(&mut self, frame: u64, ts_nanos: i64, linktype: i32, data: &[u8]) -> bool {
        let st = &mut self.table.stats;
        st.packets += 1;
        st.bytes += data.len() as u64;
        match decode::decode(linktype, data) {
            Ok(p) => self.table.packet(frame, ts_nanos, &p),
            Err(decode::Skip::Other) => self.table.stats.unknown += 1,
            Err(decode::Skip::Fragment) => {
                self.table.stats.fragments += 1;
                self.table.stats.unknown += 1;
            }
            Err(decode::Skip::LinkType(l)) => {
                self.table.stats.unknown += 1;
                if !self.unknown_links.contains(&l) && self.unknown_links.len() < 16 {
                    self.unknown_links.push(l);
                    self.sink.warning(Warning::file(
                        &self.source,
                        format!("frame {frame}: link type {l} is not decoded; its packets are counted as unknown"),
                    ));
                }
            }
            Err(decode::Skip::Malformed(why)) => {
                self.table.stats.malformed += 1;
                self.warn(frame, format!("undecodable packet: {why}"));
            }
        }
        self.drain();
        if self.table.stats.packets % 4096 == 0 {
            self.sink.progress(self.table.stats.packets);
        }
        !self.stopped
    }

    fn warn(&mut self, frame: u64, message: String) {
        self.warned += 1;
        if self.warned <= MAX_WARNINGS {
            self.sink.warning(Warning::file(
                &self.source,
                format!("frame {frame}: {message}"),
            ));
        }
    }

    fn drain(&mut self) {
        let notes = std::mem::take(self.table.notes());
        for (frame, note) in notes {
            if let Note::Malformed { protocol, reason } = note {
                self.warn(frame, format!("{protocol}: {reason}"));
            }
        }
        let events = self.table.events();
        if !events.is_empty() {
            self.batch.append(events);
            if self.batch.len() >= BATCH {
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        if self.batch.is_empty() || self.stopped {
            self.batch.clear();
            return;
        }
        self.events += self.batch.len() as u64;
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        if !self.sink.events(batch) {
            self.stopped = true;
        }
    }

    /// A live source's clock: ends flows idle at `now_nanos` and hands over the events
    /// batched so far, so that a quiet interface does not hold back an attack's last events.
    pub fn tick(&mut self, now_nanos: i64) -> bool {
        self.table.idle(now_nanos);
        self.drain();
        self.flush();
        !self.stopped
    }

    /// Ends every flow and delivers what remains; the counts of the whole source.
    pub fn finish(mut self) -> ReadStats {
        self.table.finish();
        self.drain();
        self.flush();
        if self.warned > MAX_WARNINGS {
            self.sink.warning(Warning::file(
                &self.source,
                format!(
                    "{} more malformed packets or PDUs (the first {MAX_WARNINGS} are shown)",
                    self.warned - MAX_WARNINGS
                ),
            ));
        }
        let st = self.table.stats;
        ReadStats {
            records: st.packets,
            events: self.events,
            unknown: st.unknown,
            raw: 0,
            skipped: st.malformed,
            bytes: 0,
            encrypted: st.encrypted,
        }
    }

    /// The flow table's counters so far.
    pub fn stats(&self) -> flow::FlowStats {
        self.table.stats
    }
}

impl capture::PacketSink for Sensor<'_> {
    fn packet(&mut self, p: &capture::Packet<'_>) -> bool {
        self.frame(p.frame, p.ts_nanos, p.linktype, p.data)
    }

    fn warning(&mut self, warning: Warning) {
        self.sink.warning(warning);
    }
}
