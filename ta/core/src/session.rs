//! Per-session state, created when a client opens a session: who the
//! client is, whether it may use admin commands, and its unused PIN
//! session (if any). Dropped with the session.

use mfs_proto::{MAX_SESSIONS, MAX_SESSIONS_PER_CLIENT};

use crate::access::{AdminPolicy, Caller, ClientIdentity};
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

    /// The client commands of this session run for.
    pub fn caller(&self) -> Caller {
        Caller {
            client: self.client,
            admin: self.admin,
        }
    }
}

/// The open sessions, for the caps [`MAX_SESSIONS`] (all clients) and
/// [`MAX_SESSIONS_PER_CLIENT`] (one client identity), so that one client
/// cannot take every session. Kept for the TA instance's lifetime (a wipe
/// does not change which sessions are open); fixed size, no allocation.
#[derive(Debug, Default)]
pub struct Admission {
    /// Open sessions per client identity (at most `MAX_SESSIONS` distinct).
    clients: heapless::Vec<(ClientIdentity, u32), { MAX_SESSIONS as usize }>,
}

/// Why a session was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TooManySessions {
    /// [`MAX_SESSIONS`] are open.
    Total,
    /// This client identity has [`MAX_SESSIONS_PER_CLIENT`] open.
    PerClient,
}

impl Admission {
    /// No session open (usable in a `static`).
    pub const fn new() -> Admission {
        Admission {
            clients: heapless::Vec::new(),
        }
    }

    /// Admits one more session of `client`, or refuses it at a cap.
    pub fn admit(&mut self, client: &ClientIdentity) -> Result<(), TooManySessions> {
        if self.open() >= MAX_SESSIONS {
            return Err(TooManySessions::Total);
        }
        if let Some((_, n)) = self.clients.iter_mut().find(|(c, _)| c == client) {
            if *n >= MAX_SESSIONS_PER_CLIENT {
                return Err(TooManySessions::PerClient);
            }
            *n += 1;
            return Ok(());
        }
        // Fewer than MAX_SESSIONS are open, so fewer clients are listed.
        self.clients
            .push((*client, 1))
            .map_err(|_| TooManySessions::Total)
    }

    /// A session of `client` admitted earlier has closed.
    pub fn release(&mut self, client: &ClientIdentity) {
        if let Some(i) = self.clients.iter().position(|(c, _)| c == client) {
            match self.clients.get_mut(i) {
                Some((_, n)) if *n > 1 => *n -= 1,
                _ => {
                    self.clients.swap_remove(i);
                }
            }
        }
    }

    /// Sessions open now.
    pub fn open(&self) -> u32 {
        self.clients.iter().map(|(_, n)| *n).sum()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn client(n: u8) -> ClientIdentity {
        ClientIdentity {
            login: mfs_proto::Login::User,
            uuid: [n; 16],
        }
    }

    #[test]
    fn one_client_gets_at_most_its_share() {
        let mut a = Admission::default();
        for _ in 0..MAX_SESSIONS_PER_CLIENT {
            a.admit(&client(1)).unwrap();
        }
        assert_eq!(a.admit(&client(1)), Err(TooManySessions::PerClient));
        // another client is not affected
        a.admit(&client(2)).unwrap();
        a.release(&client(1));
        a.admit(&client(1)).unwrap();
        assert_eq!(a.open(), MAX_SESSIONS_PER_CLIENT + 1);
    }

    #[test]
    fn sessions_are_capped_and_a_close_makes_room() {
        let mut a = Admission::default();
        let clients = MAX_SESSIONS.div_ceil(MAX_SESSIONS_PER_CLIENT);
        let mut n = 0;
        'fill: for c in 0..=clients {
            for _ in 0..MAX_SESSIONS_PER_CLIENT {
                if n == MAX_SESSIONS {
                    break 'fill;
                }
                a.admit(&client(u8::try_from(c).unwrap())).unwrap();
                n += 1;
            }
        }
        assert_eq!(a.open(), MAX_SESSIONS);
        assert_eq!(a.admit(&client(200)), Err(TooManySessions::Total));
        assert_eq!(a.admit(&client(0)), Err(TooManySessions::Total));
        a.release(&client(0));
        assert_eq!(a.admit(&client(200)), Ok(()));
        // releasing more than was admitted, or unknown clients, is harmless
        for c in 0..=255u8 {
            for _ in 0..=MAX_SESSIONS {
                a.release(&client(c));
            }
        }
        assert_eq!(a.open(), 0);
    }
}
