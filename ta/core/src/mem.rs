//! An in-memory [`Platform`] for native tests, with fault injection: it can
//! cut the power at the N-th persistent write (that write and every later
//! one fail, as if the device died mid-operation; the object keeps its old
//! contents, as OP-TEE's atomic object replacement guarantees).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use mfs_proto::{HukStatus, StorageKind};

use crate::platform::{ObjectId, Platform, PlatformError, PlatformFacts, bounded};

/// In-memory storage, deterministic RNG and a settable clock.
#[derive(Debug, Default)]
pub struct MemPlatform {
    objects: BTreeMap<ObjectId, Vec<u8>>,
    writes: u64,
    bytes_written: u64,
    reads: u64,
    ree_time_s: u64,
    cut_at: Option<u64>,
    rng_state: u64,
    now_ms: u64,
    fail_random: bool,
}

impl MemPlatform {
    /// A fresh, empty platform.
    pub fn new() -> Self {
        Self {
            rng_state: 0x9e37_79b9_7f4a_7c15,
            ..Self::default()
        }
    }

    /// Number of persistent writes (and deletes) attempted so far.
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// Bytes passed to successful writes and appends so far.
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// Number of persistent reads so far.
    pub fn reads(&self) -> u64 {
        self.reads
    }

    /// Sets the REE clock (UNIX seconds).
    pub fn set_ree_time_s(&mut self, t: u64) {
        self.ree_time_s = t;
    }

    /// Cuts the power at write number `n` (1-based, counted from now on):
    /// that write and every later one fail.
    pub fn cut_power_at(&mut self, n: u64) {
        self.cut_at = Some(self.writes + n);
    }

    /// Restores power (a reboot): storage keeps what was committed.
    pub fn power_on(&mut self) {
        self.cut_at = None;
    }

    /// Makes the RNG fail (or work again).
    pub fn set_random_failure(&mut self, fail: bool) {
        self.fail_random = fail;
    }

    /// Moves the clock forward.
    pub fn advance_ms(&mut self, ms: u64) {
        self.now_ms = self.now_ms.saturating_add(ms);
    }

    /// Raw access to a stored object (for tamper tests).
    pub fn object_mut(&mut self, id: &ObjectId) -> Option<&mut Vec<u8>> {
        self.objects.get_mut(id)
    }

    /// Number of stored objects.
    pub fn object_count(&self) -> usize {
        self.objects.len()
    }

    fn count_write(&mut self) -> Result<(), PlatformError> {
        self.writes += 1;
        match self.cut_at {
            Some(cut) if self.writes >= cut => Err(PlatformError::Storage),
            _ => Ok(()),
        }
    }
}

impl Platform for MemPlatform {
    fn read(&mut self, id: &ObjectId) -> Result<Option<Vec<u8>>, PlatformError> {
        self.reads += 1;
        Ok(self.objects.get(id).cloned())
    }

    fn write(&mut self, id: &ObjectId, data: &[u8]) -> Result<(), PlatformError> {
        self.count_write()?;
        self.objects.insert(id.clone(), data.to_vec());
        self.bytes_written += data.len() as u64;
        Ok(())
    }

    fn append(&mut self, id: &ObjectId, data: &[u8]) -> Result<(), PlatformError> {
        self.count_write()?;
        let obj = self.objects.get_mut(id).ok_or(PlatformError::Storage)?;
        obj.extend_from_slice(data);
        self.bytes_written += data.len() as u64;
        Ok(())
    }

    fn delete(&mut self, id: &ObjectId) -> Result<(), PlatformError> {
        self.count_write()?;
        self.objects.remove(id);
        Ok(())
    }

    fn random(&mut self, buf: &mut [u8]) -> Result<(), PlatformError> {
        if self.fail_random {
            return Err(PlatformError::Random);
        }
        // splitmix64: deterministic, good enough for tests, never used in the TA.
        for b in buf.iter_mut() {
            self.rng_state = self.rng_state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.rng_state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            *b = (z ^ (z >> 31)).to_le_bytes()[0];
        }
        Ok(())
    }

    fn now_ms(&mut self) -> u64 {
        self.now_ms
    }

    fn ree_time_s(&mut self) -> u64 {
        self.ree_time_s
    }

    fn object_ids(&mut self) -> Result<Vec<ObjectId>, PlatformError> {
        Ok(self.objects.keys().cloned().collect())
    }

    fn facts(&mut self) -> PlatformFacts {
        PlatformFacts {
            storage: StorageKind::ReeFs,
            hw_unique_key: HukStatus::NotKnownStub,
            tee_description: bounded("in-memory test platform"),
            tee_api_version: bounded("test"),
            tee_internal_core_version: 0,
            tee_device_id: [0; 16],
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn power_cut_keeps_old_contents() {
        let mut p = MemPlatform::new();
        let id = ObjectId::new(b"x").unwrap();
        p.write(&id, b"old").unwrap();
        p.cut_power_at(1);
        assert_eq!(p.write(&id, b"new"), Err(PlatformError::Storage));
        assert_eq!(p.delete(&id), Err(PlatformError::Storage));
        assert_eq!(p.append(&id, b"+"), Err(PlatformError::Storage));
        p.power_on();
        assert_eq!(p.read(&id).unwrap().as_deref(), Some(&b"old"[..]));
        p.append(&id, b"+").unwrap();
        assert_eq!(p.read(&id).unwrap().as_deref(), Some(&b"old+"[..]));
        let missing = ObjectId::new(b"y").unwrap();
        assert_eq!(p.append(&missing, b"+"), Err(PlatformError::Storage));
    }

    #[test]
    fn rng_failure_is_reported() {
        let mut p = MemPlatform::new();
        let mut a = [0u8; 16];
        p.random(&mut a).unwrap();
        assert_ne!(a, [0u8; 16]);
        p.set_random_failure(true);
        assert_eq!(p.random(&mut a), Err(PlatformError::Random));
    }
}
