//! What the rampart-net fuzz targets share: a fuzz input read as one flow, cut into pieces of
//! either direction, fed to a dissector the way the flow table feeds it.
//!
//! Input layout (so that seeds extracted from real traffic stay meaningful to the fuzzer):
//!
//! ```text
//! options:u8  chunk*
//! chunk := ctrl:u8 len:u16le bytes[len]     (a len past the end takes what is left)
//! ```
//!
//! - `options` bit 0: the flow is UDP (each chunk one datagram), for protocols that have it.
//! - `ctrl` bit 0: direction (0 to the server, 1 to the client); `ctrl >= 0xf0`: the
//!   reassembler lost bytes of that direction before this chunk ([`Dissector::gap`]).
//!
//! Cutting one PDU over several chunks reaches partial-PDU buffering; several PDUs in one chunk
//! reach the loop over whole PDUs; alternating directions reach request/response pairing.

use rampart_net::dissect::{Ctx, Direction, Dissector, FlowKey, Transport, Verdict};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// One piece of the flow.
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    pub dir: Direction,
    /// Bytes of `dir` were lost before these.
    pub gap: bool,
    pub bytes: &'a [u8],
}

/// The transport the input asks for, and its chunks.
pub fn split(data: &[u8]) -> (Transport, Vec<Chunk<'_>>) {
    let Some((&options, mut rest)) = data.split_first() else {
        return (Transport::Tcp, Vec::new());
    };
    let transport = if options & 1 == 1 {
        Transport::Udp
    } else {
        Transport::Tcp
    };
    let mut chunks = Vec::new();
    while let Some((&ctrl, tail)) = rest.split_first() {
        let len = match tail {
            [lo, hi, ..] => u16::from_le_bytes([*lo, *hi]) as usize,
            _ => 0,
        };
        let body = tail.get(2..).unwrap_or(&[]);
        let (bytes, next) = body.split_at(len.min(body.len()));
        chunks.push(Chunk {
            dir: if ctrl & 1 == 0 {
                Direction::ToServer
            } else {
                Direction::ToClient
            },
            gap: ctrl >= 0xf0,
            bytes,
        });
        rest = next;
    }
    (transport, chunks)
}

/// Encodes chunks in the layout [`split`] reads (for seeds and regression inputs).
pub fn join(transport: Transport, chunks: &[(Direction, &[u8])]) -> Vec<u8> {
    let mut out = vec![u8::from(transport == Transport::Udp)];
    for (dir, bytes) in chunks {
        for piece in bytes.chunks(u16::MAX as usize) {
            out.push(u8::from(*dir == Direction::ToClient));
            out.extend_from_slice(&(piece.len() as u16).to_le_bytes());
            out.extend_from_slice(piece);
        }
    }
    out
}

/// Bytes a dissector may hold beyond twice what it was given (a `Vec`'s growth doubles at
/// most): pending requests and kept attribute values, which the dissectors cap by count.
/// Holding more than this means it keeps state that input can grow without bound.
const STATE_SLACK: usize = 2 * 1024 * 1024;

/// Feeds the flow in `data` to the dissector `make` returns for its transport, through
/// `data`/`gap`/`end` with a real [`Ctx`], and checks what it holds after every call.
///
/// `udp` says whether the protocol runs over UDP at all; if not, the options bit is ignored.
pub fn run(
    data: &[u8],
    server_port: u16,
    udp: bool,
    make: impl FnOnce(Transport) -> Box<dyn Dissector>,
) {
    let (mut transport, chunks) = split(data);
    if !udp {
        transport = Transport::Tcp;
    }
    let mut d = make(transport);
    let source: Arc<str> = Arc::from("fuzz.pcap");
    let flow = FlowKey {
        client: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)), 50_000),
        server: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), server_port),
    };
    let mut events = Vec::new();
    let mut notes = Vec::new();
    let mut fed = 0usize;
    let mut frame = 0u64;
    for c in chunks {
        frame += 1;
        let mut cx = Ctx {
            source: &source,
            frame,
            time: rampart_net::flow::time_of(frame as i64 * 1_000_000_000),
            flow,
            transport,
            events: &mut events,
            notes: &mut notes,
        };
        if c.gap && d.gap(c.dir, &mut cx) == Verdict::Done {
            // The flow table forgets a flow its dissector is done with.
            return;
        }
        let v = d.data(c.dir, c.bytes, &mut cx);
        fed += c.bytes.len();
        check(d.as_ref(), fed);
        if v == Verdict::Done {
            return;
        }
        // What was emitted is the sink's; keep the harness's own memory flat.
        events.clear();
        notes.clear();
    }
    let mut cx = Ctx {
        source: &source,
        frame: frame + 1,
        time: rampart_net::flow::time_of((frame as i64 + 1) * 1_000_000_000),
        flow,
        transport,
        events: &mut events,
        notes: &mut notes,
    };
    d.end(&mut cx);
}

/// The flow table bounds dissectors by what [`Dissector::buffered`] reports; a dissector that
/// holds more than it could have been given breaks that bound.
fn check(d: &dyn Dissector, fed: usize) {
    let held = d.buffered();
    assert!(
        held <= 2 * fed + STATE_SLACK,
        "{} holds {held} bytes after being fed {fed}",
        d.protocol()
    );
}

/// An event sink that counts what it is handed and keeps nothing, so a long run's memory is
/// the sensor's own.
#[derive(Debug, Default)]
pub struct Count {
    pub events: u64,
    pub warnings: u64,
}

impl rampart_ingest::EventSink for Count {
    fn events(&mut self, batch: Vec<rampart_core::IdentityEvent>) -> bool {
        self.events += batch.len() as u64;
        true
    }

    fn warning(&mut self, _warning: rampart_ingest::Warning) {
        self.warnings += 1;
    }
}
