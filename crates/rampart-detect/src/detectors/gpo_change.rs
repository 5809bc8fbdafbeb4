//! Group Policy object modification (ATT&CK T1484.001): an edit to a GPO, which every computer
//! or user in its scope applies, is a way to run code or weaken settings across the domain
//! (SharpGPOAbuse, pyGPOAbuse: immediate scheduled tasks, startup scripts, local admin adds).
//!
//! Evidence: [`EventKind::DirectoryChange`] on a `groupPolicyContainer` object (5136 on
//! `versionNumber`, `gPCMachineExtensionNames`, `gPCFileSysPath`…; 5137 creation; 5141
//! deletion). Permission changes on a GPO are `ad_acl_change`. Edits of the default domain and
//! domain controllers policies, and path or extension changes, are high.

use crate::engine::{Context, Detector};
use rampart_core::{Alert, AlertKind, ChangeOp, EventKind, IdentityEvent, Severity};

/// The two GPOs every domain has; they apply to every machine or to every DC.
const DEFAULT_GPOS: &[(&str, &str)] = &[
    (
        "{31b2f340-016d-11d2-945f-00c04fb984f9}",
        "Default Domain Policy",
    ),
    (
        "{6ac1786c-016f-11d2-945f-00c04fb984f9}",
        "Default Domain Controllers Policy",
    ),
];

pub struct GpoChange;

impl Detector for GpoChange {
    fn name(&self) -> &'static str {
        "gpo_change"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::GpoChange]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::DirectoryChange {
            object,
            op,
            attribute,
            ..
        } = &ev.kind
        else {
            return;
        };
        let Some(dn) = &object.dn else { return };
        let dn_l = dn.to_ascii_lowercase();
        let is_gpc = object
            .class
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("groupPolicyContainer"))
            || (dn_l.starts_with("cn={") && dn_l.contains(",cn=policies,cn=system,"));
        if !is_gpc {
            return;
        }
        let attr = attribute.as_deref().unwrap_or("");
        if attr.eq_ignore_ascii_case("nTSecurityDescriptor") || *op == ChangeOp::ValueDeleted {
            return;
        }
        let default = DEFAULT_GPOS
            .iter()
            .find(|(g, _)| dn_l.contains(g))
            .map(|(_, n)| *n);
        let risky_attr = [
            "gPCFileSysPath",
            "gPCMachineExtensionNames",
            "gPCUserExtensionNames",
        ]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(attr));
        let severity = if default.is_some() || risky_attr {
            Severity::High
        } else {
            Severity::Medium
        };
        let what = match op {
            ChangeOp::Created => "created".to_string(),
            ChangeOp::Deleted => "deleted".to_string(),
            _ if attr.is_empty() => "modified".to_string(),
            _ => format!("modified ({attr})"),
        };
        let gpo = default.map(String::from).unwrap_or_else(|| dn.clone());
        let who = ev
            .actor
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "Someone".into());
        let mut alert = Alert::new(AlertKind::GpoChange, severity, ev)
            .title(format!("Group Policy object {what}: {gpo}"))
            .target(dn.clone())
            .description(format!(
                "{who} {what} the Group Policy object {gpo}. Every computer and user the GPO \
                 applies to will run what it says at the next refresh, which makes GPO edits a \
                 way to execute code or weaken security across the domain."
            ))
            .remediation(
                "Check the change against a change request. Compare the GPO's settings and its \
                 SYSVOL files (scheduled tasks, scripts, Restricted Groups) with a backup, revert \
                 anything unexpected, and review who may edit GPOs.",
            );
        if let Some(actor) = &ev.actor {
            alert = alert.actor(actor, cx.entities.is_sensitive_account(actor));
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, true);
        }
        let key = format!(
            "{}|{dn_l}",
            ev.actor.as_ref().map(|a| a.key()).unwrap_or_default()
        );
        cx.emit(&key, alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::DirObject;

    fn change(dn: &str, attr: &str, op: ChangeOp) -> IdentityEvent {
        with(
            ev(
                0,
                5136,
                EventKind::DirectoryChange {
                    object: DirObject {
                        dn: Some(dn.into()),
                        class: Some("groupPolicyContainer".into()),
                        guid: None,
                    },
                    op,
                    attribute: Some(attr.into()),
                    value: Some("2".into()),
                    correlation: None,
                },
            ),
            Some(acct("admmig")),
            None,
            None,
        )
    }

    #[test]
    fn gpo_edit_alerts_once_per_edit_session() {
        let dn = "CN={127328D6-A8A8-49E3-BA71-410C945F42CE},CN=POLICIES,CN=SYSTEM,DC=OFFSEC,DC=LAN";
        let alerts = run(
            Box::new(GpoChange),
            &[
                change(dn, "versionNumber", ChangeOp::ValueDeleted),
                change(dn, "versionNumber", ChangeOp::ValueAdded),
            ],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::GpoChange);
    }

    #[test]
    fn gpo_permission_changes_belong_to_acl_detection() {
        let dn = "cn={127328D6-A8A8-49E3-BA71-410C945F42CE},cn=policies,cn=system,DC=offsec,DC=lan";
        assert!(run(
            Box::new(GpoChange),
            &[change(dn, "nTSecurityDescriptor", ChangeOp::ValueAdded)]
        )
        .is_empty());
    }
}
