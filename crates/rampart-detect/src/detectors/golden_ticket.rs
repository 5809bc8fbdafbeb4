//! Golden ticket (ATT&CK T1558.001): a TGT forged with the krbtgt key (mimikatz
//! `kerberos::golden`, impacket `ticketer`), presented to the KDC to get service tickets as any
//! user, even one that does not exist.
//!
//! Evidence in event logs: [`EventKind::KerberosServiceTicket`] (4769) whose client realm is not
//! the canonical upper-case realm a Windows KDC writes into the TGTs it issues. Forging tools
//! copy the realm as typed on their command line (`/domain:corp.local`), so a service ticket
//! for `user@corp.local` shows a TGT the KDC never issued. (The network sensor adds the other
//! evidence: TGS requests for TGTs never seen issued, forged lifetimes, RC4 TGTs in an AES
//! domain.)

use crate::engine::{Context, Detector};
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct GoldenTicket;

impl Detector for GoldenTicket {
    fn name(&self) -> &'static str {
        "golden_ticket"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::GoldenTicket]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::KerberosServiceTicket {
            status: 0, service, ..
        } = &ev.kind
        else {
            return;
        };
        // Only Windows KDC auditing (4769) writes the client realm this way.
        if ev.evidence.event_id != Some(4769) || ev.outcome.is_failure() {
            return;
        }
        let Some(actor) = &ev.actor else { return };
        let Some(realm) = actor.domain.as_deref() else {
            return;
        };
        let dns_realm = realm.contains('.');
        let lower = realm.chars().any(|c| c.is_ascii_lowercase());
        if !(dns_realm && lower) {
            return;
        }
        let mut alert = Alert::new(AlertKind::GoldenTicket, Severity::Critical, ev)
            .title(format!("Golden ticket: forged TGT used as {actor}"))
            .actor(actor, cx.entities.is_sensitive_account(actor))
            .target(service.clone())
            .description(format!(
                "A service ticket for {service} was issued to {actor} on the strength of a TGT \
                 whose realm reads `{realm}`: a Windows KDC writes realms in upper case into the \
                 TGTs it issues, so this TGT was not issued by it but forged with the krbtgt key. \
                 Whoever holds the krbtgt key can be any user of the domain."
            ))
            .remediation(
                "Treat the krbtgt key as stolen: reset the krbtgt password twice (with \
                 replication in between), find how it was obtained (DCSync, NTDS.dit theft), \
                 and investigate the source host and everything the forged identity touched.",
            );
        if let Some(src) = &ev.source {
            alert = alert.source(src);
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, true);
        }
        cx.emit(&actor.key(), alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::Account;

    fn tgs(user: &str) -> IdentityEvent {
        with(
            ev(
                0,
                4769,
                EventKind::KerberosServiceTicket {
                    status: 0,
                    service: "ROOTDC1$".into(),
                    service_sid: None,
                    ticket_etype: Some(0x12),
                    ticket_options: Some(0x4081_0000),
                    wire: None,
                },
            ),
            Account::parse(user),
            Some(ip("10.23.23.9")),
            None,
        )
    }

    #[test]
    fn lower_case_realm_in_a_service_ticket_alerts() {
        let alerts = run(
            Box::new(GoldenTicket),
            &[tgs("gold-non-existing-user@offsec.lan")],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::GoldenTicket);
    }

    #[test]
    fn tickets_from_real_tgts_are_benign() {
        let events = [
            tgs("pgustavo@THESHIRE.LOCAL"),
            tgs("ROOTDC1$@OFFSEC.LAN"),
            tgs("CORP\\jdoe"),
        ];
        assert!(run(Box::new(GoldenTicket), &events).is_empty());
    }
}
