//! `cargo fuzz run kerberos`: one Kerberos flow (TCP record marking or UDP datagrams), both directions in pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_net::dissect::kerberos::Kerberos;

fuzz_target!(|data: &[u8]| {
    rampart_net_fuzz::run(data, 88, true, |t| Box::new(Kerberos::new(t)));
});
