//! `cargo fuzz run capture`: any bytes as a pcap or pcapng file, read into the sensor: capture
//! records (streamed and in memory, as a mapped file is read), link/IP/TCP/UDP decoding, the flow table's reassembly, and every dissector behind it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_net::{capture, Sensor};
use rampart_net_fuzz::Count;
use std::io::Cursor;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let source: Arc<str> = Arc::from("fuzz.pcap");
    let mut sink = Count::default();
    let mut sensor = Sensor::new(source.clone(), &mut sink);
    let _ = capture::read_packets(Box::new(Cursor::new(data)), &source, &mut sensor);
    let _ = sensor.finish();
    let mut sink = Count::default();
    let mut sensor = Sensor::new(source.clone(), &mut sink);
    let _ = capture::read_slice(data, &source, &mut sensor);
    let _ = sensor.finish();
});
