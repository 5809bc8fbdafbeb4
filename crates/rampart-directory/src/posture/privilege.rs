//! Who is an admin, computed once from group membership: the facts most checks share.
//!
//! "Privileged" is tier 0 as Microsoft and PingCastle count it: transitive members of Domain,
//! Enterprise and Schema Admins, (Enterprise) Key Admins, Administrators and the Account,
//! Server, Print and Backup Operators, plus the built-in Administrator. "Protected" is what
//! SDProp protects (MS-ADTS 3.1.1.6.1.1: those groups, Domain Controllers, Read-only DCs,
//! Replicator, Administrator, krbtgt, and their members) and so may rightly carry
//! `adminCount=1`. "Admin trustees" are the principals whose rights over other objects are
//! expected: the privileged, DCs, SYSTEM, SELF and CREATOR OWNER.

use crate::model::{dn_key, rid, Directory, Principal};
use std::collections::{HashMap, HashSet, VecDeque};

/// Domain-relative RIDs of tier-0 groups, in the order reasons are attributed.
const PRIVILEGED_DOMAIN_RIDS: &[(u32, &str)] = &[
    (512, "Domain Admins"),
    (519, "Enterprise Admins"),
    (518, "Schema Admins"),
    (526, "Key Admins"),
    (527, "Enterprise Key Admins"),
];
/// `S-1-5-32-x` tier-0 aliases.
const PRIVILEGED_BUILTIN_RIDS: &[(u32, &str)] = &[
    (544, "Administrators"),
    (548, "Account Operators"),
    (549, "Server Operators"),
    (550, "Print Operators"),
    (551, "Backup Operators"),
];
/// Protected by SDProp besides the privileged groups.
const PROTECTED_EXTRA_DOMAIN_RIDS: &[u32] = &[516, 521];
const PROTECTED_EXTRA_BUILTIN_RIDS: &[u32] = &[552];
/// Domain RIDs whose holders act for the domain: Administrator, DCs, RODCs, Enterprise RODCs.
const ADMIN_TRUSTEE_DOMAIN_RIDS: &[u32] = &[500, 512, 516, 518, 519, 521, 498, 526, 527];
/// SYSTEM, Enterprise Domain Controllers, SELF (an object's rights over itself), CREATOR OWNER.
const ADMIN_TRUSTEE_WELL_KNOWN: &[&str] = &["S-1-5-18", "S-1-5-9", "S-1-5-10", "S-1-3-0"];

/// One group's or account's place in the membership graph.
#[derive(Debug, Clone)]
struct Node {
    name: String,
    sid: Option<String>,
}

/// Membership-derived facts of a snapshot.
#[derive(Debug, Default)]
pub struct Privilege {
    nodes: HashMap<String, Node>,
    /// dn_key → why it is privileged ("member of Domain Admins via Tier0-Admins").
    privileged: HashMap<String, String>,
    protected: HashSet<String>,
    privileged_sids: HashSet<String>,
    sid_names: HashMap<String, String>,
    /// dn_key of each group → transitive member dn_keys.
    members_of_group: HashMap<String, Vec<String>>,
}

fn domain_rid_of(sid: &str) -> Option<u32> {
    sid.starts_with("S-1-5-21-").then(|| rid(sid)).flatten()
}

fn builtin_rid_of(sid: &str) -> Option<u32> {
    sid.strip_prefix("S-1-5-32-")?.parse().ok()
}

/// The display name of a principal: its `sAMAccountName`, else the first RDN's value.
pub fn display_name<'a>(sam: &'a str, dn: &'a str) -> &'a str {
    if !sam.is_empty() {
        return sam;
    }
    dn.split(',')
        .next()
        .and_then(|rdn| rdn.split_once('='))
        .map(|(_, v)| v)
        .unwrap_or(dn)
}

impl Privilege {
    pub fn of(dir: &Directory) -> Privilege {
        let mut p = Privilege::default();
        // Direct membership edges, from both sides (member and memberOf may each be missing).
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        let mut add_edge = |group: &str, member: &str| {
            let (g, m) = (dn_key(group), dn_key(member));
            let list = children.entry(g).or_default();
            if !list.contains(&m) {
                list.push(m);
            }
        };
        let mut group_by_sid: HashMap<String, String> = HashMap::new();
        for g in &dir.groups {
            let key = dn_key(&g.dn);
            p.nodes.insert(
                key.clone(),
                Node {
                    name: display_name(&g.sam_account_name, &g.dn).to_string(),
                    sid: g.object_sid.clone(),
                },
            );
            if let Some(s) = &g.object_sid {
                group_by_sid.insert(s.to_ascii_uppercase(), g.dn.clone());
            }
            for m in &g.members {
                add_edge(&g.dn, m);
            }
            for parent in &g.member_of {
                add_edge(parent, &g.dn);
            }
        }
        let principals = dir.users.iter().chain(dir.computers.iter());
        for u in principals {
            p.nodes.insert(
                dn_key(&u.dn),
                Node {
                    name: display_name(&u.sam_account_name, &u.dn).to_string(),
                    sid: u.object_sid.clone(),
                },
            );
            for parent in &u.member_of {
                add_edge(parent, &u.dn);
            }
            if let Some(primary) = primary_group_sid(u) {
                if let Some(gdn) = group_by_sid.get(&primary) {
                    add_edge(gdn, &u.dn);
                }
            }
        }
        for n in p.nodes.values() {
            if let Some(s) = &n.sid {
                p.sid_names.insert(s.to_ascii_uppercase(), n.name.clone());
            }
        }

        // Roots, in attribution order.
        let mut roots: Vec<(String, String, bool)> = Vec::new(); // (dn_key, name, privileged)
        for g in &dir.groups {
            let sid = g.object_sid.as_deref().unwrap_or("");
            let name = display_name(&g.sam_account_name, &g.dn).to_string();
            let by_rid = domain_rid_of(sid)
                .and_then(|r| {
                    PRIVILEGED_DOMAIN_RIDS
                        .iter()
                        .position(|(x, _)| *x == r)
                        .map(|i| (i, true))
                        .or_else(|| {
                            PROTECTED_EXTRA_DOMAIN_RIDS
                                .contains(&r)
                                .then_some((90, false))
                        })
                })
                .or_else(|| {
                    builtin_rid_of(sid).and_then(|r| {
                        PRIVILEGED_BUILTIN_RIDS
                            .iter()
                            .position(|(x, _)| *x == r)
                            .map(|i| (10 + i, true))
                            .or_else(|| {
                                PROTECTED_EXTRA_BUILTIN_RIDS
                                    .contains(&r)
                                    .then_some((91, false))
                            })
                    })
                })
                .or_else(|| {
                    // A collector without SIDs: fall back to the well-known names.
                    g.object_sid.is_none().then_some(())?;
                    let lower = name.to_ascii_lowercase();
                    PRIVILEGED_DOMAIN_RIDS
                        .iter()
                        .chain(PRIVILEGED_BUILTIN_RIDS)
                        .position(|(_, n)| n.eq_ignore_ascii_case(&lower))
                        .map(|i| (i, true))
                });
            if let Some((order, privileged)) = by_rid {
                roots.push((format!("{order:03}{}", dn_key(&g.dn)), name, privileged));
            }
        }
        roots.sort();
        for (ordered_key, root_name, privileged) in roots {
            let root = ordered_key[3..].to_string();
            let mut seen: HashSet<String> = HashSet::new();
            let mut queue: VecDeque<(String, Option<String>)> = VecDeque::new();
            queue.push_back((root.clone(), None));
            seen.insert(root.clone());
            let mut all = Vec::new();
            while let Some((node, via)) = queue.pop_front() {
                p.protected.insert(node.clone());
                if privileged {
                    let reason = match (&via, node == root) {
                        (_, true) => format!("is {root_name}"),
                        (Some(v), false) => format!("member of {root_name} via {v}"),
                        (None, false) => format!("member of {root_name}"),
                    };
                    p.privileged.entry(node.clone()).or_insert(reason);
                }
                if node != root {
                    all.push(node.clone());
                }
                for child in children.get(&node).map(Vec::as_slice).unwrap_or(&[]) {
                    if seen.insert(child.clone()) {
                        // The first nested group on the way names the path.
                        let next_via = if node == root {
                            None
                        } else {
                            via.clone()
                                .or_else(|| p.nodes.get(&node).map(|n| n.name.clone()))
                        };
                        queue.push_back((child.clone(), next_via));
                    }
                }
            }
            p.members_of_group.insert(root, all);
        }
        for u in dir.users.iter() {
            match u.rid() {
                Some(500) => {
                    p.privileged
                        .entry(dn_key(&u.dn))
                        .or_insert_with(|| "the built-in Administrator".to_string());
                    p.protected.insert(dn_key(&u.dn));
                }
                Some(502) => {
                    p.protected.insert(dn_key(&u.dn));
                }
                _ => {}
            }
        }
        for key in p.privileged.keys() {
            if let Some(s) = p.nodes.get(key).and_then(|n| n.sid.as_ref()) {
                p.privileged_sids.insert(s.to_ascii_uppercase());
            }
        }
        p
    }

    /// Why the object with this DN is privileged, if it is.
    pub fn privileged(&self, dn: &str) -> Option<&str> {
        self.privileged.get(&dn_key(dn)).map(String::as_str)
    }

    /// Whether SDProp would protect the object (so `adminCount=1` is expected on it).
    pub fn protected(&self, dn: &str) -> bool {
        self.protected.contains(&dn_key(dn))
    }

    pub fn privileged_sid(&self, sid: &str) -> bool {
        self.privileged_sids.contains(&sid.to_ascii_uppercase())
    }

    /// Whether rights held by this SID are expected (admins, DCs, SYSTEM, SELF, CREATOR OWNER).
    pub fn admin_trustee(&self, sid: &str) -> bool {
        let upper = sid.to_ascii_uppercase();
        if self.privileged_sids.contains(&upper) || ADMIN_TRUSTEE_WELL_KNOWN.contains(&&*upper) {
            return true;
        }
        if let Some(r) = builtin_rid_of(&upper) {
            return PRIVILEGED_BUILTIN_RIDS.iter().any(|(x, _)| *x == r);
        }
        domain_rid_of(&upper).is_some_and(|r| ADMIN_TRUSTEE_DOMAIN_RIDS.contains(&r))
    }

    /// The name of a SID known to the snapshot, else the SID itself.
    pub fn sid_name(&self, sid: &str) -> String {
        let upper = sid.to_ascii_uppercase();
        if let Some(n) = self.sid_names.get(&upper) {
            return n.clone();
        }
        let well_known = match upper.as_str() {
            "S-1-1-0" => "Everyone",
            "S-1-5-7" => "ANONYMOUS LOGON",
            "S-1-5-11" => "Authenticated Users",
            "S-1-5-32-545" => "Users",
            "S-1-5-32-546" => "Guests",
            "S-1-5-32-554" => "Pre-Windows 2000 Compatible Access",
            _ => match domain_rid_of(&upper) {
                Some(513) => "Domain Users",
                Some(514) => "Domain Guests",
                Some(515) => "Domain Computers",
                _ => return sid.to_string(),
            },
        };
        well_known.to_string()
    }

    /// The name of an object by DN, if it is a principal of the snapshot.
    pub fn dn_name(&self, dn: &str) -> Option<&str> {
        self.nodes.get(&dn_key(dn)).map(|n| n.name.as_str())
    }

    /// Transitive members (groups included) of a privileged or protected root group.
    pub fn transitive_members(&self, group_dn: &str) -> &[String] {
        self.members_of_group
            .get(&dn_key(group_dn))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// The SID of a principal's primary group: its own domain SID plus `primaryGroupID`.
fn primary_group_sid(p: &Principal) -> Option<String> {
    let sid = p.object_sid.as_deref()?;
    let (domain, _) = sid.rsplit_once('-')?;
    Some(format!("{}-{}", domain, p.primary_group_id?).to_ascii_uppercase())
}

/// Accounts that can log on: not disabled.
pub fn enabled(p: &Principal) -> bool {
    !p.user_account_control.disabled()
}

/// Heuristics for "this user is a service account": it has an SPN, is a managed service
/// account, sits in an OU or container named for service accounts, or is named so
/// (`svc_…`, `…_svc`, `sa_…`, `service…`). Directories mark service accounts no other way.
pub fn service_account_reason(p: &Principal) -> Option<String> {
    if !p.service_principal_names.is_empty() {
        return Some(format!("has SPN {}", p.service_principal_names[0]));
    }
    let name = p.sam_account_name.to_ascii_lowercase();
    if name.starts_with("svc")
        || name.ends_with("_svc")
        || name.ends_with("-svc")
        || name.starts_with("sa_")
        || name.starts_with("service")
    {
        return Some(format!(
            "named like a service account ({})",
            p.sam_account_name
        ));
    }
    let dn = p.dn.to_ascii_lowercase();
    if dn.contains("ou=service accounts") || dn.contains("cn=managed service accounts") {
        return Some("in a service-accounts container".to_string());
    }
    None
}

/// An account as an affected object.
pub fn affected(p: &Principal, why: impl Into<String>) -> super::Affected {
    super::Affected::new(display_name(&p.sam_account_name, &p.dn), Some(&p.dn), why)
}

/// Enabled user accounts (not computers; `users` may hold a computer a collector misfiled).
pub fn enabled_users(dir: &Directory) -> impl Iterator<Item = &Principal> {
    dir.users.iter().filter(|u| enabled(u) && !u.is_computer())
}

/// Runs a per-domain predicate over every domain that has the value: `None` from `judge`
/// means "not known for this domain"; not applicable when no domain knows it.
pub fn per_domain(
    dir: &Directory,
    missing: &str,
    judge: impl Fn(&crate::model::Domain) -> Option<Option<String>>,
) -> super::CheckResult {
    let mut known = 0;
    let mut out = Vec::new();
    for d in &dir.domains {
        if let Some(verdict) = judge(d) {
            known += 1;
            if let Some(why) = verdict {
                out.push(super::Affected::new(&d.dns_name, Some(&d.dn), why));
            }
        }
    }
    if known == 0 {
        return super::CheckResult::not_applicable(missing);
    }
    super::CheckResult::from_affected(out)
}

/// When the account was last seen alive: its last logon, for computers also the password
/// change machines make every 30 days; an account that never logged on counts from its
/// creation. `None` when the snapshot has none of these.
pub fn last_seen(p: &Principal) -> Option<chrono::DateTime<chrono::Utc>> {
    let machine_pwd = if p.is_computer() {
        p.pwd_last_set
    } else {
        None
    };
    match (p.last_logon_timestamp, machine_pwd) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (Some(a), None) | (None, Some(a)) => Some(a),
        (None, None) => p.when_created,
    }
}

impl Privilege {
    /// Whether the account is (transitively) in the domain's Protected Users group (RID 525).
    pub fn in_protected_users(&self, dir: &Directory, dn: &str) -> bool {
        let key = dn_key(dn);
        dir.groups.iter().filter(|g| g.rid() == Some(525)).any(|g| {
            let mut stack: Vec<String> = g.members.iter().map(|m| dn_key(m)).collect();
            let mut seen = HashSet::new();
            while let Some(m) = stack.pop() {
                if m == key {
                    return true;
                }
                if seen.insert(m.clone()) {
                    if let Some(sub) = dir.groups.iter().find(|x| dn_key(&x.dn) == m) {
                        stack.extend(sub.members.iter().map(|x| dn_key(x)));
                    }
                }
                if seen.len() > 100_000 {
                    break;
                }
            }
            false
        })
    }
}
