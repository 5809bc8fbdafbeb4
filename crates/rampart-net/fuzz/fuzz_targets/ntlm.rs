//! `cargo fuzz run ntlm`: any bytes as an NTLMSSP message, and as a GSS-API/SPNEGO token in
//! which the NTLMSSP message or Kerberos AP-REQ is searched for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_net::dissect::ntlm;

fn message(bytes: &[u8]) {
    if let Ok(ntlm::Message::Authenticate(a)) = ntlm::parse(bytes) {
        let _ = a.account();
        let _ = a.workstation();
    }
}

fuzz_target!(|data: &[u8]| {
    message(data);
    if let Some(inner) = ntlm::find_ntlmssp(data) {
        message(inner);
    }
    let _ = ntlm::find_kerberos_ap_req(data);
});
