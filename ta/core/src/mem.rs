//! An in-memory [`Platform`] for native tests, with fault injection. Two
//! attackers on storage:
//!
//! - **power cut** at the N-th persistent write: that write and every later
//!   one fail, as if the device died mid-operation (the object keeps its
//!   old contents, as OP-TEE's atomic object replacement guarantees);
//! - **hostile supplicant** (fail and continue): the N-th write, or the
//!   N-th read, fails and the TA keeps running with every later operation
//!   working, as when tee-supplicant (normal-world root) answers one
//!   chosen request with an error.
//!
//! It also keeps a trace of storage operations (kind, object, length), the
//! view a supplicant has, so tests can compare two flows' patterns.
//!
//! In this crate's own tests, with `MFS_RESULTS_DIR` set (as
//! `scripts/test` does), every fault that hits an operation is recorded
//! as one line of `$MFS_RESULTS_DIR/faults.tsv` — the test (which names
//! the invariant it checks), the fault, which write or read of the walk
//! it hit and the operation — for the fault-injection matrix of the
//! evidence pack (`scripts/evidence`).

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
    fail_write: Option<u64>,
    fail_read: Option<u64>,
    /// The `n` given to the pending power cut / failed write / failed read
    /// (which operation of the walk it hits, for the fault record).
    fault_n: [u64; 3],
    trace: Option<Vec<Op>>,
    rpmb: bool,
}

/// A copy of every stored object (see [`MemPlatform::snapshot`]).
#[derive(Clone, Debug)]
pub struct Snapshot(BTreeMap<ObjectId, Vec<u8>>);

/// One storage operation as the normal world sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// A read of the object.
    Read(ObjectId),
    /// A whole-object write of this many bytes.
    Write(ObjectId, usize),
    /// An append of this many bytes.
    Append(ObjectId, usize),
    /// A read of (up to) this many bytes from this offset.
    ReadAt(ObjectId, u32, usize),
    /// A write of this many bytes at this offset.
    WriteAt(ObjectId, u32, usize),
    /// A delete.
    Delete(ObjectId),
    /// An enumeration of the objects.
    List,
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
        self.fault_n[0] = n;
    }

    /// Restores power (a reboot): storage keeps what was committed.
    pub fn power_on(&mut self) {
        self.cut_at = None;
    }

    /// Fails only write number `n` (1-based, counted from now on); the
    /// ones before and after work (a hostile supplicant, the TA running on).
    pub fn fail_write_at(&mut self, n: u64) {
        self.fail_write = Some(self.writes + n);
        self.fault_n[1] = n;
    }

    /// Fails only read number `n` (1-based, counted from now on).
    pub fn fail_read_at(&mut self, n: u64) {
        self.fail_read = Some(self.reads + n);
        self.fault_n[2] = n;
    }

    /// A copy of storage, as normal-world root can take of REE FS files.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot(self.objects.clone())
    }

    /// Puts storage back to `snap` (a rollback by normal-world root).
    pub fn restore(&mut self, snap: &Snapshot) {
        self.objects = snap.0.clone();
    }

    /// Reports RPMB (rollback-protected) storage instead of REE FS.
    pub fn set_rpmb(&mut self, rpmb: bool) {
        self.rpmb = rpmb;
    }

    /// Starts recording storage operations (dropping any earlier trace).
    pub fn start_trace(&mut self) {
        self.trace = Some(Vec::new());
    }

    /// The operations recorded since [`MemPlatform::start_trace`]; stops
    /// recording.
    pub fn take_trace(&mut self) -> Vec<Op> {
        self.trace.take().unwrap_or_default()
    }

    fn note(&mut self, op: Op) {
        if let Some(t) = &mut self.trace {
            t.push(op);
        }
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

    /// Counts a write (`op`, already noted) and fails it if a fault hits it.
    fn count_write(&mut self, op: &Op) -> Result<(), PlatformError> {
        self.writes += 1;
        if self.fail_write == Some(self.writes) {
            fault_record::record("fail-and-continue", self.fault_n[1], op);
            return Err(PlatformError::Storage);
        }
        match self.cut_at {
            Some(cut) if self.writes >= cut => {
                if self.writes == cut {
                    fault_record::record("power-cut", self.fault_n[0], op);
                }
                Err(PlatformError::Storage)
            }
            _ => Ok(()),
        }
    }

    /// Counts a read (`op`, already noted) and fails it if a fault hits it.
    fn count_read(&mut self, op: &Op) -> Result<(), PlatformError> {
        self.reads += 1;
        if self.fail_read == Some(self.reads) {
            fault_record::record("read-fails", self.fault_n[2], op);
            return Err(PlatformError::Storage);
        }
        Ok(())
    }
}

impl Platform for MemPlatform {
    fn read(&mut self, id: &ObjectId) -> Result<Option<Vec<u8>>, PlatformError> {
        let op = Op::Read(id.clone());
        self.note(op.clone());
        self.count_read(&op)?;
        Ok(self.objects.get(id).cloned())
    }

    fn write(&mut self, id: &ObjectId, data: &[u8]) -> Result<(), PlatformError> {
        let op = Op::Write(id.clone(), data.len());
        self.note(op.clone());
        self.count_write(&op)?;
        self.objects.insert(id.clone(), data.to_vec());
        self.bytes_written += data.len() as u64;
        Ok(())
    }

    fn append(&mut self, id: &ObjectId, data: &[u8]) -> Result<(), PlatformError> {
        let op = Op::Append(id.clone(), data.len());
        self.note(op.clone());
        self.count_write(&op)?;
        let obj = self.objects.get_mut(id).ok_or(PlatformError::Storage)?;
        obj.extend_from_slice(data);
        self.bytes_written += data.len() as u64;
        Ok(())
    }

    fn read_at(
        &mut self,
        id: &ObjectId,
        offset: u32,
        len: usize,
    ) -> Result<Option<Vec<u8>>, PlatformError> {
        let op = Op::ReadAt(id.clone(), offset, len);
        self.note(op.clone());
        self.count_read(&op)?;
        Ok(self.objects.get(id).map(|obj| {
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(obj.len());
            let end = start.saturating_add(len).min(obj.len());
            obj.get(start..end).unwrap_or_default().to_vec()
        }))
    }

    fn write_at(&mut self, id: &ObjectId, offset: u32, data: &[u8]) -> Result<(), PlatformError> {
        let op = Op::WriteAt(id.clone(), offset, data.len());
        self.note(op.clone());
        self.count_write(&op)?;
        let obj = self.objects.get_mut(id).ok_or(PlatformError::Storage)?;
        let start = usize::try_from(offset).map_err(|_| PlatformError::Storage)?;
        if start > obj.len() {
            return Err(PlatformError::Storage);
        }
        let end = start
            .checked_add(data.len())
            .ok_or(PlatformError::Storage)?;
        if end > obj.len() {
            obj.resize(end, 0);
        }
        obj.get_mut(start..end)
            .ok_or(PlatformError::Storage)?
            .copy_from_slice(data);
        self.bytes_written += data.len() as u64;
        Ok(())
    }

    fn delete(&mut self, id: &ObjectId) -> Result<(), PlatformError> {
        let op = Op::Delete(id.clone());
        self.note(op.clone());
        self.count_write(&op)?;
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
        self.note(Op::List);
        Ok(self.objects.keys().cloned().collect())
    }

    fn facts(&mut self) -> PlatformFacts {
        PlatformFacts {
            storage: if self.rpmb {
                StorageKind::Rpmb
            } else {
                StorageKind::ReeFs
            },
            hw_unique_key: HukStatus::NotKnownStub,
            tee_description: bounded("in-memory test platform"),
            tee_api_version: bounded("test"),
            tee_internal_core_version: 0,
            tee_device_id: [0; 16],
        }
    }
}

/// The fault record of this crate's tests (see the module docs); nothing
/// outside them.
mod fault_record {
    use super::Op;

    #[cfg(test)]
    pub(super) fn record(fault: &str, n: u64, op: &Op) {
        use std::io::Write as _;
        let Some(dir) = std::env::var_os("MFS_RESULTS_DIR") else {
            return;
        };
        let thread = std::thread::current();
        let test = thread.name().unwrap_or("?");
        let (kind, id, at) = match op {
            Op::Read(id) => ("read", Some(id), None),
            Op::Write(id, len) => ("write", Some(id), Some((0, *len))),
            Op::Append(id, len) => ("append", Some(id), Some((u32::MAX, *len))),
            Op::ReadAt(id, off, len) => ("read-at", Some(id), Some((*off, *len))),
            Op::WriteAt(id, off, len) => ("write-at", Some(id), Some((*off, *len))),
            Op::Delete(id) => ("delete", Some(id), None),
            Op::List => ("list", None, None),
        };
        let object = id.map_or(std::string::String::new(), |id| {
            std::string::String::from_utf8_lossy(id.as_bytes()).into_owned()
        });
        let at = match at {
            Some((u32::MAX, len)) => std::format!("+{len}"),
            Some((off, len)) => std::format!("{off}+{len}"),
            None => std::string::String::new(),
        };
        let line = std::format!("{test}\t{fault}\t{n}\t{kind}\t{object}\t{at}\n");
        // One append-mode write per line: lines of parallel tests never mix.
        let path = std::path::Path::new(&dir).join("faults.tsv");
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = f.write_all(line.as_bytes());
        }
    }

    #[cfg(not(test))]
    pub(super) fn record(_fault: &str, _n: u64, _op: &Op) {}
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
        p.cut_power_at(1);
        assert_eq!(p.write_at(&id, 1, b"X"), Err(PlatformError::Storage));
        p.power_on();
        assert_eq!(p.read(&id).unwrap().as_deref(), Some(&b"old+"[..]));
    }

    #[test]
    fn writes_at_an_offset_overwrite_or_extend_but_never_leave_a_gap() {
        let mut p = MemPlatform::new();
        let id = ObjectId::new(b"x").unwrap();
        assert_eq!(p.write_at(&id, 0, b"a"), Err(PlatformError::Storage));
        assert_eq!(p.read_at(&id, 0, 4), Ok(None));
        p.write(&id, b"abcd").unwrap();
        p.write_at(&id, 1, b"XY").unwrap();
        p.write_at(&id, 4, b"ef").unwrap();
        assert_eq!(p.write_at(&id, 7, b"g"), Err(PlatformError::Storage));
        assert_eq!(p.read(&id).unwrap().as_deref(), Some(&b"aXYdef"[..]));
        assert_eq!(p.read_at(&id, 2, 3).unwrap().as_deref(), Some(&b"Yde"[..]));
        assert_eq!(p.read_at(&id, 4, 9).unwrap().as_deref(), Some(&b"ef"[..]));
        assert_eq!(p.read_at(&id, 9, 1).unwrap().as_deref(), Some(&b""[..]));
    }

    #[test]
    fn a_failed_write_or_read_does_not_stop_the_next() {
        let mut p = MemPlatform::new();
        let id = ObjectId::new(b"x").unwrap();
        p.write(&id, b"old").unwrap();
        p.start_trace();
        p.fail_write_at(2);
        p.write(&id, b"a").unwrap();
        assert_eq!(p.write(&id, b"bb"), Err(PlatformError::Storage));
        p.write(&id, b"ccc").unwrap();
        p.fail_read_at(1);
        assert_eq!(p.read(&id), Err(PlatformError::Storage));
        assert_eq!(p.read(&id).unwrap().as_deref(), Some(&b"ccc"[..]));
        assert_eq!(
            p.take_trace(),
            [
                Op::Write(id.clone(), 1),
                Op::Write(id.clone(), 2),
                Op::Write(id.clone(), 3),
                Op::Read(id.clone()),
                Op::Read(id),
            ]
        );
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
