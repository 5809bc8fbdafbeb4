//! Accounts limited to RC4 or DES Kerberos keys.

use super::privilege::{affected, enabled};
use super::{mdi, pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;

pub struct WeakKerberosEncryption;

/// msDS-SupportedEncryptionTypes bits.
const DES_CBC_CRC: u32 = 0x1;
const DES_CBC_MD5: u32 = 0x2;
const RC4_HMAC: u32 = 0x4;
const AES128: u32 = 0x8;
const AES256: u32 = 0x10;

static INFO: CheckInfo = CheckInfo {
    id: "weak_kerberos_encryption",
    title: "Accounts limited to RC4 or DES Kerberos encryption",
    severity: Severity::Medium,
    category: Category::Kerberos,
    checks: "Enabled accounts whose msDS-SupportedEncryptionTypes is set but has neither AES bit \
             (0x8, 0x10), or whose userAccountControl has USE_DES_KEY_ONLY (0x200000). An \
             absent attribute (the DC's default) is not reported.",
    why: "Tickets for such an account are RC4 (or DES): keyed by the unsalted NT hash, cracked \
          far faster than AES when Kerberoasted, and usable with an NT hash alone \
          (overpass-the-hash) without raising an etype downgrade.",
    fix: "Set msDS-SupportedEncryptionTypes to 0x18 (AES128+AES256) after the service supports \
          AES, reset the password so AES keys exist, and clear USE_DES_KEY_ONLY.",
    equivalents: &[
        mdi("Weak cipher usage"),
        pingcastle("S-DesEnabled", "Presence of DES Enabled Account"),
    ],
};

fn describe(set: u32) -> String {
    let mut v = Vec::new();
    if set & (DES_CBC_CRC | DES_CBC_MD5) != 0 {
        v.push("DES");
    }
    if set & RC4_HMAC != 0 {
        v.push("RC4");
    }
    if v.is_empty() {
        return format!("msDS-SupportedEncryptionTypes={set} (no usable type)");
    }
    format!("msDS-SupportedEncryptionTypes={set} ({} only)", v.join("+"))
}

impl Check for WeakKerberosEncryption {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let mut out = Vec::new();
        for p in dir.users.iter().chain(dir.computers.iter()) {
            if !enabled(p) {
                continue;
            }
            if p.user_account_control.use_des_key_only() {
                out.push(affected(p, "USE_DES_KEY_ONLY"));
            } else if let Some(set) = p.supported_encryption_types {
                // Only the etype bits: 0x20 (AES session keys) and higher are not ticket keys.
                if set & 0x1f != 0 && set & (AES128 | AES256) == 0 {
                    out.push(affected(p, describe(set)));
                }
            }
        }
        CheckResult::from_affected(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Uac;
    use crate::posture::testkit::*;

    #[test]
    fn rc4_only_and_des_only_fail() {
        let mut d = dir();
        user(&mut d, "svc_sql", 1100, Uac::NORMAL_ACCOUNT).supported_encryption_types = Some(4);
        user(
            &mut d,
            "legacy",
            1101,
            Uac::NORMAL_ACCOUNT | Uac::USE_DES_KEY_ONLY,
        );
        let r = run(&WeakKerberosEncryption, &d);
        assert_eq!(failing(&r), ["legacy", "svc_sql"]);
        assert!(r.affected[1].why.contains("RC4 only"));
    }

    #[test]
    fn aes_and_default_pass() {
        let mut d = dir();
        user(&mut d, "svc_web", 1100, Uac::NORMAL_ACCOUNT).supported_encryption_types = Some(24);
        user(&mut d, "mixed", 1101, Uac::NORMAL_ACCOUNT).supported_encryption_types = Some(0x1c);
        user(&mut d, "plain", 1102, Uac::NORMAL_ACCOUNT);
        passes(&run(&WeakKerberosEncryption, &d));
    }
}
