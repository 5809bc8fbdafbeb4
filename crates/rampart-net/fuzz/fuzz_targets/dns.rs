//! `cargo fuzz run dns`: one DNS flow (TCP length-prefixed or UDP datagrams), both directions in pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_net::dissect::dns::Dns;

fuzz_target!(|data: &[u8]| {
    rampart_net_fuzz::run(data, 53, true, |t| Box::new(Dns::new(t)));
});
