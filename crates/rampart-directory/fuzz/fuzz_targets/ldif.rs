//! `cargo fuzz run ldif`: any bytes as an LDIF file, each entry built into the model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_directory::{entry::Builder, ldif};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let mut b = Builder::new();
    let _ = ldif::read_from(data, Path::new("fuzz.ldif"), |e| b.add(&e));
    let d = b.finish();
    let _ = d.acl_edges();
});
