//! The built-in detectors, one attack per file.
//!
//! To add one: create `detectors/<kind>.rs` holding a struct named for the attack that
//! implements [`Detector`], with a doc comment saying what attack it catches, from which
//! evidence, and its ATT&CK id; tests beside it with a positive and a benign case; then list it
//! in [`all`].

use crate::engine::{Context, Detector};
use rampart_core::IdentityEvent;
use std::borrow::Cow;

pub mod account_enum;
pub mod account_manipulation;
pub mod ad_acl_change;
pub mod adminsdholder_change;
pub mod asrep_roasting;
pub mod brute_force;
pub mod dcshadow;
pub mod dcsync;
pub mod dns_recon;
pub mod dpapi_backup_key;
pub mod forced_auth_coercion;
pub mod golden_ticket;
pub mod gpo_change;
pub mod honeytoken_activity;
pub mod kerberoasting;
pub mod kerberos_delegation_abuse;
pub mod ldap_recon;
pub mod log_cleared;
pub mod lsass_dump;
pub mod ntds_dump;
pub mod ntlm_relay;
pub mod overpass_the_hash;
pub mod pass_the_hash;
pub mod pass_the_ticket;
pub mod password_spray;
pub mod remote_exec_dcom;
pub mod remote_exec_service;
pub mod remote_exec_winrm;
pub mod remote_exec_wmi;
pub mod sam_name_spoofing;
pub mod samr_recon;
pub mod sched_task_remote;
pub mod sensitive_group_change;
pub mod sid_history_injection;
pub mod smb_session_enum;
pub mod zerologon;

/// Every built-in detector, freshly constructed.
pub fn all() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(account_enum::AccountEnum::default()),
        Box::new(account_manipulation::AccountManipulation::default()),
        Box::new(ad_acl_change::AdAclChange::default()),
        Box::new(adminsdholder_change::AdminSdHolderChange),
        Box::new(asrep_roasting::AsrepRoasting),
        Box::new(brute_force::BruteForce::default()),
        Box::new(dcshadow::DcShadow),
        Box::new(dcsync::DcSync),
        Box::new(dns_recon::DnsRecon),
        Box::new(dpapi_backup_key::DpapiBackupKey),
        Box::new(forced_auth_coercion::ForcedAuthCoercion::default()),
        Box::<golden_ticket::GoldenTicket>::default(),
        Box::new(gpo_change::GpoChange),
        Box::new(honeytoken_activity::HoneytokenActivity),
        Box::new(kerberoasting::Kerberoasting::default()),
        Box::new(kerberos_delegation_abuse::KerberosDelegationAbuse),
        Box::new(ldap_recon::LdapRecon::default()),
        Box::new(log_cleared::LogCleared),
        Box::new(lsass_dump::LsassDump),
        Box::new(ntds_dump::NtdsDump),
        Box::new(ntlm_relay::NtlmRelay::default()),
        Box::new(overpass_the_hash::OverpassTheHash::default()),
        Box::new(pass_the_hash::PassTheHash::default()),
        Box::new(pass_the_ticket::PassTheTicket::default()),
        Box::new(password_spray::PasswordSpray::default()),
        Box::new(remote_exec_dcom::RemoteExecDcom::default()),
        Box::new(remote_exec_service::RemoteExecService),
        Box::new(remote_exec_winrm::RemoteExecWinrm::default()),
        Box::new(remote_exec_wmi::RemoteExecWmi::default()),
        Box::new(sam_name_spoofing::SamNameSpoofing),
        Box::new(samr_recon::SamrRecon::default()),
        Box::new(sched_task_remote::SchedTaskRemote::default()),
        Box::new(sensitive_group_change::SensitiveGroupChange),
        Box::new(sid_history_injection::SidHistoryInjection),
        Box::new(smb_session_enum::SmbSessionEnum::default()),
        Box::new(zerologon::Zerologon::default()),
    ]
}

/// The key for "where an attempt came from": the source address or workstation, else the
/// machine that recorded it (a local attempt).
pub(crate) fn origin_key(ev: &IdentityEvent) -> String {
    if let Some(key) = ev.source.as_ref().map(|h| h.key()) {
        if !key.is_empty() {
            return key;
        }
    }
    format!("local:{}", ev.observer_short().unwrap_or_default())
}

/// A human description of the origin, for alert text.
pub(crate) fn origin_text(ev: &IdentityEvent) -> String {
    match &ev.source {
        Some(h) => h.to_string(),
        None => format!(
            "a local process on {}",
            ev.observer.as_deref().unwrap_or("the observed host")
        ),
    }
}

/// What a failed authentication says about the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// A wrong password or key was tried for an existing account: the evidence of guessing.
    BadPassword,
    /// The account name does not exist: the evidence of name guessing.
    UnknownUser,
}

/// Classifies failed authentications from any protocol (4625, 4771/4768, 4776, captures).
pub(crate) fn auth_failure(ev: &IdentityEvent) -> Option<AuthFailure> {
    use rampart_core::wellknown::{krb_error, ntstatus};
    use rampart_core::EventKind;
    match &ev.kind {
        EventKind::LogonFailure {
            status, sub_status, ..
        } => {
            if *status == ntstatus::WRONG_PASSWORD || *sub_status == ntstatus::WRONG_PASSWORD {
                Some(AuthFailure::BadPassword)
            } else if *status == ntstatus::NO_SUCH_USER || *sub_status == ntstatus::NO_SUCH_USER {
                Some(AuthFailure::UnknownUser)
            } else {
                None
            }
        }
        EventKind::KerberosTgtRequest { status, .. } => match *status {
            krb_error::PREAUTH_FAILED => Some(AuthFailure::BadPassword),
            krb_error::C_PRINCIPAL_UNKNOWN => Some(AuthFailure::UnknownUser),
            _ => None,
        },
        EventKind::NtlmAuth { status, wire, .. } => match *status {
            ntstatus::WRONG_PASSWORD => Some(AuthFailure::BadPassword),
            ntstatus::NO_SUCH_USER => Some(AuthFailure::UnknownUser),
            // On the wire a server answers STATUS_LOGON_FAILURE for a wrong password and for an
            // unknown name alike (so as not to tell them apart): counted as a failed guess.
            ntstatus::LOGON_FAILURE if wire.is_some() => Some(AuthFailure::BadPassword),
            _ => None,
        },
        // invalidCredentials: a wrong password (or name) in a simple or SASL bind.
        EventKind::LdapBind { .. } if ev.outcome == rampart_core::Outcome::Failure(49) => {
            Some(AuthFailure::BadPassword)
        }
        _ => None,
    }
}

/// A successful authentication of `ev.actor` (logon, TGT, NTLM validation).
pub(crate) fn auth_success(ev: &IdentityEvent) -> bool {
    use rampart_core::{EventKind, Outcome};
    if ev.outcome.is_failure() {
        return false;
    }
    match &ev.kind {
        EventKind::Logon { logon_type, .. } => *logon_type != 0,
        // A TGT issued without pre-authentication proves nothing about the password (it is
        // what AS-REP roasting asks for), so it is not a successful logon.
        EventKind::KerberosTgtRequest {
            status,
            preauth_type,
            ..
        } => *status == 0 && *preauth_type != Some(0),
        EventKind::NtlmAuth { status, .. } => *status == 0,
        EventKind::LdapBind { name, .. } => !name.is_empty() && ev.outcome == Outcome::Success,
        _ => false,
    }
}

/// Items of a window that remember which record they came from.
pub(crate) type Sighting<T> = (T, rampart_core::Evidence);

/// Attaches the evidence of every item in a window to an alert.
pub(crate) fn window_evidence<T>(
    mut alert: rampart_core::Alert,
    items: &std::collections::VecDeque<(rampart_core::Timestamp, Sighting<T>)>,
) -> rampart_core::Alert {
    alert.add_evidence_refs(items.iter().map(|(t, (_, e))| (e, *t)));
    alert
}

/// Summaries a detector rebuilds once per publication instead of on every event that extends
/// them (a spray of thousands of failures would otherwise rebuild its alert, O(window), on
/// each). While a key's alert is open, an event only adds its evidence and time to it
/// ([`Context::extend_summary`]) and is remembered as the key's latest; the detector's
/// [`Detector::refresh`] rebuilds each remembered key's summary from its windows, which the
/// key's later events have not changed since.
pub(crate) struct Deferred<T = IdentityEvent> {
    stale: std::collections::BTreeMap<String, T>,
}

impl<T> Default for Deferred<T> {
    fn default() -> Self {
        Deferred {
            stale: std::collections::BTreeMap::new(),
        }
    }
}

/// Keys with a deferred summary; beyond this, summaries are rebuilt at once.
const MAX_DEFERRED: usize = 10_000;

impl<T> Deferred<T> {
    pub(crate) fn is_empty(&self) -> bool {
        self.stale.is_empty()
    }

    /// What was remembered for `key`, when its summary must be published before `ev` is
    /// handled because `ev` falls outside the dedup window of the key's open alert and will
    /// open a new one: call before `ev` changes the detector's windows, so the old alert's
    /// summary is the one its own events give.
    pub(crate) fn due(&mut self, key: &str, ev: &IdentityEvent, cx: &Context<'_>) -> Option<T> {
        if !self.stale.contains_key(key) || cx.summary_open(key, ev.time) {
            return None;
        }
        self.stale.remove(key)
    }

    /// What was remembered for `key`, to publish now (before an alert of the same key that
    /// is not deferred replaces the summary).
    pub(crate) fn take_key(&mut self, key: &str) -> Option<T> {
        self.stale.remove(key)
    }

    /// Whether `ev` can be folded into the open alert of `key` (and is: its evidence and
    /// time are added) rather than the alert rebuilt now.
    fn admit<'e>(
        &mut self,
        key: &str,
        ev: &IdentityEvent,
        cx: &mut Context<'_>,
        window: impl IntoIterator<Item = (&'e rampart_core::Evidence, rampart_core::Timestamp)>,
    ) -> bool {
        if self.stale.len() >= MAX_DEFERRED && !self.stale.contains_key(key) {
            return false;
        }
        cx.extend_summary_with(key, ev, window)
    }

    fn remember(&mut self, key: &str, what: T) {
        match self.stale.get_mut(key) {
            Some(latest) => *latest = what,
            None => {
                self.stale.insert(key.to_string(), what);
            }
        }
    }

    /// Folds `ev` and the evidence of `window` into the open alert of `key` and remembers
    /// `what` to rebuild its summary from; gives `what` back when the caller must build and
    /// emit the summary now (no alert open, or too many deferred keys).
    pub(crate) fn defer_with<'e>(
        &mut self,
        key: &str,
        ev: &IdentityEvent,
        cx: &mut Context<'_>,
        what: T,
        window: impl IntoIterator<Item = (&'e rampart_core::Evidence, rampart_core::Timestamp)>,
    ) -> Result<(), T> {
        if !self.admit(key, ev, cx, window) {
            return Err(what);
        }
        self.remember(key, what);
        Ok(())
    }

    /// Every deferred key with what was remembered, in key order (so rebuilt alerts come out
    /// in the same order on every run).
    pub(crate) fn take(&mut self) -> std::collections::BTreeMap<String, T> {
        std::mem::take(&mut self.stale)
    }
}

impl Deferred<IdentityEvent> {
    /// Folds `ev` into the open alert of `key` and remembers it as the key's latest event;
    /// false when the caller must build and emit the summary now.
    pub(crate) fn defer(&mut self, key: &str, ev: &IdentityEvent, cx: &mut Context<'_>) -> bool {
        if !self.admit(key, ev, cx, std::iter::empty()) {
            return false;
        }
        self.remember(key, ev.clone());
        true
    }
}

/// The file name of a program path, lower-case (`cmd.exe` for `C:\Windows\System32\CMD.EXE`).
pub(crate) fn exe_name(path: &str) -> Cow<'_, str> {
    let p = path.trim().trim_matches('"');
    let name = p.rsplit(['\\', '/']).next().unwrap_or(p);
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// Programs an intruder runs first on a machine reached remotely: command shells, script hosts,
/// and the signed binaries that run scripts or code on their behalf (LOLBins).
const SHELLS_AND_SCRIPT_HOSTS: &[&str] = &[
    "cmd.exe",
    "powershell.exe",
    "pwsh.exe",
    "powershell_ise.exe",
    "wscript.exe",
    "cscript.exe",
    "mshta.exe",
    "rundll32.exe",
    "regsvr32.exe",
    "msbuild.exe",
    "installutil.exe",
    "regasm.exe",
    "regsvcs.exe",
    "certutil.exe",
    "bitsadmin.exe",
    "wmic.exe",
];

/// Whether a program is a command shell, script host or code-running LOLBin.
pub(crate) fn is_shell_or_script_host(image: &str) -> bool {
    SHELLS_AND_SCRIPT_HOSTS.contains(&&*exe_name(image))
}

/// Text cut to a length fit for an alert description.
/// Whether `hay` contains `needle` ignoring ASCII case (`needle` given in lower case): a
/// prefilter that spares lowercasing every command line.
pub(crate) fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

pub(crate) fn clipped(s: &str) -> String {
    clip_to(s, 200)
}

/// Text cut to at most `max` bytes (at a character boundary), with `…` when cut.
pub(crate) fn clip_to(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Whether a server name from an event (`\\WS02`, `ws02.corp.local`, `10.0.0.5`) names a
/// machine other than the one that recorded the event.
pub(crate) fn names_other_machine(server: &str, ev: &IdentityEvent) -> bool {
    let s = server
        .trim()
        .trim_start_matches('\\')
        .trim_end_matches('$')
        .to_ascii_lowercase();
    if s.is_empty() || matches!(s.as_str(), "localhost" | "." | "127.0.0.1" | "::1" | "-") {
        return false;
    }
    let short = if s.parse::<std::net::IpAddr>().is_ok() {
        s.clone()
    } else {
        s.split('.').next().unwrap_or(&s).to_string()
    };
    ev.observer_short().is_none_or(|o| o != short)
}

/// The `/user:` argument of a Rubeus, mimikatz or kekeo command line.
pub(crate) fn user_argument(cmd: &str) -> Option<String> {
    cmd.split_whitespace()
        .map(|w| w.trim_matches('"'))
        .find_map(|w| {
            w.get(..6)
                .filter(|p| p.eq_ignore_ascii_case("/user:"))
                .and_then(|_| w.get(6..))
        })
        .filter(|u| !u.is_empty())
        .map(str::to_string)
}
