//! How requests reach the TA: the [`Transport`] trait, the login method
//! of a session, and [`TeecTransport`] (feature `teec`), a libteec session.

use crate::error::Error;

/// What the TA put in GP parameter 0 and how much of the output buffer it
/// filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawReply {
    /// Parameter 0 `a`: the raw status code.
    pub status: u32,
    /// Parameter 0 `b`: the status detail.
    pub detail: u32,
    /// Bytes written to the output buffer.
    pub len: usize,
}

/// One framed call to the TA (see `mfs_proto` for the framing).
pub trait Transport {
    /// Sends `request` as command `cmd`, with `reply` as the output buffer.
    fn call(&mut self, cmd: u32, request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn call(&mut self, cmd: u32, request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
        (**self).call(cmd, request, reply)
    }
}

/// A boxed transport (e.g. `Box<dyn Transport>`, chosen at run time).
impl<T: Transport + ?Sized> Transport for Box<T> {
    fn call(&mut self, cmd: u32, request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
        (**self).call(cmd, request, reply)
    }
}

/// GlobalPlatform login method for the session. The TA grants the admin
/// command group by login identity (see `docs/ta-interface.md`).
///
/// Group logins are not offered: libteec reads the group ID from the
/// open-session connection data, which optee-teec 0.10 always passes as
/// NULL (the call would crash in libteec). C clients can use them.
///
/// With feature `cli` it is a `clap::ValueEnum` (`public`, `user`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum LoginMethod {
    /// No identity.
    Public,
    /// The calling process's effective user (the default).
    #[default]
    User,
}

#[cfg(feature = "teec")]
mod teec {
    use super::{LoginMethod, RawReply, Transport};
    use crate::Error;
    use optee_teec::{
        ConnectionMethods, Context, Operation, ParamNone, ParamTmpRef, ParamType, ParamValue,
        Session, Uuid,
    };

    /// A session with the TA through OP-TEE's libteec.
    pub struct TeecTransport {
        session: Session,
        // Declared after `session` so the session closes first.
        _context: Context,
    }

    fn tee(e: optee_teec::Error) -> Error {
        Error::Tee { code: e.raw_code() }
    }

    impl TeecTransport {
        /// Opens a session with the TA `uuid` (normally `mfs_proto::TA_UUID`).
        pub fn open(uuid: &str, login: LoginMethod) -> Result<Self, Error> {
            let mut context = Context::new().map_err(tee)?;
            let uuid = Uuid::parse_str(uuid).map_err(tee)?;
            let method = match login {
                LoginMethod::Public => ConnectionMethods::LoginPublic,
                LoginMethod::User => ConnectionMethods::LoginUser,
            };
            let session = context.open_session_with_login(uuid, method).map_err(tee)?;
            Ok(TeecTransport {
                session,
                _context: context,
            })
        }
    }

    impl Transport for TeecTransport {
        fn call(&mut self, cmd: u32, request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
            let p0 = ParamValue::new(0, 0, ParamType::ValueOutput);
            let p1 = ParamTmpRef::new_input(request);
            let p2 = ParamTmpRef::new_output(reply);
            let mut op = Operation::new(0, p0, p1, p2, ParamNone);
            self.session.invoke_command(cmd, &mut op).map_err(tee)?;
            let (p0, _, p2, _) = op.parameters();
            Ok(RawReply {
                status: p0.a(),
                detail: p0.b(),
                len: p2.updated_size(),
            })
        }
    }
}

#[cfg(feature = "teec")]
pub use teec::TeecTransport;
