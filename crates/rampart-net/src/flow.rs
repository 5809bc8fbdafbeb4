//! Flows and TCP reassembly.
//!
//! A flow is keyed by its 5-tuple and oriented client → server: the SYN's sender is the
//! client; without a SYN, a well-known identity-service port marks the server, else the lower
//! port (TCP) or the first sender's peer (UDP). Each TCP direction is reassembled in sequence
//! order (sequence numbers compared modulo 2^32, so wrap is harmless): retransmitted bytes and
//! overlaps are trimmed, out-of-order segments are buffered up to a cap per flow and one for the
//! whole table. A hole that cannot be filled — the peer acknowledged bytes the capture never
//! saw, the buffers are full, or the flow ends with segments still waiting — is reported to
//! the dissector as a gap ([`Dissector::gap`], which by default gives the flow up) and never
//! stalls the stream.
//!
//! Flows end on RST, on FIN from both sides, after an idle time (capture time, not wall
//! clock), when the table is full (the least recently seen are evicted first), or at the end of
//! the capture; every end calls [`Dissector::end`] so pending requests are emitted. Flows no
//! dissector wants are remembered as ignored and cost one hash lookup a packet.
//!
//! Memory is bounded on any input: flows by [`FlowConfig::max_flows`], out-of-order bytes per
//! flow and in total, and dissector buffers in total ([`Dissector::buffered`]).

use crate::decode::{Decoded, ACK, FIN, L4, RST, SYN};
use crate::dissect::{self, Ctx, Direction, Dissector, FlowKey, Note, Transport, Verdict};
use rampart_core::{IdentityEvent, Timestamp};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Bounds of the flow table.
#[derive(Debug, Clone)]
pub struct FlowConfig {
    pub max_flows: usize,
    /// Out-of-order segments buffered per direction.
    pub max_segments: usize,
    /// Out-of-order bytes buffered per flow.
    pub max_flow_buffer: usize,
    /// Out-of-order bytes buffered over all flows.
    pub max_total_buffer: usize,
    /// Bytes dissectors may hold over all flows (partial PDUs); the flow that crosses it is
    /// given up.
    pub max_dissector_buffer: usize,
    /// A segment further ahead than this is not buffered: it is a gap at once.
    pub max_window: u32,
    pub tcp_idle_secs: i64,
    pub udp_idle_secs: i64,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            max_flows: 65_536,
            max_segments: 64,
            max_flow_buffer: 256 * 1024,
            max_total_buffer: 64 * 1024 * 1024,
            max_dissector_buffer: 128 * 1024 * 1024,
            max_window: 8 * 1024 * 1024,
            tcp_idle_secs: 300,
            udp_idle_secs: 60,
        }
    }
}

/// Counters of one capture (or live session).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowStats {
    /// Frames seen.
    pub packets: u64,
    /// Captured bytes of those frames.
    pub bytes: u64,
    /// Flows created.
    pub flows: u64,
    /// Flows a dissector took.
    pub dissected: u64,
    /// Packets of flows no dissector took, and frames that are not TCP/UDP over IP.
    pub unknown: u64,
    /// IP fragments skipped.
    pub fragments: u64,
    /// Segments whose bytes had all been delivered already.
    pub retransmitted: u64,
    /// Holes in a TCP stream reported to a dissector.
    pub gaps: u64,
    /// Flows given up after a gap.
    pub dropped_gap: u64,
    /// Flows evicted because the table was full.
    pub dropped_evicted: u64,
    /// Flows given up because a buffer cap was reached.
    pub dropped_cap: u64,
    /// Frames that could not be decoded plus malformed-PDU notes.
    pub malformed: u64,
    /// Encrypted-payload notes.
    pub encrypted: u64,
}

/// Ports of the services dissected here, and of their neighbours, which mark the server end of
/// a flow whose SYN was not seen.
const SERVER_PORTS: [u16; 12] = [88, 389, 3268, 3269, 53, 445, 139, 135, 636, 464, 5985, 5986];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Tuple {
    tcp: bool,
    a: SocketAddr,
    b: SocketAddr,
}

/// Hashes a tuple in two or three words instead of field by field (the derived `Hash` writes
/// every enum tag, octet array and port separately, and the table hashes every packet).
/// Equal tuples write equal words, as `Hash` requires.
impl Hash for Tuple {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let ports =
            u64::from(self.a.port()) << 32 | u64::from(self.b.port()) << 16 | u64::from(self.tcp);
        match (self.a, self.b) {
            (SocketAddr::V4(a), SocketAddr::V4(b)) => {
                state.write_u64(u64::from(a.ip().to_bits()) << 32 | u64::from(b.ip().to_bits()));
                state.write_u64(ports);
            }
            (a, b) => {
                state.write_u128(ip_bits(a.ip()));
                state.write_u128(ip_bits(b.ip()));
                state.write_u64(ports | 1 << 48);
            }
        }
    }
}

/// An address as 128 bits; IPv4 ones are told apart from IPv6 by the tag in `Tuple::hash`.
fn ip_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_bits()),
        IpAddr::V6(v6) => v6.to_bits(),
    }
}

impl Tuple {
    fn new(tcp: bool, x: SocketAddr, y: SocketAddr) -> Tuple {
        if x <= y {
            Tuple { tcp, a: x, b: y }
        } else {
            Tuple { tcp, a: y, b: x }
        }
    }
}

enum State {
    Undecided,
    Active(Box<dyn Dissector>),
    Ignored,
}

#[derive(Default)]
struct Stream {
    /// The next sequence number expected; `None` until the SYN or the first data.
    next: Option<u32>,
    /// Segments ahead of `next`, unordered (few: at most `max_segments`).
    ooo: Vec<(u32, Vec<u8>)>,
    /// Sequence number of the FIN, once seen.
    fin: Option<u32>,
}

struct Flow {
    id: u64,
    key: FlowKey,
    transport: Transport,
    state: State,
    dissected: bool,
    packets: u64,
    last_seen: i64,
    last_frame: u64,
    streams: [Stream; 2],
    ooo_bytes: usize,
    diss_bytes: usize,
}

/// What delivery needs besides the flow: disjoint borrows of the table.
struct Out<'a> {
    cfg: &'a FlowConfig,
    source: &'a Arc<str>,
    stats: &'a mut FlowStats,
    ooo_total: &'a mut usize,
    diss_total: &'a mut usize,
    events: &'a mut Vec<IdentityEvent>,
    notes: &'a mut Vec<(u64, Note)>,
    scratch: &'a mut Vec<Note>,
    frame: u64,
    ts: i64,
}

impl Out<'_> {
    fn collect_notes(&mut self) {
        for n in self.scratch.drain(..) {
            match n {
                Note::Malformed { .. } => self.stats.malformed += 1,
                Note::Encrypted { .. } => self.stats.encrypted += 1,
            }
            self.notes.push((self.frame, n));
        }
    }
}

/// Capture time in nanoseconds as a timestamp.
pub fn time_of(ns: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000) as u32,
    )
    .unwrap_or_default()
}

fn idx(dir: Direction) -> usize {
    match dir {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

fn other(dir: Direction) -> Direction {
    match dir {
        Direction::ToServer => Direction::ToClient,
        Direction::ToClient => Direction::ToServer,
    }
}

/// Wrapping difference `a - b` of sequence numbers.
fn seq_diff(a: u32, b: u32) -> i64 {
    a.wrapping_sub(b) as i32 as i64
}

impl Flow {
    fn with_dissector<R>(
        &mut self,
        out: &mut Out<'_>,
        frame: u64,
        ts: i64,
        f: impl FnOnce(&mut dyn Dissector, &mut Ctx<'_>) -> R,
    ) -> Option<R> {
        let State::Active(d) = &mut self.state else {
            return None;
        };
        let mut cx = Ctx {
            source: out.source,
            frame,
            time: time_of(ts),
            flow: self.key,
            transport: self.transport,
            events: out.events,
            notes: out.scratch,
        };
        let r = f(d.as_mut(), &mut cx);
        let now = d.buffered();
        *out.diss_total = out.diss_total.saturating_sub(self.diss_bytes) + now;
        self.diss_bytes = now;
        let saved = out.frame;
        out.frame = frame;
        out.collect_notes();
        out.frame = saved;
        Some(r)
    }

    /// Hands contiguous bytes of `dir` to the dissector, choosing one on the first bytes.
    fn deliver(&mut self, dir: Direction, bytes: &[u8], out: &mut Out<'_>) {
        if bytes.is_empty() {
            return;
        }
        match self.state {
            State::Ignored => return,
            State::Undecided => match dissect::for_flow(&self.key, self.transport, bytes) {
                Some(d) => {
                    self.state = State::Active(d);
                    self.dissected = true;
                    out.stats.dissected += 1;
                }
                None => {
                    self.ignore(out);
                    return;
                }
            },
            State::Active(_) => {}
        }
        let (frame, ts) = (out.frame, out.ts);
        let v = self.with_dissector(out, frame, ts, |d, cx| d.data(dir, bytes, cx));
        if v == Some(Verdict::Done) {
            self.ignore(out);
        } else if *out.diss_total > out.cfg.max_dissector_buffer {
            out.stats.dropped_cap += 1;
            self.finish(out);
        }
    }

    /// Forgets the flow's buffers and dissector; later packets are only counted.
    fn ignore(&mut self, out: &mut Out<'_>) {
        *out.ooo_total = out.ooo_total.saturating_sub(self.ooo_bytes);
        *out.diss_total = out.diss_total.saturating_sub(self.diss_bytes);
        self.ooo_bytes = 0;
        self.diss_bytes = 0;
        for s in &mut self.streams {
            s.ooo = Vec::new();
        }
        self.state = State::Ignored;
    }

    /// Ends the flow: flushes what is buffered (through a gap), lets the dissector emit what is
    /// pending, and forgets it.
    fn finish(&mut self, out: &mut Out<'_>) {
        for dir in [Direction::ToServer, Direction::ToClient] {
            if !self.streams[idx(dir)].ooo.is_empty() {
                self.gap(dir, out);
            }
        }
        let (frame, ts) = (self.last_frame, self.last_seen);
        self.with_dissector(out, frame, ts, |d, cx| d.end(cx));
        self.ignore(out);
    }

    /// Bytes of `dir` starting at `seq`.
    fn segment(&mut self, dir: Direction, seq: u32, payload: &[u8], out: &mut Out<'_>) {
        let i = idx(dir);
        let next = match self.streams[i].next {
            Some(n) => n,
            None => {
                self.streams[i].next = Some(seq);
                seq
            }
        };
        let diff = seq_diff(seq, next);
        if diff <= 0 {
            let skip = (-diff) as usize;
            if skip >= payload.len() {
                out.stats.retransmitted += 1;
                return;
            }
            let data = &payload[skip..];
            self.streams[i].next = Some(next.wrapping_add(data.len() as u32));
            self.deliver(dir, data, out);
            self.drain(dir, out);
            return;
        }
        if matches!(self.state, State::Ignored) {
            return;
        }
        if diff > out.cfg.max_window as i64 {
            self.gap(dir, out);
            if !matches!(self.state, State::Ignored) {
                self.streams[i].next = Some(seq);
                self.segment(dir, seq, payload, out);
            }
            return;
        }
        let full = self.streams[i].ooo.len() >= out.cfg.max_segments
            || self.ooo_bytes + payload.len() > out.cfg.max_flow_buffer
            || *out.ooo_total + payload.len() > out.cfg.max_total_buffer;
        if full {
            self.gap(dir, out);
            if !matches!(self.state, State::Ignored) {
                self.segment(dir, seq, payload, out);
            }
            return;
        }
        let s = &mut self.streams[i];
        if let Some(existing) = s.ooo.iter_mut().find(|(q, _)| *q == seq) {
            if existing.1.len() >= payload.len() {
                out.stats.retransmitted += 1;
                return;
            }
            let grow = payload.len() - existing.1.len();
            existing.1.clear();
            existing.1.extend_from_slice(payload);
            self.ooo_bytes += grow;
            *out.ooo_total += grow;
            return;
        }
        s.ooo.push((seq, payload.to_vec()));
        self.ooo_bytes += payload.len();
        *out.ooo_total += payload.len();
    }

    /// Delivers buffered segments that have become contiguous.
    fn drain(&mut self, dir: Direction, out: &mut Out<'_>) {
        let i = idx(dir);
        loop {
            let Some(next) = self.streams[i].next else {
                return;
            };
            let s = &mut self.streams[i];
            let Some(pos) = s.ooo.iter().position(|(q, _)| seq_diff(*q, next) <= 0) else {
                return;
            };
            let (seq, data) = s.ooo.swap_remove(pos);
            self.ooo_bytes -= data.len();
            *out.ooo_total = out.ooo_total.saturating_sub(data.len());
            let skip = (-seq_diff(seq, next)) as usize;
            if skip >= data.len() {
                out.stats.retransmitted += 1;
                continue;
            }
            self.streams[i].next = Some(next.wrapping_add((data.len() - skip) as u32));
            self.deliver(dir, &data[skip..], out);
            if matches!(self.state, State::Ignored) {
                return;
            }
        }
    }

    /// A hole in `dir` that will not be filled: tell the dissector, then resume at the first
    /// buffered segment (if the dissector wants to go on).
    fn gap(&mut self, dir: Direction, out: &mut Out<'_>) {
        let i = idx(dir);
        out.stats.gaps += 1;
        let (frame, ts) = (out.frame, out.ts);
        if let Some(Verdict::Done) = self.with_dissector(out, frame, ts, |d, cx| d.gap(dir, cx)) {
            out.stats.dropped_gap += 1;
            let (frame, ts) = (self.last_frame, self.last_seen);
            self.with_dissector(out, frame, ts, |d, cx| d.end(cx));
            self.ignore(out);
            return;
        }
        if matches!(self.state, State::Ignored) {
            return;
        }
        let s = &self.streams[i];
        let Some(next) = s.next else {
            return;
        };
        if let Some(lowest) = s
            .ooo
            .iter()
            .map(|(q, _)| *q)
            .min_by_key(|q| seq_diff(*q, next))
        {
            self.streams[i].next = Some(lowest);
            self.drain(dir, out);
        }
    }

    /// The peer acknowledged `ack` in `dir`: bytes before it that were never seen are lost.
    fn acked(&mut self, dir: Direction, ack: u32, out: &mut Out<'_>) {
        let s = &self.streams[idx(dir)];
        let Some(next) = s.next else {
            return;
        };
        let ahead = seq_diff(ack, next);
        if ahead <= 0 || ahead > out.cfg.max_window as i64 {
            return;
        }
        if s.fin.is_some_and(|f| f.wrapping_add(1) == ack && f == next) {
            return;
        }
        self.gap(dir, out);
        if !matches!(self.state, State::Ignored) {
            let s = &mut self.streams[idx(dir)];
            if s.next.is_some_and(|n| seq_diff(ack, n) > 0) {
                s.next = Some(ack);
            }
        }
    }
}

/// The flow table of one capture or live session.
pub struct FlowTable {
    cfg: FlowConfig,
    /// Keyed with foldhash: a packet costs a lookup or two, and SipHash was a fifth of the
    /// table's time. Seeded per table, so crafted tuples cannot aim at one bucket.
    flows: HashMap<Tuple, Flow, foldhash::fast::RandomState>,
    next_id: u64,
    pub stats: FlowStats,
    ooo_total: usize,
    diss_total: usize,
    last_sweep: i64,
    source: Arc<str>,
    events: Vec<IdentityEvent>,
    notes: Vec<(u64, Note)>,
    scratch: Vec<Note>,
}

macro_rules! out {
    ($t:expr, $frame:expr, $ts:expr) => {
        Out {
            cfg: &$t.cfg,
            source: &$t.source,
            stats: &mut $t.stats,
            ooo_total: &mut $t.ooo_total,
            diss_total: &mut $t.diss_total,
            events: &mut $t.events,
            notes: &mut $t.notes,
            scratch: &mut $t.scratch,
            frame: $frame,
            ts: $ts,
        }
    };
}

impl FlowTable {
    /// A table whose events name `source` as their evidence.
    pub fn new(source: Arc<str>, cfg: FlowConfig) -> FlowTable {
        FlowTable {
            cfg,
            flows: HashMap::default(),
            next_id: 0,
            stats: FlowStats::default(),
            ooo_total: 0,
            diss_total: 0,
            last_sweep: i64::MIN,
            source,
            events: Vec::new(),
            notes: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Events produced so far (drain them between packets).
    pub fn events(&mut self) -> &mut Vec<IdentityEvent> {
        &mut self.events
    }

    /// Notes produced so far, with the frame that caused them.
    pub fn notes(&mut self) -> &mut Vec<(u64, Note)> {
        &mut self.notes
    }

    /// Flows currently tracked.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// One decoded packet.
    pub fn packet(&mut self, frame: u64, ts: i64, p: &Decoded<'_>) {
        if ts > self.last_sweep.saturating_add(5_000_000_000) {
            if self.last_sweep != i64::MIN {
                self.sweep(ts);
            }
            self.last_sweep = ts;
        }
        match p.l4 {
            L4::Tcp(seg) => {
                let src = SocketAddr::new(p.src, seg.sport);
                let dst = SocketAddr::new(p.dst, seg.dport);
                let tuple = Tuple::new(true, src, dst);
                if !self.flows.contains_key(&tuple) {
                    // A stray ACK, FIN or RST after a flow ended starts nothing.
                    if seg.payload.is_empty() && seg.flags & SYN == 0 {
                        self.stats.unknown += 1;
                        return;
                    }
                    let syn_from_client = seg.flags & (SYN | ACK) == SYN;
                    let syn_ack = seg.flags & (SYN | ACK) == SYN | ACK;
                    let key = if syn_from_client {
                        FlowKey {
                            client: src,
                            server: dst,
                        }
                    } else if syn_ack {
                        FlowKey {
                            client: dst,
                            server: src,
                        }
                    } else {
                        orient(src, dst, true)
                    };
                    self.insert(tuple, key, Transport::Tcp);
                }
                let mut close = false;
                let mut out = out!(self, frame, ts);
                let Some(flow) = self.flows.get_mut(&tuple) else {
                    return;
                };
                flow.packets += 1;
                flow.last_seen = ts;
                flow.last_frame = frame;
                let dir = if src == flow.key.client {
                    Direction::ToServer
                } else {
                    Direction::ToClient
                };
                let i = idx(dir);
                let mut seq = seg.seq;
                if seg.flags & SYN != 0 {
                    seq = seq.wrapping_add(1);
                    if flow.streams[i].next.is_none() {
                        flow.streams[i].next = Some(seq);
                    }
                }
                if !matches!(flow.state, State::Ignored) {
                    if seg.flags & ACK != 0 && seg.flags & RST == 0 {
                        flow.acked(other(dir), seg.ack, &mut out);
                    }
                    if !seg.payload.is_empty() {
                        flow.segment(dir, seq, seg.payload, &mut out);
                    }
                }
                if seg.flags & FIN != 0 {
                    flow.streams[i].fin = Some(seq.wrapping_add(seg.payload.len() as u32));
                }
                if seg.flags & RST != 0
                    || (flow.streams[0].fin.is_some() && flow.streams[1].fin.is_some())
                {
                    close = true;
                }
                if close {
                    if let Some(mut flow) = self.flows.remove(&tuple) {
                        let mut out = out!(self, frame, ts);
                        flow.finish(&mut out);
                        retire(&mut self.stats, &flow);
                    }
                }
            }
            L4::Udp {
                sport,
                dport,
                payload,
            } => {
                let src = SocketAddr::new(p.src, sport);
                let dst = SocketAddr::new(p.dst, dport);
                let tuple = Tuple::new(false, src, dst);
                if !self.flows.contains_key(&tuple) {
                    let key = orient(src, dst, false);
                    self.insert(tuple, key, Transport::Udp);
                }
                let mut out = out!(self, frame, ts);
                let Some(flow) = self.flows.get_mut(&tuple) else {
                    return;
                };
                flow.packets += 1;
                flow.last_seen = ts;
                flow.last_frame = frame;
                let dir = if src == flow.key.client {
                    Direction::ToServer
                } else {
                    Direction::ToClient
                };
                flow.deliver(dir, payload, &mut out);
            }
        }
    }

    fn insert(&mut self, tuple: Tuple, key: FlowKey, transport: Transport) {
        if self.flows.len() >= self.cfg.max_flows {
            self.evict();
        }
        self.next_id += 1;
        self.stats.flows += 1;
        self.flows.insert(
            tuple,
            Flow {
                id: self.next_id,
                key,
                transport,
                state: State::Undecided,
                dissected: false,
                packets: 0,
                last_seen: 0,
                last_frame: 0,
                streams: Default::default(),
                ooo_bytes: 0,
                diss_bytes: 0,
            },
        );
    }

    /// Makes room: ends the least recently seen sixteenth of the table.
    fn evict(&mut self) {
        let mut ages: Vec<(i64, u64, Tuple)> = self
            .flows
            .iter()
            .map(|(t, f)| (f.last_seen, f.id, *t))
            .collect();
        let n = (self.cfg.max_flows / 16).clamp(1, ages.len().max(1));
        if ages.len() > n {
            ages.select_nth_unstable(n);
            ages.truncate(n);
        }
        ages.sort_by_key(|a| a.1);
        self.stats.dropped_evicted += ages.len() as u64;
        self.end_flows(ages.into_iter().map(|a| a.2).collect());
    }

    /// Ends flows idle for longer than their transport's timeout at capture time `now`.
    fn sweep(&mut self, now: i64) {
        let (tcp, udp) = (
            self.cfg.tcp_idle_secs.saturating_mul(1_000_000_000),
            self.cfg.udp_idle_secs.saturating_mul(1_000_000_000),
        );
        let mut idle: Vec<(u64, Tuple)> = self
            .flows
            .iter()
            .filter(|(t, f)| now.saturating_sub(f.last_seen) > if t.tcp { tcp } else { udp })
            .map(|(t, f)| (f.id, *t))
            .collect();
        idle.sort_unstable();
        self.end_flows(idle.into_iter().map(|a| a.1).collect());
    }

    fn end_flows(&mut self, tuples: Vec<Tuple>) {
        for t in tuples {
            if let Some(mut flow) = self.flows.remove(&t) {
                let mut out = out!(self, flow.last_frame, flow.last_seen);
                flow.finish(&mut out);
                retire(&mut self.stats, &flow);
            }
        }
    }

    /// Time passes without packets (a quiet live interface): ends the flows that have been
    /// idle too long at wall time `now`, as a packet arriving then would.
    pub fn idle(&mut self, now: i64) {
        if now > self.last_sweep.saturating_add(5_000_000_000) {
            self.sweep(now);
            self.last_sweep = now;
        }
    }

    /// Ends every flow (end of capture), oldest first.
    pub fn finish(&mut self) {
        let mut all: Vec<(u64, Tuple)> = self.flows.iter().map(|(t, f)| (f.id, *t)).collect();
        all.sort_unstable();
        self.end_flows(all.into_iter().map(|a| a.1).collect());
    }
}

fn retire(stats: &mut FlowStats, flow: &Flow) {
    if !flow.dissected {
        stats.unknown += flow.packets;
    }
}

/// Client and server of a flow whose opening was not seen.
fn orient(src: SocketAddr, dst: SocketAddr, tcp: bool) -> FlowKey {
    let known = |p: u16| SERVER_PORTS.contains(&p);
    let server_is_dst = match (known(src.port()), known(dst.port())) {
        (false, true) => true,
        (true, false) => false,
        _ if tcp => dst.port() <= src.port(),
        // A datagram's sender is the client unless a port says otherwise.
        _ => true,
    };
    if server_is_dst {
        FlowKey {
            client: src,
            server: dst,
        }
    } else {
        FlowKey {
            client: dst,
            server: src,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the recording dissector saw (shared with the test).
    #[derive(Default)]
    struct Log {
        to_server: Vec<u8>,
        gaps: u32,
        ended: bool,
    }

    /// Records what the reassembler hands over (and `gap` answers `More`, to test resync).
    struct Recorder(std::sync::Arc<std::sync::Mutex<Log>>);

    impl Dissector for Recorder {
        fn protocol(&self) -> &'static str {
            "test"
        }
        fn data(&mut self, dir: Direction, bytes: &[u8], _cx: &mut Ctx<'_>) -> Verdict {
            if dir == Direction::ToServer {
                self.0.lock().unwrap().to_server.extend_from_slice(bytes);
            }
            Verdict::More
        }
        fn gap(&mut self, _dir: Direction, _cx: &mut Ctx<'_>) -> Verdict {
            let mut l = self.0.lock().unwrap();
            l.gaps += 1;
            l.to_server.push(b'|');
            Verdict::More
        }
        fn end(&mut self, _cx: &mut Ctx<'_>) {
            self.0.lock().unwrap().ended = true;
        }
    }

    fn flow(d: Box<dyn Dissector>) -> Flow {
        let key = FlowKey {
            client: "10.0.0.1:50000".parse().unwrap(),
            server: "10.0.0.2:389".parse().unwrap(),
        };
        Flow {
            id: 1,
            key,
            transport: Transport::Tcp,
            state: State::Active(d),
            dissected: true,
            packets: 0,
            last_seen: 0,
            last_frame: 0,
            streams: Default::default(),
            ooo_bytes: 0,
            diss_bytes: 0,
        }
    }

    struct Harness {
        cfg: FlowConfig,
        source: Arc<str>,
        stats: FlowStats,
        ooo: usize,
        diss: usize,
        events: Vec<IdentityEvent>,
        notes: Vec<(u64, Note)>,
        scratch: Vec<Note>,
        flow: Flow,
        log: std::sync::Arc<std::sync::Mutex<Log>>,
    }

    macro_rules! hout {
        ($h:expr) => {
            Out {
                cfg: &$h.cfg,
                source: &$h.source,
                stats: &mut $h.stats,
                ooo_total: &mut $h.ooo,
                diss_total: &mut $h.diss,
                events: &mut $h.events,
                notes: &mut $h.notes,
                scratch: &mut $h.scratch,
                frame: 1,
                ts: 0,
            }
        };
    }

    impl Harness {
        fn new(isn: u32) -> Harness {
            let log = std::sync::Arc::new(std::sync::Mutex::new(Log::default()));
            let mut h = Harness {
                cfg: FlowConfig::default(),
                source: Arc::from("t"),
                stats: FlowStats::default(),
                ooo: 0,
                diss: 0,
                events: Vec::new(),
                notes: Vec::new(),
                scratch: Vec::new(),
                flow: flow(Box::new(Recorder(log.clone()))),
                log,
            };
            h.flow.streams[0].next = Some(isn);
            h
        }
        fn seg(&mut self, seq: u32, data: &[u8]) {
            let mut out = hout!(self);
            self.flow.segment(Direction::ToServer, seq, data, &mut out);
        }
        fn ack(&mut self, ack: u32) {
            let mut out = hout!(self);
            self.flow.acked(Direction::ToServer, ack, &mut out);
        }
        fn finish(&mut self) {
            let mut out = hout!(self);
            self.flow.finish(&mut out);
            assert!(matches!(self.flow.state, State::Ignored));
            assert!(self.log.lock().unwrap().ended);
        }
        fn got(&self) -> (Vec<u8>, u32) {
            let l = self.log.lock().unwrap();
            (l.to_server.clone(), l.gaps)
        }
    }

    #[test]
    fn in_order_retransmission_and_overlap() {
        let mut h = Harness::new(1000);
        h.seg(1000, b"hello ");
        h.seg(1000, b"hello "); // retransmission
        h.seg(1003, b"lo wor"); // overlap: "lo " known, "wor" new
        h.seg(1009, b"ld");
        assert_eq!(h.got(), (b"hello world".to_vec(), 0));
        assert_eq!(h.stats.retransmitted, 1);
        assert_eq!(h.ooo, 0);
    }

    #[test]
    fn out_of_order_is_buffered_then_delivered() {
        let mut h = Harness::new(1);
        h.seg(7, b"world");
        h.seg(12, b"!");
        assert_eq!(h.got().0, b"");
        assert_eq!(h.ooo, 6);
        h.seg(1, b"hello ");
        assert_eq!(h.got(), (b"hello world!".to_vec(), 0));
        assert_eq!(h.ooo, 0);
        assert_eq!(h.flow.ooo_bytes, 0);
    }

    #[test]
    fn sequence_wrap() {
        let isn = u32::MAX - 3;
        let mut h = Harness::new(isn);
        h.seg(isn.wrapping_add(4), b"5678"); // after the wrap, out of order
        h.seg(isn, b"1234");
        h.seg(isn.wrapping_add(2), b"34"); // retransmission across the wrap
        assert_eq!(h.got(), (b"12345678".to_vec(), 0));
        assert_eq!(h.flow.streams[0].next, Some(4));
    }

    #[test]
    fn acknowledged_hole_is_a_gap_and_the_stream_resumes() {
        let mut h = Harness::new(100);
        h.seg(100, b"abc");
        h.seg(110, b"xyz"); // 103..110 never captured
        h.ack(113);
        assert_eq!(h.got(), (b"abc|xyz".to_vec(), 1));
        h.seg(113, b"!");
        assert_eq!(h.got().0, b"abc|xyz!");
    }

    #[test]
    fn full_buffers_force_a_gap_never_a_stall() {
        let mut h = Harness::new(0);
        h.cfg.max_segments = 4;
        // Hole at 0..10; segments 10.., 20.., … pile up beyond the cap.
        for k in 1..=6u32 {
            h.seg(k * 10, b"0123456789");
        }
        let (data, gaps) = h.got();
        assert_eq!(gaps, 1);
        let waiting = h.flow.streams[0].ooo.len();
        assert!(waiting <= 4);
        // The gap marker plus everything no longer buffered, in order.
        assert_eq!(data.len(), 1 + 60 - 10 * waiting);
        h.finish();
        assert_eq!(h.ooo, 0);
        // Ending the flow flushes the rest through the gap.
        assert_eq!(h.got().0.len(), 1 + 60);
    }

    #[test]
    fn the_default_gap_drops_the_flow_and_ends_it() {
        struct Plain(bool);
        impl Dissector for Plain {
            fn protocol(&self) -> &'static str {
                "plain"
            }
            fn data(&mut self, _: Direction, _: &[u8], _: &mut Ctx<'_>) -> Verdict {
                Verdict::More
            }
            fn end(&mut self, _: &mut Ctx<'_>) {
                self.0 = true;
            }
        }
        let mut h = Harness::new(0);
        h.flow.state = State::Active(Box::new(Plain(false)));
        h.flow.streams[0].next = Some(0);
        h.seg(0, b"ab");
        h.seg(10, b"cd");
        h.ack(12);
        assert!(matches!(h.flow.state, State::Ignored));
        assert_eq!(h.stats.dropped_gap, 1);
        assert_eq!(h.ooo, 0);
    }
}
