//! The SMB2, NTLMSSP and DCE/RPC dissectors over flows of the lab captures (see
//! `tests/fixtures/README.md` for which capture and stream each fixture is). Expected values
//! are those of `../shared/lab/captures/evidence.txt` and tshark's dissection of the same
//! frames.

mod flows;

use flows::{load, mutate_all, rpc_calls, run};
use rampart_core::{Account, EventKind, Outcome};
use rampart_net::dissect::dcerpc::DceRpc;
use rampart_net::dissect::smb2::Smb2;
use rampart_net::dissect::{Dissector, Note};

fn ntlm_auths(
    events: &[rampart_core::IdentityEvent],
) -> Vec<(Option<Account>, Option<String>, String, Outcome)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::NtlmAuth {
                workstation, wire, ..
            } => Some((
                e.actor.clone(),
                workstation.clone(),
                wire.as_ref()
                    .map(|w| format!("{}/{}", w.carrier, w.version))
                    .unwrap_or_default(),
                e.outcome,
            )),
            _ => None,
        })
        .collect()
}

fn shares(events: &[rampart_core::IdentityEvent]) -> Vec<(String, Option<String>, Outcome)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ShareAccess {
                share,
                relative_target,
            } => Some((share.clone(), relative_target.clone(), e.outcome)),
            _ => None,
        })
        .collect()
}

fn op(i: &str, n: u16, name: &str, o: Outcome) -> (String, u16, Option<String>, Outcome) {
    (i.to_string(), n, Some(name.to_string()), o)
}

#[test]
fn brute_force_eight_logon_failures_then_one_success() {
    let flows = load("brute_force_smb.follow");
    assert_eq!(flows.len(), 9);
    let rmoore = Some(Account::new("rmoore", Some("RAMPART")));
    let mut outcomes = Vec::new();
    for f in &flows {
        let r = run(f, &mut Smb2::new());
        assert!(r.notes.is_empty(), "{:?}", r.notes);
        let auths = ntlm_auths(&r.events);
        assert_eq!(auths.len(), 1, "one authentication per session");
        let (actor, ws, wire, outcome) = &auths[0];
        assert_eq!(actor, &rmoore);
        assert_eq!(ws.as_deref(), Some("LAB-CLIENT"));
        assert_eq!(wire, "smb2/v2");
        outcomes.push(*outcome);
        let ev = r
            .events
            .iter()
            .find(|e| e.kind.name() == "ntlm_auth")
            .unwrap();
        assert_eq!(ev.observer.as_deref(), Some("127.0.0.2"));
        assert_eq!(
            ev.source
                .as_ref()
                .and_then(|h| h.ip)
                .map(|i| i.to_string())
                .as_deref(),
            Some("127.0.0.1")
        );
        if let EventKind::NtlmAuth { status, .. } = ev.kind {
            assert_eq!(Outcome::Failure(status) == *outcome, status != 0);
        }
    }
    let mut expected = vec![Outcome::Failure(0xC000_006D); 8];
    expected.push(Outcome::Success);
    assert_eq!(outcomes, expected);

    // The successful session lists shares: IPC$, pipe srvsvc, NetrShareEnum as rmoore.
    let r = run(&flows[8], &mut Smb2::new());
    assert_eq!(
        shares(&r.events),
        vec![
            ("IPC$".to_string(), None, Outcome::Success),
            (
                "IPC$".to_string(),
                Some("srvsvc".to_string()),
                Outcome::Success
            ),
        ]
    );
    assert_eq!(
        rpc_calls(&r.events),
        vec![op("srvsvc", 15, "NetrShareEnum", Outcome::Success)]
    );
    let call = r
        .events
        .iter()
        .find(|e| e.kind.name() == "rpc_call")
        .unwrap();
    assert_eq!(call.actor, rmoore);
    assert!(
        matches!(&call.kind, EventKind::RpcCall { pipe: Some(p), sealed: false, .. } if p == "srvsvc")
    );
}

#[test]
fn remote_exec_svcctl_create_service_fault_and_open_service_error() {
    let flows = load("remote_exec_svcctl.follow");
    let admin = Some(Account::new("Administrator", Some("RAMPART.LAB")));
    let r = run(&flows[0], &mut Smb2::new());
    let auths = ntlm_auths(&r.events);
    assert_eq!(auths.len(), 1);
    assert_eq!(
        (&auths[0].0, auths[0].2.as_str(), auths[0].3),
        (&admin, "smb2/v2", Outcome::Success)
    );
    assert_eq!(
        shares(&r.events),
        vec![
            ("IPC$".to_string(), None, Outcome::Success),
            (
                "IPC$".to_string(),
                Some("svcctl".to_string()),
                Outcome::Success
            ),
        ]
    );
    // Samba's svcctl has no CreateServiceW: nca_s_op_rng_error.
    assert_eq!(
        rpc_calls(&r.events),
        vec![
            op("svcctl", 15, "ROpenSCManagerW", Outcome::Success),
            op(
                "svcctl",
                12,
                "RCreateServiceW",
                Outcome::Failure(0x1C01_0002)
            ),
        ]
    );
    assert!(r
        .events
        .iter()
        .filter(|e| e.kind.name() != "ntlm_auth")
        .all(|e| e.actor == admin));

    // OpenServiceW of a service that does not exist: ERROR_SERVICE_DOES_NOT_EXIST (1060).
    let r = run(&flows[1], &mut Smb2::new());
    assert_eq!(
        rpc_calls(&r.events),
        vec![
            op("svcctl", 15, "ROpenSCManagerW", Outcome::Success),
            op("svcctl", 16, "ROpenServiceW", Outcome::Failure(0x424)),
        ]
    );
}

#[test]
fn samr_recon_net_rpc_user_calls_over_the_samr_pipe() {
    let flows = load("samr_recon_net_rpc_user.follow");
    let r = run(&flows[0], &mut Smb2::new());
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    let ok = Outcome::Success;
    assert_eq!(
        rpc_calls(&r.events),
        vec![
            op("samr", 64, "SamrConnect5", ok),
            op("samr", 6, "SamrEnumerateDomainsInSamServer", ok),
            op("samr", 5, "SamrLookupDomainInSamServer", ok),
            op("samr", 7, "SamrOpenDomain", ok),
            op("samr", 48, "SamrQueryDisplayInformation2", ok),
            op("samr", 1, "SamrCloseHandle", ok),
            op("samr", 1, "SamrCloseHandle", ok),
        ]
    );
    let jnguyen = Some(Account::new("jnguyen", Some("RAMPART")));
    for e in &r.events {
        assert_eq!(e.actor, jnguyen, "{:?}", e.kind);
        if let EventKind::RpcCall { pipe, sealed, .. } = &e.kind {
            assert_eq!(pipe.as_deref(), Some("samr"));
            assert!(!sealed);
        }
    }
}

#[test]
fn dcsync_drsuapi_over_tcp_is_sealed_but_named() {
    let flows = load("dcsync_drsuapi_tcp.follow");
    let r = run(&flows[0], &mut DceRpc::new());
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    let admin = Some(Account::new("Administrator", Some("RAMPART.LAB")));
    let auths = ntlm_auths(&r.events);
    assert_eq!(auths.len(), 1);
    assert_eq!(
        (&auths[0].0, auths[0].2.as_str(), auths[0].3),
        (&admin, "dcerpc/v2", Outcome::Success)
    );
    let ok = Outcome::Success;
    assert_eq!(
        rpc_calls(&r.events),
        vec![
            op("drsuapi", 0, "DsBind", ok),
            op("drsuapi", 16, "DsDomainControllerInfo", ok),
            op("drsuapi", 3, "DsGetNCChanges", ok),
            op("drsuapi", 12, "DsCrackNames", ok),
            op("drsuapi", 3, "DsGetNCChanges", ok),
        ]
    );
    for e in r.events.iter().filter(|e| e.kind.name() == "rpc_call") {
        assert_eq!(e.actor, admin);
        assert!(matches!(
            e.kind,
            EventKind::RpcCall {
                sealed: true,
                pipe: None,
                ..
            }
        ));
    }
}

#[test]
fn dcsync_endpoint_mapper_lookup() {
    let flows = load("dcsync_epm.follow");
    let r = run(&flows[0], &mut DceRpc::new());
    assert_eq!(
        rpc_calls(&r.events),
        vec![op("epm", 3, "ept_map", Outcome::Success)]
    );
    assert_eq!(r.events[0].actor, None);
}

#[test]
fn an_unanswered_call_is_reported_at_the_end() {
    let flows = load("dcsync_epm.follow");
    let mut f = flows::Flow {
        key: flows[0].key,
        chunks: flows[0].chunks.clone(),
    };
    // Drop the map response.
    while f
        .chunks
        .last()
        .is_some_and(|(d, _)| *d == rampart_net::dissect::Direction::ToClient)
    {
        f.chunks.pop();
    }
    let r = run(&f, &mut DceRpc::new());
    assert_eq!(
        rpc_calls(&r.events),
        vec![op("epm", 3, "ept_map", Outcome::Unknown)]
    );
}

#[test]
fn damaged_flows_never_panic() {
    for (name, smb) in [
        ("brute_force_smb.follow", true),
        ("remote_exec_svcctl.follow", true),
        ("samr_recon_net_rpc_user.follow", true),
        ("dcsync_drsuapi_tcp.follow", false),
        ("dcsync_epm.follow", false),
    ] {
        for f in load(name).iter().take(2) {
            if smb {
                mutate_all(f, &|| Box::new(Smb2::new()) as Box<dyn Dissector>);
            } else {
                mutate_all(f, &|| Box::new(DceRpc::new()) as Box<dyn Dissector>);
            }
        }
    }
}

#[test]
fn non_smb_bytes_end_the_flow_with_a_note() {
    let flows = load("dcsync_epm.follow");
    let r = run(&flows[0], &mut Smb2::new());
    assert_eq!(r.done_at, Some(0));
    assert!(matches!(
        r.notes.as_slice(),
        [Note::Malformed {
            protocol: "smb2",
            ..
        }]
    ));
    assert!(r.events.is_empty());
}

fn smb_command(chunk: &[u8]) -> Option<u16> {
    (chunk.get(4..8) == Some(b"\xfeSMB")).then(|| u16::from_le_bytes([chunk[16], chunk[17]]))
}

#[test]
fn smb3_encryption_keeps_the_authentication_and_guesses_nothing_after() {
    use rampart_net::dissect::Direction;
    let flows = load("brute_force_smb.follow");
    let mut f = flows::Flow {
        key: flows[8].key,
        chunks: flows[8].chunks.clone(),
    };
    // From the tree connect on, the session is sealed: a transform header, then the clear
    // bytes that must not be read.
    let at = f
        .chunks
        .iter()
        .position(|(d, c)| *d == Direction::ToServer && smb_command(c) == Some(3))
        .expect("tree connect");
    let mut transform = vec![0, 0, 0, 52];
    transform.extend(b"\xfdSMB");
    transform.resize(56, 0);
    f.chunks.insert(at, (Direction::ToServer, transform));
    let r = run(&f, &mut Smb2::new());
    assert_eq!(r.done_at, Some(at));
    assert_eq!(r.notes, vec![Note::Encrypted { protocol: "smb2" }]);
    assert_eq!(
        ntlm_auths(&r.events)
            .iter()
            .map(|a| a.3)
            .collect::<Vec<_>>(),
        vec![Outcome::Success]
    );
    assert_eq!(r.events.len(), 1, "nothing after the transform header");
}

#[test]
fn a_pipe_whose_tree_connect_was_not_captured_is_recognised_by_its_bind() {
    use rampart_net::dissect::Direction;
    let flows = load("samr_recon_net_rpc_user.follow");
    // Start the capture after the tree connect response.
    let at = flows[0]
        .chunks
        .iter()
        .position(|(d, c)| *d == Direction::ToServer && smb_command(c) == Some(5))
        .expect("create");
    let f = flows::Flow {
        key: flows[0].key,
        chunks: flows[0].chunks[at..].to_vec(),
    };
    let r = run(&f, &mut Smb2::new());
    assert!(shares(&r.events).is_empty(), "the share is unknown");
    let calls = rpc_calls(&r.events);
    assert_eq!(calls.len(), 7);
    assert_eq!(calls[0], op("samr", 64, "SamrConnect5", Outcome::Success));
    // The session's authentication was not seen either.
    assert!(r.events.iter().all(|e| e.actor.is_none()));
}
