//! The lab's LDIF export: every entry reads, and the ACL edges are exactly the planted ones.

mod common;

use common::*;
use rampart_directory::ldif;

#[test]
fn lab_ldif_reads_whole() {
    let path = captures().join("directory.ldif");
    let mut n = 0;
    let stats = ldif::read(&path, |_| n += 1).expect("read");
    assert!(stats.errors.is_empty(), "{:?}", stats.errors);
    assert_eq!(n, 135);
    let d = ldif::load(&path).expect("load");
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(d.users.len(), 65);
    assert_eq!(d.computers.len(), 17);
    assert_eq!(d.groups.len(), 51);
    assert_eq!(d.domains.len(), 1);
    assert_eq!(
        d.objects()
            .filter(|o| o.security_descriptor.is_some())
            .count(),
        135
    );
}

/// `lab.sh acls captures/directory.ldif` (Samba's own descriptor decoder) prints these six; the
/// list is spelled out so a change of facts.txt cannot silently change the test.
const SAMBA_REFERENCE: &[&str] = &[
    "IT-Support>GenericAll>Tier0-Admins",
    "helpdesk_lead>ForceChangePassword>adm_bsmith",
    "old_admin_tool>GenericWrite>AdminSDHolder",
    "svc_deploy>WriteDacl>DOMAIN_ROOT",
    "sync_reader>GetChanges>DOMAIN_ROOT",
    "sync_reader>GetChangesAll>DOMAIN_ROOT",
];

#[test]
fn acl_edges_are_exactly_the_planted_ones() {
    let d = ldif::load(&captures().join("directory.ldif")).expect("load");
    let got = non_builtin_acl_edges(&d);
    let mut want: Vec<String> = SAMBA_REFERENCE.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
    let mut planted = fact_list("ACL_EDGES_PLANTED");
    planted.sort();
    assert_eq!(got, planted);
}
