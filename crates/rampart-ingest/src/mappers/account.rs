//! User and computer account management (Security log). The actor is always the `Subject*`
//! account (who did it), the target the `Target*` account (to whom).
//!
//! | id   | becomes |
//! |------|---------|
//! | 4720 | [`EventKind::AccountCreated`] (user) |
//! | 4722 | [`EventKind::AccountEnabled`] |
//! | 4723 | [`EventKind::PasswordChange`] (own password) |
//! | 4724 | [`EventKind::PasswordReset`] (someone else's) |
//! | 4725 | [`EventKind::AccountDisabled`] |
//! | 4726 | [`EventKind::AccountDeleted`] (user) |
//! | 4738 | [`EventKind::AccountChanged`] (user): `changes` = the changeable attributes whose value is not `-`; `old_uac`/`new_uac` from `OldUacValue`/`NewUacValue` |
//! | 4740 | [`EventKind::AccountLockedOut`]: target = the locked account (`TargetUserName`/`TargetSid`), source = the caller machine (written in `TargetDomainName`) |
//! | 4741 | [`EventKind::AccountCreated`] (computer) |
//! | 4742 | [`EventKind::AccountChanged`] (computer), as 4738 plus `DnsHostName`, `ServicePrincipalNames`, … |
//! | 4743 | [`EventKind::AccountDeleted`] (computer) |
//! | 4765 | [`EventKind::SidHistoryAdded`] with `SidList` (or `SourceSid`) |
//! | 4766 | [`EventKind::SidHistoryAdded`], outcome `Failure(0)` (the attempt failed) |
//! | 4767 | [`EventKind::AccountChanged`] (user) with the change `AccountUnlocked` |
//! | 4781 | [`EventKind::AccountRenamed`] `OldTargetUserName` → `NewTargetUserName`; target = the new name |
//! | 4794 | [`EventKind::DsrmPasswordSet`], outcome `Failure(Status)` when `Status` is not 0 |

use super::one;
use crate::winevent::{squash_whitespace, WinEvent};
use rampart_core::{Account, AccountType, EventKind, Host, IdentityEvent, Outcome};
use std::sync::Arc;

/// The attributes 4738/4742 report, each `-` when it did not change.
pub const CHANGEABLE_ATTRIBUTES: &[&str] = &[
    "SamAccountName",
    "DisplayName",
    "UserPrincipalName",
    "HomeDirectory",
    "HomePath",
    "ScriptPath",
    "ProfilePath",
    "UserWorkstations",
    "PasswordLastSet",
    "AccountExpires",
    "PrimaryGroupId",
    "AllowedToDelegateTo",
    "OldUacValue",
    "NewUacValue",
    "UserAccountControl",
    "UserParameters",
    "SidHistory",
    "LogonHours",
    "DnsHostName",
    "ServicePrincipalNames",
    "ComputerAccountChange",
];

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    use AccountType::{Computer, User};
    let mut outcome = Outcome::Success;
    let mut target = ev.account("Target");
    let mut source = None;
    let kind = match ev.event_id {
        4720 => EventKind::AccountCreated { account_type: User },
        4741 => EventKind::AccountCreated {
            account_type: Computer,
        },
        4726 => EventKind::AccountDeleted { account_type: User },
        4743 => EventKind::AccountDeleted {
            account_type: Computer,
        },
        4722 => EventKind::AccountEnabled,
        4725 => EventKind::AccountDisabled,
        4723 => EventKind::PasswordChange,
        4724 => EventKind::PasswordReset,
        4738 => changed(ev, User),
        4742 => changed(ev, Computer),
        4740 => {
            // TargetDomainName holds the caller computer, not a domain.
            target = Account::from_parts(ev.get("TargetUserName"), None, ev.get("TargetSid"));
            source = Host::from_parts(ev.get("TargetDomainName"), None);
            EventKind::AccountLockedOut
        }
        4765 | 4766 => {
            if ev.event_id == 4766 {
                outcome = Outcome::Failure(0);
            }
            let sid_history = ev
                .value("SidList")
                .or_else(|| ev.value("SourceSid"))
                .map(squash_whitespace)
                .unwrap_or_default();
            EventKind::SidHistoryAdded { sid_history }
        }
        4767 => EventKind::AccountChanged {
            account_type: User,
            changes: vec![("AccountUnlocked".to_string(), "true".to_string())],
            old_uac: None,
            new_uac: None,
        },
        4781 => {
            let old_name = ev
                .value("OldTargetUserName")
                .unwrap_or_default()
                .to_string();
            let new_name = ev
                .value("NewTargetUserName")
                .unwrap_or_default()
                .to_string();
            target = Account::from_parts(
                Some(new_name.as_str()),
                ev.get("TargetDomainName"),
                ev.get("TargetSid"),
            );
            EventKind::AccountRenamed { old_name, new_name }
        }
        4794 => {
            if let Some(status) = ev.get_u32("Status").filter(|s| *s != 0) {
                outcome = Outcome::Failure(status);
            }
            EventKind::DsrmPasswordSet
        }
        _ => return None,
    };
    let mut e = ev.identity_event(src, kind);
    e.actor = ev.account("Subject");
    e.target = target;
    e.source = source;
    e.outcome = outcome;
    one(e)
}

/// A 4738/4742: the attributes whose value is not `-`.
fn changed(ev: &WinEvent, account_type: AccountType) -> EventKind {
    let changes = CHANGEABLE_ATTRIBUTES
        .iter()
        .filter_map(|name| {
            let v = ev.get(name)?.trim();
            (!v.is_empty() && v != "-").then(|| (name.to_string(), squash_whitespace(v)))
        })
        .collect();
    EventKind::AccountChanged {
        account_type,
        changes,
        old_uac: ev.get_u32("OldUacValue"),
        new_uac: ev.get_u32("NewUacValue"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::security;
    use rampart_core::wellknown::uac;

    fn src() -> Arc<str> {
        Arc::from("t.evtx")
    }

    fn subject_target(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut v = vec![
            ("SubjectUserSid", "S-1-5-21-1-2-3-500"),
            ("SubjectUserName", "Administrator"),
            ("SubjectDomainName", "OFFSEC"),
            ("TargetUserName", "jdoe"),
            ("TargetDomainName", "OFFSEC"),
            ("TargetSid", "S-1-5-21-1-2-3-1105"),
        ];
        v.extend_from_slice(extra);
        v
    }

    #[test]
    fn simple_management_events() {
        for (id, name) in [
            (4720, "account_created"),
            (4722, "account_enabled"),
            (4723, "password_change"),
            (4724, "password_reset"),
            (4725, "account_disabled"),
            (4726, "account_deleted"),
            (4741, "account_created"),
            (4743, "account_deleted"),
        ] {
            let ev = security(id, &subject_target(&[]));
            let e = &map(&ev, &src()).unwrap()[0];
            assert_eq!(e.kind.name(), name, "event {id}");
            assert_eq!(e.actor.as_ref().unwrap().name, "Administrator");
            assert_eq!(e.target.as_ref().unwrap().rid(), Some(1105));
        }
        let ev = security(4741, &subject_target(&[]));
        assert_eq!(
            map(&ev, &src()).unwrap()[0].kind,
            EventKind::AccountCreated {
                account_type: AccountType::Computer
            }
        );
    }

    #[test]
    fn user_changed_lists_changed_attributes() {
        let ev = security(
            4738,
            &subject_target(&[
                ("SamAccountName", "-"),
                ("DisplayName", "-"),
                ("UserPrincipalName", "-"),
                ("PasswordLastSet", "-"),
                ("OldUacValue", "0x210"),
                ("NewUacValue", "0x10210"),
                ("UserAccountControl", "\r\n\t\t%%2089"),
                ("AllowedToDelegateTo", "-"),
                ("SidHistory", "-"),
                ("LogonHours", "%%1793"),
            ]),
        );
        let e = &map(&ev, &src()).unwrap()[0];
        match &e.kind {
            EventKind::AccountChanged {
                account_type,
                changes,
                old_uac,
                new_uac,
            } => {
                assert_eq!(*account_type, AccountType::User);
                let names: Vec<_> = changes.iter().map(|(k, _)| k.as_str()).collect();
                assert_eq!(
                    names,
                    [
                        "OldUacValue",
                        "NewUacValue",
                        "UserAccountControl",
                        "LogonHours"
                    ]
                );
                assert_eq!(changes[2].1, "%%2089");
                assert_eq!(*old_uac, Some(0x210));
                assert_eq!(new_uac.unwrap() & uac::DONT_EXPIRE_PASSWORD, 0x1_0000);
            }
            k => panic!("unexpected {k:?}"),
        }
    }

    #[test]
    fn computer_changed_spns() {
        let ev = security(
            4742,
            &subject_target(&[
                (
                    "ServicePrincipalNames",
                    "\r\n\t\tGC/alice.offsec.lan/offsec.lan\r\n\t\tHOST/alice",
                ),
                ("DnsHostName", "-"),
                ("OldUacValue", "-"),
                ("NewUacValue", "-"),
            ]),
        );
        match &map(&ev, &src()).unwrap()[0].kind {
            EventKind::AccountChanged {
                account_type,
                changes,
                old_uac,
                ..
            } => {
                assert_eq!(*account_type, AccountType::Computer);
                assert_eq!(
                    changes,
                    &[(
                        "ServicePrincipalNames".to_string(),
                        "GC/alice.offsec.lan/offsec.lan HOST/alice".to_string()
                    )]
                );
                assert_eq!(*old_uac, None);
            }
            k => panic!("unexpected {k:?}"),
        }
    }

    #[test]
    fn lockout_names_the_caller_machine() {
        let ev = security(
            4740,
            &[
                ("TargetUserName", "jdoe"),
                ("TargetDomainName", "WS01"),
                ("TargetSid", "S-1-5-21-1-2-3-1105"),
                ("SubjectUserName", "DC01$"),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        assert_eq!(e.kind, EventKind::AccountLockedOut);
        assert_eq!(e.target.as_ref().unwrap().domain, None);
        assert_eq!(e.source.as_ref().unwrap().key(), "ws01");
    }

    #[test]
    fn rename_sid_history_dsrm() {
        let ev = security(
            4781,
            &subject_target(&[
                ("OldTargetUserName", "SRV01$"),
                ("NewTargetUserName", "DC01"),
            ]),
        );
        let e = &map(&ev, &src()).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::AccountRenamed {
                old_name: "SRV01$".into(),
                new_name: "DC01".into()
            }
        );
        assert_eq!(e.target.as_ref().unwrap().name, "DC01");

        let ev = security(
            4765,
            &subject_target(&[
                ("SourceUserName", "Administrator"),
                ("SourceSid", "S-1-5-21-9-9-9-500"),
                ("SidList", "\r\n\t\t%{S-1-5-21-9-9-9-500}"),
            ]),
        );
        let e = &map(&ev, &src()).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::SidHistoryAdded {
                sid_history: "%{S-1-5-21-9-9-9-500}".into()
            }
        );
        assert_eq!(e.outcome, Outcome::Success);
        let ev = security(
            4766,
            &subject_target(&[("SourceSid", "S-1-5-21-9-9-9-500")]),
        );
        assert!(map(&ev, &src()).unwrap()[0].outcome.is_failure());

        let ev = security(4794, &[("SubjectUserName", "admin"), ("Status", "0x0")]);
        let e = &map(&ev, &src()).unwrap()[0];
        assert_eq!(e.kind, EventKind::DsrmPasswordSet);
        assert_eq!(e.outcome, Outcome::Success);
    }
}
