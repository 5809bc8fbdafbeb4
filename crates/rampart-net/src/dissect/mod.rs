//! Protocol dissectors: one file a protocol. A dissector turns the bytes of one flow (a
//! reassembled TCP stream, or UDP datagrams) into [`IdentityEvent`]s; it never decides what is
//! an attack.
//!
//! The packet layer ([`crate::flow`]) hands a dissector the payload of one direction at a time,
//! in stream order, with the frame number and time of the packet that completed it, so evidence
//! points at a frame. A dissector must never panic and never allocate in proportion to a length
//! field it has not checked against the bytes present; damaged input is a [`Note::Malformed`],
//! after which the dissector may give up on the flow (return [`Verdict::Done`]).

pub mod dcerpc;
pub mod ntlm;
pub mod rpc_ifaces;
pub mod smb2;

use rampart_core::{Evidence, Host, IdentityEvent, Timestamp};
use std::net::SocketAddr;
use std::sync::Arc;

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
        Evidence {
            source: self.source.clone(),
            record: self.frame,
            event_id: None,
        }
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
        self.flow.server.ip().to_string()
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
}
