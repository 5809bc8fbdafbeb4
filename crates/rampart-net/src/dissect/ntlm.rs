//! NTLMSSP messages (MS-NLMP 2.2.1) and the GSS-API/SPNEGO wrapping they travel in.
//!
//! NTLM is not a flow of its own: SMB2 session setup, DCE/RPC auth verifiers, LDAP SASL binds
//! and HTTP `Authorization` headers all carry the same three messages. This module parses one
//! message from a buffer and leaves outcomes (which only the carrier's reply tells) to the
//! carrier's dissector. Every offset/length pair is checked against the message before it is
//! read; nothing is allocated from a length that has not been checked.

use thiserror::Error;

/// `NTLMSSP\0`.
pub const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
const NEGOTIATE_OEM: u32 = 0x0000_0002;

/// At most this many AV pairs are read from a CHALLENGE's target info: real servers send about
/// ten, and the walk must stay bounded on a crafted sequence with no `MsvAvEOL`.
const MAX_AV_PAIRS: usize = 64;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum NtlmError {
    #[error("NTLMSSP message too short ({len} bytes, need {need})")]
    Short { len: usize, need: usize },
    #[error("no NTLMSSP signature")]
    Signature,
    #[error("unknown NTLMSSP message type {0}")]
    MessageType(u32),
    #[error("NTLMSSP {field} (offset {offset}, length {len}) outside the {total}-byte message")]
    Field {
        field: &'static str,
        offset: usize,
        len: usize,
        total: usize,
    },
    #[error("NTLMSSP AUTHENTICATE NT response of {0} bytes is neither v1 (24) nor v2 (> 24)")]
    NtResponse(usize),
}

/// NTLM variant of an AUTHENTICATE, from its response lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NtlmVersion {
    /// 24-byte NT response (NTLMv1, possibly with extended session security).
    V1,
    /// NTLMv2: the NT response holds an NTProofStr and a client blob.
    V2,
    /// Empty user name and empty (or one zero byte) responses.
    Anonymous,
}

impl NtlmVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            NtlmVersion::V1 => "v1",
            NtlmVersion::V2 => "v2",
            NtlmVersion::Anonymous => "anonymous",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiate {
    pub flags: u32,
}

/// What the server's AV pairs name (MS-NLMP 2.2.2.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetInfo {
    pub nb_computer: Option<String>,
    pub nb_domain: Option<String>,
    pub dns_computer: Option<String>,
    pub dns_domain: Option<String>,
    pub dns_tree: Option<String>,
    /// The pair sequence ended without `MsvAvEOL`, or a pair ran past the buffer: what was read
    /// before is kept.
    pub unterminated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub flags: u32,
    pub target_name: Option<String>,
    pub server_challenge: [u8; 8],
    pub target_info: TargetInfo,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticate {
    pub flags: u32,
    pub user: String,
    pub domain: String,
    pub workstation: String,
    pub lm_len: usize,
    pub nt_len: usize,
    pub version: NtlmVersion,
}

impl Authenticate {
    /// The authenticating account: `None` for an anonymous AUTHENTICATE.
    pub fn account(&self) -> Option<rampart_core::Account> {
        if self.user.is_empty() {
            return None;
        }
        Some(rampart_core::Account::new(
            &self.user,
            Some(self.domain.as_str()),
        ))
    }

    /// The workstation name, when the client sent one.
    pub fn workstation(&self) -> Option<String> {
        (!self.workstation.is_empty()).then(|| self.workstation.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Negotiate(Negotiate),
    Challenge(Challenge),
    Authenticate(Authenticate),
}

/// Parses one NTLMSSP message (starting with the signature).
pub fn parse(msg: &[u8]) -> Result<Message, NtlmError> {
    if msg.len() < 12 {
        return Err(NtlmError::Short {
            len: msg.len(),
            need: 12,
        });
    }
    if msg.get(..8) != Some(&SIGNATURE[..]) {
        return Err(NtlmError::Signature);
    }
    match le32(msg, 8) {
        Some(1) => Ok(Message::Negotiate(Negotiate {
            flags: le32(msg, 12).unwrap_or(0),
        })),
        Some(2) => parse_challenge(msg).map(Message::Challenge),
        Some(3) => parse_authenticate(msg).map(Message::Authenticate),
        Some(t) => Err(NtlmError::MessageType(t)),
        None => Err(NtlmError::Short {
            len: msg.len(),
            need: 12,
        }),
    }
}

fn parse_challenge(msg: &[u8]) -> Result<Challenge, NtlmError> {
    need(msg, 32)?;
    let flags = le32(msg, 20).unwrap_or(0);
    let name = field(msg, 12, "TargetName")?;
    let mut server_challenge = [0u8; 8];
    if let Some(c) = msg.get(24..32) {
        server_challenge.copy_from_slice(c);
    }
    // Target info is absent from the oldest servers' 32-byte CHALLENGE. One that runs past the
    // message (seen in the wild) is read as far as it goes: the challenge itself is intact.
    let target_info = match field(msg, 40, "TargetInfo") {
        Ok(b) => av_pairs(b),
        Err(NtlmError::Field { offset, .. }) => TargetInfo {
            unterminated: true,
            ..av_pairs(msg.get(offset..).unwrap_or_default())
        },
        Err(_) => TargetInfo::default(),
    };
    Ok(Challenge {
        flags,
        target_name: (!name.is_empty()).then(|| text(name, flags)),
        server_challenge,
        target_info,
    })
}

fn av_pairs(mut b: &[u8]) -> TargetInfo {
    let mut info = TargetInfo::default();
    if b.is_empty() {
        return info;
    }
    for _ in 0..MAX_AV_PAIRS {
        let (Some(id), Some(len)) = (le16(b, 0), le16(b, 2)) else {
            info.unterminated = true;
            return info;
        };
        if id == 0 {
            return info;
        }
        let Some(value) = b.get(4..4 + len as usize) else {
            info.unterminated = true;
            return info;
        };
        let v = || Some(utf16(value));
        match id {
            1 => info.nb_computer = v(),
            2 => info.nb_domain = v(),
            3 => info.dns_computer = v(),
            4 => info.dns_domain = v(),
            5 => info.dns_tree = v(),
            _ => {}
        }
        b = &b[4 + len as usize..];
    }
    info.unterminated = true;
    info
}

fn parse_authenticate(msg: &[u8]) -> Result<Authenticate, NtlmError> {
    // The negotiate flags follow the six field descriptors; a message without them predates
    // NTLM2 and is OEM.
    need(msg, 52)?;
    let flags = le32(msg, 60).unwrap_or(0);
    let lm = field(msg, 12, "LmChallengeResponse")?;
    let nt = field(msg, 20, "NtChallengeResponse")?;
    let domain = field(msg, 28, "DomainName")?;
    let user = field(msg, 36, "UserName")?;
    let workstation = field(msg, 44, "Workstation")?;
    let user = text(user, flags);
    let version = match nt.len() {
        0 if user.is_empty() && lm.len() <= 1 => NtlmVersion::Anonymous,
        // LM-only clients (very old) send an empty NT response and a 24-byte LM one.
        0 if lm.len() == 24 => NtlmVersion::V1,
        24 => NtlmVersion::V1,
        n if n > 24 => NtlmVersion::V2,
        n => return Err(NtlmError::NtResponse(n)),
    };
    Ok(Authenticate {
        flags,
        user,
        domain: text(domain, flags),
        workstation: text(workstation, flags),
        lm_len: lm.len(),
        nt_len: nt.len(),
        version,
    })
}

/// A `(len u16, maxlen u16, offset u32)` descriptor at `at`, resolved against the message.
fn field<'a>(msg: &'a [u8], at: usize, name: &'static str) -> Result<&'a [u8], NtlmError> {
    let (Some(len), Some(offset)) = (le16(msg, at), le32(msg, at + 4)) else {
        return Err(NtlmError::Short {
            len: msg.len(),
            need: at + 8,
        });
    };
    let (len, offset) = (len as usize, offset as usize);
    if len == 0 {
        return Ok(&[]);
    }
    offset
        .checked_add(len)
        .and_then(|end| msg.get(offset..end))
        .ok_or(NtlmError::Field {
            field: name,
            offset,
            len,
            total: msg.len(),
        })
}

fn text(b: &[u8], flags: u32) -> String {
    if flags & NEGOTIATE_UNICODE != 0 || flags & NEGOTIATE_OEM == 0 && looks_utf16(b) {
        utf16(b)
    } else {
        // OEM code page: the ASCII range is common to all of them; others are kept as Latin-1
        // rather than guessed.
        b.iter().map(|&c| c as char).collect()
    }
}

/// A client that sets neither flag: UTF-16LE text has zero high bytes for ASCII names.
fn looks_utf16(b: &[u8]) -> bool {
    b.len() >= 2 && b.len() % 2 == 0 && b.iter().skip(1).step_by(2).all(|&c| c == 0)
}

pub(crate) fn utf16(b: &[u8]) -> String {
    let units = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

fn need(msg: &[u8], n: usize) -> Result<(), NtlmError> {
    if msg.len() < n {
        Err(NtlmError::Short {
            len: msg.len(),
            need: n,
        })
    } else {
        Ok(())
    }
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

// ---------------------------------------------------------------------------------------------
// GSS-API / SPNEGO (RFC 2743 3.1, RFC 4178 4.2)

/// DER encoding of 1.3.6.1.5.5.2 (SPNEGO).
const OID_SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
/// 1.2.840.113554.1.2.2 (Kerberos 5).
const OID_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// 1.2.840.48018.1.2.2 (Microsoft's mistyped Kerberos 5 OID, still sent by Windows).
const OID_MS_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];

/// One DER element: (tag byte, contents, the bytes after it). Only definite lengths of up to
/// four bytes; anything else is not a token we read.
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    if tag & 0x1f == 0x1f {
        return None; // multi-byte tags do not occur in these tokens
    }
    let first = *b.get(1)? as usize;
    let (len, hdr) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *b.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    Some((tag, b.get(hdr..end)?, b.get(end..)?))
}

/// The context-tagged (`[n]`) element of a SEQUENCE's contents.
fn ctx_field(mut seq: &[u8], n: u8) -> Option<&[u8]> {
    while !seq.is_empty() {
        let (tag, content, rest) = tlv(seq)?;
        if tag == 0xa0 | n {
            return Some(content);
        }
        seq = rest;
    }
    None
}

/// The mechanism token of a SPNEGO negotiation token: NegTokenInit's `mechToken` or
/// NegTokenResp's `responseToken`, unwrapping the GSS-API initial-context framing.
fn spnego_inner(token: &[u8]) -> Option<&[u8]> {
    let (tag, content, _) = tlv(token)?;
    let nego = match tag {
        0x60 => {
            let (t, oid, rest) = tlv(content)?;
            if t != 0x06 || oid != OID_SPNEGO {
                return None;
            }
            rest
        }
        0xa0 | 0xa1 => token,
        _ => return None,
    };
    let (tag, content, _) = tlv(nego)?;
    let (seq_tag, seq, _) = tlv(content)?;
    if seq_tag != 0x30 || (tag != 0xa0 && tag != 0xa1) {
        return None;
    }
    // mechToken is [2] of NegTokenInit, responseToken [2] of NegTokenResp.
    let (t, inner, _) = tlv(ctx_field(seq, 2)?)?;
    (t == 0x04).then_some(inner)
}

/// The NTLMSSP message in a security token: the token itself when it starts with the
/// signature, else the mechanism token of a SPNEGO wrapping.
pub fn find_ntlmssp(token: &[u8]) -> Option<&[u8]> {
    if token.starts_with(SIGNATURE) {
        return Some(token);
    }
    let inner = spnego_inner(token)?;
    inner.starts_with(SIGNATURE).then_some(inner)
}

/// What a Kerberos AP-REQ shows in the clear: the ticket's realm and service name and the
/// encryption type of its encrypted part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApReqTicket {
    pub realm: String,
    /// Name components joined by `/` (`cifs/dc1.rampart.lab`).
    pub sname: String,
    pub etype: i32,
    /// Fingerprint of the ticket's cipher text (the same ticket presented twice matches).
    pub fingerprint: u64,
    /// The authenticator's etype: the ticket's session key type.
    pub authenticator_etype: Option<i32>,
}

/// A DER INTEGER of up to four bytes as `i32`.
fn der_i32(v: &[u8]) -> Option<i32> {
    if v.is_empty() || v.len() > 4 {
        return None;
    }
    let mut n: i32 = if v[0] & 0x80 != 0 { -1 } else { 0 };
    for &b in v {
        n = (n << 8) | b as i32;
    }
    Some(n)
}

/// The etype (`[0]`) of an EncryptedData sequence's contents.
fn enc_etype(enc: &[u8]) -> Option<i32> {
    let (t, etype, _) = tlv(ctx_field(enc, 0)?)?;
    if t != 0x02 {
        return None;
    }
    der_i32(etype)
}

/// A Kerberos AP-REQ inside a GSS-API token (raw, or as SPNEGO's mechanism token).
pub fn find_kerberos_ap_req(token: &[u8]) -> Option<ApReqTicket> {
    let krb = spnego_inner(token).unwrap_or(token);
    let (tag, content, _) = tlv(krb)?;
    if tag != 0x60 {
        return None;
    }
    let (t, oid, rest) = tlv(content)?;
    if t != 0x06 || (oid != OID_KRB5 && oid != OID_MS_KRB5) {
        return None;
    }
    // TOK_ID 01 00 = KRB_AP_REQ (RFC 1964 1.1.1).
    if rest.get(..2)? != [0x01, 0x00] {
        return None;
    }
    let (tag, ap, _) = tlv(rest.get(2..)?)?;
    if tag != 0x6e {
        return None;
    }
    let (t, ap_seq, _) = tlv(ap)?;
    if t != 0x30 {
        return None;
    }
    let (t, ticket, _) = tlv(ctx_field(ap_seq, 3)?)?;
    if t != 0x61 {
        return None;
    }
    let (t, tseq, _) = tlv(ticket)?;
    if t != 0x30 {
        return None;
    }
    let (_, realm, _) = tlv(ctx_field(tseq, 1)?)?;
    let (_, pname, _) = tlv(ctx_field(tseq, 2)?)?;
    let (_, names, _) = tlv(ctx_field(pname, 1)?)?;
    let mut parts = Vec::new();
    let mut rest = names;
    while !rest.is_empty() && parts.len() < 8 {
        let (_, s, r) = tlv(rest)?;
        parts.push(String::from_utf8_lossy(s).into_owned());
        rest = r;
    }
    let (_, enc, _) = tlv(ctx_field(tseq, 3)?)?;
    let etype = enc_etype(enc)?;
    let (_, cipher, _) = tlv(ctx_field(enc, 2)?)?;
    let authenticator_etype = ctx_field(ap_seq, 4)
        .and_then(tlv)
        .and_then(|(t, a, _)| (t == 0x30).then_some(a))
        .and_then(enc_etype);
    Some(ApReqTicket {
        realm: String::from_utf8_lossy(realm).into_owned(),
        sname: parts.join("/"),
        etype,
        fingerprint: super::fnv1a(cipher),
        authenticator_etype,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
    }

    /// An AUTHENTICATE with the given payload fields, laid out after a 72-byte header.
    pub(crate) fn authenticate(
        lm: &[u8],
        nt: &[u8],
        domain: &str,
        user: &str,
        ws: &str,
    ) -> Vec<u8> {
        let fields = [
            lm.to_vec(),
            nt.to_vec(),
            utf16le(domain),
            utf16le(user),
            utf16le(ws),
            vec![],
        ];
        let mut m = SIGNATURE.to_vec();
        m.extend(3u32.to_le_bytes());
        let mut off = 72u32;
        let mut payload: Vec<u8> = Vec::new();
        for f in &fields {
            m.extend((f.len() as u16).to_le_bytes());
            m.extend((f.len() as u16).to_le_bytes());
            m.extend(off.to_le_bytes());
            off += f.len() as u32;
            payload.extend(f);
        }
        m.extend((NEGOTIATE_UNICODE | 0x0008_0000).to_le_bytes());
        m.resize(72, 0);
        m.extend(payload);
        m
    }

    #[test]
    fn authenticate_versions() {
        let v2 = authenticate(&[0; 24], &[7; 120], "RAMPART", "rmoore", "WS1");
        let Ok(Message::Authenticate(a)) = parse(&v2) else {
            panic!("not parsed")
        };
        assert_eq!(
            (a.user.as_str(), a.domain.as_str(), a.workstation.as_str()),
            ("rmoore", "RAMPART", "WS1")
        );
        assert_eq!(a.version, NtlmVersion::V2);
        let v1 = authenticate(&[0; 24], &[7; 24], "D", "u", "");
        assert!(matches!(parse(&v1), Ok(Message::Authenticate(a)) if a.version == NtlmVersion::V1));
        let anon = authenticate(&[0], &[], "", "", "");
        assert!(
            matches!(parse(&anon), Ok(Message::Authenticate(a)) if a.version == NtlmVersion::Anonymous && a.account().is_none())
        );
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let m = authenticate(&[0; 24], &[7; 60], "RAMPART", "rmoore", "WS1");
        for n in 0..m.len() {
            assert!(parse(&m[..n]).is_err(), "prefix {n} parsed");
        }
        // A length pointing past the end names the field.
        let mut bad = m.clone();
        bad[36] = 0xff;
        assert!(matches!(
            parse(&bad),
            Err(NtlmError::Field {
                field: "UserName",
                ..
            })
        ));
    }

    #[test]
    fn av_pairs_empty_unterminated_and_endless() {
        assert_eq!(av_pairs(&[]), TargetInfo::default());
        let mut b = vec![2, 0, 4, 0];
        b.extend(utf16le("RA"));
        let t = av_pairs(&b);
        assert_eq!(t.nb_domain.as_deref(), Some("RA"));
        assert!(t.unterminated);
        b.extend([0, 0, 0, 0]);
        assert!(!av_pairs(&b).unterminated);
        // Thousands of empty pairs without EOL stop at the bound.
        let endless: Vec<u8> = std::iter::repeat_n([6u8, 0, 0, 0], 5000)
            .flatten()
            .collect();
        assert!(av_pairs(&endless).unterminated);
    }

    #[test]
    fn challenge_with_target_info_past_the_end_is_kept() {
        let mut m = SIGNATURE.to_vec();
        m.extend(2u32.to_le_bytes());
        m.extend([0, 0, 0, 0, 56, 0, 0, 0]); // empty target name
        m.extend(NEGOTIATE_UNICODE.to_le_bytes());
        m.extend([1, 2, 3, 4, 5, 6, 7, 8]);
        m.extend([0; 8]);
        m.extend([36, 0, 36, 0, 56, 0, 0, 0]); // 36 bytes of target info at 56 …
        m.resize(56, 0);
        m.extend([2, 0, 4, 0]);
        m.extend(utf16le("RA")); // … of which 8 are there
        let Ok(Message::Challenge(c)) = parse(&m) else {
            panic!("challenge not kept")
        };
        assert_eq!(c.server_challenge, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(c.target_info.nb_domain.as_deref(), Some("RA"));
        assert!(c.target_info.unterminated);
        for n in 0..m.len() {
            let _ = parse(&m[..n]);
        }
    }

    #[test]
    fn spnego_wrapping_is_unwrapped() {
        let ntlm = authenticate(&[0; 24], &[7; 24], "D", "u", "");
        // NegTokenResp { responseToken [2] OCTET STRING }
        let mut octet = vec![0x04, 0x81, ntlm.len() as u8];
        octet.extend(&ntlm);
        let mut f2 = vec![0xa2, 0x81, octet.len() as u8];
        f2.extend(&octet);
        let mut seq = vec![0x30, 0x81, f2.len() as u8];
        seq.extend(&f2);
        let mut resp = vec![0xa1, 0x81, seq.len() as u8];
        resp.extend(&seq);
        assert_eq!(find_ntlmssp(&resp), Some(&ntlm[..]));
        assert_eq!(find_ntlmssp(&ntlm), Some(&ntlm[..]));
        for n in 0..resp.len() {
            assert_eq!(find_ntlmssp(&resp[..n]), None);
        }
    }
}
