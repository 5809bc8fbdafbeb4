//! DNS reconnaissance by zone transfer (ATT&CK T1018): asking a DNS server for a full copy of
//! a zone (AXFR, `dig axfr`, `nslookup ls -d`, dnsrecon, fierce) lists every host name of the
//! domain in one request.
//!
//! Evidence: the DNS server refusing a zone transfer (DNS Server 6004,
//! `DNS_EVENT_BAD_ZONE_TRANSFER_REQUEST`) to a requester that is not a known domain controller.
//! Clients never ask for zone transfers; only secondary DNS servers do, and a secondary the
//! server is configured for is not refused. Every refused zone from one requester joins one
//! alert.
//!
//! On the wire (a captured AXFR/IXFR query), the request itself is the evidence, answered or
//! not: a sensor sees what a client asked, and a client that is not a DC has no business asking
//! for a zone (Samba's DNS answers AXFR with the SOA alone; an open Windows server would send
//! the whole zone). The zone and, when the server answered with an error, the refusal are named.
//!
//! Deliberately not alerted: completed transfers in the DNS server's log (6001): the server only completes them to the
//! servers its zone settings allow, so they record that configuration working (whether zone
//! transfers are open to any server is a posture question, not an event); and refusals to
//! known DCs (a replication partner with a stale configuration).

use crate::engine::{Context, Detector};
use rampart_core::{Alert, AlertKind, EventKind, IdentityEvent, Severity};

pub struct DnsRecon;

impl Detector for DnsRecon {
    fn name(&self) -> &'static str {
        "dns_recon"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::DnsRecon]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let EventKind::DnsZoneTransfer { zone, refused } = &ev.kind else {
            return;
        };
        let captured = ev.is_captured();
        if !refused && !captured {
            return;
        }
        let Some(src) = &ev.source else { return };
        if ev.source_is_local() || cx.entities.is_dc_host(src) {
            return;
        }
        let server = ev.observer.as_deref().unwrap_or("the DNS server");
        let zone = zone.trim_end_matches('.');
        let zone_text = if zone.is_empty() { "a zone" } else { zone };
        let mut alert = Alert::new(AlertKind::DnsRecon, Severity::Medium, ev)
            .title(format!("DNS zone transfer attempt from {src}"))
            .source(src)
            .target(format!("zone {zone_text} on {server}"))
            .description(format!(
                "{src} asked {server} for a full transfer of the zone {zone_text}{}. Clients \
                 never request zone transfers; a zone transfer lists every host of the domain, \
                 which is why attackers try it first when they map a network.",
                if *refused {
                    " and was refused"
                } else {
                    " (seen on the wire)"
                }
            ))
            .remediation(
                "Find what runs on the requesting host. Keep zone transfers limited to the \
                 servers listed on the zone's Name Servers tab (or disabled for AD-integrated \
                 zones), and check whether other DNS servers answered the same request.",
            );
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        cx.emit(&src.key(), alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, EngineConfig};
    use crate::entities::EntityConfig;
    use crate::testutil::*;

    fn xfr(secs: i64, from: &str, zone: &str, refused: bool) -> IdentityEvent {
        with(
            ev(
                secs,
                if refused { 6004 } else { 6001 },
                EventKind::DnsZoneTransfer {
                    zone: zone.into(),
                    refused,
                },
            ),
            None,
            Some(ip(from)),
            None,
        )
    }

    #[test]
    fn refused_transfers_from_one_host_join_one_alert() {
        let events = [
            xfr(0, "10.23.23.9", "non-existing.lan.", true),
            xfr(8, "10.23.23.9", "google.com.", true),
            xfr(25, "10.23.23.9", "hacking-zone.lan.", true),
        ];
        let alerts = run(Box::new(DnsRecon), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].count, 3);
        assert_eq!(alerts[0].targets.len(), 3);
        assert_eq!(alerts[0].source_host.as_deref(), Some("10.23.23.9"));
    }

    #[test]
    fn completed_transfers_and_dc_partners_are_benign() {
        let config = EngineConfig {
            entities: EntityConfig {
                domain_controllers: vec!["10.0.0.11".into()],
                ..EntityConfig::default()
            },
            ..EngineConfig::default()
        };
        let mut engine = Engine::with_detectors(&config, vec![Box::new(DnsRecon)]);
        for e in [
            xfr(0, "10.0.0.50", "corp.local", false),
            xfr(1, "10.0.0.11", "corp.local", true),
            xfr(2, "127.0.0.1", "corp.local", true),
        ] {
            engine.process(&e);
        }
        assert!(engine.finish().is_empty());
    }

    fn captured_xfr(secs: i64, server: &str, client: &str, zone: &str) -> IdentityEvent {
        wire(
            secs,
            server,
            client,
            EventKind::DnsZoneTransfer {
                zone: zone.into(),
                refused: false,
            },
        )
    }

    #[test]
    fn a_captured_transfer_request_from_a_client_alerts_even_when_answered() {
        let alerts = run(
            Box::new(DnsRecon),
            &[
                captured_xfr(0, "127.0.0.2", "127.0.0.1", "rampart.lab"),
                captured_xfr(1, "127.0.0.2", "127.0.0.1", "_msdcs.rampart.lab"),
            ],
        );
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].count, 2);
        assert_eq!(alerts[0].source_host.as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn captured_transfers_between_dcs_and_from_the_server_itself_are_benign() {
        let kdc_reply = |secs, server: &str| {
            let mut e = wire(
                secs,
                server,
                "10.0.0.50",
                EventKind::KerberosTgtRequest {
                    status: 0,
                    preauth_type: Some(2),
                    ticket_etype: Some(18),
                    ticket_options: None,
                    wire: Some(Box::new(rampart_core::KerberosWire {
                        answered: true,
                        ..Default::default()
                    })),
                },
            );
            e.actor = Some(acct("alice"));
            e
        };
        let alerts = run(
            Box::new(DnsRecon),
            &[
                // 10.0.0.11 answers Kerberos: a DC, and its zone transfers from 10.0.0.10 are
                // replication between DNS servers once 10.0.0.10 is known as a DC too.
                kdc_reply(0, "10.0.0.11"),
                kdc_reply(1, "10.0.0.10"),
                captured_xfr(2, "10.0.0.10", "10.0.0.11", "corp.local"),
                captured_xfr(3, "10.0.0.10", "10.0.0.10", "corp.local"),
            ],
        );
        assert!(alerts.is_empty(), "{alerts:?}");
    }
}
