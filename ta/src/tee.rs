//! Every call from the TA into the TEE (GP Internal Core API through
//! optee-utee): persistent objects, RNG, time and properties. This is the
//! [`Platform`] the portable logic runs on inside OP-TEE.
//!
//! This is the TA's only module with `unsafe`: the per-instance state
//! cell, the `getauxval` stub, the generated TA header and the RNG system
//! call, each with a `// SAFETY:` note (and, in measurement builds only,
//! the stack probe). optee-utee's safe wrappers cover every other TEE call.

use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt::Write;

use mfs_core::access::ClientIdentity;
use mfs_core::platform::{ObjectId, Platform, PlatformError, PlatformFacts, bounded, huk_status};
use mfs_proto::{Login, StorageKind, parse_uuid};
use optee_utee::property::{
    ClientIdentity as ClientIdentityProp, PropertyKey, TeeApiVersion, TeeDescription, TeeDeviceId,
    TeeInternalCoreVersion,
};
use optee_utee::{
    DataFlag, ErrorKind, GenericObject, LoginType, ObjectEnumHandle, ObjectStorageConstants,
    PersistentObject, Result, Time, Uuid, Whence, raw,
};

/// The TEE as seen by the portable logic.
#[derive(Default)]
pub struct TeePlatform {
    rpmb: bool,
    /// RPMB exists but did not answer: every storage operation fails
    /// (never a fallback to REE FS, which an attacker could force).
    unavailable: bool,
}

const RPMB_PROBE_ID: &[u8] = b"mfs.rpmb-probe";

impl TeePlatform {
    /// Chooses the storage: RPMB (rollback-protected) where the TEE offers
    /// it, else REE FS. OP-TEE answers ITEM_NOT_FOUND for a storage it was
    /// built without (`tee_svc_storage_file_ops` finds none), so a probe
    /// object is opened, or created once; only that answer means "no
    /// RPMB". Any other failure (tee-supplicant not serving RPMB, an RPMB
    /// error) makes storage unavailable for this session: the TA fails
    /// closed instead of downgrading to REE FS.
    pub fn probe() -> Self {
        let not_built_in = |e: &optee_utee::Error| e.kind() == ErrorKind::ItemNotFound;
        match PersistentObject::open(
            ObjectStorageConstants::PrivateRpmb,
            RPMB_PROBE_ID,
            DataFlag::ACCESS_READ,
        ) {
            Ok(_) => TeePlatform {
                rpmb: true,
                unavailable: false,
            },
            Err(e) if not_built_in(&e) => {
                match PersistentObject::create(
                    ObjectStorageConstants::PrivateRpmb,
                    RPMB_PROBE_ID,
                    DataFlag::ACCESS_READ,
                    None,
                    &[],
                ) {
                    Ok(_) => TeePlatform {
                        rpmb: true,
                        unavailable: false,
                    },
                    Err(e) if not_built_in(&e) => TeePlatform {
                        rpmb: false,
                        unavailable: false,
                    },
                    Err(_) => TeePlatform {
                        rpmb: true,
                        unavailable: true,
                    },
                }
            }
            Err(_) => TeePlatform {
                rpmb: true,
                unavailable: true,
            },
        }
    }

    fn storage(&self) -> core::result::Result<ObjectStorageConstants, PlatformError> {
        match (self.unavailable, self.rpmb) {
            (true, _) => Err(PlatformError::Storage),
            (false, true) => Ok(ObjectStorageConstants::PrivateRpmb),
            (false, false) => Ok(ObjectStorageConstants::PrivateRee),
        }
    }
}

fn storage_err(_: optee_utee::Error) -> PlatformError {
    PlatformError::Storage
}

impl Platform for TeePlatform {
    fn read(&mut self, id: &ObjectId) -> core::result::Result<Option<Vec<u8>>, PlatformError> {
        let flags = DataFlag::ACCESS_READ | DataFlag::SHARE_READ;
        match PersistentObject::open(self.storage()?, id.as_bytes(), flags) {
            Ok(mut obj) => obj.read_remaining_to_vec().map(Some).map_err(storage_err),
            Err(e) if e.kind() == ErrorKind::ItemNotFound => Ok(None),
            Err(e) => Err(storage_err(e)),
        }
    }

    fn write(&mut self, id: &ObjectId, data: &[u8]) -> core::result::Result<(), PlatformError> {
        // Create-with-OVERWRITE and initial data is one atomic operation in
        // OP-TEE: the old object stays until the new one is committed.
        let flags = DataFlag::ACCESS_READ
            | DataFlag::ACCESS_WRITE
            | DataFlag::ACCESS_WRITE_META
            | DataFlag::OVERWRITE;
        PersistentObject::create(self.storage()?, id.as_bytes(), flags, None, data)
            .map(drop)
            .map_err(storage_err)
    }

    fn append(&mut self, id: &ObjectId, data: &[u8]) -> core::result::Result<(), PlatformError> {
        // One TEE_WriteObjectData at the end of the stream: atomic in
        // OP-TEE (REE FS and RPMB commit a write as a whole or not at all),
        // and cheaper than re-creating the object.
        let flags = DataFlag::ACCESS_WRITE;
        let mut obj =
            PersistentObject::open(self.storage()?, id.as_bytes(), flags).map_err(storage_err)?;
        obj.seek(0, Whence::DataSeekEnd).map_err(storage_err)?;
        obj.write(data).map_err(storage_err)
    }

    fn read_at(
        &mut self,
        id: &ObjectId,
        offset: u32,
        len: usize,
    ) -> core::result::Result<Option<Vec<u8>>, PlatformError> {
        let flags = DataFlag::ACCESS_READ | DataFlag::SHARE_READ;
        let mut obj = match PersistentObject::open(self.storage()?, id.as_bytes(), flags) {
            Ok(obj) => obj,
            Err(e) if e.kind() == ErrorKind::ItemNotFound => return Ok(None),
            Err(e) => return Err(storage_err(e)),
        };
        let size = obj.info().map_err(storage_err)?.data_size();
        let start = usize::try_from(offset).map_err(|_| PlatformError::Storage)?;
        let take = size.saturating_sub(start).min(len);
        let mut buf = Vec::new();
        buf.try_reserve_exact(take)
            .map_err(|_| PlatformError::Storage)?;
        buf.resize(take, 0);
        if take > 0 {
            let at = i32::try_from(offset).map_err(|_| PlatformError::Storage)?;
            obj.seek(at, Whence::DataSeekSet).map_err(storage_err)?;
            let n = obj.read(&mut buf).map_err(storage_err)?;
            buf.truncate(usize::try_from(n).map_err(|_| PlatformError::Storage)?);
        }
        Ok(Some(buf))
    }

    fn write_at(
        &mut self,
        id: &ObjectId,
        offset: u32,
        data: &[u8],
    ) -> core::result::Result<(), PlatformError> {
        // One TEE_WriteObjectData at `offset`: atomic in OP-TEE, like
        // `append`. The offset is checked against the size first so that
        // the object never grows a gap of zeros.
        let flags = DataFlag::ACCESS_READ | DataFlag::ACCESS_WRITE;
        let mut obj =
            PersistentObject::open(self.storage()?, id.as_bytes(), flags).map_err(storage_err)?;
        let size = obj.info().map_err(storage_err)?.data_size();
        if usize::try_from(offset).map_or(true, |o| o > size) {
            return Err(PlatformError::Storage);
        }
        let at = i32::try_from(offset).map_err(|_| PlatformError::Storage)?;
        obj.seek(at, Whence::DataSeekSet).map_err(storage_err)?;
        obj.write(data).map_err(storage_err)
    }

    fn delete(&mut self, id: &ObjectId) -> core::result::Result<(), PlatformError> {
        match PersistentObject::open(self.storage()?, id.as_bytes(), DataFlag::ACCESS_WRITE_META) {
            Ok(obj) => obj.close_and_delete().map_err(storage_err),
            Err(e) if e.kind() == ErrorKind::ItemNotFound => Ok(()),
            Err(e) => Err(storage_err(e)),
        }
    }

    fn random(&mut self, buf: &mut [u8]) -> core::result::Result<(), PlatformError> {
        // The system call behind TEE_GenerateRandom, made directly: libutee
        // keeps TEE_GenerateRandom in the archive member with every
        // cryptographic operation of the GP API (~19 KB the TA never
        // calls), and the dev kit's archive is not split per function.
        // An RNG failure is a failed operation here (TEE_GenerateRandom
        // would panic the TA): the caller stops before using the buffer.
        if buf.is_empty() {
            return Ok(());
        }
        // SAFETY: `buf` is a live, exclusively borrowed buffer of
        // `buf.len()` bytes for the whole call; the TEE core writes at most
        // that many bytes into it (it checks the range is the TA's own
        // writable memory) and keeps no reference after returning.
        let res =
            unsafe { raw::_utee_cryp_random_number_generate(buf.as_mut_ptr().cast(), buf.len()) };
        if res == raw::TEE_SUCCESS {
            Ok(())
        } else {
            buf.fill(0);
            Err(PlatformError::Random)
        }
    }

    fn now_ms(&mut self) -> u64 {
        let mut t = Time::new();
        t.system_time();
        u64::from(t.seconds) * 1000 + u64::from(t.millis)
    }

    fn ree_time_s(&mut self) -> u64 {
        let mut t = Time::new();
        t.ree_time();
        u64::from(t.seconds)
    }

    fn object_ids(&mut self) -> core::result::Result<Vec<ObjectId>, PlatformError> {
        let mut e = ObjectEnumHandle::allocate().map_err(storage_err)?;
        match e.start(self.storage()? as u32) {
            Ok(()) => {}
            // An empty storage has nothing to enumerate.
            Err(err) if err.kind() == ErrorKind::ItemNotFound => return Ok(Vec::new()),
            Err(err) => return Err(storage_err(err)),
        }
        let mut ids = Vec::new();
        loop {
            let mut buf = [0u8; mfs_core::platform::OBJECT_ID_MAX_LEN];
            match e.get_next(None, &mut buf) {
                Ok(n) => {
                    let id = usize::try_from(n)
                        .ok()
                        .and_then(|n| buf.get(..n))
                        .and_then(ObjectId::new)
                        .ok_or(PlatformError::Storage)?;
                    ids.push(id);
                }
                Err(err) if err.kind() == ErrorKind::ItemNotFound => return Ok(ids),
                Err(err) => return Err(storage_err(err)),
            }
        }
    }

    fn storage_kind(&mut self) -> StorageKind {
        if self.rpmb {
            StorageKind::Rpmb
        } else {
            StorageKind::ReeFs
        }
    }

    fn facts(&mut self) -> PlatformFacts {
        let device_id = TeeDeviceId
            .get()
            .ok()
            .and_then(|u| uuid_bytes(&u))
            .unwrap_or([0; 16]);
        PlatformFacts {
            storage: if self.rpmb {
                StorageKind::Rpmb
            } else {
                StorageKind::ReeFs
            },
            hw_unique_key: huk_status(&device_id),
            tee_description: TeeDescription
                .get()
                .map(|s| bounded(&s))
                .unwrap_or_default(),
            tee_api_version: TeeApiVersion.get().map(|s| bounded(&s)).unwrap_or_default(),
            tee_internal_core_version: TeeInternalCoreVersion.get().unwrap_or(0),
            tee_device_id: device_id,
        }
    }
}

fn uuid_bytes(u: &Uuid) -> Option<[u8; 16]> {
    let mut s: heapless::String<36> = heapless::String::new();
    write!(s, "{u}").ok()?;
    parse_uuid(&s)
}

/// The current session's client identity (`gpd.client.identity`).
pub fn client_identity() -> Result<ClientIdentity> {
    let id = ClientIdentityProp.get()?;
    let login = match id.login_type() {
        LoginType::Public => Login::Public,
        LoginType::User => Login::User,
        LoginType::Group => Login::Group,
        LoginType::Application => Login::Application,
        LoginType::ApplicationUser => Login::ApplicationUser,
        LoginType::ApplicationGroup => Login::ApplicationGroup,
        LoginType::TrustedApp => Login::TrustedApp,
        LoginType::Unknown(_) => Login::Other,
    };
    let uuid = uuid_bytes(&id.uuid()).ok_or(ErrorKind::BadFormat)?;
    Ok(ClientIdentity { login, uuid })
}

/// State shared by all sessions of the (single) TA instance: the core's
/// instance state and the count of open sessions.
struct InstanceCell(RefCell<TaState>);

#[derive(Default)]
struct TaState {
    /// Boxed: `None` is then a null pointer, so the static is all zeros and
    /// takes no room in the TA file (`.bss`, not `.data`).
    instance: Option<alloc::boxed::Box<mfs_core::Instance>>,
    sessions: mfs_core::session::Admission,
}

// SAFETY: the TA is built single-instance without TA_FLAG_CONCURRENT, so
// OP-TEE runs at most one entry point of this instance at a time, on one
// thread: the cell is never accessed concurrently.
unsafe impl Sync for InstanceCell {}

static INSTANCE: InstanceCell = InstanceCell(RefCell::new(TaState {
    instance: None,
    sessions: mfs_core::session::Admission::new(),
}));

/// Runs `f` with the instance state (created on first use).
pub fn with_instance<R>(f: impl FnOnce(&mut mfs_core::Instance) -> R) -> R {
    match INSTANCE.0.try_borrow_mut() {
        Ok(mut st) => f(st.instance.get_or_insert_with(Default::default)),
        // Unreachable (no re-entry, see above); a fresh state is the
        // fail-safe answer: throttling restarts, the counter is in storage.
        Err(_) => f(&mut mfs_core::Instance::default()),
    }
}

/// Admits one more session of `client` under `mfs_proto::MAX_SESSIONS`
/// and `mfs_proto::MAX_SESSIONS_PER_CLIENT`.
pub fn admit_session(
    client: &mfs_core::ClientIdentity,
    admin: bool,
) -> core::result::Result<(), mfs_core::session::TooManySessions> {
    match INSTANCE.0.try_borrow_mut() {
        Ok(mut st) => st.sessions.admit(client, admin),
        // Unreachable (no re-entry); refusing is the safe answer.
        Err(_) => Err(mfs_core::session::TooManySessions::Total),
    }
}

/// A session admitted by [`admit_session`] has closed.
pub fn release_session(client: &mfs_core::ClientIdentity) {
    if let Ok(mut st) = INSTANCE.0.try_borrow_mut() {
        st.sessions.release(client);
    }
}

/// RustCrypto's `cpufeatures` asks the C library for the CPU's hardware
/// capabilities; a TA has no C library. Reporting none selects the
/// portable software implementations (constant-time AES included).
///
/// SAFETY (of the `no_mangle` export): no other object in the TA defines
/// `getauxval` (glibc is never linked; scripts/build rejects undefined
/// symbols), and the function reads nothing and always returns 0.
#[unsafe(no_mangle)]
pub extern "C" fn getauxval(_type: core::ffi::c_ulong) -> core::ffi::c_ulong {
    0
}

/// libutils' allocator archive member also holds its self-test, which
/// calls C `rand()`; libutee defines `rand` in the member with every GP
/// cryptographic operation (TEE_AllocateOperation and the rest, ~19 KB
/// this TA never calls), which that one reference would otherwise pull
/// into the link. This definition takes its place: a non-negative random
/// `int` from the TEE's RNG (0 if the RNG fails; nothing in the TA calls
/// it). `scripts/build` refuses a TA ELF that links the GP operation API.
///
/// SAFETY (of the `no_mangle` export): nothing else in the TA defines
/// `rand` once libutee's member is not linked (a second definition would
/// be a link error), and the function matches C's `int rand(void)`.
#[unsafe(no_mangle)]
pub extern "C" fn rand() -> core::ffi::c_int {
    let mut b = [0u8; 4];
    match TeePlatform::default().random(&mut b) {
        Ok(()) => (u32::from_le_bytes(b) >> 1) as core::ffi::c_int,
        Err(_) => 0,
    }
}

/// libutee's instance set-up calls `_TEE_MathAPI_Init`, which prepares the
/// GP arithmetic API (`TEE_BigInt*`, on mbedTLS bignum) and so links it
/// and mbedTLS's bignum into every TA (about 33 KB). This TA never uses
/// that API — its own crypto is in Rust — so this empty definition takes
/// the place of libutee's, and the objects that define the API are never
/// pulled from the archive. `scripts/build` refuses a TA ELF in which any
/// `TEE_BigInt*` or `mbedtls_mpi_*` function is linked, since it would run
/// without its set-up.
///
/// SAFETY (of the `no_mangle` export): nothing else in the TA defines this
/// symbol; libutee calls it once, with no arguments and no result.
#[unsafe(no_mangle)]
pub extern "C" fn _TEE_MathAPI_Init() {}

/// The TA header generated by optee-utee-build from `build.rs`: UUID,
/// flags, stack and heap sizes and the statics OP-TEE's loader reads
/// (`ta_head`, `ta_props`, `ta_heap`, `trace_level`).
#[allow(clippy::undocumented_unsafe_blocks, dead_code, non_upper_case_globals)]
mod header {
    // SAFETY (the one `unsafe` block inside, `tahead_get_trace_level`):
    // it reads the `trace_level` static, which only the TA runtime reads
    // and nothing writes after load; OP-TEE runs a TA instance on one
    // thread at a time, so the read cannot race.
    include!(concat!(env!("OUT_DIR"), "/user_ta_header.rs"));
}

/// Stack high-water marks, for `scripts/stack` only: with the cargo
/// feature `stack-probe` (never in the shipped TA) every entry point paints
/// the free stack below it, runs, finds the lowest word it touched and
/// prints `MFS-STACK ...` lines to the secure log through the TA trace.
/// Without the feature [`measure`](stack_probe::measure) just runs its
/// closure.
#[cfg(not(feature = "stack-probe"))]
pub mod stack_probe {
    /// The entry point being measured.
    #[expect(dead_code, reason = "the command ID is read by the probe only")]
    pub enum Entry {
        /// `TA_OpenSessionEntryPoint`.
        Open,
        /// `TA_InvokeCommandEntryPoint` with this command ID.
        Invoke(u32),
        /// `TA_CloseSessionEntryPoint`.
        Close,
    }

    /// Runs `f`.
    #[inline(always)]
    pub fn measure<R>(_: Entry, f: impl FnOnce() -> R) -> R {
        f()
    }
}

/// Stack high-water marks (feature `stack-probe`, measurement builds for
/// `scripts/stack` only).
///
/// The stack's bounds are not assumed, they are found and checked once, at
/// `ta_create`: OP-TEE's ldelf maps the stack as one zero-filled region of
/// `ta_head.stack_size` bytes rounded up to pages (`TA_STACK_SIZE` plus
/// the 2 KiB `TA_FRAMEWORK_STACK_SIZE` optee-utee-build adds) and starts
/// the TA at `region start + stack_size`, minus the `struct utee_params`
/// the kernel puts on top. [`locate`] asks the TEE
/// (`TEE_CheckMemoryAccessRights`, page by page) for the private RW mapping
/// around its own stack pointer; only if that mapping is exactly one
/// region of that size, with the stack pointer less than a page below its
/// expected top, is the probe armed (else it says so and measures
/// nothing). Used bytes count from that top, so they include libutee's
/// entry frames and the parameters block.
///
/// Painting marks only memory actually written: a frame that reserves but
/// never touches part of itself is not counted, and cannot fault either.
/// Anything above the painted ceiling (the measuring frames and 1 KiB
/// below them) counts as used, so a figure is exact or slightly high,
/// never low.
#[cfg(feature = "stack-probe")]
pub mod stack_probe {
    use core::ffi::c_void;
    use core::fmt::Write;
    use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    use optee_utee::{raw, trace_print};

    #[cfg(not(target_arch = "aarch64"))]
    compile_error!("the stack probe reads the AArch64 stack pointer");

    const PAGE: usize = 4096;
    const WORD: usize = core::mem::size_of::<u64>();
    /// The paint ("STKPAINT"); a word still holding it was never written.
    const PAINT: u64 = 0x5354_4b50_4149_4e54;
    /// Left unpainted below the painter's own stack pointer.
    const GAP: usize = 1024;
    /// How far [`locate`] looks for the ends of the stack mapping.
    const SEARCH: usize = 1 << 20;

    /// Lowest stack address (start of the mapping); 0: probe not armed.
    static LO: AtomicUsize = AtomicUsize::new(0);
    /// The stack pointer OP-TEE starts the TA with, before the parameters
    /// block: `LO + ta_head.stack_size`.
    static HI: AtomicUsize = AtomicUsize::new(0);

    /// The entry point being measured.
    pub enum Entry {
        /// `TA_OpenSessionEntryPoint`.
        Open,
        /// `TA_InvokeCommandEntryPoint` with this command ID.
        Invoke(u32),
        /// `TA_CloseSessionEntryPoint`.
        Close,
    }

    fn stack_pointer() -> usize {
        let sp: usize;
        // SAFETY: copies the stack pointer register into a general register;
        // no memory is read or written and the stack is not used.
        unsafe {
            core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
        }
        sp
    }

    /// The page at `addr` is mapped private to this TA, readable and
    /// writable.
    fn private_rw(addr: usize) -> bool {
        let flags = raw::TEE_MEMORY_ACCESS_READ | raw::TEE_MEMORY_ACCESS_WRITE;
        // SAFETY: TEE_CheckMemoryAccessRights only asks the TEE core about
        // the mapping of [addr, addr + PAGE) (a system call); it reads and
        // writes nothing there and fails for an unmapped range.
        let res = unsafe { raw::TEE_CheckMemoryAccessRights(flags, addr as *mut c_void, PAGE) };
        res == raw::TEE_SUCCESS
    }

    /// Finds and checks the stack region (see the module docs) and arms
    /// the probe; prints one `MFS-STACK region` line either way. Called
    /// once, from `ta_create`.
    pub fn locate() {
        let sp = stack_pointer();
        let page = sp & !(PAGE - 1);
        let mut lo = page;
        while page - lo < SEARCH && lo >= PAGE && private_rw(lo - PAGE) {
            lo -= PAGE;
        }
        let mut end = page + PAGE;
        while end - page < SEARCH && private_rw(end) {
            end += PAGE;
        }
        let size = super::header::ta_head.stack_size as usize;
        let mapped = end - lo;
        let hi = lo + size;
        let verified = mapped == size.next_multiple_of(PAGE) && sp < hi && hi - sp < PAGE;
        let mut line: heapless::String<160> = heapless::String::new();
        let _ = writeln!(
            line,
            "MFS-STACK region lo={lo:#x} hi={hi:#x} stack_size={size} mapped={mapped} \
             sp={sp:#x} below_top={} verified={}",
            hi.wrapping_sub(sp),
            u8::from(verified)
        );
        print_line(&line);
        if verified {
            HI.store(hi, Relaxed);
            LO.store(lo, Relaxed);
        }
    }

    /// Paints [`LO`, ceiling) and returns the ceiling: `GAP` below this
    /// function's stack pointer. 0 when the probe is not armed.
    #[inline(never)]
    fn paint() -> usize {
        let lo = LO.load(Relaxed);
        if lo == 0 {
            return 0;
        }
        let ceiling = stack_pointer().saturating_sub(GAP) & !(WORD - 1);
        let mut a = lo;
        while a < ceiling {
            // SAFETY: [lo, ceiling) is inside the stack mapping `locate`
            // verified, and below this function's stack pointer by at least
            // GAP: no live object and no frame is there (AArch64 has no red
            // zone; exceptions run on kernel stacks; a TA instance runs one
            // thread), so nothing reads what is overwritten. Volatile: the
            // stores must happen although nothing in Rust reads them.
            unsafe { core::ptr::write_volatile(a as *mut u64, PAINT) };
            a += WORD;
        }
        ceiling
    }

    /// The lowest address in [`LO`, ceiling) no longer holding the paint,
    /// or the ceiling.
    #[inline(never)]
    fn lowest_touched(ceiling: usize) -> usize {
        let mut a = LO.load(Relaxed);
        while a < ceiling {
            // SAFETY: inside the verified stack mapping, below this
            // function's frame (it runs at the depth `paint` ran at); a
            // volatile read of plain integers written by `paint` or by
            // whatever ran since.
            if unsafe { core::ptr::read_volatile(a as *const u64) } != PAINT {
                return a;
            }
            a += WORD;
        }
        ceiling
    }

    /// Runs `f` and prints how deep the stack went, from the top of the
    /// stack (`used`), and the least it could have shown (`floor`: the
    /// frames above the painted area).
    pub fn measure<R>(entry: Entry, f: impl FnOnce() -> R) -> R {
        let ceiling = paint();
        let r = f();
        if ceiling != 0 {
            let hi = HI.load(Relaxed);
            let used = hi - lowest_touched(ceiling);
            let floor = hi - ceiling;
            let mut line: heapless::String<80> = heapless::String::new();
            let _ = match entry {
                Entry::Open => write!(line, "MFS-STACK open"),
                Entry::Invoke(cmd) => write!(line, "MFS-STACK cmd={cmd:#010x}"),
                Entry::Close => write!(line, "MFS-STACK close"),
            }
            .and_then(|()| writeln!(line, " used={used} floor={floor}"));
            print_line(&line);
        }
        r
    }

    /// Prints a whole line in one `_utee_log` call: the TEE core prints
    /// each call with exceptions masked, so no other secure-world message
    /// lands inside the line (`trace_println!` makes one call per piece).
    fn print_line(line: &str) {
        trace_print!("{}", line);
    }

    /// Command IDs `0x00ff_0008`, `0x00ff_0010` and `0x00ff_0020` (unknown
    /// to the shipped TA) write 8, 16 and 32 KiB of stack: their `used`
    /// figures must differ by those amounts, which shows the probe sees
    /// deep stacks. True for those IDs.
    pub fn calibrate(cmd: u32) -> bool {
        match cmd {
            0x00ff_0008 => touch::<{ 8 * 1024 }>(),
            0x00ff_0010 => touch::<{ 16 * 1024 }>(),
            0x00ff_0020 => touch::<{ 32 * 1024 }>(),
            _ => return false,
        }
        true
    }

    /// Zero-fills N bytes of its own frame.
    #[inline(never)]
    fn touch<const N: usize>() {
        let mut buf = [0u8; N];
        core::hint::black_box(&mut buf);
    }
}
