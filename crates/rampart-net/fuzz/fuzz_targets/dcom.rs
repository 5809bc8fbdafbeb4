//! `cargo fuzz run dcom`: a DCOM activation request stub. The first byte picks the call
//! (`RemoteGetClassObject`, `RemoteCreateInstance`, `RemoteActivation`); the rest is the stub.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_net::dissect::dcom::activated_class;

fuzz_target!(|data: &[u8]| {
    let Some((&which, stub)) = data.split_first() else {
        return;
    };
    let (interface, opnum) = match which % 3 {
        0 => ("iremotescmactivator", 3),
        1 => ("iremotescmactivator", 4),
        _ => ("iactivation", 0),
    };
    let _ = activated_class(interface, opnum, stub);
});
