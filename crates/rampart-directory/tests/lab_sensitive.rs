//! Sensitive entities of the lab export against facts.txt.

mod common;

use common::*;
use rampart_directory::ldif;
use rampart_directory::sensitive::{SensitiveConfig, SensitiveSet};

#[test]
fn lab_sensitive_entities_match_facts() {
    let d = ldif::load(&captures().join("directory.ldif")).expect("load");
    let cfg = SensitiveConfig {
        honeytokens: fact_list("HONEYTOKEN_ACCOUNTS"),
        ..SensitiveConfig::default()
    };
    let f = d.entity_facts(&cfg);
    let has = |list: &[String], n: &str| list.iter().any(|x| x.eq_ignore_ascii_case(n));
    for g in fact_list("SENSITIVE_GROUPS") {
        assert!(
            has(&f.sensitive_groups, &g),
            "group {g} not sensitive: {:?}",
            f.sensitive_groups
        );
    }
    for a in fact_list("SENSITIVE_ACCOUNTS") {
        assert!(
            has(&f.sensitive_accounts, &a),
            "account {a} not sensitive: {:?}",
            f.sensitive_accounts
        );
    }
    // Beyond facts.txt: the DC's own account and the decoy (stale adminCount=1, honeytoken).
    let mut extra: Vec<&String> = f
        .sensitive_accounts
        .iter()
        .filter(|a| !has(&fact_list("SENSITIVE_ACCOUNTS"), a))
        .collect();
    extra.sort();
    assert_eq!(extra, vec!["DC1$", "adm_legacy"]);
    // Not sensitive: the other admin, the ACL holders, the foothold.
    for n in [
        "adm_dbrown",
        "svc_deploy",
        "sync_reader",
        "helpdesk_lead",
        "jnguyen",
        "old_admin_tool",
    ] {
        assert!(!has(&f.sensitive_accounts, n), "{n} must not be sensitive");
    }
    assert!(!has(&f.sensitive_groups, "IT-Support"));
    assert_eq!(f.domain_controllers, vec!["DC1", "dc1.rampart.lab"]);
    assert!(has(&f.honeytokens, "adm_legacy"));
    assert!(f.honeytokens.iter().any(|h| h.starts_with("S-1-5-21-")));
    assert!(f
        .honeytokens
        .iter()
        .any(|h| h.starts_with("CN=adm_legacy,")));
    // adm_cwilliams is sensitive through Tier0-Admins, which is sensitive through Domain Admins.
    let s = SensitiveSet::compute(&d, &cfg);
    let cw = d
        .users
        .iter()
        .find(|u| u.sam_account_name == "adm_cwilliams")
        .expect("adm_cwilliams");
    assert!(s.is_sensitive(&cw.dn));
}
