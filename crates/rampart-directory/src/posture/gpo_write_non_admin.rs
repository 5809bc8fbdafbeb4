//! Group policy objects that non-admins can modify.

use super::acl::{edge_affected, non_admin_edges, CONTROL_RIGHTS};
use super::privilege::Privilege;
use super::{pingcastle, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::{dn_key, Directory};
use std::collections::HashSet;

pub struct GpoWriteNonAdmin;

static INFO: CheckInfo = CheckInfo {
    id: "gpo_write_non_admin",
    title: "Non-admins can modify group policy objects",
    severity: Severity::High,
    category: Category::Acls,
    checks: "ACL edges GenericAll, GenericWrite, WriteDacl, WriteOwner and ownership on GPO \
             objects whose trustee is not an admin, a DC or a system principal; each finding \
             says whether the GPO is linked (to the domain or an OU). The SYSVOL files' NTFS \
             permissions are not in the directory and not checked.",
    why: "Whoever edits a GPO runs code as SYSTEM on every computer it applies to (a scheduled \
          task, a startup script); a GPO linked to the domain or the Domain Controllers OU \
          yields the domain.",
    fix: "Remove the ACE from the GPO (Group Policy Management: Delegation tab); delegate GPO \
          editing only to tier-0 admins for GPOs that reach DCs or admin workstations.",
    equivalents: &[pingcastle(
        "P-DelegationGPOData",
        "Any user can modify GPO items",
    )],
};

impl Check for GpoWriteNonAdmin {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        if dir.gpos.is_empty() {
            return CheckResult::not_applicable("the snapshot has no group policy objects");
        }
        let linked: HashSet<String> = dir
            .domains
            .iter()
            .flat_map(|d| d.gplinks.iter())
            .chain(dir.ous.iter().flat_map(|o| o.gplinks.iter()))
            .filter(|l| !l.disabled)
            .map(|l| dn_key(&l.gpo_dn))
            .collect();
        let privilege = Privilege::of(dir);
        let mut out = Vec::new();
        for e in non_admin_edges(dir, &privilege) {
            if !CONTROL_RIGHTS.contains(&e.right) {
                continue;
            }
            let key = dn_key(&e.target);
            if let Some(g) = dir.gpos.iter().find(|g| dn_key(&g.dn) == key) {
                let state = if linked.contains(&key) {
                    "linked"
                } else {
                    "not linked"
                };
                let name = if g.name.is_empty() { &g.dn } else { &g.name };
                out.push(edge_affected(&privilege, &e, name, format!("GPO {state}")));
            }
        }
        CheckResult::from_affected(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GpLink, Gpo, Uac};
    use crate::posture::testkit::*;
    use crate::sd::mask;

    fn gpo(d: &mut crate::model::Directory, aces: Vec<crate::sd::Ace>) {
        let dn =
            format!("CN={{31B2F340-016D-11D2-945F-00C04FB984F9}},CN=Policies,CN=System,{BASE}");
        d.gpos.push(Gpo {
            domain: DOMAIN.into(),
            dn: dn.clone(),
            name: "Default Domain Policy".into(),
            security_descriptor: sd(aces),
            ..Gpo::default()
        });
        d.domains[0].gplinks.push(GpLink {
            gpo_dn: dn,
            disabled: false,
            enforced: false,
        });
    }

    #[test]
    fn a_user_editable_linked_gpo_fails() {
        let mut d = dir();
        user(&mut d, "intern", 1100, Uac::NORMAL_ACCOUNT);
        gpo(
            &mut d,
            vec![allow(
                &format!("{DOM_SID}-1100"),
                mask::GENERIC_WRITE_MAPPED,
                None,
            )],
        );
        let r = run(&GpoWriteNonAdmin, &d);
        assert_eq!(failing(&r), ["Default Domain Policy"]);
        assert!(r.affected[0].why.contains("GPO linked"));
    }

    #[test]
    fn admin_only_gpos_pass_and_no_gpos_do_not_apply() {
        let mut d = dir();
        not_applicable(&run(&GpoWriteNonAdmin, &d));
        gpo(
            &mut d,
            vec![
                allow(&format!("{DOM_SID}-512"), mask::GENERIC_ALL_MAPPED, None),
                allow("S-1-5-11", mask::READ_PROPERTY, None),
            ],
        );
        passes(&run(&GpoWriteNonAdmin, &d));
    }
}
