//! BloodHound collections (SharpHound v4/v5, bloodhound-python): a folder of JSON files, each
//! `{"data": [...], "meta": {"type": "users", "version": 5, ...}}`, mapped into the same model
//! as LDAP and LDIF. BloodHound ships resolved rights (`Aces` with `RightName` and
//! `PrincipalSID`) instead of descriptors, and what only a collector on the hosts sees:
//! sessions and local group members.
//!
//! Files are read one at a time; a file that is not BloodHound JSON, or an object without a
//! distinguished name, is a warning, and the rest is read.

use crate::model::*;
use crate::sd::Right;
use crate::time::from_filetime;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BloodHoundError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: no BloodHound JSON files")]
    Empty { path: PathBuf },
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k)?.as_str().filter(|x| !x.is_empty())
}

fn b(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool).unwrap_or(false)
}

fn strings(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// BloodHound times are Unix seconds; 0 and -1 mean never.
fn unix(v: &Value, k: &str) -> Option<DateTime<Utc>> {
    let n = v.get(k)?.as_i64()?;
    if n <= 0 {
        return None;
    }
    // Some collectors write FILETIMEs; those are far beyond any Unix time in seconds.
    if n > 100_000_000_000 {
        return from_filetime(n);
    }
    Utc.timestamp_opt(n, 0).single()
}

/// `ObjectIdentifier`s of a list of `{ObjectIdentifier, ObjectType}` (or of plain strings).
fn ids(v: Option<&Value>) -> Vec<String> {
    let list = match v {
        Some(Value::Array(a)) => a.as_slice(),
        // v5 wraps computer-side results: {"Collected": true, "Results": [...]}
        Some(Value::Object(o)) => match o.get("Results") {
            Some(Value::Array(a)) => a.as_slice(),
            _ => &[],
        },
        _ => &[],
    };
    list.iter()
        .filter_map(|x| match x {
            Value::String(s) => Some(s.clone()),
            _ => s(x, "ObjectIdentifier")
                .or_else(|| s(x, "MemberId"))
                .map(str::to_string),
        })
        .collect()
}

fn results(v: Option<&Value>) -> &[Value] {
    match v {
        Some(Value::Array(a)) => a,
        Some(Value::Object(o)) => match o.get("Results") {
            Some(Value::Array(a)) => a,
            _ => &[],
        },
        _ => &[],
    }
}

/// `DOMAIN.LOCAL` → `domain.local`; from a DN when the property is missing.
fn domain_name(props: &Value, dn: &str) -> String {
    match s(props, "domain") {
        Some(d) => d.to_ascii_lowercase(),
        None => domain_of_dn(dn),
    }
}

fn functional_level(s: &str) -> Option<u32> {
    Some(match s.trim() {
        "2000 Mixed/Native" | "2000" => 0,
        "2003 Interim" => 1,
        "2003" => 2,
        "2008" => 3,
        "2008 R2" => 4,
        "2012" => 5,
        "2012 R2" => 6,
        "2016" => 7,
        "2025" => 10,
        other => return other.parse().ok(),
    })
}

/// GPO GUIDs a container links, with the enforced flag.
type Links = Vec<(String, bool)>;

#[derive(Default)]
struct Pending {
    /// group DN → member SIDs
    members: Vec<(usize, Vec<String>)>,
    /// (is OU, index, GPO GUIDs with enforced flag)
    links: Vec<(bool, usize, Links)>,
    aces: Vec<(String, Vec<Value>)>,
}

/// Reads every `*.json` file of a folder (sorted by name) into a snapshot.
pub fn load(dir: &Path) -> Result<Directory, BloodHoundError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| BloodHoundError::Io {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("json"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(BloodHoundError::Empty {
            path: dir.to_path_buf(),
        });
    }
    let mut d = Directory::new();
    d.sources.push(format!("bloodhound:{}", dir.display()));
    let mut p = Pending::default();
    let mut sid_dn: HashMap<String, String> = HashMap::new();
    let mut skipped_rights: HashMap<String, usize> = HashMap::new();
    for f in &files {
        let text = match std::fs::read(f) {
            Ok(t) => t,
            Err(e) => {
                d.warnings.push(format!("{}: {e}", f.display()));
                continue;
            }
        };
        let doc: Value = match serde_json::from_slice(&text) {
            Ok(v) => v,
            Err(e) => {
                d.warnings.push(format!("{}: not JSON: {e}", f.display()));
                continue;
            }
        };
        drop(text);
        let kind = doc
            .get("meta")
            .and_then(|m| s(m, "type"))
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let Some(data) = doc.get("data").and_then(Value::as_array) else {
            d.warnings.push(format!("{}: no `data` array", f.display()));
            continue;
        };
        for (i, o) in data.iter().enumerate() {
            let props = o.get("Properties").unwrap_or(&Value::Null);
            let Some(dn) = s(props, "distinguishedname").map(str::to_string) else {
                d.warnings.push(format!(
                    "{}: data[{i}]: no distinguishedname, skipped",
                    f.display()
                ));
                continue;
            };
            let raw_id = s(o, "ObjectIdentifier").map(str::to_string);
            if let Some(id) = &raw_id {
                sid_dn.insert(id.to_ascii_uppercase(), dn.clone());
            }
            let id = raw_id.as_deref().map(bare_sid);
            if let Some(aces) = o.get("Aces").and_then(Value::as_array) {
                p.aces.push((dn.clone(), aces.clone()));
            }
            let domain = domain_name(props, &dn);
            match kind.as_str() {
                "users" | "computers" => {
                    let computer = kind == "computers";
                    let mut uac = 0u32;
                    let flag = |k: &str, f: u32, uac: &mut u32| {
                        if b(props, k) {
                            *uac |= f;
                        }
                    };
                    if props.get("enabled").and_then(Value::as_bool) == Some(false) {
                        uac |= Uac::ACCOUNTDISABLE;
                    }
                    flag("dontreqpreauth", Uac::DONT_REQ_PREAUTH, &mut uac);
                    flag(
                        "unconstraineddelegation",
                        Uac::TRUSTED_FOR_DELEGATION,
                        &mut uac,
                    );
                    flag(
                        "trustedtoauth",
                        Uac::TRUSTED_TO_AUTH_FOR_DELEGATION,
                        &mut uac,
                    );
                    flag("pwdneverexpires", Uac::DONT_EXPIRE_PASSWORD, &mut uac);
                    flag("passwordnotreqd", Uac::PASSWD_NOTREQD, &mut uac);
                    flag("sensitive", Uac::NOT_DELEGATED, &mut uac);
                    if computer {
                        uac |= if b(o, "IsDC") {
                            Uac::SERVER_TRUST_ACCOUNT
                        } else {
                            Uac::WORKSTATION_TRUST_ACCOUNT
                        };
                    } else {
                        uac |= Uac::NORMAL_ACCOUNT;
                    }
                    let name = s(props, "name").unwrap_or_default();
                    let sam = s(props, "samaccountname")
                        .map(str::to_string)
                        .unwrap_or_else(|| {
                            let short = name.split(['@', '.']).next().unwrap_or(name).to_string();
                            if computer {
                                format!("{short}$")
                            } else {
                                short
                            }
                        });
                    let mut delegate = strings(props, "allowedtodelegate");
                    delegate.extend(ids(o.get("AllowedToDelegate")));
                    let mut sid_history = strings(props, "sidhistory");
                    sid_history.extend(ids(o.get("HasSIDHistory")));
                    sid_history.sort();
                    sid_history.dedup();
                    let pr = Principal {
                        domain: domain.clone(),
                        dn: dn.clone(),
                        sam_account_name: sam,
                        object_sid: id.clone(),
                        object_guid: None,
                        user_account_control: Uac(uac),
                        service_principal_names: strings(props, "serviceprincipalnames"),
                        allowed_to_delegate_to: delegate,
                        allowed_to_act: ids(o.get("AllowedToAct")),
                        supported_encryption_types: None,
                        admin_count: b(props, "admincount").then_some(1),
                        sid_history,
                        member_of: Vec::new(),
                        primary_group_id: s(o, "PrimaryGroupSID").and_then(rid),
                        pwd_last_set: unix(props, "pwdlastset"),
                        last_logon_timestamp: unix(props, "lastlogontimestamp"),
                        when_created: unix(props, "whencreated"),
                        description: s(props, "description").map(str::to_string),
                        user_principal_name: s(props, "userprincipalname").map(str::to_string),
                        dns_host_name: computer.then(|| name.to_ascii_lowercase()),
                        operating_system: s(props, "operatingsystem").map(str::to_string),
                        laps_legacy_expiration: None,
                        laps_expiration: None,
                        laps_enabled: props.get("haslaps").and_then(Value::as_bool),
                        security_descriptor: None,
                    };
                    if computer {
                        for key in ["Sessions", "PrivilegedSessions", "RegistrySessions"] {
                            for r in results(o.get(key)) {
                                if let Some(u) = s(r, "UserSID") {
                                    d.sessions.push(Session {
                                        computer: dn.clone(),
                                        user: u.to_string(),
                                        source: "bloodhound".into(),
                                    });
                                }
                            }
                        }
                        for (key, right) in [
                            ("LocalAdmins", LocalRightKind::AdminTo),
                            ("RemoteDesktopUsers", LocalRightKind::CanRDP),
                            ("PSRemoteUsers", LocalRightKind::CanPSRemote),
                            ("DcomUsers", LocalRightKind::ExecuteDCOM),
                        ] {
                            for principal in ids(o.get(key)) {
                                d.local_rights.push(LocalRight {
                                    computer: dn.clone(),
                                    principal,
                                    right,
                                });
                            }
                        }
                        // v5/v6 LocalGroups: the local group's well-known RID says which right.
                        for lg in o
                            .get("LocalGroups")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                        {
                            let right = match s(lg, "ObjectIdentifier").and_then(rid) {
                                Some(544) => LocalRightKind::AdminTo,
                                Some(555) => LocalRightKind::CanRDP,
                                Some(562) => LocalRightKind::ExecuteDCOM,
                                Some(580) => LocalRightKind::CanPSRemote,
                                _ => continue,
                            };
                            for principal in ids(lg.get("Results")) {
                                d.local_rights.push(LocalRight {
                                    computer: dn.clone(),
                                    principal,
                                    right,
                                });
                            }
                        }
                        d.computers.push(pr);
                    } else {
                        d.users.push(pr);
                    }
                }
                "groups" => {
                    p.members.push((d.groups.len(), ids(o.get("Members"))));
                    let name = s(props, "name").unwrap_or_default();
                    d.groups.push(Group {
                        domain,
                        dn,
                        sam_account_name: s(props, "samaccountname")
                            .map(str::to_string)
                            .unwrap_or_else(|| name.split('@').next().unwrap_or(name).to_string()),
                        object_sid: id,
                        admin_count: b(props, "admincount").then_some(1),
                        description: s(props, "description").map(str::to_string),
                        when_created: unix(props, "whencreated"),
                        ..Group::default()
                    });
                }
                "domains" => {
                    let links = links_of(o);
                    p.links.push((false, d.domains.len(), links));
                    for t in o
                        .get("Trusts")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let dir = match t.get("TrustDirection") {
                            Some(Value::Number(n)) => n.as_u64().map(|x| x as u32),
                            Some(Value::String(x)) => match x.as_str() {
                                "Inbound" => Some(1),
                                "Outbound" => Some(2),
                                "Bidirectional" => Some(3),
                                _ => None,
                            },
                            _ => None,
                        };
                        let mut attrs = 0u32;
                        if t.get("IsTransitive").and_then(Value::as_bool) == Some(false) {
                            attrs |= 0x1;
                        }
                        if b(t, "SidFilteringEnabled") {
                            attrs |= 0x4;
                        }
                        d.trusts.push(Trust {
                            domain: domain.clone(),
                            dn: dn.clone(),
                            partner: s(t, "TargetDomainName")
                                .unwrap_or_default()
                                .to_ascii_lowercase(),
                            flat_name: None,
                            partner_sid: s(t, "TargetDomainSid").map(str::to_string),
                            direction: dir,
                            trust_type: None,
                            trust_attributes: Some(attrs),
                        });
                    }
                    d.domains.push(Domain {
                        dn: dn.clone(),
                        dns_name: s(props, "name")
                            .map(str::to_ascii_lowercase)
                            .unwrap_or(domain),
                        sid: id,
                        functional_level: s(props, "functionallevel").and_then(functional_level),
                        when_created: unix(props, "whencreated"),
                        ..Domain::default()
                    });
                }
                "gpos" => d.gpos.push(Gpo {
                    domain,
                    dn,
                    name: s(props, "name").unwrap_or_default().to_string(),
                    object_guid: id.map(|g| g.to_ascii_lowercase()),
                    file_sys_path: s(props, "gpcpath").map(str::to_string),
                    ..Gpo::default()
                }),
                "ous" => {
                    p.links.push((true, d.ous.len(), links_of(o)));
                    d.ous.push(Ou {
                        domain,
                        dn,
                        name: s(props, "name").unwrap_or_default().to_string(),
                        object_guid: id.map(|g| g.to_ascii_lowercase()),
                        block_inheritance: b(props, "blocksinheritance"),
                        description: s(props, "description").map(str::to_string),
                        ..Ou::default()
                    });
                }
                _ => d.containers.push(Container {
                    domain,
                    dn,
                    name: s(props, "name").unwrap_or_default().to_string(),
                    object_classes: vec![kind.trim_end_matches('s').to_string()],
                    object_guid: id.map(|g| g.to_ascii_lowercase()),
                    security_descriptor: None,
                }),
            }
        }
    }
    // Second pass: SIDs and GUIDs to DNs.
    let resolve = |x: &str| {
        sid_dn
            .get(&x.to_ascii_uppercase())
            .cloned()
            .unwrap_or_else(|| x.to_string())
    };
    for (gi, members) in p.members {
        if let Some(g) = d.groups.get_mut(gi) {
            g.members = members.iter().map(|m| resolve(m)).collect();
        }
    }
    for s in &mut d.sessions {
        s.user = resolve(&s.user);
    }
    for lr in &mut d.local_rights {
        lr.principal = resolve(&lr.principal);
    }
    for (ou, i, links) in p.links {
        let gplinks: Vec<GpLink> = links
            .into_iter()
            .map(|(guid, enforced)| GpLink {
                gpo_dn: resolve(&guid),
                disabled: false,
                enforced,
            })
            .collect();
        if ou {
            if let Some(o) = d.ous.get_mut(i) {
                o.gplinks = gplinks;
            }
        } else if let Some(o) = d.domains.get_mut(i) {
            o.gplinks = gplinks;
        }
    }
    for (target, aces) in p.aces {
        for a in aces {
            let (Some(name), Some(trustee)) = (s(&a, "RightName"), s(&a, "PrincipalSID")) else {
                continue;
            };
            match Right::from_name(name) {
                Some(right) => d.resolved_aces.push(AclEdge {
                    trustee: bare_sid(trustee),
                    right,
                    target: target.clone(),
                    inherited: b(&a, "IsInherited"),
                }),
                None => *skipped_rights.entry(name.to_string()).or_default() += 1,
            }
        }
    }
    let mut skipped: Vec<_> = skipped_rights.into_iter().collect();
    skipped.sort();
    for (name, n) in skipped {
        d.warnings.push(format!(
            "{}: {n} ACEs with right {name}, which Rampart does not model, skipped",
            dir.display()
        ));
    }
    crate::entry::reconcile_membership(&mut d);
    for dom in &mut d.domains {
        dom.krbtgt_pwd_last_set = d
            .users
            .iter()
            .find(|u| u.domain == dom.dns_name && u.rid() == Some(502))
            .and_then(|u| u.pwd_last_set);
    }
    Ok(d)
}

/// SharpHound writes built-in SIDs with their domain (`CONTOSO.LOCAL-S-1-5-32-544`) to tell
/// the domains' Administrators apart; the model keeps the SID itself.
fn bare_sid(id: &str) -> String {
    match id.find("-S-1-") {
        Some(i) => id[i + 1..].to_string(),
        None => id.to_string(),
    }
}

fn links_of(o: &Value) -> Links {
    o.get("Links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| Some((s(l, "GUID")?.to_string(), b(l, "IsEnforced"))))
        .collect()
}
