//! Control of the domain object itself held by non-admins.

use super::acl::{edge_affected, non_admin_edges, CONTROL_RIGHTS};
use super::privilege::Privilege;
use super::{Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::{dn_key, Directory};

pub struct DomainRootControl;

static INFO: CheckInfo = CheckInfo {
    id: "domain_root_control",
    title: "Non-admins can rewrite the domain object's permissions",
    severity: Severity::Critical,
    category: Category::Acls,
    checks: "ACL edges GenericAll, GenericWrite, WriteDacl, WriteOwner and ownership on the \
             domain object (DC=…) whose trustee is not an admin, a DC or a system principal.",
    why: "WriteDacl on the domain root lets the holder grant itself the replication rights and \
          DCSync every password, krbtgt's included; GenericAll and WriteOwner amount to the \
          same, GenericWrite changes domain-wide settings such as the machine account quota.",
    fix: "Remove the ACE from the domain object's DACL; grant narrowly scoped rights on OUs \
          instead.",
    equivalents: &[],
};

impl Check for DomainRootControl {
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
        let mut out = Vec::new();
        for e in non_admin_edges(dir, &privilege) {
            if !CONTROL_RIGHTS.contains(&e.right) {
                continue;
            }
            if let Some(d) = dir
                .domains
                .iter()
                .find(|d| dn_key(&d.dn) == dn_key(&e.target))
            {
                out.push(edge_affected(
                    &privilege,
                    &e,
                    &d.dns_name,
                    "the domain object".into(),
                ));
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
    use crate::sd::mask;

    #[test]
    fn write_dacl_on_the_domain_fails() {
        let mut d = dir();
        user(&mut d, "svc_deploy", 1100, Uac::NORMAL_ACCOUNT);
        d.domains[0].security_descriptor = sd(vec![allow(
            &format!("{DOM_SID}-1100"),
            mask::WRITE_DACL,
            None,
        )]);
        let r = run(&DomainRootControl, &d);
        assert_eq!(failing(&r), [DOMAIN]);
        assert_eq!(r.affected[0].principal.as_deref(), Some("svc_deploy"));
    }

    #[test]
    fn admins_pass_and_missing_descriptors_do_not_apply() {
        let mut d = dir();
        not_applicable(&run(&DomainRootControl, &d));
        d.domains[0].security_descriptor = sd(vec![
            allow("S-1-5-32-544", mask::GENERIC_ALL_MAPPED, None),
            allow("S-1-5-11", mask::READ_PROPERTY, None),
        ]);
        passes(&run(&DomainRootControl, &d));
    }
}
