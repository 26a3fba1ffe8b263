//! Key commands (ISO/TS 12812-2 7.4.2, 8.1.3, 8.2; ISO 11568): generate,
//! list, info, delete, sign, attest, export and import. Keys are generated
//! inside the TA, sealed by `crate::seal`, stored by `crate::store::keys`,
//! and every use is decided by `crate::policy` and logged by
//! `crate::audit` before its result leaves the TA.
//!
//! Every key belongs to the client identity that generated or imported it
//! (`crate::access::Owner`, sealed into the blob): only its owner may see,
//! use, export or delete it; to every other client it does not exist
//! (`key-not-found`). Each client holds at most `MAX_KEYS_PER_CLIENT`.
//!
//! Each key change is one atomic write of the key's slot
//! (`crate::store::keys`), then the event: a power cut leaves the key
//! either as it was or changed, never half-written; a cut before the event
//! loses that event, but then its outcome was never released either.

use mfs_proto::log::{EventKind, RefusalClass};
use mfs_proto::{
    CHALLENGE_MAX_LEN, KEY_ID_LEN, KEY_LIST_PAGE, KeyAttestReply, KeyAttestRequest, KeyDeleteReply,
    KeyExportReply, KeyGenerateRequest, KeyImportRequest, KeyInfoReply, KeyListReply, KeySignReply,
    KeySignRequest, KeySummary, PinRule, PolicyReason, Purpose, RESERVED_PREFIX, Reader,
    SEALED_BLOB_MAX_LEN, SIGN_MESSAGE_MAX_LEN, Statement, hex_prefix, hex_string, valid_label,
};

use crate::access::Caller;
use crate::audit::{self, Event};
use crate::crypto::{self, Key32, sig_hex, sign_der};
use crate::error::Error;
use crate::facts::TaFacts;
use crate::journal;
use crate::platform::Platform;
use crate::policy::{self, PinProof};
use crate::seal::{self, Attributes, KeyId};
use crate::signer;
use crate::state::{Instance, PinClocks};
use crate::store::config::Config;
use crate::store::keys::Loaded;
use crate::store::secret;

#[cfg(test)]
mod test;

/// The KEK derived afresh from the stored secret. Generate, info, export
/// and import read the secret on every call, so a missing or damaged
/// secret is reported by them even while signing runs from the KEK cached
/// in `state::KekCache`.
fn stored_kek(p: &mut impl Platform) -> Result<Key32, Error> {
    Ok(seal::kek(&secret::load(p)?))
}

/// `KeyGenerate`.
pub fn generate(
    p: &mut impl Platform,
    inst: &mut Instance,
    caller: &Caller,
    req: &KeyGenerateRequest,
) -> Result<KeyInfoReply, Error> {
    if !valid_label(&req.label) || req.policy.check().is_err() {
        return Err(Error::InvalidArgument);
    }
    if let Some(t) = req.policy.not_after
        && t <= p.ree_time_s()
    {
        return Err(Error::InvalidArgument);
    }
    let cfg = Config::require(p)?;
    if req.policy.max_uses.is_some() || req.policy.pin != PinRule::None {
        cfg.check_protected(p)?;
    }
    let kek = &stored_kek(p)?;
    inst.vault.room(p, caller)?;
    let id = fresh_id(p, inst)?;
    let secret = crypto::random_secret_key(p)?;
    let attrs = Attributes {
        id,
        policy: req.policy,
        label: req.label.clone(),
        public_key: crypto::sec1_uncompressed(&secret.public_key())?,
        owner: caller.owner(),
    };
    let blob = seal::seal(p, kek, &attrs, &secret)?;
    inst.vault.add(p, (id, caller.tag()), &blob)?;
    let ev = Event::key_added(EventKind::KeyGenerated, &id.0, &attrs.policy);
    journal::append(p, &mut inst.log, &[ev])?;
    attrs.info(0)
}

/// A new random id (never zero, not in use).
fn fresh_id(p: &mut impl Platform, inst: &mut Instance) -> Result<KeyId, Error> {
    for _ in 0..8 {
        let mut id = [0u8; KEY_ID_LEN];
        p.random(&mut id)?;
        let id = KeyId(id);
        if id.0 != [0; KEY_ID_LEN] && !inst.vault.contains(p, id)? {
            return Ok(id);
        }
    }
    Err(Error::Internal)
}

/// `KeyList`: one page of the caller's keys from `offset` (counted in the
/// caller's keys only, in slot order).
pub fn list(
    p: &mut impl Platform,
    inst: &mut Instance,
    caller: &Caller,
    offset: u16,
) -> Result<KeyListReply, Error> {
    let owned = inst.vault.owned_by(p, caller)?;
    let mut keys = heapless::Vec::new();
    for id in owned.iter().skip(usize::from(offset)).take(KEY_LIST_PAGE) {
        let Some(blob) = inst.vault.blob(p, caller, *id)? else {
            continue;
        };
        let attrs = Attributes::parse_header(&mut Reader::new(&blob)).ok_or(Error::Storage)?;
        if !caller.owns(&attrs.owner) {
            // The index and the blob disagree: trust the blob's owner.
            continue;
        }
        keys.push(KeySummary {
            id: id.hex()?,
            label: attrs.label,
            purpose: attrs.policy.purpose,
        })
        .map_err(|_| Error::Internal)?;
    }
    Ok(KeyListReply {
        total: u16::try_from(owned.len()).map_err(|_| Error::Internal)?,
        keys,
    })
}

/// `KeyInfo`: unseals the key (so a tampered key shows as such).
pub fn info(
    p: &mut impl Platform,
    inst: &mut Instance,
    caller: &Caller,
    id: &str,
) -> Result<KeyInfoReply, Error> {
    let id = KeyId::parse(id)?;
    let kek = stored_kek(p)?;
    let s = inst.vault.load(p, caller, id, &kek)?;
    s.key().attrs.info(s.key().uses)
}

/// `KeyDelete` of one of the caller's keys: one write, its slot zeroed.
pub fn delete(
    p: &mut impl Platform,
    inst: &mut Instance,
    caller: &Caller,
    id: &str,
) -> Result<KeyDeleteReply, Error> {
    let id = KeyId::parse(id)?;
    // Forgotten first: a delete that fails halfway never leaves a deleted
    // key usable from memory.
    inst.keys.forget(id);
    inst.vault.remove(p, caller, id)?;
    journal::append(
        p,
        &mut inst.log,
        &[Event::key(EventKind::KeyDeleted, &id.0)],
    )?;
    Ok(KeyDeleteReply { id: id.hex()? })
}

/// [`policy::check`] for one use of `k`, logging a refusal before the
/// caller learns it. A use that passes by the caller's PIN window for this
/// key takes the window (one verification, one use).
pub fn authorize(
    p: &mut impl Platform,
    (pins, log, caller): (&mut PinClocks, &mut audit::Cache, &Caller),
    k: &Loaded,
    purpose: Purpose,
    proof: Option<PinProof>,
) -> Result<(), Error> {
    let mut timers = pins.of(caller.tag());
    let window = timers
        .window
        .filter(|w| w.key == k.attrs.id.0)
        .map(|w| w.opened_ms);
    // PIN-gated and usage-limited keys depend on storage not going back.
    if k.attrs.policy.max_uses.is_some() || k.attrs.policy.pin != PinRule::None {
        Config::require(p)?.check_protected(p)?;
    }
    let by_window = proof.is_none() && k.attrs.policy.pin == PinRule::Window;
    let proof = proof.unwrap_or(PinProof::Earlier(window));
    let result = policy::check(&k.attrs.policy, k.uses, purpose, proof, p);
    if result.is_ok() && by_window {
        timers.window = None;
        pins.set(caller.tag(), timers);
    }
    match result {
        Err(Error::PolicyViolation(reason)) => {
            let class = match reason {
                PolicyReason::Purpose | PolicyReason::NotExportable => RefusalClass::PolicyPurpose,
                PolicyReason::Expired => RefusalClass::PolicyExpired,
                PolicyReason::UsageExhausted => RefusalClass::PolicyUsage,
                PolicyReason::PinPerUse | PolicyReason::PinWindow => RefusalClass::PolicyPin,
            };
            audit::refuse(p, log, class, Error::PolicyViolation(reason))
        }
        other => other,
    }
}

/// The caller's key `id` for `pin-verify` to open its PIN window: it must
/// exist for the caller (`key-not-found`) and have PIN rule `window`
/// (`invalid-argument`).
pub fn window_key(
    p: &mut impl Platform,
    inst: &mut Instance,
    caller: &Caller,
    id: &str,
) -> Result<[u8; KEY_ID_LEN], Error> {
    let id = KeyId::parse(id)?;
    let kek = inst.kek.get(p)?;
    let k = inst.vault.load(p, caller, id, kek)?.into_key();
    if k.attrs.policy.pin != PinRule::Window {
        return Err(Error::InvalidArgument);
    }
    Ok(id.0)
}

/// `KeySign`: ECDSA P-256/SHA-256 over a caller message.
pub fn sign(
    p: &mut impl Platform,
    inst: &mut Instance,
    caller: &Caller,
    req: &KeySignRequest,
) -> Result<KeySignReply, Error> {
    let id = KeyId::parse(&req.id)?;
    let mut buf = [0u8; SIGN_MESSAGE_MAX_LEN];
    let msg = hex_prefix(&req.message, &mut buf).ok_or(Error::BadRequest)?;
    if msg.starts_with(RESERVED_PREFIX) {
        let class = RefusalClass::ReservedPrefix;
        return audit::refuse(p, &mut inst.log, class, Error::InvalidArgument);
    }
    let kek = inst.kek.get(p)?;
    if inst.keys.get(caller, id).is_none() {
        let mut s = inst.vault.load(p, caller, id, kek)?;
        if s.key().attrs.policy.max_uses.is_some() {
            // Never cached: each use is counted in storage before the
            // signature exists.
            let refusals = (&mut inst.pins, &mut inst.log, caller);
            authorize(p, refusals, s.key(), Purpose::Sign, None)?;
            s.consume(p, &mut inst.vault)?;
            return signed(p, &mut inst.log, s.key(), msg);
        }
        inst.keys.put(s.into_key());
    }
    inst.keys.touch(id);
    // A key without a usage limit: warm, this reads nothing.
    let key = inst.keys.get(caller, id).ok_or(Error::Internal)?;
    let refusals = (&mut inst.pins, &mut inst.log, caller);
    authorize(p, refusals, key, Purpose::Sign, None)?;
    signed(p, &mut inst.log, key, msg)
}

/// Logs the use of an authorized `key`, then signs `msg` with it.
fn signed(
    p: &mut impl Platform,
    log: &mut audit::Cache,
    key: &Loaded,
    msg: &[u8],
) -> Result<KeySignReply, Error> {
    let uses = key.uses;
    journal::append(p, log, &[Event::key_used(&key.attrs.id.0, 1, uses)])?;
    let sig = sign_der(&key.secret, msg)?;
    Ok(KeySignReply {
        signature: sig_hex(&sig)?,
        uses,
    })
}

/// `KeyAttest`: a signed statement over a key's public key, policy, the
/// caller's challenge and the platform facts.
pub fn attest(
    p: &mut impl Platform,
    inst: &mut Instance,
    caller: &Caller,
    req: &KeyAttestRequest,
) -> Result<KeyAttestReply, Error> {
    let id = KeyId::parse(&req.id)?;
    let mut buf = [0u8; CHALLENGE_MAX_LEN];
    let challenge = hex_prefix(&req.challenge, &mut buf).ok_or(Error::BadRequest)?;
    let signer_id = req.attest_key.as_deref().map(KeyId::parse).transpose()?;
    let kek = inst.kek.get(p)?;
    let subject = inst.vault.load(p, caller, id, kek)?.into_key().attrs;
    let signer = match signer_id {
        Some(sid) => {
            let mut s = inst.vault.load(p, caller, sid, kek)?;
            let refusals = (&mut inst.pins, &mut inst.log, caller);
            authorize(p, refusals, s.key(), Purpose::Attest, None)?;
            s.consume(p, &mut inst.vault)?;
            let ev = Event::key_used(&sid.0, 2, s.key().uses);
            journal::append(p, &mut inst.log, &[ev])?;
            s.into_key()
        }
        None => signer::attestation_key(p, kek)?,
    };
    let ta = TaFacts::of(p)?;
    let statement = Statement {
        ta_uuid: ta.ta_uuid,
        key_id: subject.id.0,
        policy: subject.policy,
        label: subject.label.clone(),
        public_key: subject.public_key,
        challenge: heapless::Vec::from_slice(challenge).map_err(|_| Error::BadRequest)?,
        storage: ta.storage,
        rollback_protected: ta.rollback_protected,
        hw_unique_key: ta.hw_unique_key,
        trusted_ui: ta.trusted_ui,
        tee_device_id: ta.tee_device_id,
        ta_version: ta.ta_version,
    }
    .encode()
    .ok_or(Error::Internal)?;
    let sig = sign_der(&signer.secret, &statement)?;
    Ok(KeyAttestReply {
        statement: hex_string(&statement).map_err(|_| Error::Internal)?,
        signature: sig_hex(&sig)?,
        attestation_key: hex_string(&signer.attrs.public_key).map_err(|_| Error::Internal)?,
    })
}

/// `KeyExport`: the sealed blob of an exportable key.
pub fn export(
    p: &mut impl Platform,
    inst: &mut Instance,
    caller: &Caller,
    id: &str,
) -> Result<KeyExportReply, Error> {
    let id = KeyId::parse(id)?;
    let kek = stored_kek(p)?;
    let s = inst.vault.load(p, caller, id, &kek)?;
    let k = s.key();
    if !k.attrs.policy.exportable {
        let err = Error::PolicyViolation(PolicyReason::NotExportable);
        return audit::refuse(p, &mut inst.log, RefusalClass::PolicyPurpose, err);
    }
    journal::append(
        p,
        &mut inst.log,
        &[Event::key(EventKind::KeyExported, &id.0)],
    )?;
    Ok(KeyExportReply {
        blob: hex_string(&k.blob).map_err(|_| Error::Internal)?,
    })
}

/// `KeyImport`: a blob exported by this TA instance, back into storage —
/// only by the blob's owner (a blob of another client is `blob-rejected`,
/// like any blob this caller could not have exported).
pub fn import(
    p: &mut impl Platform,
    inst: &mut Instance,
    caller: &Caller,
    req: &KeyImportRequest,
) -> Result<KeyInfoReply, Error> {
    // The request's bound is twice SEALED_BLOB_MAX_LEN hex digits, so only
    // malformed hex fails here.
    let mut buf = [0u8; SEALED_BLOB_MAX_LEN];
    let blob = hex_prefix(&req.blob, &mut buf).ok_or(Error::BadRequest)?;
    Config::require(p)?;
    let (attrs, _secret) = seal::unseal(&stored_kek(p)?, blob)?;
    // Only exportable keys are ever exported, and the attestation key (id
    // 0) never is: anything else was not made by KeyExport.
    if !attrs.policy.exportable || attrs.id.0 == [0; KEY_ID_LEN] || !caller.owns(&attrs.owner) {
        return Err(Error::BlobRejected);
    }
    if inst.vault.contains(p, attrs.id)? {
        return Err(Error::KeyExists);
    }
    inst.vault.room(p, caller)?;
    inst.vault.add(p, (attrs.id, attrs.owner.tag()), blob)?;
    let ev = Event::key_added(EventKind::KeyImported, &attrs.id.0, &attrs.policy);
    journal::append(p, &mut inst.log, &[ev])?;
    attrs.info(0)
}
