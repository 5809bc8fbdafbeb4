//! `cargo fuzz run dcerpc`: one DCE/RPC connection over TCP, both directions in pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_net::dissect::dcerpc::DceRpc;

fuzz_target!(|data: &[u8]| {
    rampart_net_fuzz::run(data, 135, false, |t| {
        Box::new({
            let _ = t;
            DceRpc::new()
        })
    });
});
