//! Attack paths of the lab export: exactly facts.txt's ATTACK_PATHS, from no other account.

mod common;

use common::*;
use rampart_directory::graph::{AttackGraph, NodeKind};
use rampart_directory::ldif;
use rampart_directory::sensitive::{SensitiveConfig, SensitiveSet};
use rampart_directory::ObjectKind;

fn lab_label(g: &AttackGraph, ix: petgraph::graph::NodeIndex) -> String {
    match g.node(ix) {
        Some(n) if n.kind == NodeKind::Object(ObjectKind::Domain) => "DOMAIN_ROOT".to_string(),
        Some(n) => n.name.clone(),
        None => String::new(),
    }
}

#[test]
fn lab_attack_paths_are_exactly_the_planted_ones() {
    let d = ldif::load(&captures().join("directory.ldif")).expect("load");
    let g = AttackGraph::build(&d);
    let s = SensitiveSet::compute(&d, &SensitiveConfig::default());
    let tree = g.paths_to(&g.tier_zero(&d));
    let mut got: Vec<String> = g
        .sources(&s)
        .into_iter()
        .filter_map(|src| tree.path(&g, src))
        .map(|p| {
            let mut out = lab_label(&g, p.nodes[0]);
            for (e, n) in p.edges.iter().zip(&p.nodes[1..]) {
                out.push_str(&format!(">{e}>{}", lab_label(&g, *n)));
            }
            out
        })
        .collect();
    got.sort();
    let mut want = fact_list("ATTACK_PATHS");
    want.sort();
    assert_eq!(got, want);
    assert!(g.notes.is_empty(), "{:?}", g.notes);
}

#[test]
fn from_one_user_and_observed_sessions() {
    let d = ldif::load(&captures().join("directory.ldif")).expect("load");
    let mut g = AttackGraph::build(&d);
    let targets = g.tier_zero(&d);
    let rmoore = g.find("RAMPART\\rmoore").expect("rmoore");
    assert!(g.paths_to(&targets).path(&g, rmoore).is_none());
    // A Domain Admin logged on to WS03, where rmoore is admin: rmoore now has a path.
    assert!(g.add_session("WS03", "adm_ajohnson"));
    assert!(!g.add_session("WS03", "nobody"));
    let ws03 = g.find("WS03$").expect("WS03$");
    g.add_edge(rmoore, rampart_directory::graph::EdgeKind::AdminTo, ws03);
    let p = g.paths_to(&targets).path(&g, rmoore).expect("path");
    assert_eq!(
        g.render(&p),
        "rmoore>AdminTo>WS03$>HasSession>adm_ajohnson>MemberOf>Domain Admins"
    );
}
