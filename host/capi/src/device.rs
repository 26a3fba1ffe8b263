//! `mfs_test_device` (feature `in-process`): the TA's real dispatcher
//! (`mfs_core`) on an in-memory platform, shared by every client opened on
//! it, so the C API can be tested natively — several clients, different
//! identities, one TA — the way the Rust client's own tests run. Never in
//! a device build. Nothing here is `unsafe`.

use std::sync::{Arc, Mutex};

use mfs_core::access::{AdminPolicy, ClientIdentity, LINUX_ROOT_USER_UUID};
use mfs_core::mem::MemPlatform;
use mfs_host::{Error, RawReply, Transport};
use mfs_proto::Login as WireLogin;

use crate::session::{Login, mfs_client};

/// One in-process TA instance and its storage (opaque to C).
#[allow(non_camel_case_types)]
pub struct mfs_test_device {
    shared: Arc<Mutex<Device>>,
}

struct Device {
    platform: MemPlatform,
    instance: mfs_core::Instance,
}

impl mfs_test_device {
    /// A fresh, unprovisioned TA with empty storage.
    pub(crate) fn new() -> mfs_test_device {
        mfs_test_device {
            shared: Arc::new(Mutex::new(Device {
                platform: MemPlatform::new(),
                instance: mfs_core::Instance::default(),
            })),
        }
    }

    /// A session as `login` with numeric identity `id` (uid for a user
    /// login, gid for a group login). The identity UUIDs are the test
    /// rule of this device, not OP-TEE's: uid 0 is Linux root's (the
    /// admin of the default build), any other id is its big-endian bytes
    /// at the end of an otherwise zero UUID.
    pub(crate) fn open(&self, login: Login, id: u32) -> mfs_client {
        let (wire, uuid) = match login {
            Login::Public => (WireLogin::Public, [0; 16]),
            Login::User if id == 0 => (WireLogin::User, LINUX_ROOT_USER_UUID),
            Login::User => (WireLogin::User, id_uuid(id)),
            Login::Group(gid) => (WireLogin::Group, id_uuid(gid)),
        };
        let session = mfs_core::Session::open(
            ClientIdentity { login: wire, uuid },
            &AdminPolicy::ROOT_USER,
        );
        mfs_client::new(Box::new(InProcess {
            shared: Arc::clone(&self.shared),
            session,
        }))
    }
}

fn id_uuid(id: u32) -> [u8; 16] {
    let [a, b, c, d] = id.to_be_bytes();
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, a, b, c, d]
}

struct InProcess {
    shared: Arc<Mutex<Device>>,
    session: mfs_core::Session,
}

impl Transport for InProcess {
    fn call(&mut self, cmd: u32, request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
        // A poisoned lock would mean a panic, and panics abort: never.
        let mut guard = self
            .shared
            .lock()
            .map_err(|_| Error::Tee { code: 0xffff_0000 })?;
        let d = &mut *guard;
        let r = mfs_core::invoke(
            &mut d.platform,
            &mut d.instance,
            &mut self.session,
            cmd,
            request,
            reply,
        );
        Ok(RawReply {
            status: r.status as u32,
            detail: r.detail,
            len: r.len,
        })
    }
}

/// A fresh in-process TA (feature `in-process`, tests only): empty
/// storage, not provisioned. Free with `mfs_test_device_free` after every
/// client opened on it is closed.
#[unsafe(no_mangle)]
pub extern "C" fn mfs_test_device_new() -> *mut mfs_test_device {
    crate::edge::into_handle(mfs_test_device::new())
}

/// Frees a device from `mfs_test_device_new`. NULL is ignored.
///
/// # Safety
/// `dev` is NULL or a device from `mfs_test_device_new` not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_test_device_free(dev: *mut mfs_test_device) {
    // SAFETY: per this function's contract.
    drop(unsafe { crate::edge::from_handle(dev) });
}

/// Opens a session with the in-process TA, as `mfs_open` does with a real
/// one. `id`: the uid of a user login (0: root, the admin) or the gid of
/// a group login.
///
/// # Safety
/// Pointers as `mfs.h` states: NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfs_test_open(
    dev: *const mfs_test_device,
    login: u32,
    id: u32,
    out: *mut *mut mfs_client,
    err: *mut crate::error::mfs_error,
) -> crate::error::mfs_rc {
    use crate::edge::{self, Out};
    use crate::error::Fail;
    // SAFETY: mfs.h's contract: each pointer is NULL or valid for its use.
    let (dev, mut out, err) = unsafe { (edge::get(dev), Out::new(out), Out::new(err)) };
    if let Some(o) = out.as_mut() {
        o.set(core::ptr::null_mut());
    }
    edge::finish(
        err,
        (|| {
            let dev = dev.ok_or(Fail::Argument("dev: NULL"))?;
            let mut out = out.ok_or(Fail::Argument("out: NULL"))?;
            let login = Login::from_c(login, id)?;
            out.set(edge::into_handle(dev.open(login, id)));
            Ok(())
        })(),
    )
}
