//! What the TA logic needs from the TEE, behind one small trait so the same
//! logic runs inside OP-TEE and natively under `cargo test` (against
//! [`crate::mem::MemPlatform`]).

use alloc::vec::Vec;
use heapless::String;
use mfs_proto::{HukStatus, StorageKind};

/// Longest persistent object ID OP-TEE accepts (`TEE_OBJECT_ID_MAX_LEN`);
/// a longer one makes OP-TEE panic the TA, so it is refused here first.
pub const OBJECT_ID_MAX_LEN: usize = 64;

/// A persistent object ID, checked against [`OBJECT_ID_MAX_LEN`] on
/// construction.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectId(heapless::Vec<u8, OBJECT_ID_MAX_LEN>);

impl ObjectId {
    /// Builds an ID; `None` when empty or too long.
    pub fn new(id: &[u8]) -> Option<Self> {
        if id.is_empty() {
            return None;
        }
        heapless::Vec::from_slice(id).ok().map(ObjectId)
    }

    /// The ID's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A failure reported by the platform. Deliberately coarse: the normal
/// world only ever learns "storage failed" or "crypto failed".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlatformError {
    /// Secure storage could not complete the operation.
    Storage,
    /// Secure storage answered with an older state than this TA lifetime
    /// wrote or read (see `crate::freshness`).
    Rollback,
    /// The random number generator failed.
    Random,
}

/// Facts about the TEE the TA can observe (reported by `info`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformFacts {
    /// Where persistent objects live.
    pub storage: StorageKind,
    /// What is known about the hardware unique key.
    pub hw_unique_key: HukStatus,
    /// `gpd.tee.description` (truncated to fit).
    pub tee_description: String<64>,
    /// `gpd.tee.apiversion` (truncated to fit).
    pub tee_api_version: String<32>,
    /// `gpd.tee.internalCore.version`.
    pub tee_internal_core_version: u32,
    /// `gpd.tee.deviceID`.
    pub tee_device_id: [u8; 16],
}

/// The TEE services the portable logic uses.
pub trait Platform {
    /// Reads a whole persistent object; `Ok(None)` when it does not exist.
    fn read(&mut self, id: &ObjectId) -> Result<Option<Vec<u8>>, PlatformError>;
    /// Creates or atomically replaces a persistent object: after a power
    /// cut the object holds either the old or the new data, never a mix.
    fn write(&mut self, id: &ObjectId, data: &[u8]) -> Result<(), PlatformError>;
    /// Appends `data` to the end of an existing object in one atomic write
    /// (GP `TEE_WriteObjectData`: after a power cut the object holds either
    /// the old or the longer data). `Storage` if the object does not exist.
    fn append(&mut self, id: &ObjectId, data: &[u8]) -> Result<(), PlatformError>;
    /// Reads up to `len` bytes of an object from byte `offset`: `Ok(None)`
    /// when the object does not exist; fewer bytes (possibly none) when it
    /// ends sooner.
    fn read_at(
        &mut self,
        id: &ObjectId,
        offset: u32,
        len: usize,
    ) -> Result<Option<Vec<u8>>, PlatformError>;
    /// Reads up to `count` slots of `slot_len` bytes from byte `offset`
    /// (one read): like [`Platform::read_at`], but the platform learns
    /// the slot boundaries, so that the rollback guard remembers each slot
    /// it saw and checks a later read of one slot against it.
    fn read_slots(
        &mut self,
        id: &ObjectId,
        offset: u32,
        slot_len: usize,
        count: usize,
    ) -> Result<Option<Vec<u8>>, PlatformError> {
        let len = slot_len.checked_mul(count).ok_or(PlatformError::Storage)?;
        self.read_at(id, offset, len)
    }
    /// Overwrites (or extends) an existing object from byte `offset` in
    /// one atomic write (GP `TEE_SeekObjectData` + `TEE_WriteObjectData`:
    /// after a power cut the object holds either the old or the new bytes).
    /// `Storage` if the object does not exist or `offset` is past its end
    /// (the TA never leaves a gap).
    fn write_at(&mut self, id: &ObjectId, offset: u32, data: &[u8]) -> Result<(), PlatformError>;
    /// Deletes a persistent object; deleting a missing object is not an error.
    fn delete(&mut self, id: &ObjectId) -> Result<(), PlatformError>;
    /// Fills `buf` from the TEE's random number generator.
    fn random(&mut self, buf: &mut [u8]) -> Result<(), PlatformError>;
    /// TEE system time in milliseconds: arbitrary origin, never goes back
    /// during the life of the TA instance.
    fn now_ms(&mut self) -> u64;
    /// The REE (normal-world) clock, UNIX seconds; 0 if the normal world
    /// does not answer. Not trusted: the normal world sets it. Used only
    /// for key expiry and log entry times (documented so).
    fn ree_time_s(&mut self) -> u64;
    /// Facts about the platform.
    fn facts(&mut self) -> PlatformFacts;
    /// Where persistent objects live (as in [`Platform::facts`]).
    fn storage_kind(&mut self) -> StorageKind {
        self.facts().storage
    }
    /// IDs of every persistent object of this TA (for the wipe).
    fn object_ids(&mut self) -> Result<Vec<ObjectId>, PlatformError>;
}

/// `gpd.tee.deviceID` values of platforms whose hardware unique key is a
/// known development stub. OP-TEE derives the device ID from the die ID,
/// and on QEMU both the die ID and the hardware unique key are fixed stubs
/// (`core/kernel/otp_stubs.c`); the value below was read from OP-TEE 4.5
/// `vexpress-qemu_armv8a` (Debian's `optee-os` package).
pub const KNOWN_STUB_DEVICE_IDS: &[[u8; 16]] = &[QEMU_OPTEE_DEVICE_ID];

/// The device ID OP-TEE 4.5 reports on QEMU (stub die ID):
/// 94e9ab89-4c43-56ea-8b35-45dc07226830.
pub const QEMU_OPTEE_DEVICE_ID: [u8; 16] = [
    0x94, 0xe9, 0xab, 0x89, 0x4c, 0x43, 0x56, 0xea, 0x8b, 0x35, 0x45, 0xdc, 0x07, 0x22, 0x68, 0x30,
];

/// Classifies the hardware unique key from the TEE's device ID.
pub fn huk_status(device_id: &[u8; 16]) -> HukStatus {
    if KNOWN_STUB_DEVICE_IDS.contains(device_id) {
        HukStatus::KnownStub
    } else {
        HukStatus::NotKnownStub
    }
}

/// Truncates `s` to at most `N` bytes on a character boundary.
pub fn bounded<const N: usize>(s: &str) -> String<N> {
    let mut out = String::new();
    for c in s.chars() {
        if out.push(c).is_err() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn object_id_bounds() {
        assert!(ObjectId::new(b"").is_none());
        assert!(ObjectId::new(&[b'a'; OBJECT_ID_MAX_LEN]).is_some());
        assert!(ObjectId::new(&[b'a'; OBJECT_ID_MAX_LEN + 1]).is_none());
    }

    #[test]
    fn qemu_device_id_is_a_known_stub() {
        assert_eq!(
            mfs_proto::uuid_string(&QEMU_OPTEE_DEVICE_ID).as_str(),
            "94e9ab89-4c43-56ea-8b35-45dc07226830"
        );
        assert_eq!(huk_status(&QEMU_OPTEE_DEVICE_ID), HukStatus::KnownStub);
        assert_eq!(huk_status(&[0x11; 16]), HukStatus::NotKnownStub);
    }

    #[test]
    fn bounded_truncates_on_char_boundary() {
        assert_eq!(bounded::<4>("abcdef").as_str(), "abcd");
        assert_eq!(bounded::<3>("aé€").as_str(), "aé");
        assert_eq!(bounded::<8>("").as_str(), "");
    }
}
