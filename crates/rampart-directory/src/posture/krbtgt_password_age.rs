//! The age of krbtgt's password: the key of every golden ticket.

use super::{
    pingcastle, Affected, Category, Check, CheckInfo, CheckResult, PostureContext, Severity,
};
use crate::model::Directory;

pub struct KrbtgtPasswordAge;

static INFO: CheckInfo = CheckInfo {
    id: "krbtgt_password_age",
    title: "krbtgt password not changed for a long time",
    severity: Severity::High,
    category: Category::Kerberos,
    checks: "krbtgt's pwdLastSet (the domain's, or the krbtgt account's) against the snapshot \
             time; fails beyond 180 days (configurable).",
    why: "Anyone who once read the krbtgt key (a DCSync, a stolen DC backup, a former admin) \
          can forge TGTs for any account until the key is changed twice.",
    fix: "Reset the krbtgt password twice, at least 10 hours apart (Microsoft's \
          New-KrbtgtKeys.ps1), and then every 180 days.",
    equivalents: &[pingcastle("A-Krbtgt", "Kerberos password last change")],
};

impl Check for KrbtgtPasswordAge {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, dir: &Directory, cx: &PostureContext) -> CheckResult {
        let mut out = Vec::new();
        let mut seen = 0;
        for d in &dir.domains {
            let from_account = dir
                .users
                .iter()
                .find(|u| u.domain == d.dns_name && u.rid() == Some(502))
                .and_then(|u| u.pwd_last_set);
            let Some(set) = d.krbtgt_pwd_last_set.or(from_account) else {
                continue;
            };
            seen += 1;
            let age = cx.days_since(set);
            if age > cx.krbtgt_max_age_days {
                out.push(Affected::new(
                    "krbtgt",
                    Some(&format!("CN=krbtgt,CN=Users,{}", d.dn)),
                    format!(
                        "{}: password set {} ({age} days before the snapshot)",
                        d.dns_name,
                        set.format("%Y-%m-%d")
                    ),
                ));
            }
        }
        if seen == 0 {
            return CheckResult::not_applicable("krbtgt's pwdLastSet is not in the snapshot");
        }
        CheckResult::from_affected(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posture::testkit::*;

    #[test]
    fn an_old_krbtgt_password_fails() {
        let mut d = dir();
        d.domains[0].krbtgt_pwd_last_set = days_ago(400);
        assert_eq!(failing(&run(&KrbtgtPasswordAge, &d)), ["krbtgt"]);
    }

    #[test]
    fn a_recent_one_passes_and_an_unknown_one_does_not_apply() {
        let mut d = dir();
        passes(&run(&KrbtgtPasswordAge, &d));
        d.domains[0].krbtgt_pwd_last_set = None;
        d.users.retain(|u| u.rid() != Some(502));
        not_applicable(&run(&KrbtgtPasswordAge, &d));
    }
}
