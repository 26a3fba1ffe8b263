//! Typed calls to the TA.

use mfs_proto::{
    Command, EmptyRequest, InfoReply, MAX_REPLY_LEN, MAX_REQUEST_LEN, PROTOCOL_CURRENT, PingReply,
    PingRequest, ProvisionReply, ProvisionRequest, Status, decode, encode,
};
use serde::{Serialize, de::DeserializeOwned};

use crate::{Error, Transport};

/// A client of the TA over some [`Transport`].
pub struct Client<T: Transport> {
    transport: T,
}

impl<T: Transport> Client<T> {
    /// Wraps an open transport.
    pub fn new(transport: T) -> Self {
        Client { transport }
    }

    /// The underlying transport.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends one request and decodes the reply.
    ///
    /// The output buffer is always `MAX_REPLY_LEN` bytes, which the TA
    /// guarantees is enough: a state-changing command is never sent twice
    /// because of a short buffer.
    fn call<Req: Serialize, Rep: DeserializeOwned>(
        &mut self,
        cmd: Command,
        request: &Req,
    ) -> Result<Rep, Error> {
        let mut req = [0u8; MAX_REQUEST_LEN];
        let n = encode(request, &mut req).map_err(|_| Error::RequestTooLarge)?;
        let mut reply = vec![0u8; MAX_REPLY_LEN];
        let raw = self
            .transport
            .call(cmd as u32, req.get(..n).unwrap_or_default(), &mut reply)?;
        let status = Status::try_from(raw.status).map_err(|e| Error::UnknownStatus(e.0))?;
        if status != Status::Ok {
            return Err(Error::Status {
                status,
                detail: raw.detail,
            });
        }
        let body = reply.get(..raw.len).ok_or(Error::BadReply)?;
        decode(body).map_err(|_| Error::BadReply)
    }

    /// Liveness check: the TA echoes `echo`.
    pub fn ping(&mut self, echo: u32) -> Result<u32, Error> {
        let r: PingReply = self.call(
            Command::Ping,
            &PingRequest {
                v: PROTOCOL_CURRENT,
                echo,
            },
        )?;
        Ok(r.echo)
    }

    /// TA version, protocol range, platform facts and this session's rights.
    pub fn info(&mut self) -> Result<InfoReply, Error> {
        self.call(
            Command::Info,
            &EmptyRequest {
                v: PROTOCOL_CURRENT,
            },
        )
    }

    /// One-time provisioning (admin): sets the PIN try limit.
    pub fn provision(&mut self, pin_max_tries: u8) -> Result<ProvisionReply, Error> {
        self.call(
            Command::Provision,
            &ProvisionRequest {
                v: PROTOCOL_CURRENT,
                pin_max_tries,
            },
        )
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::RawReply;
    use mfs_core::access::{AdminPolicy, ClientIdentity, LINUX_ROOT_USER_UUID};
    use mfs_core::mem::MemPlatform;
    use mfs_proto::Login;

    /// Runs requests through the TA's real dispatcher on an in-memory
    /// platform: the whole client/TA protocol, minus OP-TEE.
    struct InProcess {
        platform: MemPlatform,
        session: mfs_core::Session,
        sent: Vec<Vec<u8>>,
    }

    impl InProcess {
        fn new(login: Login, uuid: [u8; 16]) -> Self {
            InProcess {
                platform: MemPlatform::new(),
                session: mfs_core::Session::open(
                    ClientIdentity { login, uuid },
                    &AdminPolicy::ROOT_USER,
                ),
                sent: Vec::new(),
            }
        }
    }

    impl Transport for InProcess {
        fn call(&mut self, cmd: u32, request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
            self.sent.push(request.to_vec());
            let r = mfs_core::invoke(&mut self.platform, &mut self.session, cmd, request, reply);
            Ok(RawReply {
                status: r.status as u32,
                detail: r.detail,
                len: r.len,
            })
        }
    }

    #[test]
    fn typed_calls_round_trip() {
        let mut c = Client::new(InProcess::new(Login::User, LINUX_ROOT_USER_UUID));
        assert_eq!(c.ping(0xfeed).unwrap(), 0xfeed);
        let info = c.info().unwrap();
        assert!(info.admin);
        assert!(!info.provisioned);
        assert_eq!(c.provision(5).unwrap().pin_max_tries, 5);
        assert_eq!(c.info().unwrap().pin_max_tries, Some(5));
        let e = c.provision(5).unwrap_err();
        assert_eq!(e.status(), Some(Status::AlreadyProvisioned));
        // every request carried the protocol version
        for req in &c.transport_mut().sent {
            assert!(
                req.starts_with(b"{\"v\":1"),
                "{}",
                String::from_utf8_lossy(req)
            );
        }
    }

    #[test]
    fn refusals_are_typed_errors() {
        let mut c = Client::new(InProcess::new(Login::Public, [0; 16]));
        assert_eq!(
            c.provision(5),
            Err(Error::Status {
                status: Status::AccessDenied,
                detail: 0
            })
        );
        assert!(!c.info().unwrap().admin);
    }

    struct Scripted(RawReply, &'static [u8]);
    impl Transport for Scripted {
        fn call(&mut self, _: u32, _: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
            reply[..self.1.len()].copy_from_slice(self.1);
            Ok(self.0)
        }
    }

    #[test]
    fn malformed_replies_are_errors_not_panics() {
        let ok = |len| RawReply {
            status: 0,
            detail: 0,
            len,
        };
        assert_eq!(
            Client::new(Scripted(ok(3), b"{x}")).ping(1),
            Err(Error::BadReply)
        );
        assert_eq!(
            Client::new(Scripted(ok(5000), b"")).ping(1),
            Err(Error::BadReply)
        );
        let unknown = RawReply {
            status: 77,
            detail: 0,
            len: 0,
        };
        assert_eq!(
            Client::new(Scripted(unknown, b"")).ping(1),
            Err(Error::UnknownStatus(77))
        );
    }
}
