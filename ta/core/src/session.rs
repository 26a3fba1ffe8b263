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
/// cannot take every session. Logins that own nothing (PUBLIC, group
/// logins: [`ClientIdentity::can_own`]) share one pool of
/// `MAX_SESSIONS_PER_CLIENT`, and the last of the `MAX_SESSIONS` is kept
/// for the admin identity. Kept for the TA instance's lifetime (a wipe does
/// not change which sessions are open); fixed size, no allocation.
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

/// The pool a client's sessions count against: its own identity, or one
/// shared pool for every login that owns nothing.
fn pool(client: &ClientIdentity) -> ClientIdentity {
    if client.can_own() {
        *client
    } else {
        ClientIdentity {
            login: mfs_proto::Login::Public,
            uuid: [0; 16],
        }
    }
}

impl Admission {
    /// No session open (usable in a `static`).
    pub const fn new() -> Admission {
        Admission {
            clients: heapless::Vec::new(),
        }
    }

    /// Admits one more session of `client` (`admin`: it is the admin
    /// identity), or refuses it at a cap.
    pub fn admit(&mut self, client: &ClientIdentity, admin: bool) -> Result<(), TooManySessions> {
        let room = if admin {
            MAX_SESSIONS
        } else {
            MAX_SESSIONS - 1
        };
        if self.open() >= room {
            return Err(TooManySessions::Total);
        }
        let client = &pool(client);
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
        let client = &pool(client);
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
            a.admit(&client(1), false).unwrap();
        }
        assert_eq!(a.admit(&client(1), false), Err(TooManySessions::PerClient));
        // another client is not affected
        a.admit(&client(2), false).unwrap();
        a.release(&client(1));
        a.admit(&client(1), false).unwrap();
        assert_eq!(a.open(), MAX_SESSIONS_PER_CLIENT + 1);
    }

    /// PUBLIC and group logins own nothing and share one pool: one app
    /// cannot multiply its share by switching login method.
    #[test]
    fn logins_that_own_nothing_share_one_pool() {
        use mfs_proto::Login;
        let mut a = Admission::default();
        let shared = [
            ClientIdentity {
                login: Login::Public,
                uuid: [0; 16],
            },
            ClientIdentity {
                login: Login::Group,
                uuid: [5; 16],
            },
            ClientIdentity {
                login: Login::Group,
                uuid: [6; 16],
            },
            ClientIdentity {
                login: Login::ApplicationGroup,
                uuid: [7; 16],
            },
        ];
        let mut n = 0;
        for c in shared
            .iter()
            .cycle()
            .take(2 * MAX_SESSIONS_PER_CLIENT as usize)
        {
            if a.admit(c, false).is_ok() {
                n += 1;
            }
        }
        assert_eq!(n, MAX_SESSIONS_PER_CLIENT);
        a.release(&shared[2]);
        assert_eq!(a.admit(&shared[0], false), Ok(()));
        assert_eq!(a.admit(&client(1), false), Ok(()), "users have their own");
    }

    #[test]
    fn sessions_are_capped_the_last_kept_for_the_admin_and_a_close_makes_room() {
        let mut a = Admission::default();
        let mut n = 0;
        let mut c = 0u8;
        while n < MAX_SESSIONS - 1 {
            for _ in 0..MAX_SESSIONS_PER_CLIENT.min(MAX_SESSIONS - 1 - n) {
                a.admit(&client(c), false).unwrap();
                n += 1;
            }
            c += 1;
        }
        assert_eq!(a.open(), MAX_SESSIONS - 1);
        // no other client gets the last session: it is the admin's
        assert_eq!(a.admit(&client(200), false), Err(TooManySessions::Total));
        assert_eq!(a.admit(&client(201), true), Ok(()));
        assert_eq!(a.open(), MAX_SESSIONS);
        assert_eq!(a.admit(&client(201), true), Err(TooManySessions::Total));
        // others may hold up to MAX_SESSIONS - 1 in all, the admin's
        // sessions counted
        a.release(&client(0));
        assert_eq!(a.admit(&client(200), false), Err(TooManySessions::Total));
        a.release(&client(0));
        assert_eq!(a.admit(&client(200), false), Ok(()));
        // releasing more than was admitted, or unknown clients, is harmless
        for c in 0..=255u8 {
            for _ in 0..=MAX_SESSIONS {
                a.release(&client(c));
            }
        }
        assert_eq!(a.open(), 0);
    }
}
