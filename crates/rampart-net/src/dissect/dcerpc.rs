//! Connection-oriented DCE/RPC (C706 chapter 12, MS-RPCE 2.2.2) over TCP and inside SMB named
//! pipes: which interface a connection bound, which operations it called, with what outcome,
//! and who authenticated.
//!
//! One [`RpcCall`](rampart_core::EventKind::RpcCall) is emitted per call when its response or
//! fault arrives (or, unanswered, when the flow ends), at the frame and time of the request.
//! Stubs are not decoded, except the class named by a clear-text DCOM activation request
//! ([`super::dcom`]) and the return status at the end of a clear-text response stub, which is
//! read, so call fragments are followed (by call id, first/last flags) but not buffered.

use super::dcom;
use super::ntlm::{self, Message};
use super::rpc_ifaces::{self, StatusKind, Uuid};
use super::{Ctx, Direction, Dissector, Note, Verdict};
use rampart_core::{Account, EventKind, Evidence, IdentityEvent, NtlmWire, Outcome, Timestamp};
use std::collections::BTreeMap;

const PROTOCOL: &str = "dcerpc";

const PTYPE_REQUEST: u8 = 0;
const PTYPE_RESPONSE: u8 = 2;
const PTYPE_FAULT: u8 = 3;
const PTYPE_BIND: u8 = 11;
const PTYPE_BIND_ACK: u8 = 12;
const PTYPE_BIND_NAK: u8 = 13;
const PTYPE_ALTER: u8 = 14;
const PTYPE_ALTER_RESP: u8 = 15;
const PTYPE_AUTH3: u8 = 16;

const PFC_FIRST_FRAG: u8 = 0x01;
const PFC_LAST_FRAG: u8 = 0x02;
const PFC_OBJECT_UUID: u8 = 0x80;

const AUTH_SPNEGO: u8 = 9;
const AUTH_NTLMSSP: u8 = 10;
const AUTH_NETLOGON: u8 = 68;
const AUTH_LEVEL_PRIVACY: u8 = 6;

/// `nca_s_fault_access_denied`: what a server answers on a context whose authentication failed.
const FAULT_ACCESS_DENIED: u32 = 5;

/// Calls awaiting an answer, per connection. Clients keep a handful outstanding; a flood of
/// unanswered requests beyond this is reported as they come (outcome unknown).
const MAX_PENDING_CALLS: usize = 1024;
/// Presentation contexts per connection (a context id is 16 bits, real clients use a few).
const MAX_CONTEXTS: usize = 256;

/// Whether the first bytes a client sent are a DCE/RPC v5 bind or alter-context: how a flow on a
/// dynamic port (the endpoint mapper hands them out) is recognised.
pub fn looks_like_bind(first: &[u8]) -> bool {
    match first {
        [5, minor, ptype, _flags, drep0, ..] => {
            *minor <= 1
                && (*ptype == PTYPE_BIND || *ptype == PTYPE_ALTER)
                && (*drep0 & 0xf0 == 0x10 || *drep0 & 0xf0 == 0x00)
                && frag_length(first).is_some_and(|n| n >= 28)
        }
        _ => false,
    }
}

fn frag_length(pdu: &[u8]) -> Option<usize> {
    let le = pdu.get(4)? & 0x10 != 0;
    rd16(pdu, 8, le).map(usize::from)
}

fn rd16(b: &[u8], at: usize, le: bool) -> Option<u16> {
    let s: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(if le {
        u16::from_le_bytes(s)
    } else {
        u16::from_be_bytes(s)
    })
}

fn rd32(b: &[u8], at: usize, le: bool) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if le {
        u32::from_le_bytes(s)
    } else {
        u32::from_be_bytes(s)
    })
}

/// A call whose answer has not been seen.
#[derive(Debug)]
struct Call {
    interface: String,
    status: Option<StatusKind>,
    opnum: u16,
    operation: Option<&'static str>,
    sealed: bool,
    /// The class a DCOM activation creates.
    object: Option<String>,
    actor: Option<Account>,
    frame: u64,
    time: Timestamp,
}

/// An NTLMSSP AUTHENTICATE whose outcome the server has not shown yet.
#[derive(Debug)]
struct PendingAuth {
    auth: ntlm::Authenticate,
    frame: u64,
    time: Timestamp,
}

/// The security trailer and where the stub ends.
struct Auth<'a> {
    auth_type: u8,
    level: u8,
    value: &'a [u8],
}

/// One DCE/RPC connection (a TCP flow, or one open pipe of an SMB session).
#[derive(Debug, Default)]
pub struct DceRpc {
    /// The SMB named pipe carrying the connection.
    pipe: Option<String>,
    /// The account the carrier authenticated (the SMB session's user).
    carrier_actor: Option<Account>,
    /// The account this connection's own authentication named.
    actor: Option<Account>,
    bufs: [Vec<u8>; 2],
    /// Presentation context id → abstract syntax, once the server accepted it.
    contexts: BTreeMap<u16, Uuid>,
    /// Contexts a bind or alter-context proposed, by call id, until the answer says which
    /// were accepted.
    proposed: BTreeMap<u32, Vec<(u16, Uuid)>>,
    calls: BTreeMap<u32, Call>,
    pending_auth: Option<PendingAuth>,
    finished: bool,
}

impl DceRpc {
    /// A connection over TCP.
    pub fn new() -> DceRpc {
        DceRpc::default()
    }

    /// A connection inside an SMB named pipe, on a session authenticated as `actor`.
    pub fn over_pipe(pipe: &str, actor: Option<Account>) -> DceRpc {
        DceRpc {
            pipe: Some(pipe.to_string()),
            carrier_actor: actor,
            ..DceRpc::default()
        }
    }

    fn idx(dir: Direction) -> usize {
        match dir {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }

    fn malformed(&mut self, cx: &mut Ctx<'_>, reason: String) -> Verdict {
        cx.notes.push(Note::Malformed {
            protocol: PROTOCOL,
            reason,
        });
        self.finish(cx);
        Verdict::Done
    }

    fn pdu(&mut self, dir: Direction, pdu: &[u8], cx: &mut Ctx<'_>) -> Result<(), String> {
        let ptype = pdu[2];
        let flags = pdu[3];
        let le = pdu[4] & 0x10 != 0;
        let call_id = rd32(pdu, 12, le).ok_or("short header")?;
        let auth_len = rd16(pdu, 10, le).ok_or("short header")? as usize;
        let (stub_end, auth) = if auth_len > 0 {
            let trailer = pdu
                .len()
                .checked_sub(auth_len + 8)
                .filter(|t| *t >= 16)
                .ok_or_else(|| format!("auth length {auth_len} exceeds the PDU"))?;
            let pad = pdu[trailer + 2] as usize;
            let auth = Auth {
                auth_type: pdu[trailer],
                level: pdu[trailer + 1],
                value: &pdu[trailer + 8..],
            };
            (trailer.saturating_sub(pad), Some(auth))
        } else {
            (pdu.len(), None)
        };
        match (dir, ptype) {
            (Direction::ToServer, PTYPE_BIND | PTYPE_ALTER) => {
                let proposed = parse_contexts(pdu, le)?;
                self.proposed.insert(call_id, proposed);
                while self.proposed.len() > 16 {
                    self.proposed.pop_first();
                }
                if let Some(a) = auth {
                    self.authenticate(&a, cx);
                }
            }
            (Direction::ToClient, PTYPE_BIND_ACK | PTYPE_ALTER_RESP) => {
                let accepted = parse_results(pdu, le);
                if let Some(proposed) = self.proposed.remove(&call_id) {
                    for (i, (ctx, uuid)) in proposed.into_iter().enumerate() {
                        // Without a readable result list every proposal counts as accepted: a
                        // later request names its context anyway.
                        let ok = accepted.as_ref().is_none_or(|r| r.get(i) == Some(&true));
                        if ok && self.contexts.len() < MAX_CONTEXTS {
                            self.contexts.insert(ctx, uuid);
                        }
                    }
                }
                if ptype == PTYPE_ALTER_RESP {
                    self.resolve_auth(Outcome::Success, 0, cx);
                }
            }
            (Direction::ToClient, PTYPE_BIND_NAK) => {
                let reason = rd16(pdu, 16, le).unwrap_or(0) as u32;
                self.resolve_auth(Outcome::Failure(reason), reason, cx);
            }
            (Direction::ToServer, PTYPE_AUTH3) => {
                if let Some(a) = auth {
                    self.authenticate(&a, cx);
                }
            }
            (Direction::ToServer, PTYPE_REQUEST) => {
                if flags & PFC_FIRST_FRAG == 0 {
                    return Ok(()); // a later fragment of a call already recorded
                }
                let ctx_id = rd16(pdu, 20, le).ok_or("short request")?;
                let opnum = rd16(pdu, 22, le).ok_or("short request")?;
                if flags & PFC_OBJECT_UUID != 0 && pdu.len() < 40 {
                    return Err("request shorter than its object UUID".into());
                }
                let sealed = auth.as_ref().is_some_and(|a| a.level >= AUTH_LEVEL_PRIVACY);
                let start = if flags & PFC_OBJECT_UUID != 0 { 40 } else { 24 };
                let stub = if sealed {
                    &[][..]
                } else {
                    pdu.get(start..stub_end).unwrap_or_default()
                };
                self.request(call_id, ctx_id, opnum, sealed, stub, cx);
            }
            (Direction::ToClient, PTYPE_RESPONSE) => {
                self.resolve_auth(Outcome::Success, 0, cx);
                if flags & PFC_LAST_FRAG == 0 {
                    return Ok(());
                }
                let sealed = auth.as_ref().is_some_and(|a| a.level >= AUTH_LEVEL_PRIVACY);
                let status = if sealed || stub_end < 28 {
                    None
                } else {
                    rd32(pdu, stub_end - 4, le)
                };
                self.answer(call_id, status, None, cx);
            }
            (Direction::ToClient, PTYPE_FAULT) => {
                let status = rd32(pdu, 24, le).ok_or("short fault")?;
                if status == FAULT_ACCESS_DENIED {
                    self.resolve_auth(Outcome::Failure(status), status, cx);
                } else {
                    self.resolve_auth(Outcome::Success, 0, cx);
                }
                self.answer(call_id, None, Some(status), cx);
            }
            _ => {}
        }
        Ok(())
    }

    fn authenticate(&mut self, a: &Auth<'_>, cx: &mut Ctx<'_>) {
        match a.auth_type {
            AUTH_NTLMSSP | AUTH_SPNEGO => {
                let Some(msg) = ntlm::find_ntlmssp(a.value) else {
                    return;
                };
                match ntlm::parse(msg) {
                    Ok(Message::Authenticate(auth)) => {
                        // A second AUTHENTICATE before any answer: the first is unresolved.
                        self.resolve_auth(Outcome::Unknown, 0, cx);
                        self.actor = auth.account();
                        self.pending_auth = Some(PendingAuth {
                            auth,
                            frame: cx.frame,
                            time: cx.time,
                        });
                    }
                    Ok(_) => {}
                    Err(e) => cx.notes.push(Note::Malformed {
                        protocol: PROTOCOL,
                        reason: format!("auth verifier of frame {}: {e}", cx.frame),
                    }),
                }
            }
            AUTH_NETLOGON => {
                if let Some(acct) = netlogon_account(a.value) {
                    self.actor = Some(acct);
                }
            }
            _ => {}
        }
    }

    /// The server answered on the connection after an AUTHENTICATE: that decides it.
    fn resolve_auth(&mut self, outcome: Outcome, status: u32, cx: &mut Ctx<'_>) {
        let Some(p) = self.pending_auth.take() else {
            return;
        };
        if outcome.is_failure() {
            self.actor = None;
        }
        let kind = EventKind::NtlmAuth {
            status,
            workstation: p.auth.workstation(),
            wire: Some(Box::new(NtlmWire {
                version: p.auth.version.as_str().to_string(),
                carrier: PROTOCOL.to_string(),
            })),
        };
        let mut ev = IdentityEvent::new(p.time, kind, evidence(cx, p.frame));
        ev.observer = Some(cx.server_name());
        ev.actor = p.auth.account();
        ev.source = Some(cx.client_host());
        ev.outcome = outcome;
        cx.events.push(ev);
    }

    fn request(
        &mut self,
        call_id: u32,
        ctx_id: u16,
        opnum: u16,
        sealed: bool,
        stub: &[u8],
        cx: &mut Ctx<'_>,
    ) {
        let uuid = self.contexts.get(&ctx_id);
        let iface = uuid.and_then(rpc_ifaces::lookup);
        let interface = match (iface, uuid) {
            (Some(i), _) => i.name.to_string(),
            (None, Some(u)) => u.to_string(),
            // The bind was before the capture started.
            (None, None) => "unknown".to_string(),
        };
        let object = dcom::activated_class(&interface, opnum, stub).map(|u| u.to_string());
        let call = Call {
            object,
            interface,
            status: iface.map(|i| i.status),
            opnum,
            operation: iface.and_then(|i| i.operation(opnum)),
            sealed,
            actor: self.actor.clone().or_else(|| self.carrier_actor.clone()),
            frame: cx.frame,
            time: cx.time,
        };
        if self.calls.len() >= MAX_PENDING_CALLS || self.calls.contains_key(&call_id) {
            // A reused id or a flood: report what is held rather than lose it.
            if let Some(old) = self.calls.remove(&call_id) {
                self.emit(old, Outcome::Unknown, cx);
            } else if let Some((_, old)) = self.calls.pop_first() {
                self.emit(old, Outcome::Unknown, cx);
            }
        }
        self.calls.insert(call_id, call);
    }

    fn answer(&mut self, call_id: u32, ret: Option<u32>, fault: Option<u32>, cx: &mut Ctx<'_>) {
        let Some(call) = self.calls.remove(&call_id) else {
            return;
        };
        let outcome = match (fault, ret, call.status) {
            (Some(f), _, _) => Outcome::Failure(f),
            (None, Some(r), Some(kind)) if kind.is_failure(r) => Outcome::Failure(r),
            _ => Outcome::Success,
        };
        self.emit(call, outcome, cx);
    }

    fn emit(&self, call: Call, outcome: Outcome, cx: &mut Ctx<'_>) {
        let kind = EventKind::RpcCall {
            interface: call.interface,
            opnum: call.opnum,
            operation: call.operation.map(str::to_string),
            pipe: self.pipe.clone(),
            sealed: call.sealed,
            object: call.object,
        };
        let mut ev = IdentityEvent::new(call.time, kind, evidence(cx, call.frame));
        ev.observer = Some(cx.server_name());
        ev.actor = call.actor;
        ev.source = Some(cx.client_host());
        ev.outcome = outcome;
        cx.events.push(ev);
    }

    /// Emits what is still pending (unanswered calls, an unresolved authentication).
    fn finish(&mut self, cx: &mut Ctx<'_>) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.resolve_auth(Outcome::Unknown, 0, cx);
        let mut calls: Vec<Call> = std::mem::take(&mut self.calls).into_values().collect();
        calls.sort_by_key(|c| c.frame);
        for c in calls {
            self.emit(c, Outcome::Unknown, cx);
        }
    }
}

fn evidence(cx: &Ctx<'_>, frame: u64) -> Evidence {
    Evidence {
        record: frame,
        ..cx.evidence()
    }
}

/// The presentation contexts of a bind or alter-context.
fn parse_contexts(pdu: &[u8], le: bool) -> Result<Vec<(u16, Uuid)>, String> {
    let n = *pdu.get(24).ok_or("bind without a context list")? as usize;
    let mut at = 28;
    let mut out = Vec::with_capacity(n.min(16));
    for i in 0..n {
        let ctx = rd16(pdu, at, le).ok_or_else(|| format!("bind context {i} truncated"))?;
        let n_ts = *pdu.get(at + 2).ok_or("bind context truncated")? as usize;
        let wire: &[u8; 16] = pdu
            .get(at + 4..at + 20)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| format!("bind context {i} truncated"))?;
        out.push((ctx, Uuid::from_wire(wire, le)));
        at += 24 + 20 * n_ts;
    }
    Ok(out)
}

/// Which proposals a bind_ack or alter_context_resp accepted, in proposal order.
fn parse_results(pdu: &[u8], le: bool) -> Option<Vec<bool>> {
    let addr_len = rd16(pdu, 24, le)? as usize;
    let mut at = 26 + addr_len;
    at = at.checked_add(3)? & !3; // aligned to 4 from the PDU start
    let n = *pdu.get(at)? as usize;
    let mut out = Vec::with_capacity(n.min(16));
    for i in 0..n {
        out.push(rd16(pdu, at + 4 + 24 * i, le)? == 0);
    }
    Some(out)
}

/// The machine account a Netlogon secure-channel NL_AUTH_MESSAGE names (MS-NRPC 2.2.1.3.1): its
/// OEM NetBIOS domain and computer names.
fn netlogon_account(v: &[u8]) -> Option<Account> {
    let msg_type = u32::from_le_bytes(v.get(0..4)?.try_into().ok()?);
    let flags = u32::from_le_bytes(v.get(4..8)?.try_into().ok()?);
    if msg_type != 0 || flags & 0x3 != 0x3 {
        return None;
    }
    let mut parts = v.get(8..)?.split(|&b| b == 0);
    let domain = String::from_utf8_lossy(parts.next()?).into_owned();
    let computer = String::from_utf8_lossy(parts.next()?).into_owned();
    (!computer.is_empty()).then(|| Account::new(&format!("{computer}$"), Some(&domain)))
}

impl DceRpc {
    /// Dissects the whole PDUs at the start of `data`; returns how many bytes they took and
    /// the verdict (`More` when what is left is a partial PDU).
    fn pdus(&mut self, dir: Direction, data: &[u8], cx: &mut Ctx<'_>) -> (usize, Verdict) {
        let mut at = 0;
        let verdict = loop {
            let rest = &data[at..];
            if rest.len() < 16 {
                break Verdict::More;
            }
            if rest[0] != 5 || rest[1] > 1 {
                break self.malformed(
                    cx,
                    format!("frame {}: not a DCE/RPC v5 PDU header", cx.frame),
                );
            }
            let Some(len) = frag_length(rest).filter(|n| *n >= 16) else {
                break self.malformed(cx, format!("frame {}: fragment length < 16", cx.frame));
            };
            if rest.len() < len {
                break Verdict::More;
            }
            let pdu = &rest[..len];
            if let Err(reason) = self.pdu(dir, pdu, cx) {
                break self.malformed(cx, format!("frame {}: {reason}", cx.frame));
            }
            at += len;
        };
        (at, verdict)
    }
}

impl Dissector for DceRpc {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn data(&mut self, dir: Direction, bytes: &[u8], cx: &mut Ctx<'_>) -> Verdict {
        if self.finished {
            return Verdict::Done;
        }
        let i = Self::idx(dir);
        let mut buf = std::mem::take(&mut self.bufs[i]);
        let mut bytes = bytes;
        if !buf.is_empty() {
            // A PDU left partial by the last segment: completed from as few of these bytes as
            // it needs (its header first, then the rest of its fragment length), so that only
            // it is copied and whatever follows is parsed where it lies.
            let mut take = |buf: &mut Vec<u8>, want: usize| {
                let n = want.saturating_sub(buf.len()).min(bytes.len());
                buf.extend_from_slice(&bytes[..n]);
                bytes = &bytes[n..];
            };
            take(&mut buf, 16);
            if let Some(len) = frag_length(&buf).filter(|_| buf.len() >= 16) {
                take(&mut buf, len);
            }
            let (at, verdict) = self.pdus(dir, &buf, cx);
            buf.drain(..at.min(buf.len()));
            if verdict != Verdict::More || !buf.is_empty() {
                buf.extend_from_slice(bytes);
                self.bufs[i] = buf;
                return verdict;
            }
        }
        // The common case, a segment holding whole PDUs: parsed where it lies, and only a
        // partial PDU at its end is kept.
        let (at, verdict) = self.pdus(dir, bytes, cx);
        buf.extend_from_slice(bytes.get(at..).unwrap_or_default());
        self.bufs[i] = buf;
        verdict
    }

    fn gap(&mut self, _dir: Direction, cx: &mut Ctx<'_>) -> Verdict {
        // PDU boundaries are lost; what is pending is reported as it stands.
        self.finish(cx);
        Verdict::Done
    }

    fn end(&mut self, cx: &mut Ctx<'_>) {
        self.finish(cx);
    }

    /// Partial PDUs of both directions and the calls awaiting their responses, so the flow
    /// table (and SMB2, for the pipes it carries) can bound them.
    fn buffered(&self) -> usize {
        self.bufs.iter().map(Vec::capacity).sum::<usize>()
            + self.calls.len() * std::mem::size_of::<Call>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A context for a TCP flow from 192.0.2.1:50000 to port 135, at frame 1.
    fn test_cx<'a>(
        source: &'a Arc<str>,
        events: &'a mut Vec<IdentityEvent>,
        notes: &'a mut Vec<Note>,
    ) -> Ctx<'a> {
        let addr = |port| std::net::SocketAddr::from(([192, 0, 2, 1], port));
        Ctx {
            source,
            frame: 1,
            time: Timestamp::default(),
            flow: crate::dissect::FlowKey {
                client: addr(50_000),
                server: addr(135),
            },
            transport: crate::dissect::Transport::Tcp,
            events,
            notes,
        }
    }

    /// The flow table (and SMB2, for its pipes) bounds dissector memory by `buffered`.
    #[test]
    fn a_partial_pdu_is_reported_as_buffered() {
        let (source, mut events, mut notes): (Arc<str>, _, _) =
            (Arc::from("t"), Vec::new(), Vec::new());
        let mut cx = test_cx(&source, &mut events, &mut notes);
        let mut d = DceRpc::new();
        // A request claiming a 60000-byte fragment, of which 30000 bytes have come.
        let mut pdu = vec![5, 0, 0, 3, 0x10, 0, 0, 0, 0x60, 0xea, 0, 0, 1, 0, 0, 0];
        pdu.resize(30_000, 0);
        assert_eq!(d.data(Direction::ToServer, &pdu, &mut cx), Verdict::More);
        assert!(d.buffered() >= 30_000, "{}", d.buffered());
    }

    fn pdu(ptype: u8, call_id: u32, body: &[u8]) -> Vec<u8> {
        let len = (16 + body.len()) as u16;
        let mut p = vec![5, 0, ptype, 3, 0x10, 0, 0, 0];
        p.extend(len.to_le_bytes());
        p.extend([0, 0]);
        p.extend(call_id.to_le_bytes());
        p.extend_from_slice(body);
        p
    }

    /// SAMR calls (bind, acknowledgement, three requests and their responses) as the events
    /// the dissector makes of them, with the request and response streams cut into pieces
    /// by `split`.
    fn samr_events(split: &dyn Fn(&[u8]) -> Vec<Vec<u8>>) -> (Vec<String>, usize) {
        let samr = [
            0x78, 0x57, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67,
            0x89, 0xac,
        ];
        let mut bind = vec![0u8; 8];
        bind.extend([1, 0, 0, 0, 0, 0, 1, 0]);
        bind.extend(samr);
        bind.extend([1, 0, 0, 0]);
        bind.extend([0u8; 20]);
        let mut ack = vec![0u8; 12];
        ack.extend([1, 0, 0, 0, 0, 0, 0, 0]);
        ack.extend([0u8; 20]);
        let mut requests = Vec::new();
        let mut responses = Vec::new();
        for (call, opnum, stub) in [(2u32, 13u16, 100usize), (3, 34, 3000), (4, 25, 8)] {
            let mut body = (stub as u32).to_le_bytes().to_vec();
            body.extend([0, 0]);
            body.extend(opnum.to_le_bytes());
            body.resize(8 + stub, 0xab);
            requests.extend(pdu(0, call, &body));
            let mut body = vec![0u8; 8];
            body.extend([0u8; 8]); // stub ending in STATUS_SUCCESS
            responses.extend(pdu(2, call, &body));
        }
        let (source, mut events, mut notes): (Arc<str>, _, _) =
            (Arc::from("t"), Vec::new(), Vec::new());
        let mut cx = test_cx(&source, &mut events, &mut notes);
        let mut d = DceRpc::new();
        d.data(Direction::ToServer, &pdu(11, 1, &bind), &mut cx);
        d.data(Direction::ToClient, &pdu(12, 1, &ack), &mut cx);
        for piece in split(&requests) {
            assert_eq!(d.data(Direction::ToServer, &piece, &mut cx), Verdict::More);
        }
        for piece in split(&responses) {
            assert_eq!(d.data(Direction::ToClient, &piece, &mut cx), Verdict::More);
        }
        d.end(&mut cx);
        let events = events.iter().map(|e| format!("{e:?}")).collect();
        (events, notes.len())
    }

    /// However TCP cuts the stream, the same PDUs make the same events.
    #[test]
    fn pdus_split_anywhere_make_the_same_events() {
        let (whole, notes) = samr_events(&|b| vec![b.to_vec()]);
        assert_eq!(whole.len(), 3, "{whole:?}");
        assert_eq!(notes, 0);
        assert!(
            whole[0].contains("SamrEnumerateUsersInDomain"),
            "{}",
            whole[0]
        );
        for cut in [1, 15, 16, 17, 100, 123, 124, 125, 3000, 3147, 3148, 3149] {
            let split = |b: &[u8]| {
                let c = cut.min(b.len());
                vec![b[..c].to_vec(), b[c..].to_vec()]
            };
            assert_eq!(samr_events(&split), (whole.clone(), 0), "cut at {cut}");
        }
        for size in [1, 7, 16, 500] {
            let split = |b: &[u8]| b.chunks(size).map(<[u8]>::to_vec).collect();
            assert_eq!(samr_events(&split), (whole.clone(), 0), "pieces of {size}");
        }
    }

    #[test]
    fn bind_detection() {
        let mut bind = vec![5, 0, 11, 3, 0x10, 0, 0, 0, 72, 0, 0, 0, 1, 0, 0, 0];
        bind.resize(72, 0);
        assert!(looks_like_bind(&bind));
        bind[2] = 0;
        assert!(!looks_like_bind(&bind));
        assert!(!looks_like_bind(b"GET / HTTP/1.1\r\n"));
        assert!(!looks_like_bind(&[5, 0, 11]));
    }

    #[test]
    fn netlogon_auth_message_names_the_machine() {
        let mut v = vec![0, 0, 0, 0, 3, 0, 0, 0];
        v.extend(b"RAMPART\0WS01\0");
        let a = netlogon_account(&v);
        assert_eq!(
            a.map(|a| (a.name, a.domain)),
            Some(("WS01$".into(), Some("RAMPART".into())))
        );
        assert_eq!(netlogon_account(&v[..6]), None);
    }
}
