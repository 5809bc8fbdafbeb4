//! Replication rights (DCSync) held by principals that are not admins or DCs.

use super::acl::{edge_affected, non_admin_edges};
use super::privilege::Privilege;
use super::{mdi, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::{dn_key, AclEdge, Directory};
use crate::sd::Right;
use std::collections::BTreeMap;

pub struct DcsyncNonAdmin;

static INFO: CheckInfo = CheckInfo {
    id: "dcsync_non_admin",
    title: "Non-admins with DCSync rights",
    severity: Severity::Critical,
    category: Category::Acls,
    checks: "Trustees other than admins and DCs that hold both DS-Replication-Get-Changes and \
             DS-Replication-Get-Changes-All on the domain object (directly, or through \
             GenericAll or all extended rights).",
    why: "The two rights together let the holder ask a DC to replicate every secret: all \
          password hashes and the krbtgt key (golden tickets), from any machine, with no code \
          on a DC.",
    fix: "Remove the replication ACEs; a directory synchronisation connector that needs them \
          (Entra Connect password hash sync) must be treated as tier 0.",
    equivalents: &[mdi("Remove non-admin accounts with DCSync permissions")],
};

fn gives(e: &AclEdge, right: Right) -> bool {
    e.right == right || matches!(e.right, Right::GenericAll | Right::AllExtendedRights)
}

impl Check for DcsyncNonAdmin {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        if dir.domains.iter().all(|d| d.security_descriptor.is_none())
            && dir.resolved_aces.is_empty()
        {
            return CheckResult::not_applicable(
                "the snapshot has no security descriptor for the domain object",
            );
        }
        let privilege = Privilege::of(dir);
        let domains: Vec<(String, &str)> = dir
            .domains
            .iter()
            .map(|d| (dn_key(&d.dn), d.dns_name.as_str()))
            .collect();
        // (domain, trustee) → edges
        let mut by: BTreeMap<(String, String), Vec<AclEdge>> = BTreeMap::new();
        for e in non_admin_edges(dir, &privilege) {
            let key = dn_key(&e.target);
            if domains.iter().any(|(k, _)| *k == key) {
                by.entry((key, e.trustee.clone())).or_default().push(e);
            }
        }
        let mut out = Vec::new();
        for ((domain, _), edges) in by {
            let changes = edges.iter().any(|e| gives(e, Right::GetChanges));
            let all = edges.iter().any(|e| gives(e, Right::GetChangesAll));
            if changes && all {
                let name = domains
                    .iter()
                    .find(|(k, _)| *k == domain)
                    .map(|(_, n)| *n)
                    .unwrap_or_default();
                let rights: Vec<&str> = edges.iter().map(|e| e.right.name()).collect();
                let mut a = edge_affected(&privilege, &edges[0], name, "DCSync".into());
                a.why = format!("{} on the domain object: DCSync", rights.join(" + "));
                out.push(a);
            }
        }
        CheckResult::from_affected(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Uac;
    use crate::posture::testkit::*;
    use crate::sd::{guid, mask};

    fn repl(trustee: &str, g: &str) -> crate::sd::Ace {
        allow(trustee, mask::CONTROL_ACCESS, Some(g))
    }

    #[test]
    fn both_replication_rights_fail() {
        let mut d = dir();
        user(&mut d, "sync_reader", 1100, Uac::NORMAL_ACCOUNT);
        let t = format!("{DOM_SID}-1100");
        d.domains[0].security_descriptor = sd(vec![
            repl(&t, guid::DS_REPLICATION_GET_CHANGES),
            repl(&t, guid::DS_REPLICATION_GET_CHANGES_ALL),
        ]);
        let r = run(&DcsyncNonAdmin, &d);
        assert_eq!(failing(&r), [DOMAIN]);
        assert_eq!(r.affected[0].principal.as_deref(), Some("sync_reader"));
    }

    #[test]
    fn one_right_alone_and_dc_rights_pass() {
        let mut d = dir();
        user(&mut d, "reader", 1100, Uac::NORMAL_ACCOUNT);
        d.domains[0].security_descriptor = sd(vec![
            repl(&format!("{DOM_SID}-1100"), guid::DS_REPLICATION_GET_CHANGES),
            repl(&format!("{DOM_SID}-516"), guid::DS_REPLICATION_GET_CHANGES),
            repl(
                &format!("{DOM_SID}-516"),
                guid::DS_REPLICATION_GET_CHANGES_ALL,
            ),
            repl("S-1-5-9", guid::DS_REPLICATION_GET_CHANGES_ALL),
        ]);
        passes(&run(&DcsyncNonAdmin, &d));
    }
}
