//! The `extern "C"` functions of `mfs.h`. Each converts its pointers once,
//! at the top, through [`crate::edge`] (the one `unsafe` block of each
//! function), then runs safe Rust and ends with [`edge::finish`].

use std::ffi::{CStr, c_char, c_int, c_void};

use mfs_host::keys::{EcPublicKey, PublicKeyFormat, verify_attestation};
use mfs_host::log::{Export, Signer, verify_export};
use mfs_host::tx::{canonical_display, verify as verify_tx};
use mfs_proto::pin::Pin;
use mfs_proto::{KeyAttestReply, TxRecord, TxSignReply};
use zeroize::Zeroize;

use crate::edge::{self, Out, finish};
use crate::error::{Fail, mfs_error, mfs_rc, put_message};
use crate::session::{Login, mfs_client};
use crate::types::*;

/// Bytes that hold any JSON document this library writes for one TA reply
/// (a signed transaction, an attestation), NUL included: commands that
/// change state refuse a smaller buffer before anything is sent.
pub const MFS_DOCUMENT_MAX: usize = 2049;
/// Bytes that hold any DER ECDSA P-256 signature.
pub const MFS_SIGNATURE_MAX: usize = 72;
/// Bytes that hold any exported (sealed) key blob.
pub const MFS_KEY_BLOB_MAX: usize = 206;

/// `mfs_key_public` format: SEC1 uncompressed point (65 bytes).
pub const MFS_KEY_FORMAT_SEC1: u32 = 0;
/// `mfs_key_public` format: SubjectPublicKeyInfo, DER.
pub const MFS_KEY_FORMAT_DER: u32 = 1;
/// `mfs_key_public` format: SubjectPublicKeyInfo, PEM text (NUL-terminated).
pub const MFS_KEY_FORMAT_PEM: u32 = 2;

/// The issuer's signing callback of `mfs_pin_unblock`: sign `msg` (ECDSA
/// P-256 over SHA-256, DER) with the issuer key provisioned in the TA,
/// write the signature to `sig` (room for `sig_cap` bytes, at least
/// `MFS_SIGNATURE_MAX`), its length to `*sig_len`, and return 0; any
/// other return value aborts the unblock. In a deployment the issuer's
/// server signs; the message is the PIN session's one-time challenge.
/// The callback must not call libmfs with the handle being unblocked (in
/// particular must not close it): the call is still using it. Other
/// handles may be used.
#[allow(non_camel_case_types)]
pub type mfs_issuer_sign_fn = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        msg: *const u8,
        msg_len: usize,
        sig: *mut u8,
        sig_cap: usize,
        sig_len: *mut usize,
    ) -> c_int,
>;

// ---- helpers (safe) ----

fn live(c: Option<&mut mfs_client>) -> Result<&mut mfs_client, Fail> {
    c.ok_or(Fail::Argument("client: NULL"))
}

fn required<T>(v: Option<T>, what: &'static str) -> Result<T, Fail> {
    v.ok_or(Fail::Argument(what))
}

fn utf8<'a>(s: Option<&'a CStr>, what: &'static str) -> Result<Option<&'a str>, Fail> {
    s.map(|c| c.to_str().map_err(|_| Fail::Argument(what)))
        .transpose()
}

fn need_utf8<'a>(s: Option<&'a CStr>, what: &'static str) -> Result<&'a str, Fail> {
    utf8(s, what)?.ok_or(Fail::Argument(what))
}

/// The PIN in the caller's buffer, which is wiped whatever happens.
fn take_pin(buf: Option<&mut [u8]>, what: &'static str) -> Result<Pin, Fail> {
    let buf = buf.ok_or(Fail::Argument(what))?;
    let pin = core::str::from_utf8(buf)
        .map_err(|_| Fail::Lib(mfs_host::Error::BadPin))
        .and_then(|t| Pin::new(t).map_err(|_| Fail::Lib(mfs_host::Error::BadPin)));
    buf.zeroize();
    pin
}

/// The caller's `*len`, required before anything is sent: a command that
/// changes state must be able to report its result.
fn length<'a>(len: Option<Out<'a, usize>>) -> Result<Out<'a, usize>, Fail> {
    required(len, "len: NULL")
}

/// Copies `data` to the caller's buffer. `*len`: the bytes written, or
/// when the buffer is too small the size needed (also in the error).
fn put_bytes(
    buf: Option<&mut [u8]>,
    len: &mut Out<'_, usize>,
    data: &[u8],
    what: &'static str,
) -> Result<(), Fail> {
    let buf = required(buf, "buffer: NULL or impossibly long")?;
    let Some(dst) = buf.get_mut(..data.len()) else {
        len.set(data.len());
        return Err(Fail::Buffer(data.len(), what));
    };
    dst.copy_from_slice(data);
    len.set(data.len());
    Ok(())
}

/// As [`put_bytes`] for text: a NUL follows; `*len` is the text's length
/// without it, or when the buffer is too small the size needed with it.
fn put_text(
    buf: Option<&mut [u8]>,
    len: &mut Out<'_, usize>,
    text: &str,
    what: &'static str,
) -> Result<(), Fail> {
    let buf = required(buf, "buffer: NULL or impossibly long")?;
    let Some(dst) = buf.get_mut(..=text.len()) else {
        len.set(text.len() + 1);
        return Err(Fail::Buffer(text.len() + 1, what));
    };
    let (body, nul) = dst.split_at_mut(text.len());
    body.copy_from_slice(text.as_bytes());
    nul.fill(0);
    len.set(text.len());
    Ok(())
}

/// A buffer a state-changing command will fill: refused before anything
/// is sent when it cannot hold the largest answer (`*len` = that size).
fn room(
    buf: &Option<&mut [u8]>,
    len: &mut Out<'_, usize>,
    max: usize,
    what: &'static str,
) -> Result<(), Fail> {
    match buf {
        Some(b) if b.len() >= max => Ok(()),
        Some(_) => {
            len.set(max);
            Err(Fail::Buffer(max, what))
        }
        None => Err(Fail::Argument("buffer: NULL or impossibly long")),
    }
}

/// A trusted public key: SEC1 bytes, or PEM text.
fn public_key(bytes: Option<&[u8]>, what: &'static str) -> Result<EcPublicKey, Fail> {
    let bytes = required(bytes, what)?;
    if bytes.starts_with(b"-----BEGIN") {
        let text = core::str::from_utf8(bytes).map_err(|_| Fail::Argument(what))?;
        EcPublicKey::from_pem(text)
    } else {
        EcPublicKey::from_sec1(bytes)
    }
    .map_err(|_| Fail::Lib(mfs_host::Error::Key(mfs_host::KeyError::Unusable)))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Fail> {
    serde_json::to_string(value).map_err(|_| Fail::Lib(mfs_host::Error::BadReply))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

// ---- library ----

/// The library's version, `MAJOR.MINOR.PATCH` (NUL-terminated, static).
///
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn mfs_version() -> *const c_char {
    const V: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    V.as_ptr()
}

/// Opens a session with the TA through libteec.
///
/// `uuid`: the TA's UUID text, or NULL for the one this library was built
/// for. `login`: `MFS_LOGIN_PUBLIC`, `MFS_LOGIN_USER` or
/// `MFS_LOGIN_GROUP`; `group`: the group id for a group login (the
/// process must be a member), ignored otherwise. On success `*out` is a
/// handle to free with `mfs_close`; on failure `*out` is NULL.
///
/// Thread-safe. A handle must not be used by two threads at once; separate
/// handles may be used concurrently.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_open(
    uuid: *const c_char,
    login: u32,
    group: u32,
    out: *mut *mut mfs_client,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: the caller keeps mfs.h's contract: each pointer is NULL or
    // valid for its use during this call.
    let (uuid, mut out, err) = unsafe { (edge::text(uuid), Out::new(out), Out::new(err)) };
    if let Some(o) = out.as_mut() {
        o.set(core::ptr::null_mut());
    }
    finish(
        err,
        (|| {
            let mut out = required(out, "out: NULL")?;
            let uuid = utf8(uuid, "uuid: not UTF-8")?;
            let login = Login::from_c(login, group)?;
            let c = crate::session::open(uuid, login)?;
            out.set(edge::into_handle(c));
            Ok(())
        })(),
    )
}

/// Closes a session and frees its handle. NULL is ignored.
///
/// # Safety
/// `client` is NULL or a handle from `mfs_open` not closed before, and no
/// other thread uses it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_close(client: *mut mfs_client) {
    // SAFETY: per this function's contract.
    drop(unsafe { edge::from_handle(client) });
}

/// Writes `err`'s message (or, for NULL, a fixed text) — a convenience
/// for `printf("%s", mfs_strerror(&e))`. The pointer is into `err`.
///
/// # Safety
/// `err` is NULL or a valid `mfs_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_strerror(err: *const mfs_error) -> *const c_char {
    // SAFETY: per this function's contract.
    match unsafe { edge::get(err) } {
        Some(e) => e.message.as_ptr(),
        None => c"no error information (NULL mfs_error)".as_ptr(),
    }
}

// ---- system ----

/// `Ping`: the TA echoes `echo` into `*out`. Any login.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_ping(
    client: *mut mfs_client,
    echo: u32,
    out: *mut u32,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, out, err) = unsafe { (edge::get_mut(client), Out::new(out), Out::new(err)) };
    finish(
        err,
        (|| {
            let mut out = required(out, "out: NULL")?;
            out.set(live(c)?.client.ping(echo)?);
            Ok(())
        })(),
    )
}

/// `Info`: what the TA says about itself and this session. Any login.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_info(
    client: *mut mfs_client,
    out: *mut mfs_ta_info,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, out, err) = unsafe { (edge::get_mut(client), Out::new(out), Out::new(err)) };
    finish(
        err,
        (|| {
            let mut out = required(out, "out: NULL")?;
            let r = live(c)?.client.info()?;
            out.set(mfs_ta_info::from(&r));
            Ok(())
        })(),
    )
}

/// `Provision` (admin, once): the PIN try limit (3–15), the throttle base
/// delay (ms, at most 60,000; 0: none), the issuer's unblock key (SEC1
/// uncompressed, 65 bytes, or PEM text) and whether to require
/// rollback-protected storage (the production setting: PIN, consent and
/// usage-limited services are then refused on REE FS with
/// `MFS_STATUS_ROLLBACK_UNPROTECTED`).
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_provision(
    client: *mut mfs_client,
    pin_max_tries: u8,
    pin_throttle_ms: u32,
    issuer_key: *const u8,
    issuer_key_len: usize,
    require_rollback_protection: bool,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, key, err) = unsafe {
        (
            edge::get_mut(client),
            edge::bytes(issuer_key, issuer_key_len),
            Out::new(err),
        )
    };
    finish(
        err,
        (|| {
            let c = live(c)?;
            let key = public_key(key, "issuer_key: NULL or not UTF-8 PEM")?;
            let sec1: [u8; mfs_proto::types::EC_POINT_LEN] = key
                .sec1()
                .try_into()
                .map_err(|_| Fail::Argument("issuer_key: not a P-256 point"))?;
            c.client.provision_policy(
                pin_max_tries,
                pin_throttle_ms,
                &sec1,
                require_rollback_protection,
            )?;
            Ok(())
        })(),
    )
}

/// `Wipe` (admin): destroys every key, every PIN, the policy and the
/// TA-unique secret. Irreversible. `*objects_destroyed` (may be NULL).
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_wipe(
    client: *mut mfs_client,
    objects_destroyed: *mut u32,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, out, err) = unsafe {
        (
            edge::get_mut(client),
            Out::new(objects_destroyed),
            Out::new(err),
        )
    };
    finish(
        err,
        (|| {
            let r = live(c)?.client.wipe()?;
            if let Some(mut o) = out {
                o.set(r.objects_destroyed);
            }
            Ok(())
        })(),
    )
}

// ---- PIN ----
//
// PINs come as ASCII digits in a caller buffer (`pin`, `pin_len`, no NUL
// needed) that the library overwrites with zeros before it returns, on
// every path. The library builds the ISO 9564 format 4 block and the
// transport key itself; the PIN never leaves the process in clear.
// `pan`: the account number bound into the block (1–19 digits), or NULL.

/// `PinStatus`: this client's PIN state.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_pin_status(
    client: *mut mfs_client,
    out: *mut mfs_pin_state,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, out, err) = unsafe { (edge::get_mut(client), Out::new(out), Out::new(err)) };
    finish(
        err,
        (|| {
            let mut out = required(out, "out: NULL")?;
            out.set(mfs_pin_state::from(&live(c)?.client.pin_status()?));
            Ok(())
        })(),
    )
}

/// What every PIN command ends with: the status reply, if asked for.
fn pin_reply(
    out: Option<Out<'_, mfs_pin_state>>,
    r: &mfs_proto::PinStatusReply,
) -> Result<(), Fail> {
    if let Some(mut o) = out {
        o.set(mfs_pin_state::from(r));
    }
    Ok(())
}

/// `PinSet`: sets this client's first PIN. `out` may be NULL.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid; `pin` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_pin_set(
    client: *mut mfs_client,
    pin: *mut u8,
    pin_len: usize,
    pan: *const c_char,
    out: *mut mfs_pin_state,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, pin, pan, out, err) = unsafe {
        (
            edge::get_mut(client),
            edge::bytes_mut(pin, pin_len),
            edge::text(pan),
            Out::new(out),
            Out::new(err),
        )
    };
    let pin = take_pin(pin, "pin: NULL");
    finish(
        err,
        (|| {
            let (c, pin) = (live(c)?, pin?);
            let r = c.client.pin_set(&pin, utf8(pan, "pan: not UTF-8")?)?;
            pin_reply(out, &r)
        })(),
    )
}

/// `PinVerify`. With `key_id` (not NULL) a match also opens that key's
/// PIN window (rule `MFS_PIN_WINDOW`) for one use. A wrong PIN is
/// `MFS_ERR_STATUS` with `MFS_STATUS_PIN_INCORRECT` and the tries left in
/// `detail`. `out` may be NULL.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid; `pin` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_pin_verify(
    client: *mut mfs_client,
    pin: *mut u8,
    pin_len: usize,
    pan: *const c_char,
    key_id: *const c_char,
    out: *mut mfs_pin_state,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, pin, pan, key_id, out, err) = unsafe {
        (
            edge::get_mut(client),
            edge::bytes_mut(pin, pin_len),
            edge::text(pan),
            edge::text(key_id),
            Out::new(out),
            Out::new(err),
        )
    };
    let pin = take_pin(pin, "pin: NULL");
    finish(
        err,
        (|| {
            let (c, pin) = (live(c)?, pin?);
            let pan = utf8(pan, "pan: not UTF-8")?;
            let r = match utf8(key_id, "key_id: not UTF-8")? {
                Some(id) => c.client.pin_verify_for_key(&pin, pan, id)?,
                None => c.client.pin_verify(&pin, pan)?,
            };
            pin_reply(out, &r)
        })(),
    )
}

/// `PinChange`: both PIN buffers are wiped. `out` may be NULL.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid; both PIN buffers writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_pin_change(
    client: *mut mfs_client,
    old_pin: *mut u8,
    old_pin_len: usize,
    new_pin: *mut u8,
    new_pin_len: usize,
    pan: *const c_char,
    out: *mut mfs_pin_state,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, old, pan, out, err) = unsafe {
        (
            edge::get_mut(client),
            edge::bytes_mut(old_pin, old_pin_len),
            edge::text(pan),
            Out::new(out),
            Out::new(err),
        )
    };
    // The old PIN is taken (and wiped) before the new one's buffer is
    // borrowed: the same buffer passed twice is never borrowed twice.
    let old = take_pin(old, "old_pin: NULL or impossibly long");
    // SAFETY: as above; `old`'s borrow has ended.
    let new = take_pin(
        unsafe { edge::bytes_mut(new_pin, new_pin_len) },
        "new_pin: NULL or impossibly long",
    );
    finish(
        err,
        (|| {
            let (c, old, new) = (live(c)?, old?, new?);
            let r = c
                .client
                .pin_change(&old, &new, utf8(pan, "pan: not UTF-8")?)?;
            pin_reply(out, &r)
        })(),
    )
}

/// `PinUnblock`: sets `new_pin` and unblocks, authorised by the issuer's
/// signature over the PIN session's challenge, made by `sign(ctx, ...)`
/// (see `mfs_issuer_sign_fn`). `out` may be NULL.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid; `new_pin` writable; `sign`
/// keeps its own contract.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_pin_unblock(
    client: *mut mfs_client,
    new_pin: *mut u8,
    new_pin_len: usize,
    pan: *const c_char,
    sign: mfs_issuer_sign_fn,
    ctx: *mut c_void,
    out: *mut mfs_pin_state,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, new, pan, out, err) = unsafe {
        (
            edge::get_mut(client),
            edge::bytes_mut(new_pin, new_pin_len),
            edge::text(pan),
            Out::new(out),
            Out::new(err),
        )
    };
    let new = take_pin(new, "new_pin: NULL");
    finish(
        err,
        (|| {
            let (c, new) = (live(c)?, new?);
            let sign = required(sign, "sign: NULL")?;
            let mut failed = false;
            let r = c
                .client
                .pin_unblock(&new, utf8(pan, "pan: not UTF-8")?, |msg| {
                    let mut sig = vec![0u8; MFS_SIGNATURE_MAX];
                    let mut len = 0usize;
                    // SAFETY: `msg` and `sig` are valid for the lengths passed,
                    // `len` for a write; the callback's own contract
                    // (mfs_issuer_sign_fn) is the caller's to keep.
                    let rc = unsafe {
                        sign(
                            ctx,
                            msg.as_ptr(),
                            msg.len(),
                            sig.as_mut_ptr(),
                            sig.len(),
                            &mut len,
                        )
                    };
                    if rc != 0 || len == 0 || len > sig.len() {
                        failed = true;
                        return Err(mfs_host::Error::Key(mfs_host::KeyError::Signature));
                    }
                    sig.truncate(len);
                    Ok(sig)
                });
            match r {
                Err(_) if failed => Err(Fail::Callback),
                r => pin_reply(out, &r?),
            }
        })(),
    )
}

// ---- keys ----

/// `KeyGenerate`: a new P-256 key owned by this client, with `label`
/// (UTF-8, at most 32 bytes) and `policy`. `out` may be NULL.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_key_generate(
    client: *mut mfs_client,
    label: *const c_char,
    policy: *const mfs_key_policy,
    out: *mut mfs_key,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, label, policy, out, err) = unsafe {
        (
            edge::get_mut(client),
            edge::text(label),
            edge::get(policy),
            Out::new(out),
            Out::new(err),
        )
    };
    finish(
        err,
        (|| {
            let c = live(c)?;
            let label = need_utf8(label, "label: NULL or not UTF-8")?;
            let policy = required(policy, "policy: NULL")?.to_policy()?;
            let r = c.client.key_generate(label, policy)?;
            if let Some(mut o) = out {
                o.set(mfs_key::from_reply(&r)?);
            }
            Ok(())
        })(),
    )
}

/// `KeyList`: this client's keys into `keys` (room for `cap`), their
/// number in `*count`. Too small: `MFS_ERR_BUFFER_TOO_SMALL`, `*count` and
/// `mfs_error.needed` the number of keys (at most 1,000).
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid; `keys` valid for `cap`
/// entries.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_key_list(
    client: *mut mfs_client,
    keys: *mut mfs_key_summary,
    cap: usize,
    count: *mut usize,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, count, err) = unsafe { (edge::get_mut(client), Out::new(count), Out::new(err)) };
    finish(
        err,
        (|| {
            let c = live(c)?;
            let mut count = required(count, "count: NULL")?;
            let list = c.client.key_list()?;
            count.set(list.len());
            if list.len() > cap {
                return Err(Fail::Buffer(list.len(), "keys"));
            }
            if list.is_empty() {
                return Ok(());
            }
            for (i, k) in list.iter().enumerate() {
                // SAFETY: mfs.h's contract: `keys` is valid for writes of
                // `cap` entries, and `i < list.len() <= cap`.
                let mut slot =
                    unsafe { Out::new(keys.add(i)) }.ok_or(Fail::Argument("keys: NULL"))?;
                slot.set(mfs_key_summary::from_summary(k));
            }
            Ok(())
        })(),
    )
}

/// `KeyInfo` of this client's key `id`.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_key_info(
    client: *mut mfs_client,
    id: *const c_char,
    out: *mut mfs_key,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, id, out, err) = unsafe {
        (
            edge::get_mut(client),
            edge::text(id),
            Out::new(out),
            Out::new(err),
        )
    };
    finish(
        err,
        (|| {
            let c = live(c)?;
            let mut out = required(out, "out: NULL")?;
            let r = c.client.key_info(need_utf8(id, "id: NULL or not UTF-8")?)?;
            out.set(mfs_key::from_reply(&r)?);
            Ok(())
        })(),
    )
}

/// The public key of `id` as `MFS_KEY_FORMAT_SEC1` (65 bytes),
/// `MFS_KEY_FORMAT_DER` (SPKI) or `MFS_KEY_FORMAT_PEM` (text, NUL
/// written, `*len` without it). When `buf` is too small `*len` is the size
/// needed.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid; `buf` valid for `cap` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_key_public(
    client: *mut mfs_client,
    id: *const c_char,
    format: u32,
    buf: *mut u8,
    cap: usize,
    len: *mut usize,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, id, buf, len, err) = unsafe {
        (
            edge::get_mut(client),
            edge::text(id),
            edge::bytes_mut(buf, cap),
            Out::new(len),
            Out::new(err),
        )
    };
    finish(
        err,
        (|| {
            let c = live(c)?;
            let mut len = length(len)?;
            let key = c
                .client
                .key_public(need_utf8(id, "id: NULL or not UTF-8")?)?;
            match format {
                MFS_KEY_FORMAT_SEC1 => put_bytes(buf, &mut len, &key.sec1(), "buffer"),
                MFS_KEY_FORMAT_DER => {
                    put_bytes(buf, &mut len, &key.encode(PublicKeyFormat::Der)?, "buffer")
                }
                MFS_KEY_FORMAT_PEM => put_text(buf, &mut len, &key.pem()?, "buffer"),
                _ => Err(Fail::Argument("format: not an MFS_KEY_FORMAT_* value")),
            }
        })(),
    )
}

/// `KeyDelete` of this client's key `id`.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_key_delete(
    client: *mut mfs_client,
    id: *const c_char,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, id, err) = unsafe { (edge::get_mut(client), edge::text(id), Out::new(err)) };
    finish(
        err,
        (|| {
            let c = live(c)?;
            c.client
                .key_delete(need_utf8(id, "id: NULL or not UTF-8")?)?;
            Ok(())
        })(),
    )
}

/// `KeySign`: ECDSA P-256 / SHA-256 over `msg` (at most 512 bytes), DER
/// into `sig` (at least `MFS_SIGNATURE_MAX` bytes, checked before the TA
/// is asked), `*sig_len`; `*uses` (may be NULL) the key's uses after.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid; `sig` valid for `sig_cap`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_key_sign(
    client: *mut mfs_client,
    id: *const c_char,
    msg: *const u8,
    msg_len: usize,
    sig: *mut u8,
    sig_cap: usize,
    sig_len: *mut usize,
    uses: *mut u32,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, id, msg, sig, sig_len, uses, err) = unsafe {
        (
            edge::get_mut(client),
            edge::text(id),
            edge::bytes(msg, msg_len),
            edge::bytes_mut(sig, sig_cap),
            Out::new(sig_len),
            Out::new(uses),
            Out::new(err),
        )
    };
    finish(
        err,
        (|| {
            let c = live(c)?;
            let id = need_utf8(id, "id: NULL or not UTF-8")?;
            let msg = required(msg, "msg: NULL")?;
            let mut sig_len = required(sig_len, "sig_len: NULL")?;
            room(&sig, &mut sig_len, MFS_SIGNATURE_MAX, "sig")?;
            let (der, n) = c.client.key_sign(id, msg)?;
            put_bytes(sig, &mut sig_len, &der, "sig")?;
            if let Some(mut u) = uses {
                u.set(n);
            }
            Ok(())
        })(),
    )
}

/// `KeyAttest`: a statement about key `id` answering `challenge` (at
/// most 64 bytes), signed by the TA attestation key or, when `attest_key`
/// is not NULL, by this client's attest-purpose key of that id, as the
/// JSON document `mfs key attest`
/// writes (NUL-terminated in `json`, at least `MFS_DOCUMENT_MAX` bytes;
/// `*len` without the NUL). Check it with `mfs_attestation_verify`.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid; `json` valid for `cap`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_key_attest(
    client: *mut mfs_client,
    id: *const c_char,
    challenge: *const u8,
    challenge_len: usize,
    attest_key: *const c_char,
    json: *mut c_char,
    cap: usize,
    len: *mut usize,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, id, challenge, attest_key, buf, len, err) = unsafe {
        (
            edge::get_mut(client),
            edge::text(id),
            edge::bytes(challenge, challenge_len),
            edge::text(attest_key),
            edge::chars_mut(json, cap),
            Out::new(len),
            Out::new(err),
        )
    };
    finish(
        err,
        (|| {
            let c = live(c)?;
            let id = need_utf8(id, "id: NULL or not UTF-8")?;
            let challenge = required(challenge, "challenge: NULL")?;
            let attest_key = utf8(attest_key, "attest_key: not UTF-8")?;
            let mut len = length(len)?;
            room(&buf, &mut len, MFS_DOCUMENT_MAX, "json")?;
            let r = c.client.key_attest(id, challenge, attest_key)?;
            put_text(buf, &mut len, &to_json(&r)?, "json")
        })(),
    )
}

/// `KeyExport`: the key sealed for backup (`exportable` keys only) into
/// `blob` (at least `MFS_KEY_BLOB_MAX` bytes, checked first), `*len`.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid; `blob` valid for `cap`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_key_export(
    client: *mut mfs_client,
    id: *const c_char,
    blob: *mut u8,
    cap: usize,
    len: *mut usize,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, id, blob, len, err) = unsafe {
        (
            edge::get_mut(client),
            edge::text(id),
            edge::bytes_mut(blob, cap),
            Out::new(len),
            Out::new(err),
        )
    };
    finish(
        err,
        (|| {
            let c = live(c)?;
            let id = need_utf8(id, "id: NULL or not UTF-8")?;
            let mut len = length(len)?;
            room(&blob, &mut len, MFS_KEY_BLOB_MAX, "blob")?;
            let sealed = c.client.key_export(id)?;
            put_bytes(blob, &mut len, &sealed, "blob")
        })(),
    )
}

/// `KeyImport`: restores a blob from `mfs_key_export` (same TA only).
/// `out` may be NULL.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_key_import(
    client: *mut mfs_client,
    blob: *const u8,
    len: usize,
    out: *mut mfs_key,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, blob, out, err) = unsafe {
        (
            edge::get_mut(client),
            edge::bytes(blob, len),
            Out::new(out),
            Out::new(err),
        )
    };
    finish(
        err,
        (|| {
            let c = live(c)?;
            let r = c.client.key_import(required(blob, "blob: NULL")?)?;
            if let Some(mut o) = out {
                o.set(mfs_key::from_reply(&r)?);
            }
            Ok(())
        })(),
    )
}

// ---- transactions ----

/// `TxSign`: signs `tx` with key `key_id` after the TA checks the PIN (in
/// the same call; the PIN buffer is wiped). The record is checked first
/// (`MFS_ERR_RECORD` names the rule). The reply is verified (signature,
/// key, record) and written as the JSON document `mfs tx sign` writes to
/// `json` (at least `MFS_DOCUMENT_MAX` bytes, checked before the TA is
/// asked; `*len` without the NUL). Show `tx->display` to the user before
/// asking for the PIN.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid, including those in `tx`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_tx_sign(
    client: *mut mfs_client,
    key_id: *const c_char,
    pin: *mut u8,
    pin_len: usize,
    pan: *const c_char,
    tx: *const mfs_tx,
    json: *mut c_char,
    cap: usize,
    len: *mut usize,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use;
    // the pointers inside `*tx` likewise.
    let (c, key_id, pin, pan, tx, buf, len, err) = unsafe {
        let tx = edge::get(tx);
        (
            edge::get_mut(client),
            edge::text(key_id),
            edge::bytes_mut(pin, pin_len),
            edge::text(pan),
            tx.map(|t| {
                (
                    t.amount,
                    edge::text(t.currency),
                    edge::text(t.payee),
                    edge::text(t.display),
                    edge::bytes(t.challenge, t.challenge_len),
                    t.time,
                )
            }),
            edge::chars_mut(json, cap),
            Out::new(len),
            Out::new(err),
        )
    };
    let pin = take_pin(pin, "pin: NULL");
    finish(
        err,
        (|| {
            let (c, pin) = (live(c)?, pin?);
            let id = need_utf8(key_id, "key_id: NULL or not UTF-8")?;
            let (amount, currency, payee, display, challenge, time) = required(tx, "tx: NULL")?;
            let currency = need_utf8(currency, "tx.currency: NULL or not UTF-8")?;
            let payee = need_utf8(payee, "tx.payee: NULL or not UTF-8")?;
            let display = match utf8(display, "tx.display: not UTF-8")? {
                Some(d) => d.to_string(),
                None => canonical_display(amount, currency, payee)?,
            };
            let challenge = required(challenge, "tx.challenge: NULL")?;
            let record = record(amount, currency, payee, &display, challenge, time)?;
            let mut len = length(len)?;
            room(&buf, &mut len, MFS_DOCUMENT_MAX, "json")?;
            let r = c
                .client
                .tx_sign(id, &pin, utf8(pan, "pan: not UTF-8")?, &record)?;
            put_text(buf, &mut len, &to_json(&r)?, "json")
        })(),
    )
}

fn record(
    amount: u64,
    currency: &str,
    payee: &str,
    display: &str,
    challenge: &[u8],
    time: u64,
) -> Result<TxRecord, Fail> {
    use mfs_host::Error::{Input, Record};
    use mfs_host::tx::InvalidRecord;
    let hex: String = challenge.iter().map(|b| format!("{b:02x}")).collect();
    Ok(TxRecord {
        amount,
        currency: currency
            .try_into()
            .map_err(|_| Record(InvalidRecord::Currency))?,
        payee: payee.try_into().map_err(|_| Record(InvalidRecord::Payee))?,
        display: display
            .try_into()
            .map_err(|_| Record(InvalidRecord::Display))?,
        challenge: hex
            .as_str()
            .try_into()
            .map_err(|_| Input(mfs_host::InputError::ChallengeTooLong))?,
        time: if time == 0 { now() } else { time },
    })
}

/// Verifies a signed transaction document (from `mfs_tx_sign` or
/// `mfs tx sign`): signature under `trusted_key` (SEC1 bytes or PEM
/// text), strict encoding, and `challenge` if not NULL. `out` may be NULL.
///
/// Thread-safe (no handle, no shared state).
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_tx_verify(
    json: *const c_char,
    trusted_key: *const u8,
    trusted_key_len: usize,
    challenge: *const u8,
    challenge_len: usize,
    out: *mut mfs_tx_verified,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (doc, key, challenge, out, err) = unsafe {
        (
            edge::text(json),
            edge::bytes(trusted_key, trusted_key_len),
            edge::optional_bytes(challenge, challenge_len),
            Out::new(out),
            Out::new(err),
        )
    };
    finish(
        err,
        (|| {
            let doc = need_utf8(doc, "json: NULL or not UTF-8")?;
            let key = public_key(key, "trusted_key: NULL or not UTF-8 PEM")?;
            let reply: TxSignReply = serde_json::from_str(doc)
                .map_err(|_| Fail::Lib(mfs_host::Error::Tx(mfs_host::tx::TxError::Encoding)))?;
            let tx = verify_tx(&reply, &key, challenge).map_err(mfs_host::Error::Tx)?;
            if let Some(mut o) = out {
                let mut v = mfs_tx_verified {
                    key_id: [0; MFS_KEY_ID_LEN],
                    counter: tx.counter,
                    amount: tx.record.amount,
                    currency: [0; 4],
                    payee: [0; 65],
                    display: [0; 257],
                    time: tx.record.time,
                };
                let id: String = tx.key_id.iter().map(|b| format!("{b:02x}")).collect();
                put_message(&mut v.key_id, &id);
                put_message(&mut v.currency, &tx.record.currency);
                put_message(&mut v.payee, &tx.record.payee);
                put_message(&mut v.display, &tx.record.display);
                o.set(v);
            }
            Ok(())
        })(),
    )
}

// ---- attestation ----

/// Verifies an attestation document (from `mfs_key_attest`): signature,
/// `challenge`, and when not NULL the attested key (`expected_key`) and a
/// pinned attestation key (`pinned_key`), each SEC1 bytes or PEM text.
/// Without a pinned key the signature only proves the statement came from
/// whoever holds the key in the document.
///
/// Thread-safe.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_attestation_verify(
    json: *const c_char,
    challenge: *const u8,
    challenge_len: usize,
    expected_key: *const u8,
    expected_key_len: usize,
    pinned_key: *const u8,
    pinned_key_len: usize,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (doc, challenge, expected, pinned, err) = unsafe {
        (
            edge::text(json),
            edge::bytes(challenge, challenge_len),
            edge::optional_bytes(expected_key, expected_key_len),
            edge::optional_bytes(pinned_key, pinned_key_len),
            Out::new(err),
        )
    };
    finish(
        err,
        (|| {
            let doc = need_utf8(doc, "json: NULL or not UTF-8")?;
            let challenge = required(challenge, "challenge: NULL")?;
            let expected = expected
                .map(|k| public_key(Some(k), "expected_key: not UTF-8 PEM"))
                .transpose()?;
            let pinned = pinned
                .map(|k| public_key(Some(k), "pinned_key: not UTF-8 PEM"))
                .transpose()?;
            let reply: KeyAttestReply = serde_json::from_str(doc).map_err(|_| {
                mfs_host::Error::Attestation(mfs_host::keys::AttestationError::Malformed)
            })?;
            verify_attestation(&reply, challenge, expected.as_ref(), pinned.as_ref())
                .map_err(mfs_host::Error::Attestation)?;
            Ok(())
        })(),
    )
}

// ---- event log ----

/// Exports the event log: a head the TA signs over `challenge` (at most
/// 64 bytes) and every retained entry (details only for the admin), as
/// the JSON document `mfs log export` writes. Read-only: when `json` is
/// too small, `MFS_ERR_BUFFER_TOO_SMALL` with the size needed in `*len` and
/// `mfs_error.needed`; call again with a larger buffer.
///
/// Threads: never concurrently with another call on the same `client`.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid; `json` valid for `cap`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_log_export(
    client: *mut mfs_client,
    challenge: *const u8,
    challenge_len: usize,
    json: *mut c_char,
    cap: usize,
    len: *mut usize,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (c, challenge, buf, len, err) = unsafe {
        (
            edge::get_mut(client),
            edge::bytes(challenge, challenge_len),
            edge::chars_mut(json, cap),
            Out::new(len),
            Out::new(err),
        )
    };
    finish(
        err,
        (|| {
            let c = live(c)?;
            let challenge = required(challenge, "challenge: NULL")?;
            let mut len = length(len)?;
            let x = c.client.log_export(challenge)?;
            put_text(buf, &mut len, &to_json(&x)?, "json")
        })(),
    )
}

/// Verifies a log export document against the pinned TA attestation key
/// `trusted_key` (SEC1 bytes or PEM text) and `challenge` (if not NULL).
/// An error names the first bad entry in `mfs_error.message`. `out` may be
/// NULL.
///
/// Thread-safe.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_log_verify(
    json: *const c_char,
    trusted_key: *const u8,
    trusted_key_len: usize,
    challenge: *const u8,
    challenge_len: usize,
    out: *mut mfs_log_verified,
    err: *mut mfs_error,
) -> mfs_rc {
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (doc, key, challenge, out, err) = unsafe {
        (
            edge::text(json),
            edge::bytes(trusted_key, trusted_key_len),
            edge::optional_bytes(challenge, challenge_len),
            Out::new(out),
            Out::new(err),
        )
    };
    finish(
        err,
        (|| {
            let doc = need_utf8(doc, "json: NULL or not UTF-8")?;
            let key = public_key(key, "trusted_key: NULL or not UTF-8 PEM")?;
            let x: Export = serde_json::from_str(doc)
                .map_err(|_| mfs_host::Error::Log(mfs_host::log::LogError::Format))?;
            let head =
                verify_export(&x, Signer::Pinned(&key), challenge).map_err(mfs_host::Error::Log)?;
            if let Some(mut o) = out {
                o.set(mfs_log_verified {
                    first_seq: head.first_seq,
                    next_seq: head.next_seq,
                    entries: x.entries.len(),
                });
            }
            Ok(())
        })(),
    )
}

#[cfg(test)]
mod test {
    use super::*;

    /// The sizes in `mfs.h` are literals: they must be the protocol's.
    #[test]
    fn sizes_match_the_protocol() {
        assert_eq!(MFS_DOCUMENT_MAX, mfs_proto::MAX_REPLY_LEN + 1);
        assert_eq!(MFS_SIGNATURE_MAX, mfs_proto::types::DER_SIGNATURE_MAX_LEN);
        assert_eq!(MFS_KEY_BLOB_MAX, mfs_proto::SEALED_BLOB_MAX_LEN);
    }
}
