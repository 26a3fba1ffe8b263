//! The in-memory platform of `mfs_core`, instrumented: every 32-byte draw
//! from the RNG is recorded (the TA draws 32 bytes only for the TA-unique
//! secret and for private scalars, see `crypto::random_secret_key`), and the
//! whole storage can be copied for checks that must not disturb the run.

use mfs_core::mem::MemPlatform;
use mfs_core::pack::{PackState, Packed};
use mfs_core::platform::{ObjectId, Platform, PlatformError, PlatformFacts};

/// [`MemPlatform`] plus a record of secret-sized RNG draws.
#[derive(Debug)]
pub struct FuzzPlatform {
    /// The platform the TA runs on.
    pub mem: MemPlatform,
    /// Every 32-byte value the TA drew from the RNG, in order.
    pub draws: Vec<[u8; 32]>,
}

impl Default for FuzzPlatform {
    fn default() -> Self {
        FuzzPlatform {
            mem: MemPlatform::new(),
            draws: Vec::new(),
        }
    }
}

impl FuzzPlatform {
    /// A copy of the storage in a fresh platform (same objects, fresh
    /// counters, no power cut), for read-only checks.
    pub fn snapshot(&mut self) -> MemPlatform {
        let mut copy = MemPlatform::new();
        for id in self.mem.object_ids().expect("list objects") {
            if let Some(body) = self.mem.read(&id).expect("read object") {
                copy.write(&id, &body).expect("copy object");
            }
        }
        copy.set_ree_time_s(self.mem.ree_time_s());
        copy
    }

    /// Reads an object without going through the TA (no fault injection
    /// applies to reads); the small objects packed into `st` (`secret`,
    /// `cfg`, `attest`, `pin`, `pn/<tag>`) are read from their slots.
    pub fn object(&mut self, name: &[u8]) -> Option<Vec<u8>> {
        let id = ObjectId::new(name)?;
        self.with_packed(|p| p.read(&id).ok().flatten())
    }

    /// Runs `f` on the storage as the TA's stores see it (packed objects
    /// in their slots of `st`).
    pub fn with_packed<R>(&mut self, f: impl FnOnce(&mut Packed<'_, MemPlatform>) -> R) -> R {
        let mut state = PackState::default();
        f(&mut Packed::new(&mut self.mem, &mut state))
    }
}

impl Platform for FuzzPlatform {
    fn read(&mut self, id: &ObjectId) -> Result<Option<Vec<u8>>, PlatformError> {
        self.mem.read(id)
    }
    fn write(&mut self, id: &ObjectId, data: &[u8]) -> Result<(), PlatformError> {
        self.mem.write(id, data)
    }
    fn append(&mut self, id: &ObjectId, data: &[u8]) -> Result<(), PlatformError> {
        self.mem.append(id, data)
    }
    fn read_at(
        &mut self,
        id: &ObjectId,
        offset: u32,
        len: usize,
    ) -> Result<Option<Vec<u8>>, PlatformError> {
        self.mem.read_at(id, offset, len)
    }
    fn write_at(&mut self, id: &ObjectId, offset: u32, data: &[u8]) -> Result<(), PlatformError> {
        self.mem.write_at(id, offset, data)
    }
    fn delete(&mut self, id: &ObjectId) -> Result<(), PlatformError> {
        self.mem.delete(id)
    }
    fn random(&mut self, buf: &mut [u8]) -> Result<(), PlatformError> {
        self.mem.random(buf)?;
        if let Ok(value) = <[u8; 32]>::try_from(&*buf) {
            self.draws.push(value);
        }
        Ok(())
    }
    fn now_ms(&mut self) -> u64 {
        self.mem.now_ms()
    }
    fn ree_time_s(&mut self) -> u64 {
        self.mem.ree_time_s()
    }
    fn facts(&mut self) -> PlatformFacts {
        self.mem.facts()
    }
    fn object_ids(&mut self) -> Result<Vec<ObjectId>, PlatformError> {
        self.mem.object_ids()
    }
}
