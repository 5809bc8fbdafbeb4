//! `cargo fuzz run ldap`: one LDAP flow (TCP or CLDAP over UDP), both directions in pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_net::dissect::ldap::Ldap;

fuzz_target!(|data: &[u8]| {
    rampart_net_fuzz::run(data, 389, true, |t| Box::new(Ldap::new(t)));
});
