//! A small parser for security descriptors in SDDL form (`O:DAG:DAD:PAI(A;;GA;;;DA)…`), as 5136
//! events and LDAP exports carry them, and the judgement "does this ACE hand out control".
//!
//! Only what detectors and posture checks need: owner, group, and the DACL's ACEs with their
//! type, rights, object GUID and trustee. SACLs are parsed past and ignored.

/// One access control entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ace {
    /// `A` allow, `D` deny, `OA` object allow, `OD` object deny, …
    pub ace_type: String,
    pub flags: String,
    /// Rights as SDDL letters (`GA`, `WD`, `RPWP`…) or a hex mask (`0x…`).
    pub rights: String,
    /// The property, property set, extended right or child class the ACE is about.
    pub object_guid: Option<String>,
    pub inherit_guid: Option<String>,
    /// A SID string or an SDDL alias (`DA`, `BA`, `AU`…).
    pub trustee: String,
}

/// A parsed security descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityDescriptor {
    pub owner: Option<String>,
    pub group: Option<String>,
    pub dacl: Vec<Ace>,
}

/// Parses SDDL; malformed ACEs are skipped, so a damaged value yields what could be read.
pub fn parse(sddl: &str) -> SecurityDescriptor {
    let mut sd = SecurityDescriptor::default();
    let s = sddl.trim();
    // Split into sections at the `O:`, `G:`, `D:`, `S:` markers that are outside parentheses.
    let mut sections: Vec<(char, &str)> = Vec::new();
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut start: Option<(char, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'O' | b'G' | b'D' | b'S'
                if depth == 0
                    && bytes.get(i + 1) == Some(&b':')
                    && (i == 0 || bytes[i - 1] != b'-') =>
            {
                if let Some((k, from)) = start {
                    sections.push((k, &s[from..i]));
                }
                start = Some((c as char, i + 2));
                i += 2;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if let Some((k, from)) = start {
        sections.push((k, &s[from.min(s.len())..]));
    }
    for (k, body) in sections {
        match k {
            'O' => sd.owner = Some(body.to_string()),
            'G' => sd.group = Some(body.to_string()),
            'D' => sd.dacl = parse_aces(body),
            _ => {}
        }
    }
    sd
}

fn parse_aces(body: &str) -> Vec<Ace> {
    let mut aces = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('(') {
        let Some(close) = rest[open..].find(')') else {
            break;
        };
        let inner = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let parts: Vec<&str> = inner.split(';').collect();
        if parts.len() < 6 {
            continue;
        }
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_ascii_lowercase());
        aces.push(Ace {
            ace_type: parts[0].to_string(),
            flags: parts[1].to_string(),
            rights: parts[2].to_string(),
            object_guid: opt(parts[3]),
            inherit_guid: opt(parts[4]),
            trustee: parts[5].to_string(),
        });
    }
    aces
}

/// SDDL aliases and SID suffixes of principals that are expected to hold control over directory
/// objects: admins, DCs, SYSTEM, creator owner, and the enterprise/domain admin RIDs.
pub fn is_admin_trustee(trustee: &str) -> bool {
    if matches!(
        trustee,
        "DA" | "EA" | "BA" | "SY" | "DD" | "ED" | "SA" | "CO" | "RS" | "CA" | "PS" | "ER" | "RO"
    ) {
        return true;
    }
    if matches!(
        trustee,
        "S-1-5-18" | "S-1-5-9" | "S-1-5-32-544" | "S-1-3-0" | "S-1-5-10"
    ) {
        return true;
    }
    if trustee.starts_with("S-1-5-21-") {
        if let Some(rid) = trustee
            .rsplit('-')
            .next()
            .and_then(|r| r.parse::<u32>().ok())
        {
            return matches!(rid, 500 | 512 | 516 | 518 | 519 | 498 | 521 | 526 | 527);
        }
    }
    false
}

/// What a granting ACE hands out, if it is one of the rights that give control of the object
/// (or of the domain), with a name for it. Deny ACEs and read-only rights give `None`.
pub fn dangerous_right(ace: &Ace) -> Option<&'static str> {
    if !ace.ace_type.starts_with('A') && ace.ace_type != "OA" {
        return None;
    }
    let r = ace.rights.to_ascii_uppercase();
    let has = |code: &str| {
        // Rights are two-letter codes concatenated: look at aligned pairs only.
        r.as_bytes().chunks(2).any(|c| c == code.as_bytes())
    };
    let mask = r
        .strip_prefix("0X")
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .unwrap_or(0);
    if has("GA") || mask & 0x1000_0000 != 0 || mask & 0x000F_01FF == 0x000F_01FF {
        return Some("GenericAll");
    }
    if has("WD") || mask & 0x0004_0000 != 0 {
        return Some("WriteDacl");
    }
    if has("WO") || mask & 0x0008_0000 != 0 {
        return Some("WriteOwner");
    }
    let guid = ace.object_guid.as_deref();
    if has("CR") || mask & 0x100 != 0 {
        match guid {
            None => return Some("AllExtendedRights"),
            Some(g) => {
                if let Some(name) = crate::wellknown::replication_right(g) {
                    return Some(match name {
                        "DS-Replication-Get-Changes-All" => {
                            "DS-Replication-Get-Changes-All (DCSync)"
                        }
                        "DS-Replication-Get-Changes" => "DS-Replication-Get-Changes (DCSync)",
                        _ => "DS-Replication-Get-Changes-In-Filtered-Set",
                    });
                }
                if g == "00299570-246d-11d0-a768-00aa006e0529" {
                    return Some("ForceChangePassword");
                }
            }
        }
    }
    if has("GW") || has("WP") || mask & 0x20 != 0 {
        return match guid {
            None => Some("GenericWrite"),
            Some("bf9679c0-0de6-11d0-a285-00aa003049e2") => Some("WriteMember"),
            Some("f3a64788-5306-11d1-a9c5-0000f80367c1") => Some("WriteSPN"),
            Some("5b47d60f-6090-40b2-9f37-2a4de88f3063") => Some("WriteKeyCredentialLink"),
            Some("3f78c3e5-f79a-46bd-a0b8-9d18116ddc79") => {
                Some("WriteAllowedToActOnBehalf (RBCD)")
            }
            Some("f30e3bc1-9ff0-11d1-b603-0000f80367c1") => Some("WriteGPCFileSysPath"),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_owner_and_aces() {
        let sd = parse("O:DAG:DAD:PAI(A;;GA;;;DA)(OA;;CR;1131f6ad-9c07-11d1-f79f-00c04fc2dcd2;;S-1-5-21-1-2-3-1105)S:AI(AU;SA;WPWDWO;;;WD)");
        assert_eq!(sd.owner.as_deref(), Some("DA"));
        assert_eq!(sd.group.as_deref(), Some("DA"));
        assert_eq!(sd.dacl.len(), 2);
        assert_eq!(sd.dacl[1].trustee, "S-1-5-21-1-2-3-1105");
        assert_eq!(
            dangerous_right(&sd.dacl[1]),
            Some("DS-Replication-Get-Changes-All (DCSync)")
        );
        assert!(is_admin_trustee(&sd.dacl[0].trustee));
        assert!(!is_admin_trustee("S-1-5-21-1-2-3-1105"));
    }

    #[test]
    fn owner_sid_with_dashes_is_not_split() {
        let sd = parse("O:S-1-5-21-42-1234G:DAD:AI(A;;RPWP;;;AU)");
        assert_eq!(sd.owner.as_deref(), Some("S-1-5-21-42-1234"));
        assert_eq!(sd.dacl.len(), 1);
        assert_eq!(dangerous_right(&sd.dacl[0]), Some("GenericWrite"));
    }

    #[test]
    fn read_rights_and_garbage_are_harmless() {
        let sd = parse("D:(A;;RPLCLORC;;;AU)(broken)(OD;;WP;;;WD");
        assert_eq!(sd.dacl.len(), 1);
        assert_eq!(dangerous_right(&sd.dacl[0]), None);
        assert_eq!(parse("").dacl.len(), 0);
        assert_eq!(parse("(((").dacl.len(), 0);
    }
}
