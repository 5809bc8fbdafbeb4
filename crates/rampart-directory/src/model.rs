//! The directory snapshot: what Rampart knows of one or more AD domains at one moment.
//!
//! One [`Directory`] can hold several domains (or tenants): every entity carries its domain's
//! DNS name, lower-case, so names never meet across domains by accident. Objects refer to each
//! other by distinguished name (`member`, `memberOf`, gPLink) as AD does, and to principals
//! by SID where AD does (ACE trustees, sIDHistory, resource-based delegation).
//!
//! Stability: posture checks, attack paths and the detectors read this model, and snapshots
//! are files operators keep. Fields are added (with `#[serde(default)]`), never renamed or
//! removed; a change in meaning bumps [`SNAPSHOT_VERSION`].

use crate::sd::{ObjectKind, Right, SecurityDescriptor};
use crate::time::Interval;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The snapshot format version this build writes and reads.
pub const SNAPSHOT_VERSION: u32 = 1;

/// A directory snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default = "Directory::unversioned")]
pub struct Directory {
    /// [`SNAPSHOT_VERSION`] of the writer; newer versions are refused on load.
    pub version: u32,
    /// When collection finished.
    pub collected_at: Option<DateTime<Utc>>,
    /// Where the snapshot came from (`ldap://dc1…`, an LDIF file, a BloodHound folder).
    pub sources: Vec<String>,
    pub domains: Vec<Domain>,
    pub users: Vec<Principal>,
    pub computers: Vec<Principal>,
    pub groups: Vec<Group>,
    pub ous: Vec<Ou>,
    pub gpos: Vec<Gpo>,
    /// Other objects whose descriptors matter (`CN=AdminSDHolder,CN=System`, containers).
    pub containers: Vec<Container>,
    pub trusts: Vec<Trust>,
    pub cert_templates: Vec<CertTemplate>,
    pub enrollment_services: Vec<EnrollmentService>,
    /// Logon sessions: from a collector (BloodHound) or observed in logon events.
    pub sessions: Vec<Session>,
    /// Local group rights on computers (BloodHound: LocalAdmins, RemoteDesktopUsers, …).
    pub local_rights: Vec<LocalRight>,
    /// Rights already resolved by a collector that ships no descriptors (BloodHound `Aces`).
    /// Rights in descriptors are derived by [`Directory::acl_edges`] instead of stored here.
    pub resolved_aces: Vec<AclEdge>,
    /// schemaIDGUIDs of LAPS password attributes (`ms-Mcs-AdmPwd`, `msLAPS-Password`,
    /// `msLAPS-EncryptedPassword`), lower-case; legacy LAPS's GUID differs per forest.
    pub laps_attribute_guids: Vec<String>,
    /// What a collector could not read (entry, attribute, why), kept instead of aborting.
    pub warnings: Vec<String>,
}

/// A domain (the `domainDNS` object) and its policies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Domain {
    /// `DC=corp,DC=example`.
    pub dn: String,
    /// `corp.example`, lower-case. Every other entity's `domain` is one of these.
    pub dns_name: String,
    /// `CORP` (from the partitions container or a collector; may be absent).
    pub netbios_name: Option<String>,
    pub sid: Option<String>,
    pub object_guid: Option<String>,
    /// `msDS-Behavior-Version` (0 = 2000 … 4 = 2008 R2 … 7 = 2016; 10 = 2025).
    pub functional_level: Option<u32>,
    pub policy: PasswordPolicy,
    /// `ms-DS-MachineAccountQuota`: computers any user may join.
    pub machine_account_quota: Option<u32>,
    /// krbtgt's `pwdLastSet` (an old value means an old golden-ticket key).
    pub krbtgt_pwd_last_set: Option<DateTime<Utc>>,
    pub gplinks: Vec<GpLink>,
    pub when_created: Option<DateTime<Utc>>,
    pub security_descriptor: Option<SecurityDescriptor>,
}

/// The domain's default password and lockout policy (attributes of the domain object).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordPolicy {
    pub min_pwd_length: Option<u32>,
    pub min_pwd_age: Option<Interval>,
    pub max_pwd_age: Option<Interval>,
    /// `pwdProperties` bits: 1 complexity, 2 no anonymous change, 4 no clear change, 8 lockout
    /// admins, 16 store cleartext (reversible encryption), 32 refuse machine password change.
    pub pwd_properties: Option<u32>,
    pub pwd_history_length: Option<u32>,
    /// 0 = no lockout.
    pub lockout_threshold: Option<u32>,
    pub lockout_duration: Option<Interval>,
    pub lockout_observation_window: Option<Interval>,
}

impl PasswordPolicy {
    pub fn complexity_required(&self) -> Option<bool> {
        self.pwd_properties.map(|p| p & 1 != 0)
    }
    pub fn reversible_encryption(&self) -> Option<bool> {
        self.pwd_properties.map(|p| p & 16 != 0)
    }
}

/// `userAccountControl` with typed flags (MS-ADTS 2.2.16).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Uac(pub u32);

impl Uac {
    pub const ACCOUNTDISABLE: u32 = 0x0002;
    pub const PASSWD_NOTREQD: u32 = 0x0020;
    pub const ENCRYPTED_TEXT_PWD_ALLOWED: u32 = 0x0080;
    pub const NORMAL_ACCOUNT: u32 = 0x0200;
    pub const WORKSTATION_TRUST_ACCOUNT: u32 = 0x1000;
    pub const SERVER_TRUST_ACCOUNT: u32 = 0x2000;
    pub const DONT_EXPIRE_PASSWORD: u32 = 0x1_0000;
    pub const SMARTCARD_REQUIRED: u32 = 0x4_0000;
    pub const TRUSTED_FOR_DELEGATION: u32 = 0x8_0000;
    pub const NOT_DELEGATED: u32 = 0x10_0000;
    pub const USE_DES_KEY_ONLY: u32 = 0x20_0000;
    pub const DONT_REQ_PREAUTH: u32 = 0x40_0000;
    pub const TRUSTED_TO_AUTH_FOR_DELEGATION: u32 = 0x100_0000;
    pub const PARTIAL_SECRETS_ACCOUNT: u32 = 0x400_0000;

    fn has(self, f: u32) -> bool {
        self.0 & f != 0
    }
    pub fn disabled(self) -> bool {
        self.has(Self::ACCOUNTDISABLE)
    }
    pub fn passwd_notreqd(self) -> bool {
        self.has(Self::PASSWD_NOTREQD)
    }
    pub fn encrypted_text_pwd_allowed(self) -> bool {
        self.has(Self::ENCRYPTED_TEXT_PWD_ALLOWED)
    }
    pub fn dont_expire_password(self) -> bool {
        self.has(Self::DONT_EXPIRE_PASSWORD)
    }
    pub fn smartcard_required(self) -> bool {
        self.has(Self::SMARTCARD_REQUIRED)
    }
    /// Unconstrained delegation.
    pub fn trusted_for_delegation(self) -> bool {
        self.has(Self::TRUSTED_FOR_DELEGATION)
    }
    /// "Account is sensitive and cannot be delegated".
    pub fn not_delegated(self) -> bool {
        self.has(Self::NOT_DELEGATED)
    }
    pub fn use_des_key_only(self) -> bool {
        self.has(Self::USE_DES_KEY_ONLY)
    }
    /// AS-REP roastable.
    pub fn dont_req_preauth(self) -> bool {
        self.has(Self::DONT_REQ_PREAUTH)
    }
    /// Constrained delegation with protocol transition (S4U2Self to any user).
    pub fn trusted_to_auth_for_delegation(self) -> bool {
        self.has(Self::TRUSTED_TO_AUTH_FOR_DELEGATION)
    }
    /// A (writable) domain controller's account.
    pub fn server_trust_account(self) -> bool {
        self.has(Self::SERVER_TRUST_ACCOUNT)
    }
    pub fn workstation_trust_account(self) -> bool {
        self.has(Self::WORKSTATION_TRUST_ACCOUNT)
    }
    /// A read-only DC's account.
    pub fn partial_secrets(self) -> bool {
        self.has(Self::PARTIAL_SECRETS_ACCOUNT)
    }
}

/// A user or computer account (both are security principals with a `userAccountControl`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Principal {
    /// DNS name of the domain, lower-case.
    pub domain: String,
    pub dn: String,
    pub sam_account_name: String,
    pub object_sid: Option<String>,
    pub object_guid: Option<String>,
    pub user_account_control: Uac,
    pub service_principal_names: Vec<String>,
    /// `msDS-AllowedToDelegateTo`: constrained delegation targets (SPNs).
    pub allowed_to_delegate_to: Vec<String>,
    /// SIDs allowed to act on behalf of others to this account (resource-based constrained
    /// delegation), from `msDS-AllowedToActOnBehalfOfOtherIdentity`'s descriptor.
    pub allowed_to_act: Vec<String>,
    /// `msDS-SupportedEncryptionTypes` (absent = the DC's default).
    pub supported_encryption_types: Option<u32>,
    pub admin_count: Option<u32>,
    pub sid_history: Vec<String>,
    /// Group DNs (`memberOf`, direct only; the primary group is not in it).
    pub member_of: Vec<String>,
    /// RID of the primary group (513 Domain Users, 515 Domain Computers, 516 DCs).
    pub primary_group_id: Option<u32>,
    pub pwd_last_set: Option<DateTime<Utc>>,
    pub last_logon_timestamp: Option<DateTime<Utc>>,
    pub when_created: Option<DateTime<Utc>>,
    pub description: Option<String>,
    pub user_principal_name: Option<String>,
    /// Computers.
    pub dns_host_name: Option<String>,
    pub operating_system: Option<String>,
    /// Legacy LAPS `ms-Mcs-AdmPwdExpirationTime`.
    pub laps_legacy_expiration: Option<DateTime<Utc>>,
    /// Windows LAPS `msLAPS-PasswordExpirationTime`.
    pub laps_expiration: Option<DateTime<Utc>>,
    /// LAPS known to manage this computer without an expiry time (BloodHound's `haslaps`).
    pub laps_enabled: Option<bool>,
    pub security_descriptor: Option<SecurityDescriptor>,
}

impl Principal {
    fn object_ref(&self, kind: ObjectKind) -> ObjectRef<'_> {
        ObjectRef {
            kind,
            domain: &self.domain,
            dn: &self.dn,
            name: &self.sam_account_name,
            sid: self.object_sid.as_deref(),
            laps: self.has_laps(),
            security_descriptor: self.security_descriptor.as_ref(),
        }
    }
    /// The last component of the SID.
    pub fn rid(&self) -> Option<u32> {
        rid(self.object_sid.as_deref()?)
    }
    /// Whether a LAPS password is managed for this computer.
    pub fn has_laps(&self) -> bool {
        self.laps_legacy_expiration.is_some()
            || self.laps_expiration.is_some()
            || self.laps_enabled == Some(true)
    }
    /// A DC's account: a server trust account, a read-only DC, or primary group 516/521.
    pub fn is_domain_controller(&self) -> bool {
        let uac = self.user_account_control;
        uac.server_trust_account()
            || uac.partial_secrets()
            || matches!(self.primary_group_id, Some(516 | 521))
    }
    pub fn is_computer(&self) -> bool {
        self.sam_account_name.ends_with('$')
            || self.user_account_control.workstation_trust_account()
            || self.user_account_control.server_trust_account()
    }
}

/// A security group (or distribution group; `group_type` tells).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Group {
    pub domain: String,
    pub dn: String,
    pub sam_account_name: String,
    pub object_sid: Option<String>,
    pub object_guid: Option<String>,
    /// `groupType` (0x80000000 security; 2 global, 4 domain local, 8 universal, 1 builtin).
    pub group_type: Option<i64>,
    /// Member DNs (direct).
    pub members: Vec<String>,
    pub member_of: Vec<String>,
    pub admin_count: Option<u32>,
    pub sid_history: Vec<String>,
    pub description: Option<String>,
    pub when_created: Option<DateTime<Utc>>,
    pub security_descriptor: Option<SecurityDescriptor>,
}

impl Group {
    pub fn rid(&self) -> Option<u32> {
        rid(self.object_sid.as_deref()?)
    }
}

/// An organizational unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ou {
    pub domain: String,
    pub dn: String,
    pub name: String,
    pub object_guid: Option<String>,
    pub gplinks: Vec<GpLink>,
    /// `gPOptions` = 1: GPOs linked above do not apply (unless enforced).
    pub block_inheritance: bool,
    pub description: Option<String>,
    pub when_created: Option<DateTime<Utc>>,
    pub security_descriptor: Option<SecurityDescriptor>,
}

/// One link of a `gPLink` value (`[LDAP://cn={GUID},cn=policies,…;0]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GpLink {
    /// DN of the linked GPO as written in the link.
    pub gpo_dn: String,
    pub disabled: bool,
    pub enforced: bool,
}

impl GpLink {
    /// Parses a `gPLink` value; malformed links are skipped (the rest is kept).
    pub fn parse_all(raw: &str) -> Vec<GpLink> {
        raw.split('[')
            .filter_map(|part| {
                let part = part.trim().strip_suffix(']')?;
                let (dn, opts) = part.rsplit_once(';')?;
                let dn = dn
                    .strip_prefix("LDAP://")
                    .or_else(|| dn.strip_prefix("ldap://"))
                    .unwrap_or(dn);
                let opts: u32 = opts.trim().parse().ok()?;
                Some(GpLink {
                    gpo_dn: dn.to_string(),
                    disabled: opts & 1 != 0,
                    enforced: opts & 2 != 0,
                })
            })
            .collect()
    }
}

/// A group policy object (`groupPolicyContainer`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Gpo {
    pub domain: String,
    pub dn: String,
    /// `displayName`.
    pub name: String,
    pub object_guid: Option<String>,
    /// `gPCFileSysPath` (SYSVOL folder).
    pub file_sys_path: Option<String>,
    pub when_created: Option<DateTime<Utc>>,
    pub security_descriptor: Option<SecurityDescriptor>,
}

/// Any other object kept for its descriptor (AdminSDHolder, `CN=Users`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Container {
    pub domain: String,
    pub dn: String,
    pub name: String,
    pub object_classes: Vec<String>,
    pub object_guid: Option<String>,
    pub security_descriptor: Option<SecurityDescriptor>,
}

/// A trust (`trustedDomain` object in `CN=System`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Trust {
    /// The trusting side: the domain the object was read in.
    pub domain: String,
    pub dn: String,
    /// `trustPartner` (DNS name of the other domain).
    pub partner: String,
    pub flat_name: Option<String>,
    /// `securityIdentifier` of the partner domain.
    pub partner_sid: Option<String>,
    /// `trustDirection`: 1 inbound, 2 outbound, 3 both.
    pub direction: Option<u32>,
    /// `trustType`: 1 downlevel, 2 uplevel (AD), 3 MIT realm.
    pub trust_type: Option<u32>,
    /// `trustAttributes` bits (see the helpers).
    pub trust_attributes: Option<u32>,
}

impl Trust {
    fn attr(&self, bit: u32) -> bool {
        self.trust_attributes.is_some_and(|a| a & bit != 0)
    }
    pub fn non_transitive(&self) -> bool {
        self.attr(0x1)
    }
    /// SID filtering on (quarantined).
    pub fn quarantined(&self) -> bool {
        self.attr(0x4)
    }
    pub fn forest_transitive(&self) -> bool {
        self.attr(0x8)
    }
    pub fn within_forest(&self) -> bool {
        self.attr(0x20)
    }
    /// SID history is honoured across a forest trust (TREAT_AS_EXTERNAL / ENABLE_SID_HISTORY).
    pub fn sid_history_enabled(&self) -> bool {
        self.attr(0x40)
    }
}

/// An AD CS certificate template (`pKICertificateTemplate`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CertTemplate {
    pub domain: String,
    pub dn: String,
    pub name: String,
    pub display_name: Option<String>,
    pub object_guid: Option<String>,
    /// `msPKI-Template-Schema-Version`.
    pub schema_version: Option<u32>,
    /// `msPKI-Certificate-Name-Flag` (1 = ENROLLEE_SUPPLIES_SUBJECT).
    pub certificate_name_flag: Option<u32>,
    /// `msPKI-Enrollment-Flag` (2 = PEND_ALL_REQUESTS, manager approval).
    pub enrollment_flag: Option<u32>,
    /// `msPKI-RA-Signature`: authorized signatures required.
    pub ra_signature: Option<u32>,
    /// `pKIExtendedKeyUsage` OIDs.
    pub extended_key_usage: Vec<String>,
    /// `msPKI-Certificate-Application-Policy` OIDs.
    pub application_policies: Vec<String>,
    pub security_descriptor: Option<SecurityDescriptor>,
}

impl CertTemplate {
    pub fn enrollee_supplies_subject(&self) -> bool {
        self.certificate_name_flag.is_some_and(|f| f & 1 != 0)
    }
    pub fn requires_manager_approval(&self) -> bool {
        self.enrollment_flag.is_some_and(|f| f & 2 != 0)
    }
}

/// An enterprise CA (`pKIEnrollmentService` in the configuration partition).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EnrollmentService {
    pub domain: String,
    pub dn: String,
    pub name: String,
    pub dns_host_name: Option<String>,
    /// Names (cn) of the templates it publishes.
    pub certificate_templates: Vec<String>,
    pub security_descriptor: Option<SecurityDescriptor>,
}

/// A user's logon session on a computer, by DN where known (else SID or name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(default)]
pub struct Session {
    pub computer: String,
    pub user: String,
    /// `bloodhound`, `events`, …
    pub source: String,
}

/// A local-group right on a computer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LocalRightKind {
    AdminTo,
    CanRDP,
    CanPSRemote,
    ExecuteDCOM,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LocalRight {
    /// Computer DN.
    pub computer: String,
    /// The principal holding the right: DN where known, else SID.
    pub principal: String,
    pub right: LocalRightKind,
}

/// `trustee → right → target`: one ACL edge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AclEdge {
    /// Trustee SID (`S-1-…`).
    pub trustee: String,
    pub right: Right,
    /// Target DN.
    pub target: String,
    pub inherited: bool,
}

/// Why a snapshot could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a directory snapshot: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{path}: snapshot version {found} is newer than this build reads ({SNAPSHOT_VERSION})"
    )]
    Version { path: PathBuf, found: u32 },
}

/// The last component of a SID.
pub fn rid(sid: &str) -> Option<u32> {
    let (prefix, last) = sid.rsplit_once('-')?;
    if prefix.matches('-').count() < 2 {
        return None;
    }
    last.parse().ok()
}

/// The domain's DNS name from a DN's `DC=` components (`CN=x,DC=Corp,DC=Example` → `corp.example`).
pub fn domain_of_dn(dn: &str) -> String {
    split_dn(dn)
        .iter()
        .filter_map(|rdn| {
            let (k, v) = rdn.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("dc")
                .then(|| v.trim().to_ascii_lowercase())
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The RDNs of a DN, honouring `\,` escapes.
pub fn split_dn(dn: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in dn.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            ',' if !escaped => {
                out.push(dn[start..i].trim());
                start = i + 1;
            }
            _ => escaped = false,
        }
    }
    if start < dn.len() {
        out.push(dn[start..].trim());
    }
    out
}

/// A DN compared as AD compares it: case-insensitive, spaces around separators ignored.
pub fn dn_key(dn: &str) -> String {
    split_dn(dn)
        .iter()
        .map(|rdn| match rdn.split_once('=') {
            Some((k, v)) => format!("{}={}", k.trim(), v.trim()),
            None => rdn.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
        .to_lowercase()
}

/// Any object of the snapshot that can carry a descriptor, as one view.
#[derive(Debug, Clone, Copy)]
pub struct ObjectRef<'a> {
    pub kind: ObjectKind,
    pub domain: &'a str,
    pub dn: &'a str,
    /// sAMAccountName, or the name of a non-principal.
    pub name: &'a str,
    pub sid: Option<&'a str>,
    pub laps: bool,
    pub security_descriptor: Option<&'a SecurityDescriptor>,
}

impl Default for Directory {
    fn default() -> Directory {
        Directory {
            version: SNAPSHOT_VERSION,
            ..Directory::unversioned()
        }
    }
}

impl Directory {
    pub fn new() -> Directory {
        Directory::default()
    }

    /// What a file without a `version` field reads as: version 0, which `load` refuses.
    fn unversioned() -> Directory {
        Directory {
            version: 0,
            collected_at: None,
            sources: Vec::new(),
            domains: Vec::new(),
            users: Vec::new(),
            computers: Vec::new(),
            groups: Vec::new(),
            ous: Vec::new(),
            gpos: Vec::new(),
            containers: Vec::new(),
            trusts: Vec::new(),
            cert_templates: Vec::new(),
            enrollment_services: Vec::new(),
            sessions: Vec::new(),
            local_rights: Vec::new(),
            resolved_aces: Vec::new(),
            laps_attribute_guids: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Reads a snapshot written by [`Directory::save`] (or any version up to this build's).
    pub fn load(path: &Path) -> Result<Directory, SnapshotError> {
        let file = std::fs::File::open(path).map_err(|source| SnapshotError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let d: Directory =
            serde_json::from_reader(std::io::BufReader::new(file)).map_err(|source| {
                SnapshotError::Json {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        if d.version > SNAPSHOT_VERSION || d.version == 0 {
            return Err(SnapshotError::Version {
                path: path.to_path_buf(),
                found: d.version,
            });
        }
        Ok(d)
    }

    /// Writes the snapshot as JSON, through a temporary file renamed into place, so a reader
    /// never sees half a snapshot.
    pub fn save(&self, path: &Path) -> Result<(), SnapshotError> {
        use std::io::Write as _;
        let io = |source| SnapshotError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let file = std::fs::File::create(&tmp).map_err(io)?;
        let mut w = std::io::BufWriter::new(file);
        serde_json::to_writer(&mut w, self).map_err(|source| SnapshotError::Json {
            path: path.to_path_buf(),
            source,
        })?;
        w.flush().map_err(io)?;
        drop(w);
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Every object with its kind, in a fixed order (domains, users, computers, groups, OUs,
    /// GPOs, containers, templates, CAs).
    pub fn objects(&self) -> impl Iterator<Item = ObjectRef<'_>> {
        let d = self.domains.iter().map(|o| ObjectRef {
            kind: ObjectKind::Domain,
            domain: &o.dns_name,
            dn: &o.dn,
            name: &o.dns_name,
            sid: o.sid.as_deref(),
            laps: false,
            security_descriptor: o.security_descriptor.as_ref(),
        });
        let u = self.users.iter().map(|o| o.object_ref(ObjectKind::User));
        let c = self
            .computers
            .iter()
            .map(|o| o.object_ref(ObjectKind::Computer));
        let g = self.groups.iter().map(|o| ObjectRef {
            kind: ObjectKind::Group,
            domain: &o.domain,
            dn: &o.dn,
            name: &o.sam_account_name,
            sid: o.object_sid.as_deref(),
            laps: false,
            security_descriptor: o.security_descriptor.as_ref(),
        });
        let ou = self.ous.iter().map(|o| ObjectRef {
            kind: ObjectKind::Ou,
            domain: &o.domain,
            dn: &o.dn,
            name: &o.name,
            sid: None,
            laps: false,
            security_descriptor: o.security_descriptor.as_ref(),
        });
        let gpo = self.gpos.iter().map(|o| ObjectRef {
            kind: ObjectKind::Gpo,
            domain: &o.domain,
            dn: &o.dn,
            name: &o.name,
            sid: None,
            laps: false,
            security_descriptor: o.security_descriptor.as_ref(),
        });
        let ct = self.containers.iter().map(|o| ObjectRef {
            kind: ObjectKind::Container,
            domain: &o.domain,
            dn: &o.dn,
            name: &o.name,
            sid: None,
            laps: false,
            security_descriptor: o.security_descriptor.as_ref(),
        });
        let tp = self.cert_templates.iter().map(|o| ObjectRef {
            kind: ObjectKind::CertTemplate,
            domain: &o.domain,
            dn: &o.dn,
            name: &o.name,
            sid: None,
            laps: false,
            security_descriptor: o.security_descriptor.as_ref(),
        });
        let ca = self.enrollment_services.iter().map(|o| ObjectRef {
            kind: ObjectKind::EnrollmentService,
            domain: &o.domain,
            dn: &o.dn,
            name: &o.name,
            sid: None,
            laps: false,
            security_descriptor: o.security_descriptor.as_ref(),
        });
        d.chain(u)
            .chain(c)
            .chain(g)
            .chain(ou)
            .chain(gpo)
            .chain(ct)
            .chain(tp)
            .chain(ca)
    }

    /// Every ACL edge: rights resolved from the objects' descriptors, plus those a collector
    /// resolved itself ([`Directory::resolved_aces`]). Sorted, without duplicates. Holds every
    /// edge at once; [`Directory::for_each_acl_edge`] does not.
    pub fn acl_edges(&self) -> Vec<AclEdge> {
        let mut out = Vec::new();
        self.for_each_acl_edge(|trustee, right, target, inherited| {
            out.push(AclEdge {
                trustee: trustee.to_string(),
                right,
                target: target.to_string(),
                inherited,
            })
        });
        out.sort();
        out.dedup();
        out
    }

    /// Calls `f(trustee SID, right, target DN, inherited)` for every ACL edge, object by
    /// object, without collecting them (a large domain has millions, mostly built-in ones).
    pub fn for_each_acl_edge(&self, mut f: impl FnMut(&str, Right, &str, bool)) {
        for o in self.objects() {
            let Some(sd) = o.security_descriptor else {
                continue;
            };
            let target = crate::sd::Target {
                kind: o.kind,
                laps: o.laps,
                laps_attributes: &self.laps_attribute_guids,
            };
            for g in crate::sd::grants(sd, &target) {
                f(&g.trustee, g.right, o.dn, g.inherited);
            }
        }
        for e in &self.resolved_aces {
            f(&e.trustee, e.right, &e.target, e.inherited);
        }
    }

    /// The object with this DN (compared as AD compares DNs).
    pub fn object_by_dn(&self, dn: &str) -> Option<ObjectRef<'_>> {
        let key = dn_key(dn);
        self.objects().find(|o| dn_key(o.dn) == key)
    }

    /// The principal (user, computer or group) with this SID.
    pub fn object_by_sid(&self, sid: &str) -> Option<ObjectRef<'_>> {
        self.objects()
            .find(|o| o.sid.is_some_and(|s| s.eq_ignore_ascii_case(sid)))
    }

    /// Merges another snapshot into this one (several domains, or LDAP plus sessions).
    pub fn merge(&mut self, other: Directory) {
        self.sources.extend(other.sources);
        self.domains.extend(other.domains);
        self.users.extend(other.users);
        self.computers.extend(other.computers);
        self.groups.extend(other.groups);
        self.ous.extend(other.ous);
        self.gpos.extend(other.gpos);
        self.containers.extend(other.containers);
        self.trusts.extend(other.trusts);
        self.cert_templates.extend(other.cert_templates);
        self.enrollment_services.extend(other.enrollment_services);
        self.sessions.extend(other.sessions);
        self.local_rights.extend(other.local_rights);
        self.resolved_aces.extend(other.resolved_aces);
        self.laps_attribute_guids.extend(other.laps_attribute_guids);
        self.warnings.extend(other.warnings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dn_helpers() {
        assert_eq!(
            domain_of_dn("CN=a\\,b,OU=X,DC=Rampart,DC=lab"),
            "rampart.lab"
        );
        assert_eq!(split_dn("CN=a\\,b,OU=X"), vec!["CN=a\\,b", "OU=X"]);
        assert_eq!(dn_key("CN=A, DC=X"), dn_key("cn=a,dc=x"));
        assert_eq!(rid("S-1-5-21-1-2-3-512"), Some(512));
        assert_eq!(rid("S-1-5"), None);
    }

    #[test]
    fn gplink_parse() {
        let l = GpLink::parse_all(
            "[LDAP://cn={31B2F340-016D-11D2-945F-00C04FB984F9},cn=policies,cn=system,DC=x;0][LDAP://cn={B},cn=policies,cn=system,DC=x;3][bad]",
        );
        assert_eq!(l.len(), 2);
        assert!(!l[0].disabled && !l[0].enforced);
        assert!(l[1].disabled && l[1].enforced);
        assert!(l[0].gpo_dn.starts_with("cn={31B2"));
    }

    #[test]
    fn uac_flags() {
        let u = Uac(0x410200);
        assert!(u.dont_req_preauth() && u.dont_expire_password() && !u.disabled());
        assert!(Uac(0x2000).server_trust_account());
        assert!(Uac(0x0400_1000).partial_secrets());
    }

    #[test]
    fn save_load_round_trip_and_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.json");
        let mut d = Directory::new();
        d.users.push(Principal {
            domain: "x.lab".into(),
            dn: "CN=u,DC=x,DC=lab".into(),
            sam_account_name: "u".into(),
            ..Principal::default()
        });
        d.save(&path).expect("save");
        assert_eq!(Directory::load(&path).expect("load"), d);
        std::fs::write(&path, r#"{"version": 99}"#).expect("write");
        assert!(matches!(
            Directory::load(&path),
            Err(SnapshotError::Version { found: 99, .. })
        ));
        std::fs::write(&path, "nope").expect("write");
        assert!(Directory::load(&path).is_err());
    }
}
