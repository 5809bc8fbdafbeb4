//! LDAP (RFC 4511) over TCP on 389/3268, and CLDAP (one message a datagram) on UDP 389: binds
//! and searches.
//!
//! A bindRequest and its bindResponse are one [`EventKind::LdapBind`] (SASL's "bind in
//! progress", 14, is a round trip: the exchange's last response carries the outcome). A
//! searchRequest, completed by its searchResDone, is one [`EventKind::LdapSearch`], with the
//! filter rendered in RFC 4515 form and the searchResEntry messages of its message id counted.
//!
//! Only the messages that make events are parsed (with `ldap-parser`); for the rest — entries,
//! references, modifications — only the BER header is read and the body is skipped without
//! being buffered, so a large result set costs no memory.
//!
//! After a SASL bind that negotiated a security layer (GSS-SPNEGO, GSSAPI or NTLM with sign or
//! seal) the stream is SASL-wrapped: a 4-byte length, then ciphertext. It is recognised (a
//! message that does not start with a BER SEQUENCE after a SASL bind), noted as
//! [`Note::Encrypted`](super::Note::Encrypted) and the flow is given up: never guessed at.
//!
//! A modifyRequest, completed by its modifyResponse, is one event per change: a change of
//! `member` (an attribute only groups have) is a [`EventKind::GroupMembershipChange`] of the
//! modified object, any other a [`EventKind::DirectoryChange`], the attribute and its first value
//! named, as a 5136 would. Their actor is the account the connection bound as.
//!
//! The SASL and Sicily credentials of a bind (NTLMSSP or SPNEGO tokens) are kept raw in
//! [`Ldap::last_sasl_token`] for the NTLM parser to read.

use super::{Ctx, Direction, Dissector, Transport, Verdict};
use ldap_parser::filter::{Filter, Substring};
use ldap_parser::ldap::{AuthenticationChoice, LdapMessage, ProtocolOp};
use ldap_parser::FromBer;
use rampart_core::{Account, ChangeOp, DirObject, EventKind, GroupScope, Outcome, Timestamp};

const PROTOCOL: &str = "ldap";
/// Largest message parsed; larger ones (never a bind or a search request in practice) are
/// skipped.
const MAX_PARSED: usize = 256 * 1024;
const MAX_PENDING_BINDS: usize = 8;
const MAX_PENDING_SEARCHES: usize = 64;
const MAX_TOKEN: usize = 64 * 1024;
const MAX_PENDING_MODIFIES: usize = 8;
/// Changes and values kept from one modifyRequest.
const MAX_CHANGES: usize = 16;
const MAX_VALUES: usize = 16;
/// Longest attribute value kept (a 5136 value is clipped the same way).
const MAX_VALUE_LEN: usize = 512;

/// Whether the first bytes of a TCP flow on another port are an LDAP bindRequest.
pub fn looks_like_bind(first: &[u8]) -> bool {
    matches!(header(first), Ok(Some(h)) if h.op == 0)
}

struct PendingBind {
    id: u32,
    frame: u64,
    time: Timestamp,
    method: String,
    name: String,
    /// The step whose response carries the outcome (a Sicily discovery or negotiate does not).
    final_step: bool,
}

struct PendingModify {
    id: u32,
    frame: u64,
    time: Timestamp,
    object: String,
    /// (operation: 0 add, 1 delete, 2 replace; attribute; values), bounded.
    changes: Vec<(u32, String, Vec<String>)>,
}

struct PendingSearch {
    id: u32,
    frame: u64,
    time: Timestamp,
    base: String,
    scope: u8,
    filter: String,
    attributes: Vec<String>,
    entries: u32,
}

/// Per-direction stream state.
#[derive(Default)]
struct Side {
    /// A partial message (only ever the start of one that will be parsed, or a header).
    buf: Vec<u8>,
    /// Bytes of the current message still to skip.
    skip: usize,
}

pub struct Ldap {
    transport: Transport,
    sides: [Side; 2],
    binds: Vec<PendingBind>,
    searches: Vec<PendingSearch>,
    modifies: Vec<PendingModify>,
    /// The account of the connection's last successful bind.
    bound: Option<Account>,
    /// A SASL or Sicily bind was seen: a non-LDAP message after it is a wrapped one.
    sasl: bool,
    last_token: Vec<u8>,
}

impl Ldap {
    pub fn new(transport: Transport) -> Ldap {
        Ldap {
            transport,
            sides: Default::default(),
            binds: Vec::new(),
            searches: Vec::new(),
            modifies: Vec::new(),
            bound: None,
            sasl: false,
            last_token: Vec::new(),
        }
    }

    /// The credentials of the last SASL or Sicily bind step (raw NTLMSSP/SPNEGO/Kerberos
    /// token), for the NTLM parser. Kept up to 64 KiB.
    pub fn last_sasl_token(&self) -> Option<&[u8]> {
        (!self.last_token.is_empty()).then_some(self.last_token.as_slice())
    }

    /// Runs over `data`; returns the bytes used (the rest is an incomplete message).
    fn run(&mut self, dir: Direction, data: &[u8], cx: &mut Ctx<'_>) -> (usize, Verdict) {
        let i = side(dir);
        let mut off = 0;
        while off < data.len() {
            let skip = self.sides[i].skip;
            if skip > 0 {
                let n = skip.min(data.len() - off);
                self.sides[i].skip -= n;
                off += n;
                continue;
            }
            let rest = &data[off..];
            let h = match header(rest) {
                Ok(Some(h)) => h,
                Ok(None) => return (off, Verdict::More),
                Err(first) => {
                    if self.sasl && first == 0 {
                        cx.notes.push(super::Note::Encrypted { protocol: PROTOCOL });
                    } else {
                        cx.malformed(
                            PROTOCOL,
                            format!("not an LDAP message (first byte {first:#04x}); flow given up"),
                        );
                    }
                    return (off, Verdict::Done);
                }
            };
            let wanted = matches!(h.op, 0 | 1 | 3 | 5 | 6 | 7);
            if h.op == 4 {
                if let Some(s) = self.searches.iter_mut().find(|s| s.id == h.id) {
                    s.entries = s.entries.saturating_add(1);
                }
            }
            if !wanted || h.total > MAX_PARSED {
                if wanted {
                    cx.malformed(
                        PROTOCOL,
                        format!("message of {} bytes too large to parse; skipped", h.total),
                    );
                }
                if h.total <= rest.len() {
                    off += h.total;
                } else {
                    self.sides[i].skip = h.total - rest.len();
                    off = data.len();
                }
                continue;
            }
            if h.total > rest.len() {
                return (off, Verdict::More);
            }
            self.message(dir, &rest[..h.total], h, cx);
            off += h.total;
        }
        (off, Verdict::More)
    }

    fn message(&mut self, dir: Direction, m: &[u8], h: Header, cx: &mut Ctx<'_>) {
        match (h.op, dir) {
            (0, Direction::ToServer) => self.bind_request(m, h.id, cx),
            (1, Direction::ToClient) => self.bind_response(m, h.id, cx),
            (3, Direction::ToServer) => self.search_request(m, h.id, cx),
            (5, Direction::ToClient) => self.search_done(m, h.id, cx),
            (6, Direction::ToServer) => self.modify_request(m, h.id, cx),
            (7, Direction::ToClient) => self.modify_response(m, h.id, cx),
            (op, _) => cx.malformed(PROTOCOL, format!("operation {op} in the wrong direction")),
        }
    }

    fn bind_request(&mut self, m: &[u8], id: u32, cx: &mut Ctx<'_>) {
        let (method, name, token, final_step) = match LdapMessage::from_ber(m) {
            Ok((_, msg)) => match msg.protocol_op {
                ProtocolOp::BindRequest(b) => match b.authentication {
                    AuthenticationChoice::Simple(_) => {
                        ("simple".to_string(), b.name.0.into_owned(), None, true)
                    }
                    AuthenticationChoice::Sasl(s) => {
                        self.sasl = true;
                        (
                            format!("sasl:{}", s.mechanism.0),
                            b.name.0.into_owned(),
                            s.credentials.map(|c| c.into_owned()),
                            true,
                        )
                    }
                },
                _ => return,
            },
            Err(e) => match sicily(m) {
                Some((name, step, token)) => {
                    self.sasl = true;
                    ("sicily".to_string(), name, Some(token.to_vec()), step == 11)
                }
                None => {
                    cx.malformed(PROTOCOL, format!("bindRequest: {}", short(&e)));
                    return;
                }
            },
        };
        if let Some(t) = token {
            // NTLM hook: the NTLMSSP / SPNEGO token of this bind step.
            self.last_token.clear();
            self.last_token
                .extend_from_slice(&t[..t.len().min(MAX_TOKEN)]);
        }
        self.binds.retain(|b| b.id != id);
        if self.binds.len() >= MAX_PENDING_BINDS {
            let old = self.binds.remove(0);
            self.emit_bind(old, None, cx);
        }
        self.binds.push(PendingBind {
            id,
            frame: cx.frame,
            time: cx.time,
            method,
            name,
            final_step,
        });
    }

    fn bind_response(&mut self, m: &[u8], id: u32, cx: &mut Ctx<'_>) {
        // Read by hand: a Sicily negotiate answer carries its binary challenge in matchedDN,
        // which `ldap-parser` refuses as a DN.
        let Some(code) = result_code(m, 0x61) else {
            cx.malformed(PROTOCOL, "bindResponse without a readable resultCode");
            return;
        };
        let Some(pos) = self.binds.iter().position(|b| b.id == id) else {
            return;
        };
        let bind = self.binds.remove(pos);
        // 14: SASL bind in progress; a Sicily discovery/negotiate answers 0 before the real step.
        if code == 14 || !bind.final_step {
            return;
        }
        self.emit_bind(bind, Some(code), cx);
    }

    fn emit_bind(&mut self, b: PendingBind, code: Option<u32>, cx: &mut Ctx<'_>) {
        let (time, frame) = match code {
            Some(_) => (cx.time, cx.frame),
            None => (b.time, b.frame),
        };
        let actor = bind_account(&b.name);
        if code == Some(0) {
            self.bound = actor.clone();
        }
        let mut e = cx.event(
            EventKind::LdapBind {
                method: b.method,
                name: b.name,
            },
            time,
            frame,
        );
        e.actor = actor;
        e.outcome = outcome(code);
        cx.events.push(e);
    }

    fn search_request(&mut self, m: &[u8], id: u32, cx: &mut Ctx<'_>) {
        let req = match LdapMessage::from_ber(m) {
            Ok((_, msg)) => match msg.protocol_op {
                ProtocolOp::SearchRequest(r) => r,
                _ => return,
            },
            Err(e) => {
                cx.malformed(PROTOCOL, format!("searchRequest: {}", short(&e)));
                return;
            }
        };
        let mut filter = String::new();
        render(&req.filter, &mut filter);
        if self.searches.len() >= MAX_PENDING_SEARCHES {
            let old = self.searches.remove(0);
            self.emit_search(old, None, cx);
        }
        self.searches.retain(|s| s.id != id);
        self.searches.push(PendingSearch {
            id,
            frame: cx.frame,
            time: cx.time,
            base: req.base_object.0.into_owned(),
            scope: req.scope.0.min(255) as u8,
            filter,
            attributes: req
                .attributes
                .into_iter()
                .map(|a| a.0.into_owned())
                .collect(),
            entries: 0,
        });
    }

    fn search_done(&mut self, m: &[u8], id: u32, cx: &mut Ctx<'_>) {
        let Some(code) = result_code(m, 0x65) else {
            cx.malformed(PROTOCOL, "searchResDone without a readable resultCode");
            return;
        };
        if let Some(pos) = self.searches.iter().position(|s| s.id == id) {
            let s = self.searches.remove(pos);
            self.emit_search(s, Some(code), cx);
        }
    }

    fn emit_search(&mut self, s: PendingSearch, code: Option<u32>, cx: &mut Ctx<'_>) {
        let (time, frame) = match code {
            Some(_) => (cx.time, cx.frame),
            None => (s.time, s.frame),
        };
        let mut e = cx.event(
            EventKind::LdapSearch {
                base: s.base,
                scope: s.scope,
                filter: s.filter,
                attributes: s.attributes,
                entries: code.map(|_| s.entries),
            },
            time,
            frame,
        );
        e.actor = self.bound.clone();
        e.outcome = outcome(code);
        cx.events.push(e);
    }

    fn modify_request(&mut self, m: &[u8], id: u32, cx: &mut Ctx<'_>) {
        let req = match LdapMessage::from_ber(m) {
            Ok((_, msg)) => match msg.protocol_op {
                ProtocolOp::ModifyRequest(r) => r,
                _ => return,
            },
            Err(e) => {
                cx.malformed(PROTOCOL, format!("modifyRequest: {}", short(&e)));
                return;
            }
        };
        let changes = req
            .changes
            .into_iter()
            .take(MAX_CHANGES)
            .map(|c| {
                let values = c
                    .modification
                    .attr_vals
                    .iter()
                    .take(MAX_VALUES)
                    .map(|v| {
                        let v = &v.0[..v.0.len().min(MAX_VALUE_LEN)];
                        String::from_utf8_lossy(v).into_owned()
                    })
                    .collect();
                (
                    c.operation.0,
                    c.modification.attr_type.0.into_owned(),
                    values,
                )
            })
            .collect();
        if self.modifies.len() >= MAX_PENDING_MODIFIES {
            let old = self.modifies.remove(0);
            self.emit_modify(old, None, cx);
        }
        self.modifies.retain(|p| p.id != id);
        self.modifies.push(PendingModify {
            id,
            frame: cx.frame,
            time: cx.time,
            object: req.object.0.into_owned(),
            changes,
        });
    }

    fn modify_response(&mut self, m: &[u8], id: u32, cx: &mut Ctx<'_>) {
        let Some(code) = result_code(m, 0x67) else {
            cx.malformed(PROTOCOL, "modifyResponse without a readable resultCode");
            return;
        };
        if let Some(pos) = self.modifies.iter().position(|p| p.id == id) {
            let p = self.modifies.remove(pos);
            self.emit_modify(p, Some(code), cx);
        }
    }

    fn emit_modify(&mut self, p: PendingModify, code: Option<u32>, cx: &mut Ctx<'_>) {
        let (time, frame) = match code {
            Some(_) => (cx.time, cx.frame),
            None => (p.time, p.frame),
        };
        for (op, attr, values) in p.changes {
            // Replace states the new value set: its values are added (what was there is not
            // visible on the wire).
            let added = op != 1;
            if attr.eq_ignore_ascii_case("member") {
                for v in &values {
                    let mut e = cx.event(
                        EventKind::GroupMembershipChange {
                            member: bind_account(v),
                            member_dn: Some(v.clone()),
                            added,
                            scope: GroupScope::Unknown,
                        },
                        time,
                        frame,
                    );
                    e.actor = self.bound.clone();
                    e.target = bind_account(&p.object);
                    e.outcome = outcome(code);
                    cx.events.push(e);
                }
                continue;
            }
            let mut e = cx.event(
                EventKind::DirectoryChange {
                    object: DirObject {
                        dn: Some(p.object.clone()),
                        ..DirObject::default()
                    },
                    op: if added {
                        ChangeOp::ValueAdded
                    } else {
                        ChangeOp::ValueDeleted
                    },
                    attribute: Some(attr),
                    value: values.into_iter().next(),
                    correlation: Some(format!("ldap:{}", p.id)),
                },
                time,
                frame,
            );
            e.actor = self.bound.clone();
            e.outcome = outcome(code);
            cx.events.push(e);
        }
    }
}

impl Dissector for Ldap {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn data(&mut self, dir: Direction, bytes: &[u8], cx: &mut Ctx<'_>) -> Verdict {
        let i = side(dir);
        if self.transport == Transport::Udp {
            // A datagram stands alone: nothing carries over.
            self.sides[i] = Side::default();
            let (_, v) = self.run(dir, bytes, cx);
            self.sides[i] = Side::default();
            return v;
        }
        if self.sides[i].buf.is_empty() {
            let (used, v) = self.run(dir, bytes, cx);
            if v == Verdict::More && used < bytes.len() {
                self.sides[i].buf.extend_from_slice(&bytes[used..]);
            }
            return v;
        }
        let mut buf = std::mem::take(&mut self.sides[i].buf);
        buf.extend_from_slice(bytes);
        let (used, v) = self.run(dir, &buf, cx);
        buf.drain(..used);
        if buf.capacity() > 2 * MAX_PARSED && buf.len() < MAX_PARSED {
            buf.shrink_to(MAX_PARSED);
        }
        self.sides[i].buf = buf;
        v
    }

    fn end(&mut self, cx: &mut Ctx<'_>) {
        for b in std::mem::take(&mut self.binds) {
            if b.final_step {
                self.emit_bind(b, None, cx);
            }
        }
        for s in std::mem::take(&mut self.searches) {
            self.emit_search(s, None, cx);
        }
        for p in std::mem::take(&mut self.modifies) {
            self.emit_modify(p, None, cx);
        }
    }

    fn buffered(&self) -> usize {
        let modifies: usize = self
            .modifies
            .iter()
            .flat_map(|p| &p.changes)
            .map(|(_, a, vs)| a.len() + vs.iter().map(String::len).sum::<usize>())
            .sum();
        self.sides.iter().map(|s| s.buf.capacity()).sum::<usize>()
            + self.last_token.capacity()
            + modifies
    }
}

fn side(dir: Direction) -> usize {
    match dir {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

fn outcome(code: Option<u32>) -> Outcome {
    match code {
        Some(0) => Outcome::Success,
        Some(c) => Outcome::Failure(c),
        None => Outcome::Unknown,
    }
}

/// The BER header of an LDAPMessage: its total length, message id and operation tag.
#[derive(Debug, Clone, Copy)]
struct Header {
    total: usize,
    id: u32,
    op: u8,
}

/// `Ok(None)`: more bytes needed; `Err(first byte)`: not an LDAPMessage.
fn header(b: &[u8]) -> Result<Option<Header>, u8> {
    let Some(&first) = b.first() else {
        return Ok(None);
    };
    if first != 0x30 {
        return Err(first);
    }
    let Some((len, lsize)) = ber_len(&b[1..]).map_err(|_| first)? else {
        return Ok(None);
    };
    let hdr = 1 + lsize;
    let total = hdr.checked_add(len).ok_or(first)?;
    // messageID INTEGER (1-4 content bytes), then the protocolOp's [APPLICATION n] tag.
    let Some(&tag) = b.get(hdr) else {
        return Ok(None);
    };
    if tag != 0x02 {
        return Err(first);
    }
    let Some(&ilen) = b.get(hdr + 1) else {
        return Ok(None);
    };
    if !(1..=5).contains(&ilen) {
        return Err(first);
    }
    let ilen = ilen as usize;
    let Some(idb) = b.get(hdr + 2..hdr + 2 + ilen) else {
        return Ok(None);
    };
    let id = idb.iter().fold(0u64, |a, x| (a << 8) | *x as u64) as u32;
    let Some(&op) = b.get(hdr + 2 + ilen) else {
        return Ok(None);
    };
    if op & 0xc0 != 0x40 {
        return Err(first);
    }
    Ok(Some(Header {
        total,
        id,
        op: op & 0x1f,
    }))
}

/// A definite BER length: `Ok(None)` when cut short, `Err` for the indefinite form (LDAP
/// forbids it) or one longer than four bytes.
fn ber_len(b: &[u8]) -> Result<Option<(usize, usize)>, ()> {
    let Some(&l) = b.first() else {
        return Ok(None);
    };
    if l < 0x80 {
        return Ok(Some((l as usize, 1)));
    }
    let n = (l & 0x7f) as usize;
    if n == 0 || n > 4 {
        return Err(());
    }
    let Some(bytes) = b.get(1..1 + n) else {
        return Ok(None);
    };
    let len = bytes.iter().fold(0usize, |a, x| (a << 8) | *x as usize);
    Ok(Some((len, 1 + n)))
}

/// A Sicily bind (Microsoft's NTLM over LDAP; `ldap-parser` knows only simple and SASL):
/// the name, the step's tag (9 discovery, 10 negotiate, 11 response) and its token.
fn sicily(m: &[u8]) -> Option<(String, u8, &[u8])> {
    let mut r = Reader(m);
    let mut msg = Reader(r.tlv(0x30)?);
    msg.tlv(0x02)?;
    let mut bind = Reader(msg.tlv(0x60)?);
    bind.tlv(0x02)?;
    let name = String::from_utf8_lossy(bind.tlv(0x04)?).into_owned();
    let tag = *bind.0.first()?;
    let step = tag & 0x1f;
    if !(9..=11).contains(&step) || tag & 0xc0 != 0x80 {
        return None;
    }
    let token = bind.tlv(tag)?;
    Some((name, step, token))
}

/// The resultCode of an LDAPResult-shaped response whose operation tag is `op`.
fn result_code(m: &[u8], op: u8) -> Option<u32> {
    let mut msg = Reader(Reader(m).tlv(0x30)?);
    msg.tlv(0x02)?;
    let mut res = Reader(msg.tlv(op)?);
    let code = res.tlv(0x0a)?;
    if code.is_empty() || code.len() > 4 {
        return None;
    }
    Some(code.iter().fold(0u32, |a, x| (a << 8) | *x as u32))
}

/// Walks BER TLVs with definite lengths.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn tlv(&mut self, tag: u8) -> Option<&'a [u8]> {
        if *self.0.first()? != tag {
            return None;
        }
        let (len, lsize) = ber_len(&self.0[1..]).ok()??;
        let start = 1 + lsize;
        let v = self.0.get(start..start.checked_add(len)?)?;
        self.0 = &self.0[start + len..];
        Some(v)
    }
}

/// The account a bind name names: a DN's first RDN value with its `DC=` components as the
/// domain, a UPN, `DOMAIN\user`, or a bare name; `None` for an anonymous bind.
pub fn bind_account(name: &str) -> Option<Account> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    if let Some((first, _)) = name.split_once('=') {
        if !first.is_empty() && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            let rdns = split_dn(name);
            let value = rdns
                .first()
                .and_then(|r| r.split_once('='))
                .map(|(_, v)| v)?;
            let domain: Vec<&str> = rdns
                .iter()
                .filter_map(|r| r.split_once('='))
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case("dc"))
                .map(|(_, v)| v.trim())
                .collect();
            let domain = domain.join(".");
            return Some(Account::new(
                &unescape_dn(value.trim()),
                (!domain.is_empty()).then_some(domain.as_str()),
            ));
        }
    }
    Account::parse(name)
}

/// The RDNs of a DN, split at unescaped commas.
fn split_dn(dn: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in dn.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            ',' | ';' if !escaped => {
                out.push(&dn[start..i]);
                start = i + 1;
            }
            _ => escaped = false,
        }
    }
    out.push(&dn[start..]);
    out
}

fn unescape_dn(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// An LDAP filter in RFC 4515 string form.
pub fn render(f: &Filter<'_>, out: &mut String) {
    out.push('(');
    match f {
        Filter::And(v) | Filter::Or(v) => {
            out.push(if matches!(f, Filter::And(_)) {
                '&'
            } else {
                '|'
            });
            for x in v {
                render(x, out);
            }
        }
        Filter::Not(x) => {
            out.push('!');
            render(x, out);
        }
        Filter::EqualityMatch(a) => ava(out, &a.attribute_desc.0, "=", &a.assertion_value),
        Filter::GreaterOrEqual(a) => ava(out, &a.attribute_desc.0, ">=", &a.assertion_value),
        Filter::LessOrEqual(a) => ava(out, &a.attribute_desc.0, "<=", &a.assertion_value),
        Filter::ApproxMatch(a) => ava(out, &a.attribute_desc.0, "~=", &a.assertion_value),
        Filter::Present(a) => {
            out.push_str(&a.0);
            out.push_str("=*");
        }
        Filter::Substrings(s) => {
            out.push_str(&s.filter_type.0);
            out.push('=');
            let mut star = false;
            for part in &s.substrings {
                match part {
                    Substring::Initial(v) => {
                        escape(out, &v.0);
                        out.push('*');
                        star = true;
                    }
                    Substring::Any(v) => {
                        if !star {
                            out.push('*');
                        }
                        escape(out, &v.0);
                        out.push('*');
                        star = true;
                    }
                    Substring::Final(v) => {
                        if !star {
                            out.push('*');
                        }
                        escape(out, &v.0);
                        star = false;
                    }
                }
            }
            if s.substrings.is_empty() {
                out.push('*');
            }
        }
        Filter::ExtensibleMatch(m) => {
            if let Some(t) = &m.rule_type {
                out.push_str(&t.0);
            }
            if m.dn_attributes == Some(true) {
                out.push_str(":dn");
            }
            if let Some(r) = &m.matching_rule {
                out.push(':');
                out.push_str(&r.0);
            }
            out.push_str(":=");
            escape(out, &m.assertion_value.0);
        }
    }
    out.push(')');
}

fn ava(out: &mut String, attr: &str, op: &str, value: &[u8]) {
    out.push_str(attr);
    out.push_str(op);
    escape(out, value);
}

/// RFC 4515 value escaping: `*`, `(`, `)`, `\`, NUL, control characters and bytes that are
/// not UTF-8 as `\xx`.
fn escape(out: &mut String, value: &[u8]) {
    use std::fmt::Write;
    let text = String::from_utf8_lossy(value);
    let valid = matches!(text, std::borrow::Cow::Borrowed(_));
    if !valid {
        for b in value {
            let _ = write!(out, "\\{b:02x}");
        }
        return;
    }
    for c in text.chars() {
        match c {
            '*' | '(' | ')' | '\\' | '\0' => {
                let _ = write!(out, "\\{:02x}", c as u32);
            }
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\{b:02x}");
                }
            }
            c => out.push(c),
        }
    }
}

fn short(e: &impl std::fmt::Debug) -> String {
    let mut s = format!("{e:?}");
    if s.len() > 120 {
        let mut cut = 120;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_names_become_accounts() {
        let a = bind_account("CN=Ann Lee,OU=Staff,DC=rampart,DC=lab").unwrap();
        assert_eq!(
            (a.name.as_str(), a.domain.as_deref()),
            ("Ann Lee", Some("rampart.lab"))
        );
        let a = bind_account("cn=Smith\\, John,dc=corp,dc=local").unwrap();
        assert_eq!(
            (a.name.as_str(), a.domain.as_deref()),
            ("Smith, John", Some("corp.local"))
        );
        let a = bind_account("adm_legacy@rampart.lab").unwrap();
        assert_eq!(
            (a.name.as_str(), a.domain.as_deref()),
            ("adm_legacy", Some("rampart.lab"))
        );
        let a = bind_account("RAMPART\\rmoore").unwrap();
        assert_eq!(
            (a.name.as_str(), a.domain.as_deref()),
            ("rmoore", Some("RAMPART"))
        );
        assert_eq!(bind_account(""), None);
    }

    #[test]
    fn values_are_escaped_as_rfc_4515_says() {
        let mut s = String::new();
        escape(&mut s, b"a*b(c)\\d\0");
        assert_eq!(s, "a\\2ab\\28c\\29\\5cd\\00");
        let mut s = String::new();
        escape(&mut s, &[0xff, 0x01]);
        assert_eq!(s, "\\ff\\01");
    }

    #[test]
    fn headers_of_partial_and_foreign_data() {
        // 30 0c 02 01 05 60 07 ...: bindRequest, message id 5
        let m = [
            0x30, 0x0c, 0x02, 0x01, 0x05, 0x60, 0x07, 2, 1, 3, 4, 0, 0x80, 0,
        ];
        let h = header(&m).unwrap().unwrap();
        assert_eq!((h.total, h.id, h.op), (14, 5, 0));
        for n in 0..6 {
            assert!(header(&m[..n]).unwrap().is_none());
        }
        assert_eq!(header(&[0, 0, 0, 0x20]).unwrap_err(), 0);
        assert!(header(&[0x30, 0x80, 2]).is_err());
        assert!(looks_like_bind(&m));
    }

    #[test]
    fn sicily_binds_are_read_by_hand() {
        // bindRequest id 2, version 3, name "", sicilyNegotiate [10] "NTLMSSP"
        let mut bind = vec![0x02, 0x01, 0x03, 0x04, 0x00, 0x8a, 0x07];
        bind.extend(b"NTLMSSP");
        let mut op = vec![0x60, bind.len() as u8];
        op.extend(bind);
        let mut msg = vec![0x02, 0x01, 0x02];
        msg.extend(op);
        let mut m = vec![0x30, msg.len() as u8];
        m.extend(msg);
        let (name, step, token) = sicily(&m).unwrap();
        assert_eq!((name.as_str(), step, token), ("", 10, &b"NTLMSSP"[..]));
        for n in 0..m.len() {
            let _ = sicily(&m[..n]);
        }
    }
}
