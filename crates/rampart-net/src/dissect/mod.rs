//! Protocol dissectors: one file a protocol. A dissector turns the bytes of one flow (a
//! reassembled TCP stream, or UDP datagrams) into [`IdentityEvent`]s; it never decides what is
//! an attack.
//!
//! The packet layer ([`crate::flow`]) hands a dissector the payload of one direction at a time,
//! in stream order, with the frame number and time of the packet that completed it, so evidence
//! points at a frame. A dissector must never panic and never allocate in proportion to a length
//! field it has not checked against the bytes present; damaged input is a [`Note::Malformed`],
//! after which the dissector may give up on the flow (return [`Verdict::Done`]).

use rampart_core::{Evidence, Host, IdentityEvent, Timestamp};
use std::net::SocketAddr;
use std::sync::Arc;

pub mod dcerpc;
pub mod dcom;
pub mod dns;
pub mod http;
pub mod kerberos;
pub mod ldap;
pub mod ntlm;
pub mod rpc_ifaces;
pub mod smb2;

/// The two ends of a flow, oriented: `client` opened it (sent the SYN, or the first datagram),
/// `server` answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    pub client: SocketAddr,
    pub server: SocketAddr,
}

/// Which way bytes went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    ToServer,
    ToClient,
}

/// The transport the bytes came over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Udp,
}

/// What a dissector reports besides events: counted per capture, never errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The bytes are not what the protocol allows (offset into the flow direction, reason).
    Malformed {
        protocol: &'static str,
        reason: String,
    },
    /// The payload is encrypted (SMB3 transform, sealed DCE/RPC, LDAP sign+seal, Kerberos
    /// armoring): counted as such, not guessed at.
    Encrypted { protocol: &'static str },
}

/// Where a dissector writes what it found.
pub struct Ctx<'a> {
    /// The capture, as the user named it (evidence `source`).
    pub source: &'a Arc<str>,
    /// 1-based frame number of the packet that delivered the current bytes.
    pub frame: u64,
    pub time: Timestamp,
    pub flow: FlowKey,
    pub transport: Transport,
    pub events: &'a mut Vec<IdentityEvent>,
    pub notes: &'a mut Vec<Note>,
}

impl Ctx<'_> {
    /// Evidence for the current frame.
    pub fn evidence(&self) -> Evidence {
        self.evidence_at(self.frame)
    }

    /// Evidence for an earlier frame of the flow (a request emitted when its flow ends
    /// unanswered points at the request, not at the last packet).
    pub fn evidence_at(&self, frame: u64) -> Evidence {
        Evidence {
            source: self.source.clone(),
            record: frame,
            event_id: None,
        }
    }

    /// Records a malformed PDU.
    pub fn malformed(&mut self, protocol: &'static str, reason: impl Into<String>) {
        self.notes.push(Note::Malformed {
            protocol,
            reason: reason.into(),
        });
    }

    /// An event of this flow: observed by the server (the DC that answered), from the client's
    /// address, at `time`, with evidence `frame`.
    pub fn event(
        &self,
        kind: rampart_core::EventKind,
        time: Timestamp,
        frame: u64,
    ) -> IdentityEvent {
        let mut e = IdentityEvent::new(time, kind, self.evidence_at(frame));
        e.observer = Some(self.server_name());
        e.source = Some(self.client_host());
        e
    }

    /// The client end as a host (by address).
    pub fn client_host(&self) -> Host {
        Host {
            name: None,
            ip: Some(self.flow.client.ip()),
        }
    }

    /// The server's address as text: the observer of events a sensor sees (the DC answering).
    pub fn server_name(&self) -> String {
        rampart_core::ip_string(&self.flow.server.ip())
    }
}

/// Whether a dissector wants more of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Keep feeding this flow.
    More,
    /// Nothing more to learn here (not this protocol after all, encrypted, or hopelessly
    /// damaged): the packet layer drops the flow's state and skips its remaining packets.
    Done,
}

/// A protocol dissector for one flow. One instance per flow; it keeps the flow's state (a
/// pending request awaiting its response, a partial PDU).
pub trait Dissector: Send {
    /// The protocol's short name (`kerberos`, `ldap`, `smb2`, …) for counts and notes.
    fn protocol(&self) -> &'static str;

    /// Bytes of one direction, in order. For TCP they are a contiguous piece of the stream
    /// (PDUs may span calls, and one call may hold several); for UDP one datagram.
    fn data(&mut self, dir: Direction, bytes: &[u8], cx: &mut Ctx<'_>) -> Verdict;

    /// Bytes were lost in `dir` (a gap the reassembler could not fill): the stream resumes at
    /// an unknown PDU boundary. The default gives up on the flow.
    fn gap(&mut self, _dir: Direction, _cx: &mut Ctx<'_>) -> Verdict {
        Verdict::Done
    }

    /// The flow ended (FIN/RST, idle timeout, end of capture): emit what is still pending (a
    /// request never answered).
    fn end(&mut self, _cx: &mut Ctx<'_>) {}

    /// Bytes the dissector holds (partial PDUs, pending requests), so the packet layer can
    /// bound the sum over all flows.
    fn buffered(&self) -> usize {
        0
    }
}

/// The dissector for a new flow, chosen by the server's port and, for services on other
/// ports, by the first payload bytes (of either direction). `None`: the flow is ignored.
pub fn for_flow(key: &FlowKey, transport: Transport, first: &[u8]) -> Option<Box<dyn Dissector>> {
    match (transport, key.server.port()) {
        (_, 88) => Some(Box::new(kerberos::Kerberos::new(transport))),
        (Transport::Tcp, 389 | 3268) | (Transport::Udp, 389) => {
            Some(Box::new(ldap::Ldap::new(transport)))
        }
        (_, 53) => Some(Box::new(dns::Dns::new(transport))),
        // SMB2 over direct TCP and the NetBIOS session service.
        (Transport::Tcp, 445 | 139) => Some(Box::new(smb2::Smb2::new())),
        // The DCE/RPC endpoint mapper; RPC on the dynamic ports it hands out is sniffed below.
        (Transport::Tcp, 135) => Some(Box::new(dcerpc::DceRpc::new())),
        // WS-Management over HTTP: WinRM and PowerShell remoting.
        (Transport::Tcp, 5985 | 47001) => Some(Box::new(http::Http::new())),
        _ => sniff(transport, first),
    }
}

/// Services met away from their well-known ports.
fn sniff(transport: Transport, first: &[u8]) -> Option<Box<dyn Dissector>> {
    if transport == Transport::Tcp && dcerpc::looks_like_bind(first) {
        return Some(Box::new(dcerpc::DceRpc::new()));
    }
    if kerberos::looks_like(transport, first) {
        return Some(Box::new(kerberos::Kerberos::new(transport)));
    }
    if transport == Transport::Tcp && ldap::looks_like_bind(first) {
        return Some(Box::new(ldap::Ldap::new(transport)));
    }
    if transport == Transport::Tcp && http::looks_like_wsman(first) {
        return Some(Box::new(http::Http::new()));
    }
    None
}

/// How far a length-prefixed stream's next record reaches.
pub(crate) enum Frame {
    /// The record, header included, is this long.
    Len(usize),
    /// Not enough bytes to tell.
    NeedMore,
}

/// Splits a TCP stream into records with a fixed-size length prefix (Kerberos' 4-byte record
/// marking, DNS's 2-byte length), keeping a partial record between calls. Records are handed
/// over from the caller's bytes when whole, so the copy happens only for records that span
/// segments.
#[derive(Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
}

impl Framer {
    /// Feeds `bytes`; calls `each` with every whole record. `Err` when a record claims more
    /// than `max` bytes (the stream is then unusable).
    pub(crate) fn feed(
        &mut self,
        bytes: &[u8],
        max: usize,
        measure: impl Fn(&[u8]) -> Frame,
        mut each: impl FnMut(&[u8]) -> Verdict,
    ) -> Result<Verdict, usize> {
        if self.buf.is_empty() {
            let mut rest = bytes;
            while !rest.is_empty() {
                match measure(rest) {
                    Frame::Len(n) if n > max => return Err(n),
                    Frame::Len(n) if n <= rest.len() => {
                        if each(&rest[..n]) == Verdict::Done {
                            return Ok(Verdict::Done);
                        }
                        rest = &rest[n..];
                    }
                    _ => {
                        self.buf.extend_from_slice(rest);
                        break;
                    }
                }
            }
            return Ok(Verdict::More);
        }
        self.buf.extend_from_slice(bytes);
        let mut off = 0;
        let mut verdict = Verdict::More;
        while off < self.buf.len() {
            match measure(&self.buf[off..]) {
                Frame::Len(n) if n > max => return Err(n),
                Frame::Len(n) if n <= self.buf.len() - off => {
                    if each(&self.buf[off..off + n]) == Verdict::Done {
                        verdict = Verdict::Done;
                        break;
                    }
                    off += n;
                }
                _ => break,
            }
        }
        self.buf.drain(..off);
        if self.buf.is_empty() && self.buf.capacity() > 64 * 1024 {
            self.buf = Vec::new();
        }
        Ok(verdict)
    }

    pub(crate) fn buffered(&self) -> usize {
        self.buf.capacity()
    }
}

/// A 64-bit FNV-1a hash: stable across runs and builds, so ticket fingerprints can be compared
/// between captures and stored.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
