//! [`IdentityEvent`]: what happened to an identity, whatever the source.
//!
//! An event says what happened (a service ticket was issued, a group gained a member), not where
//! it came from: a 4769 record, a Samba audit line and a captured TGS-REP all become
//! [`EventKind::KerberosServiceTicket`]. Where it came from is kept only in [`Evidence`], so that
//! every alert can point at the exact raw records behind it.
//!
//! Roles, the same for every kind:
//! - `actor`: the identity on whose behalf the action happened (the account that logged on, the
//!   client that asked for a ticket, the administrator who changed a group);
//! - `source`: the machine the action came from over the network, when known;
//! - `target`: the account acted upon (the user whose password was reset, the group changed);
//! - `observer`: the machine that recorded the event (a DC's name, a sensor).

use crate::entity::{Account, Host};
use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityEvent {
    pub time: Timestamp,
    /// The machine that recorded the event (the `Computer` of a Windows record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observer: Option<String>,
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Account>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Host>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Account>,
    pub outcome: Outcome,
    pub evidence: Evidence,
}

impl IdentityEvent {
    /// A successful event with no entities yet; mappers fill in the rest.
    pub fn new(time: Timestamp, kind: EventKind, evidence: Evidence) -> IdentityEvent {
        IdentityEvent {
            time,
            observer: None,
            kind,
            actor: None,
            source: None,
            target: None,
            outcome: Outcome::Success,
            evidence,
        }
    }

    /// Whether a packet sensor saw this (a capture or live traffic) rather than a log recorded
    /// it: captured events carry no event id and name as observer the address of the server
    /// that answered.
    pub fn is_captured(&self) -> bool {
        self.evidence.event_id.is_none()
            && self
                .observer
                .as_deref()
                .is_some_and(|o| o.parse::<std::net::IpAddr>().is_ok())
    }

    /// Whether the action came from the observing machine itself: a loopback source in a log
    /// (the machine talking to itself), or, on the wire, a client whose address is the server's.
    /// A captured loopback client talking to another loopback address is a different machine
    /// as far as the capture shows (test labs run whole domains on 127.0.0.0/8).
    pub fn source_is_local(&self) -> bool {
        let Some(src) = &self.source else {
            return false;
        };
        if self.is_captured() {
            let server = self
                .observer
                .as_deref()
                .and_then(|o| o.parse::<std::net::IpAddr>().ok());
            return src.ip.is_some() && src.ip == server;
        }
        src.is_loopback()
    }

    /// The observer's short name, lower-case (`dc01` for `DC01.corp.local`).
    pub fn observer_short(&self) -> Option<String> {
        self.observer.as_deref().map(|o| {
            // Only a string of hex digits, dots and colons can be an address; testing that
            // first spares the address parser every host name (this runs for most events).
            let maybe_ip = o
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':');
            match maybe_ip
                .then(|| o.parse::<std::net::IpAddr>().ok())
                .flatten()
            {
                // A sensor names the server by address: `127.0.0.2` has no short form.
                Some(ip) => ip.to_string(),
                None => o.split('.').next().unwrap_or(o).to_ascii_lowercase(),
            }
        })
    }
}

/// Whether the action succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "code")]
pub enum Outcome {
    Success,
    /// Failed, with the status the source gave (NTSTATUS, Kerberos error code, or 0 if none).
    Failure(u32),
    Unknown,
}

impl Outcome {
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Failure(_))
    }
}

/// Where an event came from: enough to find the raw record again.
#[derive(Debug, Clone, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The input as the user gave it (a file path, a capture name, a sensor id).
    pub source: Arc<str>,
    /// The record's locator in `source`: the EventRecordID of an EVTX record, the line number
    /// (1-based) in a JSON-lines file, the frame number in a capture.
    pub record: u64,
    /// The Windows event id the record carried, when it was a Windows event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<u32>,
}

/// Field-wise equality, cheapest field first: alerts check each new evidence record against
/// the ones they keep, and the records of one input share one `source` allocation, so the
/// string is compared only when the record numbers already match.
impl PartialEq for Evidence {
    fn eq(&self, other: &Self) -> bool {
        self.record == other.record
            && self.event_id == other.event_id
            && (Arc::ptr_eq(&self.source, &other.source) || self.source == other.source)
    }
}

impl std::hash::Hash for Evidence {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.source.hash(state);
        self.record.hash(state);
        self.event_id.hash(state);
    }
}

/// A Windows event record as the log wrote it: its system header and its `EventData` (or
/// `UserData`) fields by their own names, values as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawRecord {
    pub event_id: u32,
    /// `Security`, `System`, `Microsoft-Windows-Sysmon/Operational`, …
    pub channel: String,
    /// `Microsoft-Windows-Security-Auditing`, `Service Control Manager`, …
    pub provider: String,
    /// The machine that recorded the event.
    pub computer: String,
    /// The data fields in source order (a multi-part value joined by `\n`).
    pub fields: Vec<(String, String)>,
}

impl RawRecord {
    /// A field's value by exact name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What kind of account an account-management event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    User,
    Computer,
    Group,
}

/// Group scope, from the event that reported the membership change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupScope {
    Global,
    /// Domain-local or a machine's local group (4732/4733).
    Local,
    Universal,
    Unknown,
}

/// A directory object as events name it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DirObject {
    /// Distinguished name, or the `%{guid}` form 4662 uses when no name was resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dn: Option<String>,
    /// objectClass (`user`, `groupPolicyContainer`, `domainDNS`, …) or its schema GUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
}

/// The operation of a directory change (5136 `OperationType`, 5137/5139/5141).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    ValueAdded,
    ValueDeleted,
    Created,
    Deleted,
    Moved,
    Undeleted,
}

/// What happened to a scheduled task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskAction {
    Created,
    Deleted,
    Enabled,
    Disabled,
    Updated,
}

/// What the database engine did with a database file (ESENT events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EseDatabaseOp {
    /// 325: a new database was created.
    Created,
    /// 326: a database was attached (opened).
    Attached,
    /// 327: a database was detached (closed).
    Detached,
    /// 216: a database was found at another location than the one it was last used at.
    Moved,
}

/// What a packet sensor saw of a Kerberos exchange that event logs do not record. Ticket
/// fingerprints are a hash of the ticket's encrypted part: the same ticket presented twice has
/// the same fingerprint, and a TGT presented in a TGS-REQ can be matched with the AS-REP that
/// issued it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KerberosWire {
    /// Encryption types the client offered, in its order of preference.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requested_etypes: Vec<i32>,
    /// PA-DATA types of the request (2 ENC-TIMESTAMP, 128 PA-PAC-REQUEST, 1 PA-TGS-REQ, 16 PKINIT).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub padata_types: Vec<i32>,
    /// The ticket the reply issued (AS-REP: a TGT; TGS-REP: a service ticket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_ticket: Option<u64>,
    /// The ticket the request presented (TGS-REQ: the TGT in its PA-TGS-REQ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presented_ticket: Option<u64>,
    /// Encryption type of the presented ticket's encrypted part (for a TGT: the krbtgt key's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presented_ticket_etype: Option<i32>,
    /// Encryption type of a TGS-REQ's authenticator, which is the presented TGT's session key:
    /// what the client's own AS exchange negotiated (AES from a Windows client with AES keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_etype: Option<i32>,
    /// Encryption type of the reply's encrypted part (AS-REP: the client key's, what an AS-REP
    /// roaster cracks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_etype: Option<i32>,
    /// Length of the issued ticket's cipher text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_cipher_len: Option<u32>,
    /// The end time the client asked for (`till`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub till: Option<Timestamp>,
    /// The client's realm as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// The reply was seen (a request without one has outcome `Unknown`).
    #[serde(default)]
    pub answered: bool,
}

/// What a packet sensor saw of an NTLMSSP authentication.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NtlmWire {
    /// `v1`, `v2`, or `anonymous` (empty responses), from the NT response length.
    pub version: String,
    /// The protocol that carried it (`smb2`, `ldap`, `http`, `dcerpc`).
    pub carrier: String,
}

/// What happened. Variants are named for the identity action, never for the log that showed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A TGT request to the KDC (AS exchange): 4768 success or failure, 4771 pre-auth failure,
    /// a captured AS-REQ/AS-REP. `status` is the Kerberos error code (0 = issued).
    KerberosTgtRequest {
        status: u32,
        /// Pre-authentication type (0 = none, 2 = encrypted timestamp, 15/16/17 = PKINIT).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        preauth_type: Option<u32>,
        /// Encryption type of the issued ticket / pre-auth (17/18 AES, 23 RC4, 1/3 DES).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ticket_etype: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ticket_options: Option<u32>,
        /// What a packet sensor saw of the exchange beyond what a 4768 records.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wire: Option<Box<KerberosWire>>,
    },
    /// A service ticket request (TGS exchange): 4769, a captured TGS-REQ/TGS-REP.
    KerberosServiceTicket {
        status: u32,
        /// The service account or SPN the ticket is for (`svc_sql`, `krbtgt`, `DC01$`).
        service: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service_sid: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ticket_etype: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ticket_options: Option<u32>,
        /// What a packet sensor saw of the exchange beyond what a 4769 records.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wire: Option<Box<KerberosWire>>,
    },
    /// NTLM credential validation by a DC or local SAM (4776, captured NTLMSSP AUTHENTICATE).
    NtlmAuth {
        status: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workstation: Option<String>,
        /// What a packet sensor saw of the NTLMSSP exchange.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wire: Option<Box<NtlmWire>>,
    },
    /// A logon session was created (4624).
    Logon {
        logon_type: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auth_package: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        logon_process: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        logon_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        elevated: Option<bool>,
    },
    /// A logon attempt failed (4625): `status`/`sub_status` are the NTSTATUS reasons
    /// (0xC000006A wrong password, 0xC0000064 no such user, 0xC0000234 locked out, …).
    LogonFailure {
        logon_type: u32,
        status: u32,
        sub_status: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auth_package: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        process: Option<String>,
    },
    /// A logon session ended (4634/4647).
    Logoff {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        logon_id: Option<String>,
    },
    /// A process used explicit credentials (4648, runas, `net use /user`).
    ExplicitCredentials {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_server: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        process: Option<String>,
    },
    /// Access to a directory object was checked (4662) and it was not a replication request.
    DirectoryAccess {
        object: DirObject,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        access_mask: Option<u32>,
        /// Property/extended-right GUIDs or names the access was for.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        properties: Vec<String>,
    },
    /// Directory replication was requested: 4662 with replication extended rights, a captured
    /// DRSUAPI DsGetNCChanges.
    DirectoryReplication {
        object: DirObject,
        /// The rights named (`DS-Replication-Get-Changes`, `-All`, `-In-Filtered-Set`).
        rights: Vec<String>,
    },
    /// A directory object changed (5136 attribute, 5137 created, 5139 moved, 5141 deleted).
    DirectoryChange {
        object: DirObject,
        op: ChangeOp,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attribute: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        /// Groups the attribute changes of one LDAP operation (5136 `OpCorrelationID`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        correlation: Option<String>,
    },
    /// A member was added to or removed from a group (4728/4729, 4732/4733, 4756/4757, …).
    /// `target` is the group; `member` the account added or removed.
    GroupMembershipChange {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        member: Option<Account>,
        /// The member's DN when the event gives one (`MemberName`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        member_dn: Option<String>,
        added: bool,
        scope: GroupScope,
    },
    /// A group's membership was enumerated (4798 user's local groups, 4799 local group members).
    GroupMembershipEnumerated {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        process: Option<String>,
    },
    /// A handle to a SAM object was requested (4661): domain, user, group or alias.
    SamObjectAccess {
        object_type: String,
        object_name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        process: Option<String>,
    },
    AccountCreated {
        account_type: AccountType,
    },
    AccountDeleted {
        account_type: AccountType,
    },
    AccountEnabled,
    AccountDisabled,
    AccountLockedOut,
    /// Attributes of an account changed (4738/4742/4737…): `changes` holds the attributes the
    /// event reported as changed, by the event's own names (`UserAccountControl`,
    /// `ServicePrincipalNames`, `AllowedToDelegateTo`, `SidHistory`, …).
    AccountChanged {
        account_type: AccountType,
        changes: Vec<(String, String)>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old_uac: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_uac: Option<u32>,
    },
    AccountRenamed {
        old_name: String,
        new_name: String,
    },
    /// An administrator set another account's password (4724).
    PasswordReset,
    /// An account changed its own password (4723).
    PasswordChange,
    /// SID history was added (4765) or an attempt failed (4766).
    SidHistoryAdded {
        sid_history: String,
    },
    /// The Directory Services Restore Mode administrator password was set (4794).
    DsrmPasswordSet,
    /// A service was installed (7045, 4697).
    ServiceInstalled {
        name: String,
        image_path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service_type: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start_type: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service_account: Option<String>,
    },
    /// The service control manager reported on a service: failed to start (7000), timed out
    /// (7009), changed state (7036) or start type (7040).
    ServiceStatus {
        name: String,
        status: String,
    },
    /// A scheduled task was registered, changed or removed (4698-4702, TaskScheduler 106/140/141).
    ScheduledTask {
        action: TaskAction,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<String>,
        /// The logon session (`SubjectLogonId`) the change was made in, as the record wrote it:
        /// it ties the change to the 4624 that opened that session (`Logon::logon_id`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        logon_id: Option<String>,
    },
    /// An event log was cleared (Security 1102, System 104).
    LogCleared {
        channel: String,
    },
    /// A process started (4688, Sysmon 1).
    ProcessCreated {
        image: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        command_line: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent_image: Option<String>,
        /// The new process's id (4688 `NewProcessId`, Sysmon `ProcessId`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        process_id: Option<u32>,
        /// The creator's process id (4688 `ProcessId`, Sysmon `ParentProcessId`): with
        /// `process_id` it names the parent where the record has no `parent_image` (4688 before
        /// Windows 10).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent_process_id: Option<u32>,
        /// The logon session the new process runs in, as the record wrote it (Sysmon `LogonId`;
        /// 4688 `TargetLogonId` when set, else `SubjectLogonId`): it ties the process to the 4624
        /// that opened that session (`Logon::logon_id`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        logon_id: Option<String>,
    },
    /// A process opened another (Sysmon 10, 4656/4663 on a process object).
    ProcessAccess {
        source_image: String,
        target_image: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        access: Option<String>,
    },
    /// A file was created (Sysmon 11).
    FileCreated {
        path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image: Option<String>,
    },
    /// A named pipe was created (Sysmon 17) or connected to (Sysmon 18).
    PipeEvent {
        pipe: String,
        created: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image: Option<String>,
    },
    /// A network share, or a file or pipe in one, was accessed (5140, 5145). Named pipes appear
    /// as `IPC$` with `relative_target` `svcctl`, `samr`, …
    ShareAccess {
        share: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        relative_target: Option<String>,
    },
    /// A registry value was set (Sysmon 13).
    RegistryValueSet {
        key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image: Option<String>,
    },
    /// A network connection was made (Sysmon 3). `source` is the connection's local or remote
    /// end as the record names it (`SourceIp`/`SourceHostname`), `destination` the other end.
    NetworkConnection {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        destination: Option<Host>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        destination_port: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source_port: Option<u16>,
        /// Whether the observer opened the connection (`true`) or accepted it (`false`), when
        /// the record says (Sysmon `Initiated`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        initiated: Option<bool>,
    },
    /// A DNS zone transfer was requested (DNS Server 6001/6004, a captured AXFR/IXFR).
    DnsZoneTransfer {
        zone: String,
        refused: bool,
    },
    /// The database engine (ESE) created, attached or detached a database file, or found it at
    /// a new location (Application, provider ESENT: 325, 326, 327, 216). This is how a copy of
    /// the directory database (`ntds.dit`) shows up when it is opened outside the running DC.
    EseDatabase {
        op: EseDatabaseOp,
        /// The database file (for `Moved`, its new location).
        path: String,
        /// The process or instance that opened it (`NTDS`, `lsass`, `SearchIndexer`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instance: Option<String>,
        /// For `Moved`: where the database was before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous_path: Option<String>,
    },
    /// Silent process exit monitoring reported that a process ended (Application, provider
    /// Microsoft-Windows-ProcessExitMonitor: 3000 self-exit, 3001 terminated by another process).
    /// Windows writes these only for images configured under the `SilentProcessExit` key, and
    /// can dump the process's memory when it does.
    ProcessExitReported {
        /// The process that exited.
        image: String,
        /// For 3001: the process that terminated it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        terminated_by: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<u32>,
    },
    /// A Netlogon secure channel was refused or set up with the vulnerable protocol (System,
    /// provider NETLOGON: 5805 session setup failed to authenticate; 5827/5828 vulnerable
    /// connection denied; 5829/5830/5831 vulnerable connection allowed). `actor` is the machine
    /// or trust account, `source` the computer when the event names it.
    NetlogonSecureChannel {
        /// The connection was refused (5805, 5827, 5828).
        denied: bool,
        /// The client used the vulnerable (non secure-RPC) form of the protocol (5827-5831).
        vulnerable: bool,
    },
    /// A remote shell was opened on, or a remote-management user authenticated to, the
    /// observer (WinRM / PowerShell remoting: WinRM/Operational 91 and 169).
    RemoteShell {
        /// The remoting protocol (`winrm`).
        protocol: String,
        /// What was opened: the shell's resource URI, when given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resource: Option<String>,
        /// The authentication mechanism (`NTLM`, `Kerberos`, `Negotiate`…), when given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auth: Option<String>,
        /// The remoting client, when the wire names it (`PowerShell 5.1.18362.1110`, from the
        /// `PSVersion` of a captured WS-Management URL).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
    /// A Kerberos ticket presented to a service: a captured AP-REQ in an SMB2 session setup
    /// (LDAP, HTTP and DCE/RPC carry them too). `actor` is not known: the client's name is
    /// inside the ticket's encrypted part. `wire` holds the ticket's fingerprint
    /// (`presented_ticket`), its etype and the authenticator's etype. Emitted when presented;
    /// whether the service accepted it shows in what the session does next.
    KerberosApRequest {
        /// The service principal the ticket is for (`cifs/dc1.corp.local`).
        service: String,
        /// The protocol that carried it (`smb2`).
        carrier: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wire: Option<Box<KerberosWire>>,
    },
    /// An LDAP bind (captured bindRequest and its bindResponse). `actor` is the bound account when
    /// the name could be read (a simple bind's DN or UPN, an NTLM user); outcome is the
    /// bindResponse's resultCode (49 = invalidCredentials).
    LdapBind {
        /// `simple`, `sasl:<mechanism>` (`sasl:GSS-SPNEGO`, `sasl:GSSAPI`), or `sicily` (NTLM).
        method: String,
        /// The bind name as sent (a DN, UPN or `DOMAIN\user`); empty for anonymous binds.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        name: String,
    },
    /// An LDAP search (captured searchRequest, completed by its searchResDone when seen).
    LdapSearch {
        base: String,
        /// 0 base object, 1 one level, 2 whole subtree.
        scope: u8,
        /// The filter in RFC 4515 string form (`(&(objectClass=user)(servicePrincipalName=*))`).
        filter: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attributes: Vec<String>,
        /// Entries returned, when the response was seen.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entries: Option<u32>,
    },
    /// A DNS query and, when seen, its answer (zone transfers are [`EventKind::DnsZoneTransfer`]).
    DnsQuery {
        name: String,
        /// Query type (1 A, 28 AAAA, 33 SRV, 255 ANY, …).
        qtype: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rcode: Option<u16>,
        #[serde(default)]
        answers: u16,
    },
    /// A DCE/RPC call (over an SMB named pipe or TCP): which interface, which operation. The
    /// interface is named by its well-known short name (`samr`, `drsuapi`, `svcctl`, `netlogon`,
    /// `srvsvc`, `lsarpc`, `atsvc`, `itaskschedulerservice`, `epm`, `iwbemservices`, …) or by its
    /// UUID when unknown. Outcome: a fault or a non-zero return status is a failure.
    RpcCall {
        interface: String,
        /// The operation number within the interface.
        opnum: u16,
        /// The operation's name when known (`SamrEnumerateUsersInDomain`, `DsGetNCChanges`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        operation: Option<String>,
        /// The named pipe the call went over (`samr`, `lsarpc`), `None` over TCP.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pipe: Option<String>,
        /// The call's stub was encrypted (packet privacy): the operation is known, its arguments
        /// are not.
        #[serde(default)]
        sealed: bool,
        /// What the call names beyond its operation, when the dissector reads it: for a DCOM
        /// activation, the class (CLSID) being created.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        object: Option<String>,
    },
    /// A source record kept as it was, for rules that match raw fields (Sigma). Readers emit
    /// one only when asked to (`rampart_ingest::ReadOptions::raw`), in addition to whatever
    /// the record maps to and with the same evidence; it says nothing about what happened, and
    /// detectors other than rule matchers ignore it.
    RawRecord {
        record: Arc<RawRecord>,
    },
}

impl EventKind {
    /// A short stable name for counts and storage (`kerberos_tgt_request`, `logon`, …).
    pub fn name(&self) -> &'static str {
        use EventKind::*;
        match self {
            KerberosTgtRequest { .. } => "kerberos_tgt_request",
            KerberosServiceTicket { .. } => "kerberos_service_ticket",
            NtlmAuth { .. } => "ntlm_auth",
            Logon { .. } => "logon",
            LogonFailure { .. } => "logon_failure",
            Logoff { .. } => "logoff",
            ExplicitCredentials { .. } => "explicit_credentials",
            DirectoryAccess { .. } => "directory_access",
            DirectoryReplication { .. } => "directory_replication",
            DirectoryChange { .. } => "directory_change",
            GroupMembershipChange { .. } => "group_membership_change",
            GroupMembershipEnumerated { .. } => "group_membership_enumerated",
            SamObjectAccess { .. } => "sam_object_access",
            AccountCreated { .. } => "account_created",
            AccountDeleted { .. } => "account_deleted",
            AccountEnabled => "account_enabled",
            AccountDisabled => "account_disabled",
            AccountLockedOut => "account_locked_out",
            AccountChanged { .. } => "account_changed",
            AccountRenamed { .. } => "account_renamed",
            PasswordReset => "password_reset",
            PasswordChange => "password_change",
            SidHistoryAdded { .. } => "sid_history_added",
            DsrmPasswordSet => "dsrm_password_set",
            ServiceInstalled { .. } => "service_installed",
            ServiceStatus { .. } => "service_status",
            ScheduledTask { .. } => "scheduled_task",
            LogCleared { .. } => "log_cleared",
            ProcessCreated { .. } => "process_created",
            ProcessAccess { .. } => "process_access",
            FileCreated { .. } => "file_created",
            PipeEvent { .. } => "pipe_event",
            ShareAccess { .. } => "share_access",
            RegistryValueSet { .. } => "registry_value_set",
            NetworkConnection { .. } => "network_connection",
            DnsZoneTransfer { .. } => "dns_zone_transfer",
            RemoteShell { .. } => "remote_shell",
            EseDatabase { .. } => "ese_database",
            ProcessExitReported { .. } => "process_exit_reported",
            NetlogonSecureChannel { .. } => "netlogon_secure_channel",
            LdapBind { .. } => "ldap_bind",
            LdapSearch { .. } => "ldap_search",
            DnsQuery { .. } => "dns_query",
            RpcCall { .. } => "rpc_call",
            KerberosApRequest { .. } => "kerberos_ap_request",
            RawRecord { .. } => "raw_record",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed_by(observer: &str) -> IdentityEvent {
        let mut ev = IdentityEvent::new(
            chrono::DateTime::UNIX_EPOCH,
            EventKind::LogCleared {
                channel: "Security".into(),
            },
            Evidence {
                source: Arc::from("t.evtx"),
                record: 1,
                event_id: Some(1102),
            },
        );
        ev.observer = Some(observer.into());
        ev
    }

    #[test]
    fn observer_short_names_hosts_and_keeps_addresses() {
        let short = |o: &str| observed_by(o).observer_short();
        assert_eq!(short("DC01.corp.local").as_deref(), Some("dc01"));
        assert_eq!(short("dc1").as_deref(), Some("dc1"));
        // Hex-looking host names are not addresses.
        assert_eq!(short("DEAD.corp.local").as_deref(), Some("dead"));
        assert_eq!(short("127.0.0.2").as_deref(), Some("127.0.0.2"));
        assert_eq!(short("fe80::1").as_deref(), Some("fe80::1"));
        assert_eq!(short("0:0:0:0:0:0:0:1").as_deref(), Some("::1"));
    }
}
