//! Directory entries (a DN and its attribute values, as LDIF and LDAP deliver them) and the
//! builder that turns them into the model, one entry at a time, so a collector never holds
//! more than the model and the entry in hand.

use crate::model::*;
use crate::sd;
use crate::time::{from_generalized, parse_ad_time, Interval};
use std::collections::HashMap;

/// One directory entry. Attribute names are kept lower-case and without options
/// (`member;range=0-1499` is `member`); values are bytes, since binary attributes
/// (`objectSid`, `nTSecurityDescriptor`) and text ones arrive the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    pub dn: String,
    pub attrs: Vec<(String, Vec<u8>)>,
}

impl Entry {
    pub fn new(dn: impl Into<String>) -> Entry {
        Entry {
            dn: dn.into(),
            attrs: Vec::new(),
        }
    }

    /// Adds a value; the name is normalised (lower-case, options dropped).
    pub fn push(&mut self, name: &str, value: Vec<u8>) {
        let base = name.split(';').next().unwrap_or(name).to_ascii_lowercase();
        self.attrs.push((base, value));
    }

    /// Every value of an attribute, in order.
    pub fn all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n> {
        self.attrs
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    pub fn first(&self, name: &str) -> Option<&[u8]> {
        self.all(name).next()
    }

    /// The first value as text (invalid UTF-8 replaced).
    pub fn text(&self, name: &str) -> Option<String> {
        self.first(name)
            .map(|v| String::from_utf8_lossy(v).trim().to_string())
    }

    pub fn texts(&self, name: &str) -> Vec<String> {
        self.all(name)
            .map(|v| String::from_utf8_lossy(v).trim().to_string())
            .collect()
    }

    pub fn number<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.text(name)?.parse().ok()
    }

    fn time(&self, name: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        parse_ad_time(&self.text(name)?)
    }

    fn interval(&self, name: &str) -> Option<Interval> {
        Interval::parse(&self.text(name)?)
    }

    /// A SID attribute: binary as AD stores it, or already `S-1-…` text (BloodHound, some
    /// exports).
    fn sid_values(&self, name: &str, warnings: &mut Vec<String>) -> Vec<String> {
        self.all(name)
            .filter_map(|v| {
                if v.starts_with(b"S-1-") {
                    return Some(String::from_utf8_lossy(v).into_owned());
                }
                match sd::parse_sid(v) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        warnings.push(format!("{}: {name}: {e}", self.dn));
                        None
                    }
                }
            })
            .collect()
    }

    fn guid(&self, name: &str) -> Option<String> {
        let v = self.first(name)?;
        sd::parse_guid(v).or_else(|| {
            let s = String::from_utf8_lossy(v);
            let s = s.trim().trim_matches(['{', '}']);
            (s.len() == 36).then(|| s.to_ascii_lowercase())
        })
    }

    fn descriptor(&self, name: &str, warnings: &mut Vec<String>) -> Option<sd::SecurityDescriptor> {
        let v = self.first(name)?;
        match sd::parse(v) {
            Ok(d) => Some(d),
            Err(e) => {
                warnings.push(format!("{}: {name}: {e}", self.dn));
                None
            }
        }
    }

    pub fn object_classes(&self) -> Vec<String> {
        self.all("objectclass")
            .map(|v| String::from_utf8_lossy(v).trim().to_ascii_lowercase())
            .collect()
    }
}

/// The LAPS password attributes whose schemaIDGUIDs decide ReadLAPSPassword.
const LAPS_ATTRIBUTES: &[&str] = &[
    "ms-mcs-admpwd",
    "mslaps-password",
    "mslaps-encryptedpassword",
];

/// Builds a [`Directory`] from entries.
#[derive(Debug, Default)]
pub struct Builder {
    dir: Directory,
    /// nCName (lower-case DN key) → NetBIOS name, from crossRef entries.
    netbios: HashMap<String, String>,
}

impl Builder {
    pub fn new() -> Builder {
        Builder {
            dir: Directory::new(),
            netbios: HashMap::new(),
        }
    }

    /// Records where the entries come from.
    pub fn source(&mut self, s: impl Into<String>) {
        self.dir.sources.push(s.into());
    }

    /// A problem of the input that did not stop collection.
    pub fn warn(&mut self, w: impl Into<String>) {
        self.dir.warnings.push(w.into());
    }

    /// Adds one entry to the model by its object classes; an entry of a class the model has
    /// no place for is kept as a [`Container`] if it has a descriptor, else dropped.
    pub fn add(&mut self, e: &Entry) {
        let classes = e.object_classes();
        let has = |c: &str| classes.iter().any(|x| x == c);
        let w = &mut self.dir.warnings;
        let domain = domain_of_dn(&e.dn);
        if has("domaindns") || (has("domain") && dn_is_naming_context(&e.dn)) {
            let policy = PasswordPolicy {
                min_pwd_length: e.number("minpwdlength"),
                min_pwd_age: e.interval("minpwdage"),
                max_pwd_age: e.interval("maxpwdage"),
                pwd_properties: e.number("pwdproperties"),
                pwd_history_length: e.number("pwdhistorylength"),
                lockout_threshold: e.number("lockoutthreshold"),
                lockout_duration: e.interval("lockoutduration"),
                lockout_observation_window: e.interval("lockoutobservationwindow"),
            };
            let d = Domain {
                dn: e.dn.clone(),
                dns_name: domain,
                netbios_name: None,
                sid: e.sid_values("objectsid", w).into_iter().next(),
                object_guid: e.guid("objectguid"),
                functional_level: e.number("msds-behavior-version"),
                policy,
                machine_account_quota: e.number("ms-ds-machineaccountquota"),
                krbtgt_pwd_last_set: None,
                gplinks: e
                    .text("gplink")
                    .map(|l| GpLink::parse_all(&l))
                    .unwrap_or_default(),
                when_created: e.text("whencreated").and_then(|t| from_generalized(&t)),
                security_descriptor: e.descriptor("ntsecuritydescriptor", w),
            };
            self.dir.domains.push(d);
        } else if has("computer") || has("user") || has("inetorgperson") {
            let allowed_to_act = e
                .descriptor("msds-allowedtoactonbehalfofotheridentity", w)
                .map(|s| {
                    s.dacl
                        .iter()
                        .flatten()
                        .filter(|a| a.is_allow())
                        .map(|a| a.trustee.clone())
                        .collect()
                })
                .unwrap_or_default();
            let p = Principal {
                domain,
                dn: e.dn.clone(),
                sam_account_name: e.text("samaccountname").unwrap_or_default(),
                object_sid: e.sid_values("objectsid", w).into_iter().next(),
                object_guid: e.guid("objectguid"),
                user_account_control: Uac(e.number::<i64>("useraccountcontrol").unwrap_or(0) as u32),
                service_principal_names: e.texts("serviceprincipalname"),
                allowed_to_delegate_to: e.texts("msds-allowedtodelegateto"),
                allowed_to_act,
                supported_encryption_types: e
                    .number::<i64>("msds-supportedencryptiontypes")
                    .map(|v| v as u32),
                admin_count: e.number("admincount"),
                sid_history: e.sid_values("sidhistory", w),
                member_of: e.texts("memberof"),
                primary_group_id: e.number("primarygroupid"),
                pwd_last_set: e.time("pwdlastset"),
                last_logon_timestamp: e.time("lastlogontimestamp"),
                when_created: e.text("whencreated").and_then(|t| from_generalized(&t)),
                description: e.text("description"),
                user_principal_name: e.text("userprincipalname"),
                dns_host_name: e.text("dnshostname"),
                operating_system: e.text("operatingsystem"),
                laps_legacy_expiration: e.time("ms-mcs-admpwdexpirationtime"),
                laps_expiration: e.time("mslaps-passwordexpirationtime"),
                laps_enabled: None,
                security_descriptor: e.descriptor("ntsecuritydescriptor", w),
            };
            if has("computer") {
                self.dir.computers.push(p);
            } else {
                self.dir.users.push(p);
            }
        } else if has("group") {
            self.dir.groups.push(Group {
                domain,
                dn: e.dn.clone(),
                sam_account_name: e.text("samaccountname").unwrap_or_default(),
                object_sid: e.sid_values("objectsid", w).into_iter().next(),
                object_guid: e.guid("objectguid"),
                group_type: e.number("grouptype"),
                members: e.texts("member"),
                member_of: e.texts("memberof"),
                admin_count: e.number("admincount"),
                sid_history: e.sid_values("sidhistory", w),
                description: e.text("description"),
                when_created: e.text("whencreated").and_then(|t| from_generalized(&t)),
                security_descriptor: e.descriptor("ntsecuritydescriptor", w),
            });
        } else if has("organizationalunit") {
            self.dir.ous.push(Ou {
                domain,
                dn: e.dn.clone(),
                name: e.text("ou").or_else(|| e.text("name")).unwrap_or_default(),
                object_guid: e.guid("objectguid"),
                gplinks: e
                    .text("gplink")
                    .map(|l| GpLink::parse_all(&l))
                    .unwrap_or_default(),
                block_inheritance: e.number::<u32>("gpoptions").is_some_and(|o| o & 1 != 0),
                description: e.text("description"),
                when_created: e.text("whencreated").and_then(|t| from_generalized(&t)),
                security_descriptor: e.descriptor("ntsecuritydescriptor", w),
            });
        } else if has("grouppolicycontainer") {
            self.dir.gpos.push(Gpo {
                domain,
                dn: e.dn.clone(),
                name: e
                    .text("displayname")
                    .or_else(|| e.text("cn"))
                    .unwrap_or_default(),
                object_guid: e.guid("objectguid"),
                file_sys_path: e.text("gpcfilesyspath"),
                when_created: e.text("whencreated").and_then(|t| from_generalized(&t)),
                security_descriptor: e.descriptor("ntsecuritydescriptor", w),
            });
        } else if has("trusteddomain") {
            self.dir.trusts.push(Trust {
                domain,
                dn: e.dn.clone(),
                partner: e
                    .text("trustpartner")
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                flat_name: e.text("flatname"),
                partner_sid: e.sid_values("securityidentifier", w).into_iter().next(),
                direction: e.number("trustdirection"),
                trust_type: e.number("trusttype"),
                trust_attributes: e.number::<i64>("trustattributes").map(|v| v as u32),
            });
        } else if has("pkicertificatetemplate") {
            self.dir.cert_templates.push(CertTemplate {
                domain,
                dn: e.dn.clone(),
                name: e.text("cn").or_else(|| e.text("name")).unwrap_or_default(),
                display_name: e.text("displayname"),
                object_guid: e.guid("objectguid"),
                schema_version: e.number("mspki-template-schema-version"),
                certificate_name_flag: e
                    .number::<i64>("mspki-certificate-name-flag")
                    .map(|v| v as u32),
                enrollment_flag: e.number::<i64>("mspki-enrollment-flag").map(|v| v as u32),
                ra_signature: e.number("mspki-ra-signature"),
                extended_key_usage: e.texts("pkiextendedkeyusage"),
                application_policies: e.texts("mspki-certificate-application-policy"),
                security_descriptor: e.descriptor("ntsecuritydescriptor", w),
            });
        } else if has("pkienrollmentservice") {
            self.dir.enrollment_services.push(EnrollmentService {
                domain,
                dn: e.dn.clone(),
                name: e.text("cn").or_else(|| e.text("name")).unwrap_or_default(),
                dns_host_name: e.text("dnshostname"),
                certificate_templates: e.texts("certificatetemplates"),
                security_descriptor: e.descriptor("ntsecuritydescriptor", w),
            });
        } else if has("attributeschema") {
            let name = e
                .text("ldapdisplayname")
                .unwrap_or_default()
                .to_ascii_lowercase();
            if LAPS_ATTRIBUTES.contains(&name.as_str()) {
                if let Some(g) = e.guid("schemaidguid") {
                    self.dir.laps_attribute_guids.push(g);
                }
            }
        } else if has("crossref") {
            if let (Some(nc), Some(nb)) = (e.text("ncname"), e.text("netbiosname")) {
                self.netbios.insert(dn_key(&nc), nb);
            }
        } else if e.first("ntsecuritydescriptor").is_some() {
            self.dir.containers.push(Container {
                domain,
                dn: e.dn.clone(),
                name: e
                    .text("cn")
                    .or_else(|| e.text("name"))
                    .unwrap_or_else(|| first_rdn_value(&e.dn)),
                object_classes: classes.clone(),
                object_guid: e.guid("objectguid"),
                security_descriptor: e.descriptor("ntsecuritydescriptor", w),
            });
        }
    }

    /// Completes what only the whole snapshot tells: membership in both directions (LDIF
    /// and BloodHound may carry only one side), krbtgt's `pwdLastSet` on its domain, NetBIOS
    /// names from crossRefs.
    pub fn finish(mut self) -> Directory {
        let d = &mut self.dir;
        reconcile_membership(d);
        for dom in &mut d.domains {
            if dom.netbios_name.is_none() {
                dom.netbios_name = self.netbios.get(&dn_key(&dom.dn)).cloned();
            }
            if dom.krbtgt_pwd_last_set.is_none() {
                dom.krbtgt_pwd_last_set = d
                    .users
                    .iter()
                    .find(|u| {
                        u.domain == dom.dns_name
                            && (u.rid() == Some(502)
                                || u.sam_account_name.eq_ignore_ascii_case("krbtgt"))
                    })
                    .and_then(|u| u.pwd_last_set);
            }
        }
        d.laps_attribute_guids.sort();
        d.laps_attribute_guids.dedup();
        d.collected_at.get_or_insert_with(chrono::Utc::now);
        self.dir
    }
}

/// Whether a DN is made of `DC=` components only (a domain naming context).
fn dn_is_naming_context(dn: &str) -> bool {
    let rdns = split_dn(dn);
    !rdns.is_empty()
        && rdns.iter().all(|r| {
            r.split_once('=')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("dc"))
        })
}

fn first_rdn_value(dn: &str) -> String {
    split_dn(dn)
        .first()
        .and_then(|r| r.split_once('='))
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

/// Fills `member` from `memberOf` and the other way round. Linear in the memberships (a
/// group of 100,000 members must not cost 100,000² comparisons).
pub fn reconcile_membership(d: &mut Directory) {
    use std::collections::HashSet;
    let mut group_idx: HashMap<String, usize> = HashMap::new();
    for (i, g) in d.groups.iter().enumerate() {
        group_idx.insert(dn_key(&g.dn), i);
    }
    // Every (group, member) pair known from either side, by DN key.
    let mut pairs: HashSet<(usize, String)> = HashSet::new();
    for (i, g) in d.groups.iter().enumerate() {
        for m in &g.members {
            pairs.insert((i, dn_key(m)));
        }
    }
    let mut new_members: Vec<(usize, String)> = Vec::new();
    let all_member_of = d
        .users
        .iter()
        .chain(d.computers.iter())
        .map(|p| (&p.dn, &p.member_of))
        .chain(d.groups.iter().map(|g| (&g.dn, &g.member_of)));
    for (dn, member_of) in all_member_of {
        let k = dn_key(dn);
        for g in member_of {
            if let Some(&i) = group_idx.get(&dn_key(g)) {
                if pairs.insert((i, k.clone())) {
                    new_members.push((i, dn.clone()));
                }
            }
        }
    }
    for (i, dn) in new_members {
        if let Some(g) = d.groups.get_mut(i) {
            g.members.push(dn);
        }
    }
    // group.members → member_of, skipping what member_of already names.
    let mut member_of: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, g) in d.groups.iter().enumerate() {
        for m in &g.members {
            member_of.entry(dn_key(m)).or_default().push(i);
        }
    }
    let group_dns: Vec<String> = d.groups.iter().map(|g| g.dn.clone()).collect();
    let fill = |dn: &str, list: &mut Vec<String>| {
        if let Some(gs) = member_of.get(&dn_key(dn)) {
            let have: HashSet<String> = list.iter().map(|x| dn_key(x)).collect();
            for &i in gs {
                if let Some(g) = group_dns.get(i) {
                    if !have.contains(&dn_key(g)) {
                        list.push(g.clone());
                    }
                }
            }
        }
    };
    for p in d.users.iter_mut().chain(d.computers.iter_mut()) {
        fill(&p.dn.clone(), &mut p.member_of);
    }
    for g in d.groups.iter_mut() {
        fill(&g.dn.clone(), &mut g.member_of);
    }
}
