//! Sysmon (Microsoft-Windows-Sysmon/Operational). Sysmon's ids overlap other logs' (1, 3, 10…),
//! so this mapper is only reached for the Sysmon channel or provider. Sysmon 1 is in
//! [`super::process`].
//!
//! | id | becomes |
//! |----|---------|
//! | 3  | [`EventKind::NetworkConnection`] (`Image`, `DestinationHostname`/`DestinationIp`, `DestinationPort`, `SourcePort`, `Initiated`); source = `SourceHostname`/`SourceIp` |
//! | 10 | [`EventKind::ProcessAccess`] (`SourceImage` opened `TargetImage` with `GrantedAccess`); actor = `SourceUser` |
//! | 11 | [`EventKind::FileCreated`] (`TargetFilename`, `Image`) |
//! | 13 | [`EventKind::RegistryValueSet`] (`TargetObject` = `Details`, `Image`) |
//! | 17 | [`EventKind::PipeEvent`] created (`PipeName`, `Image`) |
//! | 18 | [`EventKind::PipeEvent`] connected |
//!
//! The actor is the event's `User` (`DOMAIN\name`, Sysmon 10.x and later) when present.

use super::one;
use crate::winevent::WinEvent;
use rampart_core::{Account, EventKind, Host, IdentityEvent};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    let text = |n: &str| ev.value(n).unwrap_or_default().to_string();
    let mut source = None;
    let mut user = ev.value("User");
    let kind = match ev.event_id {
        3 => {
            source = Host::from_parts(ev.get("SourceHostname"), ev.get("SourceIp"));
            EventKind::NetworkConnection {
                image: ev.string("Image"),
                destination: Host::from_parts(
                    ev.get("DestinationHostname"),
                    ev.get("DestinationIp"),
                ),
                destination_port: ev.value("DestinationPort").and_then(|p| p.parse().ok()),
                source_port: ev.value("SourcePort").and_then(|p| p.parse().ok()),
                initiated: ev.value("Initiated").and_then(|v| {
                    match v.to_ascii_lowercase().as_str() {
                        "true" | "1" => Some(true),
                        "false" | "0" => Some(false),
                        _ => None,
                    }
                }),
            }
        }
        10 => {
            user = ev.value("SourceUser");
            EventKind::ProcessAccess {
                source_image: text("SourceImage"),
                target_image: text("TargetImage"),
                access: ev.string("GrantedAccess"),
            }
        }
        11 => EventKind::FileCreated {
            path: text("TargetFilename"),
            image: ev.string("Image"),
        },
        13 => EventKind::RegistryValueSet {
            key: text("TargetObject"),
            value: ev.string("Details"),
            image: ev.string("Image"),
        },
        17 | 18 => EventKind::PipeEvent {
            pipe: text("PipeName"),
            created: ev.event_id == 17,
            image: ev.string("Image"),
        },
        _ => return None,
    };
    let mut e = ev.identity_event(src, kind);
    e.actor = user.and_then(Account::parse);
    e.source = source;
    one(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::event;

    fn sysmon(id: u32, data: &[(&str, &str)]) -> Vec<IdentityEvent> {
        let ev = event(
            id,
            "Microsoft-Windows-Sysmon",
            "Microsoft-Windows-Sysmon/Operational",
            data,
        );
        map(&ev, &Arc::from("x")).unwrap()
    }

    #[test]
    fn network_connection() {
        let e = &sysmon(
            3,
            &[
                ("Image", "C:\\Windows\\System32\\spoolsv.exe"),
                ("User", "NT AUTHORITY\\SYSTEM"),
                ("SourceIp", "10.0.0.10"),
                ("SourceHostname", "DC01.corp.local"),
                ("DestinationIp", "10.0.0.66"),
                ("DestinationHostname", "-"),
                ("DestinationPort", "445"),
                ("SourcePort", "62733"),
                ("Initiated", "true"),
            ],
        )[0];
        match &e.kind {
            EventKind::NetworkConnection {
                destination,
                destination_port,
                source_port,
                initiated,
                ..
            } => {
                assert_eq!(destination.as_ref().unwrap().key(), "10.0.0.66");
                assert_eq!(*destination_port, Some(445));
                assert_eq!(*source_port, Some(62733));
                assert_eq!(*initiated, Some(true));
            }
            k => panic!("unexpected {k:?}"),
        }
        assert_eq!(e.source.as_ref().unwrap().key(), "10.0.0.10");
        assert_eq!(e.actor.as_ref().unwrap().name, "SYSTEM");
    }

    #[test]
    fn process_access_file_registry_pipes() {
        let e = &sysmon(
            10,
            &[
                ("SourceImage", "C:\\x\\mimikatz.exe"),
                ("TargetImage", "C:\\Windows\\system32\\lsass.exe"),
                ("GrantedAccess", "0x1010"),
                ("SourceUser", "CORP\\bob"),
            ],
        )[0];
        assert_eq!(
            e.kind,
            EventKind::ProcessAccess {
                source_image: "C:\\x\\mimikatz.exe".into(),
                target_image: "C:\\Windows\\system32\\lsass.exe".into(),
                access: Some("0x1010".into())
            }
        );
        assert_eq!(e.actor.as_ref().unwrap().name, "bob");
        assert_eq!(
            sysmon(11, &[("TargetFilename", "C:\\a.dmp")])[0].kind,
            EventKind::FileCreated {
                path: "C:\\a.dmp".into(),
                image: None
            }
        );
        assert_eq!(
            sysmon(13, &[("TargetObject", "HKLM\\SAM")])[0].kind.name(),
            "registry_value_set"
        );
        match &sysmon(18, &[("PipeName", "\\PSEXESVC")])[0].kind {
            EventKind::PipeEvent { pipe, created, .. } => {
                assert_eq!(pipe, "\\PSEXESVC");
                assert!(!created);
            }
            k => panic!("unexpected {k:?}"),
        }
    }
}
