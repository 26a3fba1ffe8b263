//! The object catalogue: every persistent object the TA owns, its layout
//! version, and whether it survives a wipe — in one place.
//!
//! | object | layout (version 1) | written by | survives wipe |
//! |---|---|---|---|
//! | `st` | `[1] ‖ state ‖ 0(6)`, then fixed slots holding `secret`, `cfg`, `attest`, `pin` and 16 `pn/<tag>` (`crate::pack`): the objects below marked *packed* live there, written in place | `pack` | no (its slots are cleared) |
//! | `secret` (packed) | `[1] ‖ secret(32)` | `store::secret` | no (deleted first) |
//! | `cfg` (packed) | `[1] ‖ tries ‖ throttle ms (u32 LE) ‖ issuer key(65)` | `store::config` | no |
//! | `pin` (packed) | `[1] ‖ max ‖ left ‖ salt(16) ‖ HMAC(32)`: the one PIN before client isolation, the admin's while it has no `pn/` record (new PINs never use it) | `store::pin` | no |
//! | `pn/<tag>` (packed) | as `pin`: the PIN of the client with this owner tag (16 hex) | `store::pin` | no |
//! | `kv` | `[1] ‖ state ‖ slot length (u16 LE) ‖ 0(4)`, then fixed-size slots `[1] ‖ id(8) ‖ owner tag(8) ‖ uses (u32 LE) ‖ len ‖ sealed blob ‖ 0…` (free: all zeros), written in place | `store::keys` | no |
//! | `keys`, `kb/<nn>` | the earlier key index and buckets: read once to move their keys into `kv`, then deleted | `store::keys` | no |
//! | `attest` (packed) | `[1] ‖ uses (u32 LE) ‖ sealed blob` | `store::keys` | no |
//! | `txctr` | `[1] ‖ last counter (u64 BE)` | `store::counter` | **yes**: never reused |
//! | `lg` | the newest log segment: `[1] ‖ k (u64 BE) ‖ prev(32) ‖ entries`, appended to | `audit` | **yes**: evidence |
//! | `la` | the 7 segments before it: `[1] ‖ 0(7)`, then regions of `length (u16 LE) ‖ segment ‖ 0…`, segment `k` in region `k mod 7`, written in place | `audit` | **yes**: evidence |
//! | `lgr` | the pending tally of refused calls: `[1] ‖ base (u64) ‖ 9 × count (u32)` | `audit` | **yes**: evidence |
//! | `log`, `lg/<n>` | the earlier log layout (newest segment number; segment `k` in `lg/<k mod 8>`): read once to move into `lg` and `la`, then deleted | `audit` | **yes**: evidence |
//!
//! Rules: an object id is never reused for another meaning (retire it and
//! pick a new name); a layout change takes a new version byte, and the
//! golden-bytes test (`tests/golden_layouts.rs`) pins every layout above.
//! Ids are at most [`crate::platform::OBJECT_ID_MAX_LEN`] bytes.

use alloc::vec::Vec;

use crate::error::Error;
use crate::platform::{ObjectId, Platform};

/// Layout version 1 (every object's first layout).
pub const LAYOUT_V1: u8 = 1;
/// Layout version 2 (`keys`: with owner tags).
pub const LAYOUT_V2: u8 = 2;
/// Layout version 3 (PIN records: with the seq of the pending outcome).
pub const LAYOUT_V3: u8 = 3;

fn id(name: &[u8]) -> Result<ObjectId, Error> {
    ObjectId::new(name).ok_or(Error::Internal)
}

/// `st`: the small objects packed together (see `crate::pack`).
pub fn packed_state() -> Result<ObjectId, Error> {
    id(b"st")
}

/// `secret`: the TA-unique secret.
pub fn secret() -> Result<ObjectId, Error> {
    id(b"secret")
}

/// `cfg`: the provisioned policy.
pub fn config() -> Result<ObjectId, Error> {
    id(b"cfg")
}

/// `pin`: the one PIN record of versions before client isolation (the
/// admin's while it has no `pn/` record of its own).
pub fn pin() -> Result<ObjectId, Error> {
    id(b"pin")
}

/// `pn/<tag>`: the PIN record of the client whose owner tag is `tag`
/// (16 lowercase hex digits).
pub fn client_pin(tag: &[u8; 8]) -> Result<ObjectId, Error> {
    let hex: heapless::String<16> = mfs_proto::hex_string(tag).map_err(|_| Error::Internal)?;
    id(&concat::<19>(&[b"pn/", hex.as_bytes()])?)
}

/// Whether `id` is a client's PIN record (`pn/…`).
pub fn is_client_pin(id: &ObjectId) -> bool {
    id.as_bytes().starts_with(b"pn/")
}

/// `kv`: every key, in fixed-size slots.
pub fn key_vault() -> Result<ObjectId, Error> {
    id(b"kv")
}

/// `keys`: the key index of the earlier layout (retired).
pub fn legacy_key_index() -> Result<ObjectId, Error> {
    id(b"keys")
}

/// `kb/<nn>`: key bucket `no` of the earlier layout (retired), two
/// lowercase hex digits.
pub fn legacy_key_bucket(no: u8) -> Result<ObjectId, Error> {
    let hex: heapless::String<2> = mfs_proto::hex_string(&[no]).map_err(|_| Error::Internal)?;
    id(&concat::<5>(&[b"kb/", hex.as_bytes()])?)
}

/// `attest`: the TA's own attestation key.
pub fn attestation_key() -> Result<ObjectId, Error> {
    id(b"attest")
}

/// `txctr`: the transaction counter.
pub fn tx_counter() -> Result<ObjectId, Error> {
    id(b"txctr")
}

/// `lg`: the event log's newest segment.
pub fn log_current() -> Result<ObjectId, Error> {
    id(b"lg")
}

/// `la`: the event log's older segments, in fixed-size regions.
pub fn log_archive() -> Result<ObjectId, Error> {
    id(b"la")
}

/// `log`: the newest segment number of the earlier log layout (retired).
pub fn legacy_log_head() -> Result<ObjectId, Error> {
    id(b"log")
}

/// `lg/<slot>`: segment slot `slot` (0..=9) of the earlier log layout
/// (retired).
pub fn legacy_log_segment(slot: u8) -> Result<ObjectId, Error> {
    if slot > 9 {
        return Err(Error::Internal);
    }
    id(&[b'l', b'g', b'/', b'0' + slot])
}

/// The pending tally of refused calls (part of the event log).
pub fn log_refusals() -> Result<ObjectId, Error> {
    id(b"lgr")
}

/// Whether `id` is one of the event log's objects (earlier layout
/// included).
pub fn is_log_object(id: &ObjectId) -> bool {
    id.as_bytes() == b"log" || id.as_bytes() == b"la" || id.as_bytes().starts_with(b"lg")
}

/// Whether a wipe keeps object `id`: the event log (evidence must outlive
/// deactivation) and the transaction counter (a value is never reused).
pub fn survives_wipe(id: &ObjectId) -> bool {
    is_log_object(id) || tx_counter().is_ok_and(|c| c == *id)
}

/// Copies `parts` one after the other into the start of `out`: the bytes
/// written (`Internal` if they do not fit).
pub fn fill(out: &mut [u8], parts: &[&[u8]]) -> Result<usize, Error> {
    let mut at = 0usize;
    for part in parts {
        let end = at.checked_add(part.len()).ok_or(Error::Internal)?;
        out.get_mut(at..end)
            .ok_or(Error::Internal)?
            .copy_from_slice(part);
        at = end;
    }
    Ok(at)
}

/// Concatenates `parts` into exactly `N` bytes (`Internal` otherwise).
pub fn concat<const N: usize>(parts: &[&[u8]]) -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    if fill(&mut out, parts)? == N {
        Ok(out)
    } else {
        Err(Error::Internal)
    }
}

/// Reads object `id` and checks its layout version: what follows the
/// version byte, `Ok(None)` when the object does not exist, `Storage` for
/// any other version (the TA fails closed rather than guess). Every store
/// reads its objects through this (or [`load_versioned`]).
pub fn load_v1(p: &mut impl Platform, id: &ObjectId) -> Result<Option<Vec<u8>>, Error> {
    match load_versioned(p, id, &[LAYOUT_V1])? {
        Some((_, body)) => Ok(Some(body)),
        None => Ok(None),
    }
}

/// Reads object `id` whose layout version must be one of `versions`: the
/// version and what follows it; `Ok(None)` when the object does not exist,
/// `Storage` for any other version.
pub fn load_versioned(
    p: &mut impl Platform,
    id: &ObjectId,
    versions: &[u8],
) -> Result<Option<(u8, Vec<u8>)>, Error> {
    let Some(mut bytes) = p.read(id)? else {
        return Ok(None);
    };
    match bytes.first().copied() {
        Some(v) if versions.contains(&v) => {
            bytes.remove(0);
            Ok(Some((v, bytes)))
        }
        _ => Err(Error::Storage),
    }
}

/// Reads an object holding `[1] ‖ u64 (big-endian)`; `Ok(None)` when it
/// does not exist, `Storage` for any other content.
pub fn load_u64(p: &mut impl Platform, id: &ObjectId) -> Result<Option<u64>, Error> {
    let Some(body) = load_v1(p, id)? else {
        return Ok(None);
    };
    let n: [u8; 8] = body.as_slice().try_into().map_err(|_| Error::Storage)?;
    Ok(Some(u64::from_be_bytes(n)))
}

/// Writes `[1] ‖ value (u64 big-endian)` (the form [`load_u64`] reads).
pub fn store_u64(p: &mut impl Platform, id: &ObjectId, value: u64) -> Result<(), Error> {
    let b: [u8; 9] = concat(&[&[LAYOUT_V1], &value.to_be_bytes()])?;
    Ok(p.write(id, &b)?)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn ids_are_distinct_and_bounded() {
        let mut all = alloc::vec![
            secret().unwrap(),
            config().unwrap(),
            pin().unwrap(),
            key_vault().unwrap(),
            legacy_key_index().unwrap(),
            attestation_key().unwrap(),
            tx_counter().unwrap(),
            log_current().unwrap(),
            log_archive().unwrap(),
            legacy_log_head().unwrap(),
        ];
        all.extend((0..32).map(|n| legacy_key_bucket(n).unwrap()));
        all.extend((0..8).map(|n| legacy_log_segment(n).unwrap()));
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
        assert_eq!(legacy_key_bucket(0x1f).unwrap().as_bytes(), b"kb/1f");
        let pn = client_pin(&[0xab, 1, 2, 3, 4, 5, 6, 0xff]).unwrap();
        assert_eq!(pn.as_bytes(), b"pn/ab010203040506ff");
        assert!(is_client_pin(&pn) && !is_client_pin(&pin().unwrap()));
        assert!(!survives_wipe(&pn));
        assert!(legacy_log_segment(10).is_err());
    }

    #[test]
    fn only_log_and_counter_survive_wipe() {
        assert!(survives_wipe(&tx_counter().unwrap()));
        for log in [
            log_current(),
            log_archive(),
            log_refusals(),
            legacy_log_head(),
        ] {
            assert!(survives_wipe(&log.unwrap()));
        }
        assert!(survives_wipe(&legacy_log_segment(7).unwrap()));
        for id in [secret(), config(), pin(), key_vault(), attestation_key()] {
            assert!(!survives_wipe(&id.unwrap()));
        }
        assert!(!survives_wipe(&legacy_key_bucket(3).unwrap()));
    }
}
