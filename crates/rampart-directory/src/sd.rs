//! MS-DTYP self-relative `SECURITY_DESCRIPTOR`s (as `nTSecurityDescriptor` holds them) and the
//! rights they hand out, as ACL edges `trustee SID → right → object`.
//!
//! The parser checks every offset and length against the buffer and never allocates more than
//! the buffer can hold, so a damaged or hostile descriptor yields an error, never a panic.
//! Rights are resolved per trustee in DACL order, first match per right wins, as Windows
//! evaluates access for one SID: a deny ACE before an allow ACE takes that right away.

use serde::{Deserialize, Serialize};
use std::fmt;

/// `SE_DACL_PRESENT`, `SE_SACL_PRESENT`, `SE_SELF_RELATIVE` (MS-DTYP 2.4.6).
pub const SE_DACL_PRESENT: u16 = 0x0004;
pub const SE_SACL_PRESENT: u16 = 0x0010;
pub const SE_DACL_PROTECTED: u16 = 0x1000;
pub const SE_SELF_RELATIVE: u16 = 0x8000;

/// ACE types (MS-DTYP 2.4.4.1) that Rampart reads; the others are counted and skipped.
pub mod ace_type {
    pub const ACCESS_ALLOWED: u8 = 0;
    pub const ACCESS_DENIED: u8 = 1;
    pub const SYSTEM_AUDIT: u8 = 2;
    pub const ACCESS_ALLOWED_OBJECT: u8 = 5;
    pub const ACCESS_DENIED_OBJECT: u8 = 6;
    pub const SYSTEM_AUDIT_OBJECT: u8 = 7;
}

/// ACE flags (MS-DTYP 2.4.4.1).
pub mod ace_flags {
    pub const OBJECT_INHERIT: u8 = 0x01;
    pub const CONTAINER_INHERIT: u8 = 0x02;
    pub const NO_PROPAGATE_INHERIT: u8 = 0x04;
    pub const INHERIT_ONLY: u8 = 0x08;
    pub const INHERITED: u8 = 0x10;
    pub const SUCCESSFUL_ACCESS: u8 = 0x40;
    pub const FAILED_ACCESS: u8 = 0x80;
}

/// Access mask bits (MS-ADTS 5.1.3.2, MS-DTYP 2.4.3).
pub mod mask {
    pub const CREATE_CHILD: u32 = 0x0000_0001;
    pub const DELETE_CHILD: u32 = 0x0000_0002;
    pub const LIST_CHILDREN: u32 = 0x0000_0004;
    /// `ADS_RIGHT_DS_SELF`: validated write (AddSelf on `member`, WriteSPN's validated form).
    pub const SELF: u32 = 0x0000_0008;
    pub const READ_PROPERTY: u32 = 0x0000_0010;
    pub const WRITE_PROPERTY: u32 = 0x0000_0020;
    pub const CONTROL_ACCESS: u32 = 0x0000_0100;
    pub const WRITE_DACL: u32 = 0x0004_0000;
    pub const WRITE_OWNER: u32 = 0x0008_0000;
    /// GenericAll as AD stores it once mapped (`CCDCLCSWRPWPDTLOCRSDRCWDWO`).
    pub const GENERIC_ALL_MAPPED: u32 = 0x000F_01FF;
    /// GenericWrite as AD stores it once mapped (`RCWPSW`).
    pub const GENERIC_WRITE_MAPPED: u32 = 0x0002_0028;
    pub const GENERIC_ALL: u32 = 0x1000_0000;
    pub const GENERIC_WRITE: u32 = 0x4000_0000;
}

/// Schema and extended-right GUIDs that decide an edge (lower-case).
pub mod guid {
    pub const MEMBER: &str = "bf9679c0-0de6-11d0-a285-00aa003049e2";
    pub const USER_FORCE_CHANGE_PASSWORD: &str = "00299570-246d-11d0-a768-00aa006e0529";
    pub const DS_REPLICATION_GET_CHANGES: &str = "1131f6aa-9c07-11d1-f79f-00c04fc2dcd2";
    pub const DS_REPLICATION_GET_CHANGES_ALL: &str = "1131f6ad-9c07-11d1-f79f-00c04fc2dcd2";
    pub const DS_REPLICATION_GET_CHANGES_IN_FILTERED_SET: &str =
        "89e95b76-444d-4c62-991a-0facbeda640c";
    pub const SERVICE_PRINCIPAL_NAME: &str = "f3a64788-5306-11d1-a9c5-0000f80367c1";
    pub const KEY_CREDENTIAL_LINK: &str = "5b47d60f-6090-40b2-9f37-2a4de88f3063";
    pub const ALLOWED_TO_ACT: &str = "3f78c3e5-f79a-46bd-a0b8-9d18116ddc79";
    /// Object classes, for InheritedObjectType matching.
    pub const CLASS_USER: &str = "bf967aba-0de6-11d0-a285-00aa003049e2";
    pub const CLASS_COMPUTER: &str = "bf967a86-0de6-11d0-a285-00aa003049e2";
    pub const CLASS_GROUP: &str = "bf967a9c-0de6-11d0-a285-00aa003049e2";
    pub const CLASS_DOMAIN_DNS: &str = "19195a5b-6da0-11d0-afd3-00c04fd930c9";
    pub const CLASS_OU: &str = "bf967aa5-0de6-11d0-a285-00aa003049e2";
    pub const CLASS_CONTAINER: &str = "bf967a8b-0de6-11d0-a285-00aa003049e2";
    pub const CLASS_GPO: &str = "f30e3bc2-9ff0-11d1-b603-0000f80367c1";
    pub const CLASS_CERT_TEMPLATE: &str = "e5209ca2-3bba-11d2-90cc-00c04fd91ab1";
    pub const CLASS_ENROLLMENT_SERVICE: &str = "ee4aa692-3bba-11d2-90cc-00c04fd91ab1";
    pub const CLASS_INET_ORG_PERSON: &str = "4828cc14-1437-45bc-9b07-ad6f015e5f28";
}

/// One ACE of a DACL or SACL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ace {
    /// [`ace_type`] value.
    pub ace_type: u8,
    /// [`ace_flags`] bits.
    pub flags: u8,
    pub mask: u32,
    /// The property, property set, extended right or child class (object ACEs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    /// The class of objects the ACE applies to (object ACEs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inherited_object_type: Option<String>,
    /// `S-1-…`.
    pub trustee: String,
}

impl Ace {
    pub fn is_allow(&self) -> bool {
        matches!(
            self.ace_type,
            ace_type::ACCESS_ALLOWED | ace_type::ACCESS_ALLOWED_OBJECT
        )
    }
    pub fn is_deny(&self) -> bool {
        matches!(
            self.ace_type,
            ace_type::ACCESS_DENIED | ace_type::ACCESS_DENIED_OBJECT
        )
    }
    pub fn is_inherited(&self) -> bool {
        self.flags & ace_flags::INHERITED != 0
    }
    pub fn is_inherit_only(&self) -> bool {
        self.flags & ace_flags::INHERIT_ONLY != 0
    }
}

/// A parsed security descriptor. `dacl: None` is a NULL DACL (everyone has full control);
/// `Some(vec![])` an empty one (nobody has access).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SecurityDescriptor {
    pub control: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dacl: Option<Vec<Ace>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sacl: Option<Vec<Ace>>,
    /// ACEs of types Rampart does not read (callback, mandatory label, …), skipped.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped_aces: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Why a descriptor could not be read; `offset` is into the descriptor's bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdError {
    #[error("security descriptor truncated at byte {offset}: {what}")]
    Truncated { offset: usize, what: &'static str },
    #[error("security descriptor malformed at byte {offset}: {what}")]
    Malformed { offset: usize, what: &'static str },
}

fn slice<'a>(b: &'a [u8], off: usize, len: usize, what: &'static str) -> Result<&'a [u8], SdError> {
    off.checked_add(len)
        .and_then(|end| b.get(off..end))
        .ok_or(SdError::Truncated { offset: off, what })
}

fn u16_at(b: &[u8], off: usize, what: &'static str) -> Result<u16, SdError> {
    let s = slice(b, off, 2, what)?;
    Ok(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], off: usize, what: &'static str) -> Result<u32, SdError> {
    let s = slice(b, off, 4, what)?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Parses a binary SID at `off`; returns it as `S-1-…` and its length in bytes.
pub fn parse_sid_at(b: &[u8], off: usize) -> Result<(String, usize), SdError> {
    let head = slice(b, off, 8, "SID header")?;
    if head[0] != 1 {
        return Err(SdError::Malformed {
            offset: off,
            what: "SID revision is not 1",
        });
    }
    let count = usize::from(head[1]);
    if count > 15 {
        return Err(SdError::Malformed {
            offset: off,
            what: "SID has more than 15 sub-authorities",
        });
    }
    let auth = head[2..8]
        .iter()
        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
    let subs = slice(b, off + 8, count * 4, "SID sub-authorities")?;
    let mut s = if auth >= 1 << 32 {
        format!("S-1-0x{auth:012X}")
    } else {
        format!("S-1-{auth}")
    };
    for c in subs.chunks_exact(4) {
        use std::fmt::Write as _;
        let _ = write!(s, "-{}", u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    }
    Ok((s, 8 + count * 4))
}

/// A binary SID (as `objectSid` holds it) as `S-1-…`.
pub fn parse_sid(b: &[u8]) -> Result<String, SdError> {
    parse_sid_at(b, 0).map(|(s, _)| s)
}

/// A binary GUID (as `objectGUID` and object ACEs hold it, mixed-endian) as lower-case text.
pub fn format_guid(g: &[u8; 16]) -> String {
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13],
        g[14], g[15]
    )
}

/// A GUID from `objectGUID`'s 16 bytes; `None` for any other length.
pub fn parse_guid(b: &[u8]) -> Option<String> {
    let g: &[u8; 16] = b.try_into().ok()?;
    Some(format_guid(g))
}

fn guid_at(b: &[u8], off: usize, what: &'static str) -> Result<String, SdError> {
    let s = slice(b, off, 16, what)?;
    parse_guid(s).ok_or(SdError::Truncated { offset: off, what })
}

/// Parses a self-relative security descriptor.
pub fn parse(b: &[u8]) -> Result<SecurityDescriptor, SdError> {
    let head = slice(b, 0, 20, "header")?;
    if head[0] != 1 {
        return Err(SdError::Malformed {
            offset: 0,
            what: "revision is not 1",
        });
    }
    let control = u16_at(b, 2, "control")?;
    if control & SE_SELF_RELATIVE == 0 {
        return Err(SdError::Malformed {
            offset: 2,
            what: "not self-relative",
        });
    }
    let owner_off = u32_at(b, 4, "owner offset")? as usize;
    let group_off = u32_at(b, 8, "group offset")? as usize;
    let sacl_off = u32_at(b, 12, "SACL offset")? as usize;
    let dacl_off = u32_at(b, 16, "DACL offset")? as usize;
    let mut sd = SecurityDescriptor {
        control,
        ..SecurityDescriptor::default()
    };
    if owner_off != 0 {
        sd.owner = Some(parse_sid_at(b, owner_off)?.0);
    }
    if group_off != 0 {
        sd.group = Some(parse_sid_at(b, group_off)?.0);
    }
    if control & SE_DACL_PRESENT != 0 && dacl_off != 0 {
        sd.dacl = Some(parse_acl(b, dacl_off, &mut sd.skipped_aces)?);
    }
    if control & SE_SACL_PRESENT != 0 && sacl_off != 0 {
        sd.sacl = Some(parse_acl(b, sacl_off, &mut sd.skipped_aces)?);
    }
    Ok(sd)
}

fn parse_acl(b: &[u8], off: usize, skipped: &mut u32) -> Result<Vec<Ace>, SdError> {
    let head = slice(b, off, 8, "ACL header")?;
    if !(2..=4).contains(&head[0]) {
        return Err(SdError::Malformed {
            offset: off,
            what: "ACL revision is not 2 or 4",
        });
    }
    let size = usize::from(u16::from_le_bytes([head[2], head[3]]));
    let count = usize::from(u16::from_le_bytes([head[4], head[5]]));
    if size < 8 {
        return Err(SdError::Malformed {
            offset: off,
            what: "ACL size below its header",
        });
    }
    let acl = slice(b, off, size, "ACL")?;
    // An ACE takes at least 4 bytes, so the buffer bounds the count whatever the header says.
    let mut aces = Vec::with_capacity(count.min((size - 8) / 16));
    let mut pos = 8usize;
    for _ in 0..count {
        let at = off + pos;
        let h = slice(acl, pos, 4, "ACE header").map_err(|_| SdError::Truncated {
            offset: at,
            what: "ACE header",
        })?;
        let (t, flags) = (h[0], h[1]);
        let ace_size = usize::from(u16::from_le_bytes([h[2], h[3]]));
        if ace_size < 8 {
            return Err(SdError::Malformed {
                offset: at,
                what: "ACE size below its minimum",
            });
        }
        let body = slice(acl, pos, ace_size, "ACE").map_err(|_| SdError::Truncated {
            offset: at,
            what: "ACE runs past its ACL",
        })?;
        let rel = |e: SdError| match e {
            SdError::Truncated { offset, what } => SdError::Truncated {
                offset: at + offset,
                what,
            },
            SdError::Malformed { offset, what } => SdError::Malformed {
                offset: at + offset,
                what,
            },
        };
        match t {
            0..=3 => {
                let mask = u32_at(body, 4, "ACE mask").map_err(rel)?;
                let (trustee, _) = parse_sid_at(body, 8).map_err(rel)?;
                aces.push(Ace {
                    ace_type: t,
                    flags,
                    mask,
                    object_type: None,
                    inherited_object_type: None,
                    trustee,
                });
            }
            5..=8 => {
                let mask = u32_at(body, 4, "ACE mask").map_err(rel)?;
                let oflags = u32_at(body, 8, "object ACE flags").map_err(rel)?;
                let mut p = 12;
                let mut object_type = None;
                let mut inherited_object_type = None;
                if oflags & 1 != 0 {
                    object_type = Some(guid_at(body, p, "ACE ObjectType").map_err(rel)?);
                    p += 16;
                }
                if oflags & 2 != 0 {
                    inherited_object_type =
                        Some(guid_at(body, p, "ACE InheritedObjectType").map_err(rel)?);
                    p += 16;
                }
                let (trustee, _) = parse_sid_at(body, p).map_err(rel)?;
                aces.push(Ace {
                    ace_type: t,
                    flags,
                    mask,
                    object_type,
                    inherited_object_type,
                    trustee,
                });
            }
            _ => *skipped = skipped.saturating_add(1),
        }
        pos += ace_size;
    }
    Ok(aces)
}

/// The rights Rampart turns into graph edges, named as BloodHound names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Right {
    GenericAll,
    GenericWrite,
    WriteDacl,
    WriteOwner,
    Owns,
    AddMember,
    AddSelf,
    ForceChangePassword,
    GetChanges,
    GetChangesAll,
    GetChangesInFilteredSet,
    AllExtendedRights,
    #[serde(rename = "WriteSPN")]
    WriteSpn,
    AddKeyCredentialLink,
    AddAllowedToAct,
    #[serde(rename = "ReadLAPSPassword")]
    ReadLapsPassword,
}

impl Right {
    pub fn name(self) -> &'static str {
        match self {
            Right::GenericAll => "GenericAll",
            Right::GenericWrite => "GenericWrite",
            Right::WriteDacl => "WriteDacl",
            Right::WriteOwner => "WriteOwner",
            Right::Owns => "Owns",
            Right::AddMember => "AddMember",
            Right::AddSelf => "AddSelf",
            Right::ForceChangePassword => "ForceChangePassword",
            Right::GetChanges => "GetChanges",
            Right::GetChangesAll => "GetChangesAll",
            Right::GetChangesInFilteredSet => "GetChangesInFilteredSet",
            Right::AllExtendedRights => "AllExtendedRights",
            Right::WriteSpn => "WriteSPN",
            Right::AddKeyCredentialLink => "AddKeyCredentialLink",
            Right::AddAllowedToAct => "AddAllowedToAct",
            Right::ReadLapsPassword => "ReadLAPSPassword",
        }
    }

    /// The right of a BloodHound `RightName`, if Rampart models it.
    pub fn from_name(name: &str) -> Option<Right> {
        ALL_RIGHTS
            .iter()
            .copied()
            .find(|r| r.name().eq_ignore_ascii_case(name))
    }
}

pub const ALL_RIGHTS: &[Right] = &[
    Right::GenericAll,
    Right::GenericWrite,
    Right::WriteDacl,
    Right::WriteOwner,
    Right::Owns,
    Right::AddMember,
    Right::AddSelf,
    Right::ForceChangePassword,
    Right::GetChanges,
    Right::GetChangesAll,
    Right::GetChangesInFilteredSet,
    Right::AllExtendedRights,
    Right::WriteSpn,
    Right::AddKeyCredentialLink,
    Right::AddAllowedToAct,
    Right::ReadLapsPassword,
];

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of object a descriptor protects: it decides which rights mean something (a
/// ForceChangePassword on a group is nothing) and which InheritedObjectTypes match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    User,
    Computer,
    Group,
    Domain,
    Ou,
    Gpo,
    Container,
    CertTemplate,
    EnrollmentService,
}

impl ObjectKind {
    /// The schema classes of such an object, most derived first (objectClass holds them all,
    /// and inheritance matches any of them).
    pub fn classes(self) -> &'static [&'static str] {
        match self {
            ObjectKind::User => &[guid::CLASS_USER, guid::CLASS_INET_ORG_PERSON],
            ObjectKind::Computer => &[guid::CLASS_COMPUTER, guid::CLASS_USER],
            ObjectKind::Group => &[guid::CLASS_GROUP],
            ObjectKind::Domain => &[guid::CLASS_DOMAIN_DNS],
            ObjectKind::Ou => &[guid::CLASS_OU],
            ObjectKind::Gpo => &[guid::CLASS_GPO, guid::CLASS_CONTAINER],
            ObjectKind::Container => &[guid::CLASS_CONTAINER],
            ObjectKind::CertTemplate => &[guid::CLASS_CERT_TEMPLATE],
            ObjectKind::EnrollmentService => &[guid::CLASS_ENROLLMENT_SERVICE],
        }
    }
}

/// The object a descriptor is resolved for.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub kind: ObjectKind,
    /// Whether the computer has a LAPS password (only then is ReadLAPSPassword an edge).
    pub laps: bool,
    /// schemaIDGUIDs of the LAPS password attributes in this forest (`ms-Mcs-AdmPwd`,
    /// `msLAPS-Password`, `msLAPS-EncryptedPassword`): legacy LAPS gets a new GUID per
    /// schema extension, so only the directory knows them.
    pub laps_attributes: &'a [String],
}

/// One right granted by a descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Grant {
    pub trustee: String,
    pub right: Right,
    /// Every ACE that gave the right was inherited (owner rights are never inherited).
    pub inherited: bool,
}

/// Raw generic bits as the mapped rights AD gives them (MS-ADTS 5.1.3.3, generic mapping).
fn expand_generic(m: u32) -> u32 {
    let mut m = m;
    if m & mask::GENERIC_ALL != 0 {
        m |= mask::GENERIC_ALL_MAPPED;
    }
    if m & mask::GENERIC_WRITE != 0 {
        m |= mask::GENERIC_WRITE_MAPPED;
    }
    m
}

/// Rights GenericAll contains; listed once, as GenericAll.
const IMPLIED_BY_GENERIC_ALL: &[Right] = &[
    Right::GenericWrite,
    Right::WriteDacl,
    Right::WriteOwner,
    Right::AllExtendedRights,
];

/// Whether an ACE applies to the object itself (not only to its children).
fn applies_to_object(ace: &Ace, kind: ObjectKind) -> bool {
    if ace.is_inherit_only() {
        return false;
    }
    match &ace.inherited_object_type {
        Some(cls) => kind.classes().iter().any(|c| c.eq_ignore_ascii_case(cls)),
        None => true,
    }
}

/// The edge-worthy rights of one applying ACE.
fn rights_of(ace: &Ace, t: &Target<'_>, out: &mut Vec<Right>) {
    let m = expand_generic(ace.mask);
    let ot = ace.object_type.as_deref().map(str::to_ascii_lowercase);
    let ot = ot.as_deref();
    let k = t.kind;
    let principal = matches!(k, ObjectKind::User | ObjectKind::Computer);
    // GenericAll also yields its parts (WriteDacl, …): a deny of one part must not take away
    // the others. `grants` drops the parts again where GenericAll stands.
    if ot.is_none() && m & mask::GENERIC_ALL_MAPPED == mask::GENERIC_ALL_MAPPED {
        out.push(Right::GenericAll);
    }
    if m & mask::WRITE_DACL != 0 {
        out.push(Right::WriteDacl);
    }
    if m & mask::WRITE_OWNER != 0 {
        out.push(Right::WriteOwner);
    }
    let write_all = ot.is_none() && m & mask::WRITE_PROPERTY != 0;
    if write_all {
        out.push(Right::GenericWrite);
    } else if m & mask::WRITE_PROPERTY != 0 {
        match ot {
            Some(guid::MEMBER) if k == ObjectKind::Group => out.push(Right::AddMember),
            Some(guid::SERVICE_PRINCIPAL_NAME) if principal => out.push(Right::WriteSpn),
            Some(guid::KEY_CREDENTIAL_LINK) if principal => out.push(Right::AddKeyCredentialLink),
            Some(guid::ALLOWED_TO_ACT) if k == ObjectKind::Computer => {
                out.push(Right::AddAllowedToAct)
            }
            _ => {}
        }
    }
    if m & mask::SELF != 0 && ot == Some(guid::MEMBER) && k == ObjectKind::Group {
        out.push(Right::AddSelf);
    }
    if m & mask::CONTROL_ACCESS != 0 {
        match ot {
            None => {
                out.push(Right::AllExtendedRights);
                if k == ObjectKind::Computer && t.laps {
                    out.push(Right::ReadLapsPassword);
                }
            }
            Some(guid::USER_FORCE_CHANGE_PASSWORD) if principal => {
                out.push(Right::ForceChangePassword)
            }
            Some(guid::DS_REPLICATION_GET_CHANGES) if k == ObjectKind::Domain => {
                out.push(Right::GetChanges)
            }
            Some(guid::DS_REPLICATION_GET_CHANGES_ALL) if k == ObjectKind::Domain => {
                out.push(Right::GetChangesAll)
            }
            Some(guid::DS_REPLICATION_GET_CHANGES_IN_FILTERED_SET) if k == ObjectKind::Domain => {
                out.push(Right::GetChangesInFilteredSet)
            }
            Some(g)
                if k == ObjectKind::Computer
                    && t.laps
                    && t.laps_attributes.iter().any(|a| a.eq_ignore_ascii_case(g)) =>
            {
                out.push(Right::ReadLapsPassword)
            }
            _ => {}
        }
    }
}

/// The rights a descriptor grants on `target`, per trustee, sorted and without duplicates.
///
/// Evaluated as Windows evaluates one SID's access: ACEs in DACL order, the first ACE that
/// allows or denies a right decides it. ACEs that do not apply to the object itself
/// (inherit-only, or an InheritedObjectType of another class) are ignored. A NULL DACL grants
/// nothing here: it is a posture finding, not an edge to one trustee.
pub fn grants(sd: &SecurityDescriptor, target: &Target<'_>) -> Vec<Grant> {
    use std::collections::BTreeMap;
    // (trustee, right) → Some(inherited) granted, None denied.
    let mut decided: BTreeMap<(&str, Right), Option<bool>> = BTreeMap::new();
    let mut buf = Vec::new();
    for ace in sd.dacl.iter().flatten() {
        if !(ace.is_allow() || ace.is_deny()) || !applies_to_object(ace, target.kind) {
            continue;
        }
        buf.clear();
        rights_of(ace, target, &mut buf);
        if ace.is_deny() {
            // A deny of the bits that make up a composite right takes the right away, and a deny
            // of everything takes away every right.
            let m = expand_generic(ace.mask);
            if ace.object_type.is_none() && m & mask::GENERIC_ALL_MAPPED != 0 {
                for r in ALL_RIGHTS {
                    if *r != Right::Owns && denies(m, *r) {
                        decided.entry((ace.trustee.as_str(), *r)).or_insert(None);
                    }
                }
            }
        }
        for r in &buf {
            let v = if ace.is_deny() {
                None
            } else {
                Some(ace.is_inherited())
            };
            decided.entry((ace.trustee.as_str(), *r)).or_insert(v);
        }
    }
    let has_all: std::collections::BTreeSet<&str> = decided
        .iter()
        .filter(|((_, r), v)| *r == Right::GenericAll && v.is_some())
        .map(|((t, _), _)| *t)
        .collect();
    let mut out: Vec<Grant> = decided
        .into_iter()
        .filter(|((t, r), _)| !(IMPLIED_BY_GENERIC_ALL.contains(r) && has_all.contains(t)))
        .filter_map(|((trustee, right), v)| {
            v.map(|inherited| Grant {
                trustee: trustee.to_string(),
                right,
                inherited,
            })
        })
        .collect();
    if let Some(owner) = &sd.owner {
        out.push(Grant {
            trustee: owner.clone(),
            right: Right::Owns,
            inherited: false,
        });
    }
    out.sort();
    out.dedup();
    out
}

/// Whether a deny ACE without object type, of `mask`, denies `right` (any of its bits).
fn denies(m: u32, right: Right) -> bool {
    let need = match right {
        Right::GenericAll => mask::GENERIC_ALL_MAPPED,
        Right::GenericWrite => mask::WRITE_PROPERTY,
        Right::WriteDacl => mask::WRITE_DACL,
        Right::WriteOwner => mask::WRITE_OWNER,
        Right::AddMember
        | Right::WriteSpn
        | Right::AddKeyCredentialLink
        | Right::AddAllowedToAct => mask::WRITE_PROPERTY,
        Right::AddSelf => mask::SELF,
        Right::ForceChangePassword
        | Right::GetChanges
        | Right::GetChangesAll
        | Right::GetChangesInFilteredSet
        | Right::AllExtendedRights
        | Right::ReadLapsPassword => mask::CONTROL_ACCESS,
        Right::Owns => 0,
    };
    m & need != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sid_bytes(s: &str) -> Vec<u8> {
        let parts: Vec<u64> = s
            .trim_start_matches("S-1-")
            .split('-')
            .map(|p| p.parse().expect("number"))
            .collect();
        let mut b = vec![1u8, (parts.len() - 1) as u8];
        b.extend_from_slice(&parts[0].to_be_bytes()[2..]);
        for p in &parts[1..] {
            b.extend_from_slice(&(*p as u32).to_le_bytes());
        }
        b
    }

    fn guid_bytes(g: &str) -> Vec<u8> {
        let h: Vec<u8> = g
            .replace('-', "")
            .as_bytes()
            .chunks(2)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).expect("hex"), 16).expect("hex"))
            .collect();
        let mut b = vec![h[3], h[2], h[1], h[0], h[5], h[4], h[7], h[6]];
        b.extend_from_slice(&h[8..]);
        b
    }

    struct A<'a> {
        t: u8,
        flags: u8,
        mask: u32,
        ot: Option<&'a str>,
        iot: Option<&'a str>,
        sid: &'a str,
    }

    fn ace(a: &A<'_>) -> Vec<u8> {
        let mut body = a.mask.to_le_bytes().to_vec();
        if a.t >= 5 {
            let f = u32::from(a.ot.is_some()) | (u32::from(a.iot.is_some()) << 1);
            body.extend_from_slice(&f.to_le_bytes());
            if let Some(g) = a.ot {
                body.extend(guid_bytes(g));
            }
            if let Some(g) = a.iot {
                body.extend(guid_bytes(g));
            }
        }
        body.extend(sid_bytes(a.sid));
        let mut b = vec![a.t, a.flags];
        b.extend_from_slice(&((body.len() + 4) as u16).to_le_bytes());
        b.extend(body);
        b
    }

    fn descriptor(owner: &str, aces: &[A<'_>]) -> Vec<u8> {
        let owner = sid_bytes(owner);
        let mut acl_body = Vec::new();
        for a in aces {
            acl_body.extend(ace(a));
        }
        let mut acl = vec![4u8, 0];
        acl.extend_from_slice(&((acl_body.len() + 8) as u16).to_le_bytes());
        acl.extend_from_slice(&(aces.len() as u16).to_le_bytes());
        acl.extend_from_slice(&[0, 0]);
        acl.extend(acl_body);
        let mut b = vec![1u8, 0];
        b.extend_from_slice(&(SE_SELF_RELATIVE | SE_DACL_PRESENT).to_le_bytes());
        b.extend_from_slice(&20u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&((20 + owner.len()) as u32).to_le_bytes());
        b.extend(owner);
        b.extend(acl);
        b
    }

    const U: &str = "S-1-5-21-1-2-3-1105";
    const DA: &str = "S-1-5-21-1-2-3-512";

    fn rights(sd: &[u8], kind: ObjectKind) -> Vec<(String, Right)> {
        let sd = parse(sd).expect("parse");
        grants(
            &sd,
            &Target {
                kind,
                laps: false,
                laps_attributes: &[],
            },
        )
        .into_iter()
        .map(|g| (g.trustee, g.right))
        .collect()
    }

    fn a(t: u8, flags: u8, mask: u32, ot: Option<&'static str>, sid: &'static str) -> A<'static> {
        A {
            t,
            flags,
            mask,
            ot,
            iot: None,
            sid,
        }
    }

    #[test]
    fn sids_and_guids() {
        let b = sid_bytes("S-1-5-21-1287229808-3540844513-2492091382-1105");
        assert_eq!(
            parse_sid(&b).expect("sid"),
            "S-1-5-21-1287229808-3540844513-2492091382-1105"
        );
        assert_eq!(
            parse_sid(&sid_bytes("S-1-5-32-544")).expect("sid"),
            "S-1-5-32-544"
        );
        assert!(parse_sid(&b[..b.len() - 1]).is_err());
        assert_eq!(
            parse_guid(&guid_bytes(guid::MEMBER)).as_deref(),
            Some(guid::MEMBER)
        );
    }

    #[test]
    fn generic_rights_mapped_and_raw() {
        let sd = descriptor(
            DA,
            &[
                a(0, 0, mask::GENERIC_ALL, None, U),
                a(0, 0, mask::GENERIC_WRITE, None, "S-1-5-21-1-2-3-1106"),
                a(
                    0,
                    0,
                    mask::GENERIC_WRITE_MAPPED,
                    None,
                    "S-1-5-21-1-2-3-1107",
                ),
            ],
        );
        let r = rights(&sd, ObjectKind::Group);
        assert_eq!(
            r,
            vec![
                (U.to_string(), Right::GenericAll),
                ("S-1-5-21-1-2-3-1106".to_string(), Right::GenericWrite),
                ("S-1-5-21-1-2-3-1107".to_string(), Right::GenericWrite),
                (DA.to_string(), Right::Owns),
            ]
        );
    }

    #[test]
    fn object_rights_by_guid_and_class() {
        let sd = descriptor(
            DA,
            &[
                a(5, 0, mask::WRITE_PROPERTY, Some(guid::MEMBER), U),
                a(5, 0, mask::SELF, Some(guid::MEMBER), U),
                a(
                    5,
                    0,
                    mask::CONTROL_ACCESS,
                    Some(guid::USER_FORCE_CHANGE_PASSWORD),
                    U,
                ),
                a(
                    5,
                    0,
                    mask::WRITE_PROPERTY,
                    Some(guid::KEY_CREDENTIAL_LINK),
                    U,
                ),
                a(
                    5,
                    0,
                    mask::WRITE_PROPERTY,
                    Some(guid::SERVICE_PRINCIPAL_NAME),
                    U,
                ),
                a(5, 0, mask::CONTROL_ACCESS, None, U),
            ],
        );
        let names = |k| -> Vec<Right> {
            let mut v: Vec<Right> = rights(&sd, k).into_iter().map(|(_, r)| r).collect();
            v.sort();
            v
        };
        assert_eq!(names(ObjectKind::Group), {
            let mut v = vec![
                Right::Owns,
                Right::AddMember,
                Right::AddSelf,
                Right::AllExtendedRights,
            ];
            v.sort();
            v
        });
        assert_eq!(names(ObjectKind::User), {
            let mut v = vec![
                Right::Owns,
                Right::ForceChangePassword,
                Right::AllExtendedRights,
                Right::WriteSpn,
                Right::AddKeyCredentialLink,
            ];
            v.sort();
            v
        });
    }

    #[test]
    fn deny_inherit_only_and_other_class_do_not_grant() {
        let sd = descriptor(
            DA,
            &[
                // deny WriteDacl first: the later GenericAll gives everything but WriteDacl
                a(1, 0, mask::WRITE_DACL, None, U),
                a(0, ace_flags::INHERITED, mask::GENERIC_ALL_MAPPED, None, U),
                // inherit-only: for children only
                a(
                    0,
                    ace_flags::INHERIT_ONLY | ace_flags::CONTAINER_INHERIT,
                    mask::WRITE_OWNER,
                    None,
                    "S-1-5-21-1-2-3-1200",
                ),
                // an object ACE for user objects does not apply to a group
                A {
                    t: 5,
                    flags: ace_flags::INHERITED,
                    mask: mask::WRITE_DACL,
                    ot: None,
                    iot: Some(guid::CLASS_USER),
                    sid: "S-1-5-21-1-2-3-1201",
                },
                // a deny of ForceChangePassword after the allow does not take it away
                a(
                    5,
                    0,
                    mask::CONTROL_ACCESS,
                    Some(guid::USER_FORCE_CHANGE_PASSWORD),
                    "S-1-5-21-1-2-3-1202",
                ),
                a(
                    6,
                    0,
                    mask::CONTROL_ACCESS,
                    Some(guid::USER_FORCE_CHANGE_PASSWORD),
                    "S-1-5-21-1-2-3-1202",
                ),
            ],
        );
        let parsed = parse(&sd).expect("parse");
        let g = grants(
            &parsed,
            &Target {
                kind: ObjectKind::Group,
                laps: false,
                laps_attributes: &[],
            },
        );
        let u: Vec<(Right, bool)> = g
            .iter()
            .filter(|g| g.trustee == U)
            .map(|g| (g.right, g.inherited))
            .collect();
        assert_eq!(
            u,
            vec![
                (Right::GenericWrite, true),
                (Right::WriteOwner, true),
                (Right::AllExtendedRights, true)
            ]
        );
        assert!(!g
            .iter()
            .any(|g| g.trustee.ends_with("-1200") || g.trustee.ends_with("-1201")));
        let user = grants(
            &parsed,
            &Target {
                kind: ObjectKind::User,
                laps: false,
                laps_attributes: &[],
            },
        );
        assert!(user
            .iter()
            .any(|g| g.trustee.ends_with("-1201") && g.right == Right::WriteDacl));
        assert!(user
            .iter()
            .any(|g| g.trustee.ends_with("-1202") && g.right == Right::ForceChangePassword));
    }

    #[test]
    fn every_truncation_and_corruption_is_an_error_not_a_panic() {
        let sd = descriptor(
            DA,
            &[
                a(5, 0, mask::WRITE_PROPERTY, Some(guid::MEMBER), U),
                a(0, 0, mask::GENERIC_ALL, None, U),
            ],
        );
        assert!(parse(&sd).is_ok());
        for n in 0..sd.len() {
            assert!(parse(&sd[..n]).is_err(), "truncated at {n}");
        }
        for i in 0..sd.len() {
            for v in [0u8, 0x7f, 0xff] {
                let mut b = sd.clone();
                b[i] = v;
                let _ = parse(&b);
            }
        }
        // an ACE count far beyond the buffer
        let mut b = sd.clone();
        let acl = 20 + 28;
        b[acl + 4] = 0xff;
        b[acl + 5] = 0xff;
        assert!(parse(&b).is_err());
    }
}
