//! sAMAccountName spoofing, "noPac" (CVE-2021-42278/42287; ATT&CK T1078.002, T1068): a user
//! creates (or controls) a computer account, renames its sAMAccountName to a domain
//! controller's name without the trailing `$`, gets a TGT for that name, renames it back, and
//! then asks for a service ticket with S4U2self: the KDC, no longer finding the name, appends
//! `$` and issues a ticket as the DC.
//!
//! Evidence: [`EventKind::AccountRenamed`] (4781) of a computer account (old name ends in `$`)
//! to a name without `$` — Windows never does this itself — critical when the new name is a
//! known DC's. A later rename back is the same incident.

use crate::engine::{Context, Detector};
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct SamNameSpoofing;

impl Detector for SamNameSpoofing {
    fn name(&self) -> &'static str {
        "sam_name_spoofing"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::SamNameSpoofing]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::AccountRenamed { old_name, new_name } = &ev.kind else {
            return;
        };
        if !old_name.ends_with('$') || new_name.ends_with('$') || new_name.is_empty() {
            return;
        }
        let new_short = new_name.to_ascii_lowercase();
        let dc_name = cx.entities.domain_controllers().any(|d| d == new_short)
            || ev.observer_short().as_deref() == Some(new_short.as_str());
        let who = ev
            .actor
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "Someone".into());
        let mut alert =
            Alert::new(
                AlertKind::SamNameSpoofing,
                if dc_name {
                    Severity::Critical
                } else {
                    Severity::High
                },
                ev,
            )
            .title(format!(
                "Computer account {old_name} renamed to {new_name} (noPac)"
            ))
            .target(old_name.clone())
            .description(format!(
            "{who} renamed the computer account {old_name} to {new_name}, without the `$` every \
             computer account name ends with{}. This is the first step of the noPac attack \
             (CVE-2021-42278/42287), which obtains a Kerberos ticket as a domain controller.",
            if dc_name { ", taking the name of a domain controller" } else { "" }
        ))
            .remediation(
                "Install the November 2021 (KB5008380) updates on every DC and enforce them; set \
             ms-DS-MachineAccountQuota to 0; disable the renamed computer account, and treat \
             the domain as compromised if a ticket was issued for the spoofed name.",
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

    fn rename(old: &str, new: &str) -> IdentityEvent {
        with(
            observed_by(
                ev(
                    0,
                    4781,
                    EventKind::AccountRenamed {
                        old_name: old.into(),
                        new_name: new.into(),
                    },
                ),
                "01566s-win16-ir.threebeesco.com",
            ),
            Some(acct("lgrove")),
            None,
            None,
        )
    }

    #[test]
    fn computer_renamed_to_the_dc_name_is_critical() {
        let alerts = run(
            Box::new(SamNameSpoofing),
            &[rename("DC012$", "01566s-win16-ir")],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::Critical);
    }

    #[test]
    fn ordinary_renames_are_benign() {
        let events = [
            rename("hacker42", "adminupn42"),
            rename("WS01$", "WS02$"),
            rename("Users", "Users"),
        ];
        assert!(run(Box::new(SamNameSpoofing), &events).is_empty());
    }
}
