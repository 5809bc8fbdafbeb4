//! DNS (RFC 1035) over UDP and TCP (2-byte length prefix), by hand: only the header and the
//! first question are read.
//!
//! One event per query, at its response (matched by id on the flow) or, unanswered, when the
//! flow ends: a zone transfer (AXFR 252, IXFR 251) is an [`EventKind::DnsZoneTransfer`], refused
//! when the rcode is not 0 (Samba answers AXFR with NOERROR and the SOA alone: an attempt, not a
//! refusal); anything else an [`EventKind::DnsQuery`]. Names follow compression pointers
//! backwards only, with bounded jumps and length, so a looping or oversized name is a malformed
//! message, never a hang.

use super::{Ctx, Direction, Dissector, Frame, Framer, Transport, Verdict};
use rampart_core::{EventKind, Outcome, Timestamp};

const PROTOCOL: &str = "dns";
const MAX_PENDING: usize = 256;
/// Ids of recent answers: the later messages of a TCP zone transfer repeat the id.
const RECENT: usize = 8;
const MAX_NAME: usize = 255;
const MAX_JUMPS: usize = 32;

struct Query {
    id: u16,
    frame: u64,
    time: Timestamp,
    name: String,
    qtype: u16,
}

pub struct Dns {
    transport: Transport,
    framers: [Framer; 2],
    pending: Vec<Query>,
    recent: [Option<u16>; RECENT],
    recent_at: usize,
}

impl Dns {
    pub fn new(transport: Transport) -> Dns {
        Dns {
            transport,
            framers: Default::default(),
            pending: Vec::new(),
            recent: [None; RECENT],
            recent_at: 0,
        }
    }

    fn message(&mut self, dir: Direction, m: &[u8], cx: &mut Ctx<'_>) -> Verdict {
        let Some(h) = m.get(..12) else {
            cx.malformed(
                PROTOCOL,
                format!("message of {} bytes, shorter than a header", m.len()),
            );
            return Verdict::More;
        };
        let id = u16::from_be_bytes([h[0], h[1]]);
        let flags = u16::from_be_bytes([h[2], h[3]]);
        let qd = u16::from_be_bytes([h[4], h[5]]);
        let an = u16::from_be_bytes([h[6], h[7]]);
        let response = flags & 0x8000 != 0;
        let opcode = (flags >> 11) & 0xf;
        let rcode = flags & 0xf;
        if opcode != 0 {
            // NOTIFY, UPDATE, …: no query to report.
            return Verdict::More;
        }
        let question = if qd > 0 {
            match read_name(m, 12) {
                Ok((name, end)) => match m.get(end..end + 2) {
                    Some(t) => Some((name, u16::from_be_bytes([t[0], t[1]]))),
                    None => {
                        cx.malformed(PROTOCOL, "question cut short");
                        None
                    }
                },
                Err(why) => {
                    cx.malformed(PROTOCOL, format!("question name: {why}"));
                    None
                }
            }
        } else {
            None
        };
        match (response, dir) {
            (false, Direction::ToServer) => {
                let Some((name, qtype)) = question else {
                    return Verdict::More;
                };
                if self.pending.iter().any(|q| q.id == id && q.qtype == qtype) {
                    return Verdict::More; // a retransmitted query
                }
                if self.pending.len() >= MAX_PENDING {
                    let old = self.pending.remove(0);
                    emit(cx, old, None);
                }
                self.pending.push(Query {
                    id,
                    frame: cx.frame,
                    time: cx.time,
                    name,
                    qtype,
                });
            }
            (true, Direction::ToClient) => {
                let pos = self.pending.iter().position(|q| {
                    q.id == id && question.as_ref().is_none_or(|(_, t)| *t == q.qtype)
                });
                let query = match pos {
                    Some(p) => self.pending.remove(p),
                    None => {
                        if self.recent.contains(&Some(id)) {
                            return Verdict::More;
                        }
                        let Some((name, qtype)) = question else {
                            return Verdict::More;
                        };
                        Query {
                            id,
                            frame: cx.frame,
                            time: cx.time,
                            name,
                            qtype,
                        }
                    }
                };
                self.recent[self.recent_at] = Some(id);
                self.recent_at = (self.recent_at + 1) % RECENT;
                emit(cx, query, Some((rcode, an)));
            }
            _ => cx.malformed(PROTOCOL, "message in the wrong direction"),
        }
        Verdict::More
    }
}

impl Dissector for Dns {
    fn protocol(&self) -> &'static str {
        PROTOCOL
    }

    fn data(&mut self, dir: Direction, bytes: &[u8], cx: &mut Ctx<'_>) -> Verdict {
        if self.transport == Transport::Udp {
            return self.message(dir, bytes, cx);
        }
        let i = match dir {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        };
        let mut framer = std::mem::take(&mut self.framers[i]);
        let r = framer.feed(bytes, 2 + 65535, tcp_len, |m| {
            self.message(dir, &m[2..], cx)
        });
        self.framers[i] = framer;
        r.unwrap_or(Verdict::Done)
    }

    fn end(&mut self, cx: &mut Ctx<'_>) {
        for q in std::mem::take(&mut self.pending) {
            emit(cx, q, None);
        }
    }

    fn buffered(&self) -> usize {
        self.framers.iter().map(Framer::buffered).sum::<usize>()
            + self.pending.len() * std::mem::size_of::<Query>()
    }
}

fn tcp_len(b: &[u8]) -> Frame {
    match b.get(..2) {
        Some(l) => Frame::Len(2 + u16::from_be_bytes([l[0], l[1]]) as usize),
        None => Frame::NeedMore,
    }
}

fn emit(cx: &mut Ctx<'_>, q: Query, answer: Option<(u16, u16)>) {
    let (time, frame) = match answer {
        Some(_) => (cx.time, cx.frame),
        None => (q.time, q.frame),
    };
    let outcome = match answer {
        Some((0, _)) => Outcome::Success,
        Some((rc, _)) => Outcome::Failure(rc as u32),
        None => Outcome::Unknown,
    };
    let kind = if q.qtype == 252 || q.qtype == 251 {
        EventKind::DnsZoneTransfer {
            zone: q.name,
            refused: answer.is_some_and(|(rc, _)| rc != 0),
        }
    } else {
        EventKind::DnsQuery {
            name: q.name,
            qtype: q.qtype,
            rcode: answer.map(|a| a.0),
            answers: answer.map(|a| a.1).unwrap_or(0),
        }
    };
    let mut e = cx.event(kind, time, frame);
    e.outcome = outcome;
    cx.events.push(e);
}

/// The name at `start` in dotted form (`.` for the root) and where the name ends in the
/// message (after the first pointer, if any).
fn read_name(m: &[u8], start: usize) -> Result<(String, usize), &'static str> {
    let mut name = String::new();
    let mut pos = start;
    let mut end = None;
    let mut jumps = 0;
    let mut wire_len = 0usize;
    // Pointers must go strictly backwards: no loops, whatever the jump limit.
    let mut floor = start;
    loop {
        let len = *m.get(pos).ok_or("cut short")? as usize;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    if name.is_empty() {
                        name.push('.');
                    }
                    return Ok((name, end.unwrap_or(pos + 1)));
                }
                let label = m.get(pos + 1..pos + 1 + len).ok_or("label cut short")?;
                wire_len += len + 1;
                if wire_len > MAX_NAME {
                    return Err("name longer than 255 bytes");
                }
                if !name.is_empty() {
                    name.push('.');
                }
                for &b in label {
                    if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
                        name.push(b as char);
                    } else {
                        use std::fmt::Write;
                        let _ = write!(name, "\\{b:03}");
                    }
                }
                pos += 1 + len;
            }
            0xc0 => {
                let lo = *m.get(pos + 1).ok_or("pointer cut short")? as usize;
                let target = ((len & 0x3f) << 8) | lo;
                if target >= floor {
                    return Err("compression pointer does not point backwards");
                }
                jumps += 1;
                if jumps > MAX_JUMPS {
                    return Err("too many compression pointers");
                }
                end.get_or_insert(pos + 2);
                floor = target;
                pos = target;
            }
            _ => return Err("unknown label type"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_pointers() {
        // header (12 bytes), then "rampart.lab" at 12, then a pointer to it at 25
        let mut m = vec![0u8; 12];
        m.extend(b"\x07rampart\x03lab\x00");
        m.extend([0xc0, 12]);
        m.extend(b"\x04_tcp\xc0\x0c");
        assert_eq!(read_name(&m, 12).unwrap(), ("rampart.lab".into(), 25));
        assert_eq!(read_name(&m, 25).unwrap(), ("rampart.lab".into(), 27));
        assert_eq!(read_name(&m, 27).unwrap(), ("_tcp.rampart.lab".into(), 34));
    }

    #[test]
    fn loops_and_garbage_are_errors() {
        let mut m = vec![0u8; 12];
        m.extend([0xc0, 12]); // points at itself
        assert!(read_name(&m, 12).is_err());
        let mut m = vec![0u8; 12];
        m.extend([0x03, b'a', b'b', 0xc0, 12]); // points back at its own start
        assert!(read_name(&m, 12).is_err());
        let mut m = vec![0u8; 12];
        for _ in 0..200 {
            m.extend(b"\x03abc");
        }
        m.push(0);
        assert_eq!(read_name(&m, 12).unwrap_err(), "name longer than 255 bytes");
        assert!(read_name(&[0u8; 12], 12).is_err());
        assert_eq!(read_name(&[0u8; 13], 12).unwrap().0, ".");
    }
}
