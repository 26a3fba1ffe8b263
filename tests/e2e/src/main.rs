//! End-to-end tests of the TA boundary, run inside the QEMU guest against
//! the real TA through libteec (one process, many sessions).
//!
//! Prints one line per test, `MFS-TEST ok <name>` or
//! `MFS-TEST fail <name>: <reason>`, which the host-side runner counts.
//! `mfs-e2e [filter]` runs the tests whose name contains `filter`;
//! `--bench` and `--stack` are the workloads of `scripts/bench` and
//! `scripts/stack` (no tests).
#![forbid(unsafe_code)]

mod bench;
mod stack;

use std::os::unix::process::CommandExt;
use std::process::{Command as Proc, ExitCode};

use mfs_host::issuer::IssuerKey;
use mfs_host::proto::log::EventKind;
use mfs_host::proto::pin::Pin;
use mfs_host::proto::{
    self, Command, HukStatus, Login, MAX_REPLY_LEN, MAX_REQUEST_LEN, PROTOCOL_CURRENT, Status,
    StorageKind,
};
use mfs_host::{Client, Error, LoginMethod, RawReply, TeecTransport, Transport};
use optee_teec::{
    ConnectionMethods, Context, Operation, Param, ParamNone, ParamTmpRef, ParamType, ParamValue,
    Session, Uuid,
};

type TestResult = Result<(), String>;
type Test = (&'static str, fn() -> TestResult);

const TEEC_ERROR_BAD_PARAMETERS: u32 = 0xffff_0006;

fn check(cond: bool, what: impl Into<String>) -> TestResult {
    if cond { Ok(()) } else { Err(what.into()) }
}

fn client(login: LoginMethod) -> Result<Client<TeecTransport>, String> {
    TeecTransport::open(proto::TA_UUID, login)
        .map(Client::new)
        .map_err(|e| format!("open session: {e}"))
}

fn raw_session(ctx: &mut Context) -> Result<Session, String> {
    let uuid = Uuid::parse_str(proto::TA_UUID).map_err(|e| format!("uuid: {e}"))?;
    ctx.open_session_with_login(uuid, ConnectionMethods::LoginUser)
        .map_err(|e| format!("open session: {e}"))
}

/// A correctly framed call with a request of our choosing.
fn framed(
    t: &mut TeecTransport,
    cmd: u32,
    req: &[u8],
    out_len: usize,
) -> Result<(RawReply, Vec<u8>), String> {
    let mut out = vec![0u8; out_len];
    let r = t
        .call(cmd, req, &mut out)
        .map_err(|e| format!("call: {e}"))?;
    out.truncate(r.len);
    Ok((r, out))
}

fn status_of(r: &RawReply) -> Result<Status, String> {
    Status::try_from(r.status).map_err(|_| format!("unknown status {}", r.status))
}

/// The session still answers after whatever the test did to it.
fn still_alive(t: &mut TeecTransport) -> TestResult {
    let (r, body) = framed(t, Command::Ping as u32, b"{\"v\":1,\"echo\":99}", 64)?;
    check(
        status_of(&r)? == Status::Ok && body == b"{\"echo\":99}",
        "session no longer answers ping",
    )
}

fn invoke_raw<A: Param, B: Param, C: Param, D: Param>(
    s: &mut Session,
    cmd: u32,
    op: &mut Operation<A, B, C, D>,
) -> Result<(), u32> {
    s.invoke_command(cmd, op).map_err(|e| e.raw_code())
}

// ---- tests --------------------------------------------------------------

fn ping() -> TestResult {
    let mut c = client(LoginMethod::User)?;
    for n in [0, 1, u32::MAX] {
        check(c.ping(n).map_err(|e| e.to_string())? == n, "echo mismatch")?;
    }
    Ok(())
}

fn info_reports_platform_facts() -> TestResult {
    let i = client(LoginMethod::User)?
        .info()
        .map_err(|e| e.to_string())?;
    println!("# info: {i:?}");
    check(
        i.proto_min == proto::PROTOCOL_MIN && i.proto_max == PROTOCOL_CURRENT,
        "protocol range",
    )?;
    check(
        i.storage == StorageKind::ReeFs && !i.rollback_protected,
        "QEMU storage is REE FS",
    )?;
    check(
        i.hw_unique_key == HukStatus::KnownStub,
        "QEMU HUK must be reported as a known stub",
    )?;
    check(!i.trusted_ui, "no trusted UI on QEMU")?;
    // The facts come from OP-TEE's property system calls (ta/src/tee.rs
    // reads them directly): each kind of property is checked here — the
    // strings, the u32, the UUID (the known-stub device ID above, byte
    // order included) and the client identity.
    check(
        i.tee_description.contains("OP-TEE") || !i.tee_description.is_empty(),
        "TEE description",
    )?;
    check(
        i.tee_api_version.starts_with("GPD-"),
        format!("TEE API version {:?}", i.tee_api_version),
    )?;
    check(
        i.tee_internal_core_version >> 24 == 1,
        format!(
            "TEE Internal Core API version {:#x} (major 1)",
            i.tee_internal_core_version
        ),
    )?;
    check(i.client_login == Login::User, "login user")?;
    // The suite runs as root: Linux reports UUIDv5(58ac9ca0-…, "uid=0").
    check(
        i.client_id.as_str() == "ef0180a3-13f3-5d1c-b7f5-888c0e21059a",
        format!("client identity {:?}", i.client_id),
    )?;
    check(
        i.ta_version.as_str() == env!("CARGO_PKG_VERSION"),
        "TA version",
    )
}

fn unknown_command_is_a_status() -> TestResult {
    let mut t =
        TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?;
    for cmd in [0u32, 0x0000_00ff, 0x0002_0001, u32::MAX] {
        let (r, _) = framed(&mut t, cmd, b"{\"v\":1}", 64)?;
        check(
            status_of(&r)? == Status::UnknownCommand,
            format!("cmd {cmd:#x}: {r:?}"),
        )?;
    }
    still_alive(&mut t)
}

fn wrong_parameter_types_are_refused() -> TestResult {
    let mut ctx = Context::new().map_err(|e| e.to_string())?;
    let mut s = raw_session(&mut ctx)?;
    let ping = Command::Ping as u32;
    let req = b"{\"v\":1,\"echo\":1}";
    let mut out = [0u8; 64];
    // no parameters at all
    let mut op = Operation::new(0, ParamNone, ParamNone, ParamNone, ParamNone);
    check(
        invoke_raw(&mut s, ping, &mut op) == Err(TEEC_ERROR_BAD_PARAMETERS),
        "no params",
    )?;
    // value input instead of value output
    let mut op = Operation::new(
        0,
        ParamValue::new(0, 0, ParamType::ValueInput),
        ParamTmpRef::new_input(req),
        ParamTmpRef::new_output(&mut out),
        ParamNone,
    );
    check(
        invoke_raw(&mut s, ping, &mut op) == Err(TEEC_ERROR_BAD_PARAMETERS),
        "value input",
    )?;
    // request and reply buffers swapped
    let mut out2 = [0u8; 64];
    let mut op = Operation::new(
        0,
        ParamValue::new(0, 0, ParamType::ValueOutput),
        ParamTmpRef::new_output(&mut out2),
        ParamTmpRef::new_input(req),
        ParamNone,
    );
    check(
        invoke_raw(&mut s, ping, &mut op) == Err(TEEC_ERROR_BAD_PARAMETERS),
        "swapped",
    )?;
    // an extra fourth parameter
    let mut out3 = [0u8; 64];
    let mut op = Operation::new(
        0,
        ParamValue::new(0, 0, ParamType::ValueOutput),
        ParamTmpRef::new_input(req),
        ParamTmpRef::new_output(&mut out3),
        ParamValue::new(1, 2, ParamType::ValueInput),
    );
    check(
        invoke_raw(&mut s, ping, &mut op) == Err(TEEC_ERROR_BAD_PARAMETERS),
        "extra param",
    )?;
    // and the same session still works with the right framing
    let mut out4 = [0u8; 64];
    let mut op = Operation::new(
        0,
        ParamValue::new(0, 0, ParamType::ValueOutput),
        ParamTmpRef::new_input(req),
        ParamTmpRef::new_output(&mut out4),
        ParamNone,
    );
    invoke_raw(&mut s, ping, &mut op).map_err(|c| format!("good call after bad ones: {c:#x}"))?;
    let (p0, _, p2, _) = op.parameters();
    check(
        p0.a() == Status::Ok as u32 && p2.updated_size() > 0,
        "good call result",
    )
}

fn short_output_buffer_reports_needed_size() -> TestResult {
    let mut t =
        TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?;
    let info = Command::Info as u32;
    let (r, body) = framed(&mut t, info, b"{\"v\":1}", 16)?;
    check(
        status_of(&r)? == Status::ShortBuffer && body.is_empty(),
        format!("{r:?}"),
    )?;
    let needed = usize::try_from(r.detail).map_err(|e| e.to_string())?;
    check(
        needed > 16 && needed <= MAX_REPLY_LEN,
        format!("needed {needed}"),
    )?;
    let (r, body) = framed(&mut t, info, b"{\"v\":1}", needed)?;
    check(
        status_of(&r)? == Status::Ok && body.len() == needed,
        "retry with the needed size",
    )?;
    still_alive(&mut t)
}

fn malformed_json_is_bad_request() -> TestResult {
    let mut t =
        TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?;
    let ping = Command::Ping as u32;
    let cases: [&[u8]; 8] = [
        b"{\"v\":1,\"echo\":",           // truncated
        b"\x00\x01\x02garbage\xff",      // garbage
        b"{\"v\":1,\"echo\":1}trailing", // trailing bytes
        b"{\"v\":1,\"echo\":\"one\"}",   // wrong type
        b"{\"v\":1}",                    // missing field
        b"{\"v\":1,\"echo\":1,\"x\":0}", // unknown field
        b"[1,2,3]",                      // not an object
        b"{\"echo\":1}",                 // no version
    ];
    for req in cases {
        let (r, _) = framed(&mut t, ping, req, 64)?;
        check(
            status_of(&r)? == Status::BadRequest,
            format!("{:?} -> {r:?}", String::from_utf8_lossy(req)),
        )?;
    }
    still_alive(&mut t)
}

/// 2 KiB of nested arrays or objects, at the top, in a known field, in an
/// unknown field and behind a loose scalar: every command answers
/// `bad-request` to a PUBLIC and a user login, and an admin session opened
/// before keeps answering (before the depth check, such input overflowed
/// the TA's stack and killed every session).
fn deep_nesting_is_refused_and_the_ta_stays_alive() -> TestResult {
    let mut admin =
        TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?;
    still_alive(&mut admin)?;
    let inputs = proto::json_shape::deep_nesting_samples::<MAX_REQUEST_LEN>();
    for login in [LoginMethod::Public, LoginMethod::User] {
        let mut t = TeecTransport::open(proto::TA_UUID, login).map_err(|e| e.to_string())?;
        for input in &inputs {
            for cmd in Command::ALL {
                let (r, _) = framed(&mut t, cmd as u32, input, MAX_REPLY_LEN)?;
                check(
                    status_of(&r)? == Status::BadRequest,
                    format!("{login:?} {cmd:?}: {r:?}"),
                )?;
            }
            still_alive(&mut t)?;
        }
    }
    still_alive(&mut admin)
}

fn oversized_request_is_refused() -> TestResult {
    let mut t =
        TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?;
    for len in [MAX_REQUEST_LEN + 1, 64 * 1024, 1024 * 1024] {
        let (r, _) = framed(&mut t, Command::Ping as u32, &vec![b' '; len], 64)?;
        check(
            status_of(&r)? == Status::RequestTooLarge && r.detail as usize == MAX_REQUEST_LEN,
            format!("len {len}: {r:?}"),
        )?;
    }
    // exactly at the limit is parsed (and is bad JSON here: all spaces)
    let (r, _) = framed(
        &mut t,
        Command::Ping as u32,
        &vec![b' '; MAX_REQUEST_LEN],
        64,
    )?;
    check(
        status_of(&r)? == Status::BadRequest,
        format!("at the limit: {r:?}"),
    )?;
    still_alive(&mut t)
}

fn wrong_protocol_version_is_refused() -> TestResult {
    let mut t =
        TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?;
    for req in [
        &b"{\"v\":0,\"echo\":1}"[..],
        b"{\"v\":2,\"echo\":1}",
        b"{\"v\":65535}",
    ] {
        let (r, _) = framed(&mut t, Command::Ping as u32, req, 64)?;
        check(
            status_of(&r)? == Status::UnsupportedVersion && r.detail == u32::from(PROTOCOL_CURRENT),
            format!("{r:?}"),
        )?;
    }
    still_alive(&mut t)
}

/// A request of length 0 through a non-NULL buffer (what an empty slice
/// gives libteec) reaches the TA, and empty is not JSON.
fn empty_request_is_refused() -> TestResult {
    let mut t =
        TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?;
    let mut out = [0u8; 64];
    let r = t
        .call(Command::Ping as u32, &[], &mut out)
        .map_err(|e| format!("call: {e}"))?;
    check(
        status_of(&r)? == Status::BadRequest && r.len == 0,
        format!("{r:?}"),
    )?;
    still_alive(&mut t)
}

/// A temporary memory reference with a NULL buffer of size 0 (libteec
/// passes it to the TEE as a NULL memref).
fn null_ref(param_type: ParamType) -> ParamTmpRef<'static> {
    let raw = optee_teec::raw::TEEC_Parameter {
        tmpref: optee_teec::raw::TEEC_TempMemoryReference {
            buffer: std::ptr::null_mut(),
            size: 0,
        },
    };
    ParamTmpRef::from_raw(raw, param_type)
}

/// A call with these four parameters, as [`raw_call`] reports it (the
/// status parameter is read only if it is a value output).
fn call_with<A: Param, B: Param, C: Param, D: Param>(
    s: &mut Session,
    cmd: u32,
    a: A,
    b: B,
    c: C,
    d: D,
) -> RawCall {
    let mut op = Operation::new(0, a, b, c, d);
    invoke_raw(s, cmd, &mut op).map(|()| (u32::MAX, 0, 0))
}

/// What [`raw_call`] gives: parameter 0 `a`, `b` and the reply size, or
/// the GP error of the call.
type RawCall = Result<(u32, u32, usize), u32>;

/// The bad-input matrix of the evidence pack: every command, from a PUBLIC
/// and a user login, with each malformation of the framing and of the
/// request. Each call prints `MFS-MATRIX login command malformation answer
/// alive|dead` (the answer: the TA status, or the GP error of a call
/// refused at the parameter check) and must get exactly the refusal the
/// check order of `docs/ta-interface.md` gives — GP
/// `TEE_ERROR_BAD_PARAMETERS` for bad framing, `request-too-large`,
/// `unsupported-version`, `access-denied` for a well-formed request from
/// a login that may not use the command, else `bad-request` — with the
/// same session answering a ping right after.
fn bad_input_matrix() -> TestResult {
    let uuid = Uuid::parse_str(proto::TA_UUID).map_err(|e| format!("uuid: {e}"))?;
    let mut ctx = Context::new().map_err(|e| e.to_string())?;
    let deep = proto::json_shape::deep_nesting_samples::<MAX_REQUEST_LEN>();
    let deep = deep.first().cloned().unwrap_or_default();
    let oversized = vec![b' '; MAX_REQUEST_LEN + 1];
    // (name, request) of the request malformations; the framing ones are
    // built per call below.
    let bodies: [(&str, &[u8]); 9] = [
        ("empty-request", b""),
        ("truncated-json", b"{\"v\":1,"),
        ("garbage", b"\x00\x01garbage\xff"),
        ("trailing-bytes", b"{\"v\":1}x"),
        ("not-an-object", b"[1,2]"),
        ("unknown-field", b"{\"v\":1,\"zz\":0}"),
        ("no-version", b"{}"),
        ("bad-version", b"{\"v\":2}"),
        ("wrong-version-type", b"{\"v\":\"1\"}"),
    ];
    let mut problems = Vec::new();
    for (login, method) in [
        ("public", ConnectionMethods::LoginPublic),
        ("user", ConnectionMethods::LoginUser),
    ] {
        let mut s = ctx
            .open_session_with_login(uuid.clone(), method)
            .map_err(|e| format!("open {login} session: {e}"))?;
        for cmd in Command::ALL {
            let id = cmd as u32;
            let mut rows: Vec<(&str, RawCall)> = Vec::new();
            let req = b"{\"v\":1}";
            let mut out = vec![0u8; MAX_REPLY_LEN];
            // framing
            let v_out = || ParamValue::new(0, 0, ParamType::ValueOutput);
            rows.push((
                "no-parameters",
                call_with(&mut s, id, ParamNone, ParamNone, ParamNone, ParamNone),
            ));
            let status_in = ParamValue::new(0, 0, ParamType::ValueInput);
            let (i, o) = (
                ParamTmpRef::new_input(req),
                ParamTmpRef::new_output(&mut out),
            );
            rows.push((
                "value-input-status",
                call_with(&mut s, id, status_in, i, o, ParamNone),
            ));
            let (o, i) = (
                ParamTmpRef::new_output(&mut out),
                ParamTmpRef::new_input(req),
            );
            rows.push((
                "swapped-buffers",
                call_with(&mut s, id, v_out(), o, i, ParamNone),
            ));
            let extra = ParamValue::new(1, 2, ParamType::ValueInput);
            let (i, o) = (
                ParamTmpRef::new_input(req),
                ParamTmpRef::new_output(&mut out),
            );
            rows.push((
                "extra-parameter",
                call_with(&mut s, id, v_out(), i, o, extra),
            ));
            let (i, o) = (
                null_ref(ParamType::MemrefTempInput),
                ParamTmpRef::new_output(&mut out),
            );
            rows.push((
                "null-request",
                call_with(&mut s, id, v_out(), i, o, ParamNone),
            ));
            let (i, o) = (
                ParamTmpRef::new_input(req),
                null_ref(ParamType::MemrefTempOutput),
            );
            rows.push((
                "null-reply",
                call_with(&mut s, id, v_out(), i, o, ParamNone),
            ));
            let framing = rows.len();
            // requests
            for (name, body) in bodies {
                rows.push((name, raw_call(&mut s, id, body, &mut out)));
            }
            rows.push(("oversized", raw_call(&mut s, id, &oversized, &mut out)));
            rows.push(("deep-nesting", raw_call(&mut s, id, &deep, &mut out)));
            for (i, (what, r)) in rows.into_iter().enumerate() {
                let answer = match r {
                    Err(TEEC_ERROR_BAD_PARAMETERS) => "TEEC_ERROR_BAD_PARAMETERS".to_string(),
                    Err(code) => format!("teec-error-{code:#x}"),
                    Ok((st, _, _)) => match Status::try_from(st) {
                        Ok(st) => st.name().to_string(),
                        Err(_) => format!("undefined-status-{st}"),
                    },
                };
                let mut pong = [0u8; 64];
                let alive = matches!(
                    raw_call(&mut s, Command::Ping as u32, b"{\"v\":1,\"echo\":7}", &mut pong),
                    Ok((st, _, _)) if st == Status::Ok as u32
                );
                let name = cmd.name();
                println!(
                    "MFS-MATRIX {login} {name} {what} {answer} {}",
                    if alive { "alive" } else { "dead" }
                );
                // The one answer the interface specification gives: the
                // parameter check first; then the size, the JSON shape and
                // the version; then the login's access (a well-formed
                // request from PUBLIC to a command it may not use), then
                // the command's own strict parse.
                let public_refused =
                    login == "public" && !matches!(cmd, Command::Ping | Command::Info);
                let expected = if i < framing {
                    "TEEC_ERROR_BAD_PARAMETERS"
                } else {
                    match what {
                        "oversized" => Status::RequestTooLarge.name(),
                        "bad-version" => Status::UnsupportedVersion.name(),
                        "unknown-field" if public_refused => Status::AccessDenied.name(),
                        _ => Status::BadRequest.name(),
                    }
                };
                if answer != expected || !alive {
                    problems.push(format!(
                        "{login} {name} {what}: {answer} (expected {expected}), alive {alive}"
                    ));
                }
            }
        }
    }
    check(
        problems.is_empty(),
        format!(
            "{} bad answers: {:?}",
            problems.len(),
            problems.iter().take(5).collect::<Vec<_>>()
        ),
    )
}

/// Parameter 0 `a` and `b` and parameter 2's size after a framed call.
fn raw_call(
    s: &mut Session,
    cmd: u32,
    req: &[u8],
    out: &mut [u8],
) -> Result<(u32, u32, usize), u32> {
    let mut op = Operation::new(
        0,
        ParamValue::new(0, 0, ParamType::ValueOutput),
        ParamTmpRef::new_input(req),
        ParamTmpRef::new_output(out),
        ParamNone,
    );
    invoke_raw(s, cmd, &mut op)?;
    let (p0, _, p2, _) = op.parameters();
    Ok((p0.a(), p0.b(), p2.updated_size()))
}

/// NULL buffers end at the parameter check (GP `TEE_ERROR_BAD_PARAMETERS`,
/// nothing runs); a non-NULL reply buffer of length 0 lets the command
/// run and answers `short-buffer` with the size needed: the command's
/// effects have happened (here: the PIN session it opened is in use).
fn null_buffers_and_empty_replies() -> TestResult {
    let mut ctx = Context::new().map_err(|e| e.to_string())?;
    let mut s = raw_session(&mut ctx)?;
    let ping = Command::Ping as u32;
    let req = b"{\"v\":1,\"echo\":5}";
    let mut out = [0u8; 64];
    let mut op = Operation::new(
        0,
        ParamValue::new(0, 0, ParamType::ValueOutput),
        null_ref(ParamType::MemrefTempInput),
        ParamTmpRef::new_output(&mut out),
        ParamNone,
    );
    check(
        invoke_raw(&mut s, ping, &mut op) == Err(TEEC_ERROR_BAD_PARAMETERS),
        "NULL request buffer",
    )?;
    let mut op = Operation::new(
        0,
        ParamValue::new(0, 0, ParamType::ValueOutput),
        ParamTmpRef::new_input(req),
        null_ref(ParamType::MemrefTempOutput),
        ParamNone,
    );
    check(
        invoke_raw(&mut s, ping, &mut op) == Err(TEEC_ERROR_BAD_PARAMETERS),
        "NULL reply buffer",
    )?;
    // zero-length, non-NULL: a real buffer's empty front
    let backing = [0u8; 8];
    let r = raw_call(&mut s, ping, &backing[..0], &mut out);
    check(
        r == Ok((Status::BadRequest as u32, 0, 0)),
        format!("empty request: {r:?}"),
    )?;
    let mut reply = [0u8; 8];
    let r = raw_call(&mut s, ping, req, &mut reply[..0]);
    check(
        r == Ok((Status::ShortBuffer as u32, 10, 0)),
        format!("empty reply buffer: {r:?}"),
    )?;
    // pin-session ran: a PIN command now finds a session (and fails on
    // the client key, which is not a curve point), then none
    let r = raw_call(
        &mut s,
        Command::PinSession as u32,
        b"{\"v\":1}",
        &mut reply[..0],
    );
    check(
        matches!(r, Ok((st, n, 0)) if st == Status::ShortBuffer as u32 && n > 0),
        format!("pin-session, empty reply buffer: {r:?}"),
    )?;
    let verify = format!(
        "{{\"v\":1,\"client_key\":\"{}\",\"block\":\"{}\"}}",
        "04".repeat(65),
        "00".repeat(16)
    );
    for want in [Status::CryptoFailure, Status::PinSessionRequired] {
        let r = raw_call(
            &mut s,
            Command::PinVerify as u32,
            verify.as_bytes(),
            &mut out,
        );
        check(
            matches!(r, Ok((st, _, _)) if st == want as u32),
            format!("pin-verify after it, want {}: {r:?}", want.name()),
        )?;
    }
    let r = raw_call(&mut s, ping, req, &mut out);
    check(
        r == Ok((Status::Ok as u32, 0, 10)) && &out[..10] == b"{\"echo\":5}",
        format!("session still works: {r:?}"),
    )
}

fn admin_group_needs_admin_login() -> TestResult {
    // public login: no identity, no admin
    let mut public = client(LoginMethod::Public)?;
    let i = public.info().map_err(|e| e.to_string())?;
    check(
        i.client_login == Login::Public && !i.admin,
        "public is not admin",
    )?;
    check(
        public
            .provision(5, 0, &issuer_pub()?)
            .map_err(|e| e.status())
            == Err(Some(Status::AccessDenied)),
        "public provision",
    )?;
    // root's user login is the admin identity
    let mut root = client(LoginMethod::User)?;
    let i = root.info().map_err(|e| e.to_string())?;
    check(
        i.admin,
        format!("root user login must be admin (identity {})", i.client_id),
    )?;
    let key = issuer_pub()?;
    let r = root.provision(99, THROTTLE_MS, &key);
    check(
        r.map_err(|e| e.status()) == Err(Some(Status::InvalidArgument)),
        "range",
    )?;
    let mut bad_key = key;
    bad_key[64] ^= 1;
    let r = root.provision(5, THROTTLE_MS, &bad_key);
    check(
        r.map_err(|e| e.status()) == Err(Some(Status::InvalidArgument)),
        "issuer key off the curve",
    )?;
    let r = root
        .provision(5, THROTTLE_MS, &key)
        .map_err(|e| e.to_string())?;
    check(r.pin_max_tries == 5, "provision")?;
    let r = root.provision(5, THROTTLE_MS, &key);
    check(
        r.map_err(|e| e.status()) == Err(Some(Status::AlreadyProvisioned)),
        "twice",
    )?;
    let i = public.info().map_err(|e| e.to_string())?;
    check(
        i.provisioned && i.pin_max_tries == Some(5),
        "provisioning visible to other sessions",
    )
}

fn non_root_user_is_not_admin() -> TestResult {
    let out = as_uid(65534, &["--as-nobody"])?
        .wait_with_output()
        .map_err(|e| format!("as nobody: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    check(
        out.status.success(),
        format!(
            "child failed: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn as_nobody() -> ExitCode {
    let r = (|| -> TestResult {
        let mut c = client(LoginMethod::User)?;
        let i = c.info().map_err(|e| e.to_string())?;
        check(
            i.client_login == Login::User && !i.admin,
            format!("nobody admin={}", i.admin),
        )?;
        check(
            c.provision(5, 0, &issuer_pub()?).map_err(|e| e.status())
                == Err(Some(Status::AccessDenied)),
            "provision",
        )
    })();
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            println!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn concurrent_sessions() -> TestResult {
    let mut a = client(LoginMethod::User)?;
    let mut b = client(LoginMethod::Public)?;
    for n in 0..5 {
        check(a.ping(n).map_err(|e| e.to_string())? == n, "a")?;
        check(b.ping(n + 100).map_err(|e| e.to_string())? == n + 100, "b")?;
    }
    drop(a);
    check(
        b.ping(7).map_err(|e| e.to_string())? == 7,
        "b after a closed",
    )
}

const TEE_ERROR_BUSY: u32 = 0xFFFF_000D;

/// This binary re-run as another Linux user (`uid`, in the TEE client
/// group gid 990 `teeclnt`, which may open /dev/tee0): a second client
/// identity. `args` select what the child does (see [`child_main`]).
fn as_uid(uid: u32, args: &[&str]) -> Result<std::process::Child, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    Proc::new(me)
        .args(args)
        .uid(uid)
        .gid(990)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn as uid {uid}: {e}"))
}

/// A child holding sessions open as another uid until told to close.
struct Holder {
    child: std::process::Child,
    /// Sessions it opened.
    opened: usize,
    /// The GP code that refused its next session (0: none refused).
    refused: u32,
}

impl Holder {
    /// Starts a child as `uid` that opens up to `want` user-login sessions
    /// and reports how many it got.
    fn start(uid: u32, want: usize) -> Result<Holder, String> {
        use std::io::BufRead;
        let mut child = as_uid(uid, &["--hold-sessions", &want.to_string()])?;
        let out = child.stdout.take().ok_or("no child stdout")?;
        let mut line = String::new();
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let mut words = line.split_whitespace();
        let (Some("held"), Some(n), Some(code)) = (words.next(), words.next(), words.next()) else {
            return Err(format!("child uid {uid} said {line:?}"));
        };
        Ok(Holder {
            child,
            opened: n.parse().map_err(|_| format!("count {n}"))?,
            refused: code.parse().map_err(|_| format!("code {code}"))?,
        })
    }

    /// Closes its sessions (the child exits when its stdin closes).
    fn stop(mut self) -> TestResult {
        drop(self.child.stdin.take());
        let st = self.child.wait().map_err(|e| e.to_string())?;
        check(st.success(), format!("holder exit {st}"))
    }
}

/// `--exec-as UID COMMAND [ARGS...]`: runs a command as another Linux
/// user in the TEE client group, so the guest's CLI tests can act as a
/// payment app of their own (own client identity: own PIN and keys) and
/// set up their own state. Exits with the command's exit code.
fn exec_as(args: &[String]) -> ExitCode {
    let (Some(uid), Some(cmd)) = (args.first().and_then(|u| u.parse().ok()), args.get(1)) else {
        println!("usage: mfs-e2e --exec-as UID COMMAND [ARGS...]");
        return ExitCode::from(2);
    };
    let status = Proc::new(cmd)
        .args(args.iter().skip(2))
        .uid(uid)
        .gid(990)
        .status();
    match status.map(|s| s.code()) {
        Ok(Some(code)) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        _ => ExitCode::from(127),
    }
}

/// Child side of [`Holder`]: `--hold-sessions N`.
fn hold_sessions(want: usize) -> ExitCode {
    use std::io::Read;
    let mut held = Vec::new();
    let mut refused = 0u32;
    while held.len() < want {
        match TeecTransport::open(proto::TA_UUID, LoginMethod::User) {
            Ok(t) => held.push(t),
            Err(Error::Tee { code }) => {
                refused = code;
                break;
            }
            Err(e) => {
                println!("error {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    for t in &mut held {
        if let Err(e) = still_alive(t) {
            println!("error {e}");
            return ExitCode::FAILURE;
        }
    }
    println!("held {} {refused}", held.len());
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    ExitCode::SUCCESS
}

/// Sessions are capped per client identity (`MAX_SESSIONS_PER_CLIENT`;
/// all PUBLIC and group logins share one such pool) and over all clients
/// (`MAX_SESSIONS`, the last one kept for the admin): past a cap a new
/// session gets `TEE_ERROR_BUSY`, every session already open keeps
/// answering, other clients are not affected by one client's share, the
/// admin still gets in when the others have filled the TA, and a close
/// makes room again.
fn sessions_are_capped_and_open_ones_keep_working() -> TestResult {
    let per = proto::MAX_SESSIONS_PER_CLIENT as usize;
    let cap = proto::MAX_SESSIONS as usize;
    let busy = Some(Error::Tee {
        code: TEE_ERROR_BUSY,
    });
    let mut first =
        TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?;
    // One pool (PUBLIC) takes its share, and no more.
    let mut public = Vec::new();
    let refused = loop {
        if public.len() > cap {
            return Err(format!("{} PUBLIC sessions opened: no cap", public.len()));
        }
        match TeecTransport::open(proto::TA_UUID, LoginMethod::Public) {
            Ok(t) => public.push(t),
            Err(e) => break e,
        }
    };
    check(
        Some(refused) == busy && public.len() == per,
        format!("PUBLIC share: {} open, then {refused:?}", public.len()),
    )?;
    // Another identity (root's user login, the admin) still gets its own
    // share; it keeps two in hand for later.
    let mut root = Vec::new();
    for _ in 3..per {
        root.push(
            TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?,
        );
    }
    // Other uids fill the TA up to its cap less the admin's last one...
    let mut holders = Vec::new();
    let mut open = per + per - 2;
    let mut uid = 60_000;
    loop {
        if holders.len() > cap {
            return Err("holders never refused".into());
        }
        let h = Holder::start(uid, per)?;
        open += h.opened;
        uid += 1;
        let full = h.opened < per;
        let refused = h.refused;
        holders.push(h);
        if full {
            check(
                refused == TEE_ERROR_BUSY,
                format!("uid {} refused with {refused:#x}", uid - 1),
            )?;
            break;
        }
    }
    check(
        open == cap - 1,
        format!("{open} sessions open, want {}", cap - 1),
    )?;
    // ...past which any other identity is refused, a fresh one included...
    let late = Holder::start(uid, 1)?;
    check(
        late.opened == 0 && late.refused == TEE_ERROR_BUSY,
        format!(
            "past the cap: {} opened, code {:#x}",
            late.opened, late.refused
        ),
    )?;
    late.stop()?;
    // ...and the admin gets the last one, then is refused too.
    root.push(
        TeecTransport::open(proto::TA_UUID, LoginMethod::User)
            .map_err(|e| format!("the admin's last session: {e}"))?,
    );
    let again = TeecTransport::open(proto::TA_UUID, LoginMethod::User).err();
    check(again == busy, format!("root past the cap: {again:?}"))?;
    still_alive(&mut first)?;
    for t in public.iter_mut().chain(root.iter_mut()) {
        still_alive(t)?;
    }
    // A client that closes makes room for others.
    drop(root.pop());
    if let Some(h) = holders.pop() {
        h.stop()?;
    }
    let again = Holder::start(uid + 1, 1)?;
    check(
        again.opened == 1,
        format!("after a close: {}", again.opened),
    )?;
    again.stop()?;
    for h in holders {
        h.stop()?;
    }
    drop(public);
    drop(root);
    still_alive(&mut first)
}

/// A PUBLIC login (no identity to own anything) may use `ping` and `info`
/// only: every other command, well-formed, is `access-denied`.
fn public_login_gets_ping_and_info_only() -> TestResult {
    let mut t =
        TeecTransport::open(proto::TA_UUID, LoginMethod::Public).map_err(|e| e.to_string())?;
    for cmd in Command::ALL {
        let (r, _) = framed(&mut t, cmd as u32, b"{\"v\":1}", MAX_REPLY_LEN)?;
        let st = status_of(&r)?;
        let ok = match cmd {
            Command::Ping => st == Status::BadRequest, // needs "echo"
            Command::Info => st == Status::Ok,
            _ => st == Status::AccessDenied,
        };
        check(ok, format!("PUBLIC {cmd:?}: {r:?}"))?;
    }
    still_alive(&mut t)
}

/// Keys and PINs belong to the client identity that made them: a second
/// client (another uid) cannot list, read, sign with, attest, export,
/// delete or block the first client's key and PIN, and its own key is
/// just as invisible to the first. It reads the event log as details
/// hashes only (the chain verifies; the admin alone reads details).
fn second_client_cannot_touch_first_clients_keys_or_pin() -> TestResult {
    let e = |e: Error| e.to_string();
    let mut c = client(LoginMethod::User)?;
    let k = c
        .key_generate("e2e-isolation", sign_policy(true))
        .map_err(e)?;
    let before = c.pin_status().map_err(e)?;
    let child = as_uid(61_000, &["--second-client", &k.id])?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    check(out.status.success(), format!("second client: {text}"))?;
    let theirs = text
        .lines()
        .find_map(|l| l.strip_prefix("key "))
        .ok_or(format!("no key id from the second client: {text}"))?
        .trim()
        .to_string();
    // the first client's key and PIN are as they were
    check(c.key_info(&k.id).map_err(e)? == k, "key changed")?;
    c.key_sign(&k.id, b"still mine").map_err(e)?;
    let after = c.pin_status().map_err(e)?;
    check(
        after == before,
        format!("PIN status changed: {before:?} -> {after:?}"),
    )?;
    // and the second client's key is invisible to the first
    refused_with(c.key_info(&theirs), Status::KeyNotFound, None)?;
    refused_with(c.key_delete(&theirs), Status::KeyNotFound, None)?;
    check(
        c.key_list()
            .map_err(e)?
            .iter()
            .all(|s| s.id.as_str() != theirs),
        "the other client's key is listed",
    )?;
    c.key_delete(&k.id).map_err(e)?;
    Ok(())
}

/// Child side of [`second_client_cannot_touch_first_clients_keys_or_pin`]:
/// `--second-client <first client's key id>`, run as another uid.
fn second_client(foreign: &str) -> TestResult {
    let e = |e: Error| e.to_string();
    let mut c = client(LoginMethod::User)?;
    let i = c.info().map_err(e)?;
    check(!i.admin && i.client_login == Login::User, "not admin")?;
    check(
        c.key_list()
            .map_err(e)?
            .iter()
            .all(|s| s.id.as_str() != foreign),
        "foreign key listed",
    )?;
    refused_with(c.key_info(foreign), Status::KeyNotFound, None)?;
    refused_with(c.key_sign(foreign, b"steal"), Status::KeyNotFound, None)?;
    refused_with(c.key_export(foreign), Status::KeyNotFound, None)?;
    refused_with(
        c.key_attest(foreign, &[7; 16], None),
        Status::KeyNotFound,
        None,
    )?;
    refused_with(c.key_delete(foreign), Status::KeyNotFound, None)?;
    // its own PIN: not set, then set, and its wrong tries are its own
    let s = c.pin_status().map_err(e)?;
    check(!s.set, format!("another client's PIN visible: {s:?}"))?;
    c.pin_set(&pin("2580")?, None).map_err(e)?;
    refused_with(c.pin_verify(&pin(WRONG)?, None), Status::PinIncorrect, None)?;
    c.pin_verify(&pin("2580")?, None).map_err(e)?;
    let mine = c
        .key_generate("e2e-second", sign_policy(false))
        .map_err(e)?;
    println!("key {}", mine.id);
    // the device's log: the whole chain verifies, every entry's details
    // withheld (only the admin reads them)
    let x = c.log_export(b"second client").map_err(e)?;
    check(
        !x.entries.is_empty() && x.entries.iter().all(|en| en.details.is_none()),
        "details of the log sent to a client that is not the admin",
    )?;
    Ok(())
}
// ---- PIN (protected entry, counter, lockout, issuer unblock) -------------

const ISSUER_PEM: &str = include_str!("../../guest/issuer-test-key.pem");
const FORGER_PEM: &str = include_str!("../../guest/forger-test-key.pem");
/// Long enough that the try after three failures always comes within it,
/// however loaded the machine (the test then waits it out once per step).
const THROTTLE_MS: u32 = 3000;
const PIN: &str = "739146285037";
const NEW_PIN: &str = "4739";
const WRONG: &str = "000000";

fn issuer() -> Result<IssuerKey, String> {
    IssuerKey::from_pem(ISSUER_PEM).map_err(|e| e.to_string())
}

fn issuer_pub() -> Result<[u8; 65], String> {
    issuer()?.public_key().map_err(|e| e.to_string())
}

fn pin(s: &str) -> Result<Pin, String> {
    Pin::new(s).map_err(|_| format!("bad test PIN {s}"))
}

fn status_is(r: &Result<mfs_host::proto::PinStatusReply, Error>, want: Status) -> bool {
    r.as_ref().err().and_then(Error::status) == Some(want)
}

/// Records every request the host library sends.
struct Recorder {
    inner: TeecTransport,
    sent: Vec<Vec<u8>>,
}

impl Transport for Recorder {
    fn call(&mut self, cmd: u32, request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
        self.sent.push(request.to_vec());
        self.inner.call(cmd, request, reply)
    }
}

fn recording_client() -> Result<Client<Recorder>, String> {
    let inner =
        TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?;
    Ok(Client::new(Recorder {
        inner,
        sent: Vec::new(),
    }))
}

/// A verify that waits out throttling, checking a throttled try is free.
fn verify_waiting<T: Transport>(
    c: &mut Client<T>,
    p: &str,
    throttled: &mut u32,
) -> Result<Result<u8, Error>, String> {
    loop {
        let before = c.pin_status().map_err(|e| e.to_string())?.tries_left;
        match c.pin_verify(&pin(p)?, None) {
            Err(Error::Status {
                status: Status::PinThrottled,
                detail,
            }) => {
                *throttled += 1;
                let after = c.pin_status().map_err(|e| e.to_string())?.tries_left;
                check(after == before, "a throttled try must not be used")?;
                std::thread::sleep(std::time::Duration::from_millis(u64::from(detail) + 20));
            }
            other => return Ok(other.map(|s| s.tries_left)),
        }
    }
}

fn pin_set_wrong_tries_reset_and_lockout() -> TestResult {
    let mut c = recording_client()?;
    check(
        !c.pin_status().map_err(|e| e.to_string())?.set,
        "no PIN before set",
    )?;
    let s = c.pin_set(&pin(PIN)?, None).map_err(|e| e.to_string())?;
    check(s.set && s.tries_left == 5 && s.max_tries == 5, "set")?;
    let r = c.pin_set(&pin(NEW_PIN)?, None);
    check(status_is(&r, Status::PinAlreadySet), "second set refused")?;
    let mut throttled = 0;
    // wrong x (N-1): tries left count down (ISO 7816 63Cx style)
    for left in (1..=4u32).rev() {
        let r = verify_waiting(&mut c, WRONG, &mut throttled)?;
        let want = Err(Error::Status {
            status: Status::PinIncorrect,
            detail: left,
        });
        check(r == want, format!("wrong PIN, expected {left} left: {r:?}"))?;
        println!("# wrong PIN: {left} tries left");
    }
    println!("# throttled (refused without using a try): {throttled}");
    check(
        throttled >= 1,
        "the TA throttles after three failures in a row",
    )?;
    let r = verify_waiting(&mut c, PIN, &mut throttled)?;
    check(r == Ok(5), format!("correct PIN resets to 5: {r:?}"))?;
    for left in (1..=4u32).rev() {
        let r = verify_waiting(&mut c, WRONG, &mut throttled)?;
        let want = Err(Error::Status {
            status: Status::PinIncorrect,
            detail: left,
        });
        check(r == want, format!("{r:?}"))?;
    }
    let r = verify_waiting(&mut c, WRONG, &mut throttled)?;
    check(
        r.as_ref().err().and_then(Error::status) == Some(Status::PinBlocked),
        format!("{r:?}"),
    )?;
    let r = c.pin_verify(&pin(PIN)?, None);
    check(
        status_is(&r, Status::PinBlocked),
        format!("correct PIN still refused: {r:?}"),
    )?;
    let s = c.pin_status().map_err(|e| e.to_string())?;
    check(s.blocked && s.tries_left == 0, "status shows blocked")?;
    // The clear PIN never appeared in any request this client sent.
    let sent = &c.transport_mut().sent;
    check(sent.len() > 20, "requests recorded")?;
    for req in sent {
        let text = String::from_utf8_lossy(req).to_lowercase();
        check(
            !text.contains(PIN) && !text.contains(WRONG),
            format!("clear PIN sent: {text}"),
        )?;
    }
    println!("# {} requests inspected: no clear PIN", sent.len());
    Ok(())
}

fn pin_session_is_required_and_keys_checked() -> TestResult {
    let mut t =
        TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?;
    let req = format!(
        "{{\"v\":{PROTOCOL_CURRENT},\"client_key\":\"{}\",\"block\":\"{}\"}}",
        "04".repeat(65),
        "00".repeat(16)
    );
    // no PIN session in this TA session
    let (r, _) = framed(&mut t, Command::PinVerify as u32, req.as_bytes(), 256)?;
    check(
        status_of(&r)? == Status::PinSessionRequired,
        format!("{r:?}"),
    )?;
    // in a session, a client key that is not a curve point: crypto-failure
    let (r, _) = framed(&mut t, Command::PinSession as u32, b"{\"v\":1}", 512)?;
    check(status_of(&r)? == Status::Ok, "session")?;
    let (r, _) = framed(&mut t, Command::PinVerify as u32, req.as_bytes(), 256)?;
    check(
        status_of(&r)? == Status::CryptoFailure,
        format!("bad client key: {r:?}"),
    )?;
    // and the session was consumed by that attempt
    let (r, _) = framed(&mut t, Command::PinVerify as u32, req.as_bytes(), 256)?;
    check(
        status_of(&r)? == Status::PinSessionRequired,
        format!("single use: {r:?}"),
    )?;
    // a request of any PIN command that fails its parse uses it up too
    for cmd in Command::ALL.into_iter().filter(|c| c.uses_pin_session()) {
        let (r, _) = framed(&mut t, Command::PinSession as u32, b"{\"v\":1}", 512)?;
        check(status_of(&r)? == Status::Ok, "session")?;
        let (r, _) = framed(&mut t, cmd as u32, b"{\"v\":1,\"zz\":0}", 256)?;
        check(
            status_of(&r)? == Status::BadRequest,
            format!("{cmd:?} malformed: {r:?}"),
        )?;
        let (r, _) = framed(&mut t, Command::PinVerify as u32, req.as_bytes(), 256)?;
        check(
            status_of(&r)? == Status::PinSessionRequired,
            format!("{cmd:?}: a malformed request must use up the PIN session: {r:?}"),
        )?;
    }
    still_alive(&mut t)
}

/// The order of the P-256 group, big-endian.
const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// The high-S twin `(r, n - s)` of a DER ECDSA P-256 signature (it
/// verifies under plain ECDSA exactly as the original does).
fn high_s_twin(der: &[u8]) -> Option<Vec<u8>> {
    fn int(b: &[u8]) -> Option<(&[u8], &[u8])> {
        let [0x02, len, rest @ ..] = b else {
            return None;
        };
        rest.split_at_checked(usize::from(*len))
    }
    fn der_int(v: &[u8]) -> Vec<u8> {
        let v: Vec<u8> = v.iter().copied().skip_while(|b| *b == 0).collect();
        let pad = v.first().is_none_or(|b| *b >= 0x80);
        let len = u8::try_from(v.len() + usize::from(pad)).unwrap_or(u8::MAX);
        let mut out = vec![0x02, len];
        if pad {
            out.push(0);
        }
        out.extend(v);
        out
    }
    let [0x30, _, body @ ..] = der else {
        return None;
    };
    let (r, rest) = int(body)?;
    let (s, _) = int(rest)?;
    let s: Vec<u8> = s.iter().copied().skip_while(|b| *b == 0).collect();
    let mut s32 = [0u8; 32];
    s32.get_mut(32usize.checked_sub(s.len())?..)?
        .copy_from_slice(&s);
    // n - s, byte by byte from the end with a borrow
    let mut twin = [0u8; 32];
    let mut borrow = 0u16;
    for ((t, n), s) in twin.iter_mut().zip(P256_N).zip(s32).rev() {
        let d = u16::from(n) + 256 - u16::from(s) - borrow;
        *t = u8::try_from(d & 0xff).ok()?;
        borrow = u16::from(d < 256);
    }
    let mut seq = der_int(r);
    seq.extend(der_int(&twin));
    let mut out = vec![0x30, u8::try_from(seq.len()).ok()?];
    out.extend(seq);
    Some(out)
}

fn p2_blocked_pin_survives_reboot_until_issuer_unblock() -> TestResult {
    let mut c = client(LoginMethod::User)?;
    let s = c.pin_status().map_err(|e| e.to_string())?;
    check(
        s.set && s.blocked && s.tries_left == 0,
        format!("blocked after reboot: {s:?}"),
    )?;
    let r = c.pin_verify(&pin(PIN)?, None);
    check(
        status_is(&r, Status::PinBlocked),
        format!("correct PIN refused: {r:?}"),
    )?;
    // a forged issuer signature (another key) is refused
    let forger = IssuerKey::from_pem(FORGER_PEM).map_err(|e| e.to_string())?;
    let r = c.pin_unblock(&pin(NEW_PIN)?, None, |m| Ok(forger.sign(m)));
    check(
        status_is(&r, Status::CryptoFailure),
        format!("forged: {r:?}"),
    )?;
    // so is the issuer's signature over other bytes
    let issuer = issuer()?;
    let r = c.pin_unblock(&pin(NEW_PIN)?, None, |m| {
        let mut other = m.to_vec();
        if let Some(last) = other.last_mut() {
            *last ^= 1;
        }
        Ok(issuer.sign(&other))
    });
    check(
        status_is(&r, Status::CryptoFailure),
        format!("misbound: {r:?}"),
    )?;
    // and the high-S twin (r, n - s) of the issuer's valid signature
    let r = c.pin_unblock(&pin(NEW_PIN)?, None, |m| {
        high_s_twin(&issuer.sign(m)).ok_or(Error::Key(mfs_host::KeyError::Signature))
    });
    check(
        status_is(&r, Status::CryptoFailure),
        format!("high-S twin: {r:?}"),
    )?;
    check(
        c.pin_status().map_err(|e| e.to_string())?.blocked,
        "still blocked",
    )?;
    // the issuer's signature unblocks with the new PIN
    let s = c.pin_unblock(&pin(NEW_PIN)?, None, |m| Ok(issuer.sign(m)));
    let s = s.map_err(|e| e.to_string())?;
    check(!s.blocked && s.tries_left == 5, format!("unblocked: {s:?}"))?;
    check(
        c.pin_verify(&pin(NEW_PIN)?, None).is_ok(),
        "new PIN verifies",
    )?;
    let r = c.pin_verify(&pin(PIN)?, None);
    let want = Err(Error::Status {
        status: Status::PinIncorrect,
        detail: 4,
    });
    check(
        r.as_ref().map(|_| ()).map_err(|e| *e) == want,
        format!("old PIN: {r:?}"),
    )?;
    check(
        c.pin_verify(&pin(NEW_PIN)?, Some("4111111111111111"))
            .is_ok(),
        "PAN-bound",
    )?;
    let s = c
        .pin_change(&pin(NEW_PIN)?, &pin(PIN)?, None)
        .map_err(|e| e.to_string())?;
    check(s.tries_left == 5, "change")?;
    check(
        c.pin_verify(&pin(PIN)?, None).is_ok(),
        "changed PIN verifies",
    )
}

/// One PIN authorization signs one record: the exact `TxSign` request
/// sent again (same TA session, then a new PIN session) signs nothing.
fn p2_tx_authorization_cannot_be_replayed() -> TestResult {
    let mut c = recording_client()?;
    let policy = proto::KeyPolicy {
        pin: proto::PinRule::PerUse,
        ..sign_policy(false)
    };
    let k = c
        .key_generate("e2e-consent", policy)
        .map_err(|e| e.to_string())?;
    let record = proto::TxRecord {
        amount: 4200,
        currency: "EUR".try_into().map_err(|_| "currency")?,
        payee: "e2e shop".try_into().map_err(|_| "payee")?,
        display: "Pay 42.00 EUR to e2e shop?"
            .try_into()
            .map_err(|_| "display")?,
        challenge: "a5"
            .repeat(16)
            .as_str()
            .try_into()
            .map_err(|_| "challenge")?,
        time: 1_763_800_000,
    };
    let r = c
        .tx_sign(&k.id, &pin(PIN)?, None, &record)
        .map_err(|e| e.to_string())?;
    let sent = c
        .transport_mut()
        .sent
        .last()
        .cloned()
        .ok_or("nothing sent")?;
    let tries = c.pin_status().map_err(|e| e.to_string())?.tries_left;
    let t = &mut c.transport_mut().inner;
    let (again, _) = framed(t, Command::TxSign as u32, &sent, MAX_REPLY_LEN)?;
    check(
        status_of(&again)? == Status::PinSessionRequired,
        format!("same session: {again:?}"),
    )?;
    let (s, _) = framed(t, Command::PinSession as u32, br#"{"v":1}"#, MAX_REPLY_LEN)?;
    check(status_of(&s)? == Status::Ok, "pin session")?;
    let (again, _) = framed(t, Command::TxSign as u32, &sent, MAX_REPLY_LEN)?;
    // Under the new session key the old block does not decrypt (or, very
    // rarely, decrypts to another PIN): either way nothing is signed.
    let st = status_of(&again)?;
    check(
        st == Status::CryptoFailure || st == Status::PinIncorrect,
        format!("new session: {again:?}"),
    )?;
    let r2 = c
        .tx_sign(&k.id, &pin(PIN)?, None, &record)
        .map_err(|e| e.to_string())?;
    check(
        r2.counter == r.counter + 1,
        format!(
            "next signature takes the next counter: {} after {}",
            r2.counter, r.counter
        ),
    )?;
    check(
        c.pin_status().map_err(|e| e.to_string())?.tries_left >= tries,
        "tries restored",
    )?;
    c.key_delete(&k.id).map(|_| ()).map_err(|e| e.to_string())
}

fn sign_policy(exportable: bool) -> proto::KeyPolicy {
    proto::KeyPolicy {
        exportable,
        ..proto::KeyPolicy::plain(proto::Purpose::Sign)
    }
}

fn refused_with(
    r: Result<impl std::fmt::Debug, Error>,
    want: Status,
    detail: Option<u32>,
) -> TestResult {
    match r {
        Err(Error::Status { status, detail: d })
            if status == want && detail.is_none_or(|x| x == d) =>
        {
            Ok(())
        }
        other => Err(format!("want {} {detail:?}, got {other:?}", want.name())),
    }
}

/// Sends each raw request, checks its status, and that the session still
/// answers afterwards.
fn expect_statuses(t: &mut TeecTransport, cases: Vec<(Command, String, Status)>) -> TestResult {
    for (cmd, req, want) in cases {
        let (r, _) = framed(t, cmd as u32, req.as_bytes(), MAX_REPLY_LEN)?;
        check(
            status_of(&r)? == want,
            format!("{cmd:?} {req} -> {r:?}, want {}", want.name()),
        )?;
        still_alive(t)?;
    }
    Ok(())
}

fn key_requests_are_checked_and_session_survives() -> TestResult {
    let mut t =
        TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?;
    let policy = r#""policy":{"purpose":"sign","pin":"none","pin_window_s":0,"max_uses":null,"not_after":null,"exportable":false}"#;
    let cases: Vec<(Command, String, Status)> = vec![
        (Command::KeyInfo, r#"{"v":1,"id":"00"}"#.into(), Status::BadRequest),
        (Command::KeyInfo, r#"{"v":1,"id":"zz00000000000000"}"#.into(), Status::BadRequest),
        (Command::KeyInfo, r#"{"v":1,"id":"0102030405060708"}"#.into(), Status::KeyNotFound),
        (Command::KeyDelete, r#"{"v":1,"id":"0102030405060708"}"#.into(), Status::KeyNotFound),
        (Command::KeySign, r#"{"v":1,"id":"0102030405060708","message":"abc"}"#.into(), Status::BadRequest),
        (Command::KeyGenerate, format!(r#"{{"v":1,"label":"has space",{policy}}}"#), Status::InvalidArgument),
        (Command::KeyGenerate, format!(r#"{{"v":1,"label":"",{policy}}}"#), Status::InvalidArgument),
        (Command::KeyGenerate, r#"{"v":1,"label":"x","policy":{"purpose":"sign"}}"#.into(), Status::BadRequest),
        (Command::KeyGenerate, format!(r#"{{"v":1,"label":"x",{}}}"#, policy.replace(r#""sign""#, r#""encrypt""#)), Status::InvalidArgument),
        (Command::KeyGenerate, format!(r#"{{"v":1,"label":"x",{}}}"#, policy.replace(r#""none""#, r#""always""#)), Status::InvalidArgument),
        (Command::KeyGenerate, format!(r#"{{"v":1,"label":"x",{}}}"#, policy.replace(r#""sign""#, "1")), Status::BadRequest),
        (Command::KeyGenerate, r#"{"v":1,"label":"x","policy":{"purpose":"sign","pin":"window","pin_window_s":0,"max_uses":null,"not_after":null,"exportable":false}}"#.into(), Status::InvalidArgument),
        (Command::KeyGenerate, r#"{"v":1,"label":"x","policy":{"purpose":"sign","pin":"none","pin_window_s":0,"max_uses":3,"not_after":null,"exportable":true}}"#.into(), Status::InvalidArgument),
        (Command::KeyImport, r#"{"v":1,"blob":"0102"}"#.into(), Status::BlobRejected),
        (Command::KeyImport, r#"{"v":1,"blob":"xyz"}"#.into(), Status::BadRequest),
        (Command::KeyAttest, r#"{"v":1,"id":"0102030405060708","challenge":"00","attest_key":null}"#.into(), Status::KeyNotFound),
        (Command::KeyList, r#"{"v":1,"offset":-1}"#.into(), Status::BadRequest),
        (Command::Wipe, r#"{"v":1,"confirm":true}"#.into(), Status::BadRequest),
    ];
    expect_statuses(&mut t, cases)
}

fn tx_and_log_requests_are_checked_and_session_survives() -> TestResult {
    let mut t =
        TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?;
    let key = "04".repeat(65);
    let record = r#"{"amount":1,"currency":"EUR","payee":"x","display":"Pay 0.01 EUR to x?","challenge":"00112233445566778899aabbccddeeff","time":1}"#;
    let tx = |extra: &str| {
        format!(
            r#"{{"v":1,"id":"0102030405060708","client_key":"{key}","block":"{}","pan":null{extra}}}"#,
            "00".repeat(16)
        )
    };
    let cases: Vec<(Command, String, Status)> = vec![
        // no PIN session open in this TA session
        (
            Command::TxSign,
            tx(&format!(r#","record":{record}"#)),
            Status::PinSessionRequired,
        ),
        (Command::TxSign, tx(""), Status::BadRequest),
        (
            Command::TxSign,
            tx(r#","record":{"amount":1}"#),
            Status::BadRequest,
        ),
        (
            Command::TxSign,
            tx(&format!(r#","record":{record},"pin":"1234""#)),
            Status::BadRequest,
        ),
        (
            Command::LogRead,
            r#"{"v":1,"from":-1}"#.into(),
            Status::BadRequest,
        ),
        (Command::LogRead, r#"{"v":1}"#.into(), Status::BadRequest),
        (Command::LogRead, r#"{"v":1,"from":0}"#.into(), Status::Ok),
        (
            Command::LogRead,
            r#"{"v":1,"from":18446744073709551615}"#.into(),
            Status::Ok,
        ),
        (
            Command::LogHead,
            r#"{"v":1,"challenge":"zz"}"#.into(),
            Status::BadRequest,
        ),
        (
            Command::LogHead,
            format!(r#"{{"v":1,"challenge":"{}"}}"#, "00".repeat(65)),
            Status::BadRequest,
        ),
    ];
    expect_statuses(&mut t, cases)?;
    // A PIN session opened, then a record out of range: refused before
    // the PIN is looked at, and the session is used up.
    let (r, _) = framed(
        &mut t,
        Command::PinSession as u32,
        br#"{"v":1}"#,
        MAX_REPLY_LEN,
    )?;
    check(status_of(&r)? == Status::Ok, "pin session")?;
    let bad = record.replace(r#""amount":1"#, r#""amount":0"#);
    let (r, _) = framed(
        &mut t,
        Command::TxSign as u32,
        tx(&format!(r#","record":{bad}"#)).as_bytes(),
        MAX_REPLY_LEN,
    )?;
    check(status_of(&r)? != Status::Ok, format!("amount 0 -> {r:?}"))?;
    still_alive(&mut t)
}

/// The status of `pin-status` and, if ok, whether set and blocked and
/// the tries left.
type PinState = (Status, Option<(bool, bool, u8)>);

/// The caller's PIN state.
fn pin_state(t: &mut TeecTransport) -> Result<PinState, String> {
    let (r, body) = framed(t, Command::PinStatus as u32, br#"{"v":1}"#, MAX_REPLY_LEN)?;
    let st = status_of(&r)?;
    let state = proto::decode::<proto::PinStatusReply>(&body)
        .ok()
        .map(|s| (s.set, s.blocked, s.tries_left));
    Ok((st, state))
}

/// What you see is what you sign, on the real TA: a record whose display
/// contradicts its amount, shows a second amount, or holds a bidi control,
/// or whose payee holds one, is `invalid-argument` before the PIN is
/// looked at (a wrong PIN costs no try) and before the key is (an unknown
/// id is not `key-not-found`); the PIN session is used up. Sent raw: the
/// client library refuses such records before sending them.
fn tx_spoofed_records_are_refused_before_the_pin() -> TestResult {
    let mut t =
        TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?;
    let before = pin_state(&mut t)?;
    let good = proto::TxRecord {
        amount: 100_000_000,
        currency: "EUR".try_into().map_err(|_| "currency")?,
        payee: "ACME".try_into().map_err(|_| "payee")?,
        display: "Pay 1000000.00 EUR to ACME?"
            .try_into()
            .map_err(|_| "display")?,
        challenge: "a5"
            .repeat(16)
            .as_str()
            .try_into()
            .map_err(|_| "challenge")?,
        time: 1_763_800_000,
    };
    check(good.check().is_ok(), "the honest record is valid")?;
    let with = |payee: &str, display: &str| -> Result<proto::TxRecord, String> {
        Ok(proto::TxRecord {
            payee: payee.try_into().map_err(|_| "payee")?,
            display: display.try_into().map_err(|_| "display")?,
            ..good.clone()
        })
    };
    let spoofs = [
        (
            "contradicting display",
            with("ACME", "Pay 1.00 EUR to ACME?")?,
        ),
        (
            "second amount",
            with("ACME", "Pay 1000000.00 EUR to ACME? (1.00 EUR)")?,
        ),
        (
            "bidi payee",
            with("AC\u{202e}EM", "Pay 1000000.00 EUR to AC\u{202e}EM?")?,
        ),
        (
            "bidi display",
            with("ACME", "Pay 1000000.00 EUR to \u{2067}ACME?")?,
        ),
        (
            "zero-width display",
            with("ACME", "Pay 1000000.00\u{200b} EUR to ACME?")?,
        ),
        (
            "unknown currency",
            proto::TxRecord {
                currency: "XAU".try_into().map_err(|_| "currency")?,
                ..good.clone()
            },
        ),
    ];
    let mut buf = vec![0u8; MAX_REQUEST_LEN];
    for (what, record) in spoofs {
        let (r, body) = framed(
            &mut t,
            Command::PinSession as u32,
            br#"{"v":1}"#,
            MAX_REPLY_LEN,
        )?;
        check(status_of(&r)? == Status::Ok, format!("pin session: {r:?}"))?;
        let reply: proto::PinSessionReply =
            proto::decode(&body).map_err(|_| "pin session reply")?;
        let ch = proto::client::PinChannel::from_reply(&reply, &[7; 32], None)
            .map_err(|_| "pin channel")?;
        let id = "0102030405060708".try_into().map_err(|_| "id")?;
        let req = ch.tx_sign_request(id, &pin("0000")?, [1; 8], record);
        let n = proto::encode(&req, &mut buf).map_err(|_| "encode")?;
        let req = buf.get(..n).ok_or("encode")?.to_vec();
        let (r, _) = framed(&mut t, Command::TxSign as u32, &req, MAX_REPLY_LEN)?;
        check(
            status_of(&r)? == Status::InvalidArgument,
            format!("{what}: {r:?}, want invalid-argument"),
        )?;
        let (r, _) = framed(&mut t, Command::TxSign as u32, &req, MAX_REPLY_LEN)?;
        check(
            status_of(&r)? == Status::PinSessionRequired,
            format!("{what}, again: {r:?}"),
        )?;
    }
    let after = pin_state(&mut t)?;
    check(
        after == before,
        format!("PIN state changed: {before:?} -> {after:?}"),
    )?;
    still_alive(&mut t)
}

fn key_sign_verifies_and_tampered_blobs_are_rejected() -> TestResult {
    let mut c = client(LoginMethod::User)?;
    let e = |e: Error| e.to_string();
    let k = c.key_generate("e2e-export", sign_policy(true)).map_err(e)?;
    let public = c.key_public(&k.id).map_err(e)?;
    let (sig, _) = c.key_sign(&k.id, b"e2e message").map_err(e)?;
    check(
        public.verify(b"e2e message", &sig),
        "TA signature does not verify",
    )?;
    check(
        !public.verify(b"e2e messagf", &sig),
        "signature verifies another message",
    )?;
    let blob = c.key_export(&k.id).map_err(e)?;
    refused_with(c.key_import(&blob), Status::KeyExists, None)?;
    c.key_delete(&k.id).map_err(e)?;
    refused_with(c.key_sign(&k.id, b"x"), Status::KeyNotFound, None)?;
    // every region of the blob: version, id, policy, label, public key,
    // nonce, ciphertext, tag
    for i in (0..blob.len()).step_by(7).chain([blob.len() - 1]) {
        let mut bad = blob.clone();
        if let Some(b) = bad.get_mut(i) {
            *b ^= 0x01;
        }
        refused_with(c.key_import(&bad), Status::BlobRejected, None)
            .map_err(|w| format!("byte {i}: {w}"))?;
    }
    refused_with(
        c.key_import(blob.get(..blob.len() - 1).unwrap_or_default()),
        Status::BlobRejected,
        None,
    )?;
    let back = c.key_import(&blob).map_err(e)?;
    check(
        back.id == k.id && back.public_key == k.public_key,
        "import changed the key",
    )?;
    let (sig, _) = c.key_sign(&k.id, b"after import").map_err(e)?;
    check(
        public.verify(b"after import", &sig),
        "imported key signs differently",
    )?;
    c.key_delete(&k.id).map_err(e)?;
    Ok(())
}

fn key_policy_refusals_are_distinct_statuses() -> TestResult {
    let mut c = client(LoginMethod::User)?;
    let e = |e: Error| e.to_string();
    let v = |r| Some(r as u32);
    let per_use = c
        .key_generate(
            "e2e-per-use",
            proto::KeyPolicy {
                pin: proto::PinRule::PerUse,
                ..sign_policy(false)
            },
        )
        .map_err(e)?;
    refused_with(
        c.key_sign(&per_use.id, b"m"),
        Status::PolicyViolation,
        v(proto::PolicyReason::PinPerUse),
    )?;
    refused_with(
        c.key_export(&per_use.id),
        Status::PolicyViolation,
        v(proto::PolicyReason::NotExportable),
    )?;
    let att = c
        .key_generate(
            "e2e-attest",
            proto::KeyPolicy {
                purpose: proto::Purpose::Attest,
                ..sign_policy(false)
            },
        )
        .map_err(e)?;
    refused_with(
        c.key_sign(&att.id, b"m"),
        Status::PolicyViolation,
        v(proto::PolicyReason::Purpose),
    )?;
    refused_with(
        c.key_attest(&per_use.id, b"c", Some(&per_use.id)),
        Status::PolicyViolation,
        v(proto::PolicyReason::Purpose),
    )?;
    let a = c
        .key_attest_verified(&per_use.id, b"c", Some(&att.id), None)
        .map_err(e)?;
    check(
        a.statement.policy.pin == proto::PinRule::PerUse,
        "statement policy",
    )?;
    let lim = c
        .key_generate(
            "e2e-limited",
            proto::KeyPolicy {
                max_uses: Some(1),
                ..sign_policy(false)
            },
        )
        .map_err(e)?;
    c.key_sign(&lim.id, b"1").map_err(e)?;
    refused_with(
        c.key_sign(&lim.id, b"2"),
        Status::PolicyViolation,
        v(proto::PolicyReason::UsageExhausted),
    )?;
    for id in [&per_use.id, &att.id, &lim.id] {
        c.key_delete(id).map_err(e)?;
    }
    Ok(())
}

/// Refused calls cannot flush the event log: after a signature, 5,000
/// refused calls of several kinds (PUBLIC logins, reserved-prefix
/// messages, a per-use key without its PIN, a non-exportable key's export)
/// add no entry of their own; the next entry is preceded by one `refusals`
/// entry, and the signature's entry is still retained.
fn flooded_log_keeps_the_last_signature() -> TestResult {
    let e = |e: Error| e.to_string();
    let mut c = client(LoginMethod::User)?;
    let k = c.key_generate("e2e-flood", sign_policy(false)).map_err(e)?;
    let per_use = proto::KeyPolicy {
        pin: proto::PinRule::PerUse,
        ..sign_policy(false)
    };
    let pu = c.key_generate("e2e-flood-pu", per_use).map_err(e)?;
    c.key_sign(&k.id, b"the last signature").map_err(e)?;
    let before = c.log_read(u64::MAX).map_err(e)?;
    let signed_at = before.next - 1;
    let mut public =
        TeecTransport::open(proto::TA_UUID, LoginMethod::Public).map_err(|e| e.to_string())?;
    let mut own =
        TeecTransport::open(proto::TA_UUID, LoginMethod::User).map_err(|e| e.to_string())?;
    let forged: String = b"mfs-ta/forged"
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let reserved = format!("{{\"v\":1,\"id\":\"{}\",\"message\":\"{forged}\"}}", k.id);
    for i in 0..5000u32 {
        match i % 4 {
            0 => {
                let (r, _) = framed(
                    &mut public,
                    Command::KeyList as u32,
                    b"{\"v\":1,\"offset\":0}",
                    MAX_REPLY_LEN,
                )?;
                check(
                    status_of(&r)? == Status::AccessDenied,
                    format!("PUBLIC: {r:?}"),
                )?;
            }
            1 => {
                // raw: the host library refuses the reserved prefix itself
                let (r, _) = framed(
                    &mut own,
                    Command::KeySign as u32,
                    reserved.as_bytes(),
                    MAX_REPLY_LEN,
                )?;
                check(
                    status_of(&r)? == Status::InvalidArgument,
                    format!("reserved: {r:?}"),
                )?;
            }
            2 => refused_with(c.key_sign(&pu.id, b"m"), Status::PolicyViolation, None)?,
            _ => refused_with(c.key_export(&k.id), Status::PolicyViolation, None)?,
        }
    }
    let after = c.log_read(u64::MAX).map_err(e)?;
    check(
        after.next == before.next && after.first == before.first,
        format!("refusals made entries: {before:?} -> {after:?}"),
    )?;
    c.key_sign(&k.id, b"after the flood").map_err(e)?;
    // pages stop at a segment end: read on until the end
    let mut kinds = Vec::new();
    let mut from = signed_at;
    for _ in 0..4 {
        let page = c.log_read(from).map_err(e)?;
        check(
            page.first <= signed_at,
            format!("signature pushed out: {page:?}"),
        )?;
        check(page.next == before.next + 2, format!("next {}", page.next))?;
        kinds.extend(page.entries.iter().map(|x| x.kind));
        from = signed_at + kinds.len() as u64;
        if from >= page.next {
            break;
        }
    }
    let want = [EventKind::KeyUsed, EventKind::Refusals, EventKind::KeyUsed].map(|k| k as u8);
    check(kinds == want, format!("after the flood: {kinds:?}"))?;
    still_alive(&mut public)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--as-nobody") {
        return as_nobody();
    }
    if args.first().map(String::as_str) == Some("--exec-as") {
        return exec_as(args.get(1..).unwrap_or_default());
    }
    if args.first().map(String::as_str) == Some("--hold-sessions") {
        let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
        return hold_sessions(n);
    }
    if args.first().map(String::as_str) == Some("--second-client") {
        let r = second_client(args.get(1).map_or("", String::as_str));
        if let Err(why) = &r {
            println!("error {why}");
        }
        return if r.is_ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    if args.first().map(String::as_str) == Some("--bench-fill") {
        let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
        return match bench::fill(n) {
            Ok(()) => ExitCode::SUCCESS,
            Err(why) => {
                println!("error {why}");
                ExitCode::FAILURE
            }
        };
    }
    // --bench: at 1, 100 and 1,000 keys; --bench-one: at 1 key only (the
    // speed profile's boot in scripts/bench)
    let bench_targets: Option<&[usize]> = match args.first().map(String::as_str) {
        Some("--bench") => Some(&[1, 100, 1000]),
        Some("--bench-one") => Some(&[1]),
        _ => None,
    };
    if let Some(targets) = bench_targets {
        return match issuer_pub().and_then(|k| bench::run(&k, targets)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(why) => {
                println!("MFS-BENCH failed: {why}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("--stack") {
        let second = || {
            let child = as_uid(61_002, &["--stack-client"])?;
            let out = child.wait_with_output().map_err(|e| e.to_string())?;
            print!("{}", String::from_utf8_lossy(&out.stdout));
            Ok(out.status.success())
        };
        return match issuer().and_then(|k| stack::run(&k, second)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(why) => {
                println!("MFS-STACK-STEP fail workload: {why}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("--stack-client") {
        return match issuer().and_then(|k| stack::second_client(&k)) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(why) => {
                println!("MFS-STACK-STEP fail second_client: {why}");
                ExitCode::FAILURE
            }
        };
    }
    let phase2 = args.first().map(String::as_str) == Some("--phase2");
    let filter = if phase2 {
        String::new()
    } else {
        args.first().cloned().unwrap_or_default()
    };
    let tests: [Test; 28] = [
        ("ping", ping),
        ("info_reports_platform_facts", info_reports_platform_facts),
        ("unknown_command_is_a_status", unknown_command_is_a_status),
        (
            "wrong_parameter_types_are_refused",
            wrong_parameter_types_are_refused,
        ),
        (
            "short_output_buffer_reports_needed_size",
            short_output_buffer_reports_needed_size,
        ),
        (
            "malformed_json_is_bad_request",
            malformed_json_is_bad_request,
        ),
        ("oversized_request_is_refused", oversized_request_is_refused),
        (
            "deep_nesting_is_refused_and_the_ta_stays_alive",
            deep_nesting_is_refused_and_the_ta_stays_alive,
        ),
        (
            "wrong_protocol_version_is_refused",
            wrong_protocol_version_is_refused,
        ),
        ("empty_request_is_refused", empty_request_is_refused),
        (
            "null_buffers_and_empty_replies",
            null_buffers_and_empty_replies,
        ),
        ("bad_input_matrix", bad_input_matrix),
        (
            "admin_group_needs_admin_login",
            admin_group_needs_admin_login,
        ),
        ("non_root_user_is_not_admin", non_root_user_is_not_admin),
        ("concurrent_sessions", concurrent_sessions),
        (
            "sessions_are_capped_and_open_ones_keep_working",
            sessions_are_capped_and_open_ones_keep_working,
        ),
        (
            "public_login_gets_ping_and_info_only",
            public_login_gets_ping_and_info_only,
        ),
        (
            "second_client_cannot_touch_first_clients_keys_or_pin",
            second_client_cannot_touch_first_clients_keys_or_pin,
        ),
        (
            "pin_set_wrong_tries_reset_and_lockout",
            pin_set_wrong_tries_reset_and_lockout,
        ),
        (
            "pin_session_is_required_and_keys_checked",
            pin_session_is_required_and_keys_checked,
        ),
        (
            "key_requests_are_checked_and_session_survives",
            key_requests_are_checked_and_session_survives,
        ),
        (
            "tx_and_log_requests_are_checked_and_session_survives",
            tx_and_log_requests_are_checked_and_session_survives,
        ),
        (
            "tx_spoofed_records_are_refused_before_the_pin",
            tx_spoofed_records_are_refused_before_the_pin,
        ),
        (
            "key_sign_verifies_and_tampered_blobs_are_rejected",
            key_sign_verifies_and_tampered_blobs_are_rejected,
        ),
        (
            "key_policy_refusals_are_distinct_statuses",
            key_policy_refusals_are_distinct_statuses,
        ),
        (
            "flooded_log_keeps_the_last_signature",
            flooded_log_keeps_the_last_signature,
        ),
        (
            "p2_blocked_pin_survives_reboot_until_issuer_unblock",
            p2_blocked_pin_survives_reboot_until_issuer_unblock,
        ),
        (
            "p2_tx_authorization_cannot_be_replayed",
            p2_tx_authorization_cannot_be_replayed,
        ),
    ];
    let mut failed = 0;
    // Tests named p2_* run in the second boot (`--phase2`), after a reboot
    // on the same persistent storage; the others in the first.
    let selected = tests
        .iter()
        .filter(|(n, _)| n.starts_with("p2_") == phase2 && n.contains(filter.as_str()));
    for (name, test) in selected {
        match test() {
            Ok(()) => println!("MFS-TEST ok {name}"),
            Err(why) => {
                failed += 1;
                println!("MFS-TEST fail {name}: {why}");
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
