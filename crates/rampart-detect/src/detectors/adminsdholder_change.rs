//! AdminSDHolder modification (ATT&CK T1098): a change to `CN=AdminSDHolder,CN=System,…`, whose
//! security descriptor the SDProp process copies to every protected account and group every
//! hour. An ACE added there gives an attacker lasting control of all admins.
//!
//! Evidence: [`EventKind::DirectoryChange`] on the AdminSDHolder object (5136, typically of
//! `nTSecurityDescriptor`; Samba dsdb change records). Any change to it is rare and alerts.

use crate::engine::{Context, Detector};
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct AdminSdHolderChange;

impl Detector for AdminSdHolderChange {
    fn name(&self) -> &'static str {
        "adminsdholder_change"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::AdminsdholderChange]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::DirectoryChange {
            object, attribute, ..
        } = &ev.kind
        else {
            return;
        };
        let Some(dn) = &object.dn else { return };
        if !dn
            .to_ascii_lowercase()
            .starts_with("cn=adminsdholder,cn=system,")
        {
            return;
        }
        let attr = attribute.as_deref().unwrap_or("an attribute");
        let acl = attr.eq_ignore_ascii_case("nTSecurityDescriptor");
        let mut alert = Alert::new(AlertKind::AdminsdholderChange, Severity::High, ev)
            .title(format!("AdminSDHolder modified ({attr})"))
            .target(dn.clone())
            .description(format!(
                "{} changed {attr} on {dn}{}. Every hour SDProp stamps AdminSDHolder's \
                 permissions onto all protected admin accounts and groups, so a change here \
                 silently propagates to all of them.",
                ev.actor
                    .as_ref()
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "Someone".into()),
                if acl { " (its permissions)" } else { "" }
            ))
            .remediation(
                "Compare AdminSDHolder's ACL with a known-good baseline and remove any ACE not \
                 granted to a built-in admin group; then check protected accounts for the same \
                 ACE after the next SDProp run, and investigate the account that made the change.",
            );
        if let Some(actor) = &ev.actor {
            alert = alert.actor(actor, cx.entities.is_sensitive_account(actor));
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, true);
        }
        let key = ev.actor.as_ref().map(|a| a.key()).unwrap_or_default();
        cx.emit(&key, alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::{ChangeOp, DirObject};

    fn change(dn: &str, op: ChangeOp) -> IdentityEvent {
        with(
            ev(
                0,
                5136,
                EventKind::DirectoryChange {
                    object: DirObject {
                        dn: Some(dn.into()),
                        class: Some("container".into()),
                        guid: None,
                    },
                    op,
                    attribute: Some("nTSecurityDescriptor".into()),
                    value: Some("O:DAG:DAD:PAI(A;;GA;;;S-1-5-21-1-2-3-1234)".into()),
                    correlation: Some("{9f6c1605}".into()),
                },
            ),
            Some(acct("admmig")),
            None,
            None,
        )
    }

    #[test]
    fn acl_change_on_adminsdholder_alerts_once() {
        let dn = "CN=AdminSDHolder,CN=System,DC=offsec,DC=lan";
        let alerts = run(
            Box::new(AdminSdHolderChange),
            &[
                change(dn, ChangeOp::ValueDeleted),
                change(dn, ChangeOp::ValueAdded),
            ],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::AdminsdholderChange);
    }

    #[test]
    fn changes_elsewhere_are_benign() {
        let events = [change(
            "CN=jdoe,CN=Users,DC=corp,DC=local",
            ChangeOp::ValueAdded,
        )];
        assert!(run(Box::new(AdminSdHolderChange), &events).is_empty());
    }
}
