//! Collection over LDAP from the real lab DC (Samba AD DC on 127.0.0.2, started by
//! `../shared/lab/lab.sh up` and `populate`; left running for other tests). Fails loudly if the
//! lab cannot start: CI installs it.

mod common;

use common::*;
use rampart_directory::collect::{collect_ldap, LdapOptions, PasswordSource};
use rampart_directory::graph::AttackGraph;
use rampart_directory::sensitive::{Reason, SensitiveConfig, SensitiveSet};
use rampart_directory::{dn_key, Directory};
use std::collections::BTreeMap;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Starts (or finds running) and populates the lab, one test process at a time: `up` and
/// `populate` are idempotent but not safe to run concurrently.
fn lab() -> BTreeMap<String, String> {
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/lab/lab.sh");
    assert!(lab.is_file(), "lab script missing at {}", lab.display());
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "the lab DC needs root");
    let lock_path = std::env::temp_dir().join("rampart-lab-start.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&lock_path)
        .expect("lab lock file");
    // SAFETY: a valid open descriptor; the lock is released when `lock` is closed.
    assert_eq!(
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) },
        0,
        "lab lock"
    );
    let up = Command::new(&lab)
        .arg("up")
        .output()
        .expect("run lab.sh up");
    assert!(
        up.status.success(),
        "lab.sh up failed: {}\n{}",
        up.status,
        String::from_utf8_lossy(&up.stderr)
    );
    let pop = Command::new(&lab)
        .arg("populate")
        .output()
        .expect("run lab.sh populate");
    assert!(
        pop.status.success(),
        "lab.sh populate failed: {}\n{}",
        pop.status,
        String::from_utf8_lossy(&pop.stderr)
    );
    drop(lock);
    String::from_utf8_lossy(&up.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn options() -> LdapOptions {
    let facts = lab();
    let get = |k: &str| {
        facts
            .get(k)
            .unwrap_or_else(|| panic!("lab.sh up printed no {k}"))
            .clone()
    };
    let password = PasswordSource::File(get("LAB_ADMIN_PASSWORD_FILE").into())
        .read()
        .expect("admin password");
    LdapOptions {
        url: get("LAB_LDAP_URL"),
        bind: get("LAB_ADMIN_DN"),
        password,
        base: Some(get("LAB_BASE_DN")),
        no_tls_verify: false,
        timeout: Duration::from_secs(30),
    }
}

fn collect() -> Directory {
    collect_ldap(&options()).expect("collect over LDAP")
}

#[test]
fn ranged_reads_return_the_rest_of_a_group() {
    // What collection does for a group larger than MaxValRange, on a small group: the members
    // from index 2 on are the whole list but its first two.
    let opts = options();
    let base = opts.base.clone().expect("base");
    let dn = format!("CN=Domain Admins,CN=Users,{base}");
    let text = |v: Vec<Vec<u8>>| -> Vec<String> {
        let mut t: Vec<String> = v
            .into_iter()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect();
        t.sort();
        t
    };
    let all = text(rampart_directory::collect::read_ranged(&opts, &dn, "member", 0).expect("read"));
    assert!(all.len() >= 4, "{all:?}");
    assert!(
        all.iter().any(|m| m.starts_with("CN=Tier0-Admins,")),
        "{all:?}"
    );
    let rest =
        text(rampart_directory::collect::read_ranged(&opts, &dn, "member", 2).expect("read"));
    assert_eq!(rest.len(), all.len() - 2, "{rest:?} of {all:?}");
    assert!(rest.iter().all(|m| all.contains(m)));
}

fn user<'a>(d: &'a Directory, sam: &str) -> &'a rampart_directory::Principal {
    d.users
        .iter()
        .chain(d.computers.iter())
        .find(|u| u.sam_account_name.eq_ignore_ascii_case(sam))
        .unwrap_or_else(|| panic!("{sam} not collected"))
}

#[test]
fn ldap_collection_has_the_planted_facts() {
    let d = collect();
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    // Population (scenarios run by other tests may add, never remove).
    assert!(d.users.len() >= 65, "users: {}", d.users.len());
    assert!(d.computers.len() >= 17, "computers: {}", d.computers.len());
    assert!(d.groups.len() >= 51, "groups: {}", d.groups.len());
    assert_eq!(d.domains.len(), 1);
    let dom = &d.domains[0];
    assert_eq!(dom.dns_name, "rampart.lab");
    assert_eq!(dom.netbios_name.as_deref(), Some("RAMPART"));
    assert_eq!(dom.policy.lockout_threshold, Some(0));
    assert_eq!(dom.machine_account_quota, Some(10));
    assert!(dom.krbtgt_pwd_last_set.is_some());
    assert!(dom.security_descriptor.is_some());

    let mut spns = user(&d, "svc_sql").service_principal_names.clone();
    spns.sort();
    assert_eq!(
        spns,
        vec![
            "MSSQLSvc/srv-sql01.rampart.lab",
            "MSSQLSvc/srv-sql01.rampart.lab:1433"
        ]
    );
    assert_eq!(user(&d, "svc_sql").supported_encryption_types, Some(4));
    assert!(user(&d, "svc_backup")
        .user_account_control
        .dont_req_preauth());
    assert!(user(&d, "SRV-WEB01$")
        .user_account_control
        .trusted_for_delegation());
    let app = user(&d, "SRV-APP01$");
    assert!(app.user_account_control.trusted_to_auth_for_delegation());
    let mut targets = app.allowed_to_delegate_to.clone();
    targets.sort();
    assert_eq!(
        targets,
        vec![
            "MSSQLSvc/srv-sql01.rampart.lab:1433",
            "cifs/SRV-FILE01",
            "cifs/srv-file01.rampart.lab"
        ]
    );
    assert!(user(&d, "DC1$").is_domain_controller());
    assert_eq!(user(&d, "adm_legacy").admin_count, Some(1));

    // Domain Admins, nested: adm_cwilliams through Tier0-Admins.
    let s = SensitiveSet::compute(&d, &SensitiveConfig::default());
    let da = d
        .groups
        .iter()
        .find(|g| g.rid() == Some(512))
        .expect("Domain Admins");
    let via_da = |sam: &str| {
        s.accounts
            .get(&dn_key(&user(&d, sam).dn))
            .is_some_and(|r| r.contains(&Reason::MemberOf(da.dn.clone())))
    };
    for sam in [
        "Administrator",
        "adm_ajohnson",
        "adm_bsmith",
        "adm_cwilliams",
    ] {
        assert!(via_da(sam), "{sam} not found in Domain Admins");
    }
    let tier0 = d
        .groups
        .iter()
        .find(|g| g.sam_account_name == "Tier0-Admins")
        .expect("Tier0-Admins");
    assert!(tier0.member_of.iter().any(|g| dn_key(g) == dn_key(&da.dn)));
    assert!(!via_da("adm_dbrown"));

    // The planted ACL edges, exactly, and the attack paths they open.
    let mut planted = fact_list("ACL_EDGES_PLANTED");
    planted.sort();
    assert_eq!(non_builtin_acl_edges(&d), planted);
    let g = AttackGraph::build(&d);
    let tree = g.paths_to(&g.tier_zero(&d));
    for (from, want) in [
        (
            "jnguyen",
            "jnguyen>MemberOf>IT-Support>GenericAll>Tier0-Admins>MemberOf>Domain Admins",
        ),
        ("sync_reader", "sync_reader>DCSync>rampart.lab"),
        (
            "helpdesk_lead",
            "helpdesk_lead>ForceChangePassword>adm_bsmith>MemberOf>Domain Admins",
        ),
    ] {
        let ix = g.find(from).expect("node");
        let p = tree
            .path(&g, ix)
            .unwrap_or_else(|| panic!("no path from {from}"));
        assert_eq!(g.render(&p), want);
    }

    // The snapshot survives a save and load.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("snapshot.json");
    d.save(&path).expect("save");
    assert_eq!(Directory::load(&path).expect("load"), d);
}

#[test]
fn wrong_password_names_server_and_operation() {
    let facts = lab();
    let err = collect_ldap(&LdapOptions {
        url: facts["LAB_LDAP_URL"].clone(),
        bind: facts["LAB_ADMIN_DN"].clone(),
        password: "not the password".into(),
        base: None,
        no_tls_verify: false,
        timeout: Duration::from_secs(30),
    })
    .expect_err("bind must fail");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!(
            "{}: bind as CN=Administrator",
            facts["LAB_LDAP_URL"]
        )),
        "{msg}"
    );
    assert!(msg.contains("49"), "{msg}");
}
