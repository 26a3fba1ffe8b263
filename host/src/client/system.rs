//! System commands: liveness, platform information, one-time provisioning
//! and application deactivation (wipe).

use mfs_proto::pin::EC_POINT_LEN;
use mfs_proto::{
    Command, EmptyRequest, InfoReply, PROTOCOL_CURRENT, PingReply, PingRequest, ProvisionReply,
    ProvisionRequest, WipeReply, hex_string,
};

use super::Client;
use crate::error::Error;
use crate::transport::Transport;

impl<T: Transport> Client<T> {
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

    /// One-time provisioning (admin): the PIN try limit, the throttle
    /// base delay and the issuer's unblock key (SEC1 uncompressed).
    pub fn provision(
        &mut self,
        pin_max_tries: u8,
        pin_throttle_ms: u32,
        issuer_key: &[u8; EC_POINT_LEN],
    ) -> Result<ProvisionReply, Error> {
        self.provision_policy(pin_max_tries, pin_throttle_ms, issuer_key, false)
    }

    /// [`Client::provision`], optionally requiring rollback-protected
    /// storage (RPMB) for PIN, consent and usage-limited services: the
    /// production setting (refused on REE FS with `rollback-unprotected`).
    pub fn provision_policy(
        &mut self,
        pin_max_tries: u8,
        pin_throttle_ms: u32,
        issuer_key: &[u8; EC_POINT_LEN],
        require_rollback_protection: bool,
    ) -> Result<ProvisionReply, Error> {
        let req = ProvisionRequest {
            v: PROTOCOL_CURRENT,
            pin_max_tries,
            pin_throttle_ms,
            issuer_key: hex_string(issuer_key).map_err(|_| Error::RequestTooLarge)?,
            require_rollback_protection: Some(require_rollback_protection),
        };
        self.call(Command::Provision, &req)
    }

    /// Application deactivation (admin): destroys every key, the PIN, the
    /// policy and the TA-unique secret. Irreversible.
    pub fn wipe(&mut self) -> Result<WipeReply, Error> {
        self.call(
            Command::Wipe,
            &EmptyRequest {
                v: PROTOCOL_CURRENT,
            },
        )
    }
}
