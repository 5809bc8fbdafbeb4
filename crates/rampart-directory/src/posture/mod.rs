//! Posture assessment: how exposed the domain is before anyone attacks it, as Defender for
//! Identity's security assessments, PingCastle and Purple Knight score it.
//!
//! One check per file (`unconstrained_delegation.rs` holds `UnconstrainedDelegation`), each
//! with its metadata ([`CheckInfo`]: stable id, severity, category, what, why, how to fix, the
//! MDI and PingCastle equivalents) and a `run` over the directory snapshot. [`assess`] runs
//! every check of [`all`] and scores the domain ([`score`]).
//!
//! A check says `not_applicable` (with the reason) when the snapshot cannot answer it — no
//! AD CS, no trusts, no DC configuration supplied — rather than pass: a pass must mean the
//! condition was looked for and is absent.

mod acl;
mod adcs;
pub mod dc_config;
pub mod privilege;
pub mod report;
#[cfg(test)]
pub(crate) mod testkit;

// checks:begin
mod adcs_esc1;
mod adcs_esc2;
mod adcs_esc3;
mod adcs_esc4;
mod adcs_esc8;
mod admins_delegatable;
mod adminsdholder_write;
mod asrep_roastable;
mod constrained_delegation_protocol_transition;
mod dcsync_non_admin;
mod delegation_to_dc_services;
mod domain_functional_level;
mod domain_root_control;
mod dormant_privileged_accounts;
mod force_change_password_admins;
mod gpo_write_non_admin;
mod honeytoken_absent;
mod kerberoastable_privileged;
mod kerberoastable_users;
mod krbtgt_password_age;
mod laps_absent;
mod large_privileged_group;
mod ldap_channel_binding_off;
mod ldap_signing_not_required;
mod machine_account_quota;
mod min_password_length_below_14;
mod min_pwd_age_zero;
mod no_lockout_policy;
mod ntlmv1_allowed;
mod password_never_expires;
mod password_not_required;
mod print_spooler_on_dc;
mod privileged_service_account;
mod protected_users_unused;
mod rbcd_on_sensitive_objects;
mod reversible_password_encryption;
mod short_min_password_length;
mod sid_history;
mod sid_history_privileged;
mod smb_signing_not_required;
mod stale_admincount;
mod stale_computers;
mod stale_user_accounts;
mod trust_sid_filtering;
mod unconstrained_delegation;
mod unsafe_acl_privileged;
mod weak_kerberos_encryption;
// checks:end

pub use dc_config::{CaSettings, ChannelBinding, DcConfig, DcSettings};
pub use rampart_core::Severity;

use crate::model::Directory;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One posture check: what it is ([`CheckInfo`]) and how it decides.
pub trait Check: Send + Sync {
    fn info(&self) -> &'static CheckInfo;
    /// Must not panic on any snapshot; returns `not_applicable` when the snapshot cannot say.
    fn run(&self, dir: &Directory, cx: &PostureContext) -> CheckResult;
}

/// Every check, in catalogue order. **To add a check**: create its file, list it here.
pub fn all() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(adcs_esc1::AdcsEsc1),
        Box::new(adcs_esc2::AdcsEsc2),
        Box::new(adcs_esc3::AdcsEsc3),
        Box::new(adcs_esc4::AdcsEsc4),
        Box::new(adcs_esc8::AdcsEsc8),
        Box::new(admins_delegatable::AdminsDelegatable),
        Box::new(adminsdholder_write::AdminSdHolderWrite),
        Box::new(asrep_roastable::AsrepRoastable),
        Box::new(
            constrained_delegation_protocol_transition::ConstrainedDelegationProtocolTransition,
        ),
        Box::new(dcsync_non_admin::DcsyncNonAdmin),
        Box::new(delegation_to_dc_services::DelegationToDcServices),
        Box::new(domain_functional_level::DomainFunctionalLevel),
        Box::new(domain_root_control::DomainRootControl),
        Box::new(dormant_privileged_accounts::DormantPrivilegedAccounts),
        Box::new(force_change_password_admins::ForceChangePasswordAdmins),
        Box::new(gpo_write_non_admin::GpoWriteNonAdmin),
        Box::new(honeytoken_absent::HoneytokenAbsent),
        Box::new(kerberoastable_privileged::KerberoastablePrivileged),
        Box::new(kerberoastable_users::KerberoastableUsers),
        Box::new(krbtgt_password_age::KrbtgtPasswordAge),
        Box::new(laps_absent::LapsAbsent),
        Box::new(large_privileged_group::LargePrivilegedGroup),
        Box::new(ldap_channel_binding_off::LdapChannelBindingOff),
        Box::new(ldap_signing_not_required::LdapSigningNotRequired),
        Box::new(machine_account_quota::MachineAccountQuota),
        Box::new(min_password_length_below_14::MinPasswordLengthBelow14),
        Box::new(min_pwd_age_zero::MinPwdAgeZero),
        Box::new(no_lockout_policy::NoLockoutPolicy),
        Box::new(ntlmv1_allowed::Ntlmv1Allowed),
        Box::new(password_never_expires::PasswordNeverExpires),
        Box::new(password_not_required::PasswordNotRequired),
        Box::new(print_spooler_on_dc::PrintSpoolerOnDc),
        Box::new(privileged_service_account::PrivilegedServiceAccount),
        Box::new(protected_users_unused::ProtectedUsersUnused),
        Box::new(rbcd_on_sensitive_objects::RbcdOnSensitiveObjects),
        Box::new(reversible_password_encryption::ReversiblePasswordEncryption),
        Box::new(short_min_password_length::ShortMinPasswordLength),
        Box::new(sid_history::SidHistory),
        Box::new(sid_history_privileged::SidHistoryPrivileged),
        Box::new(smb_signing_not_required::SmbSigningNotRequired),
        Box::new(stale_admincount::StaleAdminCount),
        Box::new(stale_computers::StaleComputers),
        Box::new(stale_user_accounts::StaleUserAccounts),
        Box::new(trust_sid_filtering::TrustSidFiltering),
        Box::new(unconstrained_delegation::UnconstrainedDelegation),
        Box::new(unsafe_acl_privileged::UnsafeAclPrivileged),
        Box::new(weak_kerberos_encryption::WeakKerberosEncryption),
    ]
}

/// Runs every check of [`all`] over the snapshot.
pub fn assess(dir: &Directory, cx: &PostureContext) -> Report {
    let checks = all();
    let domains = dir.domains.iter().map(|d| d.dns_name.clone()).collect();
    Report::from_results(
        cx.now,
        domains,
        checks.iter().map(|c| (c.info(), c.run(dir, cx))),
    )
}

/// The time a snapshot describes: when collection finished, else [`content_time`], else
/// `fallback`.
pub fn snapshot_time(dir: &Directory, fallback: DateTime<Utc>) -> DateTime<Utc> {
    dir.collected_at
        .or_else(|| content_time(dir))
        .unwrap_or(fallback)
}

/// The newest time stamp the snapshot's objects carry (last logons, password changes,
/// creations): the best estimate of when an export was taken when nothing else records it.
/// An LDIF file says nothing about its own time, and judging an old export by today's date
/// would make every account in it look stale.
pub fn content_time(dir: &Directory) -> Option<DateTime<Utc>> {
    dir.users
        .iter()
        .chain(dir.computers.iter())
        .flat_map(|p| [p.last_logon_timestamp, p.pwd_last_set, p.when_created])
        .chain(dir.groups.iter().map(|g| g.when_created))
        .chain(dir.domains.iter().map(|d| d.when_created))
        .flatten()
        .max()
}

/// What part of the domain a check is about (the sections of the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    PrivilegedAccounts,
    Kerberos,
    Delegation,
    Acls,
    Passwords,
    StaleObjects,
    DcConfiguration,
    AdCs,
    Hygiene,
}

impl Category {
    pub fn label(self) -> &'static str {
        match self {
            Category::PrivilegedAccounts => "Privileged accounts",
            Category::Kerberos => "Kerberos",
            Category::Delegation => "Delegation",
            Category::Acls => "ACLs",
            Category::Passwords => "Passwords",
            Category::StaleObjects => "Stale objects",
            Category::DcConfiguration => "DC configuration",
            Category::AdCs => "AD CS",
            Category::Hygiene => "Hygiene",
        }
    }
}

/// The same assessment in another product, so a team can map our results onto what they know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Equivalent {
    /// `MDI` (Defender for Identity security assessment) or `PingCastle` (rule id).
    pub product: &'static str,
    /// PingCastle's rule id (`A-DCLdapSign`); MDI assessments have no id, so their name again.
    pub id: &'static str,
    pub name: &'static str,
}

/// An MDI security assessment, by its title.
pub const fn mdi(name: &'static str) -> Equivalent {
    Equivalent {
        product: "MDI",
        id: name,
        name,
    }
}

/// A PingCastle health-check rule, by id and title.
pub const fn pingcastle(id: &'static str, name: &'static str) -> Equivalent {
    Equivalent {
        product: "PingCastle",
        id,
        name,
    }
}

/// What a check is, independent of any directory.
#[derive(Debug, Serialize)]
pub struct CheckInfo {
    /// Stable snake_case id: part of the JSON contract, never renamed.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// What is looked at, precisely enough to reproduce by hand.
    pub checks: &'static str,
    /// What an attacker does with it.
    pub why: &'static str,
    /// How to fix it.
    pub fix: &'static str,
    pub equivalents: &'static [Equivalent],
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Fail,
    Pass,
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Pass => "pass",
            Status::NotApplicable => "not_applicable",
        }
    }
}

/// One object a failing check names, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Affected {
    /// `sAMAccountName` for principals, else the object's name (`AdminSDHolder`, a template,
    /// the domain's DNS name).
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dn: Option<String>,
    /// Who holds the right, for ACL findings: the trustee; `name` is then the object it
    /// controls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    pub why: String,
}

impl Affected {
    pub fn new(name: impl Into<String>, dn: Option<&str>, why: impl Into<String>) -> Affected {
        Affected {
            name: name.into(),
            dn: dn.map(str::to_string),
            principal: None,
            why: why.into(),
        }
    }

    pub fn held_by(mut self, principal: impl Into<String>) -> Affected {
        self.principal = Some(principal.into());
        self
    }
}

/// What `run` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    pub status: Status,
    /// Why the check does not apply, or a note on how it was decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub affected: Vec<Affected>,
}

impl CheckResult {
    /// Fails with these objects, passes when there are none.
    pub fn from_affected(mut affected: Vec<Affected>) -> CheckResult {
        affected.sort();
        affected.dedup();
        CheckResult {
            status: if affected.is_empty() {
                Status::Pass
            } else {
                Status::Fail
            },
            reason: None,
            affected,
        }
    }

    pub fn pass() -> CheckResult {
        CheckResult::from_affected(Vec::new())
    }

    pub fn not_applicable(reason: impl Into<String>) -> CheckResult {
        CheckResult {
            status: Status::NotApplicable,
            reason: Some(reason.into()),
            affected: Vec::new(),
        }
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> CheckResult {
        self.reason = Some(reason.into());
        self
    }
}

/// What a check needs besides the snapshot.
#[derive(Debug, Clone)]
pub struct PostureContext {
    /// "Now" for ages and staleness: the snapshot's time, so an old snapshot is judged as of
    /// when it was taken, not as of when the report runs.
    pub now: DateTime<Utc>,
    /// An enabled account or computer with no logon for this long is stale.
    pub stale_days: i64,
    /// A privileged account with no logon for this long is dormant.
    pub dormant_admin_days: i64,
    /// krbtgt's password should be rotated at least this often.
    pub krbtgt_max_age_days: i64,
    /// A privileged group with more (transitive) members than this is too large.
    pub large_group_threshold: usize,
    /// Decoy accounts that should exist (from the configuration's `honeytokens`).
    pub honeytokens: Vec<String>,
    /// DC settings the directory does not hold; `None` when none were supplied.
    pub dc_config: Option<DcConfig>,
}

impl PostureContext {
    /// Thresholds as PingCastle and MDI use them: 90 days stale, 180 days for krbtgt.
    pub fn new(now: DateTime<Utc>) -> PostureContext {
        PostureContext {
            now,
            stale_days: 90,
            dormant_admin_days: 90,
            krbtgt_max_age_days: 180,
            large_group_threshold: 10,
            honeytokens: Vec::new(),
            dc_config: None,
        }
    }

    /// Whole days from `t` to now (negative when `t` is later).
    pub fn days_since(&self, t: DateTime<Utc>) -> i64 {
        (self.now - t).num_days()
    }
}

/// One check's result with its metadata, as reports show it.
#[derive(Debug, Serialize)]
pub struct Outcome {
    #[serde(flatten)]
    pub info: &'static CheckInfo,
    #[serde(flatten)]
    pub result: CheckResult,
    /// Points this result took off the score (0 unless failing).
    pub penalty: f64,
}

/// Counts of outcomes by status.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub fail: usize,
    pub pass: usize,
    pub not_applicable: usize,
}

/// A whole assessment.
#[derive(Debug, Serialize)]
pub struct Report {
    /// 0-100, higher is better; see [`score`].
    pub score: u32,
    pub assessed_at: DateTime<Utc>,
    pub domains: Vec<String>,
    pub counts: Counts,
    /// Failing first (most severe first), then passing, then not applicable; by id within.
    pub results: Vec<Outcome>,
}

/// The share of the score a failing check of this severity can take at most.
pub fn severity_weight(s: Severity) -> f64 {
    match s {
        Severity::Critical => 0.40,
        Severity::High => 0.20,
        Severity::Medium => 0.10,
        Severity::Low => 0.04,
    }
}

/// The fraction of the score one failing check removes: `w × (1 − 0.5ⁿ)` for `n` affected
/// objects (a domain-wide finding counts as one), `w` from [`severity_weight`]. The first
/// object costs half the weight, each further one half of what is left, so a check can never
/// cost more than its weight and ten stale computers are not ten times worse than one.
pub fn check_penalty(severity: Severity, affected: usize) -> f64 {
    let n = affected.clamp(1, 64) as i32;
    severity_weight(severity) * (1.0 - 0.5f64.powi(n))
}

/// `100 × Π (1 − penalty)` over the failing checks, rounded: a clean domain (every check
/// passing or not applicable) scores 100; failures multiply, so the score falls quickly with
/// the first critical findings and never below 0, and fixing any one finding always raises it.
/// Not-applicable checks neither cost nor earn anything.
pub fn score(failing: impl IntoIterator<Item = (Severity, usize)>) -> u32 {
    let kept: f64 = failing
        .into_iter()
        .map(|(s, n)| 1.0 - check_penalty(s, n))
        .product();
    (100.0 * kept).round().clamp(0.0, 100.0) as u32
}

impl Report {
    /// Builds the report from the checks' results: scores, counts, orders.
    pub fn from_results(
        assessed_at: DateTime<Utc>,
        domains: Vec<String>,
        results: impl IntoIterator<Item = (&'static CheckInfo, CheckResult)>,
    ) -> Report {
        let mut results: Vec<Outcome> = results
            .into_iter()
            .map(|(info, result)| {
                let penalty = if result.status == Status::Fail {
                    100.0 * check_penalty(info.severity, result.affected.len())
                } else {
                    0.0
                };
                Outcome {
                    info,
                    result,
                    penalty,
                }
            })
            .collect();
        results.sort_by(|a, b| {
            (
                a.result.status,
                std::cmp::Reverse(a.info.severity),
                a.info.id,
            )
                .cmp(&(
                    b.result.status,
                    std::cmp::Reverse(b.info.severity),
                    b.info.id,
                ))
        });
        let mut counts = Counts::default();
        for o in &results {
            match o.result.status {
                Status::Fail => counts.fail += 1,
                Status::Pass => counts.pass += 1,
                Status::NotApplicable => counts.not_applicable += 1,
            }
        }
        let score = score(
            results
                .iter()
                .filter(|o| o.result.status == Status::Fail)
                .map(|o| (o.info.severity, o.result.affected.len())),
        );
        Report {
            score,
            assessed_at,
            domains,
            counts,
            results,
        }
    }

    pub fn failing(&self) -> impl Iterator<Item = &Outcome> {
        self.results
            .iter()
            .filter(|o| o.result.status == Status::Fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static CRIT: CheckInfo = CheckInfo {
        id: "crit",
        title: "Critical thing",
        severity: Severity::Critical,
        category: Category::Acls,
        checks: "",
        why: "",
        fix: "",
        equivalents: &[],
    };
    static LOW: CheckInfo = CheckInfo {
        id: "low",
        title: "Low thing",
        severity: Severity::Low,
        category: Category::Hygiene,
        checks: "",
        why: "",
        fix: "",
        equivalents: &[],
    };

    fn failing(n: usize) -> CheckResult {
        CheckResult::from_affected(
            (0..n)
                .map(|i| Affected::new(format!("o{i}"), None, "x"))
                .collect(),
        )
    }

    #[test]
    fn clean_domain_scores_100_and_not_applicable_costs_nothing() {
        assert_eq!(score([]), 100);
        let r = Report::from_results(
            Utc::now(),
            vec![],
            [
                (&CRIT, CheckResult::pass()),
                (&LOW, CheckResult::not_applicable("no AD CS")),
            ],
        );
        assert_eq!(r.score, 100);
        assert_eq!(r.counts.pass, 1);
        assert_eq!(r.counts.not_applicable, 1);
    }

    #[test]
    fn penalties_diminish_and_are_capped_by_severity() {
        assert!((check_penalty(Severity::Critical, 1) - 0.20).abs() < 1e-9);
        assert!((check_penalty(Severity::Critical, 2) - 0.30).abs() < 1e-9);
        assert!(check_penalty(Severity::Critical, 10_000) <= 0.40);
        assert!(check_penalty(Severity::Low, 10_000) < check_penalty(Severity::High, 1));
        assert_eq!(
            check_penalty(Severity::High, 0),
            check_penalty(Severity::High, 1)
        );
        assert_eq!(score([(Severity::Critical, 1)]), 80);
        assert_eq!(
            score([(Severity::Critical, 1), (Severity::Critical, 1)]),
            64
        );
        // Fixing one finding always raises the score.
        assert!(score([(Severity::Low, 3)]) > score([(Severity::Low, 3), (Severity::Low, 1)]));
        let many: Vec<_> = (0..200).map(|_| (Severity::Critical, 1000)).collect();
        assert_eq!(score(many), 0);
    }

    #[test]
    fn failing_results_come_first_most_severe_first() {
        let r = Report::from_results(
            Utc::now(),
            vec![],
            [
                (&LOW, failing(2)),
                (&CRIT, CheckResult::pass()),
                (&CRIT, failing(1)),
            ],
        );
        let order: Vec<_> = r
            .results
            .iter()
            .map(|o| (o.info.id, o.result.status))
            .collect();
        assert_eq!(
            order,
            [
                ("crit", Status::Fail),
                ("low", Status::Fail),
                ("crit", Status::Pass)
            ]
        );
        assert_eq!(r.counts.fail, 2);
        assert!(r.results[0].penalty > r.results[1].penalty);
        assert_eq!(r.failing().count(), 2);
    }

    #[test]
    fn affected_objects_are_sorted_and_deduplicated() {
        let r = CheckResult::from_affected(vec![
            Affected::new("b", None, "x"),
            Affected::new("a", None, "x"),
            Affected::new("b", None, "x"),
        ]);
        let names: Vec<_> = r.affected.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }
}
