//! SMB2/3 (MS-SMB2) over TCP 445 and NetBIOS session service 139: who authenticated (NTLMSSP in
//! SESSION_SETUP), which shares and named pipes were opened, and — through the pipes — the
//! DCE/RPC calls made (handed to [`DceRpc`], one per open pipe).
//!
//! An SMB3 transform header means the rest of the session is encrypted: it is reported as
//! [`Note::Encrypted`] and the flow is given up, after emitting what was seen in the clear
//! (typically the NTLM authentication, which precedes encryption). Signed traffic is clear
//! text and is read.

use super::dcerpc::{self, DceRpc};
use super::ntlm::{self, Message};
use super::{Ctx, Direction, Dissector, Note, Verdict};
use rampart_core::{
    Account, EventKind, Evidence, IdentityEvent, KerberosWire, NtlmWire, Outcome, Timestamp,
};
use std::collections::{BTreeMap, HashSet};

const PROTOCOL: &str = "smb2";

const CMD_SESSION_SETUP: u16 = 1;
const CMD_LOGOFF: u16 = 2;
const CMD_TREE_CONNECT: u16 = 3;
const CMD_TREE_DISCONNECT: u16 = 4;
const CMD_CREATE: u16 = 5;
const CMD_CLOSE: u16 = 6;
const CMD_READ: u16 = 8;
const CMD_WRITE: u16 = 9;
const CMD_IOCTL: u16 = 11;

const FLAG_RESPONSE: u32 = 0x1;
const FLAG_ASYNC: u32 = 0x2;

const STATUS_SUCCESS: u32 = 0;
const STATUS_PENDING: u32 = 0x0000_0103;
const STATUS_BUFFER_OVERFLOW: u32 = 0x8000_0005;
const STATUS_MORE_PROCESSING_REQUIRED: u32 = 0xC000_0016;

const FSCTL_PIPE_TRANSCEIVE: u32 = 0x0011_C017;
const SHARE_TYPE_PIPE: u8 = 2;

/// Access bits that change a file: FILE_WRITE_DATA, FILE_APPEND_DATA, DELETE, WRITE_DAC,
/// WRITE_OWNER, GENERIC_ALL, GENERIC_WRITE.
const WRITE_ACCESS: u32 = 0x2 | 0x4 | 0x1_0000 | 0x4_0000 | 0x8_0000 | 0x1000_0000 | 0x4000_0000;

/// The part of an SMB2 frame kept for parsing. Larger frames are file data (READ/WRITE of big
/// chunks): their headers are parsed from this prefix and the rest is skipped unbuffered.
const MAX_FRAME_KEEP: usize = 1 << 20;
/// Requests awaiting a response per connection (credits bound real clients far below this).
const MAX_PENDING: usize = 4096;
/// Open named pipes followed per connection.
const MAX_PIPES: usize = 256;
/// Authenticated sessions and connected trees remembered per connection: a real client holds a
/// handful; a stream of logons or connects beyond this keeps no more (their events are still
/// reported, later requests on them just name no account or share).
const MAX_SESSIONS: usize = 1024;
const MAX_TREES: usize = 1024;
/// Distinct (share, name) pairs reported per connection; a bulk copy beyond this reports no
/// more files (the share itself was reported at the first).
const MAX_TARGETS: usize = 10_000;

/// A request whose response decides what it means.
#[derive(Debug)]
enum Pending {
    SessionSetup {
        session: u64,
        auth: Option<Box<StartedAuth>>,
    },
    TreeConnect {
        session: u64,
        share: String,
        frame: u64,
        time: Timestamp,
    },
    Create {
        session: u64,
        tree: u32,
        name: String,
        write: bool,
        frame: u64,
        time: Timestamp,
    },
    Read {
        file: u128,
    },
    Ioctl {
        file: u128,
    },
}

#[derive(Debug)]
struct StartedAuth {
    auth: ntlm::Authenticate,
    frame: u64,
    time: Timestamp,
}

#[derive(Debug)]
struct Tree {
    share: String,
    ipc: bool,
}

#[derive(Debug)]
struct Pipe {
    rpc: DceRpc,
}

#[derive(Debug, Default)]
struct DirBuf {
    buf: Vec<u8>,
    /// Bytes of an oversized frame still to be skipped.
    skip: usize,
}

/// One SMB2 connection.
#[derive(Debug, Default)]
pub struct Smb2 {
    bufs: [DirBuf; 2],
    pending: BTreeMap<u64, Pending>,
    /// AUTHENTICATEs answered with MORE_PROCESSING_REQUIRED (a SPNEGO round trip still to
    /// come), by session.
    awaiting: BTreeMap<u64, Box<StartedAuth>>,
    sessions: BTreeMap<u64, Account>,
    trees: BTreeMap<u32, Tree>,
    pipes: BTreeMap<u128, Pipe>,
    /// Files opened on trees whose connect was before the capture: the share is unknown, so a
    /// file becomes a pipe only when the client's first write to it is a DCE/RPC bind.
    untreed: BTreeMap<u128, (u64, String)>,
    targets: HashSet<(String, String)>,
    /// SMB1 frames seen (a client's first negotiate offering SMB2 dialects): counted, not read.
    pub smb1_frames: u64,
    started: bool,
    finished: bool,
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}
fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}
fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}
fn file_id(b: &[u8], at: usize) -> Option<u128> {
    Some(u128::from_le_bytes(
        b.get(at..at.checked_add(16)?)?.try_into().ok()?,
    ))
}
/// `len` bytes at `off` (both from the SMB2 header's start), if present.
fn slice(msg: &[u8], off: usize, len: usize) -> Option<&[u8]> {
    msg.get(off..off.checked_add(len)?)
}

/// The share of a UNC path: its last component (`\\dc1\IPC$` → `IPC$`).
fn share_name(path: &str) -> String {
    path.trim_end_matches('\\')
        .rsplit('\\')
        .next()
        .unwrap_or(path)
        .to_string()
}

/// A pipe's name as 5145 names it: without a leading `\` or `PIPE\`.
fn pipe_name(name: &str) -> &str {
    let n = name.trim_start_matches('\\');
    match n.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("pipe\\") => &n[5..],
        _ => n,
    }
}

struct Header {
    command: u16,
    status: u32,
    flags: u32,
    next: usize,
    message_id: u64,
    tree_id: u32,
    session_id: u64,
}

fn header(msg: &[u8]) -> Option<Header> {
    if msg.get(..4)? != b"\xfeSMB" || le16(msg, 4)? != 64 {
        return None;
    }
    let flags = le32(msg, 16)?;
    Some(Header {
        command: le16(msg, 12)?,
        status: le32(msg, 8)?,
        flags,
        next: le32(msg, 20)? as usize,
        message_id: le64(msg, 24)?,
        tree_id: if flags & FLAG_ASYNC != 0 {
            0
        } else {
            le32(msg, 36)?
        },
        session_id: le64(msg, 40)?,
    })
}

impl Smb2 {
    pub fn new() -> Smb2 {
        Smb2::default()
    }

    fn note(cx: &mut Ctx<'_>, reason: String) {
        cx.notes.push(Note::Malformed {
            protocol: PROTOCOL,
            reason,
        });
    }

    /// One NetBIOS session message (or its kept prefix when `truncated`).
    fn frame(
        &mut self,
        dir: Direction,
        frame: &[u8],
        truncated: bool,
        cx: &mut Ctx<'_>,
    ) -> Verdict {
        match frame.get(..4) {
            Some(b"\xfeSMB") => {}
            Some(b"\xffSMB") => {
                self.smb1_frames += 1;
                self.started = true;
                return Verdict::More;
            }
            Some(b"\xfdSMB") => {
                cx.notes.push(Note::Encrypted { protocol: PROTOCOL });
                self.finish(cx);
                return Verdict::Done;
            }
            // Compressed (SMB 3.1.1 compression transform): not decompressed, skipped.
            Some(b"\xfcSMB") => return Verdict::More,
            _ => {
                Self::note(
                    cx,
                    format!("frame {}: {:?} message is not SMB", cx.frame, dir),
                );
                self.finish(cx);
                return Verdict::Done;
            }
        }
        self.started = true;
        let mut at = 0usize;
        // A compound holds at most as many messages as 64-byte headers fit.
        for _ in 0..frame.len() / 64 + 1 {
            let Some(rest) = frame.get(at..) else { break };
            let Some(h) = header(rest) else {
                if !truncated {
                    Self::note(cx, format!("frame {}: bad SMB2 header at {at}", cx.frame));
                }
                break;
            };
            let end = if h.next == 0 {
                rest.len()
            } else if h.next < 64 || h.next % 8 != 0 || h.next > rest.len() {
                if !truncated {
                    Self::note(
                        cx,
                        format!("frame {}: bad NextCommand {}", cx.frame, h.next),
                    );
                }
                rest.len()
            } else {
                h.next
            };
            let msg = &rest[..end];
            if h.flags & FLAG_RESPONSE != 0 {
                self.response(&h, msg, truncated, cx);
            } else {
                self.request(&h, msg, cx);
            }
            if h.next == 0 || end == rest.len() {
                break;
            }
            at += end;
        }
        Verdict::More
    }

    fn actor(&self, session: u64) -> Option<Account> {
        self.sessions.get(&session).cloned()
    }

    fn event(
        &self,
        kind: EventKind,
        session: u64,
        frame: u64,
        time: Timestamp,
        cx: &Ctx<'_>,
    ) -> IdentityEvent {
        let mut ev = IdentityEvent::new(
            time,
            kind,
            Evidence {
                record: frame,
                ..cx.evidence()
            },
        );
        ev.observer = Some(cx.server_name());
        ev.actor = self.actor(session);
        ev.source = Some(cx.client_host());
        ev
    }

    fn add_pending(&mut self, id: u64, p: Pending, cx: &mut Ctx<'_>) {
        if self.pending.len() >= MAX_PENDING {
            if let Some((_, old)) = self.pending.pop_first() {
                self.abandon(old, cx);
            }
        }
        if let Some(old) = self.pending.insert(id, p) {
            self.abandon(old, cx);
        }
    }

    /// A request that will get no response: an authentication in it is reported, outcome
    /// unknown.
    fn abandon(&mut self, p: Pending, cx: &mut Ctx<'_>) {
        if let Pending::SessionSetup {
            session,
            auth: Some(a),
        } = p
        {
            self.emit_auth(session, *a, Outcome::Unknown, 0, cx);
        }
    }

    fn request(&mut self, h: &Header, msg: &[u8], cx: &mut Ctx<'_>) {
        match h.command {
            CMD_SESSION_SETUP => {
                let blob = match (le16(msg, 64 + 12), le16(msg, 64 + 14)) {
                    (Some(off), Some(len)) => slice(msg, off as usize, len as usize),
                    _ => None,
                };
                let mut auth = None;
                if let Some(m) = blob.and_then(ntlm::find_ntlmssp) {
                    match ntlm::parse(m) {
                        Ok(Message::Authenticate(a)) => {
                            auth = Some(Box::new(StartedAuth {
                                auth: a,
                                frame: cx.frame,
                                time: cx.time,
                            }))
                        }
                        Ok(_) => {}
                        Err(e) => Self::note(cx, format!("frame {}: {e}", cx.frame)),
                    }
                }
                if auth.is_none() {
                    if let Some(ap) = blob.and_then(ntlm::find_kerberos_ap_req) {
                        let wire = KerberosWire {
                            presented_ticket: Some(ap.fingerprint),
                            presented_ticket_etype: Some(ap.etype),
                            authenticator_etype: ap.authenticator_etype,
                            realm: Some(ap.realm),
                            ..Default::default()
                        };
                        let kind = EventKind::KerberosApRequest {
                            service: ap.sname,
                            carrier: PROTOCOL.to_string(),
                            wire: Some(Box::new(wire)),
                        };
                        let mut ev = self.event(kind, h.session_id, cx.frame, cx.time, cx);
                        ev.outcome = Outcome::Unknown;
                        cx.events.push(ev);
                    }
                }
                // The SPNEGO round trip after an AUTHENTICATE carries the pending outcome on.
                let auth = auth.or_else(|| self.awaiting.remove(&h.session_id));
                self.add_pending(
                    h.message_id,
                    Pending::SessionSetup {
                        session: h.session_id,
                        auth,
                    },
                    cx,
                );
            }
            CMD_LOGOFF => {
                self.sessions.remove(&h.session_id);
            }
            CMD_TREE_CONNECT => {
                let path = match (le16(msg, 64 + 4), le16(msg, 64 + 6)) {
                    (Some(off), Some(len)) => slice(msg, off as usize, len as usize),
                    _ => None,
                };
                if let Some(p) = path {
                    let share = share_name(&ntlm::utf16(p));
                    let p = Pending::TreeConnect {
                        session: h.session_id,
                        share,
                        frame: cx.frame,
                        time: cx.time,
                    };
                    self.add_pending(h.message_id, p, cx);
                }
            }
            CMD_TREE_DISCONNECT => {
                self.trees.remove(&h.tree_id);
            }
            CMD_CREATE => {
                let (Some(access), Some(disp), Some(off), Some(len)) = (
                    le32(msg, 64 + 24),
                    le32(msg, 64 + 36),
                    le16(msg, 64 + 44),
                    le16(msg, 64 + 46),
                ) else {
                    return;
                };
                let name = slice(msg, off as usize, len as usize)
                    .map(ntlm::utf16)
                    .unwrap_or_default();
                // Supersede, create, overwrite, overwrite-if: the file is (re)written.
                let write = access & WRITE_ACCESS != 0 || matches!(disp, 0 | 2 | 4 | 5);
                let p = Pending::Create {
                    session: h.session_id,
                    tree: h.tree_id,
                    name,
                    write,
                    frame: cx.frame,
                    time: cx.time,
                };
                self.add_pending(h.message_id, p, cx);
            }
            CMD_CLOSE => {
                let file = file_id(msg, 64 + 8);
                if let Some(f) = file {
                    self.untreed.remove(&f);
                }
                if let Some(mut pipe) = file.and_then(|f| self.pipes.remove(&f)) {
                    pipe.rpc.end(cx);
                }
            }
            CMD_WRITE => {
                let (Some(off), Some(len), Some(file)) =
                    (le16(msg, 64 + 2), le32(msg, 64 + 4), file_id(msg, 64 + 16))
                else {
                    return;
                };
                let data = slice(msg, off as usize, len as usize);
                self.adopt(file, data);
                if self.pipes.contains_key(&file) {
                    self.feed_pipe(file, Direction::ToServer, data, cx);
                }
            }
            CMD_READ => {
                if let Some(file) = file_id(msg, 64 + 16).filter(|f| self.pipes.contains_key(f)) {
                    self.add_pending(h.message_id, Pending::Read { file }, cx);
                }
            }
            CMD_IOCTL => {
                let (Some(code), Some(file), Some(off), Some(len)) = (
                    le32(msg, 64 + 4),
                    file_id(msg, 64 + 8),
                    le32(msg, 64 + 24),
                    le32(msg, 64 + 28),
                ) else {
                    return;
                };
                let data = slice(msg, off as usize, len as usize);
                if code == FSCTL_PIPE_TRANSCEIVE {
                    self.adopt(file, data);
                }
                if code == FSCTL_PIPE_TRANSCEIVE && self.pipes.contains_key(&file) {
                    self.feed_pipe(file, Direction::ToServer, data, cx);
                    self.add_pending(h.message_id, Pending::Ioctl { file }, cx);
                }
            }
            _ => {}
        }
    }

    fn response(&mut self, h: &Header, msg: &[u8], truncated: bool, cx: &mut Ctx<'_>) {
        // An interim answer: the final one follows with the same message id.
        if h.status == STATUS_PENDING && h.flags & FLAG_ASYNC != 0 {
            return;
        }
        let Some(p) = self.pending.remove(&h.message_id) else {
            return;
        };
        match p {
            Pending::SessionSetup { session, auth } => {
                let session = if session == 0 { h.session_id } else { session };
                let Some(a) = auth else { return };
                match h.status {
                    STATUS_MORE_PROCESSING_REQUIRED => {
                        if self.awaiting.len() < MAX_PENDING {
                            self.awaiting.insert(session, a);
                        }
                    }
                    STATUS_SUCCESS => {
                        if let Some(acct) = a.auth.account() {
                            if self.sessions.len() < MAX_SESSIONS
                                || self.sessions.contains_key(&session)
                            {
                                self.sessions.insert(session, acct);
                            }
                        }
                        self.emit_auth(session, *a, Outcome::Success, 0, cx);
                    }
                    s => self.emit_auth(session, *a, Outcome::Failure(s), s, cx),
                }
            }
            Pending::TreeConnect {
                session,
                share,
                frame,
                time,
            } => {
                let outcome = if h.status == STATUS_SUCCESS {
                    let ipc = msg.get(64 + 2) == Some(&SHARE_TYPE_PIPE)
                        || share.eq_ignore_ascii_case("IPC$");
                    if self.trees.len() < MAX_TREES || self.trees.contains_key(&h.tree_id) {
                        self.trees.insert(
                            h.tree_id,
                            Tree {
                                share: share.clone(),
                                ipc,
                            },
                        );
                    }
                    Outcome::Success
                } else {
                    Outcome::Failure(h.status)
                };
                let kind = EventKind::ShareAccess {
                    share,
                    relative_target: None,
                };
                let mut ev = self.event(kind, session, frame, time, cx);
                ev.outcome = outcome;
                cx.events.push(ev);
            }
            Pending::Create {
                session,
                tree,
                name,
                write,
                frame,
                time,
            } => self.created(h, msg, session, tree, name, write, frame, time, cx),
            Pending::Read { file } => {
                if h.status == STATUS_SUCCESS || h.status == STATUS_BUFFER_OVERFLOW {
                    let data = match (msg.get(64 + 2), le32(msg, 64 + 4)) {
                        (Some(&off), Some(len)) => slice(msg, off as usize, len as usize),
                        _ => None,
                    };
                    self.feed_pipe(file, Direction::ToClient, data.filter(|_| !truncated), cx);
                }
            }
            Pending::Ioctl { file } => {
                if h.status == STATUS_SUCCESS || h.status == STATUS_BUFFER_OVERFLOW {
                    let data = match (le32(msg, 64 + 32), le32(msg, 64 + 36)) {
                        (Some(off), Some(len)) => slice(msg, off as usize, len as usize),
                        _ => None,
                    };
                    self.feed_pipe(file, Direction::ToClient, data.filter(|_| !truncated), cx);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn created(
        &mut self,
        h: &Header,
        msg: &[u8],
        session: u64,
        tree_id: u32,
        name: String,
        write: bool,
        frame: u64,
        time: Timestamp,
        cx: &mut Ctx<'_>,
    ) {
        let Some(tree) = self.trees.get(&tree_id) else {
            // The tree connect was before the capture.
            if h.status == STATUS_SUCCESS && self.untreed.len() < MAX_PIPES {
                if let Some(file) = file_id(msg, 64 + 64) {
                    self.untreed
                        .insert(file, (session, pipe_name(&name).to_string()));
                }
            }
            return;
        };
        let share = tree.share.clone();
        let ipc = tree.ipc;
        let name = if ipc {
            pipe_name(&name).to_string()
        } else {
            name
        };
        if name.is_empty() || !(ipc || write) {
            return;
        }
        if ipc && h.status == STATUS_SUCCESS && self.pipes.len() < MAX_PIPES {
            if let Some(file) = file_id(msg, 64 + 64) {
                let rpc = DceRpc::over_pipe(&name, self.actor(session));
                if let Some(mut old) = self.pipes.insert(file, Pipe { rpc }) {
                    old.rpc.end(cx);
                }
            }
        }
        let key = (share.to_ascii_lowercase(), name.to_ascii_lowercase());
        if self.targets.contains(&key) || self.targets.len() >= MAX_TARGETS {
            return;
        }
        self.targets.insert(key);
        let kind = EventKind::ShareAccess {
            share,
            relative_target: Some(name),
        };
        let mut ev = self.event(kind, session, frame, time, cx);
        if h.status != STATUS_SUCCESS {
            ev.outcome = Outcome::Failure(h.status);
        }
        cx.events.push(ev);
    }

    /// A file of an unknown tree whose first write is a DCE/RPC bind is a named pipe.
    fn adopt(&mut self, file: u128, data: Option<&[u8]>) {
        let Some((session, name)) = self.untreed.remove(&file) else {
            return;
        };
        if data.is_some_and(dcerpc::looks_like_bind) && self.pipes.len() < MAX_PIPES {
            let rpc = DceRpc::over_pipe(&name, self.actor(session));
            self.pipes.insert(file, Pipe { rpc });
        }
    }

    /// Pipe bytes for the pipe's DCE/RPC connection; `None` (bytes not all present) breaks its
    /// framing, which ends it.
    fn feed_pipe(&mut self, file: u128, dir: Direction, data: Option<&[u8]>, cx: &mut Ctx<'_>) {
        let Some(pipe) = self.pipes.get_mut(&file) else {
            return;
        };
        let verdict = match data {
            Some(d) => pipe.rpc.data(dir, d, cx),
            None => pipe.rpc.gap(dir, cx),
        };
        if verdict == Verdict::Done {
            if let Some(mut p) = self.pipes.remove(&file) {
                p.rpc.end(cx);
            }
        }
    }

    fn emit_auth(
        &mut self,
        session: u64,
        a: StartedAuth,
        outcome: Outcome,
        status: u32,
        cx: &mut Ctx<'_>,
    ) {
        let kind = EventKind::NtlmAuth {
            status,
            workstation: a.auth.workstation(),
            wire: Some(Box::new(NtlmWire {
                version: a.auth.version.as_str().to_string(),
                carrier: PROTOCOL.to_string(),
            })),
        };
        let mut ev = self.event(kind, session, a.frame, a.time, cx);
        ev.actor = a.auth.account();
        ev.outcome = outcome;
        cx.events.push(ev);
    }

    /// Emits what is pending: unanswered authentications, the pipes' unanswered calls.
    fn finish(&mut self, cx: &mut Ctx<'_>) {
        if self.finished {
            return;
        }
        self.finished = true;
        for (_, p) in std::mem::take(&mut self.pending) {
            self.abandon(p, cx);
        }
        for (session, a) in std::mem::take(&mut self.awaiting) {
            self.emit_auth(session, *a, Outcome::Unknown, 0, cx);
        }
        for (_, mut p) in std::mem::take(&mut self.pipes) {
            p.rpc.end(cx);
        }
    }
}

impl Dissector for Smb2 {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn data(&mut self, dir: Direction, bytes: &[u8], cx: &mut Ctx<'_>) -> Verdict {
        if self.finished {
            return Verdict::Done;
        }
        let i = match dir {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        };
        let mut input = bytes;
        let skip = self.bufs[i].skip.min(input.len());
        self.bufs[i].skip -= skip;
        input = &input[skip..];
        let mut buf = std::mem::take(&mut self.bufs[i].buf);
        buf.extend_from_slice(input);
        let mut at = 0usize;
        let mut verdict = Verdict::More;
        while verdict == Verdict::More {
            let rest = &buf[at..];
            let Some(&[kind, a, b, c]) = rest.get(..4) else {
                break;
            };
            let len = u32::from_be_bytes([0, a, b, c]) as usize;
            if !matches!(kind, 0 | 0x81..=0x85) {
                Self::note(
                    cx,
                    format!(
                        "frame {}: {dir:?} bytes are not NetBIOS session framing",
                        cx.frame
                    ),
                );
                self.finish(cx);
                verdict = Verdict::Done;
                break;
            }
            if kind != 0 {
                // NetBIOS session request/response and keep-alives (port 139): no SMB inside,
                // so an incomplete one is skipped as it arrives rather than buffered whole (its
                // length, up to 16 MiB, is only the sender's word).
                if rest.len() < 4 + len {
                    self.bufs[i].skip = 4 + len - rest.len();
                    at = buf.len();
                    break;
                }
                at += 4 + len;
                continue;
            }
            if rest.len() >= 4 + len {
                verdict = self.frame(dir, &rest[4..4 + len], false, cx);
                at += 4 + len;
            } else if len > MAX_FRAME_KEEP && rest.len() >= 4 + MAX_FRAME_KEEP {
                verdict = self.frame(dir, &rest[4..4 + MAX_FRAME_KEEP], true, cx);
                // The rest of this frame is skipped as it arrives.
                let have = rest.len() - 4;
                at = buf.len();
                self.bufs[i].skip = len - have;
            } else {
                break;
            }
        }
        buf.drain(..at.min(buf.len()));
        if self.bufs[i].skip > 0 {
            buf.clear();
        }
        self.bufs[i].buf = buf;
        verdict
    }

    fn gap(&mut self, _dir: Direction, cx: &mut Ctx<'_>) -> Verdict {
        self.finish(cx);
        Verdict::Done
    }

    fn end(&mut self, cx: &mut Ctx<'_>) {
        self.finish(cx);
    }

    /// Partial frames, the pipes' DCE/RPC buffers and what pending requests keep (names):
    /// without it the flow table's bound on dissector memory did not see SMB2 at all.
    fn buffered(&self) -> usize {
        let pending: usize =
            self.pending
                .values()
                .map(|p| {
                    std::mem::size_of::<Pending>()
                        + match p {
                            Pending::TreeConnect { share: n, .. }
                            | Pending::Create { name: n, .. } => n.capacity(),
                            Pending::SessionSetup { auth: Some(_), .. } => {
                                std::mem::size_of::<StartedAuth>()
                            }
                            _ => 0,
                        }
                })
                .sum();
        self.bufs.iter().map(|b| b.buf.capacity()).sum::<usize>()
            + self.pipes.values().map(|p| p.rpc.buffered()).sum::<usize>()
            + pending
            + self.awaiting.len() * std::mem::size_of::<StartedAuth>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ctx<'a>(
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
                server: addr(445),
            },
            transport: crate::dissect::Transport::Tcp,
            events,
            notes,
        }
    }

    /// The flow table bounds dissector memory by `buffered`: a frame being reassembled counts.
    #[test]
    fn a_partial_frame_is_reported_as_buffered() {
        let (source, mut events, mut notes) = (Arc::from("t"), Vec::new(), Vec::new());
        let mut cx = ctx(&source, &mut events, &mut notes);
        let mut d = Smb2::new();
        let mut frame = vec![0, 0x01, 0x00, 0x00];
        frame.extend(b"\xfeSMB");
        frame.resize(40_000, 0);
        assert_eq!(d.data(Direction::ToServer, &frame, &mut cx), Verdict::More);
        assert!(d.buffered() >= 40_000, "{}", d.buffered());
    }

    /// A keep-alive claiming 16 MiB is skipped as it comes, and the SMB after it is read.
    #[test]
    fn a_long_netbios_keepalive_is_skipped_unbuffered() {
        let (source, mut events, mut notes) = (Arc::from("t"), Vec::new(), Vec::new());
        let mut cx = ctx(&source, &mut events, &mut notes);
        let mut d = Smb2::new();
        let mut first = vec![0x85, 0xff, 0xff, 0xff];
        first.resize(1000, 0);
        assert_eq!(d.data(Direction::ToServer, &first, &mut cx), Verdict::More);
        assert!(d.buffered() < 4096, "{}", d.buffered());
        let rest = vec![0u8; 0xff_ffff + 4 - 1000];
        for piece in rest.chunks(64 * 1024) {
            assert_eq!(d.data(Direction::ToServer, piece, &mut cx), Verdict::More);
            assert!(d.buffered() < 4096, "{}", d.buffered());
        }
        let smb1 = [0, 0, 0, 4, 0xff, b'S', b'M', b'B'];
        assert_eq!(d.data(Direction::ToServer, &smb1, &mut cx), Verdict::More);
        assert_eq!(d.smb1_frames, 1);
    }

    #[test]
    fn names() {
        assert_eq!(share_name("\\\\127.0.0.2\\IPC$"), "IPC$");
        assert_eq!(share_name("\\\\dc1\\sysvol\\"), "sysvol");
        assert_eq!(pipe_name("\\PIPE\\samr"), "samr");
        assert_eq!(pipe_name("svcctl"), "svcctl");
    }
}
