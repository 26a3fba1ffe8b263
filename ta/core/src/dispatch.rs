//! The command dispatcher: one request in, one status + reply out.
//!
//! Order of checks for every call (the TA adapter has already refused wrong
//! GP parameter types and copied the request out of shared memory):
//!
//! 1. request size `<= MAX_REQUEST_LEN`, else `RequestTooLarge`;
//! 2. command ID known, else `UnknownCommand`;
//! 3. `{"v":..}` parses, else `BadRequest`; version in range, else
//!    `UnsupportedVersion`;
//! 4. the session's login may use the command's group, else `AccessDenied`;
//! 5. the command's own strict parse and checks;
//! 6. the reply fits the caller's buffer, else `ShortBuffer` with the
//!    needed size (the command's effects, if any, have happened: replies of
//!    state-changing commands are small and always fit `MAX_REPLY_LEN`).

use mfs_proto::{
    Command, EmptyRequest, Header, InfoReply, KeyAttestRequest, KeyGenerateRequest,
    KeyImportRequest, KeyListRequest, KeyRequest, KeySignRequest, MAX_REPLY_LEN, MAX_REQUEST_LEN,
    PROTOCOL_CURRENT, PROTOCOL_MIN, PinChangeRequest, PinRequest, PinUnblockRequest, PingReply,
    PingRequest, ProvisionReply, ProvisionRequest, Status, TxSignRequest, decode, encode,
    hex_bytes, uuid_string,
};
use mfs_proto::{LogHeadRequest, LogReadRequest};
use serde::Serialize;

use crate::Error;
use crate::access::{AdminPolicy, ClientIdentity, allowed};
use crate::config::Config;
use crate::keys;
use crate::log::{self as evlog, Event};
use crate::pin::{self, Instance, PinSession};
use crate::platform::Platform;

/// Per-session state, created when the session opens.
#[derive(Debug)]
pub struct Session {
    client: ClientIdentity,
    admin: bool,
    pin: Option<PinSession>,
}

impl Session {
    /// Opens a session for `client` under the TA's admin policy.
    pub fn open(client: ClientIdentity, policy: &AdminPolicy) -> Self {
        Session {
            client,
            admin: policy.admits(&client),
            pin: None,
        }
    }

    /// Whether this session may use admin-group commands.
    pub fn is_admin(&self) -> bool {
        self.admin
    }
}

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

/// The reply for a request of `len` bytes that is over the bound, if it
/// is. Checked before anything is copied out of shared memory.
pub fn check_request_len(len: usize) -> Option<Reply> {
    (len > MAX_REQUEST_LEN)
        .then(|| Reply::error(Status::RequestTooLarge, size_u32(MAX_REQUEST_LEN)))
}

/// Handles one command. Never panics on any input.
pub fn invoke<P: Platform>(
    p: &mut P,
    instance: &mut Instance,
    session: &mut Session,
    cmd: u32,
    request: &[u8],
    out: &mut [u8],
) -> Reply {
    if let Some(too_large) = check_request_len(request.len()) {
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
    if !allowed(command.group(), session.admin) {
        return Reply::error(Status::AccessDenied, 0);
    }
    let mut buf = [0u8; MAX_REPLY_LEN];
    let result = match command {
        Command::Ping => ping(request).and_then(|r| put(&r, &mut buf)),
        Command::Info => info(p, session, request).and_then(|r| put(&r, &mut buf)),
        Command::Provision => provision(p, instance, request).and_then(|r| put(&r, &mut buf)),
        Command::PinSession => parse::<EmptyRequest>(request)
            .and_then(|_| pin::open_session(p, &mut session.pin))
            .and_then(|r| put(&r, &mut buf)),
        Command::PinStatus => parse::<EmptyRequest>(request)
            .and_then(|_| pin::status(p, instance))
            .and_then(|r| put(&r, &mut buf)),
        Command::PinSet => parse::<PinRequest>(request)
            .and_then(|req| pin::set(p, instance, &mut session.pin, &req))
            .and_then(|r| put(&r, &mut buf)),
        Command::PinVerify => parse::<PinRequest>(request)
            .and_then(|req| pin::verify(p, instance, &mut session.pin, &req))
            .and_then(|r| put(&r, &mut buf)),
        Command::PinChange => parse::<PinChangeRequest>(request)
            .and_then(|req| pin::change(p, instance, &mut session.pin, &req))
            .and_then(|r| put(&r, &mut buf)),
        Command::PinUnblock => parse::<PinUnblockRequest>(request)
            .and_then(|req| pin::unblock(p, instance, &mut session.pin, &req))
            .and_then(|r| put(&r, &mut buf)),
        Command::KeyGenerate => parse::<KeyGenerateRequest>(request)
            .and_then(|req| keys::generate(p, instance, &req))
            .and_then(|r| put(&r, &mut buf)),
        Command::KeyList => parse::<KeyListRequest>(request)
            .and_then(|req| keys::list(p, req.offset))
            .and_then(|r| put(&r, &mut buf)),
        Command::KeyInfo => parse::<KeyRequest>(request)
            .and_then(|req| keys::info(p, &req.id))
            .and_then(|r| put(&r, &mut buf)),
        Command::KeyDelete => parse::<KeyRequest>(request)
            .and_then(|req| keys::delete(p, instance, &req.id))
            .and_then(|r| put(&r, &mut buf)),
        Command::KeySign => parse::<KeySignRequest>(request)
            .and_then(|req| keys::sign(p, instance, &req))
            .and_then(|r| put(&r, &mut buf)),
        Command::KeyAttest => parse::<KeyAttestRequest>(request)
            .and_then(|req| keys::attest(p, instance, &req))
            .and_then(|r| put(&r, &mut buf)),
        Command::KeyExport => parse::<KeyRequest>(request)
            .and_then(|req| keys::export(p, instance, &req.id))
            .and_then(|r| put(&r, &mut buf)),
        Command::KeyImport => parse::<KeyImportRequest>(request)
            .and_then(|req| keys::import(p, instance, &req))
            .and_then(|r| put(&r, &mut buf)),
        Command::TxSign => parse::<TxSignRequest>(request)
            .and_then(|req| crate::tx::sign(p, instance, &mut session.pin, &req))
            .and_then(|r| put(&r, &mut buf)),
        Command::LogRead => parse::<LogReadRequest>(request)
            .and_then(|req| evlog::read_page(p, instance, &req))
            .and_then(|r| put(&r, &mut buf)),
        Command::LogHead => parse::<LogHeadRequest>(request)
            .and_then(|req| evlog::signed_head(p, instance, &req))
            .and_then(|r| put(&r, &mut buf)),
        Command::Wipe => parse::<EmptyRequest>(request)
            .and_then(|_| {
                session.pin = None;
                crate::wipe::wipe(p, instance)
            })
            .and_then(|r| put(&r, &mut buf)),
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

fn put<T: Serialize>(reply: &T, buf: &mut [u8]) -> Result<usize, Error> {
    // Every reply type is bounded and proven to fit MAX_REPLY_LEN by tests;
    // failing here is an internal error, not the caller's.
    encode(reply, buf).map_err(|_| Error::Internal)
}

fn parse<'a, T: serde::Deserialize<'a>>(request: &'a [u8]) -> Result<T, Error> {
    decode(request).map_err(|_| Error::BadRequest)
}

fn ping(request: &[u8]) -> Result<PingReply, Error> {
    let req: PingRequest = parse(request)?;
    Ok(PingReply { echo: req.echo })
}

fn info<P: Platform>(p: &mut P, s: &Session, request: &[u8]) -> Result<InfoReply, Error> {
    let _: EmptyRequest = parse(request)?;
    let facts = p.facts();
    let config = Config::load(p)?;
    Ok(InfoReply {
        ta_version: crate::platform::bounded(env!("CARGO_PKG_VERSION")),
        proto_min: PROTOCOL_MIN,
        proto_max: PROTOCOL_CURRENT,
        storage: facts.storage,
        rollback_protected: facts.storage == mfs_proto::StorageKind::Rpmb,
        hw_unique_key: facts.hw_unique_key,
        // No GlobalPlatform trusted UI is used (none exists on OP-TEE QEMU).
        trusted_ui: false,
        tee_description: facts.tee_description,
        tee_api_version: facts.tee_api_version,
        tee_internal_core_version: facts.tee_internal_core_version,
        tee_device_id: uuid_string(&facts.tee_device_id),
        client_login: s.client.login,
        client_id: uuid_string(&s.client.uuid),
        admin: s.admin,
        provisioned: config.is_some(),
        pin_max_tries: config.map(|c| c.pin_max_tries),
    })
}

fn provision<P: Platform>(
    p: &mut P,
    inst: &mut Instance,
    request: &[u8],
) -> Result<ProvisionReply, Error> {
    let req: ProvisionRequest = parse(request)?;
    let issuer_key = hex_bytes(&req.issuer_key).ok_or(Error::InvalidArgument)?;
    let config = Config::new(req.pin_max_tries, req.pin_throttle_ms, issuer_key)?;
    config.provision(p)?;
    evlog::append(p, inst, &[Event::provisioned(config.pin_max_tries)])?;
    Ok(ProvisionReply {
        pin_max_tries: config.pin_max_tries,
    })
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)] // test inputs derived from a PRNG
mod test {
    use super::*;
    use crate::access::LINUX_ROOT_USER_UUID;
    use crate::mem::MemPlatform;
    use mfs_proto::Login;

    /// A provisioning request with a valid issuer key (the generator G).
    fn prov(tries: u32) -> alloc::vec::Vec<u8> {
        let g = mfs_proto::hex_string::<130>(&crate::config::test::G).unwrap();
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

    #[test]
    fn admin_group_needs_admin_identity() {
        let mut p = MemPlatform::new();
        let req = &prov(5);
        let (r, _) = call(&mut p, &mut public(), Command::Provision, req);
        assert_eq!(r.status, Status::AccessDenied);
        assert_eq!(p.writes(), 0);
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
        // mutated inputs; the cargo-fuzz target does this at scale.
        let mut p = MemPlatform::new();
        let mut seed = 0x1234_5678_u64;
        let tx = format!(
            r#"{{"v":1,"id":"0102030405060708","client_key":"{}","block":"{}","pan":null,"record":{{"amount":1,"currency":"EUR","payee":"p","display":"d","challenge":"{}","time":1}}}}"#,
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
}
