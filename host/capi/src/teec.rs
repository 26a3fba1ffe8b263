//! A session with the TA through OP-TEE's libteec, called directly: unlike
//! the optee-teec crate it passes the connection data a group login needs
//! (the group id), so public, user and group logins all work.
//!
//! All of this module's `unsafe` is calls into libteec, each with its
//! `// SAFETY:` note.

use core::ffi::c_void;
use core::ptr;

use mfs_host::{Error, RawReply, Transport};
use optee_teec_sys as sys;

use crate::error::Fail;
use crate::session::Login;

/// `TEEC_ERROR_BAD_PARAMETERS`.
const BAD_PARAMETERS: u32 = 0xffff_0006;

/// libteec's form of a UUID parsed by [`crate::session::parse_uuid`].
pub(crate) fn teec_uuid(bytes: [u8; 16]) -> sys::TEEC_UUID {
    let [a0, a1, a2, a3, m0, m1, h0, h1, rest @ ..] = bytes;
    sys::TEEC_UUID {
        timeLow: u32::from_be_bytes([a0, a1, a2, a3]),
        timeMid: u16::from_be_bytes([m0, m1]),
        timeHiAndVersion: u16::from_be_bytes([h0, h1]),
        clockSeqAndNode: rest,
    }
}

fn empty_operation() -> sys::TEEC_Operation {
    let none = sys::TEEC_Parameter {
        value: sys::TEEC_Value { a: 0, b: 0 },
    };
    sys::TEEC_Operation {
        started: 0,
        paramTypes: 0,
        params: [none; 4],
        imp: sys::TEEC_Operation__Imp {
            session: ptr::null_mut(),
        },
    }
}

/// An open libteec context and session. Both live in boxes: libteec keeps
/// a pointer to the context in the session, so neither may move.
pub(crate) struct Teec {
    context: Box<sys::TEEC_Context>,
    session: Box<sys::TEEC_Session>,
}

impl Teec {
    /// Opens a session with the TA `uuid` with the given login.
    pub(crate) fn open(uuid: &sys::TEEC_UUID, login: Login) -> Result<Teec, Fail> {
        let mut context = Box::new(sys::TEEC_Context {
            imp: sys::TEEC_Context__Imp {
                fd: -1,
                reg_mem: false,
                memref_null: false,
            },
        });
        // SAFETY: a NULL name selects the default TEE; `context` is a
        // valid, exclusively borrowed TEEC_Context that outlives the call.
        let rc = unsafe { sys::TEEC_InitializeContext(ptr::null(), &mut *context) };
        if rc != 0 {
            return Err(Fail::Open(rc));
        }
        let mut session = Box::new(sys::TEEC_Session {
            imp: sys::TEEC_Session__Imp {
                ctx: ptr::null_mut(),
                session_id: 0,
            },
        });
        let (method, group) = match login {
            Login::Public => (sys::TEEC_LOGIN_PUBLIC, None),
            Login::User => (sys::TEEC_LOGIN_USER, None),
            Login::Group(gid) => (sys::TEEC_LOGIN_GROUP, Some(gid)),
        };
        let data: *const c_void = match &group {
            Some(gid) => ptr::from_ref(gid).cast(),
            None => ptr::null(),
        };
        let mut origin = 0u32;
        // SAFETY: `context` was initialised above and is boxed (it does not
        // move while the session exists); `session`, `uuid` and `origin`
        // are valid for the call; `data` is NULL or points to the group id
        // (a u32, what libteec reads for TEEC_LOGIN_GROUP), alive for the
        // call; no operation is passed.
        let rc = unsafe {
            sys::TEEC_OpenSession(
                &mut *context,
                &mut *session,
                uuid,
                method,
                data,
                ptr::null_mut(),
                &mut origin,
            )
        };
        if rc != 0 {
            // SAFETY: the context was initialised and has no session.
            unsafe { sys::TEEC_FinalizeContext(&mut *context) };
            return Err(Fail::Open(rc));
        }
        Ok(Teec { context, session })
    }
}

impl Transport for Teec {
    fn call(&mut self, cmd: u32, request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
        let mut op = empty_operation();
        op.paramTypes = sys::TEEC_PARAM_TYPES(
            sys::TEEC_VALUE_OUTPUT,
            sys::TEEC_MEMREF_TEMP_INPUT,
            sys::TEEC_MEMREF_TEMP_OUTPUT,
            sys::TEEC_NONE,
        );
        op.params[1] = sys::TEEC_Parameter {
            tmpref: sys::TEEC_TempMemoryReference {
                // libteec only reads an input buffer.
                buffer: request.as_ptr().cast_mut().cast(),
                size: request.len(),
            },
        };
        op.params[2] = sys::TEEC_Parameter {
            tmpref: sys::TEEC_TempMemoryReference {
                buffer: reply.as_mut_ptr().cast(),
                size: reply.len(),
            },
        };
        let mut origin = 0u32;
        // SAFETY: the session is open (it is closed only in Drop); the
        // operation's two buffers are valid for their sizes for the whole
        // call (borrowed from `request` and `reply`), and libteec writes
        // only into the output one.
        let rc = unsafe { sys::TEEC_InvokeCommand(&mut *self.session, cmd, &mut op, &mut origin) };
        if rc != 0 {
            return Err(Error::Tee { code: rc });
        }
        // SAFETY: parameter 0 is a value output and 2 a temporary memref,
        // as set above; libteec updated exactly those union members.
        let (value, len) = unsafe { (op.params[0].value, op.params[2].tmpref.size) };
        if len > reply.len() {
            return Err(Error::Tee {
                code: BAD_PARAMETERS,
            });
        }
        Ok(RawReply {
            status: value.a,
            detail: value.b,
            len,
        })
    }
}

impl Drop for Teec {
    fn drop(&mut self) {
        // SAFETY: the session was opened in `open` and is closed once,
        // here, before its context is finalised.
        unsafe {
            sys::TEEC_CloseSession(&mut *self.session);
            sys::TEEC_FinalizeContext(&mut *self.context);
        }
    }
}

#[cfg(test)]
mod test {
    use super::teec_uuid;
    use crate::session::parse_uuid;

    #[test]
    fn uuid_fields_are_big_endian() {
        let u = teec_uuid(parse_uuid("8aaaf200-2450-11e4-abe2-0002a5d5c51b").unwrap());
        assert_eq!(u.timeLow, 0x8aaa_f200);
        assert_eq!(u.timeMid, 0x2450);
        assert_eq!(u.timeHiAndVersion, 0x11e4);
        assert_eq!(
            u.clockSeqAndNode,
            [0xab, 0xe2, 0, 2, 0xa5, 0xd5, 0xc5, 0x1b]
        );
    }
}
