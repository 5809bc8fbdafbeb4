//! Samba `Authentication` and `Authorization` audit records (`auth_json_audit`: level 2
//! failures, 3 successes, 4 authorizations).
//!
//! | record | becomes |
//! |--------|---------|
//! | `Authentication`, `serviceDescription` `Kerberos KDC` (an AS exchange) | [`EventKind::KerberosTgtRequest`]: `status` = the Kerberos error the KDC's NTSTATUS stands for (see [`krb_status`]), `preauth_type` from `authDescription` (`ENC-TS Pre-authentication` 2, `PKINIT …` 16, `ENC-CHAL …` 138, `Unknown Pre-authentication` 0 = none was used, `AS-REQ` (unknown client) none), `ticket_etype` = the pre-authentication key's type (`passwordType`, `aes256-cts-hmac-sha1-96` 18, `arcfour-hmac-md5` 23, …); outcome `Failure(status)` unless 0 |
//! | any other `Authentication` (NTLMSSP over SMB2/LDAP/DCE-RPC, `SamLogon` pass-through, NETLOGON `ServerAuthenticate`, LDAP `simple bind`) | [`EventKind::NtlmAuth`] with the NTSTATUS (`NT_STATUS_WRONG_PASSWORD` 0xC000006A, `NT_STATUS_NO_SUCH_USER` 0xC0000064, …) and the client's `workstation`; outcome `Failure(status)` unless 0 |
//! | `Authorization` | [`EventKind::Logon`]: `logon_type` 8 (cleartext) for simple binds, else 3 (network); `auth_package` = `authType` (`NTLMSSP` as `NTLM`, `krb5` as `Kerberos`, others as written: `simple bind`, `ncacn_np`, …); `logon_process` = `serviceDescription` (`SMB2`, `LDAP`, `DCE/RPC`, `kpasswd`); `logon_id` = `sessionId` (the session the directory-change records of the same session name) |
//!
//! Actor: `becameAccount`/`becameDomain`/`becameSid` (who the server decided it was), else
//! `mappedAccount`/`mappedDomain`, else `clientAccount` as the client wrote it (`user@REALM`, a
//! bind DN, or a name in `clientDomain`); `Authorization`: `account`/`domain`/`sid`.
//! Source: `remoteAddress` with the `workstation` the client claimed. Two exceptions: for a
//! `SamLogon` (a member server passing a logon through) `remoteAddress` is the member server,
//! so only the workstation is the source; for an LDAP simple bind Samba writes its own NetBIOS
//! name as the `workstation`, which names the observer instead.
//!
//! The server's own name: `logonServer` of an `Authorization` after an NTLM or simple-bind
//! authentication (a DC checks those passwords itself), and the `workstation` of a simple
//! bind. A Kerberos authorization's `logonServer` is the KDC that issued the ticket, possibly
//! another DC, and is not used. (A Samba *member* server passes NTLM logons to a DC, whose name
//! its authorizations then carry: these mappers are for AD DC audit logs.)

use super::{text, SambaContext, SambaRecord};
use rampart_core::wellknown::{etype, krb_error, ntstatus};
use rampart_core::{Account, EventKind, Host, IdentityEvent, Outcome};
use serde_json::{Map, Value};
use std::sync::Arc;

pub fn authentication(
    rec: &SambaRecord<'_>,
    cx: &mut SambaContext,
    src: &Arc<str>,
) -> Option<Vec<IdentityEvent>> {
    let b = rec.body;
    let service = text(b, "serviceDescription");
    let auth = text(b, "authDescription").unwrap_or_default();
    let simple_bind = auth.starts_with("simple bind");
    if simple_bind {
        if let Some(own) = text(b, "workstation") {
            cx.learn_server(own);
        }
    }
    let status = match text(b, "status") {
        Some(s) => nt_status(s),
        // No status: the event id still tells success from failure.
        None => match super::int(b, "eventId") {
            Some(4624) => 0,
            _ => ntstatus::LOGON_FAILURE,
        },
    };
    let actor = client_account(b);
    if status == 0 {
        if let Some(a) = &actor {
            cx.learn_account(a);
        }
    }
    let workstation = (!simple_bind)
        .then(|| text(b, "workstation"))
        .flatten()
        .map(|w| w.trim_start_matches('\\'));
    let source = if service == Some("SamLogon") {
        Host::from_parts(workstation, None)
    } else {
        Host::from_parts(workstation, text(b, "remoteAddress"))
    };
    let (kind, code) = if service == Some("Kerberos KDC") {
        let code = krb_status(status);
        let kind = EventKind::KerberosTgtRequest {
            status: code,
            preauth_type: preauth_type(auth),
            ticket_etype: text(b, "passwordType").and_then(etype_number),
            ticket_options: None,
            wire: None,
        };
        (kind, code)
    } else {
        let kind = EventKind::NtlmAuth {
            status,
            workstation: workstation.map(str::to_string),
            wire: None,
        };
        (kind, status)
    };
    let mut e = cx.event(rec, src, kind);
    e.actor = actor;
    e.source = source;
    if code != 0 {
        e.outcome = Outcome::Failure(code);
    }
    Some(vec![e])
}

pub fn authorization(
    rec: &SambaRecord<'_>,
    cx: &mut SambaContext,
    src: &Arc<str>,
) -> Option<Vec<IdentityEvent>> {
    let b = rec.body;
    let auth_type = text(b, "authType");
    let simple_bind = auth_type.is_some_and(|a| a.starts_with("simple bind"));
    if simple_bind || auth_type == Some("NTLMSSP") {
        if let Some(server) = text(b, "logonServer") {
            cx.learn_server(server);
        }
    }
    let actor = Account::from_parts(text(b, "account"), text(b, "domain"), text(b, "sid"));
    if let Some(a) = &actor {
        cx.learn_account(a);
    }
    let auth_package = auth_type.map(|a| match a {
        "NTLMSSP" => "NTLM".to_string(),
        "krb5" => "Kerberos".to_string(),
        other => other.to_string(),
    });
    let kind = EventKind::Logon {
        logon_type: if simple_bind { 8 } else { 3 },
        auth_package,
        logon_process: text(b, "serviceDescription").map(str::to_string),
        logon_id: text(b, "sessionId").map(str::to_string),
        elevated: None,
    };
    let mut e = cx.event(rec, src, kind);
    e.actor = actor;
    e.source = Host::from_parts(None, text(b, "remoteAddress"));
    Some(vec![e])
}

/// The account an authentication was for.
fn client_account(b: &Map<String, Value>) -> Option<Account> {
    let became = Account::from_parts(
        text(b, "becameAccount"),
        text(b, "becameDomain"),
        text(b, "becameSid"),
    );
    if became.is_some() {
        return became;
    }
    if let Some(mapped) = text(b, "mappedAccount") {
        return Account::from_parts(Some(mapped), text(b, "mappedDomain"), None);
    }
    let client = text(b, "clientAccount")?;
    if super::is_dn(client) {
        return super::dn_account(client);
    }
    Account::from_parts(Some(client), text(b, "clientDomain"), None)
}

/// NTSTATUS values by the names Samba's `nt_errstr` gives them.
const NT_STATUS_NAMES: &[(&str, u32)] = &[
    ("NT_STATUS_OK", 0),
    ("NT_STATUS_UNSUCCESSFUL", 0xC000_0001),
    ("NT_STATUS_INVALID_PARAMETER", 0xC000_000D),
    ("NT_STATUS_ACCESS_DENIED", 0xC000_0022),
    ("NT_STATUS_NO_LOGON_SERVERS", 0xC000_005E),
    ("NT_STATUS_INVALID_ACCOUNT_NAME", 0xC000_0062),
    ("NT_STATUS_NO_SUCH_USER", ntstatus::NO_SUCH_USER),
    ("NT_STATUS_WRONG_PASSWORD", ntstatus::WRONG_PASSWORD),
    ("NT_STATUS_PASSWORD_RESTRICTION", 0xC000_006C),
    ("NT_STATUS_LOGON_FAILURE", ntstatus::LOGON_FAILURE),
    (
        "NT_STATUS_ACCOUNT_RESTRICTION",
        ntstatus::ACCOUNT_RESTRICTION,
    ),
    (
        "NT_STATUS_INVALID_LOGON_HOURS",
        ntstatus::INVALID_LOGON_HOURS,
    ),
    (
        "NT_STATUS_INVALID_WORKSTATION",
        ntstatus::INVALID_WORKSTATION,
    ),
    ("NT_STATUS_PASSWORD_EXPIRED", ntstatus::PASSWORD_EXPIRED),
    ("NT_STATUS_ACCOUNT_DISABLED", ntstatus::ACCOUNT_DISABLED),
    ("NT_STATUS_NETWORK_ACCESS_DENIED", 0xC000_00CA),
    ("NT_STATUS_NO_SUCH_DOMAIN", 0xC000_00DF),
    ("NT_STATUS_INTERNAL_ERROR", 0xC000_00E5),
    ("NT_STATUS_TIME_DIFFERENCE_AT_DC", 0xC000_0133),
    ("NT_STATUS_LOGON_TYPE_NOT_GRANTED", 0xC000_015B),
    ("NT_STATUS_NO_TRUST_SAM_ACCOUNT", 0xC000_018B),
    ("NT_STATUS_TRUSTED_DOMAIN_FAILURE", 0xC000_018C),
    ("NT_STATUS_TRUSTED_RELATIONSHIP_FAILURE", 0xC000_018D),
    ("NT_STATUS_ACCOUNT_EXPIRED", ntstatus::ACCOUNT_EXPIRED),
    ("NT_STATUS_NOLOGON_INTERDOMAIN_TRUST_ACCOUNT", 0xC000_0198),
    ("NT_STATUS_NOLOGON_WORKSTATION_TRUST_ACCOUNT", 0xC000_0199),
    ("NT_STATUS_NOLOGON_SERVER_TRUST_ACCOUNT", 0xC000_019A),
    (
        "NT_STATUS_PASSWORD_MUST_CHANGE",
        ntstatus::PASSWORD_MUST_CHANGE,
    ),
    ("NT_STATUS_ACCOUNT_LOCKED_OUT", ntstatus::ACCOUNT_LOCKED_OUT),
    ("NT_STATUS_PROTOCOL_UNREACHABLE", 0xC000_023E),
    ("NT_STATUS_DOWNGRADE_DETECTED", 0xC000_0388),
    ("NT_STATUS_AUTHENTICATION_FIREWALL_FAILED", 0xC000_0413),
    ("NT_STATUS_NTLM_BLOCKED", 0xC000_0418),
];

/// The NTSTATUS of a status as Samba writes it: a name (`NT_STATUS_WRONG_PASSWORD`), Samba's
/// form for codes without one (`NT code 0xc0000413`), or a number. Names this table does not
/// know are a failure of unknown reason (`NT_STATUS_UNSUCCESSFUL`).
pub fn nt_status(raw: &str) -> u32 {
    let s = raw.trim();
    if let Some((_, code)) = NT_STATUS_NAMES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(s))
    {
        return *code;
    }
    let number = s.strip_prefix("NT code ").unwrap_or(s);
    rampart_core::wellknown::parse_number(number).unwrap_or(0xC000_0001)
}

/// The Kerberos error a KDC answered with, from the NTSTATUS Samba logged for it (Samba's
/// KDC reports its verdict as an NTSTATUS; this is the inverse of that mapping):
///
/// | NTSTATUS | Kerberos error |
/// |----------|----------------|
/// | `NT_STATUS_OK` | 0 |
/// | `WRONG_PASSWORD` (a wrong pre-authentication key) | 0x18 `KDC_ERR_PREAUTH_FAILED` |
/// | `NO_SUCH_USER`, `INVALID_ACCOUNT_NAME` | 0x6 `KDC_ERR_C_PRINCIPAL_UNKNOWN` |
/// | `ACCOUNT_DISABLED`, `ACCOUNT_EXPIRED`, `ACCOUNT_LOCKED_OUT`, `INVALID_LOGON_HOURS`, `ACCESS_DENIED` | 0x12 `KDC_ERR_CLIENT_REVOKED` |
/// | `INVALID_WORKSTATION`, `ACCOUNT_RESTRICTION`, `AUTHENTICATION_FIREWALL_FAILED` | 0xC `KDC_ERR_POLICY` |
/// | `PASSWORD_EXPIRED`, `PASSWORD_MUST_CHANGE` | 0x17 `KDC_ERR_KEY_EXPIRED` |
/// | `TIME_DIFFERENCE_AT_DC` | 0x25 `KRB_AP_ERR_SKEW` |
/// | anything else (`LOGON_FAILURE` covers several errors) | 0x3C `KRB_ERR_GENERIC` |
pub fn krb_status(nt: u32) -> u32 {
    match nt {
        0 => krb_error::OK,
        ntstatus::WRONG_PASSWORD => krb_error::PREAUTH_FAILED,
        ntstatus::NO_SUCH_USER | 0xC000_0062 => krb_error::C_PRINCIPAL_UNKNOWN,
        ntstatus::ACCOUNT_DISABLED
        | ntstatus::ACCOUNT_EXPIRED
        | ntstatus::ACCOUNT_LOCKED_OUT
        | ntstatus::INVALID_LOGON_HOURS
        | 0xC000_0022 => krb_error::CLIENT_REVOKED,
        ntstatus::INVALID_WORKSTATION | ntstatus::ACCOUNT_RESTRICTION | 0xC000_0413 => 0xC,
        ntstatus::PASSWORD_EXPIRED | ntstatus::PASSWORD_MUST_CHANGE => krb_error::KEY_EXPIRED,
        0xC000_0133 => 0x25,
        _ => 0x3C,
    }
}

/// The pre-authentication type of a KDC `authDescription`: `<type> Pre-authentication` names
/// the padata the KDC accepted, `Unknown Pre-authentication` means none was used (Samba writes
/// it when the request carried no pre-authentication), `AS-REQ` is an unknown client's request.
pub fn preauth_type(auth_description: &str) -> Option<u32> {
    if auth_description.eq_ignore_ascii_case("Unknown Pre-authentication") {
        return Some(0);
    }
    let pa = auth_description.strip_suffix(" Pre-authentication")?;
    match pa.to_ascii_uppercase().as_str() {
        "ENC-TS" => Some(2),
        "PKINIT" | "PKINIT-WIN2K" | "PK-INIT" => Some(16),
        "ENC-CHAL" | "ENCRYPTED-CHALLENGE" => Some(138),
        _ => None,
    }
}

/// A Kerberos encryption type by the name Samba's KDC writes as `passwordType`.
pub fn etype_number(name: &str) -> Option<u32> {
    match name.trim().to_ascii_lowercase().as_str() {
        "aes256-cts-hmac-sha1-96" | "aes256-cts" => Some(etype::AES256),
        "aes128-cts-hmac-sha1-96" | "aes128-cts" => Some(etype::AES128),
        "arcfour-hmac-md5" | "arcfour-hmac" | "rc4-hmac" => Some(etype::RC4_HMAC),
        "arcfour-hmac-exp" | "rc4-hmac-exp" => Some(etype::RC4_HMAC_EXP),
        "des-cbc-md5" => Some(etype::DES_CBC_MD5),
        "des-cbc-crc" => Some(etype::DES_CBC_CRC),
        "des3-cbc-sha1" => Some(16),
        "aes128-cts-hmac-sha256-128" => Some(19),
        "aes256-cts-hmac-sha384-192" => Some(20),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{map, SambaContext, SambaRecord};
    use super::*;
    use chrono::TimeZone;

    fn run(cx: &mut SambaContext, kind: &str, body: &str) -> Vec<IdentityEvent> {
        let body: Map<String, Value> = serde_json::from_str(body).unwrap();
        let rec = SambaRecord {
            time: chrono::Utc
                .with_ymd_and_hms(2026, 11, 23, 18, 45, 55)
                .single()
                .unwrap(),
            kind,
            body: &body,
            line: 7,
        };
        map(&rec, cx, &Arc::from("brute_force.audit.jsonl")).unwrap()
    }

    fn one(kind: &str, body: &str) -> IdentityEvent {
        let mut evs = run(&mut SambaContext::default(), kind, body);
        assert_eq!(evs.len(), 1);
        evs.remove(0)
    }

    #[test]
    fn kdc_preauth_failure_is_a_preauth_failed_tgt_request() {
        let e = one(
            "Authentication",
            r#"{"eventId": 4625, "logonId": "49d244e6f7e461b8", "logonType": 3, "status": "NT_STATUS_WRONG_PASSWORD", "localAddress": null, "remoteAddress": "ipv4:127.0.0.1:50152", "serviceDescription": "Kerberos KDC", "authDescription": "ENC-TS Pre-authentication", "clientDomain": null, "clientAccount": "rmoore@RAMPART.LAB", "workstation": null, "becameAccount": "rmoore", "becameDomain": "RAMPART", "becameSid": "S-1-5-21-1287229808-3540844513-2492091382-1123", "mappedAccount": "rmoore", "mappedDomain": "RAMPART", "passwordType": "aes256-cts-hmac-sha1-96"}"#,
        );
        assert_eq!(
            e.kind,
            EventKind::KerberosTgtRequest {
                status: krb_error::PREAUTH_FAILED,
                preauth_type: Some(2),
                ticket_etype: Some(18),
                ticket_options: None,
                wire: None,
            }
        );
        assert_eq!(e.outcome, Outcome::Failure(0x18));
        let actor = e.actor.unwrap();
        assert_eq!(
            (actor.name.as_str(), actor.domain.as_deref()),
            ("rmoore", Some("RAMPART"))
        );
        assert_eq!(actor.rid(), Some(1123));
        assert_eq!(e.source.unwrap().ip, "127.0.0.1".parse().ok());
        assert_eq!(e.evidence.event_id, Some(4625));
        assert_eq!(e.evidence.record, 7);
        assert_eq!(e.observer, None, "nothing named the server");
    }

    #[test]
    fn kdc_unknown_principal_is_principal_unknown() {
        let e = one(
            "Authentication",
            r#"{"eventId": 4625, "logonType": 3, "status": "NT_STATUS_NO_SUCH_USER", "remoteAddress": "ipv4:127.0.0.1:59458", "serviceDescription": "Kerberos KDC", "authDescription": "AS-REQ", "clientDomain": null, "clientAccount": "admin@RAMPART.LAB", "workstation": null, "becameAccount": null, "becameDomain": null, "becameSid": null, "mappedAccount": null, "mappedDomain": null, "passwordType": null}"#,
        );
        assert_eq!(
            e.kind,
            EventKind::KerberosTgtRequest {
                status: krb_error::C_PRINCIPAL_UNKNOWN,
                preauth_type: None,
                ticket_etype: None,
                ticket_options: None,
                wire: None,
            }
        );
        assert_eq!(e.outcome, Outcome::Failure(6));
        let actor = e.actor.unwrap();
        assert_eq!(
            (actor.name.as_str(), actor.domain.as_deref()),
            ("admin", Some("RAMPART.LAB"))
        );
    }

    #[test]
    fn kdc_success_without_preauth_is_preauth_type_zero() {
        let e = one(
            "Authentication",
            r#"{"eventId": 4624, "status": "NT_STATUS_OK", "remoteAddress": "ipv4:127.0.0.1:36544", "serviceDescription": "Kerberos KDC", "authDescription": "Unknown Pre-authentication", "clientAccount": "svc_backup@RAMPART.LAB", "becameAccount": "svc_backup", "becameDomain": "RAMPART", "becameSid": "S-1-5-21-1-2-3-1171", "passwordType": null}"#,
        );
        assert_eq!(
            e.kind,
            EventKind::KerberosTgtRequest {
                status: 0,
                preauth_type: Some(0),
                ticket_etype: None,
                ticket_options: None,
                wire: None,
            }
        );
        assert_eq!(e.outcome, Outcome::Success);
        let e = one(
            "Authentication",
            r#"{"eventId": 4624, "status": "NT_STATUS_OK", "serviceDescription": "Kerberos KDC", "authDescription": "ENC-TS Pre-authentication", "becameAccount": "jnguyen", "passwordType": "arcfour-hmac-md5"}"#,
        );
        assert!(matches!(
            e.kind,
            EventKind::KerberosTgtRequest {
                preauth_type: Some(2),
                ticket_etype: Some(23),
                ..
            }
        ));
    }

    #[test]
    fn ntlm_failure_and_success() {
        let e = one(
            "Authentication",
            r#"{"eventId": 4625, "logonId": "0", "logonType": 3, "status": "NT_STATUS_WRONG_PASSWORD", "localAddress": "ipv4:127.0.0.2:445", "remoteAddress": "ipv4:127.0.0.1:45530", "serviceDescription": "SMB2", "authDescription": "NTLMSSP", "clientDomain": "RAMPART", "clientAccount": "rmoore", "workstation": "LAB-CLIENT", "becameAccount": null, "becameDomain": null, "becameSid": null, "mappedAccount": "rmoore", "mappedDomain": "RAMPART", "passwordType": "NTLMv2"}"#,
        );
        assert_eq!(
            e.kind,
            EventKind::NtlmAuth {
                status: ntstatus::WRONG_PASSWORD,
                workstation: Some("LAB-CLIENT".into()),
                wire: None,
            }
        );
        assert_eq!(e.outcome, Outcome::Failure(0xC000_006A));
        assert_eq!(e.actor.as_ref().unwrap().name, "rmoore");
        let src = e.source.unwrap();
        assert_eq!(src.name.as_deref(), Some("LAB-CLIENT"));
        assert_eq!(src.ip, "127.0.0.1".parse().ok());

        let e = one(
            "Authentication",
            r#"{"eventId": 4624, "status": "NT_STATUS_OK", "remoteAddress": "ipv4:127.0.0.1:49480", "serviceDescription": "DCE/RPC", "authDescription": "NTLMSSP", "clientDomain": "RAMPART.LAB", "clientAccount": "Administrator", "workstation": "", "becameAccount": "Administrator", "becameDomain": "RAMPART", "becameSid": "S-1-5-21-1-2-3-500", "passwordType": "NTLMv2"}"#,
        );
        assert_eq!(
            e.kind,
            EventKind::NtlmAuth {
                status: 0,
                workstation: None,
                wire: None,
            }
        );
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.source.unwrap().name, None);
    }

    #[test]
    fn samlogon_source_is_the_workstation_not_the_member_server() {
        let e = one(
            "Authentication",
            r#"{"eventId": 4625, "status": "NT_STATUS_NO_SUCH_USER", "remoteAddress": "ipv4:10.0.0.20:50000", "serviceDescription": "SamLogon", "authDescription": "network", "clientDomain": "CORP", "clientAccount": "ghost", "workstation": "\\\\WS07", "mappedAccount": "ghost", "mappedDomain": "CORP", "netlogonComputer": "FILES01", "passwordType": "NTLMv2"}"#,
        );
        let src = e.source.unwrap();
        assert_eq!((src.name.as_deref(), src.ip), (Some("WS07"), None));
        assert!(matches!(
            e.kind,
            EventKind::NtlmAuth {
                status: ntstatus::NO_SUCH_USER,
                ..
            }
        ));
    }

    #[test]
    fn simple_bind_names_the_server_and_the_bind_dn_account() {
        let mut cx = SambaContext::default();
        let evs = run(
            &mut cx,
            "Authentication",
            r#"{"eventId": 4625, "logonType": 8, "status": "NT_STATUS_WRONG_PASSWORD", "localAddress": "ipv4:127.0.0.2:389", "remoteAddress": "ipv4:127.0.0.1:60974", "serviceDescription": "LDAP", "authDescription": "simple bind", "clientDomain": "RAMPART", "clientAccount": "CN=Rachel Moore,OU=Staff,DC=rampart,DC=lab", "workstation": "DC1", "becameAccount": null, "mappedAccount": null, "passwordType": "Plaintext"}"#,
        );
        let e = &evs[0];
        assert_eq!(cx.server(), Some("DC1"));
        assert_eq!(e.observer.as_deref(), Some("DC1"));
        assert_eq!(
            e.kind,
            EventKind::NtlmAuth {
                status: ntstatus::WRONG_PASSWORD,
                workstation: None,
                wire: None,
            }
        );
        let src = e.source.as_ref().unwrap();
        assert_eq!(
            (src.name.as_deref(), src.ip),
            (None, "127.0.0.1".parse().ok())
        );
        let actor = e.actor.as_ref().unwrap();
        assert_eq!(
            (actor.name.as_str(), actor.domain.as_deref()),
            ("Rachel Moore", Some("rampart.lab"))
        );
    }

    #[test]
    fn authorization_is_a_logon_and_names_sids_and_the_server() {
        let mut cx = SambaContext::default();
        let evs = run(
            &mut cx,
            "Authorization",
            r#"{"localAddress": "ipv4:127.0.0.2:445", "remoteAddress": "ipv4:127.0.0.1:43174", "serviceDescription": "SMB2", "authType": "NTLMSSP", "domain": "RAMPART", "account": "tlee", "sid": "S-1-5-21-1-2-3-1125", "sessionId": "9ffe7299-8086-47df-be52-1551df6aa7d1", "logonServer": "DC1", "transportProtection": "SMB", "accountFlags": "0x00000010"}"#,
        );
        let e = &evs[0];
        assert_eq!(
            e.kind,
            EventKind::Logon {
                logon_type: 3,
                auth_package: Some("NTLM".into()),
                logon_process: Some("SMB2".into()),
                logon_id: Some("9ffe7299-8086-47df-be52-1551df6aa7d1".into()),
                elevated: None,
            }
        );
        assert_eq!(e.observer.as_deref(), Some("DC1"));
        assert_eq!(e.evidence.event_id, None);
        assert_eq!(
            cx.account_of_sid("S-1-5-21-1-2-3-1125").unwrap().name,
            "tlee"
        );

        // A Kerberos authorization's logon server is the ticket's KDC: not the observer.
        let mut cx = SambaContext::default();
        let evs = run(
            &mut cx,
            "Authorization",
            r#"{"remoteAddress": "ipv4:127.0.0.1:43180", "serviceDescription": "LDAP", "authType": "krb5", "domain": "RAMPART", "account": "tlee", "sid": "S-1-5-21-1-2-3-1125", "logonServer": "DC2"}"#,
        );
        assert_eq!(cx.server(), None);
        assert!(matches!(
            &evs[0].kind,
            EventKind::Logon { auth_package: Some(p), .. } if p == "Kerberos"
        ));
    }

    #[test]
    fn status_names_and_kerberos_codes() {
        assert_eq!(nt_status("NT_STATUS_OK"), 0);
        assert_eq!(nt_status("NT_STATUS_ACCOUNT_LOCKED_OUT"), 0xC000_0234);
        assert_eq!(nt_status("NT code 0xc0000413"), 0xC000_0413);
        assert_eq!(nt_status("NT_STATUS_SOMETHING_NEW"), 0xC000_0001);
        assert_eq!(krb_status(nt_status("NT_STATUS_ACCOUNT_DISABLED")), 0x12);
        assert_eq!(
            krb_status(nt_status("NT_STATUS_PASSWORD_MUST_CHANGE")),
            0x17
        );
        assert_eq!(krb_status(nt_status("NT_STATUS_LOGON_FAILURE")), 0x3C);
        assert_eq!(preauth_type("PKINIT Pre-authentication"), Some(16));
        assert_eq!(preauth_type("FX-FAST Pre-authentication"), None);
        assert_eq!(etype_number("DES-CBC-MD5"), Some(3));
    }
}
