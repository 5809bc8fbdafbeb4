//! Collection over LDAP: simple bind, paged searches (page size 500) with the SD-flags control
//! (owner, group and DACL of `nTSecurityDescriptor`, readable without SeSecurityPrivilege),
//! streamed into the model entry by entry, so memory beyond the model stays bounded by one
//! page whatever the directory's size.
//!
//! What is read: the domain naming context (principals, OUs, GPOs, trusts, AdminSDHolder and
//! the domain object with its policies), the configuration partition (crossRefs for NetBIOS
//! names, AD CS templates and enrolment services where AD CS is installed) and the schema
//! entries of the LAPS password attributes.
//!
//! Ranged attributes (AD hands out at most 1,500 values of `member` a read and names the
//! attribute `member;range=0-1499`) are completed after the search with base reads of the
//! following ranges, so a group of any size has all its members.

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

/// Where the next range of a ranged attribute starts: `member;range=0-1499` → (`member`,
/// 1500). `None` for the last range (`member;range=1500-*`) or a name that is not ranged.
pub(crate) fn next_range(name: &str) -> Option<(String, u64)> {
    let (attr, rest) = name.split_once(';')?;
    let range = rest.split(';').find_map(|o| {
        o.get(..6)
            .filter(|p| p.eq_ignore_ascii_case("range="))
            .map(|_| &o[6..])
    })?;
    let (_, high) = range.split_once('-')?;
    if high == "*" {
        return None;
    }
    let high: u64 = high.parse().ok()?;
    Some((attr.to_string(), high.checked_add(1)?))
}

/// Most follow-up range reads per attribute: AD hands out 1,500 values a read, so this bounds
/// one attribute at 15 million values.
const MAX_RANGE_READS: usize = 10_000;

impl Session {
    /// The values of `attr` on `dn` from index `start` on, reading range after range as the
    /// server hands them out (AD's MaxValRange, 1,500 by default), until the last (`-*`).
    pub(crate) fn remaining_values(
        &mut self,
        dn: &str,
        attr: &str,
        mut start: u64,
    ) -> Result<Vec<Vec<u8>>, CollectError> {
        let mut values = Vec::new();
        for _ in 0..MAX_RANGE_READS {
            let want = format!("{attr};range={start}-*");
            let mut next = None;
            let mut part = Vec::new();
            let op = format!("read {want} of {dn}");
            let res = self
                .conn
                .search(dn, Scope::Base, "(objectClass=*)", vec![want.as_str()])
                .map_err(|e| self.err(op.clone(), e))?;
            let (entries, result) = (res.0, res.1);
            if result.rc != 0 {
                return Err(CollectError::Refused {
                    server: self.server.clone(),
                    operation: op,
                    message: format!("result code {}: {}", result.rc, result.text),
                });
            }
            for re in entries {
                let se = SearchEntry::construct(re);
                for (k, vs) in se.attrs {
                    if k.split(';')
                        .next()
                        .is_some_and(|a| a.eq_ignore_ascii_case(attr))
                    {
                        next = next_range(&k);
                        part.extend(vs.into_iter().map(String::into_bytes));
                    }
                }
                for (k, vs) in se.bin_attrs {
                    if k.split(';')
                        .next()
                        .is_some_and(|a| a.eq_ignore_ascii_case(attr))
                    {
                        next = next_range(&k);
                        part.extend(vs);
                    }
                }
            }
            values.append(&mut part);
            match next {
                // A server that does not move forward would loop: stop.
                Some((_, n)) if n > start => start = n,
                _ => return Ok(values),
            }
        }
        Ok(values)
    }
}

fn to_entry(se: SearchEntry) -> Entry {
    let mut e = Entry::new(se.dn);
    for (k, vs) in se.attrs {
        if let Some((attr, start)) = next_range(&k) {
            e.push("x-rampart-ranged", format!("{attr} {start}").into_bytes());
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

/// The values of one multi-valued attribute of `dn` from index `start` on, read range by
/// range as collection completes a group larger than the server's MaxValRange: for reading one
/// large group's members without a whole collection.
pub fn read_ranged(
    opts: &LdapOptions,
    dn: &str,
    attr: &str,
    start: u64,
) -> Result<Vec<Vec<u8>>, CollectError> {
    let mut s = connect(opts)?;
    let values = s.remaining_values(dn, attr, start);
    let _ = s.conn.unbind();
    values
}

fn connect(opts: &LdapOptions) -> Result<Session, CollectError> {
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
    Ok(s)
}

/// Collects a snapshot of the domain over LDAP.
pub fn collect_ldap(opts: &LdapOptions) -> Result<Directory, CollectError> {
    let mut s = connect(opts)?;
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
    // Entries whose multi-valued attributes came back in part (a group of more than 1,500
    // members on AD) wait until the search is done: their other ranges are read then, on the
    // same connection, and the entry is added whole.
    let mut ranged: Vec<Entry> = Vec::new();
    let mut add = |e: Entry| {
        if e.first("x-rampart-ranged").is_some() {
            ranged.push(e);
        } else {
            b.add(&e);
        }
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
    for mut e in ranged {
        for spec in e.texts("x-rampart-ranged") {
            let Some((attr, start)) = spec
                .split_once(' ')
                .and_then(|(a, n)| Some((a.to_string(), n.parse::<u64>().ok()?)))
            else {
                continue;
            };
            let dn = e.dn.clone();
            for v in s.remaining_values(&dn, &attr, start)? {
                e.push(&attr, v);
            }
        }
        b.add(&e);
    }
    let _ = s.conn.unbind();
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::next_range;

    #[test]
    fn range_names_say_where_the_next_read_starts() {
        assert_eq!(
            next_range("member;range=0-1499"),
            Some(("member".into(), 1500))
        );
        assert_eq!(
            next_range("member;Range=1500-2999"),
            Some(("member".into(), 3000))
        );
        assert_eq!(next_range("member;range=3000-*"), None);
        assert_eq!(next_range("member"), None);
        assert_eq!(next_range("member;binary"), None);
        assert_eq!(next_range("member;range=0-x"), None);
        assert_eq!(next_range("member;range=0-18446744073709551615"), None);
    }
}
