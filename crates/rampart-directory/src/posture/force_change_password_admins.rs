//! Non-admins who may reset privileged accounts' passwords.

use super::acl::{edge_affected, non_admin_edges};
use super::privilege::Privilege;
use super::{Category, Check, CheckInfo, CheckResult, PostureContext, Severity};
use crate::model::Directory;
use crate::sd::Right;

pub struct ForceChangePasswordAdmins;

static INFO: CheckInfo = CheckInfo {
    id: "force_change_password_admins",
    title: "Non-admins can reset admin passwords",
    severity: Severity::High,
    category: Category::Acls,
    checks: "ForceChangePassword (User-Force-Change-Password) edges on privileged user \
             accounts whose trustee is not an admin, a DC or a system principal.",
    why: "Resetting a Domain Admin's password needs neither the old password nor any exploit: \
          the holder logs on as the admin a second later. Helpdesk delegations that reach \
          admin accounts are the usual cause.",
    fix: "Remove the ACE; scope helpdesk reset rights to OUs without admin accounts, and let \
          SDProp restore the admin accounts' DACLs.",
    equivalents: &[],
};

impl Check for ForceChangePasswordAdmins {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, _cx: &PostureContext) -> CheckResult {
        let privilege = Privilege::of(dir);
        let users: Vec<String> = dir
            .users
            .iter()
            .map(|u| crate::model::dn_key(&u.dn))
            .collect();
        CheckResult::from_affected(
            non_admin_edges(dir, &privilege)
                .iter()
                .filter(|e| e.right == Right::ForceChangePassword)
                .filter(|e| users.contains(&crate::model::dn_key(&e.target)))
                .filter_map(|e| {
                    let why = privilege.privileged(&e.target)?;
                    let name = privilege.dn_name(&e.target)?;
                    Some(edge_affected(&privilege, e, name, format!("target {why}")))
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Uac;
    use crate::posture::testkit::*;
    use crate::sd::{guid, mask};

    fn reset_by(d: &mut crate::model::Directory, target: &str, trustee_rid: u32) {
        let u = d
            .users
            .iter_mut()
            .find(|u| u.sam_account_name == target)
            .unwrap();
        u.security_descriptor = sd(vec![allow(
            &format!("{DOM_SID}-{trustee_rid}"),
            mask::CONTROL_ACCESS,
            Some(guid::USER_FORCE_CHANGE_PASSWORD),
        )]);
    }

    #[test]
    fn a_helpdesk_reset_right_on_an_admin_fails() {
        let mut d = dir();
        user(&mut d, "helpdesk_lead", 1100, Uac::NORMAL_ACCOUNT);
        user(&mut d, "adm_bsmith", 1101, Uac::NORMAL_ACCOUNT);
        add_member(&mut d, "Domain Admins", &dn("adm_bsmith"));
        reset_by(&mut d, "adm_bsmith", 1100);
        let r = run(&ForceChangePasswordAdmins, &d);
        assert_eq!(failing(&r), ["adm_bsmith"]);
        assert_eq!(r.affected[0].principal.as_deref(), Some("helpdesk_lead"));
    }

    #[test]
    fn reset_rights_on_ordinary_users_pass() {
        let mut d = dir();
        user(&mut d, "helpdesk_lead", 1100, Uac::NORMAL_ACCOUNT);
        user(&mut d, "bob", 1101, Uac::NORMAL_ACCOUNT);
        reset_by(&mut d, "bob", 1100);
        passes(&run(&ForceChangePasswordAdmins, &d));
    }
}
