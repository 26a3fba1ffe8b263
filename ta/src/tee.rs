//! Every call from the TA into the TEE: persistent objects, RNG, time and
//! properties. This is the [`Platform`] the portable logic runs on inside
//! OP-TEE.
//!
//! This is the TA's only module with `unsafe`: the per-instance state
//! cell, the `getauxval` stub, the generated TA header, the storage and
//! RNG system calls and the property reads, each with a `// SAFETY:` note
//! (and, in measurement builds only, the stack probe). Storage, RNG and
//! properties go to OP-TEE's system calls directly, not through libutee's
//! GP functions or optee-utee's wrappers: the TA is smaller by ~16 KB
//! (the GP object and property API's archive members stay out of the
//! link), and an answer outside the GP functions' list can no longer
//! panic the TA (they would; here it is a failed operation or a missing
//! property). optee-utee's
//! safe wrappers cover the rest (time, entry points, parameters).

use alloc::vec::Vec;
use core::cell::RefCell;

use mfs_core::access::ClientIdentity;
use mfs_core::platform::{ObjectId, Platform, PlatformError, PlatformFacts, bounded, huk_status};
use mfs_proto::{Login, StorageKind};
use optee_utee::{ObjectStorageConstants, Result, Time, raw};

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
        let rpmb = ObjectStorageConstants::PrivateRpmb as u32;
        let found = match Obj::open(rpmb, RPMB_PROBE_ID, raw::TEE_DATA_FLAG_ACCESS_READ) {
            Ok(Some(_)) => Ok(true),
            Ok(None) => Obj::create(rpmb, RPMB_PROBE_ID, raw::TEE_DATA_FLAG_ACCESS_READ, &[])
                .map(|o| o.is_some()),
            Err(e) => Err(e),
        };
        match found {
            Ok(true) => TeePlatform {
                rpmb: true,
                unavailable: false,
            },
            Ok(false) => TeePlatform {
                rpmb: false,
                unavailable: false,
            },
            Err(_) => TeePlatform {
                rpmb: true,
                unavailable: true,
            },
        }
    }

    fn storage(&self) -> core::result::Result<u32, PlatformError> {
        match (self.unavailable, self.rpmb) {
            (true, _) => Err(PlatformError::Storage),
            (false, true) => Ok(ObjectStorageConstants::PrivateRpmb as u32),
            (false, false) => Ok(ObjectStorageConstants::PrivateRee as u32),
        }
    }
}

/// An open persistent object: its handle, closed when dropped.
///
/// Storage is reached through the system calls behind the GP functions
/// (`TEE_OpenPersistentObject` and the rest) rather than those functions:
/// libutee keeps them in one archive member with the whole GP object API
/// (~9.5 KB this TA never calls), and they panic the TA — every session
/// of it — on an answer outside their list, where a storage error that the
/// normal world can provoke must stay an error of one command. Every
/// failure here is [`PlatformError::Storage`], ITEM_NOT_FOUND on open
/// excepted (`Ok(None)`).
struct Obj(u32);

/// The TEE's answer as a result.
fn tee(res: u32) -> core::result::Result<(), PlatformError> {
    if res == raw::TEE_SUCCESS {
        Ok(())
    } else {
        Err(PlatformError::Storage)
    }
}

/// `struct utee_object_info` of OP-TEE's system call ABI (optee-utee-sys
/// declares it with private fields).
#[repr(C)]
#[derive(Default)]
struct ObjectInfo {
    obj_type: u32,
    obj_size: u32,
    max_obj_size: u32,
    obj_usage: u32,
    data_size: u32,
    data_pos: u32,
    handle_flags: u32,
}

impl Obj {
    /// The object an open or create answered with `res` and handle `h`:
    /// `None` for ITEM_NOT_FOUND (no such object, or no such storage).
    fn opened(res: u32, h: u32) -> core::result::Result<Option<Obj>, PlatformError> {
        match res {
            raw::TEE_SUCCESS => Ok(Some(Obj(h))),
            raw::TEE_ERROR_ITEM_NOT_FOUND => Ok(None),
            _ => Err(PlatformError::Storage),
        }
    }

    /// Opens `id` in `storage`; `None` if there is no such object.
    fn open(
        storage: u32,
        id: &[u8],
        flags: u32,
    ) -> core::result::Result<Option<Obj>, PlatformError> {
        let mut h = 0u32;
        // SAFETY: `id` is a live buffer of `id.len()` bytes that the TEE
        // core only reads during the call; `h` is a live `u32` it writes
        // the new handle to. Nothing is kept after the call returns.
        let res = unsafe {
            raw::_utee_storage_obj_open(
                storage.into(),
                id.as_ptr().cast(),
                id.len(),
                flags.into(),
                &mut h,
            )
        };
        Obj::opened(res, h)
    }

    /// Creates `id` in `storage` holding `data` (with
    /// `TEE_DATA_FLAG_OVERWRITE`, atomically replacing an object of that
    /// name); `None` if the storage does not exist.
    fn create(
        storage: u32,
        id: &[u8],
        flags: u32,
        data: &[u8],
    ) -> core::result::Result<Option<Obj>, PlatformError> {
        let mut h = 0u32;
        // SAFETY: `id` and `data` are live buffers of the lengths passed,
        // only read during the call; no attribute object is given (0 is
        // TEE_HANDLE_NULL); `h` is a live `u32` for the new handle.
        let res = unsafe {
            raw::_utee_storage_obj_create(
                storage.into(),
                id.as_ptr().cast(),
                id.len(),
                flags.into(),
                0,
                data.as_ptr().cast(),
                data.len(),
                &mut h,
            )
        };
        Obj::opened(res, h)
    }

    /// The size of the object's data stream.
    fn size(&self) -> core::result::Result<usize, PlatformError> {
        let mut info = ObjectInfo::default();
        // SAFETY: `info` is a live, exclusively borrowed value with the
        // layout of `struct utee_object_info` (seven `u32`, repr(C)), which
        // the TEE core fills during the call.
        tee(unsafe { raw::_utee_cryp_obj_get_info(self.0.into(), (&raw mut info).cast()) })?;
        usize::try_from(info.data_size).map_err(|_| PlatformError::Storage)
    }

    /// Moves the data position to `offset` from the start.
    fn seek(&self, offset: u32) -> core::result::Result<(), PlatformError> {
        let at = i32::try_from(offset).map_err(|_| PlatformError::Storage)?;
        // SAFETY: only integers cross; the handle is open (owned by self).
        tee(unsafe {
            raw::_utee_storage_obj_seek(self.0.into(), at, raw::TEE_DATA_SEEK_SET.into())
        })
    }

    /// Moves the data position to the end of the stream.
    fn seek_end(&self) -> core::result::Result<(), PlatformError> {
        // SAFETY: only integers cross; the handle is open (owned by self).
        tee(unsafe { raw::_utee_storage_obj_seek(self.0.into(), 0, raw::TEE_DATA_SEEK_END.into()) })
    }

    /// Reads up to `len` bytes from the data position.
    fn read(&self, len: usize) -> core::result::Result<Vec<u8>, PlatformError> {
        let mut buf = Vec::new();
        buf.try_reserve_exact(len)
            .map_err(|_| PlatformError::Storage)?;
        buf.resize(len, 0);
        if len == 0 {
            return Ok(buf);
        }
        let mut count = 0u64;
        // SAFETY: `buf` is a live, exclusively borrowed buffer of `len`
        // bytes; the TEE core writes at most `len` bytes into it and the
        // count into `count`, and keeps no reference after the call.
        tee(unsafe {
            raw::_utee_storage_obj_read(self.0.into(), buf.as_mut_ptr().cast(), len, &mut count)
        })?;
        let n = usize::try_from(count).map_err(|_| PlatformError::Storage)?;
        if n > len {
            return Err(PlatformError::Storage);
        }
        buf.truncate(n);
        Ok(buf)
    }

    /// Writes `data` at the data position: one atomic update in OP-TEE.
    fn write(&self, data: &[u8]) -> core::result::Result<(), PlatformError> {
        // SAFETY: `data` is a live buffer of `data.len()` bytes, only read
        // during the call.
        tee(unsafe {
            raw::_utee_storage_obj_write(self.0.into(), data.as_ptr().cast(), data.len())
        })
    }

    /// Deletes the object (the system call also closes the handle).
    fn delete(self) -> core::result::Result<(), PlatformError> {
        let h = self.0;
        core::mem::forget(self);
        // SAFETY: only an integer crosses; the handle is open and, being
        // forgotten above, is not closed by `Drop`.
        let res = unsafe { raw::_utee_storage_obj_del(h.into()) };
        if res != raw::TEE_SUCCESS {
            // A refusal can come before the TEE closed the handle: close
            // it here, or later opens of the object would conflict. If it
            // was closed, this is refused (nothing was opened in between,
            // so the number names no other object).
            // SAFETY: only an integer crosses.
            let _ = unsafe { raw::_utee_cryp_obj_close(h.into()) };
        }
        tee(res)
    }
}

impl Drop for Obj {
    fn drop(&mut self) {
        // SAFETY: only an integer crosses; the handle is open and owned by
        // this value, which is dropped once.
        let _ = unsafe { raw::_utee_cryp_obj_close(self.0.into()) };
    }
}

/// An object enumerator's handle, freed when dropped.
struct Enumerator(u32);

impl Drop for Enumerator {
    fn drop(&mut self) {
        // SAFETY: only an integer crosses; the handle was allocated and is
        // owned by this value, which is dropped once.
        let _ = unsafe { raw::_utee_storage_free_enum(self.0.into()) };
    }
}

impl Platform for TeePlatform {
    fn read(&mut self, id: &ObjectId) -> core::result::Result<Option<Vec<u8>>, PlatformError> {
        let flags = raw::TEE_DATA_FLAG_ACCESS_READ | raw::TEE_DATA_FLAG_SHARE_READ;
        match Obj::open(self.storage()?, id.as_bytes(), flags)? {
            Some(obj) => obj.read(obj.size()?).map(Some),
            None => Ok(None),
        }
    }

    fn write(&mut self, id: &ObjectId, data: &[u8]) -> core::result::Result<(), PlatformError> {
        // Create-with-OVERWRITE and initial data is one atomic operation in
        // OP-TEE: the old object stays until the new one is committed.
        let flags = raw::TEE_DATA_FLAG_ACCESS_READ
            | raw::TEE_DATA_FLAG_ACCESS_WRITE
            | raw::TEE_DATA_FLAG_ACCESS_WRITE_META
            | raw::TEE_DATA_FLAG_OVERWRITE;
        match Obj::create(self.storage()?, id.as_bytes(), flags, data)? {
            Some(_) => Ok(()),
            None => Err(PlatformError::Storage),
        }
    }

    fn append(&mut self, id: &ObjectId, data: &[u8]) -> core::result::Result<(), PlatformError> {
        // One TEE_WriteObjectData at the end of the stream: atomic in
        // OP-TEE (REE FS and RPMB commit a write as a whole or not at all),
        // and cheaper than re-creating the object.
        let obj = Obj::open(
            self.storage()?,
            id.as_bytes(),
            raw::TEE_DATA_FLAG_ACCESS_WRITE,
        )?
        .ok_or(PlatformError::Storage)?;
        obj.seek_end()?;
        obj.write(data)
    }

    fn read_at(
        &mut self,
        id: &ObjectId,
        offset: u32,
        len: usize,
    ) -> core::result::Result<Option<Vec<u8>>, PlatformError> {
        let flags = raw::TEE_DATA_FLAG_ACCESS_READ | raw::TEE_DATA_FLAG_SHARE_READ;
        let Some(obj) = Obj::open(self.storage()?, id.as_bytes(), flags)? else {
            return Ok(None);
        };
        let size = obj.size()?;
        let start = usize::try_from(offset).map_err(|_| PlatformError::Storage)?;
        let take = size.saturating_sub(start).min(len);
        if take > 0 {
            obj.seek(offset)?;
        }
        obj.read(take).map(Some)
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
        let flags = raw::TEE_DATA_FLAG_ACCESS_READ | raw::TEE_DATA_FLAG_ACCESS_WRITE;
        let obj =
            Obj::open(self.storage()?, id.as_bytes(), flags)?.ok_or(PlatformError::Storage)?;
        let size = obj.size()?;
        if usize::try_from(offset).map_or(true, |o| o > size) {
            return Err(PlatformError::Storage);
        }
        obj.seek(offset)?;
        obj.write(data)
    }

    fn delete(&mut self, id: &ObjectId) -> core::result::Result<(), PlatformError> {
        let flags = raw::TEE_DATA_FLAG_ACCESS_WRITE_META;
        match Obj::open(self.storage()?, id.as_bytes(), flags)? {
            Some(obj) => obj.delete(),
            None => Ok(()),
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
        // The system call behind TEE_GetREETime, which panics the TA when
        // the normal world does not answer the clock request: the REE clock
        // is the normal world's anyway, and 0 is its answer then.
        let mut t = raw::TEE_Time {
            seconds: 0,
            millis: 0,
        };
        let cat = raw::utee_time_category::UTEE_TIME_CAT_REE as core::ffi::c_ulong;
        // SAFETY: `t` is a live, exclusively borrowed `TEE_Time` that the
        // TEE core fills during the call; nothing is kept.
        let res = unsafe { raw::_utee_get_time(cat, &mut t) };
        if res == raw::TEE_SUCCESS {
            u64::from(t.seconds)
        } else {
            0
        }
    }

    fn object_ids(&mut self) -> core::result::Result<Vec<ObjectId>, PlatformError> {
        let storage = self.storage()?;
        let mut h = 0u32;
        // SAFETY: `h` is a live `u32` the TEE core writes the handle to.
        tee(unsafe { raw::_utee_storage_alloc_enum(&mut h) })?;
        let e = Enumerator(h);
        // SAFETY: only integers cross; the enumerator is allocated.
        match unsafe { raw::_utee_storage_start_enum(e.0.into(), storage.into()) } {
            raw::TEE_SUCCESS => {}
            // An empty storage has nothing to enumerate.
            raw::TEE_ERROR_ITEM_NOT_FOUND => return Ok(Vec::new()),
            _ => return Err(PlatformError::Storage),
        }
        let mut ids = Vec::new();
        loop {
            let mut buf = [0u8; mfs_core::platform::OBJECT_ID_MAX_LEN];
            let mut info = ObjectInfo::default();
            let mut n = buf.len() as u64;
            // SAFETY: `info` has the layout of `struct utee_object_info`;
            // `buf` is a live buffer of `n` bytes, and the TEE core writes
            // at most `n` bytes of the name into it and its length into
            // `n`. Nothing is kept after the call.
            let res = unsafe {
                raw::_utee_storage_next_enum(
                    e.0.into(),
                    (&raw mut info).cast(),
                    buf.as_mut_ptr().cast(),
                    &mut n,
                )
            };
            match res {
                raw::TEE_SUCCESS => {
                    let id = usize::try_from(n)
                        .ok()
                        .and_then(|n| buf.get(..n))
                        .and_then(ObjectId::new)
                        .ok_or(PlatformError::Storage)?;
                    ids.push(id);
                }
                raw::TEE_ERROR_ITEM_NOT_FOUND => return Ok(ids),
                _ => return Err(PlatformError::Storage),
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
        let device_id = tee_uuid(c"gpd.tee.deviceID").unwrap_or([0; 16]);
        PlatformFacts {
            storage: if self.rpmb {
                StorageKind::Rpmb
            } else {
                StorageKind::ReeFs
            },
            hw_unique_key: huk_status(&device_id),
            tee_description: tee_string(c"gpd.tee.description"),
            tee_api_version: tee_string(c"gpd.tee.apiversion"),
            tee_internal_core_version: TEE_CORE_API_VERSION,
            tee_device_id: device_id,
        }
    }
}

// The TA reads its few properties with OP-TEE's two property system calls
// (name to index, then the value), not libutee's `TEE_GetPropertyAs*`:
// those bring libutee's whole property member (enumerators, base64, a
// `snprintf` for the string form of every type, ~4 KB of the TA) and
// panic the TA on any answer outside their short list; here such an
// answer is a missing property.

include!(concat!(env!("OUT_DIR"), "/core_api_version.rs"));

/// The one property of the TEE implementation libutee answers itself
/// rather than the core that this TA reports: the GP Internal Core API
/// version of the linked libutee. (libutee also answers the GP arithmetic
/// API's `gpd.tee.arith.maxBigIntSize` and the socket API's versions; this
/// TA links neither API, so it has no such property.)
const INTERNAL_CORE_VERSION: &core::ffi::CStr = c"gpd.tee.internalCore.version";

/// The core's property types (`enum user_ta_prop_type`) as it answers them.
const PROP_U32: u32 = raw::user_ta_prop_type::USER_TA_PROP_TYPE_U32 as u32;
const PROP_UUID: u32 = raw::user_ta_prop_type::USER_TA_PROP_TYPE_UUID as u32;
const PROP_IDENTITY: u32 = raw::user_ta_prop_type::USER_TA_PROP_TYPE_IDENTITY as u32;
const PROP_STRING: u32 = raw::user_ta_prop_type::USER_TA_PROP_TYPE_STRING as u32;

/// Reads the property `name` of `set` into `buf`: its length, or the
/// core's error (ITEM_NOT_FOUND if the TEE does not have it, SHORT_BUFFER
/// if it does not fit), BAD_FORMAT if its type is not `kind`.
fn property(
    set: raw::TEE_PropSetHandle,
    name: &core::ffi::CStr,
    kind: u32,
    buf: &mut [u8],
) -> core::result::Result<usize, u32> {
    // The property-set handles are small constants the core's system
    // calls take as numbers (as libutee passes them).
    let set = set as usize as core::ffi::c_ulong;
    let name = name.to_bytes_with_nul();
    let mut index = 0u32;
    // SAFETY: `name` is a live buffer of `name.len()` bytes ending in its
    // NUL, which the core copies; `index` is a live, exclusively borrowed
    // `u32` the core writes; nothing is kept after the call.
    let res = unsafe {
        raw::_utee_get_property_name_to_index(
            set,
            name.as_ptr().cast(),
            name.len() as core::ffi::c_ulong,
            &mut index,
        )
    };
    if res != raw::TEE_SUCCESS {
        return Err(res);
    }
    let mut len = u32::try_from(buf.len()).map_err(|_| raw::TEE_ERROR_BAD_PARAMETERS)?;
    let mut found = u32::MAX;
    // SAFETY: `buf` is a live, exclusively borrowed buffer of `len` bytes:
    // the core writes at most `len` bytes into it (SHORT_BUFFER otherwise)
    // and the value's length into `len`; `found` is a live `u32` it
    // writes; with a null name and name length it returns no name.
    let res = unsafe {
        raw::_utee_get_property(
            set,
            index.into(),
            core::ptr::null_mut(),
            core::ptr::null_mut(),
            buf.as_mut_ptr().cast(),
            &mut len,
            &mut found,
        )
    };
    if res != raw::TEE_SUCCESS {
        return Err(res);
    }
    match usize::try_from(len) {
        Ok(len) if found == kind && len <= buf.len() => Ok(len),
        _ => Err(raw::TEE_ERROR_BAD_FORMAT),
    }
}

/// A fixed-size property value of the TEE implementation (or of the
/// current client): exactly `N` bytes, in the TEE's native layout.
fn fixed<const N: usize>(
    set: raw::TEE_PropSetHandle,
    name: &core::ffi::CStr,
    kind: u32,
) -> core::result::Result<[u8; N], u32> {
    let mut buf = [0u8; N];
    match property(set, name, kind, &mut buf)? {
        len if len == N => Ok(buf),
        _ => Err(raw::TEE_ERROR_BAD_FORMAT),
    }
}

/// The 16 bytes, in RFC 4122 order, of a `TEE_UUID` as the core copies it
/// (native little-endian `timeLow`, `timeMid`, `timeHiAndVersion`, then
/// `clockSeqAndNode`).
fn uuid_from_native(b: &[u8; 16]) -> [u8; 16] {
    let [a0, a1, a2, a3, m0, m1, h0, h1, rest @ ..] = *b;
    let mut out = [a3, a2, a1, a0, m1, m0, h1, h0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (o, r) in out.iter_mut().skip(8).zip(rest) {
        *o = r;
    }
    out
}

/// A UUID property of the TEE implementation, in RFC 4122 byte order.
fn tee_uuid(name: &core::ffi::CStr) -> Option<[u8; 16]> {
    let raw = fixed::<16>(raw::TEE_PROPSET_TEE_IMPLEMENTATION, name, PROP_UUID).ok()?;
    Some(uuid_from_native(&raw))
}

/// A string property of the TEE implementation, cut to `N` bytes on a
/// character boundary (invalid UTF-8 or a NUL ends it); empty if the TEE
/// does not have it or it is longer than 256 bytes (the facts show at
/// most 64). Read with one call into a stack buffer.
fn tee_string<const N: usize>(name: &core::ffi::CStr) -> heapless::String<N> {
    let mut buf = [0u8; 256];
    let Ok(len) = property(
        raw::TEE_PROPSET_TEE_IMPLEMENTATION,
        name,
        PROP_STRING,
        &mut buf,
    ) else {
        return heapless::String::new();
    };
    let value = buf.get(..len).unwrap_or_default();
    let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
    let text = value.get(..end).unwrap_or_default();
    let valid = match core::str::from_utf8(text) {
        Ok(s) => s,
        Err(e) => text
            .get(..e.valid_up_to())
            .and_then(|t| core::str::from_utf8(t).ok())
            .unwrap_or_default(),
    };
    bounded(valid)
}

/// The current session's client identity (`gpd.client.identity`: a
/// `TEE_Identity`, its login then its UUID, as the core copies it).
pub fn client_identity() -> Result<ClientIdentity> {
    let raw_id = fixed::<20>(
        raw::TEE_PROPSET_CURRENT_CLIENT,
        c"gpd.client.identity",
        PROP_IDENTITY,
    )
    .map_err(optee_utee::Error::from_raw_error)?;
    let [l0, l1, l2, l3, uuid @ ..] = raw_id;
    let login = match u32::from_ne_bytes([l0, l1, l2, l3]) {
        raw::TEE_LOGIN_PUBLIC => Login::Public,
        raw::TEE_LOGIN_USER => Login::User,
        raw::TEE_LOGIN_GROUP => Login::Group,
        raw::TEE_LOGIN_APPLICATION => Login::Application,
        raw::TEE_LOGIN_APPLICATION_USER => Login::ApplicationUser,
        raw::TEE_LOGIN_APPLICATION_GROUP => Login::ApplicationGroup,
        raw::TEE_LOGIN_TRUSTED_APP => Login::TrustedApp,
        _ => Login::Other,
    };
    Ok(ClientIdentity {
        login,
        uuid: uuid_from_native(&uuid),
    })
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

/// libutee's instance set-up reads one property with the GP function
/// `TEE_GetPropertyAsU32` (whether the CPU implements memory tagging), and
/// that one reference would pull libutee's whole property member into the
/// link: every other GP property function, the enumerators, base64 and
/// `snprintf` for the string forms (~5 KB the TA never calls). This
/// definition takes its place, for the three property sets: the TA's own
/// header properties (`ta_props`) first for the current TA, and libutee's
/// own `gpd.tee.internalCore.version` for the TEE implementation, as
/// libutee does, then the TEE core's through the same two system calls. As GP
/// specifies, it answers SUCCESS, ITEM_NOT_FOUND or BAD_FORMAT (a property
/// of another type) and panics the TA on anything else: a null argument, a
/// handle that is not a property set (this TA never allocates property
/// enumerators; libutee's allocator is not even linked) or a failing core.
///
/// SAFETY (of the `no_mangle` export): nothing else in the TA defines this
/// symbol once libutee's property member is not linked (a second definition
/// would be a link error); the signature is GP's `TEE_Result
/// TEE_GetPropertyAsU32(TEE_PropSetHandle, const char *, uint32_t *)`, and
/// callers pass, as GP requires, a NUL-terminated `name` and a writable
/// `value`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn TEE_GetPropertyAsU32(
    set: raw::TEE_PropSetHandle,
    name: *const core::ffi::c_char,
    value: *mut u32,
) -> raw::TEE_Result {
    let known = [
        raw::TEE_PROPSET_TEE_IMPLEMENTATION,
        raw::TEE_PROPSET_CURRENT_CLIENT,
        raw::TEE_PROPSET_CURRENT_TA,
    ];
    if name.is_null() || value.is_null() || !known.contains(&set) {
        gp_panic();
    }
    // SAFETY: `name` is not null and, as GP requires of the caller,
    // NUL-terminated; it is only read during this call.
    let name = unsafe { core::ffi::CStr::from_ptr(name) };
    let found = if set == raw::TEE_PROPSET_CURRENT_TA {
        header::ta_props.iter().find(|p| {
            // SAFETY: every `ta_props` name is a NUL-terminated static
            // string of the generated header.
            !p.name.is_null() && unsafe { core::ffi::CStr::from_ptr(p.name) } == name
        })
    } else {
        None
    };
    let read = match found {
        Some(p)
            if matches!(p.prop_type, raw::user_ta_prop_type::USER_TA_PROP_TYPE_U32)
                && !p.value.is_null() =>
        {
            // SAFETY: the generated header points a U32 property's value
            // at a static `u32`.
            Ok(unsafe { p.value.cast::<u32>().read() })
        }
        Some(_) => Err(raw::TEE_ERROR_BAD_FORMAT),
        None if set == raw::TEE_PROPSET_TEE_IMPLEMENTATION && name == INTERNAL_CORE_VERSION => {
            Ok(TEE_CORE_API_VERSION)
        }
        None => fixed::<4>(set, name, PROP_U32).map(u32::from_ne_bytes),
    };
    match read {
        Ok(v) => {
            // SAFETY: `value` is not null and, as GP requires of the
            // caller, points to a writable `u32`.
            unsafe { value.write(v) };
            raw::TEE_SUCCESS
        }
        Err(raw::TEE_ERROR_ITEM_NOT_FOUND) => raw::TEE_ERROR_ITEM_NOT_FOUND,
        Err(raw::TEE_ERROR_BAD_FORMAT | raw::TEE_ERROR_SHORT_BUFFER) => raw::TEE_ERROR_BAD_FORMAT,
        Err(_) => gp_panic(),
    }
}

/// Ends the TA instance the way GP's API functions do on a programming
/// error (`TEE_Panic(0)`): the core kills the instance and fails its
/// sessions with TEE_ERROR_TARGET_DEAD.
fn gp_panic() -> ! {
    // SAFETY: TEE_Panic takes a plain code and does not return.
    unsafe { raw::TEE_Panic(0) };
    #[allow(clippy::empty_loop)]
    loop {}
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
