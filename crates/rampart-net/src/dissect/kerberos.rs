//! Kerberos (RFC 4120) on port 88, UDP and TCP (4-byte record marking): AS and TGS exchanges.
//!
//! Each reply is matched with its request (per flow: a UDP flow is one client address and
//! port) and one event is emitted per exchange, at the reply: an AS exchange is a
//! [`EventKind::KerberosTgtRequest`], a TGS exchange a [`EventKind::KerberosServiceTicket`].
//! KRB-ERROR 25 (PREAUTH_REQUIRED) and 52 (RESPONSE_TOO_BIG) are round trips of the protocol,
//! not outcomes: the client's retry carries the outcome, so they emit nothing. A request never
//! answered is emitted when its flow ends, with outcome `Unknown`.
//!
//! What a 4768/4769 would not tell is kept in [`KerberosWire`]: the etypes offered, the PA-DATA
//! types, fingerprints of the issued and the presented ticket (FNV-1a of the ticket's cipher
//! text, so a TGT presented in a TGS-REQ can be matched with the AS-REP that issued it), the
//! reply's etype and the `till` asked for.

use super::{fnv1a, Ctx, Direction, Dissector, Frame, Framer, Transport, Verdict};
use asn1_rs::FromDer;
use kerberos_parser::krb5::{ApReq, KdcRep, KdcReq, KrbError, PrincipalName, Ticket};
use kerberos_parser::krb5_parser;
use rampart_core::{Account, EventKind, KerberosWire, Outcome, Timestamp};
use std::collections::VecDeque;

const PROTOCOL: &str = "kerberos";
/// Largest record accepted over TCP: tickets with large PACs run to tens of kilobytes.
const MAX_RECORD: usize = 256 * 1024;
/// Requests awaiting a reply on one flow.
const MAX_PENDING: usize = 16;

const KDC_ERR_PREAUTH_REQUIRED: i32 = 25;
const KRB_ERR_RESPONSE_TOO_BIG: i32 = 52;
const PA_TGS_REQ: i32 = 1;
const PA_ENC_TIMESTAMP: i32 = 2;
const PA_FX_FAST: i32 = 136;

/// Whether the first bytes of a flow on another port look like a Kerberos request.
pub fn looks_like(transport: Transport, first: &[u8]) -> bool {
    let msg = match transport {
        Transport::Udp => first,
        Transport::Tcp => {
            let Some(len) = first.get(..4) else {
                return false;
            };
            let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
            if len == 0 || len > MAX_RECORD {
                return false;
            }
            &first[4..]
        }
    };
    // [APPLICATION 10] AS-REQ or [APPLICATION 12] TGS-REQ, then a SEQUENCE holding pvno [1] 5.
    match msg.first() {
        Some(0x6a) => krb5_parser::parse_as_req(msg).is_ok(),
        Some(0x6c) => krb5_parser::parse_tgs_req(msg).is_ok(),
        _ => false,
    }
}

/// A request waiting for its reply.
#[derive(Debug)]
struct Request {
    as_req: bool,
    frame: u64,
    time: Timestamp,
    cname: Option<String>,
    realm: String,
    sname: String,
    etypes: Vec<i32>,
    padata: Vec<i32>,
    kdc_options: u32,
    till: Option<Timestamp>,
    /// The presented TGT: fingerprint, ticket etype, authenticator etype.
    presented: Option<(u64, i32, i32)>,
}

pub struct Kerberos {
    transport: Transport,
    framers: [Framer; 2],
    pending: VecDeque<Request>,
}

impl Kerberos {
    pub fn new(transport: Transport) -> Kerberos {
        Kerberos {
            transport,
            framers: Default::default(),
            pending: VecDeque::new(),
        }
    }
}

impl Dissector for Kerberos {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn data(&mut self, dir: Direction, bytes: &[u8], cx: &mut Ctx<'_>) -> Verdict {
        if self.transport == Transport::Udp {
            return message(&mut self.pending, self.transport, dir, bytes, cx);
        }
        let i = match dir {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        };
        let (framers, pending) = (&mut self.framers, &mut self.pending);
        let r = framers[i].feed(bytes, MAX_RECORD, record_len, |rec| {
            message(pending, Transport::Tcp, dir, &rec[4..], cx)
        });
        match r {
            Ok(v) => v,
            Err(n) => {
                cx.malformed(
                    PROTOCOL,
                    format!("TCP record of {n} bytes exceeds {MAX_RECORD}; flow given up"),
                );
                Verdict::Done
            }
        }
    }

    fn end(&mut self, cx: &mut Ctx<'_>) {
        while let Some(req) = self.pending.pop_front() {
            emit(cx, req, Reply::None);
        }
    }

    fn buffered(&self) -> usize {
        self.framers.iter().map(Framer::buffered).sum::<usize>()
            + self.pending.len() * std::mem::size_of::<Request>()
    }
}

fn record_len(b: &[u8]) -> Frame {
    match b.get(..4) {
        // The high bit is reserved (RFC 4120 7.2.2); a set bit makes the length absurd, which
        // the framer refuses.
        Some(l) => Frame::Len(4 + u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize),
        None => Frame::NeedMore,
    }
}

/// What the request got.
enum Reply<'a> {
    Rep(&'a KdcRep<'a>),
    Error { code: i32, cname: Option<Account> },
    None,
}

fn message(
    pending: &mut VecDeque<Request>,
    transport: Transport,
    dir: Direction,
    msg: &[u8],
    cx: &mut Ctx<'_>,
) -> Verdict {
    let Some(&tag) = msg.first() else {
        return Verdict::More;
    };
    match (tag, dir) {
        (0x6a | 0x6c, Direction::ToServer) => {
            let mut scratch = Vec::new();
            let parsed = lenient(msg, &mut scratch, |m| {
                let r = if tag == 0x6a {
                    krb5_parser::parse_as_req(m)
                } else {
                    krb5_parser::parse_tgs_req(m)
                };
                r.map(|(_, req)| request(&req, tag == 0x6a, cx))
                    .map_err(|e| short(&e))
            });
            match parsed {
                Ok(req) => {
                    if pending.len() >= MAX_PENDING {
                        if let Some(old) = pending.pop_front() {
                            emit(cx, old, Reply::None);
                        }
                    }
                    pending.push_back(req);
                }
                Err(e) => cx.malformed(PROTOCOL, format!("{}: {e}", name(tag))),
            }
        }
        (0x6b | 0x6d, Direction::ToClient) => {
            let parsed = if tag == 0x6b {
                krb5_parser::parse_as_rep(msg)
            } else {
                krb5_parser::parse_tgs_rep(msg)
            };
            match parsed {
                Ok((_, rep)) => {
                    let as_rep = tag == 0x6b;
                    let req = match pending.iter().position(|r| r.as_req == as_rep) {
                        Some(p) => pending.remove(p),
                        None => None,
                    };
                    let req = req.unwrap_or_else(|| unrequested(as_rep, &rep, cx));
                    emit(cx, req, Reply::Rep(&rep));
                }
                Err(e) => cx.malformed(PROTOCOL, format!("{}: {}", name(tag), short(&e))),
            }
        }
        // Most errors a KDC sends ask for pre-authentication (every first AS-REQ of a Windows
        // client gets one) and end nothing: read their code without parsing the message.
        (0x7e, Direction::ToClient)
            if matches!(
                error_code(msg),
                Some(KDC_ERR_PREAUTH_REQUIRED | KRB_ERR_RESPONSE_TOO_BIG)
            ) =>
        {
            pending.pop_front();
            return Verdict::More;
        }
        (0x7e, Direction::ToClient) => match KrbError::from_der(msg) {
            Ok((_, err)) => {
                let code = err.error_code.0;
                let req = pending.pop_front();
                if code == KDC_ERR_PREAUTH_REQUIRED || code == KRB_ERR_RESPONSE_TOO_BIG {
                    return Verdict::More;
                }
                let cname = err.cname.as_ref().map(|c| {
                    let realm = err.crealm.as_ref().unwrap_or(&err.realm);
                    Account::new(&principal(c), Some(&realm.0))
                });
                let req = req.unwrap_or_else(|| {
                    let sname = principal(&err.sname);
                    Request {
                        as_req: sname.to_ascii_lowercase().starts_with("krbtgt/")
                            && err.cname.is_some(),
                        frame: cx.frame,
                        time: cx.time,
                        cname: err.cname.as_ref().map(principal),
                        realm: err.realm.0.clone(),
                        sname,
                        etypes: Vec::new(),
                        padata: Vec::new(),
                        kdc_options: 0,
                        till: None,
                        presented: None,
                    }
                });
                emit(cx, req, Reply::Error { code, cname });
            }
            Err(e) => cx.malformed(PROTOCOL, format!("KRB-ERROR: {}", short(&e))),
        },
        _ => {
            cx.malformed(
                PROTOCOL,
                format!(
                    "unexpected message (tag {tag:#04x}) {}",
                    match dir {
                        Direction::ToServer => "from the client",
                        Direction::ToClient => "from the server",
                    }
                ),
            );
            // Over TCP the record marking is intact; a datagram stands alone either way.
            let _ = transport;
        }
    }
    Verdict::More
}

/// One DER/BER TLV with a definite length at the start of `input`: (tag byte, content, rest).
/// Multi-byte tags are not needed for the fields read here and return `None`.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *input.first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let l = *input.get(1)?;
    let (len, start) = if l < 0x80 {
        (l as usize, 2)
    } else {
        let n = (l & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let b = input.get(2..2 + n)?;
        (b.iter().fold(0usize, |a, x| (a << 8) | *x as usize), 2 + n)
    };
    let content = input.get(start..start.checked_add(len)?)?;
    Some((tag, content, &input[start + len..]))
}

/// The `error-code` of a KRB-ERROR (`[APPLICATION 30] SEQUENCE { … error-code [6] Int32 … }`,
/// RFC 4120 5.9.1), read without parsing the rest; `None` when it is not where it must be.
fn error_code(msg: &[u8]) -> Option<i32> {
    let (0x7e, app, _) = tlv(msg)? else {
        return None;
    };
    let (0x30, mut fields, _) = tlv(app)? else {
        return None;
    };
    while !fields.is_empty() {
        let (tag, content, rest) = tlv(fields)?;
        if tag == 0xa6 {
            let (0x02, int, _) = tlv(content)? else {
                return None;
            };
            if int.is_empty() || int.len() > 4 {
                return None;
            }
            // Two's complement, sign-extended from the first byte.
            let first = i32::from(int[0] as i8);
            return Some(int[1..].iter().fold(first, |a, b| (a << 8) | i32::from(*b)));
        }
        if tag > 0xa6 {
            return None;
        }
        fields = rest;
    }
    None
}

/// Parses `msg` with `parse`; when that fails, once more after re-encoding it as strict DER.
/// Some encoders (impacket's) write INTEGERs with redundant leading bytes, which BER allows and
/// the DER parser refuses; the attack tools that matter most write them.
fn lenient<T>(
    msg: &[u8],
    scratch: &mut Vec<u8>,
    parse: impl for<'a> Fn(&'a [u8]) -> Result<T, String>,
) -> Result<T, String> {
    match parse(msg) {
        Ok(v) => Ok(v),
        Err(first) => {
            scratch.clear();
            if der(msg, 0, scratch) == Some(msg.len()) && scratch.as_slice() != msg {
                parse(scratch).map_err(|_| first)
            } else {
                Err(first)
            }
        }
    }
}

/// Deepest nesting re-encoded (Kerberos messages nest about ten levels).
const MAX_DEPTH: usize = 24;

/// Re-encodes one BER TLV at the start of `input` into `out` as DER (minimal lengths and
/// INTEGERs); the bytes consumed, or `None` when it is not BER with definite lengths.
fn der(input: &[u8], depth: usize, out: &mut Vec<u8>) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    let tag = *input.first()?;
    let mut pos = 1;
    if tag & 0x1f == 0x1f {
        while *input.get(pos)? & 0x80 != 0 {
            pos += 1;
        }
        pos += 1;
    }
    let tag_bytes = input.get(..pos)?;
    let l = *input.get(pos)?;
    pos += 1;
    let len = if l < 0x80 {
        l as usize
    } else {
        let n = (l & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let b = input.get(pos..pos + n)?;
        pos += n;
        b.iter().fold(0usize, |a, x| (a << 8) | *x as usize)
    };
    let content = input.get(pos..pos.checked_add(len)?)?;
    let consumed = pos + len;
    out.extend_from_slice(tag_bytes);
    if tag & 0x20 != 0 {
        let mut inner = Vec::with_capacity(content.len());
        let mut off = 0;
        while off < content.len() {
            off += der(&content[off..], depth + 1, &mut inner)?;
        }
        push_len(out, inner.len());
        out.extend_from_slice(&inner);
    } else if tag == 0x02 {
        let mut c = content;
        while c.len() > 1 && ((c[0] == 0 && c[1] & 0x80 == 0) || (c[0] == 0xff && c[1] & 0x80 != 0))
        {
            c = &c[1..];
        }
        push_len(out, c.len());
        out.extend_from_slice(c);
    } else {
        push_len(out, content.len());
        out.extend_from_slice(content);
    }
    Some(consumed)
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

fn request(req: &KdcReq<'_>, as_req: bool, cx: &Ctx<'_>) -> Request {
    let body = &req.req_body;
    let presented = req
        .padata
        .iter()
        .find(|p| p.padata_type.0 == PA_TGS_REQ)
        .and_then(|p| {
            let mut scratch = Vec::new();
            lenient(p.padata_value, &mut scratch, |m| {
                ApReq::from_der(m)
                    .map(|(_, ap)| {
                        (
                            fnv1a(ap.ticket.enc_part.cipher),
                            ap.ticket.enc_part.etype.0,
                            ap.authenticator.etype.0,
                        )
                    })
                    .map_err(|e| short(&e))
            })
            .ok()
        });
    Request {
        as_req,
        frame: cx.frame,
        time: cx.time,
        cname: body.cname.as_ref().map(principal),
        realm: body.realm.0.clone(),
        sname: body.sname.as_ref().map(principal).unwrap_or_default(),
        etypes: body.etype.iter().map(|e| e.0).collect(),
        padata: req.padata.iter().map(|p| p.padata_type.0).collect(),
        kdc_options: flags(&body.kdc_options.data),
        till: {
            let t = &body.till.0;
            chrono::NaiveDate::from_ymd_opt(t.year as i32, t.month as u32, t.day as u32)
                .and_then(|d| d.and_hms_opt(t.hour as u32, t.minute as u32, t.second as u32))
                .map(|d| d.and_utc())
        },
        presented,
    }
}

/// A reply whose request was not captured: what the reply itself says.
fn unrequested(as_rep: bool, rep: &KdcRep<'_>, cx: &Ctx<'_>) -> Request {
    Request {
        as_req: as_rep,
        frame: cx.frame,
        time: cx.time,
        cname: Some(principal(&rep.cname)),
        realm: rep.crealm.0.clone(),
        sname: principal(&rep.ticket.sname),
        etypes: Vec::new(),
        padata: Vec::new(),
        kdc_options: 0,
        till: None,
        presented: None,
    }
}

/// KerberosFlags as Windows prints them (`0x40810010`): the first 32 bits, bit 0 the most
/// significant.
fn flags(data: &[u8]) -> u32 {
    let mut b = [0u8; 4];
    for (d, s) in b.iter_mut().zip(data) {
        *d = *s;
    }
    u32::from_be_bytes(b)
}

/// A principal as `a/b/c`.
fn principal(p: &PrincipalName) -> String {
    p.name_string.join("/")
}

/// The pre-authentication the AS-REQ carried: 2 encrypted timestamp, 15/16/17 PKINIT, 138
/// encrypted challenge, 0 none (PA-PAC-REQUEST and other hints are not pre-authentication),
/// `None` for a FAST-armored request, whose pre-authentication is inside the armor.
fn preauth_type(padata: &[i32]) -> Option<u32> {
    for t in [PA_ENC_TIMESTAMP, 16, 15, 17, 138] {
        if padata.contains(&t) {
            return Some(t as u32);
        }
    }
    if padata.contains(&PA_FX_FAST) {
        return None;
    }
    Some(0)
}

fn emit(cx: &mut Ctx<'_>, req: Request, reply: Reply<'_>) {
    let (status, outcome) = match &reply {
        Reply::Rep(_) => (0, Outcome::Success),
        Reply::Error { code, .. } => (*code as u32, Outcome::Failure(*code as u32)),
        Reply::None => (0, Outcome::Unknown),
    };
    let issued: Option<&Ticket<'_>> = match &reply {
        Reply::Rep(r) => Some(&r.ticket),
        _ => None,
    };
    let reply_etype = match &reply {
        Reply::Rep(r) => Some(r.enc_part.etype.0),
        _ => None,
    };
    let wire = Box::new(KerberosWire {
        requested_etypes: req.etypes,
        padata_types: req.padata.clone(),
        issued_ticket: issued.map(|t| fnv1a(t.enc_part.cipher)),
        presented_ticket: req.presented.map(|p| p.0),
        presented_ticket_etype: req.presented.map(|p| p.1),
        authenticator_etype: req.presented.map(|p| p.2),
        reply_etype,
        ticket_cipher_len: issued.map(|t| t.enc_part.cipher.len() as u32),
        till: req.till,
        realm: Some(req.realm.clone()),
        answered: !matches!(reply, Reply::None),
    });
    let (time, frame) = match reply {
        Reply::None => (req.time, req.frame),
        _ => (cx.time, cx.frame),
    };
    let actor = if req.as_req {
        req.cname
            .as_deref()
            .map(|c| Account::new(c, Some(&req.realm)))
    } else {
        match &reply {
            Reply::Rep(r) => Some(Account::new(&principal(&r.cname), Some(&r.crealm.0))),
            Reply::Error { cname, .. } => cname.clone(),
            Reply::None => None,
        }
    };
    let kind = if req.as_req {
        EventKind::KerberosTgtRequest {
            status,
            preauth_type: preauth_type(&req.padata),
            ticket_etype: reply_etype.map(|e| e as u32),
            ticket_options: Some(req.kdc_options),
            wire: Some(wire),
        }
    } else {
        EventKind::KerberosServiceTicket {
            status,
            service: req.sname,
            service_sid: None,
            ticket_etype: issued.map(|t| t.enc_part.etype.0 as u32),
            ticket_options: Some(req.kdc_options),
            wire: Some(wire),
        }
    };
    let mut e = cx.event(kind, time, frame);
    e.actor = actor;
    e.outcome = outcome;
    cx.events.push(e);
}

fn name(tag: u8) -> &'static str {
    match tag {
        0x6a => "AS-REQ",
        0x6b => "AS-REP",
        0x6c => "TGS-REQ",
        0x6d => "TGS-REP",
        _ => "KRB-ERROR",
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

    fn t(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        push_len(&mut out, content.len());
        out.extend_from_slice(content);
        out
    }

    /// A KRB-ERROR with the given error-code bytes (the INTEGER's content).
    fn krb_error(code: &[u8]) -> Vec<u8> {
        let gs = |s: &str| t(0x1b, s.as_bytes());
        let int = |v: &[u8]| t(0x02, v);
        let names = [gs("krbtgt"), gs("CORP.LOCAL")].concat();
        let sname = t(
            0x30,
            &[t(0xa0, &int(&[2])), t(0xa1, &t(0x30, &names))].concat(),
        );
        let fields = [
            t(0xa0, &int(&[5])),
            t(0xa1, &int(&[30])),
            t(0xa4, &t(0x18, b"20240101000000Z")),
            t(0xa5, &int(&[0])),
            t(0xa6, &int(code)),
            t(0xa9, &gs("CORP.LOCAL")),
            t(0xaa, &sname),
        ]
        .concat();
        t(0x7e, &t(0x30, &fields))
    }

    #[test]
    fn error_code_is_read_as_the_full_parser_reads_it() {
        for (bytes, code) in [
            (&[25u8][..], 25),
            (&[0x00, 0x80][..], 128),
            (&[0xff][..], -1),
            (&[0x01, 0x00, 0x00][..], 65_536),
        ] {
            let msg = krb_error(bytes);
            assert_eq!(error_code(&msg), Some(code));
            let (_, parsed) = KrbError::from_der(&msg).expect("a valid KRB-ERROR");
            assert_eq!(parsed.error_code.0, code);
        }
        // Cut anywhere, or not a KRB-ERROR: no code, no panic.
        let msg = krb_error(&[25]);
        for cut in 0..msg.len() {
            let _ = error_code(&msg[..cut]);
        }
        assert_eq!(error_code(&msg[..msg.len() / 2]), None);
        assert_eq!(error_code(b"\x6a\x03\x30\x01\x00"), None);
    }

    #[test]
    fn kdc_options_read_as_windows_prints_them() {
        assert_eq!(flags(&[0x40, 0x81, 0x00, 0x10]), 0x4081_0010);
        assert_eq!(flags(&[0x50]), 0x5000_0000);
        assert_eq!(flags(&[]), 0);
    }

    #[test]
    fn pac_request_alone_is_no_preauthentication() {
        assert_eq!(preauth_type(&[128]), Some(0));
        assert_eq!(preauth_type(&[150, 149]), Some(0));
        assert_eq!(preauth_type(&[2, 150, 149]), Some(2));
        assert_eq!(preauth_type(&[16, 128]), Some(16));
        assert_eq!(preauth_type(&[136, 133]), None);
    }

    #[test]
    fn non_minimal_integers_are_re_encoded_as_der() {
        // SEQUENCE { INTEGER 0xff ff 80 (non-minimal -128), [1] { INTEGER 00 05 } } with a
        // long-form length.
        let ber = [
            0x30, 0x81, 0x0b, 0x02, 0x03, 0xff, 0xff, 0x80, 0xa1, 0x04, 0x02, 0x02, 0x00, 0x05,
        ];
        let mut out = Vec::new();
        assert_eq!(der(&ber, 0, &mut out), Some(ber.len()));
        assert_eq!(
            out,
            [0x30, 0x08, 0x02, 0x01, 0x80, 0xa1, 0x03, 0x02, 0x01, 0x05]
        );
        for n in 0..ber.len() {
            let mut o = Vec::new();
            assert_eq!(der(&ber[..n], 0, &mut o), None);
        }
        // Nesting beyond the bound is refused, not followed.
        let mut deep = Vec::new();
        for _ in 0..100 {
            deep.extend([0x30, 0x80]);
        }
        assert_eq!(der(&deep, 0, &mut Vec::new()), None);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x1234_5678u32;
        for n in 0..2000usize {
            let mut b = vec![0u8; n % 300];
            for x in &mut b {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                *x = seed as u8;
            }
            if let Some(f) = b.first_mut() {
                *f = [0x6a, 0x6b, 0x6c, 0x6d, 0x7e][n % 5];
            }
            let _ = looks_like(Transport::Udp, &b);
            let _ = looks_like(Transport::Tcp, &b);
        }
    }
}
