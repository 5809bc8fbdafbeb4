//! Account manipulation (ATT&CK T1098): changes that weaken or backdoor identities, made by a
//! person rather than by the system.
//!
//! Evidence, each a separate finding:
//! - an account-control flag that weakens the account newly set (4738/4742 SAM flags):
//!   "password not required", "store password with reversible encryption", "use DES keys
//!   only", "do not require Kerberos pre-authentication" (AS-REP roasting prep);
//! - a service principal name added to a user account (4738 `ServicePrincipalNames`, 5136
//!   `servicePrincipalName` on a user: targeted Kerberoasting prep), or a non-standard SPN set
//!   on a computer by a user;
//! - an account created with an administrator-like name, a hidden user account (`name$` that
//!   is not a computer), or created and deleted again within the hour (4720/4726);
//! - an account renamed to an administrator-like name (4781);
//! - the DSRM administrator password set (4794);
//! - a principal added to a machine's local Administrators or Backup Operators group by a
//!   person (4732 outside DCs; on DCs it is `sensitive_group_change`), at high severity when the
//!   member is Guest or a service identity;
//! - an account adding itself to a group (4728/4732/4756 where member and actor are one), or
//!   one member added to [`MASS_GROUPS`] or more groups within ten minutes;
//! - the password of a domain controller's machine account reset by a person (4724: the
//!   clean-up step after Zerologon);
//! - `setspn -a/-s` run by a user (4688/Sysmon 1: SPN added from the command line);
//! - a direct write to an account's record in the SAM hive (Sysmon 13 on
//!   `HKLM\SAM\SAM\Domains\Account\Users\<RID>\F`: RID hijacking) by anything but lsass.
//!
//! Changes made by SYSTEM or a machine account (Windows setup creating the first user, a DC
//! maintaining its own objects) do not alert: that is how OS installation and provisioning look.
//! Password resets by helpdesk staff are ordinary and do not alert here.

use super::clip_to;
use crate::engine::{Context, Detector};
use crate::state::{KeyedWindows, RecentSet};
use chrono::Duration;
use rampart_core::wellknown::samr_uac;
use rampart_core::{
    Account, AccountType, Alert, AlertKind, ChangeOp, EventKind, IdentityEvent, Severity,
};

pub struct AccountManipulation {
    /// Accounts created recently, to notice a quick create-and-delete.
    created: RecentSet<String>,
    /// Groups a member was added to, by (actor, member).
    additions: KeyedWindows<String, (String, bool)>,
    /// What each actor manipulated within the hour.
    findings: KeyedWindows<String, Finding>,
}

/// Groups one member joins within ten minutes before it is a mass change.
pub const MASS_GROUPS: usize = 10;

impl Default for AccountManipulation {
    fn default() -> Self {
        AccountManipulation {
            created: RecentSet::new(Duration::hours(1), 50_000),
            additions: KeyedWindows::new(Duration::minutes(10), 20_000, 256),
            findings: KeyedWindows::new(Duration::hours(1), 20_000, 64),
        }
    }
}

/// SAM flags that weaken an account when turned on, with what they mean.
const WEAKENING_FLAGS: &[(u32, &str)] = &[
    (samr_uac::PASSWORD_NOT_REQUIRED, "password not required"),
    (
        samr_uac::ENCRYPTED_TEXT_PASSWORD_ALLOWED,
        "password stored with reversible encryption",
    ),
    (samr_uac::USE_DES_KEY_ONLY, "Kerberos DES keys only"),
    (
        samr_uac::DONT_REQUIRE_PREAUTH,
        "Kerberos pre-authentication not required (AS-REP roastable)",
    ),
];

/// SPN service classes Windows itself registers on computer accounts.
const STANDARD_COMPUTER_SPNS: &[&str] =
    &["host", "restrictedkrbhost", "termsrv", "wsman", "tapinego"];

impl Detector for AccountManipulation {
    fn name(&self) -> &'static str {
        "account_manipulation"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::AccountManipulation]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        if ev.outcome.is_failure() {
            return;
        }
        // RID hijacking writes the SAM hive from a SYSTEM process: judged by the writing image.
        if let EventKind::RegistryValueSet { key, image, .. } = &ev.kind {
            self.sam_hive_write(ev, key, image.as_deref(), cx);
            return;
        }
        let Some(actor) = &ev.actor else { return };
        if actor.is_machine() || actor.is_builtin_service() {
            return;
        }
        let target = ev.target.as_ref();
        let target_name = || {
            target
                .map(|t| t.to_string())
                .unwrap_or_else(|| "an account".into())
        };
        let mut summary_key: Option<String> = None;
        let finding: Option<(Severity, String)> = match &ev.kind {
            EventKind::AccountChanged {
                account_type,
                changes,
                old_uac,
                new_uac,
            } => {
                let mut found = Vec::new();
                if let (Some(old), Some(new)) = (old_uac, new_uac) {
                    for (flag, what) in WEAKENING_FLAGS {
                        if new & flag != 0 && old & flag == 0 {
                            found.push(what.to_string());
                        }
                    }
                }
                let spns = changes
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("ServicePrincipalNames"))
                    .map(|(_, v)| spn_list(v))
                    .unwrap_or_default();
                match account_type {
                    AccountType::User if !spns.is_empty() => {
                        found.push(format!("service principal names set ({})", spns.join(", ")));
                    }
                    AccountType::Computer => {
                        let odd: Vec<&String> = spns
                            .iter()
                            .filter(|s| !is_standard_computer_spn(s) && !is_dc_spn(s))
                            .collect();
                        if !odd.is_empty() {
                            found.push(format!(
                                "non-standard service principal names set ({})",
                                odd.iter()
                                    .map(|s| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        }
                    }
                    _ => {}
                }
                (!found.is_empty()).then(|| {
                    (
                        Severity::High,
                        format!("{actor} changed {}: {}", target_name(), found.join("; ")),
                    )
                })
            }
            EventKind::DirectoryChange {
                object,
                op: ChangeOp::ValueAdded,
                attribute: Some(attr),
                value,
                ..
            } if attr.eq_ignore_ascii_case("servicePrincipalName")
                && object
                    .class
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case("user")) =>
            {
                Some((
                    Severity::High,
                    format!(
                        "{actor} added the service principal name {} to the user {}",
                        value.as_deref().unwrap_or("?"),
                        object.dn.as_deref().unwrap_or("?")
                    ),
                ))
            }
            EventKind::AccountCreated { account_type } => {
                let t = target.map(|t| t.name.clone()).unwrap_or_default();
                if let Some(t) = target {
                    self.created.insert(t.key(), ev.time);
                }
                if *account_type == AccountType::User && t.ends_with('$') {
                    Some((
                        Severity::High,
                        format!(
                            "{actor} created the user {t}, hidden behind a computer-style `$` name"
                        ),
                    ))
                } else if *account_type == AccountType::User && admin_like(&t) {
                    Some((
                        Severity::Medium,
                        format!("{actor} created the account {t}, named like an administrator"),
                    ))
                } else {
                    None
                }
            }
            EventKind::AccountDeleted { .. } => target
                .filter(|t| self.created.contains(&t.key(), ev.time))
                .map(|t| {
                    (
                        Severity::Medium,
                        format!(
                            "{actor} created and deleted {t} within the hour: a throw-away account"
                        ),
                    )
                }),
            EventKind::AccountRenamed { old_name, new_name } => {
                let group = target
                    .and_then(|t| t.sid.as_deref())
                    .is_some_and(|s| s.starts_with("S-1-5-32-"));
                (!group
                    && !old_name.eq_ignore_ascii_case(new_name)
                    && admin_like(new_name)
                    && !admin_like(old_name))
                .then(|| {
                    (
                        Severity::Medium,
                        format!(
                            "{actor} renamed {old_name} to {new_name}, an administrator-like name"
                        ),
                    )
                })
            }
            EventKind::PasswordReset => target
                .filter(|t| {
                    t.is_machine()
                        && (cx.entities.is_dc_account(t)
                            || ev
                                .observer_short()
                                .is_some_and(|o| t.key().trim_end_matches('$') == o))
                })
                .map(|t| {
                    (
                        Severity::Critical,
                        format!(
                            "{actor} reset the password of the domain controller account {t}: \
                             a DC's machine password is only ever changed by the DC itself \
                             (this is how Zerologon exploitation is cleaned up or repeated)"
                        ),
                    )
                }),
            EventKind::ProcessCreated {
                image,
                command_line: Some(cmd),
                ..
            } if image.to_ascii_lowercase().ends_with("setspn.exe")
                || cmd
                    .to_ascii_lowercase()
                    .trim_start_matches('"')
                    .starts_with("setspn") =>
            {
                let c = format!(" {} ", cmd.to_ascii_lowercase());
                [" -a ", " -s ", " -u -s ", " /a ", " /s "]
                    .iter()
                    .any(|f| c.contains(f))
                    .then(|| {
                        (
                            Severity::Medium,
                            format!("{actor} added a service principal name from the command line: `{}`", clip_to(cmd, 160)),
                        )
                    })
            }
            EventKind::DsrmPasswordSet => Some((
                Severity::High,
                format!(
                    "{actor} set the Directory Services Restore Mode administrator password on {}",
                    ev.observer.as_deref().unwrap_or("a DC")
                ),
            )),
            EventKind::GroupMembershipChange {
                member,
                added: true,
                ..
            } => {
                let entities = cx.entities;
                self.membership(ev, actor, member.as_ref(), entities)
                    .map(|(sev, what, key)| {
                        summary_key = key;
                        (sev, what)
                    })
            }
            _ => None,
        };
        let Some((severity, what)) = finding else {
            return;
        };
        // All of one actor's manipulations within the hour are one alert, listing them.
        let finding_id =
            summary_key.unwrap_or_else(|| format!("{}#{}", ev.evidence.source, ev.evidence.record));
        let Some(items) = self.findings.push(
            actor.key(),
            ev.time,
            Finding {
                id: finding_id,
                what,
                severity,
                target: target.cloned(),
                evidence: ev.evidence.clone(),
            },
        ) else {
            return;
        };
        let mut latest: Vec<&Finding> = Vec::new();
        for (_, f) in items.iter() {
            match latest.iter().position(|g| g.id == f.id) {
                Some(i) => latest[i] = f,
                None => latest.push(f),
            }
        }
        let severity = latest.iter().map(|f| f.severity).max().unwrap_or(severity);
        let title = match latest.as_slice() {
            [one] => format!("Account manipulation: {}", clip_to(&one.what, 100)),
            many => format!("Account manipulation by {actor}: {} changes", many.len()),
        };
        let listed: Vec<String> = latest.iter().map(|f| f.what.clone()).collect();
        let mut alert = Alert::new(AlertKind::AccountManipulation, severity, ev)
            .title(title)
            .actor(actor, cx.entities.is_sensitive_account(actor))
            .description(format!(
                "{}. Changes like these weaken accounts or leave backdoor identities, and are a \
                 common persistence step after a compromise.",
                listed.join("; ")
            ))
            .remediation(
                "Confirm the changes with their owner. If they are not expected, revert them \
                 (flags, SPNs, group membership, accounts), reset the affected accounts' \
                 passwords, and review what else the acting account changed.",
            );
        for (t, f) in items.iter() {
            alert.add_evidence_ref(&f.evidence, *t);
            if let Some(target) = &f.target {
                alert = alert.target_account(target, cx.entities.is_sensitive_account(target));
            }
        }
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        cx.emit_summary(&actor.key(), alert);
    }
}

/// One manipulation found, kept for the actor's summary alert.
#[derive(Debug, Clone)]
struct Finding {
    /// Findings with the same id are one growing finding (a mass membership change).
    id: String,
    what: String,
    severity: Severity,
    target: Option<Account>,
    evidence: rampart_core::Evidence,
}

impl AccountManipulation {
    fn sam_hive_write(
        &mut self,
        ev: &IdentityEvent,
        key: &str,
        image: Option<&str>,
        cx: &mut Context<'_>,
    ) {
        let k = key.to_ascii_lowercase();
        let Some(rest) = k.split("\\sam\\sam\\domains\\account\\users\\").nth(1) else {
            return;
        };
        let mut parts = rest.split('\\');
        let (Some(rid_hex), Some(value)) = (parts.next(), parts.next()) else {
            return;
        };
        if rid_hex == "names" || !(value == "f" || value == "v") {
            return;
        }
        let img = image.unwrap_or("an unknown process");
        if img.to_ascii_lowercase().ends_with("\\lsass.exe") {
            return;
        }
        let rid = u32::from_str_radix(rid_hex, 16)
            .map(|r| r.to_string())
            .unwrap_or_else(|_| rid_hex.to_string());
        let host = ev.observer.as_deref().unwrap_or("a host");
        let mut alert = Alert::new(AlertKind::AccountManipulation, Severity::High, ev)
            .title(format!(
                "Account manipulation: SAM record of RID {rid} written directly on {host}"
            ))
            .target(format!("{host}: RID {rid}"))
            .description(format!(
                "{img} wrote the `{}` value of the local account with RID {rid} straight into the \
                 SAM registry hive on {host}. Only LSASS maintains these records; writing them \
                 directly is RID hijacking, which makes an account (often Guest) log on with \
                 another account's (often Administrator's) identity.",
                value.to_ascii_uppercase()
            ))
            .remediation(
                "Compare the account's RID in its F value with its real RID, disable the \
                 hijacked account, reset local account passwords, and find how SYSTEM rights \
                 were obtained on the host.",
            );
        if let Some(obs) = &ev.observer {
            alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
        }
        cx.emit(&format!("sam|{}|{rid}", host.to_ascii_lowercase()), alert);
    }

    fn membership(
        &mut self,
        ev: &IdentityEvent,
        actor: &Account,
        member: Option<&Account>,
        entities: &crate::entities::Entities,
    ) -> Option<(Severity, String, Option<String>)> {
        let group = ev.target.as_ref()?;
        if let Some(m) = member {
            if m.same_as(actor) && !m.name.is_empty() {
                return Some((
                    Severity::High,
                    format!("{actor} added itself to the group {}", group.name),
                    None,
                ));
            }
            let key = format!(
                "{}|{}",
                actor.key(),
                m.sid.clone().unwrap_or_else(|| m.key())
            );
            let privileged = entities.is_privileged_group(group);
            if let Some(items) =
                self.additions
                    .push(key.clone(), ev.time, (group.name.clone(), privileged))
            {
                let groups: std::collections::BTreeSet<&str> =
                    items.iter().map(|(_, (g, _))| g.as_str()).collect();
                // A burst that includes a privileged group is reported, once, by
                // sensitive_group_change: one attack, one alert.
                let any_privileged = items.iter().any(|(_, (_, p))| *p);
                if groups.len() >= MASS_GROUPS && !any_privileged {
                    return Some((
                        Severity::Medium,
                        format!(
                            "{actor} added {m} to {} groups within ten minutes ({})",
                            groups.len(),
                            groups.iter().copied().collect::<Vec<_>>().join(", ")
                        ),
                        Some(key),
                    ));
                }
            }
        }
        // Local admin-equivalent groups on member machines; DCs are sensitive_group_change.
        let local_admin = matches!(
            group.sid.as_deref(),
            Some("S-1-5-32-544") | Some("S-1-5-32-551")
        );
        if !local_admin || entities.observer_is_dc(ev) {
            return None;
        }
        let m = member?;
        let member_sid = m.sid.as_deref().unwrap_or("");
        let service_identity =
            matches!(member_sid, "S-1-5-20" | "S-1-5-19" | "S-1-5-7" | "S-1-1-0")
                || m.rid() == Some(501);
        let who = if m.name.starts_with("S-1-") {
            member_sid.to_string()
        } else {
            m.to_string()
        };
        Some((
            if service_identity {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "{actor} added {who} to the local {} group of {}{}",
                group.name,
                ev.observer.as_deref().unwrap_or("a host"),
                if service_identity {
                    " (a guest or service identity)"
                } else {
                    ""
                }
            ),
            None,
        ))
    }
}

fn spn_list(v: &str) -> Vec<String> {
    v.split(|c: char| c.is_whitespace() || c == ',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.starts_with("%%") && *s != "-")
        .map(str::to_string)
        .collect()
}

fn is_standard_computer_spn(spn: &str) -> bool {
    let class = spn.split('/').next().unwrap_or("").to_ascii_lowercase();
    STANDARD_COMPUTER_SPNS.contains(&class.as_str())
}

/// SPNs only DCs carry; `dcshadow` judges those.
fn is_dc_spn(spn: &str) -> bool {
    let s = spn.to_ascii_lowercase();
    s.starts_with("gc/") || s.starts_with("e3514235-4b06-11d1-ab04-00c04fc2dcd2/")
}

/// Names that impersonate an administrator: `admin`, `adm-x`, `x_adm`, `administrator2`, `root`.
fn admin_like(name: &str) -> bool {
    let n = name.trim_end_matches('$').to_ascii_lowercase();
    if n.contains("admin") || n == "root" {
        return true;
    }
    n.split(['-', '_', '.', ' '])
        .any(|part| matches!(part, "adm" | "da" | "ea" | "root"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use rampart_core::GroupScope;

    fn uac_change(actor: &str, old: u32, new: u32) -> IdentityEvent {
        with(
            ev(
                0,
                4738,
                EventKind::AccountChanged {
                    account_type: AccountType::User,
                    changes: vec![("UserAccountControl".into(), "%%2096".into())],
                    old_uac: Some(old),
                    new_uac: Some(new),
                },
            ),
            Some(acct(actor)),
            None,
            Some(acct("hack1")),
        )
    }

    #[test]
    fn weakening_flags_set_by_a_person_alert() {
        let alerts = run(
            Box::<AccountManipulation>::default(),
            &[uac_change("admmig", 0x210, 0x1_0210)],
        );
        assert_eq!(alerts.len(), 1);
        assert!(alerts[0].description.contains("pre-authentication"));
    }

    #[test]
    fn flags_cleared_or_changed_by_the_system_are_benign() {
        let events = [
            uac_change("admmig", 0x1_0210, 0x210),
            uac_change("SYSTEM", 0x210, 0x1_0210),
            uac_change("WIN-F0HKLEEGGT1$", 0x15, 0x14 | 0x4),
        ];
        assert!(run(Box::<AccountManipulation>::default(), &events).is_empty());
    }

    #[test]
    fn hidden_and_admin_like_accounts_alert_ordinary_ones_do_not() {
        let create = |name: &str| {
            with(
                ev(
                    0,
                    4720,
                    EventKind::AccountCreated {
                        account_type: AccountType::User,
                    },
                ),
                Some(acct("admmig")),
                None,
                Some(acct(name)),
            )
        };
        assert_eq!(
            run(
                Box::<AccountManipulation>::default(),
                &[create("3teamssixf$")]
            )
            .len(),
            1
        );
        assert_eq!(
            run(
                Box::<AccountManipulation>::default(),
                &[create("admin-kriss")]
            )
            .len(),
            1
        );
        assert!(run(Box::<AccountManipulation>::default(), &[create("jane.doe")]).is_empty());
        assert!(admin_like("adm_bsmith") && !admin_like("madison") && !admin_like("adamson"));
    }

    #[test]
    fn local_admin_additions_by_people_alert_not_by_setup() {
        let add = |actor: &str, member_sid: &str| {
            observed_by(
                with(
                    ev(
                        0,
                        4732,
                        EventKind::GroupMembershipChange {
                            member: Some(
                                Account::from_parts(None, None, Some(member_sid)).unwrap(),
                            ),
                            member_dn: None,
                            added: true,
                            scope: GroupScope::Local,
                        },
                    ),
                    Some(acct(actor)),
                    None,
                    Some(acct_sid("Administrators", "S-1-5-32-544")),
                ),
                "WS01",
            )
        };
        let alerts = run(
            Box::<AccountManipulation>::default(),
            &[add("IEUser", "S-1-5-20")],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::High);
        assert!(run(
            Box::<AccountManipulation>::default(),
            &[add("WIN-QALA5Q3KJ43$", "S-1-5-21-1-2-3-1000")]
        )
        .is_empty());
    }

    #[test]
    fn sam_hive_writes_alert_unless_lsass() {
        let write = |image: &str| {
            ev(
                0,
                13,
                EventKind::RegistryValueSet {
                    key: "HKLM\\SAM\\SAM\\Domains\\Account\\Users\\000001F5\\F".into(),
                    value: Some("Binary Data".into()),
                    image: Some(image.into()),
                },
            )
        };
        let alerts = run(
            Box::<AccountManipulation>::default(),
            &[write(
                "C:\\Windows\\Microsoft.NET\\Framework\\v4.0.30319\\MSBuild.exe",
            )],
        );
        assert_eq!(alerts.len(), 1);
        assert!(alerts[0].title.contains("RID 501"));
        assert!(run(
            Box::<AccountManipulation>::default(),
            &[write("C:\\Windows\\system32\\lsass.exe")]
        )
        .is_empty());
    }

    #[test]
    fn dc_machine_password_reset_by_a_person_is_critical() {
        let reset = |target: &str| {
            observed_by(
                with(
                    ev(0, 4724, EventKind::PasswordReset),
                    Some(acct("Administrator")),
                    None,
                    Some(acct(target)),
                ),
                "01566s-win16-ir.threebeesco.com",
            )
        };
        let alerts = run(
            Box::<AccountManipulation>::default(),
            &[reset("01566S-WIN16-IR$")],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::Critical);
        assert!(run(Box::<AccountManipulation>::default(), &[reset("bob")]).is_empty());
    }
}
