//! Per-session state, created when a client opens a session: who the
//! client is, whether it may use admin commands, and its unused PIN
//! session (if any). Dropped with the session.

use crate::access::{AdminPolicy, ClientIdentity};
use crate::pin::PinSession;

/// Per-session state.
#[derive(Debug)]
pub struct Session {
    /// The client's login identity (GP `gpd.client.identity`).
    pub client: ClientIdentity,
    admin: bool,
    /// The session's unused PIN session, if one is open.
    pub pin: Option<PinSession>,
}

impl Session {
    /// Opens a session for `client` under the TA's admin policy.
    pub fn open(client: ClientIdentity, policy: &AdminPolicy) -> Self {
        Session {
            client,
            admin: policy.admits(&client),
            pin: None,
        }
    }

    /// Whether this session may use admin-group commands.
    pub fn is_admin(&self) -> bool {
        self.admin
    }
}
