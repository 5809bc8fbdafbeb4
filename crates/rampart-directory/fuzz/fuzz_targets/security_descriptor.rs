//! `cargo fuzz run security_descriptor`: any bytes as `nTSecurityDescriptor`. The parser must
//! return an error or a descriptor, never panic or allocate beyond the input; rights
//! resolution must accept whatever the parser returns. The same body runs on every build in
//! the crate's `sd_damage` test over damaged copies of the lab's descriptors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_directory::sd::{self, ObjectKind, Target};

fuzz_target!(|data: &[u8]| {
    let _ = sd::parse_sid(data);
    if let Ok(d) = sd::parse(data) {
        for kind in [ObjectKind::User, ObjectKind::Computer, ObjectKind::Group, ObjectKind::Domain] {
            let _ = sd::grants(
                &d,
                &Target {
                    kind,
                    laps: true,
                    laps_attributes: &[],
                },
            );
        }
    }
});
