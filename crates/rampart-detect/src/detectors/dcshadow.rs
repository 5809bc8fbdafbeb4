//! DCShadow (ATT&CK T1207): an attacker registers a machine as a rogue domain controller to push
//! directory changes by replication, bypassing change auditing (mimikatz `lsadump::dcshadow`).
//!
//! Evidence:
//! - [`EventKind::AccountChanged`] on a computer that is not a known DC whose service principal
//!   names gain the DRS replication SPN (`E3514235-4B06-11D1-AB04-00C04FC2DCD2/…`) or a global
//!   catalog SPN (`GC/…`): only DCs carry them (4742, 5136 on servicePrincipalName);
//! - creation or deletion of an `nTDSDSA` object (the "this is a DC" object in the Configuration
//!   partition) by a principal that is not a DC machine account (4662 with CREATE_CHILD/DELETE on
//!   nTDSDSA, 5137/5141).
//!
//! Promoting a real DC also creates these, so a promotion shows up here too; it is rare and worth
//! a look, and known DCs are excluded.

use crate::engine::{Context, Detector};
use rampart_core::wellknown::CLASS_NTDS_DSA;
use rampart_core::{Account, Alert, AlertKind, ChangeOp, EventKind, IdentityEvent, Severity};

/// The DRSUAPI RPC interface, registered as an SPN by every DC.
const DRS_SPN_PREFIX: &str = "e3514235-4b06-11d1-ab04-00c04fc2dcd2/";
const ACCESS_CREATE_CHILD: u32 = 0x1;
const ACCESS_DELETE: u32 = 0x1_0000;

pub struct DcShadow;

impl Detector for DcShadow {
    fn name(&self) -> &'static str {
        "dcshadow"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::Dcshadow]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        match &ev.kind {
            EventKind::AccountChanged { changes, .. } => {
                let Some(target) = &ev.target else { return };
                if !target.is_machine() || cx.entities.is_dc_account(target) {
                    return;
                }
                let dc_spns: Vec<&str> = changes
                    .iter()
                    .filter(|(name, _)| name.eq_ignore_ascii_case("ServicePrincipalNames"))
                    .flat_map(|(_, v)| v.split(|c: char| c.is_whitespace() || c == ','))
                    .filter(|spn| {
                        let s = spn.to_ascii_lowercase();
                        s.starts_with(DRS_SPN_PREFIX) || s.starts_with("gc/")
                    })
                    .collect();
                if dc_spns.is_empty() {
                    return;
                }
                let alert = base(ev, cx, target).description(format!(
                    "The computer account {target}, which is not a known domain controller, \
                         was given domain-controller service principal names ({}){}. DCShadow \
                         registers a rogue DC this way to replicate forged changes into the \
                         directory without ordinary change auditing.",
                    dc_spns.join(", "),
                    by(ev)
                ));
                // One rogue-DC registration is one alert, whichever of its traces came first.
                let key = ev.actor.as_ref().map_or_else(|| target.key(), |a| a.key());
                cx.emit(&key, alert);
            }
            EventKind::DirectoryAccess {
                object,
                access_mask,
                properties,
            } => {
                let is_ntdsdsa = is_ntdsdsa(object.class.as_deref())
                    || properties.iter().any(|p| is_ntdsdsa(Some(p)));
                let mask = access_mask.unwrap_or(0);
                if !is_ntdsdsa || mask & (ACCESS_CREATE_CHILD | ACCESS_DELETE) == 0 {
                    return;
                }
                self.object_change(
                    ev,
                    cx,
                    if mask & ACCESS_DELETE != 0 {
                        "deleted"
                    } else {
                        "created"
                    },
                );
            }
            EventKind::DirectoryChange { object, op, .. } => {
                if !is_ntdsdsa(object.class.as_deref()) {
                    return;
                }
                match op {
                    ChangeOp::Created => self.object_change(ev, cx, "created"),
                    ChangeOp::Deleted => self.object_change(ev, cx, "deleted"),
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

impl DcShadow {
    fn object_change(&self, ev: &IdentityEvent, cx: &mut Context<'_>, what: &str) {
        let Some(actor) = &ev.actor else { return };
        if actor.is_builtin_service() || cx.entities.is_dc_account(actor) {
            return;
        }
        // A DC's own machine account maintains its nTDSDSA object.
        if actor.is_machine() {
            return;
        }
        let alert = base(ev, cx, actor).description(format!(
            "{actor} {what} an nTDSDSA object, the directory object that makes a server a \
             domain controller. Outside a planned DC promotion or demotion this is how DCShadow \
             registers and then removes a rogue DC."
        ));
        cx.emit(&actor.key(), alert);
    }
}

fn base(ev: &IdentityEvent, cx: &Context<'_>, subject: &Account) -> Alert {
    let mut alert = Alert::new(AlertKind::Dcshadow, Severity::Critical, ev)
        .title(format!(
            "DCShadow: rogue domain controller registration ({subject})"
        ))
        .remediation(
            "Verify with the directory team whether a domain controller was being promoted. If \
             not: disable the computer account and the account that made the change, remove the \
             rogue server and nTDSDSA objects from the Configuration partition, review recent \
             replicated changes (group memberships, SID history, ACLs) and isolate the host.",
        );
    if let Some(actor) = &ev.actor {
        alert = alert.actor(actor, cx.entities.is_sensitive_account(actor));
    }
    if let Some(target) = &ev.target {
        alert = alert.target_account(target, false);
    }
    if let Some(obs) = &ev.observer {
        alert = alert.observer(obs, true);
    }
    alert
}

fn by(ev: &IdentityEvent) -> String {
    ev.actor
        .as_ref()
        .map(|a| format!(" by {a}"))
        .unwrap_or_default()
}

fn is_ntdsdsa(class: Option<&str>) -> bool {
    class.is_some_and(|c| {
        let c = c.trim_matches(['%', '{', '}']);
        c.eq_ignore_ascii_case("nTDSDSA") || c.eq_ignore_ascii_case(CLASS_NTDS_DSA)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::{AccountType, DirObject};

    fn spn_change(computer: &str, spns: &str) -> IdentityEvent {
        with(
            ev(
                0,
                4742,
                EventKind::AccountChanged {
                    account_type: AccountType::Computer,
                    changes: vec![("ServicePrincipalNames".into(), spns.into())],
                    old_uac: None,
                    new_uac: None,
                },
            ),
            Some(acct("Administrator")),
            None,
            Some(acct(computer)),
        )
    }

    #[test]
    fn workstation_gaining_dc_spns_alerts() {
        let e = spn_change(
            "ALICE$",
            "\r\n\t\tHOST/alice.corp.local\r\n\t\tGC/alice.corp.local/corp.local\r\n\t\tE3514235-4B06-11D1-AB04-00C04FC2DCD2/ae9a3b29/corp.local",
        );
        let alerts = run(Box::new(DcShadow), &[e]);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::Dcshadow);
        assert!(alerts[0].description.contains("GC/alice.corp.local"));
    }

    #[test]
    fn ordinary_spn_changes_and_real_dcs_are_benign() {
        let plain = spn_change("WS01$", "HOST/ws01.corp.local\r\nTERMSRV/ws01");
        // DC01 is known as a DC because it wrote a KDC event.
        let kdc = with(
            ev(
                0,
                4769,
                EventKind::KerberosServiceTicket {
                    status: 0,
                    service: "krbtgt".into(),
                    service_sid: None,
                    ticket_etype: Some(18),
                    ticket_options: None,
                    wire: None,
                },
            ),
            Some(acct("jdoe")),
            None,
            None,
        );
        let dc = spn_change("DC01$", "GC/dc01.corp.local/corp.local");
        assert!(run(Box::new(DcShadow), &[plain, kdc, dc]).is_empty());
    }

    #[test]
    fn ntdsdsa_deletion_by_a_user_alerts() {
        let e = with(
            ev(
                0,
                4662,
                EventKind::DirectoryAccess {
                    object: DirObject {
                        class: Some("%{f0f8ffab-1191-11d0-a060-00aa006c33ed}".into()),
                        ..DirObject::default()
                    },
                    access_mask: Some(0x10000),
                    properties: vec![],
                },
            ),
            Some(acct("Administrator")),
            None,
            None,
        );
        assert_eq!(run(Box::new(DcShadow), &[e]).len(), 1);
    }
}
