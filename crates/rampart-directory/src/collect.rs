//! Collection over LDAP: simple bind, paged searches (page size 500) with the SD-flags control
//! (owner, group and DACL of `nTSecurityDescriptor`, readable without SeSecurityPrivilege),
//! streamed into the model entry by entry, so memory beyond the model stays bounded by one
//! page whatever the directory's size.
//!
//! What is read: the domain naming context (principals, OUs, GPOs, trusts, AdminSDHolder and
//! the domain object with its policies), the configuration partition (crossRefs for NetBIOS
//! names, AD CS templates and enrolment services where AD CS is installed) and the schema
//! entries of the LAPS password attributes.

use crate::entry::{Builder, Entry};
use crate::model::Directory;
use ldap3::adapters::PagedResults;
use ldap3::controls::RawControl;
use ldap3::{LdapConn, LdapConnSettings, LdapError, Scope, SearchEntry};
use std::path::PathBuf;
use std::time::Duration;

/// How to reach and authenticate to a DC.
#[derive(Debug, Clone)]
pub struct LdapOptions {
    /// `ldap://host[:port]` or `ldaps://host[:port]`.
    pub url: String,
    /// Bind DN or UPN (`user@domain`); simple bind.
    pub bind: String,
    pub password: String,
    /// The domain naming context; the RootDSE's `defaultNamingContext` when `None`.
    pub base: Option<String>,
    /// Accept any TLS certificate (lab DCs with self-signed certificates).
    pub no_tls_verify: bool,
    pub timeout: Duration,
}

/// Where a password comes from: never the command line alone, where other users see it.
#[derive(Debug, Clone)]
pub enum PasswordSource {
    File(PathBuf),
    Env(String),
}

impl PasswordSource {
    /// Reads the password; a file's trailing newline is not part of it.
    pub fn read(&self) -> Result<String, CollectError> {
        match self {
            PasswordSource::File(p) => std::fs::read_to_string(p)
                .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
                .map_err(|e| CollectError::Password(format!("{}: {e}", p.display()))),
            PasswordSource::Env(v) => std::env::var(v)
                .map_err(|e| CollectError::Password(format!("environment variable {v}: {e}"))),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("{server}: {operation}: {source}")]
    Ldap {
        server: String,
        operation: String,
        source: Box<LdapError>,
    },
    #[error("{server}: {operation}: {message}")]
    Refused {
        server: String,
        operation: String,
        message: String,
    },
    #[error("password: {0}")]
    Password(String),
}

/// LDAP_SERVER_SD_FLAGS_OID with OWNER|GROUP|DACL (7): BER `SEQUENCE { INTEGER 7 }`.
const SD_FLAGS_OID: &str = "1.2.840.113556.1.4.801";
const SD_FLAGS_VALUE: [u8; 5] = [0x30, 0x03, 0x02, 0x01, 0x07];
const PAGE_SIZE: i32 = 500;
/// LDAP result code noSuchObject: a container that is not there (no AD CS).
const NO_SUCH_OBJECT: u32 = 32;

/// Attributes read from the domain naming context.
const DOMAIN_ATTRS: &[&str] = &[
    "objectClass",
    "sAMAccountName",
    "objectSid",
    "objectGUID",
    "memberOf",
    "member",
    "primaryGroupID",
    "userAccountControl",
    "servicePrincipalName",
    "msDS-AllowedToDelegateTo",
    "msDS-AllowedToActOnBehalfOfOtherIdentity",
    "msDS-SupportedEncryptionTypes",
    "adminCount",
    "sIDHistory",
    "pwdLastSet",
    "lastLogonTimestamp",
    "whenCreated",
    "description",
    "dNSHostName",
    "operatingSystem",
    "userPrincipalName",
    "ms-Mcs-AdmPwdExpirationTime",
    "msLAPS-PasswordExpirationTime",
    "nTSecurityDescriptor",
    "groupType",
    "gPLink",
    "gPOptions",
    "displayName",
    "gPCFileSysPath",
    "cn",
    "name",
    "ou",
    "trustPartner",
    "flatName",
    "securityIdentifier",
    "trustDirection",
    "trustType",
    "trustAttributes",
    "msDS-Behavior-Version",
    "ms-DS-MachineAccountQuota",
    "minPwdLength",
    "minPwdAge",
    "maxPwdAge",
    "pwdProperties",
    "pwdHistoryLength",
    "lockoutThreshold",
    "lockoutDuration",
    "lockOutObservationWindow",
];

const DOMAIN_FILTER: &str = "(|(objectClass=user)(objectClass=group)(objectClass=domain)\
(objectClass=organizationalUnit)(objectClass=groupPolicyContainer)(objectClass=trustedDomain)\
(&(objectClass=container)(cn=AdminSDHolder)))";

const PKI_ATTRS: &[&str] = &[
    "objectClass",
    "cn",
    "name",
    "displayName",
    "objectGUID",
    "nTSecurityDescriptor",
    "msPKI-Template-Schema-Version",
    "msPKI-Certificate-Name-Flag",
    "msPKI-Enrollment-Flag",
    "msPKI-RA-Signature",
    "pKIExtendedKeyUsage",
    "msPKI-Certificate-Application-Policy",
    "dNSHostName",
    "certificateTemplates",
];

struct Session {
    conn: LdapConn,
    server: String,
}

impl Session {
    fn err(&self, operation: impl Into<String>, source: LdapError) -> CollectError {
        CollectError::Ldap {
            server: self.server.clone(),
            operation: operation.into(),
            source: Box::new(source),
        }
    }

    /// One paged search, each entry handed to `sink` as it arrives. `Ok(false)` when the
    /// base does not exist.
    fn search(
        &mut self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: &[&str],
        sink: &mut dyn FnMut(Entry),
    ) -> Result<bool, CollectError> {
        let op = format!("search {base} {filter}");
        self.conn.with_controls(RawControl {
            ctype: SD_FLAGS_OID.to_string(),
            crit: false,
            val: Some(SD_FLAGS_VALUE.to_vec()),
        });
        let mut stream = match self.conn.streaming_search_with(
            PagedResults::new(PAGE_SIZE),
            base,
            scope,
            filter,
            attrs.to_vec(),
        ) {
            Ok(s) => s,
            Err(e) => {
                return Err(CollectError::Ldap {
                    server: self.server.clone(),
                    operation: op,
                    source: Box::new(e),
                })
            }
        };
        let mut failure = None;
        loop {
            match stream.next() {
                Ok(Some(re)) => {
                    if re.is_ref() || re.is_intermediate() {
                        continue;
                    }
                    sink(to_entry(SearchEntry::construct(re)));
                }
                Ok(None) => break,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let res = stream.result();
        if let Some(e) = failure {
            return Err(CollectError::Ldap {
                server: self.server.clone(),
                operation: op,
                source: Box::new(e),
            });
        }
        match res.rc {
            0 => Ok(true),
            NO_SUCH_OBJECT => Ok(false),
            rc => Err(CollectError::Refused {
                server: self.server.clone(),
                operation: op,
                message: format!("result code {rc}: {}", res.text),
            }),
        }
    }
}

fn to_entry(se: SearchEntry) -> Entry {
    let mut e = Entry::new(se.dn);
    for (k, vs) in se.attrs {
        if k.contains(";range=") && !k.ends_with('*') {
            e.push("x-rampart-ranged", k.clone().into_bytes());
        }
        for v in vs {
            e.push(&k, v.into_bytes());
        }
    }
    for (k, vs) in se.bin_attrs {
        for v in vs {
            e.push(&k, v);
        }
    }
    e
}

/// Collects a snapshot of the domain over LDAP.
pub fn collect_ldap(opts: &LdapOptions) -> Result<Directory, CollectError> {
    let server = opts.url.clone();
    let settings = LdapConnSettings::new()
        .set_conn_timeout(opts.timeout)
        .set_no_tls_verify(opts.no_tls_verify);
    let conn =
        LdapConn::with_settings(settings, &opts.url).map_err(|source| CollectError::Ldap {
            server: server.clone(),
            operation: "connect".into(),
            source: Box::new(source),
        })?;
    let mut s = Session { conn, server };
    s.conn.with_timeout(opts.timeout);
    let bind = s
        .conn
        .simple_bind(&opts.bind, &opts.password)
        .map_err(|e| s.err(format!("bind as {}", opts.bind), e))?;
    if bind.rc != 0 {
        return Err(CollectError::Refused {
            server: s.server.clone(),
            operation: format!("bind as {}", opts.bind),
            message: format!("result code {}: {}", bind.rc, bind.text),
        });
    }
    // RootDSE: naming contexts.
    let mut root = Vec::new();
    s.search(
        "",
        Scope::Base,
        "(objectClass=*)",
        &[
            "defaultNamingContext",
            "configurationNamingContext",
            "schemaNamingContext",
        ],
        &mut |e| root.push(e),
    )?;
    let root = root.into_iter().next().unwrap_or_default();
    let base = match opts
        .base
        .clone()
        .or_else(|| root.text("defaultnamingcontext"))
    {
        Some(b) => b,
        None => {
            return Err(CollectError::Refused {
                server: s.server.clone(),
                operation: "read RootDSE".into(),
                message: "no defaultNamingContext; pass the base DN".into(),
            })
        }
    };
    let config = root
        .text("configurationnamingcontext")
        .unwrap_or_else(|| format!("CN=Configuration,{base}"));
    let schema = root
        .text("schemanamingcontext")
        .unwrap_or_else(|| format!("CN=Schema,{config}"));

    let mut b = Builder::new();
    b.source(format!("{} {base}", s.server));
    let mut ranged = 0usize;
    let mut add = |e: Entry| {
        if e.first("x-rampart-ranged").is_some() {
            ranged += 1;
        }
        b.add(&e);
    };
    s.search(&base, Scope::Subtree, DOMAIN_FILTER, DOMAIN_ATTRS, &mut add)?;
    s.search(
        &format!("CN=Partitions,{config}"),
        Scope::OneLevel,
        "(objectClass=crossRef)",
        &["objectClass", "nCName", "nETBIOSName", "dnsRoot"],
        &mut add,
    )?;
    let pki = format!("CN=Public Key Services,CN=Services,{config}");
    s.search(
        &format!("CN=Certificate Templates,{pki}"),
        Scope::OneLevel,
        "(objectClass=pKICertificateTemplate)",
        PKI_ATTRS,
        &mut add,
    )?;
    s.search(
        &format!("CN=Enrollment Services,{pki}"),
        Scope::OneLevel,
        "(objectClass=pKIEnrollmentService)",
        PKI_ATTRS,
        &mut add,
    )?;
    s.search(
        &schema,
        Scope::OneLevel,
        "(|(lDAPDisplayName=ms-Mcs-AdmPwd)(lDAPDisplayName=msLAPS-Password)(lDAPDisplayName=msLAPS-EncryptedPassword))",
        &["objectClass", "lDAPDisplayName", "schemaIDGUID"],
        &mut add,
    )?;
    let _ = s.conn.unbind();
    if ranged > 0 {
        b.warn(format!(
            "{}: {ranged} entries returned only part of a multi-valued attribute (ranged \
             retrieval); group members were completed from memberOf",
            opts.url
        ));
    }
    Ok(b.finish())
}
