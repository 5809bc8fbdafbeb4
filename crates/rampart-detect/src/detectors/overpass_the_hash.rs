//! Overpass-the-hash (ATT&CK T1550.002): a stolen NTLM hash (the RC4 key) or AES key turned
//! into a Kerberos TGT — Rubeus `asktgt /rc4:…`, kekeo `tgt::ask`, mimikatz `sekurlsa::pth`
//! followed by Kerberos use — so the attacker gets tickets without knowing the password.
//!
//! Evidence, at the KDC (4768 issued):
//! - an RC4 TGT (ticket encryption type 0x17) for an account that obtains AES TGTs
//!   (0x11/0x12): Windows clients offer AES first, so an account with AES keys is only issued
//!   RC4 when the request offered RC4 alone, which is what a tool holding just the NT hash does.
//!   The account's AES use is learned from the stream (before or after the RC4 request);
//! - an RC4 TGT requested from a machine on which, within two minutes, a program other than
//!   LSASS connected to a KDC on port 88 (Sysmon 3): Windows' own Kerberos client is LSASS, so
//!   another program speaking Kerberos is a tool such as Rubeus building its own requests.
//!
//! Evidence, on the wire (a captured AS-REQ, answered with an AS-REP, with pre-authentication):
//! - a request offering RC4 alone from a host whose Kerberos otherwise uses AES within a day
//!   (before or after): an AS-REQ of its own offering AES, or a TGS-REQ whose authenticator is
//!   AES-encrypted, or a ticket presented to a service (AP-REQ) with an AES authenticator, which
//!   shows that the host's Kerberos client negotiated AES session keys.
//!   Windows' Kerberos client offers every etype it has keys for, AES first; a request with
//!   nothing but RC4 from such a host is a tool holding an NT hash (Rubeus `asktgt /rc4:`,
//!   impacket with `-hashes`). Loopback clients are left out: every program of the capturing
//!   machine shares that address, so it names no one host.
//!
//! Evidence, on the machine the tool runs on: a command line requesting a TGT with a key
//! (`asktgt` with `/rc4:`, `/aes256:`, `/aes128:`, `/des:`, `/ntlm:`).
//!
//! RC4 TGTs of accounts never seen with AES (accounts whose password predates AES keys, old or
//! non-Windows clients) do not alert; nor do requests without pre-authentication (AS-REP
//! roasting, reported by its own detector), nor Kerberos connections of other programs without
//! an RC4 TGT (Java and non-Windows Kerberos clients exist). Mimikatz `sekurlsa::pth` on the
//! source machine is reported by [`super::pass_the_hash`].

use super::{clipped, contains_ignore_case, exe_name, user_argument};
use crate::engine::{Context, Detector};
use crate::sessions::ReportedProcesses;
use crate::state::{KeyedWindows, RecentSet};
use chrono::Duration;
use rampart_core::wellknown::etype;
use rampart_core::{Alert, AlertKind, EventKind, Evidence, Host, IdentityEvent, Severity};

/// How close a non-LSASS Kerberos connection and an RC4 TGT must be.
const TOOL_SECS: i64 = 120;

pub struct OverpassTheHash {
    /// Accounts seen obtaining AES TGTs.
    aes_accounts: RecentSet<String>,
    /// RC4 TGTs of accounts not (yet) seen with AES, by account.
    rc4_pending: KeyedWindows<String, IdentityEvent>,
    /// RC4 TGTs, by client address, for a Kerberos connection recorded after them.
    rc4_by_client: KeyedWindows<String, IdentityEvent>,
    /// Kerberos connections of programs other than LSASS, by client address.
    kerberos_tools: KeyedWindows<String, (String, Evidence)>,
    reported: ReportedProcesses,
    /// Client addresses seen using AES Kerberos, with the evidence.
    aes_hosts: KeyedWindows<String, Evidence>,
    /// Captured RC4-only TGT requests by client address, for AES use seen after them.
    rc4_only_by_host: KeyedWindows<String, IdentityEvent>,
}

impl Default for OverpassTheHash {
    fn default() -> Self {
        OverpassTheHash {
            aes_accounts: RecentSet::new(Duration::days(30), 200_000),
            rc4_pending: KeyedWindows::new(Duration::hours(24), 20_000, 4),
            rc4_by_client: KeyedWindows::new(Duration::seconds(2 * TOOL_SECS), 10_000, 8),
            kerberos_tools: KeyedWindows::new(Duration::seconds(2 * TOOL_SECS), 10_000, 8),
            reported: ReportedProcesses::new(10_000),
            aes_hosts: KeyedWindows::new(Duration::hours(HOST_HOURS), 50_000, 1),
            rc4_only_by_host: KeyedWindows::new(Duration::hours(HOST_HOURS), 10_000, 4),
        }
    }
}

/// How long a host's AES use is remembered for judging an RC4-only request.
const HOST_HOURS: i64 = 24;

/// Why an RC4 TGT is taken for overpass-the-hash.
enum Why<'a> {
    Downgrade,
    Tool(&'a str, &'a Evidence),
    /// An RC4-only captured request from a host seen using AES (the evidence of that use).
    HostDowngrade(&'a Evidence),
}

fn is_aes(e: i32) -> bool {
    matches!(e, 17..=20)
}

fn is_rc4(e: i32) -> bool {
    matches!(e, 23 | 24 | -133 | -128 | -140 | -141)
}

/// A captured, answered, pre-authenticated AS-REQ that offered RC4 and nothing stronger.
fn rc4_only_request(ev: &IdentityEvent) -> bool {
    let EventKind::KerberosTgtRequest {
        status: 0,
        preauth_type: Some(p),
        wire: Some(w),
        ..
    } = &ev.kind
    else {
        return false;
    };
    *p != 0
        && w.answered
        && !w.requested_etypes.is_empty()
        && w.requested_etypes.iter().all(|e| is_rc4(*e))
}

/// A captured request showing the client's Kerberos uses AES: an AS-REQ offering AES first, or
/// a TGS-REQ whose authenticator (the TGT's session key) is AES.
fn shows_aes_client(ev: &IdentityEvent) -> bool {
    match &ev.kind {
        EventKind::KerberosTgtRequest { wire: Some(w), .. } => {
            w.requested_etypes.first().is_some_and(|e| is_aes(*e))
        }
        EventKind::KerberosServiceTicket { wire: Some(w), .. }
        | EventKind::KerberosApRequest { wire: Some(w), .. } => {
            w.authenticator_etype.is_some_and(is_aes)
        }
        _ => false,
    }
}

impl Detector for OverpassTheHash {
    fn name(&self) -> &'static str {
        "overpass_the_hash"
    }

    fn kinds(&self) -> &'static [AlertKind] {
        &[AlertKind::OverpassTheHash]
    }

    fn on_event(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        self.host_downgrade(ev, cx);
        match &ev.kind {
            EventKind::KerberosTgtRequest {
                status: 0,
                ticket_etype: Some(e),
                preauth_type,
                ..
            } if !ev.outcome.is_failure() => {
                let Some(account) = &ev.actor else { return };
                let key = account.key();
                if matches!(*e, etype::AES128 | etype::AES256) {
                    self.aes_accounts.insert(key.clone(), ev.time);
                    for rc4 in &self.rc4_pending.take(&key) {
                        raise(cx, rc4, Why::Downgrade);
                    }
                    return;
                }
                if !matches!(*e, etype::RC4_HMAC | etype::RC4_HMAC_EXP) || *preauth_type == Some(0)
                {
                    return;
                }
                if self.aes_accounts.contains(&key, ev.time) {
                    raise(cx, ev, Why::Downgrade);
                } else {
                    self.rc4_pending.push(key, ev.time, ev.clone());
                }
                let Some(client) = ev.source.as_ref().filter(|s| !s.is_loopback()) else {
                    return;
                };
                let client = client.key();
                let tool = self.kerberos_tools.get(&client).and_then(|items| {
                    items
                        .iter()
                        .find(|(t, _)| (*t - ev.time).abs() <= Duration::seconds(TOOL_SECS))
                        .map(|(_, v)| v.clone())
                });
                if let Some((image, evidence)) = tool {
                    raise(cx, ev, Why::Tool(&image, &evidence));
                }
                self.rc4_by_client.push(client, ev.time, ev.clone());
            }
            EventKind::NetworkConnection {
                image: Some(image),
                destination,
                destination_port: Some(88),
                ..
            } => {
                let exe = exe_name(image);
                if exe == "lsass.exe"
                    || exe == "system"
                    || destination.as_ref().is_none_or(Host::is_loopback)
                {
                    return;
                }
                let Some(client) = ev.source.as_ref().filter(|s| !s.is_loopback()) else {
                    return;
                };
                let client = client.key();
                self.kerberos_tools.push(
                    client.clone(),
                    ev.time,
                    (image.clone(), ev.evidence.clone()),
                );
                let tgts: Vec<IdentityEvent> = self
                    .rc4_by_client
                    .get(&client)
                    .map(|items| {
                        items
                            .iter()
                            .filter(|(t, _)| (*t - ev.time).abs() <= Duration::seconds(TOOL_SECS))
                            .map(|(_, e)| e.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                for tgt in &tgts {
                    raise(cx, tgt, Why::Tool(image, &ev.evidence));
                }
            }
            EventKind::ProcessCreated {
                command_line: Some(cmd),
                ..
            } => {
                if let Some(key_kind) = asktgt_with_key(cmd) {
                    if self.reported.first(ev) {
                        raise_tool_command(cx, ev, cmd, key_kind);
                    }
                }
            }
            _ => {}
        }
    }
}

impl OverpassTheHash {
    /// The wire rule: RC4-only requests from hosts whose Kerberos uses AES.
    fn host_downgrade(&mut self, ev: &IdentityEvent, cx: &mut Context<'_>) {
        if !matches!(
            ev.kind,
            EventKind::KerberosTgtRequest { wire: Some(_), .. }
                | EventKind::KerberosServiceTicket { wire: Some(_), .. }
                | EventKind::KerberosApRequest { wire: Some(_), .. }
        ) {
            return;
        }
        let Some(client) = ev.source.as_ref().filter(|s| !s.is_loopback()) else {
            return;
        };
        let host = client.key();
        if shows_aes_client(ev) {
            self.aes_hosts
                .push(host.clone(), ev.time, ev.evidence.clone());
            for rc4 in self.rc4_only_by_host.take(&host) {
                if (rc4.time - ev.time).abs() <= Duration::hours(HOST_HOURS) {
                    raise(cx, &rc4, Why::HostDowngrade(&ev.evidence));
                }
            }
            return;
        }
        if !rc4_only_request(ev) {
            return;
        }
        let seen = self.aes_hosts.get(&host).and_then(|items| {
            items
                .iter()
                .find(|(t, _)| (*t - ev.time).abs() <= Duration::hours(HOST_HOURS))
                .map(|(_, e)| e.clone())
        });
        match seen {
            Some(aes) => raise(cx, ev, Why::HostDowngrade(&aes)),
            None => {
                self.rc4_only_by_host.push(host, ev.time, ev.clone());
            }
        }
    }
}

/// The key type of a TGT request made with a key on the command line (`asktgt … /rc4:…`,
/// kekeo `tgt::ask … /ntlm:…`), if the command line is one.
fn asktgt_with_key(cmd: &str) -> Option<&'static str> {
    if !contains_ignore_case(cmd, "asktgt") && !contains_ignore_case(cmd, "tgt::ask") {
        return None;
    }
    let c = cmd.to_ascii_lowercase();
    let words: Vec<&str> = c.split_whitespace().map(|w| w.trim_matches('"')).collect();
    let asks = words.iter().any(|w| *w == "asktgt" || *w == "tgt::ask");
    if !asks {
        return None;
    }
    for w in &words {
        for (flag, kind) in [
            ("/rc4:", "an NT hash (RC4 key)"),
            ("/ntlm:", "an NT hash (RC4 key)"),
            ("/aes256:", "an AES256 key"),
            ("/aes128:", "an AES128 key"),
            ("/des:", "a DES key"),
        ] {
            if w.starts_with(flag) && w.len() > flag.len() {
                return Some(kind);
            }
        }
    }
    None
}

fn raise(cx: &mut Context<'_>, ev: &IdentityEvent, why: Why<'_>) {
    let Some(account) = &ev.actor else { return };
    let sensitive = cx.entities.is_sensitive_account(account);
    let client = ev
        .source
        .as_ref()
        .map_or("an unknown address".to_string(), |s| s.to_string());
    let (severity, reason) = match &why {
        Why::Downgrade => (
            if sensitive {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "{account} otherwise obtains AES tickets, so its key material includes AES keys \
                 and Windows would have offered them: a request that offers only RC4 is made by \
                 a tool that holds the account's NT hash rather than its password"
            ),
        ),
        Why::HostDowngrade(_) => (
            Severity::High,
            format!(
                "the request offered RC4 and nothing else, while Kerberos from {client} \
                 otherwise uses AES: Windows offers every encryption type it holds keys for, \
                 so a request limited to RC4 comes from a tool holding only the account's NT \
                 hash (Rubeus asktgt /rc4, impacket with -hashes)"
            ),
        ),
        Why::Tool(image, _) => (
            Severity::High,
            format!(
                "on that machine {image} — not LSASS, Windows' own Kerberos client — connected \
                 to a KDC on port 88 at the same time: a tool building its own Kerberos \
                 requests (such as Rubeus asktgt) with the account's NT hash"
            ),
        ),
    };
    let mut alert = Alert::new(AlertKind::OverpassTheHash, severity, ev)
        .title(format!("Overpass-the-hash: RC4 TGT for {account}"))
        .target_account(account, sensitive)
        .description(format!(
            "{} issued {account} a TGT encrypted with RC4 (0x17), requested from {client}; \
             {reason}.",
            ev.observer.as_deref().unwrap_or("The KDC")
        ))
        .remediation(REMEDIATION);
    if let Why::Tool(_, e) | Why::HostDowngrade(e) = &why {
        alert.add_evidence_ref(e, ev.time);
    }
    alert = alert.actor(account, sensitive);
    if let Some(src) = &ev.source {
        alert = alert.source(src);
    }
    if let Some(obs) = &ev.observer {
        alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
    }
    match why {
        // The same request seen again through another connection is one finding.
        Why::Tool(..) | Why::HostDowngrade(_) => cx.emit_summary(&account.key(), alert),
        Why::Downgrade => cx.emit(&account.key(), alert),
    }
}

fn raise_tool_command(cx: &mut Context<'_>, ev: &IdentityEvent, cmd: &str, key_kind: &str) {
    let host = ev.observer.clone().unwrap_or_else(|| "a host".into());
    let actor = ev.actor.as_ref().filter(|a| !a.is_builtin_service());
    let mut alert = Alert::new(AlertKind::OverpassTheHash, Severity::High, ev)
        .title(format!("Overpass-the-hash tool run on {host}"))
        .target(host.clone())
        .description(format!(
            "{} ran `{}` on {host}: a request for a Kerberos TGT made with {key_kind} instead \
             of a password (Rubeus asktgt, kekeo tgt::ask).",
            actor.map_or("An account".to_string(), |a| a.to_string()),
            clipped(cmd)
        ))
        .remediation(REMEDIATION);
    let user = user_argument(cmd);
    if let Some(user) = &user {
        alert = alert.target(user.clone());
    }
    if let Some(a) = actor {
        alert = alert.actor(a, cx.entities.is_sensitive_account(a));
    }
    if let Some(obs) = &ev.observer {
        alert = alert.observer(obs, cx.entities.observer_is_dc(ev));
    }
    // The KDC's record of the same request is keyed by the account the TGT is for: keyed the
    // same, the command and the RC4 TGT it obtained are one alert.
    let key = match user.as_deref().map(account_key).filter(|k| !k.is_empty()) {
        Some(k) => k,
        None => format!("tool|{}", host.to_ascii_lowercase()),
    };
    cx.emit(&key, alert);
}

/// An account named on a command line (`pgustavo`, `SHIRE\\pgustavo`, `pgustavo@shire.com`) as
/// [`rampart_core::Account::key`] keys it.
fn account_key(user: &str) -> String {
    let name = user.rsplit('\\').next().unwrap_or(user);
    let name = name.split('@').next().unwrap_or(name);
    name.to_ascii_lowercase()
}

const REMEDIATION: &str = "Reset the password of the account whose key was used (twice for a \
    privileged account) and find where its hash was taken from. Isolate the machine the request \
    came from. Where possible disable RC4 for Kerberos (msDS-SupportedEncryptionTypes, the \
    'Network security: Configure encryption types allowed for Kerberos' policy) and add \
    privileged accounts to Protected Users.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn tgt(secs: i64, user: &str, et: u32, client: &str) -> IdentityEvent {
        with(
            ev(
                secs,
                4768,
                EventKind::KerberosTgtRequest {
                    status: 0,
                    preauth_type: Some(2),
                    ticket_etype: Some(et),
                    ticket_options: Some(0x4080_0010),
                    wire: None,
                },
            ),
            Some(acct(user)),
            Some(ip(client)),
            None,
        )
    }

    fn kerberos_conn(secs: i64, image: &str) -> IdentityEvent {
        observed_by(
            with(
                ev(
                    secs,
                    3,
                    EventKind::NetworkConnection {
                        image: Some(image.into()),
                        destination: Some(ip("172.18.38.5")),
                        destination_port: Some(88),
                        source_port: None,
                        initiated: None,
                    },
                ),
                None,
                Some(ip("172.18.39.6")),
                None,
            ),
            "WORKSTATION6",
        )
    }

    #[test]
    fn rc4_tgt_for_an_aes_account_alerts_in_either_order() {
        let events = [
            tgt(0, "pgustavo", etype::AES256, "172.18.39.5"),
            tgt(100, "pgustavo", etype::RC4_HMAC, "172.18.39.6"),
        ];
        let alerts = run(Box::<OverpassTheHash>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::OverpassTheHash);
        let reversed = [events[1].clone(), events[0].clone()];
        assert_eq!(run(Box::<OverpassTheHash>::default(), &reversed).len(), 1);
    }

    #[test]
    fn rc4_tgt_with_a_kerberos_tool_on_the_client_alerts() {
        let events = [
            tgt(0, "pgustavo", etype::RC4_HMAC, "172.18.39.6"),
            kerberos_conn(1, "C:\\Users\\sbeavers\\Desktop\\Rubeus.exe"),
        ];
        let alerts = run(Box::<OverpassTheHash>::default(), &events);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::High);
        assert_eq!(alerts[0].evidence.len(), 2);
    }

    #[test]
    fn rc4_only_accounts_lsass_and_roastable_requests_are_benign() {
        let mut no_preauth = tgt(5, "svc_nopreauth", etype::RC4_HMAC, "10.0.0.9");
        if let EventKind::KerberosTgtRequest { preauth_type, .. } = &mut no_preauth.kind {
            *preauth_type = Some(0);
        }
        let events = [
            // An account that only ever gets RC4 (no AES keys).
            tgt(0, "legacy", etype::RC4_HMAC, "10.0.0.7"),
            tgt(600, "legacy", etype::RC4_HMAC, "10.0.0.7"),
            // LSASS talking to the KDC is Windows itself.
            tgt(700, "alice", etype::RC4_HMAC, "172.18.39.6"),
            kerberos_conn(701, "C:\\Windows\\system32\\lsass.exe"),
            // AS-REP roasting is not this detector's.
            tgt(800, "svc_nopreauth", etype::AES256, "10.0.0.9"),
            no_preauth,
        ];
        assert!(run(Box::<OverpassTheHash>::default(), &events).is_empty());
    }

    #[test]
    fn asktgt_with_a_key_alerts() {
        let cmd = "\"C:\\users\\sbeavers\\Desktop\\Rubeus.exe\" asktgt /user:pgustavo /rc4:81d310fa34e6a56a31145445891bb7b8 /ptt";
        assert_eq!(asktgt_with_key(cmd), Some("an NT hash (RC4 key)"));
        assert_eq!(user_argument(cmd).as_deref(), Some("pgustavo"));
        assert_eq!(
            asktgt_with_key("Rubeus.exe asktgt /user:x /password:y"),
            None
        );
        assert_eq!(asktgt_with_key("notepad.exe /rc4:abc"), None);
        let e = observed_by(
            ev(
                0,
                1,
                EventKind::ProcessCreated {
                    image: "C:\\Users\\sbeavers\\Desktop\\Rubeus.exe".into(),
                    command_line: Some(cmd.into()),
                    parent_image: None,
                    process_id: Some(1),
                    parent_process_id: Some(2),
                    logon_id: None,
                },
            ),
            "WORKSTATION6",
        );
        let alerts = run(Box::<OverpassTheHash>::default(), &[e.clone(), e.clone()]);
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            alerts[0].count, 1,
            "4688 and Sysmon 1 of one process count once"
        );

        // The command and the RC4 TGT the KDC issued for it (with the tool's own Kerberos
        // connection) are one request: one alert, with the evidence of both machines.
        let mut tgt = tgt(3, "pgustavo", etype::RC4_HMAC, "172.18.39.6");
        tgt.evidence.record = 252;
        let mut conn = kerberos_conn(3, "C:\\Users\\sbeavers\\Desktop\\Rubeus.exe");
        conn.evidence.record = 338;
        let alerts = run(Box::<OverpassTheHash>::default(), &[e, tgt, conn]);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].evidence.len(), 3);
        assert_eq!(account_key("SHIRE\\PGustavo"), "pgustavo");
        assert_eq!(account_key("pgustavo@shire.com"), "pgustavo");
    }

    /// A captured AS exchange: the etypes offered, answered with the given reply etype.
    fn wire_tgt(secs: i64, user: &str, offered: &[i32], client: &str) -> IdentityEvent {
        let mut e = wire(
            secs,
            "172.18.38.5",
            client,
            EventKind::KerberosTgtRequest {
                status: 0,
                preauth_type: Some(2),
                ticket_etype: Some(offered[0] as u32),
                ticket_options: Some(0x4080_0010),
                wire: Some(Box::new(rampart_core::KerberosWire {
                    requested_etypes: offered.to_vec(),
                    padata_types: vec![2, 128],
                    reply_etype: Some(offered[0]),
                    answered: true,
                    ..Default::default()
                })),
            },
        );
        e.actor = Some(acct(user));
        e
    }

    /// A captured TGS exchange whose authenticator used `auth_etype`.
    fn wire_tgs(secs: i64, client: &str, auth_etype: i32) -> IdentityEvent {
        wire(
            secs,
            "172.18.38.5",
            client,
            EventKind::KerberosServiceTicket {
                status: 0,
                service: "cifs/dc1".into(),
                service_sid: None,
                ticket_etype: Some(18),
                ticket_options: None,
                wire: Some(Box::new(rampart_core::KerberosWire {
                    requested_etypes: vec![18, 17, 23],
                    authenticator_etype: Some(auth_etype),
                    presented_ticket_etype: Some(18),
                    answered: true,
                    ..Default::default()
                })),
            },
        )
    }

    #[test]
    fn captured_rc4_only_request_from_a_host_using_aes_alerts_in_either_order() {
        // Rubeus asktgt /rc4 on a workstation whose own Kerberos uses AES.
        let events = [
            wire_tgs(0, "172.18.39.6", 18),
            wire_tgt(30, "pgustavo", &[23], "172.18.39.6"),
        ];
        let alerts = run(Box::<OverpassTheHash>::default(), &events);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].severity, Severity::High);
        assert_eq!(alerts[0].evidence.len(), 2);
        let reversed = [events[1].clone(), events[0].clone()];
        assert_eq!(run(Box::<OverpassTheHash>::default(), &reversed).len(), 1);
        // A Windows-style AS-REQ offering AES first also shows the host's AES use.
        let events = [
            wire_tgt(0, "WS6$", &[18, 17, 23, 24, -135], "172.18.39.6"),
            wire_tgt(30, "pgustavo", &[23], "172.18.39.6"),
        ];
        assert_eq!(run(Box::<OverpassTheHash>::default(), &events).len(), 1);
    }

    #[test]
    fn captured_rc4_requests_of_rc4_hosts_loopback_or_a_day_apart_are_benign() {
        let events = [
            // A host that only ever uses RC4 (an old appliance).
            wire_tgs(0, "10.0.0.7", 23),
            wire_tgt(10, "svc_app", &[23], "10.0.0.7"),
            // AES then RC4-only on loopback: every local program shares the address.
            wire_tgs(0, "127.0.0.1", 18),
            wire_tgt(10, "jnguyen", &[23], "127.0.0.1"),
            // Windows offering RC4 among AES is no downgrade.
            wire_tgs(0, "10.0.0.8", 18),
            wire_tgt(10, "ann", &[18, 17, 23], "10.0.0.8"),
            // AES use a day and more before the RC4-only request.
            wire_tgs(0, "10.0.0.9", 18),
            wire_tgt(90_000, "bob", &[23], "10.0.0.9"),
        ];
        let alerts = run(Box::<OverpassTheHash>::default(), &events);
        assert!(alerts.is_empty(), "{alerts:?}");
    }
}
