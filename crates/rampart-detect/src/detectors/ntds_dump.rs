//! NTDS.dit extraction (ATT&CK T1003.003): copying the directory database of a domain
//! controller, which holds the password hashes of every account in the domain (krbtgt
//! included), to crack or replay them offline: `ntdsutil "ac i ntds" ifm "create full …"`,
//! shadow copies (`vssadmin create shadow`, `diskshadow /s`, `wmic shadowcopy call create`,
//! `ntdsutil snapshot`) followed by a copy of `ntds.dit`, `esentutl /y /vss`.
//!
//! Evidence, on the DC:
//! - the database engine creating a new `ntds.dit` (Application ESENT 325: IFM media and offline
//!   copies are created this way), or opening one from a snapshot (ESENT 325/326/327 on a path in
//!   a shadow copy: `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopyN\…`, `C:\$SNAP_…`);
//! - commands that make or read such copies (4688, Sysmon 1): `ntdsutil` with `ifm` or
//!   `snapshot … create|mount`, a command naming `ntds.dit` together with a copy tool or a
//!   shadow copy path, and shadow copy creation (`vssadmin create shadow`, `wmic shadowcopy`,
//!   `Win32_ShadowCopy … Create`, `diskshadow` running a script), which is high severity on a
//!   known DC and medium elsewhere;
//! - a file named `ntds.dit` written outside an `NTDS` folder (Sysmon 11).
//!
//! Deliberately not alerted: the live database being attached and detached as the DC starts
//! and stops (ESENT 326/327 on the `NTDS` folder), the database engine noticing a location
//! change (ESENT 216, which backups can cause too), and backup software using the shadow copy
//! service through its API rather than these tools. A planned IFM to promote a new DC looks the
//! same as theft and is worth confirming.

use super::{clipped, exe_name};
use crate::engine::{Context, Detector};
use rampart_core::{Alert, AlertKind, EseDatabaseOp, EventKind, IdentityEvent, Severity};

pub struct NtdsDump;

impl Detector for NtdsDump {
    fn name(&self) -> &'static str {
        "ntds_dump"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::NtdsDump]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        let on_dc = || cx.entities.observer_is_dc(ev);
        let Some((severity, what)) = finding(ev, on_dc) else {
            return;
        };
        let host = ev
            .observer
            .clone()
            .unwrap_or_else(|| "the host".to_string());
        let mut alert = Alert::new(AlertKind::NtdsDump, severity, ev)
            .title(format!(
                "Directory database (NTDS.dit) extraction on {host}"
            ))
            .target(format!("ntds.dit on {host}"))
            .description(format!(
                "On {host}, {what}{}. NTDS.dit holds the password hashes of every account of the \
                 domain, krbtgt's included: a copy of it gives its holder the whole domain, \
                 offline and without further alerts.",
                ev.actor
                    .as_ref()
                    .filter(|a| !a.is_builtin_service())
                    .map(|a| format!(", as {a}"))
                    .unwrap_or_default()
            ))
            .remediation(
                "Confirm with the account's owner whether this was a planned install-from-media \
                 or backup. If not, find and destroy the copies (and the SYSTEM hive saved with \
                 them), then treat every domain credential as exposed: reset krbtgt twice, reset \
                 privileged and service account passwords, and hunt for their use.",
            );
        if let Some(actor) = ev.actor.as_ref().filter(|a| !a.is_builtin_service()) {
            alert = alert.actor(actor, cx.entities.is_sensitive_account(actor));
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        cx.emit(&format!("ntds:{}", host.to_ascii_lowercase()), alert);
    }
}

/// What `ev` shows of an NTDS.dit copy, if anything; `on_dc` says whether it was recorded on a
/// domain controller (asked only when it matters).
fn finding(ev: &IdentityEvent, on_dc: impl Fn() -> bool) -> Option<(Severity, String)> {
    match &ev.kind {
        EventKind::EseDatabase { op, path, .. } => {
            if exe_name(path) != "ntds.dit" {
                return None;
            }
            let snapshot = in_snapshot(path);
            match op {
                EseDatabaseOp::Created => Some((
                    Severity::High,
                    format!(
                        "the database engine created a new directory database at {path}, as \
                         ntdsutil IFM and offline copies do"
                    ),
                )),
                EseDatabaseOp::Attached | EseDatabaseOp::Detached if snapshot => Some((
                    Severity::High,
                    format!("the directory database was opened from a shadow copy ({path})"),
                )),
                _ => None,
            }
        }
        EventKind::ProcessCreated {
            image,
            command_line,
            ..
        } => {
            let cmd = command_line.as_deref().unwrap_or(image);
            command_finding(image, cmd, on_dc).map(|(sev, why)| {
                (
                    sev,
                    format!("the command `{}` was run ({why})", clipped(cmd)),
                )
            })
        }
        EventKind::FileCreated { path, image } => {
            let p = path.to_ascii_lowercase();
            (exe_name(path) == "ntds.dit" && !p.contains("\\ntds\\ntds.dit")).then(|| {
                (
                    Severity::High,
                    format!(
                        "a copy of the directory database was written to {path}{}",
                        image
                            .as_deref()
                            .map(|i| format!(" by {i}"))
                            .unwrap_or_default()
                    ),
                )
            })
        }
        _ => None,
    }
}

/// What a command line does towards a copy of NTDS.dit, if anything.
fn command_finding(
    image: &str,
    cmd: &str,
    on_dc: impl Fn() -> bool,
) -> Option<(Severity, &'static str)> {
    let lower = cmd.to_ascii_lowercase();
    let name = exe_name(image);
    // Every finding below needs one of these words in the command line or the program's name:
    // most command lines have none and need no further look.
    let named = matches!(&*name, "ntdsutil.exe" | "vssadmin.exe" | "diskshadow.exe");
    if !named && !lower.contains("ntds") && !lower.contains("shadow") {
        return None;
    }
    let c = squash(&lower);
    let ntdsutil = name == "ntdsutil.exe" || c.contains("ntdsutil");
    if ntdsutil && c.contains("ifm") {
        return Some((
            Severity::High,
            "ntdsutil install-from-media: a full copy of NTDS.dit and the SYSTEM hive",
        ));
    }
    if ntdsutil && c.contains("snapshot") && (c.contains("create") || c.contains("mount")) {
        return Some((
            Severity::High,
            "an Active Directory snapshot created or mounted with ntdsutil",
        ));
    }
    if c.contains("ntds.dit") {
        let copy = [
            "copy",
            "robocopy",
            "esentutl",
            "copy-item",
            "ninjacopy",
            "/vss",
        ]
        .iter()
        .any(|t| c.contains(t))
            || c.contains("harddiskvolumeshadowcopy");
        if copy {
            return Some((Severity::High, "a copy of NTDS.dit"));
        }
    }
    let vssadmin = (name == "vssadmin.exe" || c.contains("vssadmin"))
        && c.contains("create")
        && c.contains("shadow");
    let wmi = c.contains("shadowcopy") && c.contains("create");
    let diskshadow_script = (name == "diskshadow.exe" || c.contains("diskshadow"))
        && (c.contains(" /s") || c.contains(" -s "));
    let shadow = vssadmin || wmi || diskshadow_script;
    if shadow {
        return Some(if on_dc() {
            (
                Severity::High,
                "a shadow copy created on a domain controller, which exposes NTDS.dit to copying",
            )
        } else {
            (
                Severity::Medium,
                "a shadow copy created with an administration tool; on a domain controller it \
                 exposes NTDS.dit to copying",
            )
        });
    }
    None
}

/// A path inside a volume shadow copy or an ntdsutil snapshot mount.
fn in_snapshot(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    p.contains("harddiskvolumeshadowcopy") || p.contains("$snap_")
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use serde_json::json;

    fn cmd(secs: i64, image: &str, line: &str) -> IdentityEvent {
        let kind = serde_json::from_value(json!({
            "type": "process_created",
            "image": image,
            "command_line": line,
        }))
        .expect("a valid event kind");
        with(ev(secs, 4688, kind), Some(acct("admmig")), None, None)
    }

    fn ese(op: EseDatabaseOp, path: &str) -> IdentityEvent {
        ev(
            0,
            325,
            EventKind::EseDatabase {
                op,
                path: path.into(),
                instance: Some("NTDS".into()),
                previous_path: None,
            },
        )
    }

    #[test]
    fn ifm_and_database_copies_alert() {
        let events = [
            cmd(
                0,
                "C:\\Windows\\System32\\ntdsutil.exe",
                "ntdsutil \"activate instance ntds\" ifm \"create full c:\\hacker\" quit quit",
            ),
            ese(
                EseDatabaseOp::Created,
                "c:\\hacker\\Active Directory\\ntds.dit",
            ),
            ese(
                EseDatabaseOp::Detached,
                "C:\\$SNAP_202106051936_VOLUMEC$\\Windows\\NTDS\\ntds.dit",
            ),
            cmd(
                3,
                "C:\\Windows\\System32\\cmd.exe",
                "cmd /c copy \\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1\\Windows\\NTDS\\ntds.dit C:\\temp\\",
            ),
        ];
        let alerts = run(Box::new(NtdsDump), &events);
        assert_eq!(alerts.len(), 1, "one per DC");
        assert_eq!(alerts[0].count, 4);
        assert_eq!(alerts[0].severity, Severity::High);
        assert_eq!(alerts[0].actor.as_deref(), Some("CORP\\admmig"));
    }

    #[test]
    fn shadow_copy_tools_alert_with_medium_severity_off_a_known_dc() {
        let e = cmd(
            0,
            "C:\\Windows\\System32\\diskshadow.exe",
            "diskshadow.exe  /s shadow.txt",
        );
        let alerts = run(Box::new(NtdsDump), &[e]);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::Medium);
    }

    #[test]
    fn live_database_and_ordinary_tools_are_benign() {
        let events = [
            ese(EseDatabaseOp::Attached, "C:\\Windows\\NTDS\\ntds.dit"),
            ese(EseDatabaseOp::Detached, "C:\\Windows\\NTDS\\ntds.dit"),
            ese(
                EseDatabaseOp::Created,
                "C:\\ProgramData\\Microsoft\\Search\\Data\\Applications\\Windows\\Windows.edb",
            ),
            cmd(
                1,
                "C:\\Windows\\System32\\ntdsutil.exe",
                "ntdsutil \"metadata cleanup\" quit",
            ),
            cmd(
                2,
                "C:\\Windows\\System32\\vssadmin.exe",
                "vssadmin list shadows",
            ),
            cmd(3, "C:\\Windows\\System32\\diskshadow.exe", "diskshadow"),
            ev(
                4,
                11,
                EventKind::FileCreated {
                    path: "D:\\NTDS\\ntds.dit".into(),
                    image: Some("C:\\Windows\\System32\\lsass.exe".into()),
                },
            ),
        ];
        assert!(run(Box::new(NtdsDump), &events).is_empty());
    }
}
