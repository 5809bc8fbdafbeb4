//! Live capture: packets from a network interface (libpcap, with a BPF filter) into the same
//! [`Sensor`] that reads capture files, so a live sensor and `rampart scan x.pcap` dissect,
//! reassemble and report identically.
//!
//! The capture loop never waits on the network for long: reads are non-blocking and the loop
//! waits at most [`READ_TIMEOUT_MS`] for the next packet, and on each wait (and at least every [`LiveConfig::flush_every`]) the
//! sensor's clock advances ([`Sensor::tick`]): idle flows end and pending events are handed over,
//! so a quiet interface does not hold back the last events of an attack, and a stop request is
//! honoured within a fraction of a second.
//!
//! What the kernel dropped because the reader fell behind is not guessed at: it is libpcap's own
//! count ([`LiveSummary::dropped`]), reported when the capture ends.

use crate::Sensor;
use rampart_ingest::{EventSink, ReadStats};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long one read waits for a packet before the loop looks at the clock and the stop flag.
pub const READ_TIMEOUT_MS: i32 = 100;

/// What to capture and how.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// The interface name (`eth0`, `lo`, `any` on Linux).
    pub interface: String,
    /// A BPF filter in tcpdump syntax; `None` captures everything.
    pub filter: Option<String>,
    /// Bytes kept of each packet. Kerberos tickets and LDAP results span many packets, so this is
    /// the whole packet by default.
    pub snaplen: i32,
    /// Also see traffic not addressed to this host (a SPAN port or TAP).
    pub promiscuous: bool,
    /// The kernel's capture buffer; what absorbs bursts while the engine is busy.
    pub buffer_bytes: i32,
    /// Longest time events wait in the sensor's batch before they are handed over.
    pub flush_every: Duration,
}

impl LiveConfig {
    pub fn new(interface: impl Into<String>) -> LiveConfig {
        LiveConfig {
            interface: interface.into(),
            filter: None,
            snaplen: 262_144,
            promiscuous: true,
            buffer_bytes: 32 * 1024 * 1024,
            flush_every: Duration::from_millis(250),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("interface {interface}: cannot capture: {message}")]
    Open { interface: String, message: String },
    #[error("interface {interface}: capture filter `{filter}` does not compile: {message}")]
    Filter {
        interface: String,
        filter: String,
        message: String,
    },
    #[error("interface {interface}: capture failed after {frames} packets: {message}")]
    Read {
        interface: String,
        frames: u64,
        message: String,
    },
    #[error("listing capture interfaces: {0}")]
    List(String),
}

/// A capture interface as libpcap lists it.
#[derive(Debug, Clone)]
pub struct Interface {
    pub name: String,
    pub description: Option<String>,
    pub addresses: Vec<IpAddr>,
    pub up: bool,
    pub loopback: bool,
}

/// The interfaces this process could capture on.
pub fn interfaces() -> Result<Vec<Interface>, LiveError> {
    let devices = pcap::Device::list().map_err(|e| LiveError::List(e.to_string()))?;
    Ok(devices
        .into_iter()
        .map(|d| Interface {
            up: d.flags.is_up(),
            loopback: d.flags.is_loopback(),
            addresses: d.addresses.iter().map(|a| a.addr).collect(),
            description: d.desc,
            name: d.name,
        })
        .collect())
}

/// What a live capture saw, when it ended.
#[derive(Debug, Clone, Default)]
pub struct LiveSummary {
    /// The sensor's counts: packets read, events, unknown, malformed, encrypted.
    pub read: ReadStats,
    /// Packets the kernel handed to the filter (libpcap's `ps_recv`; wraps at 2³²).
    pub received: u64,
    /// Packets dropped because this process did not read them fast enough (`ps_drop`).
    pub dropped: u64,
    /// Packets dropped by the interface or its driver (`ps_ifdrop`).
    pub if_dropped: u64,
    /// How long the capture ran.
    pub elapsed: Duration,
}

/// An open live capture, filter applied, not yet reading.
pub struct LiveCapture {
    cap: pcap::Capture<pcap::Active>,
    config: LiveConfig,
    linktype: i32,
}

impl LiveCapture {
    /// Opens the interface and compiles the filter: every configuration error (no such
    /// interface, no permission, a filter that does not compile) shows here, before any
    /// packet is read.
    pub fn open(config: &LiveConfig) -> Result<LiveCapture, LiveError> {
        let open_err = |e: pcap::Error| LiveError::Open {
            interface: config.interface.clone(),
            message: e.to_string(),
        };
        let mut cap = pcap::Capture::from_device(config.interface.as_str())
            .map_err(open_err)?
            .promisc(config.promiscuous)
            .snaplen(config.snaplen)
            .buffer_size(config.buffer_bytes)
            .timeout(READ_TIMEOUT_MS)
            .immediate_mode(true)
            .open()
            .map_err(open_err)?;
        if let Some(filter) = &config.filter {
            cap.filter(filter, true).map_err(|e| LiveError::Filter {
                interface: config.interface.clone(),
                filter: filter.clone(),
                message: e.to_string(),
            })?;
        }
        // Non-blocking reads and our own poll(2): with TPACKET_V3, libpcap's read timeout only
        // runs once a packet has arrived, so a blocking read on a quiet interface never
        // returns and neither the clock nor a stop request would be looked at.
        let cap = cap.setnonblock().map_err(open_err)?;
        let linktype = cap.get_datalink().0;
        Ok(LiveCapture {
            cap,
            config: config.clone(),
            linktype,
        })
    }

    /// The interface's link type (1 Ethernet — also Linux loopback —, 113/276 Linux `any`).
    pub fn linktype(&self) -> i32 {
        self.linktype
    }

    /// Reads packets into `sink` until `stop` is set, the sink declines more events, or the
    /// capture fails. Events already delivered stay delivered when it fails; flows still open
    /// when it ends are ended, so their pending requests are reported too.
    pub fn run(
        mut self,
        stop: &AtomicBool,
        sink: &mut dyn EventSink,
    ) -> Result<LiveSummary, LiveError> {
        let started = Instant::now();
        let source: Arc<str> = format!("live:{}", self.config.interface).into();
        let mut sensor = Sensor::new(source, sink);
        let mut frame: u64 = 0;
        let mut last_tick = Instant::now();
        let mut failure = None;
        while !stop.load(Ordering::Relaxed) {
            match self.cap.next_packet() {
                Ok(p) => {
                    frame += 1;
                    // time_t and suseconds_t are narrower than i64 on some platforms.
                    #[allow(clippy::unnecessary_cast)]
                    let ts = (p.header.ts.tv_sec as i64)
                        .saturating_mul(1_000_000_000)
                        .saturating_add((p.header.ts.tv_usec as i64).saturating_mul(1_000));
                    if !sensor.frame(frame, ts, self.linktype, p.data) {
                        break;
                    }
                }
                // Nothing buffered: wait for the descriptor, at most one read timeout.
                Err(pcap::Error::TimeoutExpired) => wait_readable(&self.cap, READ_TIMEOUT_MS),
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
            if last_tick.elapsed() >= self.config.flush_every {
                last_tick = Instant::now();
                if !sensor.tick(wall_nanos()) {
                    break;
                }
            }
        }
        let (received, dropped, if_dropped) = match self.cap.stats() {
            Ok(s) => (s.received as u64, s.dropped as u64, s.if_dropped as u64),
            Err(_) => (0, 0, 0),
        };
        let read = sensor.finish();
        if let Some(message) = failure {
            return Err(LiveError::Read {
                interface: self.config.interface.clone(),
                frames: frame,
                message,
            });
        }
        Ok(LiveSummary {
            read,
            received,
            dropped,
            if_dropped,
            elapsed: started.elapsed(),
        })
    }
}

fn wait_readable(cap: &pcap::Capture<pcap::Active>, timeout_ms: i32) {
    use std::os::unix::io::AsRawFd;
    let mut fd = libc::pollfd {
        fd: cap.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd for the duration of the call. An error (EINTR from the stop
    // signal) or a timeout both just return to the loop, which looks at the stop flag.
    unsafe {
        libc::poll(&mut fd, 1, timeout_ms);
    }
}

fn wall_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_interface_is_an_error_naming_it() {
        let err = match LiveCapture::open(&LiveConfig::new("rampart-no-such-if0")) {
            Err(e) => e,
            Ok(_) => panic!("opened an interface that does not exist"),
        };
        assert!(err.to_string().contains("rampart-no-such-if0"), "{err}");
    }
}
