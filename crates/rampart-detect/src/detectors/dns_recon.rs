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
//! Deliberately not alerted: completed transfers (6001): the server only completes them to the
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
        let EventKind::DnsZoneTransfer {
            zone,
            refused: true,
        } = &ev.kind
        else {
            return;
        };
        let Some(src) = &ev.source else { return };
        if src.is_loopback() || cx.entities.is_dc_host(src) {
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
                "{src} asked {server} for a full transfer of the zone {zone_text} and was \
                 refused. Clients never request zone transfers; a zone transfer lists every host \
                 of the domain, which is why attackers try it first when they map a network."
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
}
