//! Facts of Active Directory that hold in every domain: privileged groups, extended rights,
//! encryption types, status codes. Detectors and mappers share these so that a GUID or a RID
//! is spelled once.

/// RIDs of domain groups whose members control the domain (MS-ADTS 6.1.1.6, "protected groups").
pub const PRIVILEGED_GROUP_RIDS: &[(u32, &str)] = &[
    (512, "Domain Admins"),
    (516, "Domain Controllers"),
    (518, "Schema Admins"),
    (519, "Enterprise Admins"),
    (520, "Group Policy Creator Owners"),
    (526, "Key Admins"),
    (527, "Enterprise Key Admins"),
];

/// Built-in (S-1-5-32-x) aliases with control over DCs.
pub const PRIVILEGED_BUILTIN_RIDS: &[(u32, &str)] = &[
    (544, "Administrators"),
    (548, "Account Operators"),
    (549, "Server Operators"),
    (550, "Print Operators"),
    (551, "Backup Operators"),
    (552, "Replicator"),
];

/// Groups without a fixed RID that give a path to domain control.
pub const PRIVILEGED_GROUP_NAMES: &[&str] = &[
    "domain admins",
    "enterprise admins",
    "schema admins",
    "administrators",
    "account operators",
    "server operators",
    "print operators",
    "backup operators",
    "group policy creator owners",
    "key admins",
    "enterprise key admins",
    "domain controllers",
    "enterprise domain controllers",
    "dnsadmins",
    "exchange windows permissions",
    "exchange trusted subsystem",
    "organization management",
    "exchange enterprise servers",
    "cert publishers",
];

/// Whether a group, by SID or name, is one of the built-in privileged groups.
pub fn is_privileged_group(name: Option<&str>, sid: Option<&str>) -> bool {
    if let Some(sid) = sid {
        if let Some(rid) = sid
            .strip_prefix("S-1-5-32-")
            .and_then(|r| r.parse::<u32>().ok())
        {
            if PRIVILEGED_BUILTIN_RIDS.iter().any(|(r, _)| *r == rid) {
                return true;
            }
        } else if sid.starts_with("S-1-5-21-") {
            if let Some(rid) = sid.rsplit('-').next().and_then(|r| r.parse::<u32>().ok()) {
                if PRIVILEGED_GROUP_RIDS.iter().any(|(r, _)| *r == rid) {
                    return true;
                }
            }
        }
    }
    if let Some(name) = name {
        let n = name
            .rsplit('\\')
            .next()
            .unwrap_or(name)
            .to_ascii_lowercase();
        return PRIVILEGED_GROUP_NAMES.contains(&n.as_str());
    }
    false
}

/// RIDs of accounts that are sensitive by nature.
pub const ADMINISTRATOR_RID: u32 = 500;
pub const KRBTGT_RID: u32 = 502;

/// Extended rights that let a principal replicate secrets (MS-ADTS 5.1.3.2.1), lower-case.
pub const REPLICATION_RIGHTS: &[(&str, &str)] = &[
    (
        "1131f6aa-9c07-11d1-f79f-00c04fc2dcd2",
        "DS-Replication-Get-Changes",
    ),
    (
        "1131f6ad-9c07-11d1-f79f-00c04fc2dcd2",
        "DS-Replication-Get-Changes-All",
    ),
    (
        "89e95b76-444d-4c62-991a-0facbeda640c",
        "DS-Replication-Get-Changes-In-Filtered-Set",
    ),
];

/// Other extended rights that matter to detectors.
pub const DS_REPLICATION_MANAGE_TOPOLOGY: &str = "1131f6ac-9c07-11d1-f79f-00c04fc2dcd2";
pub const DS_REPLICATION_SYNCHRONIZE: &str = "1131f6ab-9c07-11d1-f79f-00c04fc2dcd2";

/// Schema GUIDs of object classes events name by GUID.
pub const CLASS_NTDS_DSA: &str = "f0f8ffab-1191-11d0-a060-00aa006c33ed";
pub const CLASS_SERVER: &str = "bf967a92-0de6-11d0-a285-00aa003049e2";
pub const CLASS_DOMAIN_DNS: &str = "19195a5b-6da0-11d0-afd3-00c04fd930c9";
pub const CLASS_GPO: &str = "f30e3bc2-9ff0-11d1-b603-0000f80367c1";

/// The name of a replication right from a GUID as 4662 writes it (`%{1131f6aa-…}`), if it is one.
pub fn replication_right(guid: &str) -> Option<&'static str> {
    let g = guid
        .trim()
        .trim_start_matches('%')
        .trim_matches(['{', '}'])
        .to_ascii_lowercase();
    REPLICATION_RIGHTS
        .iter()
        .find(|(id, _)| *id == g)
        .map(|(_, name)| *name)
}

/// Kerberos encryption types (RFC 3961/4757/8009).
pub mod etype {
    pub const DES_CBC_CRC: u32 = 1;
    pub const DES_CBC_MD5: u32 = 3;
    pub const AES128: u32 = 17;
    pub const AES256: u32 = 18;
    pub const RC4_HMAC: u32 = 23;
    pub const RC4_HMAC_EXP: u32 = 24;

    /// RC4 or DES: crackable offline far faster than AES.
    pub fn is_weak(etype: u32) -> bool {
        matches!(etype, DES_CBC_CRC | DES_CBC_MD5 | RC4_HMAC | RC4_HMAC_EXP)
    }

    pub fn name(etype: u32) -> &'static str {
        match etype {
            DES_CBC_CRC => "DES-CBC-CRC",
            DES_CBC_MD5 => "DES-CBC-MD5",
            AES128 => "AES128-CTS-HMAC-SHA1-96",
            AES256 => "AES256-CTS-HMAC-SHA1-96",
            RC4_HMAC => "RC4-HMAC",
            RC4_HMAC_EXP => "RC4-HMAC-EXP",
            _ => "unknown",
        }
    }
}

/// Kerberos error codes (RFC 4120 7.5.9) that detectors key on.
pub mod krb_error {
    pub const OK: u32 = 0x0;
    pub const C_PRINCIPAL_UNKNOWN: u32 = 0x6;
    pub const S_PRINCIPAL_UNKNOWN: u32 = 0x7;
    pub const CLIENT_REVOKED: u32 = 0x12;
    pub const KEY_EXPIRED: u32 = 0x17;
    pub const PREAUTH_FAILED: u32 = 0x18;
    pub const PREAUTH_REQUIRED: u32 = 0x19;
    pub const TKT_EXPIRED: u32 = 0x20;
}

/// NTSTATUS values of failed logons.
pub mod ntstatus {
    pub const NO_SUCH_USER: u32 = 0xC000_0064;
    pub const WRONG_PASSWORD: u32 = 0xC000_006A;
    pub const LOGON_FAILURE: u32 = 0xC000_006D;
    pub const ACCOUNT_RESTRICTION: u32 = 0xC000_006E;
    pub const INVALID_LOGON_HOURS: u32 = 0xC000_006F;
    pub const INVALID_WORKSTATION: u32 = 0xC000_0070;
    pub const PASSWORD_EXPIRED: u32 = 0xC000_0071;
    pub const ACCOUNT_DISABLED: u32 = 0xC000_0072;
    pub const ACCOUNT_EXPIRED: u32 = 0xC000_0193;
    pub const PASSWORD_MUST_CHANGE: u32 = 0xC000_0224;
    pub const ACCOUNT_LOCKED_OUT: u32 = 0xC000_0234;

    /// A failure that means a wrong secret was tried (the evidence of guessing), as opposed to
    /// policy failures (logon hours, disabled account) that say nothing of the password.
    pub fn is_bad_password(status: u32) -> bool {
        matches!(status, WRONG_PASSWORD | LOGON_FAILURE)
    }

    pub fn is_unknown_user(status: u32) -> bool {
        status == NO_SUCH_USER
    }
}

/// userAccountControl flags (MS-ADTS 2.2.16).
pub mod uac {
    pub const ACCOUNTDISABLE: u32 = 0x0002;
    pub const PASSWD_NOTREQD: u32 = 0x0020;
    pub const ENCRYPTED_TEXT_PWD_ALLOWED: u32 = 0x0080;
    pub const NORMAL_ACCOUNT: u32 = 0x0200;
    pub const WORKSTATION_TRUST_ACCOUNT: u32 = 0x1000;
    pub const SERVER_TRUST_ACCOUNT: u32 = 0x2000;
    pub const DONT_EXPIRE_PASSWORD: u32 = 0x1_0000;
    pub const TRUSTED_FOR_DELEGATION: u32 = 0x8_0000;
    pub const NOT_DELEGATED: u32 = 0x10_0000;
    pub const USE_DES_KEY_ONLY: u32 = 0x20_0000;
    pub const DONT_REQ_PREAUTH: u32 = 0x40_0000;
    pub const TRUSTED_TO_AUTH_FOR_DELEGATION: u32 = 0x100_0000;
}

/// Account control flags as SAM reports them in 4720/4738/4741/4742 `OldUacValue`/`NewUacValue`
/// (MS-SAMR 2.2.1.12). They differ from the LDAP `userAccountControl` bits in [`uac`].
pub mod samr_uac {
    pub const ACCOUNT_DISABLED: u32 = 0x1;
    pub const PASSWORD_NOT_REQUIRED: u32 = 0x4;
    pub const NORMAL_ACCOUNT: u32 = 0x10;
    pub const WORKSTATION_TRUST_ACCOUNT: u32 = 0x80;
    pub const SERVER_TRUST_ACCOUNT: u32 = 0x100;
    pub const DONT_EXPIRE_PASSWORD: u32 = 0x200;
    pub const ENCRYPTED_TEXT_PASSWORD_ALLOWED: u32 = 0x800;
    pub const TRUSTED_FOR_DELEGATION: u32 = 0x2000;
    pub const NOT_DELEGATED: u32 = 0x4000;
    pub const USE_DES_KEY_ONLY: u32 = 0x8000;
    pub const DONT_REQUIRE_PREAUTH: u32 = 0x1_0000;
    pub const TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION: u32 = 0x4_0000;
}

/// Parses the number forms Windows events use: `0x18`, `24`, `%%1796`-free plain values.
pub fn parse_number(raw: &str) -> Option<u32> {
    let s = raw.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|v| v as u32);
    }
    s.parse::<u64>().ok().map(|v| v as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_privileged_groups() {
        assert!(is_privileged_group(None, Some("S-1-5-21-1-2-3-512")));
        assert!(is_privileged_group(None, Some("S-1-5-32-544")));
        assert!(is_privileged_group(Some("CORP\\DnsAdmins"), None));
        assert!(!is_privileged_group(
            Some("Group01"),
            Some("S-1-5-21-1-2-3-1105")
        ));
        assert!(!is_privileged_group(None, Some("S-1-5-32-545")));
    }

    #[test]
    fn names_replication_rights() {
        assert_eq!(
            replication_right("%{1131F6AD-9C07-11D1-F79F-00C04FC2DCD2}"),
            Some("DS-Replication-Get-Changes-All")
        );
        assert_eq!(
            replication_right("{bf967a86-0de6-11d0-a285-00aa003049e2}"),
            None
        );
    }

    #[test]
    fn parses_numbers() {
        assert_eq!(parse_number("0x18"), Some(24));
        assert_eq!(parse_number("0xC000006A"), Some(0xC000_006A));
        assert_eq!(parse_number("3"), Some(3));
        assert_eq!(parse_number("-"), None);
    }
}
