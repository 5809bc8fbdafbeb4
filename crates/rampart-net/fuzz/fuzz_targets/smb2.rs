//! `cargo fuzz run smb2`: one SMB2 connection (NetBIOS framing, named pipes carrying DCE/RPC), both directions in pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_net::dissect::smb2::Smb2;

fuzz_target!(|data: &[u8]| {
    rampart_net_fuzz::run(data, 445, false, |t| {
        Box::new({
            let _ = t;
            Smb2::new()
        })
    });
});
