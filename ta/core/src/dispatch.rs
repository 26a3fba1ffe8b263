//! The command dispatcher: one request in, one status + reply out.
//!
//! Order for every call (the TA adapter has already refused wrong GP
//! parameter types and NULL buffers, and copies the request out of shared
//! memory after step 2):
//!
//! 1. a command that uses a PIN session ([`Command::uses_pin_session`])
//!    takes this session's unused PIN session first: whatever happens
//!    next, the call has used it up (one PIN session, one attempt);
//! 2. request size `<= MAX_REQUEST_LEN`, else `RequestTooLarge`;
//! 3. command ID known, else `UnknownCommand`;
//! 4. `{"v":..}` parses, else `BadRequest`; version in range, else
//!    `UnsupportedVersion`;
//! 5. the session's login may use the command (admin group: the admin
//!    identity; PUBLIC, group and unknown logins: `ping` and `info` only), else `AccessDenied`;
//! 6. the command's own strict parse (`BadRequest`; a well-formed value
//!    out of range, also an enum name outside its enum, is
//!    `InvalidArgument`) and checks;
//! 7. the reply fits the caller's buffer, else `ShortBuffer` with the
//!    needed size. It is checked after the command ran to success: its
//!    effects, if any, have happened (replies of state-changing commands
//!    are small and always fit `MAX_REPLY_LEN`).

use mfs_proto::log::RefusalClass;
use mfs_proto::{
    Command, EmptyRequest, Header, KeyGenerateWire, KeyListRequest, KeyRequest, MAX_REPLY_LEN,
    MAX_REQUEST_LEN, PROTOCOL_CURRENT, PROTOCOL_MIN, PingRequest, Status, decode, encode,
};
use serde::{Deserialize, Serialize};

use crate::access::allowed;
use crate::audit;
use crate::error::Error;
use crate::freshness::Guard;
use crate::pack::Packed;
use crate::pin::PinSession;
use crate::platform::Platform;
use crate::session::Session;
use crate::state::Instance;
use crate::{keys, log, pin, system, tx, wipe};

/// Result of one call: what goes into GP parameter 0 and how many bytes of
/// the output buffer hold the reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Parameter 0 `a`.
    pub status: Status,
    /// Parameter 0 `b` (meaning per status, see [`Status`]).
    pub detail: u32,
    /// Bytes of reply written to the output buffer (0 unless `Ok`).
    pub len: usize,
}

impl Reply {
    fn error(status: Status, detail: u32) -> Self {
        Reply {
            status,
            detail,
            len: 0,
        }
    }
}

fn size_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Step 1: the session's unused PIN session, taken out of it if `cmd` is
/// a command that uses one (so every outcome of the call uses it up).
fn take_pin_session(session: &mut Session, cmd: u32) -> Option<PinSession> {
    match Command::try_from(cmd) {
        Ok(c) if c.uses_pin_session() => session.pin.take(),
        _ => None,
    }
}

fn too_large(len: usize) -> Option<Reply> {
    (len > MAX_REQUEST_LEN)
        .then(|| Reply::error(Status::RequestTooLarge, size_u32(MAX_REQUEST_LEN)))
}

/// Steps 1 and 2 for a request of `len` bytes, for the TA adapter to call
/// before anything is copied out of shared memory: the reply if the
/// request is over the bound (a PIN command's PIN session is used up all
/// the same), else `None` and nothing happened.
pub fn check_request_len(session: &mut Session, cmd: u32, len: usize) -> Option<Reply> {
    let reply = too_large(len)?;
    drop(take_pin_session(session, cmd));
    Some(reply)
}

/// Handles one command. Never panics on any input. Storage is seen
/// through [`Packed`] (the small objects in one, `crate::pack`) over
/// [`Guard`]: an answer older than what this TA lifetime wrote or read is
/// `storage-rollback`.
pub fn invoke<P: Platform>(
    p: &mut P,
    instance: &mut Instance,
    session: &mut Session,
    cmd: u32,
    request: &[u8],
    out: &mut [u8],
) -> Reply {
    let mut memory = core::mem::take(&mut instance.freshness);
    let mut pack = core::mem::take(&mut instance.pack);
    let mut guard = Guard::new(p, &mut memory);
    let reply = run(
        &mut Packed::new(&mut guard, &mut pack),
        instance,
        session,
        (cmd, request),
        out,
    );
    instance.freshness = memory;
    instance.pack = pack;
    reply
}

fn run<P: Platform>(
    p: &mut P,
    instance: &mut Instance,
    session: &mut Session,
    (cmd, request): (u32, &[u8]),
    out: &mut [u8],
) -> Reply {
    // A local slot: dropped (the key zeroized) on every early return.
    let mut pin_session = take_pin_session(session, cmd);
    if let Some(too_large) = too_large(request.len()) {
        return too_large;
    }
    let Ok(command) = Command::try_from(cmd) else {
        return Reply::error(Status::UnknownCommand, 0);
    };
    let Ok(header) = decode::<Header>(request) else {
        return Reply::error(Status::BadRequest, 0);
    };
    if !(PROTOCOL_MIN..=PROTOCOL_CURRENT).contains(&header.v) {
        return Reply::error(Status::UnsupportedVersion, u32::from(PROTOCOL_CURRENT));
    }
    let caller = session.caller();
    if !allowed(command, &caller) {
        // Counted (coalesced) in the event log; if even that fails the
        // caller learns `storage-failure`.
        let class = RefusalClass::AccessDenied;
        let r: Result<(), Error> = audit::refuse(p, &mut instance.log, class, Error::AccessDenied);
        return match r {
            Err(Error::AccessDenied) | Ok(()) => Reply::error(Status::AccessDenied, 0),
            Err(e) => Reply::error(Status::from(e), e.detail()),
        };
    }
    let mut buf = [0u8; MAX_REPLY_LEN];
    let (p, inst, b, c) = (p, instance, &mut buf, &caller);
    let result = match command {
        Command::Ping => handle(request, b, |r: PingRequest| Ok(system::ping(&r))),
        Command::Info => handle(request, b, |_: EmptyRequest| system::info(p, session)),
        Command::Provision => handle(request, b, |r| system::provision(p, inst, &r)),
        Command::PinSession => handle(request, b, |_: EmptyRequest| {
            pin::open_session(p, &mut session.pin)
        }),
        Command::PinStatus => handle(request, b, |_: EmptyRequest| pin::status(p, inst, c)),
        Command::PinSet => handle(request, b, |r| pin::set(p, inst, (c, &mut pin_session), &r)),
        Command::PinVerify => handle(request, b, |r| {
            pin::verify(p, inst, (c, &mut pin_session), &r)
        }),
        Command::PinChange => handle(request, b, |r| {
            pin::change(p, inst, (c, &mut pin_session), &r)
        }),
        Command::PinUnblock => handle(request, b, |r| {
            pin::unblock(p, inst, (c, &mut pin_session), &r)
        }),
        Command::KeyGenerate => handle(request, b, |r: KeyGenerateWire| {
            // An enum name outside its enum: well-formed, out of range.
            let r = r.resolve().ok_or(Error::InvalidArgument)?;
            keys::generate(p, inst, c, &r)
        }),
        Command::KeyList => handle(request, b, |r: KeyListRequest| {
            keys::list(p, inst, c, r.offset)
        }),
        Command::KeyInfo => handle(request, b, |r: KeyRequest| keys::info(p, inst, c, &r.id)),
        Command::KeyDelete => handle(request, b, |r: KeyRequest| keys::delete(p, inst, c, &r.id)),
        Command::KeySign => handle(request, b, |r| keys::sign(p, inst, c, &r)),
        Command::KeyAttest => handle(request, b, |r| keys::attest(p, inst, c, &r)),
        Command::KeyExport => handle(request, b, |r: KeyRequest| keys::export(p, inst, c, &r.id)),
        Command::KeyImport => handle(request, b, |r| keys::import(p, inst, c, &r)),
        Command::TxSign => handle(request, b, |r| tx::sign(p, inst, (c, &mut pin_session), &r)),
        Command::LogRead => handle(request, b, |r| log::read_page(p, inst, c, &r)),
        Command::LogHead => handle(request, b, |r| log::signed_head(p, inst, &r)),
        Command::Wipe => handle(request, b, |_: EmptyRequest| {
            session.pin = None;
            wipe::wipe(p, inst)
        }),
    };
    match result {
        Err(e) => Reply::error(e.into(), e.detail()),
        Ok(n) => match (buf.get(..n), out.get_mut(..n)) {
            (Some(src), Some(dst)) => {
                dst.copy_from_slice(src);
                Reply {
                    status: Status::Ok,
                    detail: 0,
                    len: n,
                }
            }
            _ => Reply::error(Status::ShortBuffer, size_u32(n)),
        },
    }
}

/// The one request path every command shares: strict parse of the
/// command's request type (unknown fields, wrong types and trailing bytes
/// are `BadRequest`), the handler, then the reply encoded into `buf`.
fn handle<'a, Req, Rep>(
    request: &'a [u8],
    buf: &mut [u8],
    handler: impl FnOnce(Req) -> Result<Rep, Error>,
) -> Result<usize, Error>
where
    Req: Deserialize<'a>,
    Rep: Serialize,
{
    let req: Req = decode(request).map_err(|_| Error::BadRequest)?;
    let reply = handler(req)?;
    // Every reply type is bounded and proven to fit MAX_REPLY_LEN by tests;
    // failing here is an internal error, not the caller's.
    encode(&reply, buf).map_err(|_| Error::Internal)
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)] // test inputs derived from a PRNG
mod test {
    use super::*;
    use crate::access::{AdminPolicy, ClientIdentity, LINUX_ROOT_USER_UUID};
    use crate::mem::MemPlatform;
    use mfs_proto::Login;
    use mfs_proto::{InfoReply, PingReply, ProvisionReply};

    /// A provisioning request with a valid issuer key (the generator G).
    fn prov(tries: u32) -> alloc::vec::Vec<u8> {
        let g = mfs_proto::hex_string::<130>(&crate::testkit::G).unwrap();
        alloc::format!(
            r#"{{"v":1,"pin_max_tries":{tries},"pin_throttle_ms":0,"issuer_key":"{g}"}}"#
        )
        .into_bytes()
    }

    fn root() -> Session {
        Session::open(
            ClientIdentity {
                login: Login::User,
                uuid: LINUX_ROOT_USER_UUID,
            },
            &AdminPolicy::ROOT_USER,
        )
    }

    /// A user login that is not the admin (a payment app).
    fn user() -> Session {
        Session::open(
            ClientIdentity {
                login: Login::User,
                uuid: [0x10; 16],
            },
            &AdminPolicy::ROOT_USER,
        )
    }

    fn public() -> Session {
        Session::open(
            ClientIdentity {
                login: Login::Public,
                uuid: [0; 16],
            },
            &AdminPolicy::ROOT_USER,
        )
    }

    fn call(
        p: &mut MemPlatform,
        s: &mut Session,
        cmd: Command,
        req: &[u8],
    ) -> (Reply, alloc::vec::Vec<u8>) {
        let mut out = [0u8; MAX_REPLY_LEN];
        let r = invoke(p, &mut Instance::default(), s, cmd as u32, req, &mut out);
        (r, out[..r.len].to_vec())
    }

    #[test]
    fn ping_echoes() {
        let (mut p, mut s) = (MemPlatform::new(), public());
        let (r, body) = call(&mut p, &mut s, Command::Ping, br#"{"v":1,"echo":7}"#);
        assert_eq!(r.status, Status::Ok);
        assert_eq!(decode::<PingReply>(&body).unwrap(), PingReply { echo: 7 });
    }

    #[test]
    fn boundary_errors_are_defined_statuses() {
        let (mut p, mut s) = (MemPlatform::new(), public());
        let mut out = [0u8; 64];
        let mut run = |cmd: u32, req: &[u8]| {
            invoke(&mut p, &mut Instance::default(), &mut s, cmd, req, &mut out)
        };
        assert_eq!(run(0xdead, br#"{"v":1}"#).status, Status::UnknownCommand);
        let ping = Command::Ping as u32;
        for bad in [
            &b""[..],
            b"{",
            b"garbage",
            b"{\"v\":1,\"echo\":1}}",
            b"\0\0\0",
        ] {
            assert_eq!(run(ping, bad).status, Status::BadRequest, "{bad:?}");
        }
        let r = run(ping, br#"{"v":2,"echo":1}"#);
        assert_eq!((r.status, r.detail), (Status::UnsupportedVersion, 1));
        assert_eq!(
            run(ping, br#"{"v":0,"echo":1}"#).status,
            Status::UnsupportedVersion
        );
        let big = [b' '; MAX_REQUEST_LEN + 1];
        let r = run(ping, &big);
        assert_eq!(
            (r.status, r.detail),
            (Status::RequestTooLarge, MAX_REQUEST_LEN as u32)
        );
        // unknown field in an otherwise valid request
        assert_eq!(
            run(ping, br#"{"v":1,"echo":1,"pin":"1234"}"#).status,
            Status::BadRequest
        );
    }

    #[test]
    fn short_buffer_reports_needed_size_then_succeeds() {
        let (mut p, mut s) = (MemPlatform::new(), public());
        let mut small = [0u8; 8];
        let r = invoke(
            &mut p,
            &mut Instance::default(),
            &mut s,
            Command::Info as u32,
            br#"{"v":1}"#,
            &mut small,
        );
        assert_eq!(r.status, Status::ShortBuffer);
        assert_eq!(r.len, 0);
        let mut exact = alloc::vec![0u8; r.detail as usize];
        let r2 = invoke(
            &mut p,
            &mut Instance::default(),
            &mut s,
            Command::Info as u32,
            br#"{"v":1}"#,
            &mut exact,
        );
        assert_eq!(r2.status, Status::Ok);
        assert_eq!(r2.len, exact.len());
        decode::<InfoReply>(&exact).unwrap();
    }

    /// A zero-length request (non-NULL: a NULL one never gets past the
    /// adapter's parameter check) is not JSON: `bad-request` for every
    /// command, nothing stored. A zero-length reply buffer: the command
    /// runs, then `short-buffer` with the size its reply needs.
    #[test]
    fn empty_request_and_empty_reply_buffer() {
        let mut p = MemPlatform::new();
        for cmd in Command::ALL {
            let (r, _) = call(&mut p, &mut root(), cmd, b"");
            assert_eq!((r.status, r.len), (Status::BadRequest, 0), "{cmd:?}");
        }
        assert_eq!(p.writes(), 0);
        let mut s = user();
        let mut run = |cmd: Command, req: &[u8]| {
            invoke(
                &mut p,
                &mut Instance::default(),
                &mut s,
                cmd as u32,
                req,
                &mut [],
            )
        };
        let r = run(Command::Ping, br#"{"v":1,"echo":5}"#);
        assert_eq!((r.status, r.detail, r.len), (Status::ShortBuffer, 10, 0));
        let r = run(Command::PinSession, br#"{"v":1}"#);
        assert_eq!((r.status, r.len), (Status::ShortBuffer, 0));
        assert!(s.pin.is_some(), "the PIN session was opened all the same");
    }

    #[test]
    fn admin_group_needs_admin_identity() {
        let mut p = MemPlatform::new();
        let req = &prov(5);
        let (r, _) = call(&mut p, &mut public(), Command::Provision, req);
        assert_eq!(r.status, Status::AccessDenied);
        // only the refusal is counted (the log's tally), nothing provisioned
        assert_eq!(p.writes(), 1);
        let ids = p.object_ids().unwrap();
        assert_eq!(ids, [crate::objects::log_refusals().unwrap()]);
        let (r, body) = call(&mut p, &mut root(), Command::Provision, req);
        assert_eq!(r.status, Status::Ok);
        assert_eq!(decode::<ProvisionReply>(&body).unwrap().pin_max_tries, 5);
        let (r, _) = call(&mut p, &mut root(), Command::Provision, req);
        assert_eq!(r.status, Status::AlreadyProvisioned);
    }

    #[test]
    fn provision_range_checked() {
        let mut p = MemPlatform::new();
        let (r, _) = call(&mut p, &mut root(), Command::Provision, &prov(99));
        assert_eq!(r.status, Status::InvalidArgument);
        let (r, _) = call(&mut p, &mut root(), Command::Provision, &prov(300));
        assert_eq!(r.status, Status::BadRequest);
        assert_eq!(p.writes(), 0);
    }

    /// An out-of-enum `purpose` or `pin` is a well-formed value out of its
    /// range (`invalid-argument`, like a number out of range); a value of
    /// the wrong JSON type stays `bad-request`. Nothing is stored.
    #[test]
    fn enum_names_outside_their_enum_are_invalid_arguments() {
        let gen_req = |purpose: &str, pin: &str| {
            format!(
                r#"{{"v":1,"label":"k","policy":{{"purpose":{purpose},"pin":{pin},"pin_window_s":0,"max_uses":null,"not_after":null,"exportable":false}}}}"#
            )
        };
        for provisioned in [false, true] {
            let mut p = MemPlatform::new();
            if provisioned {
                call(&mut p, &mut root(), Command::Provision, &prov(5));
            }
            let writes = p.writes();
            for (purpose, pin, want) in [
                (r#""encrypt""#, r#""none""#, Status::InvalidArgument),
                (r#""sign""#, r#""sometimes""#, Status::InvalidArgument),
                (r#""SIGN""#, r#""none""#, Status::InvalidArgument),
                (r#""""#, r#""none""#, Status::InvalidArgument),
                ("1", r#""none""#, Status::BadRequest),
                ("null", r#""none""#, Status::BadRequest),
                (r#""sign""#, "false", Status::BadRequest),
                (r#""sign""#, r#"["none"]"#, Status::BadRequest),
            ] {
                let req = gen_req(purpose, pin);
                let (r, _) = call(&mut p, &mut user(), Command::KeyGenerate, req.as_bytes());
                assert_eq!(r.status, want, "{req}");
            }
            assert_eq!(p.writes(), writes);
            // the known names still work
            let (r, _) = call(
                &mut p,
                &mut user(),
                Command::KeyGenerate,
                gen_req(r#""sign""#, r#""per-use""#).as_bytes(),
            );
            let want = if provisioned {
                Status::Ok
            } else {
                Status::NotProvisioned
            };
            assert_eq!(r.status, want);
        }
    }

    /// Every call of a command that carries a PIN block uses up the
    /// session's PIN session, whatever the request holds: also one that is
    /// too large, empty, not JSON, of an unsupported version or that fails
    /// the command's strict parse. Other commands leave it alone.
    #[test]
    fn pin_commands_use_up_the_pin_session_whatever_the_request() {
        let mut p = MemPlatform::new();
        let big = alloc::vec![b' '; MAX_REQUEST_LEN + 1];
        let bad: [&[u8]; 7] = [
            b"",
            b"garbage",
            br#"{"v":1}"#,
            br#"{"v":1,"zz":0}"#,
            br#"{"v":2}"#,
            br#"{"v":1,"client_key":7,"block":"00"}"#,
            &big,
        ];
        let pin_commands: alloc::vec::Vec<Command> = Command::ALL
            .into_iter()
            .filter(|c| c.uses_pin_session())
            .collect();
        assert_eq!(
            pin_commands,
            [
                Command::PinSet,
                Command::PinVerify,
                Command::PinChange,
                Command::PinUnblock,
                Command::TxSign
            ]
        );
        for cmd in Command::ALL {
            for req in bad {
                let mut s = root();
                let (r, _) = call(&mut p, &mut s, Command::PinSession, br#"{"v":1}"#);
                assert_eq!(r.status, Status::Ok);
                let (r, _) = call(&mut p, &mut s, cmd, req);
                if cmd.uses_pin_session() {
                    assert_ne!(r.status, Status::Ok, "{cmd:?}");
                    assert!(s.pin.is_none(), "{cmd:?} {req:?}");
                } else if r.status != Status::Ok {
                    // (`{"v":1}` is a valid info, pin-status or wipe)
                    assert!(s.pin.is_some(), "{cmd:?} {req:?}");
                }
            }
            // The adapter's size check before the copy does the same.
            let mut s = root();
            call(&mut p, &mut s, Command::PinSession, br#"{"v":1}"#);
            assert_eq!(check_request_len(&mut s, cmd as u32, MAX_REQUEST_LEN), None);
            assert!(s.pin.is_some());
            let r = check_request_len(&mut s, cmd as u32, MAX_REQUEST_LEN + 1);
            assert_eq!(r.map(|r| r.status), Some(Status::RequestTooLarge));
            assert_eq!(s.pin.is_none(), cmd.uses_pin_session(), "{cmd:?}");
        }
    }

    #[test]
    fn info_reports_session_and_provisioning() {
        let mut p = MemPlatform::new();
        let (r, body) = call(&mut p, &mut root(), Command::Info, br#"{"v":1}"#);
        assert_eq!(r.status, Status::Ok);
        let info: InfoReply = decode(&body).unwrap();
        assert!(info.admin && !info.provisioned && !info.trusted_ui);
        assert_eq!(info.client_login, Login::User);
        assert_eq!(
            info.client_id.as_str(),
            "ef0180a3-13f3-5d1c-b7f5-888c0e21059a"
        );
        assert_eq!(info.pin_max_tries, None);
        call(&mut p, &mut root(), Command::Provision, &prov(6));
        let (_, body) = call(&mut p, &mut public(), Command::Info, br#"{"v":1}"#);
        let info: InfoReply = decode(&body).unwrap();
        assert!(!info.admin && info.provisioned);
        assert_eq!(info.pin_max_tries, Some(6));
    }

    #[test]
    fn storage_failure_is_reported_not_panicked() {
        let mut p = MemPlatform::new();
        p.cut_power_at(1);
        let (r, _) = call(&mut p, &mut root(), Command::Provision, &prov(5));
        assert_eq!(r.status, Status::StorageFailure);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz over every command with random and
        // mutated inputs (there is no coverage-guided cargo-fuzz target yet).
        let mut p = MemPlatform::new();
        let mut seed = 0x1234_5678_u64;
        let tx = format!(
            r#"{{"v":1,"id":"0102030405060708","client_key":"{}","block":"{}","pan":null,"record":{{"amount":1,"currency":"EUR","payee":"p","display":"Pay 0.01 EUR to p?","challenge":"{}","time":1}}}}"#,
            "04".repeat(65),
            "00".repeat(16),
            "ab".repeat(16)
        );
        let seeds: [&[u8]; 6] = [
            br#"{"v":1,"echo":1}"#,
            br#"{"v":1}"#,
            &prov(5),
            tx.as_bytes(),
            br#"{"v":1,"from":0}"#,
            br#"{"v":1,"challenge":"0011"}"#,
        ];
        for i in 0..6000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut req = seeds[i % seeds.len()].to_vec();
            let pos = (seed as usize) % (req.len() + 1);
            match seed % 3 {
                0 => req.insert(pos, (seed >> 8) as u8),
                1 if pos < req.len() => req[pos] = (seed >> 16) as u8,
                _ => req.truncate(pos),
            }
            // every command with every seed, and unknown ids
            let known = Command::ALL[(seed >> 40) as usize % Command::ALL.len()] as u32;
            let cmd = [known, known, known, (seed >> 32) as u32][i % 4];
            let mut out = [0u8; 96];
            let mut s = if i % 2 == 0 { root() } else { public() };
            let r = invoke(
                &mut p,
                &mut Instance::default(),
                &mut s,
                cmd,
                &req,
                &mut out[..(seed as usize) % 96],
            );
            assert!(r.len <= out.len());
        }
    }

    /// Requests of 2 KiB that nest arrays or objects as deep as they can,
    /// in a known field, an unknown field and at the top: every command
    /// answers `bad-request` from the public and the admin session, on a
    /// thread with a small stack (the TA's is 64 KiB; the check before any
    /// parse is iterative, so the parser never sees the nesting).
    #[test]
    fn deep_nesting_is_a_bad_request_on_a_small_stack() {
        let run = || {
            let mut p = MemPlatform::new();
            let inputs = mfs_proto::json_shape::deep_nesting_samples::<MAX_REQUEST_LEN>();
            for input in &inputs {
                for cmd in Command::ALL {
                    for s in [&mut root(), &mut public()] {
                        let mut out = [0u8; MAX_REPLY_LEN];
                        let r = invoke(
                            &mut p,
                            &mut Instance::default(),
                            s,
                            cmd as u32,
                            input,
                            &mut out,
                        );
                        assert_eq!(r.status, Status::BadRequest, "{cmd:?}");
                    }
                }
            }
            assert_eq!(p.writes(), 0);
        };
        std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(run)
            .unwrap()
            .join()
            .unwrap();
    }
}
