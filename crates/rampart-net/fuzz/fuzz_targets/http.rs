//! `cargo fuzz run http`: one HTTP connection carrying WS-Management, both directions in
//! pieces (header blocks and chunked bodies split anywhere).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_net::dissect::http::Http;

fuzz_target!(|data: &[u8]| {
    rampart_net_fuzz::run(data, 5985, false, |_| Box::new(Http::new()));
});
