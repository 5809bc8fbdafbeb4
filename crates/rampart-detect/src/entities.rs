//! What the engine knows about the domain's entities: which accounts and groups are sensitive,
//! which are honeytokens, which machines are domain controllers.
//!
//! Knowledge comes from configuration (and, later, from a directory snapshot), and is learned
//! from the event stream: a machine that logs KDC or directory-service events is a DC; an account
//! added to a privileged group becomes sensitive.

use rampart_core::wellknown::{self, ADMINISTRATOR_RID, KRBTGT_RID};
use rampart_core::{Account, DirObject, EventKind, Host, IdentityEvent};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::net::IpAddr;

/// Entity facts supplied by the operator (a config file, later the directory).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EntityConfig {
    /// Extra sensitive accounts (sAMAccountName), beyond the built-in privileged ones.
    pub sensitive_accounts: Vec<String>,
    /// Extra sensitive groups, beyond the built-in privileged groups.
    pub sensitive_groups: Vec<String>,
    /// Decoy accounts: any use of them is an attack. Each entry names a decoy by
    /// sAMAccountName (`DOMAIN\name` or `name`; authentications and tickets name accounts so),
    /// by SID (SAM handles), or by objectGUID or distinguished name (directory reads, which name
    /// the object, often only by its GUID).
    pub honeytokens: Vec<String>,
    /// Domain controllers by name (short or FQDN) or address, beyond those learned from events.
    pub domain_controllers: Vec<String>,
}

/// Windows events that only a domain controller writes: KDC and directory-service auditing.
const DC_ONLY_EVENT_IDS: &[u32] = &[4768, 4769, 4771, 4662, 5136, 5137, 5139, 5141, 4928, 4929];

/// Bound on learned names, so a hostile stream cannot grow the sets without limit.
const MAX_LEARNED: usize = 100_000;

#[derive(Debug, Default)]
pub struct Entities {
    sensitive_accounts: HashSet<String>,
    sensitive_groups: HashSet<String>,
    honeytokens: HashSet<String>,
    /// The honeytoken entries as identifiers (SID, GUID without braces, DN), lower-case.
    honeytoken_ids: HashSet<String>,
    dc_names: HashSet<String>,
    dc_ips: HashSet<IpAddr>,
}

impl Entities {
    pub fn new(config: &EntityConfig) -> Entities {
        let lower = |v: &Vec<String>| -> HashSet<String> {
            v.iter().map(|s| short(s).to_ascii_lowercase()).collect()
        };
        let mut e = Entities {
            sensitive_accounts: lower(&config.sensitive_accounts),
            sensitive_groups: lower(&config.sensitive_groups),
            honeytokens: lower(&config.honeytokens),
            honeytoken_ids: config.honeytokens.iter().map(|s| ident(s)).collect(),
            ..Entities::default()
        };
        for dc in &config.domain_controllers {
            match dc.parse::<IpAddr>() {
                Ok(ip) => {
                    e.dc_ips.insert(ip);
                }
                Err(_) => {
                    e.dc_names.insert(host_short(dc));
                }
            }
        }
        e
    }

    /// Learns from one event. Called by the engine before the detectors see the event.
    ///
    /// The observer is a DC when the event is one only a DC writes (4768, 4769, 4771, 4662,
    /// 5136, …), or when it is a Kerberos AS or TGS exchange taken from a log (an event carrying
    /// an event id, not a capture): only the KDC that answered logs the exchange, whatever the
    /// log's own ids (Samba's KDC writes its AS exchanges as 4624/4625 authentication records).
    pub fn observe(&mut self, ev: &IdentityEvent) {
        if let (Some(id), Some(observer)) = (ev.evidence.event_id, &ev.observer) {
            let kdc_log = matches!(
                ev.kind,
                EventKind::KerberosTgtRequest { .. } | EventKind::KerberosServiceTicket { .. }
            );
            if (kdc_log || DC_ONLY_EVENT_IDS.contains(&id)) && self.dc_names.len() < MAX_LEARNED {
                self.dc_names.insert(host_short(observer));
            }
        }
        if ev.is_captured() && self.dc_ips.len() < MAX_LEARNED {
            // On the wire, the server that answers Kerberos or replication requests is a DC.
            let dc_service = match &ev.kind {
                EventKind::KerberosTgtRequest { wire: Some(w), .. }
                | EventKind::KerberosServiceTicket { wire: Some(w), .. } => w.answered,
                EventKind::RpcCall { interface, .. } => interface == "drsuapi",
                _ => false,
            };
            if dc_service {
                if let Some(ip) = ev
                    .observer
                    .as_deref()
                    .and_then(|o| o.parse::<IpAddr>().ok())
                {
                    self.dc_ips.insert(ip);
                }
            }
        }
        if let EventKind::GroupMembershipChange {
            member: Some(member),
            added: true,
            ..
        } = &ev.kind
        {
            if let Some(group) = &ev.target {
                if self.is_privileged_group(group) && self.sensitive_accounts.len() < MAX_LEARNED {
                    self.sensitive_accounts.insert(member.key());
                }
            }
        }
    }

    /// A domain controller's machine account (`DC01$`), by what is known of DCs.
    pub fn is_dc_account(&self, a: &Account) -> bool {
        a.is_machine() && self.dc_names.contains(a.key_ref().trim_end_matches('$'))
    }

    pub fn is_dc_host(&self, h: &Host) -> bool {
        h.ip.is_some_and(|ip| self.dc_ips.contains(&ip))
            || h.short_name().is_some_and(|n| self.dc_names.contains(&n))
    }

    /// Whether the machine that wrote an event is a known DC.
    pub fn observer_is_dc(&self, ev: &IdentityEvent) -> bool {
        match ev.observer.as_deref().map(str::parse::<IpAddr>) {
            Some(Ok(ip)) => self.dc_ips.contains(&ip),
            _ => ev
                .observer_short()
                .is_some_and(|o| self.dc_names.contains(&o)),
        }
    }

    /// Built-in administrator and krbtgt, configured accounts, and members added to privileged
    /// groups during the stream.
    pub fn is_sensitive_account(&self, a: &Account) -> bool {
        matches!(a.rid(), Some(ADMINISTRATOR_RID) | Some(KRBTGT_RID))
            || a.name.eq_ignore_ascii_case("administrator")
            || a.name.eq_ignore_ascii_case("krbtgt")
            || self.sensitive_accounts.contains(a.key_ref().as_ref())
            || self.is_dc_account(a)
            || self.is_honeytoken(a)
    }

    /// Built-in privileged groups (by RID or well-known name) and configured ones.
    pub fn is_privileged_group(&self, g: &Account) -> bool {
        wellknown::is_privileged_group(Some(&g.name), g.sid.as_deref())
            || self.sensitive_groups.contains(&g.key())
    }

    /// A configured decoy account, by name or SID.
    pub fn is_honeytoken(&self, a: &Account) -> bool {
        !self.honeytokens.is_empty()
            && (self.honeytokens.contains(a.key_ref().as_ref())
                || a.sid
                    .as_deref()
                    .is_some_and(|s| self.honeytoken_ids.contains(&ident(s))))
    }

    /// A directory object that is a configured decoy, by objectGUID, SID-like name or DN.
    pub fn is_honeytoken_object(&self, o: &DirObject) -> bool {
        if self.honeytoken_ids.is_empty() {
            return false;
        }
        o.guid
            .as_deref()
            .into_iter()
            .chain(o.dn.as_deref())
            .any(|id| self.honeytoken_ids.contains(&ident(id)))
    }

    /// Known DCs (learned and configured), lower-case short names.
    pub fn domain_controllers(&self) -> impl Iterator<Item = &str> {
        self.dc_names.iter().map(String::as_str)
    }
}

/// An identifier as configured or as events write it, comparable: trimmed, lower-case, a GUID
/// without `%{…}`/`{…}`.
fn ident(s: &str) -> String {
    s.trim()
        .trim_start_matches('%')
        .trim_start_matches('{')
        .trim_end_matches('}')
        .to_ascii_lowercase()
}

fn short(s: &str) -> &str {
    s.rsplit('\\').next().unwrap_or(s)
}

fn host_short(s: &str) -> String {
    let s = s.trim().trim_start_matches('\\');
    s.split('.')
        .next()
        .unwrap_or(s)
        .trim_end_matches('$')
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{ev, observed_by};

    #[test]
    fn honeytokens_match_by_name_sid_guid_or_dn() {
        let e = Entities::new(&EntityConfig {
            honeytokens: vec![
                "CORP\\svc_backup_old".into(),
                "S-1-5-21-1-2-3-4242".into(),
                "{259162F1-58E4-4EE9-9B9C-2BAF2A03D376}".into(),
                "CN=Decoy Admin,OU=Staff,DC=corp,DC=local".into(),
            ],
            ..EntityConfig::default()
        });
        assert!(e.is_honeytoken(&Account::new("SVC_BACKUP_OLD", Some("corp"))));
        assert!(
            e.is_honeytoken(&Account::new("renamed", None).with_sid(Some("S-1-5-21-1-2-3-4242")))
        );
        assert!(
            !e.is_honeytoken(&Account::new("alice", None).with_sid(Some("S-1-5-21-1-2-3-1105")))
        );
        let by_guid = DirObject {
            dn: Some("%{259162f1-58e4-4ee9-9b9c-2baf2a03d376}".into()),
            class: Some("user".into()),
            guid: Some("259162f1-58e4-4ee9-9b9c-2baf2a03d376".into()),
        };
        assert!(e.is_honeytoken_object(&by_guid));
        let by_dn = DirObject {
            dn: Some("cn=decoy admin,ou=staff,dc=corp,dc=local".into()),
            ..DirObject::default()
        };
        assert!(e.is_honeytoken_object(&by_dn));
        assert!(!e.is_honeytoken_object(&DirObject {
            dn: Some("CN=Alice,OU=Staff,DC=corp,DC=local".into()),
            ..DirObject::default()
        }));
        // With nothing configured, nothing is a honeytoken.
        let none = Entities::new(&EntityConfig::default());
        assert!(!none.is_honeytoken(&Account::new("svc_backup_old", None)));
        assert!(!none.is_honeytoken_object(&by_guid));
    }

    fn tgt() -> EventKind {
        EventKind::KerberosTgtRequest {
            status: 0x18,
            preauth_type: Some(2),
            ticket_etype: None,
            ticket_options: None,
            wire: None,
        }
    }

    #[test]
    fn kdc_logs_make_their_observer_a_dc() {
        let mut e = Entities::default();
        // A Samba KDC record: an AS exchange logged as 4625 by DC1.
        e.observe(&observed_by(ev(0, 4625, tgt()), "DC1"));
        // A workstation's failed logon is not DC evidence.
        e.observe(&observed_by(
            ev(
                1,
                4625,
                EventKind::LogonFailure {
                    logon_type: 3,
                    status: 0xC000_006D,
                    sub_status: 0xC000_006A,
                    auth_package: None,
                    process: None,
                },
            ),
            "WS01.corp.local",
        ));
        // A captured AS exchange (no event id) is recorded by a sensor, not a KDC.
        let mut captured = observed_by(ev(2, 0, tgt()), "sensor01");
        captured.evidence.event_id = None;
        e.observe(&captured);
        let dcs: Vec<&str> = e.domain_controllers().collect();
        assert_eq!(dcs, ["dc1"]);
        assert!(e.is_dc_account(&Account::new("DC1$", None)));
    }
}
