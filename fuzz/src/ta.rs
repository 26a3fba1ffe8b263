//! The stateful harness of the `dispatch` target: one TA instance
//! (`MemPlatform` + `Instance`) and four sessions, driven through
//! `mfs_core::dispatch::invoke` by a sequence of steps read from the
//! fuzz input.
//!
//! # Input
//!
//! Byte 0 is a prelude mask (each bit runs a setup command through the
//! same checked path: bit 0 provision (bit 5: with 3 tries and throttling),
//! bit 1 set the PIN `PINS[0]`, bits 2, 3, 4, 6, 7 generate keys of several
//! policies), so the fuzzer starts most sequences from a deep state. Then,
//! until the input ends or [`MAX_COMMANDS`] commands ran, steps, each a
//! length byte and that many bytes (reads past a step's end give zeros,
//! the default choices), whose first byte selects:
//!
//! | first byte | step |
//! |---|---|
//! | 0..=175 | a *template* command: a valid request for the command built from the harness state (key ids, the PIN session's key, the issuer's key, exported blobs) with fields chosen by the input; PIN commands open a PIN session first and encipher the PIN with `mfs_proto::client::PinChannel`; optionally a byte-level mutation of the result |
//! | 176..=207 | a *raw* command: any command id (rarely an arbitrary `u32`), any request bytes |
//! | 208..=223 | clocks: TEE time forward, REE time moved |
//! | 224..=231 | a power cut at the n-th write from now (until the next reboot) |
//! | 232..=239 | a reboot: power back, fresh `Instance`, every session reopened |
//! | 240..=247 | one session closed and reopened |
//! | 248..=255 | the RNG fails during the next command |
//!
//! Every command chooses its session (two of the admin identity, a public
//! login, and a group login with root's UUID) and its output buffer size
//! (mostly `MAX_REPLY_LEN`). Keys and PINs belong to the identity that made
//! them, and public and group logins own nothing (they get `ping`/`info`
//! only, checked here); the model follows the one owning identity, so
//! cross-client isolation itself is proven by the core's unit tests and the
//! QEMU suite, not by this model.
//!
//! # Checks (a failed one panics: a crash for libFuzzer)
//!
//! Framing, on every reply: `len <= out.len()` and `<= MAX_REPLY_LEN`;
//! nothing written past `len` (nothing at all unless `Ok`); a known status;
//! `len == 0` and detail per status when not `Ok`; the documented order of
//! checks (too large, unknown command, malformed JSON, access) decides the
//! early statuses; admin commands never succeed for other sessions;
//! `internal` never happens; an `Ok` reply decodes as the command's reply
//! type and its request as the command's request type.
//!
//! No secret in any reply ([`crate::leaks`]): the TA-unique secret (object
//! `secret`, bytes 1..33), the KEK and PIN-hash key derived from it (HKDF
//! per `docs/ta-interface.md`), every 32-byte RNG draw (the secret and every
//! private scalar: keys, the attestation key, PIN-session keys), every
//! private scalar unsealed from the stored key buckets and the `attest`
//! object, the stored PIN hash, and the template PINs of 6+ digits.
//!
//! Semantics, against a model kept from the replies: a PIN is accepted
//! only if it is the PIN set (and the right one is never `pin-incorrect`);
//! an unblock succeeds only with a valid issuer signature over this
//! session's nonce; keys never sign beyond their purpose, expiry, usage
//! limit or PIN rule, and their signatures verify; attestations and log
//! heads verify and answer the challenge; transaction counters strictly
//! increase (across reboots and wipes) and the signed bytes are exactly the
//! request's record; log `next` never goes back; blobs exported before a
//! completed wipe never import again. At the end, the stored log (read from
//! a copy of storage) loads and its hash chain verifies.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use mfs_core::access::{AdminPolicy, ClientIdentity, LINUX_ROOT_USER_UUID};
use mfs_core::dispatch::{Reply, invoke};
use mfs_core::store::config::Config;
use mfs_core::{Instance, Session, audit};
use mfs_proto::client::PinChannel;
use mfs_proto::log::{ChainItem, Entry, EventKind, Head, verify_chain};
use mfs_proto::pin::{PanField, Pin, unblock_message};
use mfs_proto::tx::SignedTx;
use mfs_proto::{
    Command, EmptyRequest, Group, InfoReply, KeyAttestReply, KeyAttestRequest, KeyDeleteReply,
    KeyExportReply, KeyGenerateRequest, KeyImportRequest, KeyInfoReply, KeyListReply,
    KeyListRequest, KeyPolicy, KeyRequest, KeySignReply, KeySignRequest, LogHeadReply,
    LogHeadRequest, LogReadReply, LogReadRequest, Login, MAX_REPLY_LEN, MAX_REQUEST_LEN,
    PinChangeRequest, PinRequest, PinRule, PinSessionReply, PinStatusReply, PinUnblockRequest,
    PingReply, PingRequest, PolicyReason, ProvisionReply, ProvisionRequest, Purpose, Statement,
    Status, TxRecord, TxSignReply, TxSignRequest, WipeReply, decode, encode, hex_string,
};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use serde::Deserialize;
use sha2::Sha256;

use crate::input::Input;
use crate::leaks::Leaks;
use crate::platform::FuzzPlatform;

/// Most commands the input chooses (prelude and automatic PIN sessions
/// not counted). Real P-256 work makes every command slow.
pub const MAX_COMMANDS: usize = 16;
const MAX_STEPS: usize = 40;
/// PINs the templates encipher. The prelude sets the first one.
pub const PINS: [&str; 5] = ["135792468", "24681357", "1234", "97531864", "0000"];
/// The REE clock at the start of every run (UNIX seconds).
pub const START_REE_S: u64 = 1_800_000_000;
const FILL: u8 = 0xa5;
const PAN: &str = "4111111111111111";
const OTHER_PAN: &str = "5500000000000004";

/// Session identities: the admin (Linux root) twice, a public login, and
/// a group login that carries root's UUID (not admin, owns nothing).
const IDENTITIES: [(Login, [u8; 16]); 4] = [
    (Login::User, LINUX_ROOT_USER_UUID),
    (Login::User, LINUX_ROOT_USER_UUID),
    (Login::Public, [0; 16]),
    (Login::Group, LINUX_ROOT_USER_UUID),
];

/// Whether session `slot`'s identity can own keys and a PIN (and so use
/// user-group commands other than `ping`/`info`).
fn owns_things(slot: usize) -> bool {
    matches!(IDENTITIES.get(slot), Some((Login::User, _)))
}

fn trace_on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("MFS_FUZZ_TRACE").is_some())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let mut out = vec![0u8; s.len() / 2];
    mfs_proto::hex_into(s, &mut out)?;
    Some(out)
}

/// Issuer keys whose private half the harness knows: 0x42.. and the
/// generator's scalar 1.
fn issuer_keys() -> &'static [SigningKey; 2] {
    static KEYS: OnceLock<[SigningKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut one = [0u8; 32];
        one[31] = 1;
        [
            SigningKey::from_slice(&[0x42; 32]).expect("issuer key"),
            SigningKey::from_slice(&one).expect("scalar 1"),
        ]
    })
}

fn sec1(k: &SigningKey) -> [u8; 65] {
    k.verifying_key()
        .to_sec1_point(false)
        .as_bytes()
        .try_into()
        .expect("65-byte point")
}

fn verifies(public_hex: &str, msg: &[u8], sig_hex: &str) -> bool {
    let (Some(public), Some(sig)) = (unhex(public_hex), unhex(sig_hex)) else {
        return false;
    };
    let (Ok(key), Ok(sig)) = (
        VerifyingKey::from_sec1_bytes(&public),
        DerSignature::try_from(sig.as_slice()),
    ) else {
        return false;
    };
    key.verify(msg, &sig).is_ok()
}

/// Whether a DER signature is in low-S form (the only form the TA
/// accepts for an unblock).
fn low_s(sig_hex: &str) -> bool {
    unhex(sig_hex)
        .and_then(|b| Signature::from_der(&b).ok())
        .is_some_and(|s| s.normalize_s() == s)
}

fn hkdf32(secret: &[u8], info: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    hkdf::Hkdf::<Sha256>::new(None, secret)
        .expand(info, &mut out)
        .expect("32 bytes of HKDF");
    out
}

/// The PIN hash of a stored PIN record (`mfs_core::store::pin`). Every
/// layout ends with salt (16) ‖ HMAC-SHA-256 (32): layout 3, the one the
/// TA writes, is 56 bytes with the hash at 24..56; layout 2 is 52 bytes
/// (hash at 20..52) and layout 1 51 bytes (hash at 19..51). A record of
/// any other version or length is a crash: the check would miss its hash.
fn pin_hash(record: &[u8]) -> [u8; 32] {
    use mfs_core::objects::{LAYOUT_V1, LAYOUT_V2, LAYOUT_V3};
    let len = match record.first() {
        Some(&LAYOUT_V3) => 56,
        Some(&LAYOUT_V2) => 52,
        Some(&LAYOUT_V1) => 51,
        v => panic!("a PIN record of unknown layout {v:?}"),
    };
    assert_eq!(record.len(), len, "a PIN record of layout {}", record[0]);
    <[u8; 32]>::try_from(&record[len - 32..]).expect("32 bytes")
}

fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    let mut buf = [0u8; 4096];
    let n = encode(v, &mut buf).expect("a template request encodes");
    buf[..n].to_vec()
}

/// What the PIN model knows about the stored PIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PinModel {
    /// No PIN record exists.
    NotSet,
    /// This PIN is set.
    Set(&'static str),
    /// Unknown (a command that may have changed it failed half-way, or a
    /// request the harness did not build changed it).
    Unknown,
}

/// What a request carried, as far as the harness knows (only for
/// template requests that were not mutated afterwards).
#[derive(Clone, Copy, Debug)]
enum Sent {
    Other,
    /// Set, verify or transaction: the PIN the block deciphers to.
    Pin(Option<&'static str>),
    /// Change: old and new PIN.
    Change(Option<&'static str>, Option<&'static str>),
    /// Unblock: the new PIN.
    Unblock(Option<&'static str>),
}

#[derive(Clone, Debug)]
struct KeyModel {
    purpose: Purpose,
    policy: Option<KeyPolicy>,
    public_key: Option<String>,
    /// Signatures seen (`Ok` sign, attest as signer, tx).
    signatures: u32,
}

#[derive(Debug)]
struct Model {
    pin: PinModel,
    keys: BTreeMap<String, KeyModel>,
    last_counter: Option<u64>,
    log_next: u64,
    attest_key: Option<String>,
    /// The PIN window `pin-verify` opened: one use of this key within its
    /// window after this TEE time (kept, not closed, where the TA may have
    /// closed it: the model is an upper bound).
    window: Option<(String, u64)>,

    blobs: Vec<String>,
    dead_blobs: Vec<String>,
}

struct Slot {
    session: Session,
    admin: bool,
    pin_reply: Option<PinSessionReply>,
}

impl Slot {
    fn open(i: usize) -> Slot {
        let (login, uuid) = IDENTITIES[i];
        let session = Session::open(ClientIdentity { login, uuid }, &AdminPolicy::ROOT_USER);
        Slot {
            admin: session.is_admin(),
            session,
            pin_reply: None,
        }
    }
}

/// What held before a call, for the checks after it.
struct Before {
    cfg: Option<Config>,
    now_ms: u64,
    ree_s: u64,
    nonce: Option<[u8; 16]>,
}

/// One TA instance, its sessions and the model of what it holds.
pub struct Harness {
    p: FuzzPlatform,
    inst: Instance,
    slots: Vec<Slot>,
    m: Model,
    leaks: Leaks,
    draws_seen: usize,
    fail_rng_next: bool,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// Decodes a message that the TA produced or accepted: failure is a bug.
fn must<'a, T: Deserialize<'a>>(what: &str, b: &'a [u8]) -> T {
    match decode(b) {
        Ok(v) => v,
        Err(_) => panic!("{what} does not decode: {}", String::from_utf8_lossy(b)),
    }
}

impl Harness {
    /// A fresh TA: empty storage, REE clock at [`START_REE_S`].
    pub fn new() -> Harness {
        let mut p = FuzzPlatform::default();
        p.mem.set_ree_time_s(START_REE_S);
        let mut leaks = Leaks::default();
        for pin in PINS {
            leaks.pin(pin);
        }
        Harness {
            p,
            inst: Instance::default(),
            slots: (0..IDENTITIES.len()).map(Slot::open).collect(),
            m: Model {
                pin: PinModel::NotSet,
                keys: BTreeMap::new(),
                last_counter: None,
                log_next: 0,
                attest_key: None,
                window: None,
                blobs: Vec::new(),
                dead_blobs: Vec::new(),
            },
            leaks,
            draws_seen: 0,
            fail_rng_next: false,
        }
    }

    /// Runs one fuzz input (see the module docs).
    pub fn run(data: &[u8]) {
        let mut h = Harness::new();
        let mut inp = Input::new(data);
        h.prelude(inp.u8());
        let mut commands = 0;
        for _ in 0..MAX_STEPS {
            if inp.is_empty() || commands >= MAX_COMMANDS {
                break;
            }
            // Each step is length-prefixed, so a mutation inside one step
            // never shifts the steps after it.
            let n = usize::from(inp.u8());
            let mut step = Input::new(inp.bytes(n));
            if h.step(&mut step) {
                commands += 1;
            }
        }
        h.finish();
    }

    /// One command through `invoke`, with every check.
    fn call(&mut self, slot: usize, cmd: u32, req: &[u8], out_len: usize, sent: Sent) -> Reply {
        let nonce = self.slots[slot]
            .pin_reply
            .as_ref()
            .and_then(|r| mfs_proto::hex_bytes::<16>(&r.nonce));
        let before = Before {
            cfg: self.p.with_packed(|p| Config::load(p)).ok().flatten(),
            now_ms: mfs_core::platform::Platform::now_ms(&mut self.p.mem),
            ree_s: mfs_core::platform::Platform::ree_time_s(&mut self.p.mem),
            nonce,
        };
        let mut out = vec![FILL; out_len];
        if self.fail_rng_next {
            self.p.mem.set_random_failure(true);
        }
        let s = &mut self.slots[slot];
        let reply = invoke(
            &mut self.p,
            &mut self.inst,
            &mut s.session,
            cmd,
            req,
            &mut out,
        );
        self.p.mem.set_random_failure(false);
        self.fail_rng_next = false;
        let command = Command::try_from(cmd).ok();
        let ctx = format!("{command:?} ({cmd:#x}) from session {slot}");
        if trace_on() {
            eprintln!(
                "call {ctx}: {} -> {:?}/{} {}",
                String::from_utf8_lossy(req),
                reply.status,
                reply.detail,
                String::from_utf8_lossy(&out[..reply.len.min(out_len)])
            );
        }
        self.check_frame(&ctx, slot, cmd, req, out_len, &out, reply);
        let body = &out[..reply.len];
        self.collect_secrets();
        self.leaks.request(req);
        self.leaks.check_reply(&ctx, body);
        if let Some(command) = command {
            self.learn(&ctx, slot, command, req, reply, body, sent, &before);
        }
        reply
    }

    #[allow(clippy::too_many_arguments)]
    fn check_frame(
        &self,
        ctx: &str,
        slot: usize,
        cmd: u32,
        req: &[u8],
        out_len: usize,
        out: &[u8],
        r: Reply,
    ) {
        assert!(
            r.len <= out_len && r.len <= MAX_REPLY_LEN,
            "{ctx}: reply length {} for a {out_len}-byte buffer",
            r.len
        );
        assert!(
            out[r.len..].iter().all(|b| *b == FILL),
            "{ctx}: bytes written past the reply ({:?})",
            r.status
        );
        assert_eq!(
            Status::try_from(r.status as u32),
            Ok(r.status),
            "{ctx}: unknown status"
        );
        let s = r.status;
        if s == Status::Ok {
            assert_eq!(r.detail, 0, "{ctx}: ok with a detail");
        } else {
            assert_eq!(r.len, 0, "{ctx}: {s:?} with a reply body");
        }
        assert_ne!(s, Status::Internal, "{ctx}: internal error");
        let command = Command::try_from(cmd).ok();
        let admin_only = command.is_some_and(|c| c.group() == Group::Admin);
        let early = [
            Status::RequestTooLarge,
            Status::UnknownCommand,
            Status::AccessDenied,
        ];
        if req.len() > MAX_REQUEST_LEN {
            assert_eq!(
                (s, r.detail),
                (Status::RequestTooLarge, 2048),
                "{ctx}: oversized request"
            );
        } else if command.is_none() {
            assert_eq!(s, Status::UnknownCommand, "{ctx}: unknown command");
        } else if !mfs_proto::json_shape::well_formed(req) {
            assert_eq!(s, Status::BadRequest, "{ctx}: malformed JSON");
        } else if !admin_only
            && !owns_things(slot)
            && !matches!(command, Some(Command::Ping | Command::Info))
        {
            // (storage-failure: the refusal could not be counted in the log;
            // a rollback answer likewise comes from counting it)
            assert!(
                matches!(
                    s,
                    Status::BadRequest
                        | Status::UnsupportedVersion
                        | Status::AccessDenied
                        | Status::StorageFailure
                        | Status::StorageRollback
                ),
                "{ctx}: user command from a login that owns nothing gave {s:?}"
            );
        } else if admin_only && !self.slots[slot].admin {
            assert!(
                matches!(
                    s,
                    Status::BadRequest
                        | Status::UnsupportedVersion
                        | Status::AccessDenied
                        | Status::StorageFailure
                        | Status::StorageRollback
                ),
                "{ctx}: admin command from a non-admin session gave {s:?}"
            );
        } else {
            assert!(!early.contains(&s), "{ctx}: {s:?}");
        }
        match s {
            Status::ShortBuffer => assert!(
                r.detail as usize > out_len && r.detail as usize <= MAX_REPLY_LEN,
                "{ctx}: short-buffer needs {} with {out_len} given",
                r.detail
            ),
            Status::UnsupportedVersion => assert_eq!(r.detail, 1, "{ctx}"),
            Status::PinIncorrect => assert!((1..=15).contains(&r.detail), "{ctx}: {}", r.detail),
            Status::PinThrottled => assert!(r.detail > 0, "{ctx}: throttled for 0 ms"),
            Status::PolicyViolation => assert!(
                PolicyReason::from_detail(r.detail).is_some(),
                "{ctx}: policy reason {}",
                r.detail
            ),
            Status::KeyLimit => assert_eq!(r.detail, 1000, "{ctx}"),
            Status::Ok | Status::RequestTooLarge => {}
            _ => assert_eq!(r.detail, 0, "{ctx}: {s:?} with detail {}", r.detail),
        }
    }

    /// Adds every secret the TA now holds to the leak detector.
    fn collect_secrets(&mut self) {
        for d in &self.p.draws[self.draws_seen..] {
            self.leaks
                .secret(d, "a 32-byte RNG draw (secret or private scalar)");
        }
        self.draws_seen = self.p.draws.len();
        if let Some(obj) = self.p.object(b"secret")
            && let Some(s) = obj.get(1..33).and_then(|s| <[u8; 32]>::try_from(s).ok())
        {
            self.leaks.secret(&s, "the TA-unique secret");
            self.leaks
                .secret(&hkdf32(&s, b"mfs-ta/key-seal/v1"), "the KEK");
            self.leaks
                .secret(&hkdf32(&s, b"mfs-ta/pin-hash/v1"), "the PIN-hash key");
        }
        // Every PIN record: each client's `pn/<tag>` and the legacy `pin`.
        let names: Vec<Vec<u8>> = self
            .p
            .with_packed(|p| mfs_core::platform::Platform::object_ids(p))
            .unwrap_or_default()
            .into_iter()
            .map(|id| id.as_bytes().to_vec())
            .filter(|n| n.as_slice() == b"pin" || n.starts_with(b"pn/"))
            .collect();
        for name in names {
            if let Some(obj) = self.p.object(&name) {
                self.leaks.secret(&pin_hash(&obj), "a stored PIN hash");
            }
        }
        self.unseal_stored();
    }

    /// Private scalars of every stored key (unsealed with the current
    /// secret; each blob once).
    fn unseal_stored(&mut self) {
        let Ok(secret) = self.p.with_packed(|p| mfs_core::store::secret::load(p)) else {
            return;
        };
        let kek = mfs_core::seal::kek(&secret);
        let mut blobs: Vec<Vec<u8>> = mfs_core::store::keys::all_blobs(&mut self.p.mem)
            .unwrap_or_default()
            .into_iter()
            .map(|b| b.to_vec())
            .collect();
        if let Some(obj) = self.p.object(b"attest")
            && let Some(blob) = obj.get(5..)
        {
            blobs.push(blob.to_vec());
        }
        for blob in blobs {
            if let Some(scalar) = unsealed(&kek, &blob) {
                self.leaks.secret(&scalar, "a stored private key");
            }
        }
    }

    fn key_mut(&mut self, id: &str) -> Option<&mut KeyModel> {
        self.m.keys.get_mut(&id.to_ascii_lowercase())
    }

    /// A key's policy allows one more use now (checked after an `Ok`).
    fn check_use(&mut self, ctx: &str, id: &str, purpose: Purpose, pin_in_call: bool, b: &Before) {
        let window = self.m.window.clone();
        let by_window = self
            .m
            .keys
            .get(&id.to_ascii_lowercase())
            .and_then(|k| k.policy)
            .is_some_and(|p| p.pin == PinRule::Window)
            && !pin_in_call;
        if by_window {
            // one verification, one use
            self.m.window = None;
        }
        let Some(k) = self.key_mut(id) else {
            return;
        };
        assert_eq!(k.purpose, purpose, "{ctx}: key {id} used for {purpose:?}");
        if let Some(p) = k.policy {
            if let Some(t) = p.not_after {
                assert!(b.ree_s <= t, "{ctx}: key {id} used after it expired");
            }
            if let Some(max) = p.max_uses {
                assert!(k.signatures < max, "{ctx}: key {id} used beyond {max} uses");
            }
            match p.pin {
                PinRule::None => {}
                PinRule::PerUse => assert!(pin_in_call, "{ctx}: per-use key {id} without PIN"),
                PinRule::Window if pin_in_call => {}
                PinRule::Window => {
                    let span = u64::from(p.pin_window_s) * 1000;
                    let ok = window.is_some_and(|(key, t)| {
                        key.eq_ignore_ascii_case(id) && b.now_ms.saturating_sub(t) <= span
                    });
                    assert!(
                        ok,
                        "{ctx}: window key {id} used without its own open window"
                    );
                }
            }
        }
        k.signatures += 1;
    }

    fn remember_key(&mut self, ctx: &str, r: &KeyInfoReply) {
        let id = r.id.to_ascii_lowercase();
        if let Some(k) = self.m.keys.get(&id) {
            if let Some(p) = k.policy {
                assert_eq!(p, r.policy, "{ctx}: key {id} changed its policy");
            }
            if let Some(pk) = &k.public_key {
                assert_eq!(*pk, r.public_key.as_str(), "{ctx}: key {id} changed");
            }
        }
        let signatures = self.m.keys.get(&id).map_or(0, |k| k.signatures);
        self.m.keys.insert(
            id,
            KeyModel {
                purpose: r.policy.purpose,
                policy: Some(r.policy),
                public_key: Some(r.public_key.to_string()),
                signatures,
            },
        );
    }

    fn pin_outcome(&mut self, ctx: &str, command: Command, status: Status, sent: Sent) {
        use PinModel::*;
        let model = self.m.pin;
        // The PIN was checked against the stored one.
        let checked = |pin: Option<&'static str>, this: &mut Harness| match (status, model, pin) {
            (Status::Ok, NotSet, _) => panic!("{ctx}: a PIN was accepted with no PIN set"),
            (Status::Ok, Set(q), Some(p)) => {
                assert_eq!(p, q, "{ctx}: the wrong PIN was accepted")
            }
            (Status::Ok, Unknown, Some(p)) => this.m.pin = Set(p),
            (Status::PinIncorrect, Set(q), Some(p)) => {
                assert_ne!(p, q, "{ctx}: the right PIN was refused")
            }
            (Status::PinIncorrect | Status::PinBlocked, NotSet, _) => {
                panic!("{ctx}: {status:?} though no PIN is set")
            }
            (Status::PinNotSet, Set(_), _) => panic!("{ctx}: pin-not-set though a PIN is set"),
            _ => {}
        };
        match command {
            Command::PinSet => match status {
                Status::Ok => {
                    assert!(!matches!(model, Set(_)), "{ctx}: set over a set PIN");
                    self.m.pin = match sent {
                        Sent::Pin(Some(p)) => Set(p),
                        _ => Unknown,
                    };
                }
                Status::PinAlreadySet => assert_ne!(model, NotSet, "{ctx}: already set?"),
                Status::StorageFailure => self.m.pin = Unknown,
                _ => {}
            },
            Command::PinVerify | Command::TxSign => {
                let pin = match sent {
                    Sent::Pin(p) => p,
                    _ => None,
                };
                checked(pin, self);
            }
            Command::PinChange => {
                let (old, new) = match sent {
                    Sent::Change(o, n) => (o, n),
                    _ => (None, None),
                };
                checked(old, self);
                match status {
                    Status::Ok => self.m.pin = new.map_or(Unknown, Set),
                    Status::StorageFailure => self.m.pin = Unknown,
                    _ => {}
                }
            }
            Command::PinUnblock => {
                match (status, model) {
                    (Status::Ok, NotSet) => panic!("{ctx}: unblocked with no PIN set"),
                    (Status::PinNotSet, Set(_)) => panic!("{ctx}: pin-not-set with a PIN set"),
                    _ => {}
                }
                match status {
                    Status::Ok => {
                        self.m.pin = match sent {
                            Sent::Unblock(Some(p)) => Set(p),
                            _ => Unknown,
                        }
                    }
                    Status::StorageFailure => self.m.pin = Unknown,
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// Updates the model from one reply and checks it against the model.
    #[allow(clippy::too_many_arguments)]
    fn learn(
        &mut self,
        ctx: &str,
        slot: usize,
        command: Command,
        req: &[u8],
        r: Reply,
        body: &[u8],
        sent: Sent,
        b: &Before,
    ) {
        // `short-buffer` comes after the command ran: its effects happened,
        // only the reply is lost. For the model it is a success.
        let status = match r.status {
            Status::ShortBuffer => Status::Ok,
            s => s,
        };
        let parsed = !matches!(
            status,
            Status::BadRequest
                | Status::UnsupportedVersion
                | Status::UnknownCommand
                | Status::RequestTooLarge
                | Status::AccessDenied
        );
        if matches!(
            command,
            Command::PinSet
                | Command::PinVerify
                | Command::PinChange
                | Command::PinUnblock
                | Command::TxSign
        ) {
            self.pin_outcome(ctx, command, status, sent);
            // Only a pin-verify that succeeded (logged) opens a window, for
            // the key it named; one without a key closes any window.
            // (the key is read from the request as sent, mutated or not)
            if command == Command::PinVerify && status == Status::Ok {
                let key = decode::<PinRequest>(req).ok().and_then(|q| q.key);
                self.m.window = key.map(|k| (k.to_ascii_lowercase(), b.now_ms));
            }
        }
        if command == Command::KeyDelete
            && matches!(status, Status::Ok | Status::StorageFailure)
            && let Ok(q) = decode::<KeyRequest>(req)
        {
            // Deleted, or maybe deleted before a later write failed.
            self.m.keys.remove(&q.id.to_ascii_lowercase());
        }
        if command == Command::Wipe && parsed {
            // Whatever the outcome, keys and the attestation key may be
            // gone; forget them (the checks on them only get weaker).
            self.m.keys.clear();
            self.m.attest_key = None;
            self.slots[slot].pin_reply = None;
            let blobs = std::mem::take(&mut self.m.blobs);
            if status == Status::Ok {
                self.m.dead_blobs.extend(blobs);
                self.m.pin = PinModel::NotSet;
            } else {
                self.m.pin = PinModel::Unknown;
            }
        }
        if command == Command::PinUnblock && status == Status::Ok {
            let q: PinUnblockRequest = must("request", req);
            self.check_unblock(ctx, &q, b);
        }
        if r.status == Status::ShortBuffer && command == Command::PinSession {
            // The session was opened; its key and nonce were not returned.
            self.slots[slot].pin_reply = None;
        }
        if r.status != Status::Ok {
            return;
        }
        match command {
            Command::Ping => {
                let q: PingRequest = must("request", req);
                let a: PingReply = must("reply", body);
                assert_eq!(q.echo, a.echo, "{ctx}");
            }
            Command::Info => {
                let a: InfoReply = must("reply", body);
                assert_eq!(a.admin, self.slots[slot].admin, "{ctx}: admin flag");
                assert_eq!(a.client_login, IDENTITIES[slot].0, "{ctx}: login");
            }
            Command::Provision => {
                let q: ProvisionRequest = must("request", req);
                let a: ProvisionReply = must("reply", body);
                assert_eq!(q.pin_max_tries, a.pin_max_tries, "{ctx}");
                assert!(b.cfg.is_none(), "{ctx}: provisioned twice");
            }
            Command::PinSession => {
                let a: PinSessionReply = must("reply", body);
                let _: EmptyRequest = must("request", req);
                self.slots[slot].pin_reply = Some(a);
            }
            Command::PinStatus | Command::PinSet | Command::PinVerify | Command::PinChange => {
                let a: PinStatusReply = must("reply", body);
                self.pin_status(ctx, &a);
                match command {
                    Command::PinStatus => {
                        let _: EmptyRequest = must("request", req);
                    }
                    Command::PinChange => {
                        let _: PinChangeRequest = must("request", req);
                    }
                    _ => {
                        let _: PinRequest = must("request", req);
                    }
                }
            }
            Command::PinUnblock => {
                let a: PinStatusReply = must("reply", body);
                self.pin_status(ctx, &a);
            }
            Command::KeyGenerate => {
                let q: KeyGenerateRequest = must("request", req);
                let a: KeyInfoReply = must("reply", body);
                assert_eq!(
                    (a.policy, &a.label, a.uses),
                    (q.policy, &q.label, 0),
                    "{ctx}"
                );
                assert!(q.policy.check().is_ok(), "{ctx}: invalid policy accepted");
                if let Some(t) = q.policy.not_after {
                    assert!(t > b.ree_s, "{ctx}: expired key generated");
                }
                assert!(
                    !self.m.keys.contains_key(&a.id.to_ascii_lowercase()),
                    "{ctx}: id reused"
                );
                self.remember_key(ctx, &a);
            }
            Command::KeyImport => {
                let q: KeyImportRequest = must("request", req);
                let a: KeyInfoReply = must("reply", body);
                let blob = q.blob.to_ascii_lowercase();
                assert!(
                    !self.m.dead_blobs.contains(&blob),
                    "{ctx}: a blob exported before a wipe was imported"
                );
                assert!(a.policy.exportable, "{ctx}: non-exportable key imported");
                assert!(
                    !self.m.keys.contains_key(&a.id.to_ascii_lowercase()),
                    "{ctx}: imported over a present key"
                );
                self.remember_key(ctx, &a);
            }
            Command::KeyInfo => {
                let _: KeyRequest = must("request", req);
                let a: KeyInfoReply = must("reply", body);
                self.remember_key(ctx, &a);
            }
            Command::KeyList => {
                let _: KeyListRequest = must("request", req);
                let a: KeyListReply = must("reply", body);
                assert!(
                    a.keys.len() <= usize::from(a.total),
                    "{ctx}: more keys than total"
                );
                for k in &a.keys {
                    if let Some(m) = self.m.keys.get(&k.id.to_ascii_lowercase()) {
                        assert_eq!(m.purpose, k.purpose, "{ctx}: purpose of {}", k.id);
                    }
                }
            }
            Command::KeyDelete => {
                let q: KeyRequest = must("request", req);
                let a: KeyDeleteReply = must("reply", body);
                assert_eq!(a.id.as_str(), q.id.to_ascii_lowercase(), "{ctx}");
            }
            Command::KeySign => {
                let q: KeySignRequest = must("request", req);
                let a: KeySignReply = must("reply", body);
                let msg = unhex(&q.message).expect("the TA signed a hex message");
                assert!(
                    !msg.starts_with(b"mfs-ta/"),
                    "{ctx}: signed a reserved message"
                );
                self.check_use(ctx, &q.id, Purpose::Sign, false, b);
                if let Some(k) = self.key_mut(&q.id) {
                    if let Some(max) = k.policy.and_then(|p| p.max_uses) {
                        assert!(a.uses <= max, "{ctx}: {} uses of {max}", a.uses);
                    }
                    if let Some(pk) = &k.public_key {
                        assert!(verifies(pk, &msg, &a.signature), "{ctx}: bad signature");
                    }
                }
            }
            Command::KeyAttest => {
                let q: KeyAttestRequest = must("request", req);
                let a: KeyAttestReply = must("reply", body);
                self.check_attest(ctx, &q, &a, b);
            }
            Command::KeyExport => {
                let q: KeyRequest = must("request", req);
                let a: KeyExportReply = must("reply", body);
                if let Some(k) = self.key_mut(&q.id) {
                    assert!(
                        k.policy.is_none_or(|p| p.exportable),
                        "{ctx}: non-exportable key exported"
                    );
                }
                self.m.blobs.push(a.blob.to_ascii_lowercase());
            }
            Command::TxSign => {
                let q: TxSignRequest = must("request", req);
                let a: TxSignReply = must("reply", body);
                self.check_tx(ctx, &q, &a, b);
            }
            Command::LogRead => {
                let q: LogReadRequest = must("request", req);
                let a: LogReadReply = must("reply", body);
                assert!(a.first <= a.next, "{ctx}: first > next");
                assert!(a.entries.len() <= 8, "{ctx}: page too long");
                let start = q.from.max(a.first);
                for (i, e) in (0u64..).zip(&a.entries) {
                    // e.seq < next: the sum below cannot overflow when it
                    // matters (the first mismatch stops the loop).
                    assert_eq!(Some(e.seq), start.checked_add(i), "{ctx}: not consecutive");
                    assert!(e.seq < a.next, "{ctx}: entry past next");
                    assert!(
                        EventKind::from_u8(e.kind).is_some(),
                        "{ctx}: kind {}",
                        e.kind
                    );
                }
                self.log_next(ctx, a.next);
            }
            Command::LogHead => {
                let q: LogHeadRequest = must("request", req);
                let a: LogHeadReply = must("reply", body);
                let statement = unhex(&a.statement).expect("statement hex");
                let head = Head::decode(&statement).expect("the TA signs a valid head");
                assert_eq!(
                    Some(head.challenge.to_vec()),
                    unhex(&q.challenge),
                    "{ctx}: challenge"
                );
                assert!(
                    verifies(&a.attestation_key, &statement, &a.signature),
                    "{ctx}: head signature"
                );
                self.attestation_key(ctx, &a.attestation_key);
                self.log_next(ctx, head.next_seq);
            }
            Command::Wipe => {
                let _: EmptyRequest = must("request", req);
                let _: WipeReply = must("reply", body);
            }
        }
    }

    fn pin_status(&self, ctx: &str, a: &PinStatusReply) {
        match self.m.pin {
            PinModel::NotSet => assert!(!a.set, "{ctx}: a PIN is reported set"),
            PinModel::Set(_) => assert!(a.set, "{ctx}: no PIN reported"),
            PinModel::Unknown => {}
        }
        assert!(a.tries_left <= a.max_tries, "{ctx}: {a:?}");
        assert_eq!(a.blocked, a.set && a.tries_left == 0, "{ctx}: {a:?}");
    }

    fn log_next(&mut self, ctx: &str, next: u64) {
        assert!(
            next >= self.m.log_next,
            "{ctx}: log next went back from {} to {next}",
            self.m.log_next
        );
        self.m.log_next = next;
    }

    fn attestation_key(&mut self, ctx: &str, key: &str) {
        match &self.m.attest_key {
            Some(k) => assert_eq!(k, key, "{ctx}: the TA attestation key changed"),
            None => self.m.attest_key = Some(key.to_string()),
        }
    }

    fn check_unblock(&self, ctx: &str, q: &PinUnblockRequest, b: &Before) {
        let cfg = b.cfg.expect("an unblock succeeded unprovisioned");
        let nonce = b
            .nonce
            .unwrap_or_else(|| panic!("{ctx}: unblocked without a known PIN session"));
        let client_key: [u8; 65] = mfs_proto::hex_bytes(&q.client_key).expect("client key hex");
        let block: [u8; 16] = mfs_proto::hex_bytes(&q.block).expect("block hex");
        let pan = PanField::new(q.pan.as_deref()).expect("pan");
        let msg = unblock_message(&nonce, &client_key, &block, &pan);
        assert!(
            verifies(&hex(&cfg.issuer_key), &msg, &q.signature) && low_s(&q.signature),
            "{ctx}: unblock without a valid low-S issuer signature over this session"
        );
    }

    fn check_attest(&mut self, ctx: &str, q: &KeyAttestRequest, a: &KeyAttestReply, b: &Before) {
        let bytes = unhex(&a.statement).expect("statement hex");
        let s = Statement::decode(&bytes).expect("the TA signs a valid statement");
        assert_eq!(hex(&s.key_id), q.id.to_ascii_lowercase(), "{ctx}: key id");
        assert_eq!(
            Some(s.challenge.to_vec()),
            unhex(&q.challenge),
            "{ctx}: challenge"
        );
        if let Some(k) = self.m.keys.get(&q.id.to_ascii_lowercase()) {
            if let Some(p) = k.policy {
                assert_eq!(p, s.policy, "{ctx}: attested policy");
            }
            if let Some(pk) = &k.public_key {
                assert_eq!(*pk, hex(&s.public_key), "{ctx}: attested public key");
            }
        }
        assert!(
            verifies(&a.attestation_key, &bytes, &a.signature),
            "{ctx}: attestation signature"
        );
        match &q.attest_key {
            None => self.attestation_key(ctx, &a.attestation_key),
            Some(signer) => {
                self.check_use(ctx, signer, Purpose::Attest, false, b);
                if let Some(pk) = self.key_mut(signer).and_then(|k| k.public_key.clone()) {
                    assert_eq!(pk, a.attestation_key.as_str(), "{ctx}: signer key");
                }
            }
        }
    }

    fn check_tx(&mut self, ctx: &str, q: &TxSignRequest, a: &TxSignReply, b: &Before) {
        let bytes = unhex(&a.signed).expect("signed hex");
        let tx = SignedTx::decode(&bytes).expect("the TA signs a valid transaction");
        assert_eq!(tx.record, q.record, "{ctx}: signed another record");
        assert_eq!(hex(&tx.key_id), q.id.to_ascii_lowercase(), "{ctx}: key id");
        assert_eq!(tx.counter, a.counter, "{ctx}: counter field");
        if let Some(last) = self.m.last_counter {
            assert!(
                a.counter > last,
                "{ctx}: counter {} after {last}",
                a.counter
            );
        }
        self.m.last_counter = Some(a.counter);
        assert!(
            verifies(&a.public_key, &bytes, &a.signature),
            "{ctx}: transaction signature"
        );
        self.check_use(ctx, &q.id, Purpose::Sign, true, b);
        if let Some(pk) = self.key_mut(&q.id).and_then(|k| k.public_key.clone()) {
            assert_eq!(pk, a.public_key.as_str(), "{ctx}: signing key");
        }
    }

    /// The setup commands of the prelude mask (module docs).
    fn prelude(&mut self, mask: u8) {
        if mask & 1 != 0 {
            let tries = if mask & 0x20 != 0 { 3 } else { 5 };
            let throttle = if mask & 0x20 != 0 { 300 } else { 0 };
            let req = json(&ProvisionRequest {
                v: 1,
                pin_max_tries: tries,
                pin_throttle_ms: throttle,
                issuer_key: hex_string(&sec1(&issuer_keys()[0])).expect("hex"),
                require_rollback_protection: None,
            });
            self.call(
                0,
                Command::Provision as u32,
                &req,
                MAX_REPLY_LEN,
                Sent::Other,
            );
        }
        if mask & 2 != 0 {
            let (req, sent) = self.pin_request(&mut Input::new(&[]), 1, Command::PinSet);
            self.call(1, Command::PinSet as u32, &req, MAX_REPLY_LEN, sent);
        }
        let plain = KeyPolicy::plain(Purpose::Sign);
        let keys = [
            (
                4,
                "pay",
                KeyPolicy {
                    exportable: true,
                    ..plain
                },
            ),
            (
                8,
                "consent",
                KeyPolicy {
                    pin: PinRule::PerUse,
                    ..plain
                },
            ),
            (0x10, "attester", KeyPolicy::plain(Purpose::Attest)),
            (
                0x40,
                "window",
                KeyPolicy {
                    pin: PinRule::Window,
                    pin_window_s: 60,
                    ..plain
                },
            ),
            (
                0x80,
                "twice",
                KeyPolicy {
                    max_uses: Some(2),
                    ..plain
                },
            ),
        ];
        for (bit, label, policy) in keys {
            if mask & bit != 0 {
                let req = json(&KeyGenerateRequest {
                    v: 1,
                    label: label.try_into().expect("label"),
                    policy,
                });
                self.call(
                    2,
                    Command::KeyGenerate as u32,
                    &req,
                    MAX_REPLY_LEN,
                    Sent::Other,
                );
            }
        }
    }

    /// One step; returns whether it ran a command.
    fn step(&mut self, inp: &mut Input) -> bool {
        let op = inp.u8();
        match op {
            0..=175 => {
                let slot = usize::from(inp.u8()) % self.slots.len();
                let command = Command::ALL[usize::from(inp.u8()) % Command::ALL.len()];
                let (mut req, mut sent) = self.template(inp, slot, command);
                if mutate(inp, &mut req) {
                    sent = Sent::Other;
                }
                let out = out_len(inp);
                self.call(slot, command as u32, &req, out, sent);
                true
            }
            176..=207 => {
                let slot = usize::from(inp.u8()) % self.slots.len();
                let b = inp.u8();
                let cmd = if b < 224 {
                    Command::ALL[usize::from(b) % Command::ALL.len()] as u32
                } else {
                    inp.u32()
                };
                let req = inp.var_bytes(MAX_REQUEST_LEN + 16).to_vec();
                let out = out_len(inp);
                self.call(slot, cmd, &req, out, Sent::Other);
                true
            }
            208..=223 => {
                let mem = &mut self.p.mem;
                let now = mfs_core::platform::Platform::ree_time_s(mem);
                match inp.u8() % 4 {
                    0 => {
                        let ms = match inp.u8() % 6 {
                            0 => 1_000,
                            1 => 60_000,
                            2 => 61_000,
                            3 => 300,
                            4 => 86_400_001,
                            _ => u64::from(inp.u32()),
                        };
                        mem.advance_ms(ms);
                    }
                    1 => mem.set_ree_time_s(now.saturating_add(inp.pick(&[3_600, 31_536_000]))),
                    2 => mem.set_ree_time_s(now.saturating_sub(inp.pick(&[3_600, 31_536_000]))),
                    _ => mem.set_ree_time_s(inp.u64()),
                }
                false
            }
            224..=231 => {
                self.p.mem.cut_power_at(1 + u64::from(inp.u8() % 12));
                false
            }
            232..=239 => {
                self.p.mem.power_on();
                self.inst = Instance::default();
                self.slots = (0..IDENTITIES.len()).map(Slot::open).collect();
                self.m.window = None;
                false
            }
            240..=247 => {
                let slot = usize::from(inp.u8()) % self.slots.len();
                self.slots[slot] = Slot::open(slot);
                false
            }
            _ => {
                self.fail_rng_next = true;
                false
            }
        }
    }

    fn pick_key(&self, inp: &mut Input, prefer: Option<Purpose>) -> String {
        let b = inp.u8();
        let ids: Vec<&String> = match prefer {
            Some(p) if self.m.keys.values().any(|k| k.purpose == p) => self
                .m
                .keys
                .iter()
                .filter(|(_, k)| k.purpose == p)
                .map(|(id, _)| id)
                .collect(),
            _ => self.m.keys.keys().collect(),
        };
        match b {
            0..=223 if !ids.is_empty() => ids[usize::from(b) % ids.len()].clone(),
            0..=239 => "0102030405060708".to_string(),
            240..=247 => ids
                .first()
                .map_or("0".repeat(16), |s| s.to_ascii_uppercase()),
            _ => hex(&inp.u64().to_be_bytes()),
        }
    }

    /// A PIN channel for `slot` (opening a PIN session first unless the
    /// input asks to reuse the last one), the PAN text to send and
    /// whether it is the PAN the blocks are bound to.
    fn channel(
        &mut self,
        inp: &mut Input,
        slot: usize,
    ) -> (Option<PinChannel>, Option<String>, bool) {
        let reuse = inp.u8() >= 200;
        if !reuse || self.slots[slot].pin_reply.is_none() {
            let req = br#"{"v":1}"#;
            self.call(
                slot,
                Command::PinSession as u32,
                req,
                MAX_REPLY_LEN,
                Sent::Other,
            );
        }
        let pan = match inp.u8() {
            0..=159 => None,
            160..=223 => Some(PAN.to_string()),
            _ => {
                let n = 1 + usize::from(inp.u8()) % 19;
                Some((0..n).map(|_| char::from(b'0' + inp.u8() % 10)).collect())
            }
        };
        let (sent_pan, pan_ok) = match inp.u8() {
            0..=229 => (pan.clone(), true),
            230..=242 => (
                Some(OTHER_PAN.to_string()),
                pan.as_deref() == Some(OTHER_PAN),
            ),
            _ => (None, pan.is_none()),
        };
        let mut secret = [0u8; 32];
        secret[31] = inp.u8().max(1);
        secret[0] = inp.u8() & 0x7f;
        let chan = self.slots[slot]
            .pin_reply
            .as_ref()
            .and_then(|r| PinChannel::from_reply(r, &secret, pan.as_deref()).ok());
        (chan, sent_pan, pan_ok)
    }

    fn pin_request(&mut self, inp: &mut Input, slot: usize, command: Command) -> (Vec<u8>, Sent) {
        let (chan, pan, pan_ok) = self.channel(inp, slot);
        let fill = inp.array::<8>();
        let pin = PINS[usize::from(inp.u8()) % PINS.len()];
        let certain = pan_ok && chan.is_some();
        let known = |p: &'static str| certain.then_some(p);
        let Some(c) = chan else {
            return (dummy_pin_request(command, pan), Sent::Other);
        };
        let p = Pin::new(pin).expect("template PIN");
        let pan = pan.map(|s| s.as_str().try_into().expect("PAN fits"));
        match command {
            Command::PinChange => {
                let new = PINS[usize::from(inp.u8()) % PINS.len()];
                let mut q = c.change_request(&p, fill, &Pin::new(new).expect("PIN"), fill);
                q.pan = pan;
                (json(&q), Sent::Change(known(pin), known(new)))
            }
            Command::PinUnblock => {
                let block = c.block(&p, fill);
                let cfg = self.p.with_packed(|p| Config::load(p)).ok().flatten();
                let signer = issuer_keys()
                    .iter()
                    .find(|k| cfg.is_some_and(|c| c.issuer_key == sec1(k)))
                    .unwrap_or(&issuer_keys()[0]);
                // an issuer signs low-S; sometimes the high-S twin is sent
                let sig: Signature = signer.sign(&c.unblock_message(&block));
                let low = sig.normalize_s();
                let mut sig = low.to_der().as_bytes().to_vec();
                match inp.u8() {
                    0..=189 => {}
                    190..=199 => {
                        let (r, s) = low.split_scalars();
                        if let Ok(twin) = Signature::from_scalars(r.to_bytes(), (-*s).to_bytes()) {
                            sig = twin.to_der().as_bytes().to_vec();
                        }
                    }
                    200..=229 => {
                        let i = usize::from(inp.u8()) % sig.len();
                        sig[i] ^= 1 << (inp.u8() % 8);
                    }
                    _ => sig = inp.var_bytes(72).to_vec(),
                }
                let mut q = c.unblock_request(&block, &sig).expect("signature fits");
                q.pan = pan;
                (json(&q), Sent::Unblock(known(pin)))
            }
            Command::TxSign => {
                let id = self.pick_key(inp, Some(Purpose::Sign));
                let record = tx_record(inp);
                let mut q =
                    c.tx_sign_request(id.as_str().try_into().expect("id"), &p, fill, record);
                q.pan = pan;
                (json(&q), Sent::Pin(known(pin)))
            }
            _ => {
                let mut q = c.request(&p, fill);
                q.pan = pan;
                if command == Command::PinVerify && inp.u8() < 160 {
                    let id = self.pick_key(inp, Some(Purpose::Sign));
                    q.key = id.as_str().try_into().ok();
                }
                (json(&q), Sent::Pin(known(pin)))
            }
        }
    }

    /// A request for `command` built from the state, fields from `inp`.
    fn template(&mut self, inp: &mut Input, slot: usize, command: Command) -> (Vec<u8>, Sent) {
        let empty = br#"{"v":1}"#.to_vec();
        match command {
            Command::Info | Command::PinSession | Command::PinStatus | Command::Wipe => {
                (empty, Sent::Other)
            }
            Command::Ping => (
                json(&PingRequest {
                    v: 1,
                    echo: inp.u32(),
                }),
                Sent::Other,
            ),
            Command::Provision => {
                let t = inp.u8();
                let pin_max_tries = if t < 200 { 3 + t % 13 } else { t };
                let pin_throttle_ms = match inp.u8() {
                    0..=127 => 0,
                    128..=191 => 300,
                    192..=239 => 60_000,
                    _ => inp.u32(),
                };
                let key: [u8; 65] = match inp.u8() {
                    0..=199 => sec1(&issuer_keys()[0]),
                    200..=229 => sec1(&issuer_keys()[1]),
                    230..=244 => {
                        let mut k = sec1(&issuer_keys()[0]);
                        k[64] ^= 1;
                        k
                    }
                    _ => {
                        let mut k = [4u8; 65];
                        k[1..].copy_from_slice(&inp.array::<64>());
                        k
                    }
                };
                let q = ProvisionRequest {
                    v: 1,
                    pin_max_tries,
                    pin_throttle_ms,
                    issuer_key: hex_string(&key).expect("hex"),
                    require_rollback_protection: None,
                };
                (json(&q), Sent::Other)
            }
            Command::PinSet
            | Command::PinVerify
            | Command::PinChange
            | Command::PinUnblock
            | Command::TxSign => self.pin_request(inp, slot, command),
            Command::KeyGenerate => {
                let label = match inp.u8() {
                    0..=199 => inp.pick(&[
                        "pay",
                        "k.1",
                        "attest_key",
                        "a-32-character-label-for-keys.--",
                    ]),
                    _ => inp.pick(&["", "has space", "é", "x/y"]),
                };
                let ree = mfs_core::platform::Platform::ree_time_s(&mut self.p.mem);
                let flags = inp.u8();
                let pin = inp.pick(&[PinRule::None, PinRule::PerUse, PinRule::Window]);
                let pin_window_s = match (pin, inp.u8()) {
                    (PinRule::Window, 0..=199) => 60,
                    (PinRule::Window, 200..=219) => 1,
                    (PinRule::Window, 220..=239) => 86_400,
                    (_, 240..) => inp.u32(),
                    _ => 0,
                };
                let max_uses = match inp.u8() {
                    0..=159 => None,
                    160..=239 => Some(1 + u32::from(inp.u8() % 3)),
                    _ => Some(inp.u32()),
                };
                let not_after = match inp.u8() {
                    0..=159 => None,
                    160..=219 => Some(ree + 3_600),
                    220..=239 => Some(ree),
                    _ => Some(inp.u64()),
                };
                let policy = KeyPolicy {
                    purpose: if flags & 1 == 0 {
                        Purpose::Sign
                    } else {
                        Purpose::Attest
                    },
                    pin,
                    pin_window_s,
                    max_uses,
                    not_after,
                    exportable: (flags & 2 == 0 && max_uses.is_none()) || flags & 4 != 0,
                };
                let q = KeyGenerateRequest {
                    v: 1,
                    label: label.try_into().expect("label fits"),
                    policy,
                };
                (json(&q), Sent::Other)
            }
            Command::KeyList => {
                let b = inp.u8();
                let offset = if b < 240 {
                    u16::from(b % 16)
                } else {
                    inp.u16()
                };
                (json(&KeyListRequest { v: 1, offset }), Sent::Other)
            }
            Command::KeyInfo | Command::KeyDelete | Command::KeyExport => {
                let id = self.pick_key(inp, None);
                let q = KeyRequest {
                    v: 1,
                    id: id.as_str().try_into().expect("id"),
                };
                (json(&q), Sent::Other)
            }
            Command::KeySign => {
                let id = self.pick_key(inp, Some(Purpose::Sign));
                let mut msg = inp.var_bytes(64).to_vec();
                if inp.u8() >= 240 {
                    msg.splice(0..0, b"mfs-ta/".iter().copied());
                }
                let q = KeySignRequest {
                    v: 1,
                    id: id.as_str().try_into().expect("id"),
                    message: hex_string(&msg).expect("message fits"),
                };
                (json(&q), Sent::Other)
            }
            Command::KeyAttest => {
                let id = self.pick_key(inp, None);
                let challenge = inp.var_bytes(64).to_vec();
                let attest_key = if inp.u8() < 128 {
                    None
                } else {
                    Some(self.pick_key(inp, Some(Purpose::Attest)))
                };
                let q = KeyAttestRequest {
                    v: 1,
                    id: id.as_str().try_into().expect("id"),
                    challenge: hex_string(&challenge).expect("challenge fits"),
                    attest_key: attest_key.map(|k| k.as_str().try_into().expect("id")),
                };
                (json(&q), Sent::Other)
            }
            Command::KeyImport => {
                let b = inp.u8();
                let known: Vec<&String> = self.m.blobs.iter().chain(&self.m.dead_blobs).collect();
                let blob = if known.is_empty() || b >= 240 {
                    hex(inp.var_bytes(mfs_proto::SEALED_BLOB_MAX_LEN))
                } else {
                    let mut blob = unhex(known[usize::from(b) % known.len()]).expect("blob hex");
                    if b >= 200 {
                        let i = usize::from(inp.u16()) % blob.len();
                        blob[i] ^= 1 << (inp.u8() % 8);
                    }
                    hex(&blob)
                };
                let q = KeyImportRequest {
                    v: 1,
                    blob: blob.as_str().try_into().expect("blob"),
                };
                (json(&q), Sent::Other)
            }
            Command::LogRead => {
                let b = inp.u8();
                let from = if b < 224 {
                    u64::from(b % 64)
                } else {
                    inp.u64()
                };
                (json(&LogReadRequest { v: 1, from }), Sent::Other)
            }
            Command::LogHead => {
                let challenge = inp.var_bytes(64).to_vec();
                let q = LogHeadRequest {
                    v: 1,
                    challenge: hex_string(&challenge).expect("challenge fits"),
                };
                (json(&q), Sent::Other)
            }
        }
    }

    /// End of a run: the stored log loads from a copy of storage and its
    /// chain verifies, and covers every entry a reply reported.
    fn finish(&mut self) {
        struct Item(Entry, Vec<u8>);
        impl ChainItem for Item {
            fn entry(&self) -> &Entry {
                &self.0
            }
            fn details(&self) -> Option<&[u8]> {
                Some(&self.1)
            }
        }
        let mut copy = self.p.snapshot();
        let mut cache = audit::Cache::default();
        let head = match audit::head(&mut copy, &mut cache, b"") {
            Ok(h) => h,
            Err(e) => panic!("the stored log does not load: {e:?}"),
        };
        let mut items = Vec::new();
        let mut from = head.first_seq;
        while from < head.next_seq {
            let (_, _, page) = audit::read(&mut copy, &mut cache, from, 8)
                .unwrap_or_else(|e| panic!("log read at {from}: {e:?}"));
            assert!(!page.is_empty(), "the log has a hole at {from}");
            for (e, d) in page {
                from = e.seq + 1;
                items.push(Item(e, d.to_vec()));
            }
        }
        if let Err(e) = verify_chain(&head, &items) {
            panic!("the stored log does not verify: {e:?}");
        }
        assert!(
            head.next_seq >= self.m.log_next,
            "the stored log is shorter than a reply said"
        );
    }
}

/// The private scalar in a stored blob, unsealed once per process: the
/// platform's RNG is deterministic, so runs meet the same blobs again and
/// again, and every successful unseal costs a scalar multiplication. Only
/// successes are kept: a blob authenticates under exactly one KEK (its GCM
/// tag), so its scalar never changes; a blob that does not open under
/// `kek` fails at the tag check, which is cheap.
fn unsealed(kek: &mfs_core::crypto::Key32, blob: &[u8]) -> Option<[u8; 32]> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static CACHE: RefCell<HashMap<Vec<u8>, [u8; 32]>> = RefCell::new(HashMap::new());
    }
    if let Some(hit) = CACHE.with(|c| c.borrow().get(blob).copied()) {
        return Some(hit);
    }
    let (_, key) = mfs_core::seal::unseal(kek, blob).ok()?;
    let scalar = <[u8; 32]>::from(key.to_bytes());
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 4096 {
            c.clear();
        }
        c.insert(blob.to_vec(), scalar);
    });
    Some(scalar)
}

fn dummy_pin_request(command: Command, pan: Option<String>) -> Vec<u8> {
    let key = hex(&sec1(&issuer_keys()[1]));
    let block = "00".repeat(16);
    let pan = pan.map_or("null".to_string(), |p| format!("\"{p}\""));
    match command {
        Command::PinChange => format!(
            r#"{{"v":1,"client_key":"{key}","old_block":"{block}","new_block":"{block}","pan":{pan}}}"#
        ),
        Command::PinUnblock => format!(
            r#"{{"v":1,"client_key":"{key}","block":"{block}","pan":{pan},"signature":"3006020101020101"}}"#
        ),
        Command::TxSign => format!(
            r#"{{"v":1,"id":"0102030405060708","client_key":"{key}","block":"{block}","pan":{pan},"record":{{"amount":1,"currency":"EUR","payee":"p","display":"Pay 0.01 EUR to p?","challenge":"{}","time":1}}}}"#,
            "ab".repeat(16)
        ),
        _ => format!(r#"{{"v":1,"client_key":"{key}","block":"{block}","pan":{pan}}}"#),
    }
    .into_bytes()
}

fn tx_record(inp: &mut Input) -> TxRecord {
    let amount = match inp.u8() {
        0..=223 => 1234,
        224..=239 => mfs_proto::tx::AMOUNT_MAX,
        _ => inp.u64(),
    };
    let currency = match inp.u8() {
        0..=199 => "EUR",
        _ => inp.pick(&[
            "USD", "XOF", "JPY", "BHD", "XAU", "eur", "E1R", "\u{20ac}", "EU",
        ]),
    };
    let payee = match inp.u8() {
        0..=199 => "ACME Coffee Ltd",
        _ => inp.pick(&[
            "",
            "a\u{7}b",
            "a\nb",
            "\u{e9}t\u{e9}",
            "p",
            "Shop 24",
            " ACME",
            "AC\u{202e}ME",
            "AC\u{200b}ME",
        ]),
    };
    // Mostly the display a client writes, which the TA accepts when the
    // rest of the record is valid; else one that breaks a display rule.
    let canonical = mfs_proto::tx::canonical_display(amount, currency, payee)
        .map_or_else(|| "Pay?".to_string(), |d| d.as_str().to_string());
    let amount_text = mfs_proto::tx::format_amount(amount, currency)
        .map_or_else(String::new, |a| a.as_str().to_string());
    let long_display = format!("{canonical}\n{}", "D".repeat(256))
        .chars()
        .take(256)
        .collect::<String>();
    let display = match inp.u8() {
        0..=179 => canonical,
        180..=189 => format!("{amount_text}\nto {payee}"),
        190..=199 => long_display,
        200..=204 => "Pay 12.34 EUR to ACME Coffee Ltd?".to_string(),
        205..=209 => format!("{canonical} (1.00 {currency})"),
        210..=214 => format!("Pay 1{amount_text} to {payee}?"),
        215..=219 => format!("{canonical}\u{202e}"),
        _ => inp
            .pick(&["", "line one\nline two", "tab\there", "\u{202e}rtl"])
            .to_string(),
    };
    let display = display
        .char_indices()
        .take_while(|(i, c)| i + c.len_utf8() <= 256)
        .map(|(_, c)| c)
        .collect::<String>();
    let challenge = match inp.u8() {
        0..=199 => hex(&inp.array::<16>()),
        200..=229 => hex(inp.var_bytes(64)),
        230..=239 => hex(&inp.array::<16>()).to_uppercase(),
        _ => "0011223".to_string(),
    };
    let time = match inp.u8() {
        0..=223 => 1_763_800_000,
        _ => inp.u64(),
    };
    TxRecord {
        amount,
        currency: currency.try_into().expect("currency fits"),
        payee: payee.try_into().expect("payee fits"),
        display: display.as_str().try_into().expect("display fits"),
        challenge: challenge.as_str().try_into().expect("challenge fits"),
        time,
    }
}

/// Mostly no change; sometimes one byte-level change of the request.
fn mutate(inp: &mut Input, req: &mut Vec<u8>) -> bool {
    let m = inp.u8();
    if m < 232 || req.is_empty() {
        return false;
    }
    let at = usize::from(inp.u16()) % req.len();
    match m % 4 {
        0 => req[at] = inp.u8(),
        1 => req.truncate(at),
        2 => req.insert(at, inp.u8()),
        _ => {
            req.remove(at);
        }
    }
    true
}

fn out_len(inp: &mut Input) -> usize {
    if inp.u8() < 240 {
        MAX_REPLY_LEN
    } else {
        usize::from(inp.u16()) % (MAX_REPLY_LEN + 52)
    }
}
