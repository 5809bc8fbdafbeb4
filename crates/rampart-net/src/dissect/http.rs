//! HTTP/1.1 carrying WS-Management: WinRM and PowerShell remoting (TCP 5985, and 47001 for the
//! local listener; 5986 is TLS and not readable), RFC 9112 message framing.
//!
//! What is read, per request/response pair:
//! - `Authorization: Negotiate|NTLM <base64>`: an NTLMSSP AUTHENTICATE becomes an
//!   [`NtlmAuth`](EventKind::NtlmAuth) (carrier `http`) whose outcome is the server's answer
//!   (a final `401` is a failed logon, reported as `STATUS_LOGON_FAILURE` because HTTP says no
//!   more; a `403` is an account that authenticated but may not use the service); a Kerberos AP-REQ becomes a [`KerberosApRequest`](EventKind::KerberosApRequest).
//! - The WS-Management session: the first request of a connection to `/wsman` that the server
//!   accepts (2xx) and that is either PowerShell remoting (the client puts `PSVersion=` in the
//!   URL) or, in a clear-text SOAP body, a `…/transfer/Create` of a shell resource, becomes one
//!   [`RemoteShell`](EventKind::RemoteShell) with the resource (when the body is readable), the
//!   authentication scheme and the client. Bodies encrypted by the authentication
//!   (`multipart/encrypted`, what Windows sends by default) are counted as encrypted and not
//!   read; their framing still is, so the connection is followed to its end.
//!
//! Bounds: a header block over [`MAX_HEADER`] bytes, or a malformed start line or chunk size,
//! ends the flow with a note; at most [`MAX_PENDING`] requests wait for answers; at most
//! [`MAX_SOAP`] bytes of one clear-text body are kept for reading.

use super::ntlm::{self, Message};
use super::{Ctx, Direction, Dissector, Note, Verdict};
use base64::Engine as _;
use rampart_core::{Account, EventKind, KerberosWire, NtlmWire, Outcome, Timestamp};
use std::collections::VecDeque;

const PROTOCOL: &str = "http";
/// Longest header block read (start line and headers).
pub const MAX_HEADER: usize = 32 * 1024;
/// Requests awaiting their responses on one connection.
pub const MAX_PENDING: usize = 64;
/// Clear-text SOAP body bytes kept for finding the action and resource.
pub const MAX_SOAP: usize = 16 * 1024;
/// `STATUS_LOGON_FAILURE`: what a refused NTLM authentication over HTTP is reported as.
const STATUS_LOGON_FAILURE: u32 = 0xC000_006D;

/// Whether a TCP flow's first client bytes are a WS-Management request (WinRM away from its
/// port).
pub fn looks_like_wsman(first: &[u8]) -> bool {
    first.starts_with(b"POST /wsman")
}

/// How the body after a header block is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// No body, or all of it read.
    None,
    /// This many bytes remain.
    Length(usize),
    /// Chunked: this many bytes remain of the current chunk (then its CRLF).
    Chunk { left: usize, crlf: usize },
    /// Chunked, at a chunk-size line (or the trailer after the last chunk).
    ChunkSize,
    /// Chunked, in the trailer section after the zero-size chunk.
    Trailer,
}

/// A request waiting for its response.
#[derive(Debug)]
struct Request {
    frame: u64,
    time: Timestamp,
    wsman: bool,
    /// `PSVersion=` of the URL: PowerShell remoting.
    ps_version: Option<String>,
    scheme: Option<String>,
    ntlm: Option<ntlm::Authenticate>,
    /// The clear-text SOAP body, as far as kept.
    soap: Option<Vec<u8>>,
}

/// One direction's framing state.
#[derive(Debug, Default)]
struct Side {
    /// A header block (or chunk-size line) not yet complete.
    head: Vec<u8>,
    body: Option<Body>,
    /// Whether the body being read is kept (a clear-text SOAP request).
    keep: bool,
}

/// One HTTP connection.
#[derive(Debug, Default)]
pub struct Http {
    sides: [Side; 2],
    pending: VecDeque<Request>,
    /// The request whose body is being read (client side), until it is queued.
    reading: Option<Request>,
    /// The account NTLM authenticated on this connection.
    account: Option<Account>,
    shell_reported: bool,
    encrypted_noted: bool,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A header's value (case-insensitive name), trimmed.
fn header<'a>(lines: &[&'a str], name: &str) -> Option<&'a str> {
    lines.iter().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The body framing the headers announce.
fn body_of(lines: &[&str]) -> Result<Body, String> {
    if header(lines, "transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return Ok(Body::ChunkSize);
    }
    match header(lines, "content-length") {
        None => Ok(Body::None),
        Some(v) => v
            .parse::<usize>()
            .map(|n| if n == 0 { Body::None } else { Body::Length(n) })
            .map_err(|_| format!("bad Content-Length {v:?}")),
    }
}

/// The value of `key=` in a URL's query string.
fn query_value<'a>(target: &'a str, key: &str) -> Option<&'a str> {
    let (_, query) = target.split_once('?')?;
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        k.eq_ignore_ascii_case(key).then_some(v)
    })
}

/// The text between `<…ResourceURI…>` and `</`, or of an element named `tag`, in a SOAP body.
fn element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let mut rest = xml;
    loop {
        let at = rest.find(tag)?;
        let before = &rest[..at];
        let after = &rest[at + tag.len()..];
        // An opening tag: `<prefix:Tag` then attributes and `>`.
        if before.ends_with(':') || before.ends_with('<') {
            let open_end = after.find('>')?;
            let text = &after[open_end + 1..];
            let close = text.find("</")?;
            return Some(text[..close].trim());
        }
        rest = after;
    }
}

impl Http {
    pub fn new() -> Http {
        Http::default()
    }

    fn idx(dir: Direction) -> usize {
        match dir {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }

    fn malformed(cx: &mut Ctx<'_>, reason: String) -> Verdict {
        cx.notes.push(Note::Malformed {
            protocol: PROTOCOL,
            reason: format!("frame {}: {reason}", cx.frame),
        });
        Verdict::Done
    }

    /// A complete request header block.
    fn request(&mut self, lines: &[&str], cx: &mut Ctx<'_>) -> Result<Body, String> {
        let start = lines.first().copied().unwrap_or_default();
        let mut parts = start.split(' ');
        let (Some(method), Some(target), Some(version)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("bad request line {:?}", clip(start)));
        };
        if !version.starts_with("HTTP/") || method.is_empty() {
            return Err(format!("bad request line {:?}", clip(start)));
        }
        let body = body_of(lines)?;
        let path = target.split('?').next().unwrap_or(target);
        let mut req = Request {
            frame: cx.frame,
            time: cx.time,
            wsman: path.eq_ignore_ascii_case("/wsman"),
            ps_version: query_value(target, "PSVersion").map(str::to_string),
            scheme: None,
            ntlm: None,
            soap: None,
        };
        if let Some(auth) = header(lines, "authorization") {
            let (scheme, token) = auth.split_once(' ').unwrap_or((auth, ""));
            req.scheme = Some(scheme.to_string());
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(token.trim()) {
                self.token(&bytes, &mut req, cx);
            }
        }
        let content_type = header(lines, "content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/encrypted") {
            if !self.encrypted_noted {
                self.encrypted_noted = true;
                cx.notes.push(Note::Encrypted { protocol: PROTOCOL });
            }
        } else if content_type.contains("soap+xml") && body != Body::None {
            req.soap = Some(Vec::new());
        }
        self.sides[0].keep = req.soap.is_some();
        if body == Body::None {
            self.queue(req, cx);
        } else {
            self.reading = Some(req);
        }
        Ok(body)
    }

    /// A security token of an `Authorization` header.
    fn token(&mut self, bytes: &[u8], req: &mut Request, cx: &mut Ctx<'_>) {
        if let Some(m) = ntlm::find_ntlmssp(bytes) {
            match ntlm::parse(m) {
                Ok(Message::Authenticate(a)) => req.ntlm = Some(a),
                Ok(_) => {}
                Err(e) => {
                    cx.notes.push(Note::Malformed {
                        protocol: PROTOCOL,
                        reason: format!("frame {}: {e}", cx.frame),
                    });
                }
            }
            return;
        }
        if let Some(ap) = ntlm::find_kerberos_ap_req(bytes) {
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
            let mut ev = cx.event(kind, cx.time, cx.frame);
            ev.outcome = Outcome::Unknown;
            cx.events.push(ev);
        }
    }

    fn queue(&mut self, req: Request, cx: &mut Ctx<'_>) {
        if self.pending.len() >= MAX_PENDING {
            // Answers that never come: the oldest request is settled unanswered.
            if let Some(old) = self.pending.pop_front() {
                self.settle(old, None, cx);
            }
        }
        self.pending.push_back(req);
    }

    /// A complete response header block.
    fn response(&mut self, lines: &[&str], cx: &mut Ctx<'_>) -> Result<Body, String> {
        let start = lines.first().copied().unwrap_or_default();
        let mut parts = start.split(' ');
        let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
            return Err(format!("bad status line {:?}", clip(start)));
        };
        let Ok(code) = code.parse::<u16>() else {
            return Err(format!("bad status line {:?}", clip(start)));
        };
        if !version.starts_with("HTTP/") {
            return Err(format!("bad status line {:?}", clip(start)));
        }
        let body = body_of(lines)?;
        if code >= 200 {
            if let Some(req) = self.pending.pop_front() {
                self.settle(req, Some(code), cx);
            }
        }
        Ok(body)
    }

    /// A request and the status that answered it (`None`: never answered).
    fn settle(&mut self, req: Request, code: Option<u16>, cx: &mut Ctx<'_>) {
        // Only 401 refuses the credentials; 403 is an authenticated account without access
        // (not in Remote Management Users), which is no failed logon.
        let outcome = match code {
            Some(401) => Outcome::Failure(STATUS_LOGON_FAILURE),
            Some(_) => Outcome::Success,
            None => Outcome::Unknown,
        };
        let accepted = code.is_some_and(|c| (200..300).contains(&c));
        if let Some(a) = req.ntlm {
            let status = match outcome {
                Outcome::Failure(s) => s,
                _ => 0,
            };
            let kind = EventKind::NtlmAuth {
                status,
                workstation: a.workstation(),
                wire: Some(Box::new(NtlmWire {
                    version: a.version.as_str().to_string(),
                    carrier: PROTOCOL.to_string(),
                })),
            };
            let mut ev = cx.event(kind, req.time, req.frame);
            ev.actor = a.account();
            ev.outcome = outcome;
            if outcome == Outcome::Success {
                self.account = ev.actor.clone();
            }
            cx.events.push(ev);
        }
        if self.shell_reported || !req.wsman || !accepted {
            return;
        }
        let soap = req.soap.as_deref().map(String::from_utf8_lossy);
        let resource = soap.as_deref().and_then(|x| {
            let action = element(x, "Action")?;
            action
                .ends_with("/transfer/Create")
                .then(|| element(x, "ResourceURI"))
                .flatten()
                .map(str::to_string)
        });
        if resource.is_none() && req.ps_version.is_none() {
            return;
        }
        self.shell_reported = true;
        let kind = EventKind::RemoteShell {
            protocol: "winrm".to_string(),
            resource,
            auth: req.scheme,
            client: req.ps_version.map(|v| format!("PowerShell {v}")),
        };
        let mut ev = cx.event(kind, req.time, req.frame);
        ev.actor = self.account.clone();
        ev.outcome = outcome;
        cx.events.push(ev);
    }

    /// Feeds one direction's bytes through the framing.
    fn feed(&mut self, dir: Direction, mut bytes: &[u8], cx: &mut Ctx<'_>) -> Result<(), String> {
        let i = Self::idx(dir);
        while !bytes.is_empty() {
            match self.sides[i].body {
                Some(Body::Length(left)) => {
                    let n = left.min(bytes.len());
                    self.body_bytes(i, &bytes[..n]);
                    bytes = &bytes[n..];
                    self.sides[i].body = if n == left {
                        None
                    } else {
                        Some(Body::Length(left - n))
                    };
                    if self.sides[i].body.is_none() {
                        self.body_done(i, cx);
                    }
                }
                Some(Body::Chunk { left, crlf }) => {
                    if left > 0 {
                        let n = left.min(bytes.len());
                        self.body_bytes(i, &bytes[..n]);
                        bytes = &bytes[n..];
                        self.sides[i].body = Some(Body::Chunk {
                            left: left - n,
                            crlf,
                        });
                    } else {
                        let n = crlf.min(bytes.len());
                        bytes = &bytes[n..];
                        self.sides[i].body = Some(if n == crlf {
                            Body::ChunkSize
                        } else {
                            Body::Chunk {
                                left: 0,
                                crlf: crlf - n,
                            }
                        });
                    }
                }
                Some(Body::ChunkSize) | Some(Body::Trailer) => {
                    let Some(line) = self.line(i, &mut bytes)? else {
                        return Ok(());
                    };
                    if self.sides[i].body == Some(Body::Trailer) {
                        if line.is_empty() {
                            self.sides[i].body = None;
                            self.body_done(i, cx);
                        }
                        continue;
                    }
                    let size = line.split(';').next().unwrap_or_default().trim();
                    let size = usize::from_str_radix(size, 16)
                        .map_err(|_| format!("bad chunk size {:?}", clip(&line)))?;
                    self.sides[i].body = Some(if size == 0 {
                        Body::Trailer
                    } else {
                        Body::Chunk {
                            left: size,
                            crlf: 2,
                        }
                    });
                }
                Some(Body::None) | None => {
                    let side = &mut self.sides[i];
                    let seen = side.head.len();
                    side.head.extend_from_slice(bytes);
                    // Search from a little before the new bytes: the blank line may straddle.
                    let from = seen.saturating_sub(3);
                    let Some(end) = find(&side.head[from..], b"\r\n\r\n").map(|p| from + p + 4)
                    else {
                        if side.head.len() > MAX_HEADER {
                            return Err(format!("header block over {MAX_HEADER} bytes"));
                        }
                        return Ok(());
                    };
                    let used = end - seen;
                    bytes = &bytes[used.min(bytes.len())..];
                    let head = std::mem::take(&mut side.head);
                    let text = String::from_utf8_lossy(&head[..end - 4]);
                    let lines: Vec<&str> = text.split("\r\n").collect();
                    let body = match dir {
                        Direction::ToServer => self.request(&lines, cx)?,
                        Direction::ToClient => self.response(&lines, cx)?,
                    };
                    self.sides[i].body = (body != Body::None).then_some(body);
                }
            }
        }
        Ok(())
    }

    /// One CRLF-terminated line of a chunked body, buffered across calls.
    fn line(&mut self, i: usize, bytes: &mut &[u8]) -> Result<Option<String>, String> {
        let side = &mut self.sides[i];
        match find(bytes, b"\n") {
            Some(p) => {
                side.head.extend_from_slice(&bytes[..p]);
                *bytes = &bytes[p + 1..];
                let line = String::from_utf8_lossy(&side.head)
                    .trim_end_matches('\r')
                    .to_string();
                side.head.clear();
                Ok(Some(line))
            }
            None => {
                side.head.extend_from_slice(bytes);
                *bytes = &[];
                if side.head.len() > MAX_HEADER {
                    return Err("chunk-size line too long".into());
                }
                Ok(None)
            }
        }
    }

    fn body_bytes(&mut self, i: usize, data: &[u8]) {
        if i != 0 || !self.sides[0].keep {
            return;
        }
        if let Some(soap) = self.reading.as_mut().and_then(|r| r.soap.as_mut()) {
            let room = MAX_SOAP.saturating_sub(soap.len());
            soap.extend_from_slice(&data[..room.min(data.len())]);
        }
    }

    fn body_done(&mut self, i: usize, cx: &mut Ctx<'_>) {
        if i == 0 {
            self.sides[0].keep = false;
            if let Some(req) = self.reading.take() {
                self.queue(req, cx);
            }
        }
    }
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

impl Dissector for Http {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn data(&mut self, dir: Direction, bytes: &[u8], cx: &mut Ctx<'_>) -> Verdict {
        match self.feed(dir, bytes, cx) {
            Ok(()) => Verdict::More,
            Err(reason) => {
                self.end(cx);
                Self::malformed(cx, reason)
            }
        }
    }

    fn end(&mut self, cx: &mut Ctx<'_>) {
        if let Some(req) = self.reading.take() {
            self.queue(req, cx);
        }
        while let Some(req) = self.pending.pop_front() {
            self.settle(req, None, cx);
        }
    }

    fn buffered(&self) -> usize {
        self.sides.iter().map(|s| s.head.capacity()).sum::<usize>()
            + self
                .pending
                .iter()
                .chain(self.reading.iter())
                .map(|r| r.soap.as_ref().map_or(0, Vec::capacity) + 128)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::{FlowKey, Transport};
    use rampart_core::IdentityEvent;
    use std::sync::Arc;

    fn run(exchanges: &[(Direction, &[u8])]) -> (Vec<IdentityEvent>, Vec<Note>) {
        let source: Arc<str> = Arc::from("t.pcap");
        let mut events = Vec::new();
        let mut notes = Vec::new();
        let mut d = Http::new();
        let mut cx = Ctx {
            source: &source,
            frame: 1,
            time: chrono::DateTime::UNIX_EPOCH,
            flow: FlowKey {
                client: "10.0.0.5:50000".parse().unwrap(),
                server: "10.0.0.7:5985".parse().unwrap(),
            },
            transport: Transport::Tcp,
            events: &mut events,
            notes: &mut notes,
        };
        for (i, (dir, bytes)) in exchanges.iter().enumerate() {
            cx.frame = i as u64 + 1;
            if d.data(*dir, bytes, &mut cx) == Verdict::Done {
                break;
            }
        }
        d.end(&mut cx);
        (events, notes)
    }

    const PS_POST: &[u8] = b"POST /wsman?PSVersion=5.1.18362.1110 HTTP/1.1\r\nConnection: Keep-Alive\r\nContent-Type: multipart/encrypted;protocol=\"application/HTTP-Kerberos-session-encrypted\";boundary=\"Encrypted Boundary\"\r\nContent-Length: 10\r\nHost: ws7:5985\r\n\r\n0123456789";

    fn shells(events: &[IdentityEvent]) -> Vec<(Option<String>, Option<String>, Outcome)> {
        events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::RemoteShell {
                    resource, client, ..
                } => Some((resource.clone(), client.clone(), e.outcome)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn powershell_remoting_is_one_session_per_connection() {
        let ok =
            b"HTTP/1.1 200 \r\nContent-Type: multipart/encrypted\r\nContent-Length: 4\r\n\r\nabcd";
        // Split mid-header and mid-body: framing holds across segments.
        let (events, notes) = run(&[
            (Direction::ToServer, &PS_POST[..40]),
            (Direction::ToServer, &PS_POST[40..]),
            (Direction::ToClient, &ok[..20]),
            (Direction::ToClient, &ok[20..]),
            (Direction::ToServer, PS_POST),
            (Direction::ToClient, ok),
        ]);
        assert_eq!(
            shells(&events),
            vec![(
                None,
                Some("PowerShell 5.1.18362.1110".into()),
                Outcome::Success
            )]
        );
        assert!(notes.contains(&Note::Encrypted { protocol: PROTOCOL }));
        // Evidence is the frame that completed the request header.
        assert_eq!(events[0].evidence.record, 2);
    }

    #[test]
    fn a_clear_text_shell_create_names_its_resource() {
        let body = "<s:Envelope><s:Header><a:Action s:mustUnderstand=\"true\">http://schemas.xmlsoap.org/ws/2004/09/transfer/Create</a:Action><w:ResourceURI s:mustUnderstand=\"true\">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI></s:Header></s:Envelope>";
        let req = format!(
            "POST /wsman HTTP/1.1\r\nAuthorization: Basic dXNlcjpwYXNz\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n",
            20,
            &body[..20],
            body.len() - 20,
            &body[20..]
        );
        let (events, _) = run(&[
            (Direction::ToServer, req.as_bytes()),
            (
                Direction::ToClient,
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            ),
        ]);
        assert_eq!(
            shells(&events),
            vec![(
                Some("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd".into()),
                None,
                Outcome::Success
            )]
        );
    }

    #[test]
    fn refused_or_plain_wsman_requests_are_no_session() {
        let identify = b"POST /wsman HTTP/1.1\r\nContent-Type: application/soap+xml\r\nContent-Length: 5\r\n\r\nhello";
        let (events, _) = run(&[
            // Refused PowerShell remoting.
            (Direction::ToServer, PS_POST),
            (
                Direction::ToClient,
                b"HTTP/1.1 401 \r\nWWW-Authenticate: Kerberos\r\nContent-Length: 0\r\n\r\n",
            ),
            // A WS-Man request without PSVersion and without a shell Create (Identify, CIM).
            (Direction::ToServer, identify),
            (
                Direction::ToClient,
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            ),
        ]);
        assert!(shells(&events).is_empty(), "{events:?}");
    }

    #[test]
    fn damaged_framing_is_a_note_not_a_panic() {
        for bad in [
            &b"POST /wsman HTTP/1.1\r\nContent-Length: x\r\n\r\n"[..],
            b"GARBAGE\r\n\r\n",
            b"POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ] {
            let (_, notes) = run(&[(Direction::ToServer, bad)]);
            assert!(
                notes.iter().any(|n| matches!(n, Note::Malformed { .. })),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let huge = vec![b'a'; MAX_HEADER + 10];
        let (_, notes) = run(&[(Direction::ToServer, &huge)]);
        assert!(notes.iter().any(|n| matches!(n, Note::Malformed { .. })));
    }

    #[test]
    fn ntlm_in_authorization_headers_is_a_logon_with_the_servers_verdict() {
        let token = crate::dissect::ntlm::tests::authenticate(
            &[0; 24], &[7; 60], "CORP", "pgustavo", "WS5",
        );
        let header = base64::engine::general_purpose::STANDARD.encode(&token);
        let post = format!(
            "POST /wsman HTTP/1.1\r\nAuthorization: Negotiate {header}\r\nContent-Length: 0\r\n\r\n"
        );
        let (events, _) = run(&[
            (Direction::ToServer, post.as_bytes()),
            (
                Direction::ToClient,
                b"HTTP/1.1 401 \r\nContent-Length: 0\r\n\r\n",
            ),
            (Direction::ToServer, post.as_bytes()),
            (
                Direction::ToClient,
                b"HTTP/1.1 403 \r\nContent-Length: 0\r\n\r\n",
            ),
        ]);
        let auths: Vec<_> = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::NtlmAuth { wire: Some(w), .. } => Some((
                    e.actor.as_ref().map(|a| a.name.clone()),
                    w.carrier.clone(),
                    e.outcome,
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            auths,
            vec![
                (
                    Some("pgustavo".into()),
                    "http".into(),
                    Outcome::Failure(STATUS_LOGON_FAILURE)
                ),
                // Authenticated, then refused access: not a failed logon.
                (Some("pgustavo".into()), "http".into(), Outcome::Success),
            ]
        );
        assert!(shells(&events).is_empty());
    }
}
