//! Per-session state, created when a client opens a session: who the
//! client is, whether it may use admin commands, and its unused PIN
//! session (if any). Dropped with the session.

use mfs_proto::MAX_SESSIONS;

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

/// The count of open sessions, for the cap [`MAX_SESSIONS`]. Kept for the
/// TA instance's lifetime (a wipe does not change which sessions are open).
#[derive(Debug, Default)]
pub struct Admission {
    open: u32,
}

/// A session was refused: [`MAX_SESSIONS`] are open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManySessions;

impl Admission {
    /// No session open (usable in a `static`).
    pub const fn new() -> Admission {
        Admission { open: 0 }
    }

    /// Admits one more session, or refuses it at the cap.
    pub fn admit(&mut self) -> Result<(), TooManySessions> {
        if self.open >= MAX_SESSIONS {
            return Err(TooManySessions);
        }
        self.open += 1;
        Ok(())
    }

    /// A session admitted earlier has closed.
    pub fn release(&mut self) {
        self.open = self.open.saturating_sub(1);
    }

    /// Sessions open now.
    pub fn open(&self) -> u32 {
        self.open
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn sessions_are_capped_and_a_close_makes_room() {
        let mut a = Admission::default();
        for _ in 0..MAX_SESSIONS {
            a.admit().unwrap();
        }
        assert_eq!(a.admit(), Err(TooManySessions));
        assert_eq!(a.open(), MAX_SESSIONS);
        a.release();
        assert_eq!(a.admit(), Ok(()));
        for _ in 0..2 * MAX_SESSIONS {
            a.release();
        }
        assert_eq!(a.open(), 0);
    }
}
