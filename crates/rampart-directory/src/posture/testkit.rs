//! Small directories for the checks' unit tests: a domain `corp.test` with its built-in groups,
//! Administrator and krbtgt, to which a test adds what it is about.

use super::{Check, CheckResult, PostureContext, Status};
use crate::model::{Directory, Domain, Group, PasswordPolicy, Principal, Uac};
use crate::sd::{ace_type, Ace, SecurityDescriptor};
use crate::time::Interval;
use chrono::{DateTime, Duration, TimeZone, Utc};

pub const DOMAIN: &str = "corp.test";
pub const BASE: &str = "DC=corp,DC=test";
pub const DOM_SID: &str = "S-1-5-21-100-200-300";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

pub fn days_ago(d: i64) -> Option<DateTime<Utc>> {
    Some(now() - Duration::days(d))
}

pub fn cx() -> PostureContext {
    PostureContext::new(now())
}

pub fn dn(name: &str) -> String {
    format!("CN={name},CN=Users,{BASE}")
}

/// A healthy domain: Microsoft's recommended policy, quota 0, level 2016.
pub fn dir() -> Directory {
    let mut d = Directory::new();
    d.collected_at = Some(now());
    d.domains.push(Domain {
        dn: BASE.into(),
        dns_name: DOMAIN.into(),
        netbios_name: Some("CORP".into()),
        sid: Some(DOM_SID.into()),
        functional_level: Some(7),
        machine_account_quota: Some(0),
        krbtgt_pwd_last_set: days_ago(30),
        policy: PasswordPolicy {
            min_pwd_length: Some(14),
            min_pwd_age: Some(Interval::Seconds(86_400)),
            max_pwd_age: Some(Interval::Seconds(365 * 86_400)),
            pwd_properties: Some(1),
            pwd_history_length: Some(24),
            lockout_threshold: Some(10),
            lockout_duration: Some(Interval::Seconds(86_400)),
            lockout_observation_window: Some(Interval::Seconds(86_400)),
        },
        ..Domain::default()
    });
    for (name, sid) in [
        ("Domain Admins", format!("{DOM_SID}-512")),
        ("Enterprise Admins", format!("{DOM_SID}-519")),
        ("Domain Users", format!("{DOM_SID}-513")),
        ("Domain Computers", format!("{DOM_SID}-515")),
        ("Domain Controllers", format!("{DOM_SID}-516")),
        ("Protected Users", format!("{DOM_SID}-525")),
        ("Administrators", "S-1-5-32-544".to_string()),
        ("Backup Operators", "S-1-5-32-551".to_string()),
    ] {
        group(&mut d, name, &sid);
    }
    let admin = user(&mut d, "Administrator", 500, Uac::NORMAL_ACCOUNT);
    admin.admin_count = Some(1);
    admin.last_logon_timestamp = days_ago(1);
    admin.user_account_control.0 |= Uac::NOT_DELEGATED;
    add_member(&mut d, "Domain Admins", &dn("Administrator"));
    add_member(&mut d, "Protected Users", &dn("Administrator"));
    add_member(&mut d, "Administrators", &dn("Domain Admins"));
    let krbtgt = user(
        &mut d,
        "krbtgt",
        502,
        Uac::NORMAL_ACCOUNT | Uac::ACCOUNTDISABLE,
    );
    krbtgt.admin_count = Some(1);
    krbtgt.service_principal_names = vec!["kadmin/changepw".into()];
    let dc = computer(
        &mut d,
        "DC1",
        1000,
        Uac::SERVER_TRUST_ACCOUNT | Uac::TRUSTED_FOR_DELEGATION,
    );
    dc.dn = format!("CN=DC1,OU=Domain Controllers,{BASE}");
    dc.primary_group_id = Some(516);
    dc.laps_expiration = None; // DCs have no local accounts for LAPS to manage
    dc.dns_host_name = Some("dc1.corp.test".into());
    dc.service_principal_names = vec![
        "ldap/dc1.corp.test".into(),
        "HOST/dc1.corp.test".into(),
        "HOST/DC1".into(),
    ];
    d
}

pub fn group<'a>(d: &'a mut Directory, name: &str, sid: &str) -> &'a mut Group {
    d.groups.push(Group {
        domain: DOMAIN.into(),
        dn: dn(name),
        sam_account_name: name.into(),
        object_sid: Some(sid.into()),
        ..Group::default()
    });
    d.groups.last_mut().unwrap()
}

/// A user created a year ago that logged on yesterday.
pub fn user<'a>(d: &'a mut Directory, name: &str, rid: u32, uac: u32) -> &'a mut Principal {
    d.users.push(Principal {
        domain: DOMAIN.into(),
        dn: dn(name),
        sam_account_name: name.into(),
        object_sid: Some(format!("{DOM_SID}-{rid}")),
        user_account_control: Uac(uac),
        primary_group_id: Some(513),
        when_created: days_ago(365),
        pwd_last_set: days_ago(30),
        last_logon_timestamp: days_ago(1),
        ..Principal::default()
    });
    d.users.last_mut().unwrap()
}

pub fn computer<'a>(d: &'a mut Directory, name: &str, rid: u32, uac: u32) -> &'a mut Principal {
    d.computers.push(Principal {
        domain: DOMAIN.into(),
        dn: format!("CN={name},CN=Computers,{BASE}"),
        sam_account_name: format!("{name}$"),
        object_sid: Some(format!("{DOM_SID}-{rid}")),
        user_account_control: Uac(uac),
        primary_group_id: Some(515),
        when_created: days_ago(365),
        pwd_last_set: days_ago(10),
        last_logon_timestamp: days_ago(1),
        laps_expiration: days_ago(-10),
        ..Principal::default()
    });
    d.computers.last_mut().unwrap()
}

/// Adds `member_dn` to the group named `group` (both sides, as AD shows them).
pub fn add_member(d: &mut Directory, group: &str, member_dn: &str) {
    let gdn = dn(group);
    if let Some(g) = d.groups.iter_mut().find(|g| g.sam_account_name == group) {
        g.members.push(member_dn.into());
    }
    for p in d.users.iter_mut().chain(d.computers.iter_mut()) {
        if p.dn == member_dn {
            p.member_of.push(gdn.clone());
        }
    }
    for g in d.groups.iter_mut() {
        if g.dn == member_dn {
            g.member_of.push(gdn.clone());
        }
    }
}

pub fn allow(trustee: &str, mask: u32, object_type: Option<&str>) -> Ace {
    Ace {
        ace_type: if object_type.is_some() {
            ace_type::ACCESS_ALLOWED_OBJECT
        } else {
            ace_type::ACCESS_ALLOWED
        },
        flags: 0,
        mask,
        object_type: object_type.map(str::to_string),
        inherited_object_type: None,
        trustee: trustee.into(),
    }
}

pub fn sd(aces: Vec<Ace>) -> Option<SecurityDescriptor> {
    Some(SecurityDescriptor {
        control: 0x8004,
        owner: Some(format!("{DOM_SID}-512")),
        group: Some(format!("{DOM_SID}-512")),
        dacl: Some(aces),
        sacl: None,
        skipped_aces: 0,
    })
}

pub fn run(check: &dyn Check, d: &Directory) -> CheckResult {
    check.run(d, &cx())
}

/// The affected names of a failing result (panics on a pass, to make a test's intent plain).
pub fn failing(r: &CheckResult) -> Vec<String> {
    assert_eq!(r.status, Status::Fail, "expected a failure: {r:?}");
    r.affected.iter().map(|a| a.name.clone()).collect()
}

pub fn passes(r: &CheckResult) {
    assert_eq!(r.status, Status::Pass, "expected a pass: {r:?}");
}

pub fn not_applicable(r: &CheckResult) {
    assert_eq!(r.status, Status::NotApplicable, "expected n/a: {r:?}");
}
