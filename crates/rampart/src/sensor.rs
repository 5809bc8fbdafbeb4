//! The live sensor: an interface's packets through the network sensor into the same engine and
//! detectors as `rampart scan`, alerts out as they are raised.
//!
//! ```text
//!  capture thread: libpcap ─► rampart_net::Sensor (decode, reassembly, dissectors)
//!                    │ bounded channel (batches of events, warnings)
//!                    ▼
//!  engine thread:  Engine ─► take_updates() ─► SensorOutput (new alerts and updates of them)
//! ```
//!
//! The capture thread never waits for the engine longer than the channel's capacity allows:
//! when the engine falls behind, the channel fills, the capture thread blocks, the kernel's
//! buffer absorbs the burst and, past it, the kernel drops packets, which libpcap counts and
//! the report says. Nothing is dropped silently.
//!
//! An alert can be printed more than once: the engine merges repeats of an attack into one
//! alert (same `id`, growing `count` and evidence), and each merge is an update, written at
//! most every ten seconds per alert and once more, in its final state, when the sensor stops.
//! Consumers keep the last line per `id`.

use crossbeam_channel::{bounded, RecvTimeoutError};
use rampart_core::{Alert, IdentityEvent};
use rampart_detect::{Engine, EngineConfig};
use rampart_ingest::{EventSink, Warning};
use rampart_net::live::{LiveCapture, LiveError, LiveSummary};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Batches of events in flight between the capture thread and the engine.
const CHANNEL_BATCHES: usize = 64;
/// An alert's updates are written at most this often (a DCSync of a whole domain repeats its
/// request thousands of times); the last state is always written when the sensor stops.
const UPDATE_EVERY: Duration = Duration::from_secs(10);

/// New alerts at once; updates of an alert at most every [`UPDATE_EVERY`], the latest kept.
#[derive(Default)]
struct Updates {
    /// Per alert id: when it was last written, and an update not yet written.
    written: BTreeMap<String, (Instant, Option<Alert>)>,
}

impl Updates {
    fn take(&mut self, engine: &mut Engine, report: &mut SensorReport, out: &mut dyn SensorOutput) {
        for a in engine.take_updates() {
            match self.written.get_mut(&a.id) {
                None => {
                    report.alerts += 1;
                    report.alert_updates += 1;
                    out.alert(&a, false);
                    self.written.insert(a.id.clone(), (Instant::now(), None));
                }
                Some((_, pending)) => *pending = Some(a),
            }
        }
        self.due(report, out, false);
    }

    /// Writes the held updates whose interval has passed (all of them with `all`).
    fn due(&mut self, report: &mut SensorReport, out: &mut dyn SensorOutput, all: bool) {
        for (last, pending) in self.written.values_mut() {
            if pending.is_some() && (all || last.elapsed() >= UPDATE_EVERY) {
                if let Some(a) = pending.take() {
                    report.alert_updates += 1;
                    out.alert(&a, true);
                    *last = Instant::now();
                }
            }
        }
    }
}

/// Where the sensor's findings go, as they happen.
pub trait SensorOutput {
    /// An alert raised (`update == false`) or merged with a repeat (`update == true`, same id).
    fn alert(&mut self, alert: &Alert, update: bool);
    /// Every event the engine processed, in order.
    fn event(&mut self, _event: &IdentityEvent) {}
    /// A malformed packet or PDU, an undecoded link type.
    fn warning(&mut self, _warning: &Warning) {}
}

/// What a sensor run did.
#[derive(Debug, Clone, Default)]
pub struct SensorReport {
    pub capture: LiveSummary,
    /// Events through the engine.
    pub events: u64,
    /// Distinct alerts raised.
    pub alerts: u64,
    /// Alert lines written in all (alerts plus their updates).
    pub alert_updates: u64,
    /// Alerts the allow-list silenced.
    pub suppressed: u64,
    pub warnings: u64,
}

enum Msg {
    Events(Vec<IdentityEvent>),
    Warning(Warning),
}

struct ChannelSink(crossbeam_channel::Sender<Msg>);

impl EventSink for ChannelSink {
    fn events(&mut self, batch: Vec<IdentityEvent>) -> bool {
        self.0.send(Msg::Events(batch)).is_ok()
    }
    fn warning(&mut self, warning: Warning) {
        let _ = self.0.send(Msg::Warning(warning));
    }
}

/// Runs `capture` until `stop` is set (or `duration` has passed), feeding the engine and
/// reporting to `out`. When the capture ends, open flows are ended and every detector flushed,
/// so what was pending is reported too.
pub fn run(
    capture: LiveCapture,
    engine: &EngineConfig,
    stop: &AtomicBool,
    duration: Option<Duration>,
    out: &mut dyn SensorOutput,
) -> Result<SensorReport, LiveError> {
    let mut engine = Engine::new(engine);
    let (tx, rx) = bounded::<Msg>(CHANNEL_BATCHES);
    let started = Instant::now();
    let mut report = SensorReport::default();
    let mut updates = Updates::default();
    let capture_result = std::thread::scope(|s| {
        let worker = s.spawn(move || {
            let mut sink = ChannelSink(tx);
            capture.run(stop, &mut sink)
        });
        loop {
            if duration.is_some_and(|d| started.elapsed() >= d) {
                stop.store(true, Ordering::Relaxed);
            }
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(Msg::Events(batch)) => {
                    for ev in &batch {
                        engine.process(ev);
                        out.event(ev);
                    }
                    report.events += batch.len() as u64;
                    updates.take(&mut engine, &mut report, out);
                }
                Ok(Msg::Warning(w)) => {
                    report.warnings += 1;
                    out.warning(&w);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            updates.due(&mut report, out, false);
        }
        match worker.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    engine.flush();
    updates.take(&mut engine, &mut report, out);
    updates.due(&mut report, out, true);
    report.suppressed = engine.suppressed();
    report.capture = capture_result?;
    Ok(report)
}
