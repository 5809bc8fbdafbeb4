//! Feeds the per-direction byte streams of real flows (tshark `follow,tcp,raw` output kept in
//! `tests/fixtures/`) through a dissector, chunk by chunk as the packets carried them.

#![allow(dead_code)]

use rampart_core::{EventKind, IdentityEvent, Outcome};
use rampart_net::dissect::{Ctx, Direction, Dissector, FlowKey, Note, Transport, Verdict};
use std::path::Path;
use std::sync::Arc;

pub struct Flow {
    pub key: FlowKey,
    pub chunks: Vec<(Direction, Vec<u8>)>,
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex fixture"))
        .collect()
}

/// The flows of a fixture file, in file order.
pub fn load(name: &str) -> Vec<Flow> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {} missing: {e}", path.display()));
    let mut flows: Vec<Flow> = Vec::new();
    let mut node0 = None;
    for line in text.lines() {
        if let Some(a) = line.strip_prefix("Node 0: ") {
            node0 = Some(a.parse().expect("node 0 address"));
        } else if let Some(a) = line.strip_prefix("Node 1: ") {
            let key = FlowKey {
                client: node0.take().expect("node 0 before node 1"),
                server: a.parse().expect("node 1 address"),
            };
            flows.push(Flow {
                key,
                chunks: Vec::new(),
            });
        } else if let Some(h) = line.strip_prefix('\t') {
            if let Some(f) = flows.last_mut() {
                f.chunks.push((Direction::ToClient, hex(h)));
            }
        } else if !line.is_empty() && line.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Some(f) = flows.last_mut() {
                f.chunks.push((Direction::ToServer, hex(line)));
            }
        }
    }
    assert!(!flows.is_empty(), "no flows in {name}");
    flows
}

pub struct Run {
    pub events: Vec<IdentityEvent>,
    pub notes: Vec<Note>,
    pub done_at: Option<usize>,
}

/// Runs one flow; chunk i is "frame" i + 1.
pub fn run(flow: &Flow, d: &mut dyn Dissector) -> Run {
    let source: Arc<str> = Arc::from("fixture");
    let mut events = Vec::new();
    let mut notes = Vec::new();
    let mut done_at = None;
    let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
    for (i, (dir, bytes)) in flow.chunks.iter().enumerate() {
        let mut cx = Ctx {
            source: &source,
            frame: i as u64 + 1,
            time: t0 + chrono::Duration::milliseconds(i as i64),
            flow: flow.key,
            transport: Transport::Tcp,
            events: &mut events,
            notes: &mut notes,
        };
        if d.data(*dir, bytes, &mut cx) == Verdict::Done {
            done_at = Some(i);
            break;
        }
    }
    let mut cx = Ctx {
        source: &source,
        frame: flow.chunks.len() as u64,
        time: t0,
        flow: flow.key,
        transport: Transport::Tcp,
        events: &mut events,
        notes: &mut notes,
    };
    d.end(&mut cx);
    Run {
        events,
        notes,
        done_at,
    }
}

/// `(interface, opnum, operation, outcome)` of the RPC calls, in order.
pub fn rpc_calls(events: &[IdentityEvent]) -> Vec<(String, u16, Option<String>, Outcome)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::RpcCall {
                interface,
                opnum,
                operation,
                ..
            } => Some((interface.clone(), *opnum, operation.clone(), e.outcome)),
            _ => None,
        })
        .collect()
}

/// Every prefix and every one-byte corruption of a flow's chunks leaves the dissector
/// panic-free; a smoke test over real bytes rather than random ones.
pub fn mutate_all(flow: &Flow, make: &dyn Fn() -> Box<dyn Dissector>) {
    for cut in 0..flow.chunks.len() {
        for &pos in &[0usize, 3, 4, 8, 12, 20, 40, 64, 70, 76, 90, 110] {
            let mut f = Flow {
                key: flow.key,
                chunks: flow.chunks.clone(),
            };
            if let Some(b) = f.chunks[cut].1.get_mut(pos) {
                *b ^= 0xff;
                run(&f, make().as_mut());
            }
        }
        let f = Flow {
            key: flow.key,
            chunks: flow.chunks[..cut].to_vec(),
        };
        run(&f, make().as_mut());
    }
}
