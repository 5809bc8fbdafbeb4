//! Write access to AdminSDHolder for non-admins: a persistence backdoor on every admin.

use super::acl::{edge_affected, non_admin_edges, CONTROL_RIGHTS};
use super::privilege::Privilege;
use super::{mdi, Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::{dn_key, Directory};

pub struct AdminSdHolderWrite;

static INFO: CheckInfo = CheckInfo {
    id: "adminsdholder_write",
    title: "Non-admins can modify AdminSDHolder",
    severity: Severity::Critical,
    category: Category::Acls,
    checks: "ACL edges GenericAll, GenericWrite, WriteDacl, WriteOwner and ownership on \
             CN=AdminSDHolder,CN=System whose trustee is not an admin, a DC or a system \
             principal. Not applicable when the snapshot lacks AdminSDHolder's descriptor.",
    why: "SDProp copies AdminSDHolder's DACL onto every protected account and group each hour: \
          a right planted here becomes a right over all admins, and comes back whenever \
          someone removes it from them.",
    fix: "Remove the ACE from AdminSDHolder, then wait for (or trigger) SDProp and check the \
          protected objects; investigate who added it.",
    equivalents: &[mdi(
        "Remove access rights on suspicious accounts with the Admin SDHolder permission",
    )],
};

fn is_adminsdholder(dn: &str) -> bool {
    dn_key(dn).starts_with("cn=adminsdholder,cn=system,")
}

impl Check for AdminSdHolderWrite {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let known = dir
            .containers
            .iter()
            .any(|c| is_adminsdholder(&c.dn) && c.security_descriptor.is_some())
            || dir
                .resolved_aces
                .iter()
                .any(|e| is_adminsdholder(&e.target));
        if !known {
            return CheckResult::not_applicable(
                "AdminSDHolder's security descriptor is not in the snapshot",
            );
        }
        let privilege = Privilege::of(dir);
        CheckResult::from_affected(
            non_admin_edges(dir, &privilege)
                .iter()
                .filter(|e| CONTROL_RIGHTS.contains(&e.right) && is_adminsdholder(&e.target))
                .map(|e| {
                    edge_affected(
                        &privilege,
                        e,
                        "AdminSDHolder",
                        "copied onto every protected object by SDProp".into(),
                    )
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Container, Uac};
    use crate::posture::testkit::*;
    use crate::sd::mask;

    fn holder(d: &mut crate::model::Directory, aces: Vec<crate::sd::Ace>) {
        d.containers.push(Container {
            domain: DOMAIN.into(),
            dn: format!("CN=AdminSDHolder,CN=System,{BASE}"),
            name: "AdminSDHolder".into(),
            security_descriptor: sd(aces),
            ..Container::default()
        });
    }

    #[test]
    fn generic_write_by_a_tool_account_fails() {
        let mut d = dir();
        user(&mut d, "old_admin_tool", 1100, Uac::NORMAL_ACCOUNT);
        holder(
            &mut d,
            vec![allow(
                &format!("{DOM_SID}-1100"),
                mask::GENERIC_WRITE_MAPPED,
                None,
            )],
        );
        let r = run(&AdminSdHolderWrite, &d);
        assert_eq!(failing(&r), ["AdminSDHolder"]);
        assert_eq!(r.affected[0].principal.as_deref(), Some("old_admin_tool"));
    }

    #[test]
    fn default_rights_pass_and_absence_does_not_apply() {
        let mut d = dir();
        not_applicable(&run(&AdminSdHolderWrite, &d));
        holder(
            &mut d,
            vec![
                allow(&format!("{DOM_SID}-512"), mask::GENERIC_ALL_MAPPED, None),
                allow("S-1-5-11", mask::READ_PROPERTY, None),
            ],
        );
        passes(&run(&AdminSdHolderWrite, &d));
    }
}
