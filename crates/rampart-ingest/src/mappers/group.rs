//! Group management (Security log). The actor is the `Subject*` account, the target the group
//! (`TargetUserName`/`TargetDomainName`/`TargetSid`).
//!
//! | ids | becomes |
//! |-----|---------|
//! | 4728/4729 (security global), 4751/4752 (distribution global) | [`EventKind::GroupMembershipChange`] added/removed, scope `Global` |
//! | 4732/4733 (security local), 4746/4747 (distribution local) | [`EventKind::GroupMembershipChange`], scope `Local` |
//! | 4756/4757 (security universal), 4761/4762 (distribution universal) | [`EventKind::GroupMembershipChange`], scope `Universal` |
//! | 4727, 4731, 4744, 4749, 4754, 4759 | [`EventKind::AccountCreated`] (group) |
//! | 4730, 4734, 4748, 4753, 4758, 4763 | [`EventKind::AccountDeleted`] (group) |
//! | 4735, 4737, 4745, 4750, 4755, 4760, 4764 | [`EventKind::AccountChanged`] (group): `changes` = `SamAccountName`/`SidHistory`/`GroupTypeChange` when not `-` |
//! | 4798 | [`EventKind::GroupMembershipEnumerated`]: a user's local groups were listed; target = the user |
//! | 4799 | [`EventKind::GroupMembershipEnumerated`]: a local group's members were listed; target = the group |
//!
//! The member of a membership change is named by `MemberName` (a DN, or `-` for members of a
//! machine's local group) and `MemberSid`: the member account's name is the DN's first RDN
//! value (its CN, often not the sAMAccountName), its SID the authoritative identity.

use super::one;
use crate::winevent::{squash_whitespace, WinEvent};
use rampart_core::{Account, AccountType, EventKind, GroupScope, IdentityEvent};
use std::sync::Arc;

pub fn map(ev: &WinEvent, src: &Arc<str>) -> Option<Vec<IdentityEvent>> {
    use AccountType::Group;
    let kind = match ev.event_id {
        4728 | 4751 => membership(ev, true, GroupScope::Global),
        4729 | 4752 => membership(ev, false, GroupScope::Global),
        4732 | 4746 => membership(ev, true, GroupScope::Local),
        4733 | 4747 => membership(ev, false, GroupScope::Local),
        4756 | 4761 => membership(ev, true, GroupScope::Universal),
        4757 | 4762 => membership(ev, false, GroupScope::Universal),
        4727 | 4731 | 4744 | 4749 | 4754 | 4759 => EventKind::AccountCreated {
            account_type: Group,
        },
        4730 | 4734 | 4748 | 4753 | 4758 | 4763 => EventKind::AccountDeleted {
            account_type: Group,
        },
        4735 | 4737 | 4745 | 4750 | 4755 | 4760 | 4764 => {
            let changes = ["SamAccountName", "SidHistory", "GroupTypeChange"]
                .iter()
                .filter_map(|name| {
                    let v = ev.get(name)?.trim();
                    (!v.is_empty() && v != "-").then(|| (name.to_string(), squash_whitespace(v)))
                })
                .collect();
            EventKind::AccountChanged {
                account_type: Group,
                changes,
                old_uac: None,
                new_uac: None,
            }
        }
        4798 | 4799 => EventKind::GroupMembershipEnumerated {
            process: ev.string("CallerProcessName"),
        },
        _ => return None,
    };
    let mut e = ev.identity_event(src, kind);
    e.actor = ev.account("Subject");
    e.target = ev.account("Target");
    one(e)
}

fn membership(ev: &WinEvent, added: bool, scope: GroupScope) -> EventKind {
    let member_dn = ev.string("MemberName");
    let name = member_dn.as_deref().map(first_rdn_value);
    EventKind::GroupMembershipChange {
        member: Account::from_parts(name, None, ev.get("MemberSid")),
        member_dn,
        added,
        scope,
    }
}

/// `John Doe` from `CN=John Doe,OU=Staff,DC=corp,DC=local`; anything not a DN as it is.
/// Escaped commas (`CN=Doe\, John,…`) stay inside the value, still escaped.
pub fn first_rdn_value(dn: &str) -> &str {
    let Some((_, rest)) = dn.split_once('=') else {
        return dn;
    };
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b',' => return &rest[..i],
            _ => i += 1,
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winevent::test_support::security;

    fn src() -> Arc<str> {
        Arc::from("t.evtx")
    }

    #[test]
    fn member_added_to_global_group() {
        let ev = security(
            4728,
            &[
                ("MemberName", "CN=John Doe,OU=Staff,DC=offsec,DC=lan"),
                ("MemberSid", "S-1-5-21-1-2-3-1105"),
                ("TargetUserName", "Domain Admins"),
                ("TargetDomainName", "OFFSEC"),
                ("TargetSid", "S-1-5-21-1-2-3-512"),
                ("SubjectUserName", "admmig"),
                ("SubjectUserSid", "S-1-5-21-1-2-3-1000"),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        match &e.kind {
            EventKind::GroupMembershipChange {
                member,
                member_dn,
                added,
                scope,
            } => {
                let m = member.as_ref().unwrap();
                assert_eq!(m.name, "John Doe");
                assert_eq!(m.rid(), Some(1105));
                assert_eq!(
                    member_dn.as_deref(),
                    Some("CN=John Doe,OU=Staff,DC=offsec,DC=lan")
                );
                assert!(*added);
                assert_eq!(*scope, GroupScope::Global);
            }
            k => panic!("unexpected {k:?}"),
        }
        assert_eq!(e.target.as_ref().unwrap().rid(), Some(512));
        assert_eq!(e.actor.as_ref().unwrap().name, "admmig");
    }

    #[test]
    fn local_group_member_without_dn() {
        let ev = security(
            4733,
            &[
                ("MemberName", "-"),
                ("MemberSid", "S-1-5-21-4-5-6-1001"),
                ("TargetUserName", "Administrators"),
                ("TargetDomainName", "Builtin"),
                ("TargetSid", "S-1-5-32-544"),
            ],
        );
        match &map(&ev, &src()).unwrap()[0].kind {
            EventKind::GroupMembershipChange {
                member,
                member_dn,
                added,
                scope,
            } => {
                let m = member.as_ref().unwrap();
                assert_eq!(m.name, "S-1-5-21-4-5-6-1001");
                assert_eq!(*member_dn, None);
                assert!(!*added);
                assert_eq!(*scope, GroupScope::Local);
            }
            k => panic!("unexpected {k:?}"),
        }
    }

    #[test]
    fn universal_and_lifecycle() {
        let ev = security(4756, &[("TargetUserName", "Exchange Windows Permissions")]);
        match &map(&ev, &src()).unwrap()[0].kind {
            EventKind::GroupMembershipChange { scope, .. } => {
                assert_eq!(*scope, GroupScope::Universal)
            }
            k => panic!("unexpected {k:?}"),
        }
        let ev = security(4727, &[("TargetUserName", "NewGroup")]);
        assert_eq!(
            map(&ev, &src()).unwrap()[0].kind,
            EventKind::AccountCreated {
                account_type: AccountType::Group
            }
        );
        let ev = security(4735, &[("SamAccountName", "Renamed"), ("SidHistory", "-")]);
        match &map(&ev, &src()).unwrap()[0].kind {
            EventKind::AccountChanged { changes, .. } => {
                assert_eq!(changes, &[("SamAccountName".into(), "Renamed".into())])
            }
            k => panic!("unexpected {k:?}"),
        }
    }

    #[test]
    fn enumeration() {
        let ev = security(
            4799,
            &[
                ("TargetUserName", "Administrators"),
                ("TargetSid", "S-1-5-32-544"),
                ("SubjectUserName", "bob"),
                ("CallerProcessName", "C:\\Windows\\System32\\net1.exe"),
            ],
        );
        let e = &map(&ev, &src()).unwrap()[0];
        assert_eq!(
            e.kind,
            EventKind::GroupMembershipEnumerated {
                process: Some("C:\\Windows\\System32\\net1.exe".into())
            }
        );
        assert_eq!(e.target.as_ref().unwrap().name, "Administrators");
    }

    #[test]
    fn rdn_values() {
        assert_eq!(first_rdn_value("CN=Doe\\, John,OU=x"), "Doe\\, John");
        assert_eq!(first_rdn_value("plain"), "plain");
        assert_eq!(first_rdn_value("CN=only"), "only");
        assert_eq!(first_rdn_value("CN=trailing\\"), "trailing\\");
    }
}
