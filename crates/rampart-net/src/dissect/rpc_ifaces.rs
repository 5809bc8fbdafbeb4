//! DCE/RPC interfaces Rampart names: abstract-syntax UUID → short name, operation names, and how
//! the interface reports failure in a response.
//!
//! Names follow the interface's own IDL (`samr`, `drsuapi`, `svcctl`, …) so that detectors can
//! match `RpcCall::interface` against the names the event model documents; operation names are
//! the method names of the Microsoft open specification (MS-SAMR, MS-DRSR, MS-NRPC, MS-SCMR,
//! MS-SRVS, MS-WKST, MS-LSAD/LSAT, MS-TSCH, MS-RPCE, MS-RRP, MS-EFSR, MS-RPRN, MS-BKRP, MS-DCOM,
//! MS-WMI, MS-OAUT). Opnums "not used on wire" are left out.

use std::fmt;

/// An interface UUID in its canonical (text) byte order, whatever the wire's data
/// representation was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// From the 16 wire bytes of a UUID: the first three fields follow the PDU's integer byte
    /// order (little-endian for `drep[0] & 0x10`), the last eight bytes are an octet string.
    pub fn from_wire(b: &[u8; 16], little_endian: bool) -> Uuid {
        let mut u = *b;
        if little_endian {
            u[0..4].reverse();
            u[4..6].reverse();
            u[6..8].reverse();
        }
        Uuid(u)
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        write!(
            f,
            "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
            b[14], b[15]
        )
    }
}

/// How an interface's operations report failure in their return value (the last four bytes of
/// a response stub, in NDR the return value is always marshalled last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    /// NTSTATUS: only error severity (`0xC…`) is a failure; `STATUS_MORE_ENTRIES` and the
    /// warnings enumeration ends with are not.
    NtStatus,
    /// Win32 error codes: any non-zero value but `ERROR_MORE_DATA` (234), which paged
    /// enumerations return while succeeding.
    Win32,
    /// HRESULT (DCOM, the task scheduler): the severity bit.
    HResult,
    /// A DCE `error_status_t` (the endpoint mapper): any non-zero value.
    Dce,
}

impl StatusKind {
    /// Whether a returned status means the operation failed.
    pub fn is_failure(self, status: u32) -> bool {
        match self {
            StatusKind::NtStatus => status >= 0xC000_0000,
            StatusKind::Win32 => status != 0 && status != 234,
            StatusKind::HResult => status & 0x8000_0000 != 0,
            StatusKind::Dce => status != 0,
        }
    }
}

/// One known interface.
#[derive(Debug)]
pub struct Interface {
    /// Lower-case canonical UUID text.
    pub uuid: &'static str,
    /// The short name `RpcCall::interface` carries.
    pub name: &'static str,
    pub ops: &'static [(u16, &'static str)],
    pub status: StatusKind,
}

impl Interface {
    pub fn operation(&self, opnum: u16) -> Option<&'static str> {
        self.ops.iter().find(|(n, _)| *n == opnum).map(|(_, s)| *s)
    }
}

/// The interface of an abstract syntax, if Rampart knows it.
pub fn lookup(uuid: &Uuid) -> Option<&'static Interface> {
    // Compared as bytes: formatting the UUID of every call to text was a tenth of the
    // sensor's time on RPC-heavy traffic.
    static BY_BYTES: std::sync::OnceLock<Vec<([u8; 16], &'static Interface)>> =
        std::sync::OnceLock::new();
    BY_BYTES
        .get_or_init(|| {
            INTERFACES
                .iter()
                .filter_map(|i| Some((parse_uuid(i.uuid)?, i)))
                .collect()
        })
        .iter()
        .find(|(b, _)| *b == uuid.0)
        .map(|(_, i)| *i)
}

/// The 16 bytes of a UUID written in its canonical text form (`8-4-4-4-12` hex digits).
fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (o, pair) in out.iter_mut().zip(hex.chunks(2)) {
        *o = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

use StatusKind::*;

const IUNKNOWN_OPS: [(u16, &str); 3] = [(0, "QueryInterface"), (1, "AddRef"), (2, "Release")];

pub static INTERFACES: &[Interface] = &[
    Interface {
        uuid: "12345778-1234-abcd-ef00-0123456789ac",
        name: "samr",
        status: NtStatus,
        ops: &[
            (0, "SamrConnect"),
            (1, "SamrCloseHandle"),
            (2, "SamrSetSecurityObject"),
            (3, "SamrQuerySecurityObject"),
            (5, "SamrLookupDomainInSamServer"),
            (6, "SamrEnumerateDomainsInSamServer"),
            (7, "SamrOpenDomain"),
            (8, "SamrQueryInformationDomain"),
            (9, "SamrSetInformationDomain"),
            (10, "SamrCreateGroupInDomain"),
            (11, "SamrEnumerateGroupsInDomain"),
            (12, "SamrCreateUserInDomain"),
            (13, "SamrEnumerateUsersInDomain"),
            (14, "SamrCreateAliasInDomain"),
            (15, "SamrEnumerateAliasesInDomain"),
            (16, "SamrGetAliasMembership"),
            (17, "SamrLookupNamesInDomain"),
            (18, "SamrLookupIdsInDomain"),
            (19, "SamrOpenGroup"),
            (20, "SamrQueryInformationGroup"),
            (21, "SamrSetInformationGroup"),
            (22, "SamrAddMemberToGroup"),
            (23, "SamrDeleteGroup"),
            (24, "SamrRemoveMemberFromGroup"),
            (25, "SamrGetMembersInGroup"),
            (26, "SamrSetMemberAttributesOfGroup"),
            (27, "SamrOpenAlias"),
            (28, "SamrQueryInformationAlias"),
            (29, "SamrSetInformationAlias"),
            (30, "SamrDeleteAlias"),
            (31, "SamrAddMemberToAlias"),
            (32, "SamrRemoveMemberFromAlias"),
            (33, "SamrGetMembersInAlias"),
            (34, "SamrOpenUser"),
            (35, "SamrDeleteUser"),
            (36, "SamrQueryInformationUser"),
            (37, "SamrSetInformationUser"),
            (38, "SamrChangePasswordUser"),
            (39, "SamrGetGroupsForUser"),
            (40, "SamrQueryDisplayInformation"),
            (41, "SamrGetDisplayEnumerationIndex"),
            (44, "SamrGetUserDomainPasswordInformation"),
            (45, "SamrRemoveMemberFromForeignDomain"),
            (46, "SamrQueryInformationDomain2"),
            (47, "SamrQueryInformationUser2"),
            (48, "SamrQueryDisplayInformation2"),
            (49, "SamrGetDisplayEnumerationIndex2"),
            (50, "SamrCreateUser2InDomain"),
            (51, "SamrQueryDisplayInformation3"),
            (52, "SamrAddMultipleMembersToAlias"),
            (53, "SamrRemoveMultipleMembersFromAlias"),
            (54, "SamrOemChangePasswordUser2"),
            (55, "SamrUnicodeChangePasswordUser2"),
            (56, "SamrGetDomainPasswordInformation"),
            (57, "SamrConnect2"),
            (58, "SamrSetInformationUser2"),
            (62, "SamrConnect4"),
            (64, "SamrConnect5"),
            (65, "SamrRidToSid"),
            (66, "SamrSetDSRMPassword"),
            (67, "SamrValidatePassword"),
            (73, "SamrUnicodeChangePasswordUser4"),
        ],
    },
    Interface {
        uuid: "e3514235-4b06-11d1-ab04-00c04fc2dcd2",
        name: "drsuapi",
        status: Win32,
        ops: &[
            (0, "DsBind"),
            (1, "DsUnbind"),
            (2, "DsReplicaSync"),
            (3, "DsGetNCChanges"),
            (4, "DsReplicaUpdateRefs"),
            (5, "DsReplicaAdd"),
            (6, "DsReplicaDel"),
            (7, "DsReplicaModify"),
            (8, "DsVerifyNames"),
            (9, "DsGetMemberships"),
            (10, "DsInterDomainMove"),
            (11, "DsGetNT4ChangeLog"),
            (12, "DsCrackNames"),
            (13, "DsWriteAccountSpn"),
            (14, "DsRemoveDsServer"),
            (15, "DsRemoveDsDomain"),
            (16, "DsDomainControllerInfo"),
            (17, "DsAddEntry"),
            (18, "DsExecuteKCC"),
            (19, "DsGetReplInfo"),
            (20, "DsAddSidHistory"),
            (21, "DsGetMemberships2"),
            (22, "DsReplicaVerifyObjects"),
            (23, "DsGetObjectExistence"),
            (24, "DsQuerySitesByCost"),
            (25, "DsInitDemotion"),
            (26, "DsReplicaDemotion"),
            (27, "DsFinishDemotion"),
            (28, "DsAddCloneDC"),
            (29, "DsWriteNgcKey"),
            (30, "DsReadNgcKey"),
        ],
    },
    Interface {
        uuid: "7c44d7d4-31d5-424c-bd5e-2b3e1f323d22",
        name: "dsaop",
        status: Win32,
        ops: &[(0, "DSAPrepareScript"), (1, "DSAExecuteScript")],
    },
    Interface {
        uuid: "12345678-1234-abcd-ef00-01234567cffb",
        name: "netlogon",
        status: NtStatus,
        ops: &[
            (0, "NetrLogonUasLogon"),
            (1, "NetrLogonUasLogoff"),
            (2, "NetrLogonSamLogon"),
            (3, "NetrLogonSamLogoff"),
            (4, "NetrServerReqChallenge"),
            (5, "NetrServerAuthenticate"),
            (6, "NetrServerPasswordSet"),
            (7, "NetrDatabaseDeltas"),
            (8, "NetrDatabaseSync"),
            (9, "NetrAccountDeltas"),
            (10, "NetrAccountSync"),
            (11, "NetrGetDCName"),
            (12, "NetrLogonControl"),
            (13, "NetrGetAnyDCName"),
            (14, "NetrLogonControl2"),
            (15, "NetrServerAuthenticate2"),
            (16, "NetrDatabaseSync2"),
            (17, "NetrDatabaseRedo"),
            (18, "NetrLogonControl2Ex"),
            (19, "NetrEnumerateTrustedDomains"),
            (20, "DsrGetDcName"),
            (21, "NetrLogonGetCapabilities"),
            (22, "NetrLogonSetServiceBits"),
            (23, "NetrLogonGetTrustRid"),
            (24, "NetrLogonComputeServerDigest"),
            (25, "NetrLogonComputeClientDigest"),
            (26, "NetrServerAuthenticate3"),
            (27, "DsrGetDcNameEx"),
            (28, "DsrGetSiteName"),
            (29, "NetrLogonGetDomainInfo"),
            (30, "NetrServerPasswordSet2"),
            (31, "NetrServerPasswordGet"),
            (32, "NetrLogonSendToSam"),
            (33, "DsrAddressToSiteNamesW"),
            (34, "DsrGetDcNameEx2"),
            (35, "NetrLogonGetTimeServiceParentDomain"),
            (36, "NetrEnumerateTrustedDomainsEx"),
            (37, "DsrAddressToSiteNamesExW"),
            (38, "DsrGetDcSiteCoverageW"),
            (39, "NetrLogonSamLogonEx"),
            (40, "DsrEnumerateDomainTrusts"),
            (41, "DsrDeregisterDnsHostRecords"),
            (42, "NetrServerTrustPasswordsGet"),
            (43, "DsrGetForestTrustInformation"),
            (44, "NetrGetForestTrustInformation"),
            (45, "NetrLogonSamLogonWithFlags"),
            (46, "NetrServerGetTrustInfo"),
            (48, "DsrUpdateReadOnlyServerDnsRecords"),
            (49, "NetrChainSetClientAttributes"),
        ],
    },
    Interface {
        uuid: "367abb81-9844-35f1-ad32-98f038001003",
        name: "svcctl",
        status: Win32,
        ops: &[
            (0, "RCloseServiceHandle"),
            (1, "RControlService"),
            (2, "RDeleteService"),
            (3, "RLockServiceDatabase"),
            (4, "RQueryServiceObjectSecurity"),
            (5, "RSetServiceObjectSecurity"),
            (6, "RQueryServiceStatus"),
            (7, "RSetServiceStatus"),
            (8, "RUnlockServiceDatabase"),
            (9, "RNotifyBootConfigStatus"),
            (11, "RChangeServiceConfigW"),
            (12, "RCreateServiceW"),
            (13, "REnumDependentServicesW"),
            (14, "REnumServicesStatusW"),
            (15, "ROpenSCManagerW"),
            (16, "ROpenServiceW"),
            (17, "RQueryServiceConfigW"),
            (18, "RQueryServiceLockStatusW"),
            (19, "RStartServiceW"),
            (20, "RGetServiceDisplayNameW"),
            (21, "RGetServiceKeyNameW"),
            (23, "RChangeServiceConfigA"),
            (24, "RCreateServiceA"),
            (25, "REnumDependentServicesA"),
            (26, "REnumServicesStatusA"),
            (27, "ROpenSCManagerA"),
            (28, "ROpenServiceA"),
            (29, "RQueryServiceConfigA"),
            (30, "RQueryServiceLockStatusA"),
            (31, "RStartServiceA"),
            (32, "RGetServiceDisplayNameA"),
            (33, "RGetServiceKeyNameA"),
            (35, "REnumServiceGroupW"),
            (36, "RChangeServiceConfig2A"),
            (37, "RChangeServiceConfig2W"),
            (38, "RQueryServiceConfig2A"),
            (39, "RQueryServiceConfig2W"),
            (40, "RQueryServiceStatusEx"),
            (41, "REnumServicesStatusExA"),
            (42, "REnumServicesStatusExW"),
            (44, "RCreateServiceWOW64A"),
            (45, "RCreateServiceWOW64W"),
            (47, "RNotifyServiceStatusChange"),
            (48, "RGetNotifyResults"),
            (49, "RCloseNotifyHandle"),
            (50, "RControlServiceExA"),
            (51, "RControlServiceExW"),
            (56, "RQueryServiceConfigEx"),
            (60, "RCreateWowService"),
            (64, "ROpenSCManager2"),
        ],
    },
    Interface {
        uuid: "4b324fc8-1670-01d3-1278-5a47bf6ee188",
        name: "srvsvc",
        status: Win32,
        ops: &[
            (8, "NetrConnectionEnum"),
            (9, "NetrFileEnum"),
            (10, "NetrFileGetInfo"),
            (11, "NetrFileClose"),
            (12, "NetrSessionEnum"),
            (13, "NetrSessionDel"),
            (14, "NetrShareAdd"),
            (15, "NetrShareEnum"),
            (16, "NetrShareGetInfo"),
            (17, "NetrShareSetInfo"),
            (18, "NetrShareDel"),
            (19, "NetrShareDelSticky"),
            (20, "NetrShareCheck"),
            (21, "NetrServerGetInfo"),
            (22, "NetrServerSetInfo"),
            (23, "NetrServerDiskEnum"),
            (24, "NetrServerStatisticsGet"),
            (25, "NetrServerTransportAdd"),
            (26, "NetrServerTransportEnum"),
            (27, "NetrServerTransportDel"),
            (28, "NetrRemoteTOD"),
            (30, "NetprPathType"),
            (31, "NetprPathCanonicalize"),
            (32, "NetprPathCompare"),
            (33, "NetprNameValidate"),
            (34, "NetprNameCanonicalize"),
            (35, "NetprNameCompare"),
            (36, "NetrShareEnumSticky"),
            (37, "NetrShareDelStart"),
            (38, "NetrShareDelCommit"),
            (39, "NetrpGetFileSecurity"),
            (40, "NetrpSetFileSecurity"),
            (41, "NetrServerTransportAddEx"),
            (43, "NetrDfsGetVersion"),
        ],
    },
    Interface {
        uuid: "6bffd098-a112-3610-9833-46c3f87e345a",
        name: "wkssvc",
        status: Win32,
        ops: &[
            (0, "NetrWkstaGetInfo"),
            (1, "NetrWkstaSetInfo"),
            (2, "NetrWkstaUserEnum"),
            (5, "NetrWkstaTransportEnum"),
            (6, "NetrWkstaTransportAdd"),
            (7, "NetrWkstaTransportDel"),
            (8, "NetrUseAdd"),
            (9, "NetrUseGetInfo"),
            (10, "NetrUseDel"),
            (11, "NetrUseEnum"),
            (13, "NetrWorkstationStatisticsGet"),
            (20, "NetrGetJoinInformation"),
            (22, "NetrJoinDomain2"),
            (23, "NetrUnjoinDomain2"),
            (24, "NetrRenameMachineInDomain2"),
            (25, "NetrValidateName2"),
            (26, "NetrGetJoinableOUs2"),
            (27, "NetrAddAlternateComputerName"),
            (28, "NetrRemoveAlternateComputerName"),
            (29, "NetrSetPrimaryComputerName"),
            (30, "NetrEnumerateComputerNames"),
        ],
    },
    Interface {
        uuid: "12345778-1234-abcd-ef00-0123456789ab",
        name: "lsarpc",
        status: NtStatus,
        ops: &[
            (0, "LsarClose"),
            (2, "LsarEnumeratePrivileges"),
            (3, "LsarQuerySecurityObject"),
            (4, "LsarSetSecurityObject"),
            (6, "LsarOpenPolicy"),
            (7, "LsarQueryInformationPolicy"),
            (8, "LsarSetInformationPolicy"),
            (10, "LsarCreateAccount"),
            (11, "LsarEnumerateAccounts"),
            (12, "LsarCreateTrustedDomain"),
            (13, "LsarEnumerateTrustedDomains"),
            (14, "LsarLookupNames"),
            (15, "LsarLookupSids"),
            (16, "LsarCreateSecret"),
            (17, "LsarOpenAccount"),
            (18, "LsarEnumeratePrivilegesAccount"),
            (19, "LsarAddPrivilegesToAccount"),
            (20, "LsarRemovePrivilegesFromAccount"),
            (23, "LsarGetSystemAccessAccount"),
            (24, "LsarSetSystemAccessAccount"),
            (25, "LsarOpenTrustedDomain"),
            (26, "LsarQueryInfoTrustedDomain"),
            (27, "LsarSetInformationTrustedDomain"),
            (28, "LsarOpenSecret"),
            (29, "LsarSetSecret"),
            (30, "LsarQuerySecret"),
            (31, "LsarLookupPrivilegeValue"),
            (32, "LsarLookupPrivilegeName"),
            (33, "LsarLookupPrivilegeDisplayName"),
            (34, "LsarDeleteObject"),
            (35, "LsarEnumerateAccountsWithUserRight"),
            (36, "LsarEnumerateAccountRights"),
            (37, "LsarAddAccountRights"),
            (38, "LsarRemoveAccountRights"),
            (39, "LsarQueryTrustedDomainInfo"),
            (40, "LsarSetTrustedDomainInfo"),
            (41, "LsarDeleteTrustedDomain"),
            (42, "LsarStorePrivateData"),
            (43, "LsarRetrievePrivateData"),
            (44, "LsarOpenPolicy2"),
            (45, "LsarGetUserName"),
            (46, "LsarQueryInformationPolicy2"),
            (47, "LsarSetInformationPolicy2"),
            (48, "LsarQueryTrustedDomainInfoByName"),
            (49, "LsarSetTrustedDomainInfoByName"),
            (50, "LsarEnumerateTrustedDomainsEx"),
            (51, "LsarCreateTrustedDomainEx"),
            (53, "LsarQueryDomainInformationPolicy"),
            (54, "LsarSetDomainInformationPolicy"),
            (55, "LsarOpenTrustedDomainByName"),
            (57, "LsarLookupSids2"),
            (58, "LsarLookupNames2"),
            (59, "LsarCreateTrustedDomainEx2"),
            (68, "LsarLookupNames3"),
            (73, "LsarQueryForestTrustInformation"),
            (74, "LsarSetForestTrustInformation"),
            (76, "LsarLookupSids3"),
            (77, "LsarLookupNames4"),
            (130, "LsarOpenPolicy3"),
        ],
    },
    Interface {
        uuid: "1ff70682-0a51-30e8-076d-740be8cee98b",
        name: "atsvc",
        status: Win32,
        ops: &[
            (0, "NetrJobAdd"),
            (1, "NetrJobDel"),
            (2, "NetrJobEnum"),
            (3, "NetrJobGetInfo"),
        ],
    },
    Interface {
        uuid: "378e52b0-c0a9-11cf-822d-00aa0051e40f",
        name: "sasec",
        status: HResult,
        ops: &[
            (0, "SASetAccountInformation"),
            (1, "SASetNSAccountInformation"),
            (2, "SAGetNSAccountInformation"),
            (3, "SAGetAccountInformation"),
        ],
    },
    Interface {
        uuid: "86d35949-83c9-4044-b424-db363231fd0c",
        name: "itaskschedulerservice",
        status: HResult,
        ops: &[
            (0, "SchRpcHighestVersion"),
            (1, "SchRpcRegisterTask"),
            (2, "SchRpcRetrieveTask"),
            (3, "SchRpcCreateFolder"),
            (4, "SchRpcSetSecurity"),
            (5, "SchRpcGetSecurity"),
            (6, "SchRpcEnumFolders"),
            (7, "SchRpcEnumTasks"),
            (8, "SchRpcEnumInstances"),
            (9, "SchRpcGetInstanceInfo"),
            (10, "SchRpcStopInstance"),
            (11, "SchRpcStop"),
            (12, "SchRpcRun"),
            (13, "SchRpcDelete"),
            (14, "SchRpcRename"),
            (15, "SchRpcScheduledRuntimes"),
            (16, "SchRpcGetLastRunInfo"),
            (17, "SchRpcGetTaskInfo"),
            (18, "SchRpcGetNumberOfMissedRuns"),
            (19, "SchRpcEnableTask"),
        ],
    },
    Interface {
        uuid: "e1af8308-5d1f-11c9-91a4-08002b14a0fa",
        name: "epm",
        status: Dce,
        ops: &[
            (0, "ept_insert"),
            (1, "ept_delete"),
            (2, "ept_lookup"),
            (3, "ept_map"),
            (4, "ept_lookup_handle_free"),
            (5, "ept_inq_object"),
            (6, "ept_mgmt_delete"),
        ],
    },
    Interface {
        uuid: "338cd001-2244-31f1-aaaa-900038001003",
        name: "winreg",
        status: Win32,
        ops: &[
            (0, "OpenClassesRoot"),
            (1, "OpenCurrentUser"),
            (2, "OpenLocalMachine"),
            (3, "OpenPerformanceData"),
            (4, "OpenUsers"),
            (5, "BaseRegCloseKey"),
            (6, "BaseRegCreateKey"),
            (7, "BaseRegDeleteKey"),
            (8, "BaseRegDeleteValue"),
            (9, "BaseRegEnumKey"),
            (10, "BaseRegEnumValue"),
            (11, "BaseRegFlushKey"),
            (12, "BaseRegGetKeySecurity"),
            (13, "BaseRegLoadKey"),
            (15, "BaseRegOpenKey"),
            (16, "BaseRegQueryInfoKey"),
            (17, "BaseRegQueryValue"),
            (18, "BaseRegReplaceKey"),
            (19, "BaseRegRestoreKey"),
            (20, "BaseRegSaveKey"),
            (21, "BaseRegSetKeySecurity"),
            (22, "BaseRegSetValue"),
            (23, "BaseRegUnLoadKey"),
            (26, "BaseRegGetVersion"),
            (27, "OpenCurrentConfig"),
            (29, "BaseRegQueryMultipleValues"),
            (31, "BaseRegSaveKeyEx"),
            (32, "OpenPerformanceText"),
            (33, "OpenPerformanceNlsText"),
            (34, "BaseRegQueryMultipleValues2"),
            (35, "BaseRegDeleteKeyEx"),
        ],
    },
    Interface {
        uuid: "c681d488-d850-11d0-8c52-00c04fd90f7e",
        name: "efsrpc",
        status: Win32,
        ops: EFSRPC_OPS,
    },
    Interface {
        uuid: "df1941c5-fe89-4e79-bf10-463657acf44d",
        name: "efsrpc",
        status: Win32,
        ops: EFSRPC_OPS,
    },
    Interface {
        uuid: "12345678-1234-abcd-ef00-0123456789ab",
        name: "spoolss",
        status: Win32,
        ops: &[
            (0, "RpcEnumPrinters"),
            (1, "RpcOpenPrinter"),
            (9, "RpcAddPrinterDriver"),
            (10, "RpcEnumPrinterDrivers"),
            (29, "RpcClosePrinter"),
            (65, "RpcRemoteFindFirstPrinterChangeNotificationEx"),
            (69, "RpcOpenPrinterEx"),
            (89, "RpcAddPrinterDriverEx"),
        ],
    },
    Interface {
        uuid: "3dde7c30-165d-11d1-ab8f-00805f14db40",
        name: "bkrp",
        status: Win32,
        ops: &[(0, "BackuprKey")],
    },
    Interface {
        uuid: "000001a0-0000-0000-c000-000000000046",
        name: "iremotescmactivator",
        status: HResult,
        ops: &[(3, "RemoteGetClassObject"), (4, "RemoteCreateInstance")],
    },
    Interface {
        uuid: "4d9f4ab8-7d1c-11cf-861e-0020af6e7c57",
        name: "iactivation",
        status: HResult,
        ops: &[(0, "RemoteActivation")],
    },
    Interface {
        uuid: "99fcfec4-5260-101b-bbcb-00aa0021347a",
        name: "ioxidresolver",
        status: Win32,
        ops: &[
            (0, "ResolveOxid"),
            (1, "SimplePing"),
            (2, "ComplexPing"),
            (3, "ServerAlive"),
            (4, "ResolveOxid2"),
            (5, "ServerAlive2"),
        ],
    },
    Interface {
        uuid: "00000131-0000-0000-c000-000000000046",
        name: "iremunknown",
        status: HResult,
        ops: &[
            IUNKNOWN_OPS[0],
            IUNKNOWN_OPS[1],
            IUNKNOWN_OPS[2],
            (3, "RemQueryInterface"),
            (4, "RemAddRef"),
            (5, "RemRelease"),
        ],
    },
    Interface {
        uuid: "00000143-0000-0000-c000-000000000046",
        name: "iremunknown2",
        status: HResult,
        ops: &[
            IUNKNOWN_OPS[0],
            IUNKNOWN_OPS[1],
            IUNKNOWN_OPS[2],
            (3, "RemQueryInterface"),
            (4, "RemAddRef"),
            (5, "RemRelease"),
            (6, "RemQueryInterface2"),
        ],
    },
    Interface {
        uuid: "f309ad18-d86a-11d0-a075-00c04fb68820",
        name: "iwbemlevel1login",
        status: HResult,
        ops: &[
            (3, "EstablishPosition"),
            (4, "RequestChallenge"),
            (5, "WBEMLogin"),
            (6, "NTLMLogin"),
        ],
    },
    Interface {
        uuid: "9556dc99-828c-11cf-a37e-00aa003240c7",
        name: "iwbemservices",
        status: HResult,
        ops: &[
            (3, "OpenNamespace"),
            (4, "CancelAsyncCall"),
            (5, "QueryObjectSink"),
            (6, "GetObject"),
            (7, "GetObjectAsync"),
            (8, "PutClass"),
            (9, "PutClassAsync"),
            (10, "DeleteClass"),
            (11, "DeleteClassAsync"),
            (12, "CreateClassEnum"),
            (13, "CreateClassEnumAsync"),
            (14, "PutInstance"),
            (15, "PutInstanceAsync"),
            (16, "DeleteInstance"),
            (17, "DeleteInstanceAsync"),
            (18, "CreateInstanceEnum"),
            (19, "CreateInstanceEnumAsync"),
            (20, "ExecQuery"),
            (21, "ExecQueryAsync"),
            (22, "ExecNotificationQuery"),
            (23, "ExecNotificationQueryAsync"),
            (24, "ExecMethod"),
            (25, "ExecMethodAsync"),
        ],
    },
    Interface {
        uuid: "027947e1-d731-11ce-a357-000000000001",
        name: "ienumwbemclassobject",
        status: HResult,
        ops: &[
            (3, "Reset"),
            (4, "Next"),
            (5, "NextAsync"),
            (6, "Clone"),
            (7, "Skip"),
        ],
    },
    Interface {
        uuid: "d4781cd6-e5d3-44df-ad94-930efe48a887",
        name: "iwbemloginclientid",
        status: HResult,
        ops: &[(3, "SetClientInfo")],
    },
    Interface {
        uuid: "9f6c78ef-fce5-42fa-abea-3e7df91921dc",
        name: "iwbemloginhelper",
        status: HResult,
        ops: &[(3, "SetEvent")],
    },
    Interface {
        uuid: "1c1c45ee-4395-11d2-b60b-00104b703efd",
        name: "iwbemfetchsmartenum",
        status: HResult,
        ops: &[(3, "GetSmartEnum")],
    },
    Interface {
        uuid: "423ec01e-2e35-11d2-b604-00104b703efd",
        name: "iwbemwcosmartenum",
        status: HResult,
        ops: &[(3, "Next")],
    },
    Interface {
        uuid: "00020400-0000-0000-c000-000000000046",
        name: "idispatch",
        status: HResult,
        ops: &[
            IUNKNOWN_OPS[0],
            IUNKNOWN_OPS[1],
            IUNKNOWN_OPS[2],
            (3, "GetTypeInfoCount"),
            (4, "GetTypeInfo"),
            (5, "GetIDsOfNames"),
            (6, "Invoke"),
        ],
    },
    Interface {
        uuid: "f5cc5a18-4264-101a-8c59-08002b2f8426",
        name: "nspi",
        status: Win32,
        ops: &[(0, "NspiBind"), (1, "NspiUnbind")],
    },
    Interface {
        uuid: "afa8bd80-7d8a-11c9-bef4-08002b102989",
        name: "mgmt",
        status: Dce,
        ops: &[
            (0, "inq_if_ids"),
            (1, "inq_stats"),
            (2, "is_server_listening"),
            (3, "stop_server_listening"),
            (4, "inq_princ_name"),
        ],
    },
];

const EFSRPC_OPS: &[(u16, &str)] = &[
    (0, "EfsRpcOpenFileRaw"),
    (1, "EfsRpcReadFileRaw"),
    (2, "EfsRpcWriteFileRaw"),
    (3, "EfsRpcCloseRaw"),
    (4, "EfsRpcEncryptFileSrv"),
    (5, "EfsRpcDecryptFileSrv"),
    (6, "EfsRpcQueryUsersOnFile"),
    (7, "EfsRpcQueryRecoveryAgents"),
    (8, "EfsRpcRemoveUsersFromFile"),
    (9, "EfsRpcAddUsersToFile"),
    (11, "EfsRpcNotSupported"),
    (12, "EfsRpcFileKeyInfo"),
    (13, "EfsRpcDuplicateEncryptionInfoFile"),
    (15, "EfsRpcAddUsersToFileEx"),
    (16, "EfsRpcFileKeyInfoEx"),
    (18, "EfsRpcGetEncryptedFileMetadata"),
    (19, "EfsRpcSetEncryptedFileMetadata"),
    (20, "EfsRpcFlushEfsCache"),
    (21, "EfsRpcEncryptFileExSrv"),
    (22, "EfsRpcQueryProtectors"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_uuid_little_endian_is_canonical() {
        // samr as it appears in a little-endian bind.
        let wire = [
            0x78, 0x57, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67,
            0x89, 0xac,
        ];
        let u = Uuid::from_wire(&wire, true);
        assert_eq!(u.to_string(), "12345778-1234-abcd-ef00-0123456789ac");
        let i = lookup(&u).map(|i| i.name);
        assert_eq!(i, Some("samr"));
        // The same bytes read big-endian are another UUID.
        assert!(lookup(&Uuid::from_wire(&wire, false)).is_none());
    }

    #[test]
    fn uuids_are_unique_lower_case_and_opnums_sorted_once() {
        let mut seen = std::collections::HashSet::new();
        for i in INTERFACES {
            assert!(seen.insert(i.uuid), "duplicate {}", i.uuid);
            assert_eq!(i.uuid, i.uuid.to_ascii_lowercase());
            assert_eq!(i.uuid.len(), 36);
            assert!(i.ops.windows(2).all(|w| w[0].0 < w[1].0), "{}", i.name);
            // The byte table `lookup` searches holds every interface, the same UUID.
            let bytes = parse_uuid(i.uuid).expect(i.uuid);
            assert_eq!(Uuid(bytes).to_string(), i.uuid);
            assert_eq!(lookup(&Uuid(bytes)).map(|f| f.name), Some(i.name));
        }
    }

    #[test]
    fn status_kinds() {
        assert!(!StatusKind::NtStatus.is_failure(0x105)); // STATUS_MORE_ENTRIES
        assert!(StatusKind::NtStatus.is_failure(0xC000_0022));
        assert!(!StatusKind::Win32.is_failure(234));
        assert!(StatusKind::Win32.is_failure(5));
        assert!(StatusKind::HResult.is_failure(0x8007_0005));
    }
}
