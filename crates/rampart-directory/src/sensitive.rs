//! Which entities of the directory are sensitive: built-in privileged groups and everything
//! nested in them (transitively, primary groups counted, cycles safe), domain controllers,
//! accounts flagged `adminCount=1`, and what the operator names (sensitive accounts and groups,
//! honeytokens). The same facts feed the detectors' entity configuration
//! ([`SensitiveSet::entity_facts`]) so that a scan with a snapshot knows the domain's tier 0.

use crate::model::{dn_key, rid, Directory};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// Domain-relative RIDs of groups whose members control the domain or its DCs.
pub const PRIVILEGED_DOMAIN_RIDS: &[(u32, &str)] = &[
    (498, "Enterprise Read-only Domain Controllers"),
    (512, "Domain Admins"),
    (516, "Domain Controllers"),
    (518, "Schema Admins"),
    (519, "Enterprise Admins"),
    (520, "Group Policy Creator Owners"),
    (521, "Read-only Domain Controllers"),
    (526, "Key Admins"),
    (527, "Enterprise Key Admins"),
];

/// Built-in aliases (`S-1-5-32-…`) whose members control DCs.
pub const PRIVILEGED_BUILTIN_RIDS: &[(u32, &str)] = &[
    (544, "Administrators"),
    (548, "Account Operators"),
    (549, "Server Operators"),
    (550, "Print Operators"),
    (551, "Backup Operators"),
];

/// Privileged groups without a fixed RID, by sAMAccountName. DnsAdmins can load a DLL into
/// the DNS service on DCs. Cert Publishers (517) is left out: it publishes certificates to user
/// objects and the NTAuth store is not writable to it, so it is no path to domain control.
pub const PRIVILEGED_GROUP_NAMES: &[&str] = &["DnsAdmins"];

/// What the operator adds (the same lists as the detectors' `[entities]` configuration).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SensitiveConfig {
    /// sAMAccountNames (`name` or `DOMAIN\name`), SIDs or DNs.
    pub sensitive_accounts: Vec<String>,
    pub sensitive_groups: Vec<String>,
    pub honeytokens: Vec<String>,
}

/// Why an entity is sensitive.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "via")]
pub enum Reason {
    /// A built-in privileged group (by RID or name).
    PrivilegedGroup,
    /// A (transitive) member of a sensitive group: the group's DN.
    MemberOf(String),
    /// The built-in Administrator (500) or krbtgt (502).
    BuiltinAccount,
    DomainController,
    /// `adminCount=1` without any other reason: once protected, perhaps no longer (a stale
    /// flag is a posture finding, and a decoy often carries one).
    AdminCount,
    Configured,
    Honeytoken,
}

/// The sensitive entities of a snapshot, by DN key (`dn_key`), with their reasons.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SensitiveSet {
    pub groups: BTreeMap<String, BTreeSet<Reason>>,
    pub accounts: BTreeMap<String, BTreeSet<Reason>>,
    pub domain_controllers: BTreeSet<String>,
    pub honeytokens: BTreeSet<String>,
}

/// The detectors' entity lists (`[entities]` of the detection configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityFacts {
    pub sensitive_accounts: Vec<String>,
    pub sensitive_groups: Vec<String>,
    pub honeytokens: Vec<String>,
    pub domain_controllers: Vec<String>,
}

fn matches_configured(list: &[String], sam: &str, sid: Option<&str>, dn: &str) -> bool {
    list.iter().any(|c| {
        let c = c.trim();
        let short = c.rsplit('\\').next().unwrap_or(c);
        short.eq_ignore_ascii_case(sam)
            || sid.is_some_and(|s| s.eq_ignore_ascii_case(c))
            || dn_key(c) == dn_key(dn)
    })
}

impl SensitiveSet {
    pub fn compute(d: &Directory, cfg: &SensitiveConfig) -> SensitiveSet {
        let mut s = SensitiveSet::default();
        // Seed groups.
        for g in &d.groups {
            let sid = g.object_sid.as_deref();
            let r = g.rid();
            let builtin = sid.is_some_and(|s| {
                s.starts_with("S-1-5-32-")
                    && r.is_some_and(|r| PRIVILEGED_BUILTIN_RIDS.iter().any(|(x, _)| *x == r))
            });
            let domain = sid.is_some_and(|s| {
                s.starts_with("S-1-5-21-")
                    && r.is_some_and(|r| PRIVILEGED_DOMAIN_RIDS.iter().any(|(x, _)| *x == r))
            });
            let named = PRIVILEGED_GROUP_NAMES
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&g.sam_account_name));
            let key = dn_key(&g.dn);
            if builtin || domain || named {
                s.groups
                    .entry(key.clone())
                    .or_default()
                    .insert(Reason::PrivilegedGroup);
            }
            if matches_configured(&cfg.sensitive_groups, &g.sam_account_name, sid, &g.dn) {
                s.groups.entry(key).or_default().insert(Reason::Configured);
            }
        }
        // Membership, downward from every seed group, breadth-first; a visited set per seed
        // makes cycles harmless.
        let mut group_by_key: HashMap<String, usize> = HashMap::new();
        for (i, g) in d.groups.iter().enumerate() {
            group_by_key.insert(dn_key(&g.dn), i);
        }
        // Primary-group members: (domain SID, RID) → principal DNs.
        let mut primary: HashMap<(String, u32), Vec<&str>> = HashMap::new();
        for p in d.users.iter().chain(d.computers.iter()) {
            if let (Some(sid), Some(pg)) = (p.object_sid.as_deref(), p.primary_group_id) {
                if let Some((dom, _)) = sid.rsplit_once('-') {
                    primary
                        .entry((dom.to_string(), pg))
                        .or_default()
                        .push(&p.dn);
                }
            }
        }
        let seeds: Vec<String> = s.groups.keys().cloned().collect();
        let mut member_reasons: Vec<(String, String)> = Vec::new();
        for seed in seeds {
            let Some(&gi) = group_by_key.get(&seed) else {
                continue;
            };
            let seed_dn = d.groups[gi].dn.clone();
            let mut seen: BTreeSet<String> = BTreeSet::from([seed.clone()]);
            let mut queue = VecDeque::from([gi]);
            while let Some(i) = queue.pop_front() {
                let g = &d.groups[i];
                let mut members: Vec<&str> = g.members.iter().map(String::as_str).collect();
                if let (Some(sid), Some(r)) = (g.object_sid.as_deref(), g.rid()) {
                    if let Some((dom, _)) = sid.rsplit_once('-') {
                        if let Some(ps) = primary.get(&(dom.to_string(), r)) {
                            members.extend(ps.iter().copied());
                        }
                    }
                }
                for m in members {
                    let k = dn_key(m);
                    if !seen.insert(k.clone()) {
                        continue;
                    }
                    member_reasons.push((k.clone(), seed_dn.clone()));
                    if let Some(&j) = group_by_key.get(&k) {
                        queue.push_back(j);
                    }
                }
            }
        }
        for (k, via) in member_reasons {
            let reason = Reason::MemberOf(via);
            if group_by_key.contains_key(&k) {
                s.groups.entry(k).or_default().insert(reason);
            } else {
                s.accounts.entry(k).or_default().insert(reason);
            }
        }
        for p in d.users.iter().chain(d.computers.iter()) {
            let key = dn_key(&p.dn);
            let sid = p.object_sid.as_deref();
            if matches!(sid.and_then(rid), Some(500 | 502))
                && sid.is_some_and(|s| s.starts_with("S-1-5-21-"))
            {
                s.accounts
                    .entry(key.clone())
                    .or_default()
                    .insert(Reason::BuiltinAccount);
            }
            if p.is_domain_controller() {
                s.accounts
                    .entry(key.clone())
                    .or_default()
                    .insert(Reason::DomainController);
            }
            if matches_configured(&cfg.sensitive_accounts, &p.sam_account_name, sid, &p.dn) {
                s.accounts
                    .entry(key.clone())
                    .or_default()
                    .insert(Reason::Configured);
            }
            if matches_configured(&cfg.honeytokens, &p.sam_account_name, sid, &p.dn) {
                s.accounts
                    .entry(key.clone())
                    .or_default()
                    .insert(Reason::Honeytoken);
                s.honeytokens.insert(key.clone());
            }
            if p.admin_count == Some(1) && !s.accounts.contains_key(&key) {
                s.accounts
                    .entry(key.clone())
                    .or_default()
                    .insert(Reason::AdminCount);
            }
        }
        // Members of the DC groups are DCs too (an RODC's primary group is 521).
        for (k, reasons) in &s.accounts {
            let dc_group = reasons.iter().any(|r| match r {
                Reason::MemberOf(g) => d
                    .groups
                    .iter()
                    .find(|x| dn_key(&x.dn) == dn_key(g))
                    .and_then(|x| x.rid())
                    .is_some_and(|r| matches!(r, 516 | 521)),
                Reason::DomainController => true,
                _ => false,
            });
            if dc_group {
                s.domain_controllers.insert(k.clone());
            }
        }
        s
    }

    pub fn is_sensitive(&self, dn: &str) -> bool {
        let k = dn_key(dn);
        self.groups.contains_key(&k) || self.accounts.contains_key(&k)
    }

    /// The detectors' entity lists: accounts and groups by sAMAccountName (the name events
    /// carry), honeytokens by name, SID, objectGUID and DN (directory reads name objects by
    /// GUID or DN), DCs by host name and FQDN.
    pub fn entity_facts(&self, d: &Directory) -> EntityFacts {
        let mut f = EntityFacts::default();
        for p in d.users.iter().chain(d.computers.iter()) {
            let k = dn_key(&p.dn);
            if self.accounts.contains_key(&k) && !p.sam_account_name.is_empty() {
                f.sensitive_accounts.push(p.sam_account_name.clone());
            }
            if self.honeytokens.contains(&k) {
                f.honeytokens.push(p.sam_account_name.clone());
                f.honeytokens.extend(p.object_sid.iter().cloned());
                f.honeytokens.extend(p.object_guid.iter().cloned());
                f.honeytokens.push(p.dn.clone());
            }
            if self.domain_controllers.contains(&k) {
                f.domain_controllers
                    .push(p.sam_account_name.trim_end_matches('$').to_string());
                f.domain_controllers.extend(p.dns_host_name.iter().cloned());
            }
        }
        for g in &d.groups {
            if self.groups.contains_key(&dn_key(&g.dn)) && !g.sam_account_name.is_empty() {
                f.sensitive_groups.push(g.sam_account_name.clone());
            }
        }
        for v in [
            &mut f.sensitive_accounts,
            &mut f.sensitive_groups,
            &mut f.honeytokens,
            &mut f.domain_controllers,
        ] {
            v.sort_by_key(|s| s.to_ascii_lowercase());
            v.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        }
        f
    }
}

impl Directory {
    /// The detectors' entity lists for this snapshot (see [`SensitiveSet::entity_facts`]).
    pub fn entity_facts(&self, cfg: &SensitiveConfig) -> EntityFacts {
        SensitiveSet::compute(self, cfg).entity_facts(self)
    }
}
