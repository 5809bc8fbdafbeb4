//! A SharpHound v5 collection (a small fixture in the format's layout) into the model and
//! through the attack paths.

use rampart_directory::bloodhound;
use rampart_directory::graph::AttackGraph;
use rampart_directory::sensitive::{SensitiveConfig, SensitiveSet};
use rampart_directory::{LocalRightKind, Right};
use std::path::Path;

fn fixture() -> rampart_directory::Directory {
    bloodhound::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bloodhound"))
        .expect("load")
}

#[test]
fn sharphound_v5_maps_into_the_model() {
    let d = fixture();
    assert_eq!(d.users.len(), 6);
    assert_eq!(d.computers.len(), 2);
    assert_eq!(d.groups.len(), 4);
    assert_eq!(d.domains[0].dns_name, "contoso.local");
    assert_eq!(d.domains[0].functional_level, Some(7));
    assert_eq!(d.domains[0].gplinks[0].gpo_dn, d.gpos[0].dn);
    assert!(d.domains[0].krbtgt_pwd_last_set.is_some());
    assert_eq!(d.trusts[0].partner, "fabrikam.local");
    assert!(d.trusts[0].quarantined());
    let dc = d
        .computers
        .iter()
        .find(|c| c.sam_account_name == "DC01$")
        .expect("DC01$");
    assert!(dc.is_domain_controller());
    let ws = d
        .computers
        .iter()
        .find(|c| c.sam_account_name == "WS01$")
        .expect("WS01$");
    assert!(ws.has_laps());
    assert_eq!(d.sessions.len(), 1);
    assert_eq!(
        d.sessions[0].user,
        "CN=bob_admin,OU=Admins,DC=contoso,DC=local"
    );
    let mut rights: Vec<(String, LocalRightKind)> = d
        .local_rights
        .iter()
        .map(|r| (r.principal.clone(), r.right))
        .collect();
    rights.sort();
    assert_eq!(
        rights,
        vec![
            (
                "CN=Domain Admins,CN=Users,DC=contoso,DC=local".to_string(),
                LocalRightKind::AdminTo
            ),
            (
                "CN=Helpdesk,OU=Groups,DC=contoso,DC=local".to_string(),
                LocalRightKind::AdminTo
            ),
            (
                "CN=svc_sql,OU=Service Accounts,DC=contoso,DC=local".to_string(),
                LocalRightKind::CanRDP
            ),
        ]
    );
    // Aces: the builtin trustee loses SharpHound's domain prefix; an unmodelled right is a warning.
    assert!(d
        .resolved_aces
        .iter()
        .any(|e| e.trustee == "S-1-5-32-544" && e.right == Right::GetChangesAll));
    assert!(d
        .resolved_aces
        .iter()
        .any(|e| e.right == Right::ReadLapsPassword));
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert!(d.warnings[0].contains("WriteAccountRestrictions"));
    // Membership is filled in both directions.
    let alice = d
        .users
        .iter()
        .find(|u| u.sam_account_name == "alice")
        .expect("alice");
    assert_eq!(
        alice.member_of,
        vec!["CN=Helpdesk,OU=Groups,DC=contoso,DC=local"]
    );
}

#[test]
fn planted_path_through_local_admin_and_session_is_found() {
    let d = fixture();
    let g = AttackGraph::build(&d);
    let s = SensitiveSet::compute(&d, &SensitiveConfig::default());
    let tree = g.paths_to(&g.tier_zero(&d));
    let mut got: Vec<String> = g
        .sources(&s)
        .into_iter()
        .filter_map(|src| tree.path(&g, src))
        .map(|p| g.render(&p))
        .collect();
    got.sort();
    assert_eq!(
        got,
        // The computer holding the session is a source too, and RDP access counts as
        // BloodHound counts it (a logon on the machine where the admin's credentials are).
        vec![
            "WS01$>HasSession>bob_admin>MemberOf>Domain Admins",
            "alice>MemberOf>Helpdesk>AdminTo>WS01$>HasSession>bob_admin>MemberOf>Domain Admins",
            "carol>GenericAll>Helpdesk>AdminTo>WS01$>HasSession>bob_admin>MemberOf>Domain Admins",
            "svc_sql>CanRDP>WS01$>HasSession>bob_admin>MemberOf>Domain Admins",
        ]
    );
    // Administrators hold DCSync (both rights) in the fixture.
    let admins = g.find("Administrators").expect("Administrators");
    assert_eq!(tree.distance(admins), Some(1));
}
