//! Access control at the boundary (ISO/TS 12812-2 7.1): which client login
//! may use which command group.
//!
//! The TA reads `gpd.client.identity` once, when the session opens. The
//! user group is open to the admin identity and to logins that name one
//! principal able to own keys and a PIN ([`ClientIdentity::can_own`]:
//! user, application, application-user and TA logins); every other login
//! (PUBLIC, group logins, an unknown login) may use only `ping` and `info`
//! ([`allowed`]). The admin group is open only to one identity, fixed when
//! the TA is built: by default the normal-world superuser
//! (`TEE_LOGIN_USER` with the identity Linux derives for uid 0).
//!
//! On OP-TEE the REE-side identities are computed by the normal-world
//! kernel (a UUIDv5 of `"uid=<hex>"` / `"gid=<hex>"` under the TEE client
//! namespace). They are exactly as trustworthy as that kernel: a
//! compromised kernel can claim any identity. They keep ordinary apps away
//! from provisioning; they are no defence against a rooted device.

use mfs_proto::{Command, Group, Login};
use sha2::{Digest, Sha256};

/// A session's client identity (`gpd.client.identity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIdentity {
    /// Login method.
    pub login: Login,
    /// Identity UUID (big-endian field order, RFC 4122 byte layout).
    pub uuid: [u8; 16],
}

/// Bytes of a [`ClientIdentity`] in stored form: GP login code (u32
/// big-endian) ‖ identity UUID.
pub const CLIENT_IDENTITY_LEN: usize = mfs_proto::OWNER_LEN;

impl ClientIdentity {
    /// The GP login code (`TEE_LOGIN_*`) of the login method; `Other`
    /// (an implementation-defined login) is stored as `0xffff_ffff`.
    pub fn login_code(&self) -> u32 {
        self.login.gp_code()
    }

    /// The stored form: login code (u32 big-endian) ‖ UUID.
    pub fn to_bytes(&self) -> [u8; CLIENT_IDENTITY_LEN] {
        let mut b = [0u8; CLIENT_IDENTITY_LEN];
        let (code, uuid) = b.split_at_mut(4);
        code.copy_from_slice(&self.login_code().to_be_bytes());
        uuid.copy_from_slice(&self.uuid);
        b
    }

    /// Parses the stored form; `None` for an unknown login code.
    pub fn from_bytes(b: &[u8; CLIENT_IDENTITY_LEN]) -> Option<ClientIdentity> {
        let (code, uuid) = b.split_first_chunk::<4>()?;
        let login = match u32::from_be_bytes(*code) {
            0 => Login::Public,
            1 => Login::User,
            2 => Login::Group,
            4 => Login::Application,
            5 => Login::ApplicationUser,
            6 => Login::ApplicationGroup,
            0xF000_0000 => Login::TrustedApp,
            0xFFFF_FFFF => Login::Other,
            _ => return None,
        };
        Some(ClientIdentity {
            login,
            uuid: uuid.try_into().ok()?,
        })
    }

    /// Whether the login names one principal that can own keys and a PIN:
    /// a user (`TEE_LOGIN_USER`), an application (`APPLICATION`,
    /// `APPLICATION_USER`) or another TA. A PUBLIC login has no identity,
    /// a group identity (`GROUP`, `APPLICATION_GROUP`) is shared by every
    /// member of the group (on Linux any process may log in as any group it
    /// is in, and every TEE client is in the group owning `/dev/tee0`), and
    /// `Other` is not known: such logins own nothing.
    pub fn can_own(&self) -> bool {
        matches!(
            self.login,
            Login::User | Login::Application | Login::ApplicationUser | Login::TrustedApp
        )
    }

    /// The identity's 8-byte tag in the key index and in PIN object names:
    /// the first 8 bytes of SHA-256(`"mfs-ta/owner/v1"` ‖ stored form).
    /// Never all-zero (that is [`OwnerTag::LEGACY`]).
    pub fn tag(&self) -> OwnerTag {
        let d = Sha256::new()
            .chain_update(b"mfs-ta/owner/v1")
            .chain_update(self.to_bytes())
            .finalize();
        let mut t = [0u8; 8];
        t.copy_from_slice(d.get(..8).unwrap_or(&[1; 8]));
        if t == OwnerTag::LEGACY.0 {
            t[7] = 1;
        }
        OwnerTag(t)
    }
}

/// Who owns a key or a PIN record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Created by a version before client isolation, which recorded no
    /// owner: adopted by the admin identity (see *Migration* in
    /// `docs/ta-interface.md`).
    Legacy,
    /// The client identity that created it.
    Client(ClientIdentity),
}

impl Owner {
    /// The owner's tag ([`OwnerTag::LEGACY`] for legacy state).
    pub fn tag(&self) -> OwnerTag {
        match self {
            Owner::Legacy => OwnerTag::LEGACY,
            Owner::Client(c) => c.tag(),
        }
    }
}

/// A short, stored name of an owner (see [`ClientIdentity::tag`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwnerTag(pub [u8; 8]);

impl OwnerTag {
    /// The tag of legacy (pre-isolation) state.
    pub const LEGACY: OwnerTag = OwnerTag([0; 8]);
}

/// The client a command runs for: its identity, fixed at session open,
/// and whether it is the admin identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The session's client identity.
    pub client: ClientIdentity,
    /// Whether the identity is the admin's.
    pub admin: bool,
}

impl Caller {
    /// What the caller creates belongs to it.
    pub fn owner(&self) -> Owner {
        Owner::Client(self.client)
    }

    /// The caller's own tag.
    pub fn tag(&self) -> OwnerTag {
        self.client.tag()
    }

    /// Whether the caller may use something owned by `owner`: its own, and
    /// for the admin identity also legacy state.
    pub fn owns(&self, owner: &Owner) -> bool {
        match owner {
            Owner::Legacy => self.admin,
            Owner::Client(c) => *c == self.client,
        }
    }

    /// [`Caller::owns`] by tag (the key index stores tags only).
    pub fn owns_tag(&self, tag: OwnerTag) -> bool {
        tag == self.tag() || (self.admin && tag == OwnerTag::LEGACY)
    }
}

/// Linux's namespace for TEE client identities (`tee_client_uuid_ns`,
/// drivers/tee/tee_core.c): 58ac9ca0-2086-4683-a1b8-ec4bc08e01b6.
pub const LINUX_TEE_CLIENT_NS: [u8; 16] = [
    0x58, 0xac, 0x9c, 0xa0, 0x20, 0x86, 0x46, 0x83, 0xa1, 0xb8, 0xec, 0x4b, 0xc0, 0x8e, 0x01, 0xb6,
];

/// UUIDv5(LINUX_TEE_CLIENT_NS, "uid=0"): what Linux reports for a
/// `TEE_LOGIN_USER` session opened by root
/// (ef0180a3-13f3-5d1c-b7f5-888c0e21059a; checked by a unit test).
pub const LINUX_ROOT_USER_UUID: [u8; 16] = [
    0xef, 0x01, 0x80, 0xa3, 0x13, 0xf3, 0x5d, 0x1c, 0xb7, 0xf5, 0x88, 0x8c, 0x0e, 0x21, 0x05, 0x9a,
];

/// The one identity allowed to use admin-group commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdminPolicy {
    /// Required login method.
    pub login: Login,
    /// Required identity UUID.
    pub uuid: [u8; 16],
}

impl AdminPolicy {
    /// Default: the normal world's root user.
    pub const ROOT_USER: AdminPolicy = AdminPolicy {
        login: Login::User,
        uuid: LINUX_ROOT_USER_UUID,
    };

    /// Whether `client` may use admin-group commands.
    pub fn admits(&self, client: &ClientIdentity) -> bool {
        // Public, application and TA logins never qualify: their UUIDs are
        // all-zero or not bound to a user the OEM can name.
        client.login == self.login && client.uuid == self.uuid
    }
}

/// Whether `caller` may run `command`: admin-group commands only for the
/// admin identity; the user group for logins that can own keys and a PIN
/// ([`ClientIdentity::can_own`]) and for the admin; every other login
/// (PUBLIC, group logins) only `ping` and `info`.
pub fn allowed(command: Command, caller: &Caller) -> bool {
    match command.group() {
        Group::Admin => caller.admin,
        Group::User => {
            caller.admin
                || caller.client.can_own()
                || matches!(command, Command::Ping | Command::Info)
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use sha1::{Digest, Sha1};

    /// RFC 4122 section 4.3 name-based UUID, SHA-1 (version 5).
    fn uuid_v5(ns: &[u8; 16], name: &str) -> [u8; 16] {
        let mut h = Sha1::new();
        h.update(ns);
        h.update(name.as_bytes());
        let d = h.finalize();
        let mut u = [0u8; 16];
        u.copy_from_slice(&d[..16]);
        u[6] = (u[6] & 0x0f) | 0x50;
        u[8] = (u[8] & 0x3f) | 0x80;
        u
    }

    #[test]
    fn root_identity_is_linux_uuid_v5_of_uid_0() {
        // Linux formats the name with "%x" of the euid.
        assert_eq!(uuid_v5(&LINUX_TEE_CLIENT_NS, "uid=0"), LINUX_ROOT_USER_UUID);
    }

    #[test]
    fn only_the_configured_identity_is_admin() {
        let p = AdminPolicy::ROOT_USER;
        let root = ClientIdentity {
            login: Login::User,
            uuid: LINUX_ROOT_USER_UUID,
        };
        assert!(p.admits(&root));
        let other_user = ClientIdentity {
            login: Login::User,
            uuid: uuid_v5(&LINUX_TEE_CLIENT_NS, "uid=3e8"),
        };
        assert!(!p.admits(&other_user));
        // same UUID through another login method does not count
        for login in [
            Login::Public,
            Login::Group,
            Login::Application,
            Login::TrustedApp,
        ] {
            assert!(!p.admits(&ClientIdentity {
                login,
                uuid: LINUX_ROOT_USER_UUID
            }));
        }
    }

    fn caller(login: Login, uuid: [u8; 16], admin: bool) -> Caller {
        Caller {
            client: ClientIdentity { login, uuid },
            admin,
        }
    }

    #[test]
    fn public_and_group_logins_get_ping_and_info_only() {
        let public = caller(Login::Public, [0; 16], false);
        let group = caller(Login::Group, [9; 16], false);
        let app_group = caller(Login::ApplicationGroup, [9; 16], false);
        let other = caller(Login::Other, [9; 16], false);
        let user = caller(Login::User, [7; 16], false);
        let admin = caller(Login::User, LINUX_ROOT_USER_UUID, true);
        for c in Command::ALL {
            let open = matches!(c, Command::Ping | Command::Info);
            for shared in [&public, &group, &app_group, &other] {
                assert_eq!(allowed(c, shared), open, "{c:?} {shared:?}");
            }
            for owner in [
                Login::Application,
                Login::ApplicationUser,
                Login::TrustedApp,
            ] {
                let o = caller(owner, [3; 16], false);
                assert_eq!(allowed(c, &o), c.group() == Group::User, "{c:?} {o:?}");
            }
            assert_eq!(allowed(c, &user), c.group() == Group::User, "{c:?}");
            assert!(allowed(c, &admin), "{c:?}");
        }
    }

    #[test]
    fn owners_are_exact_identities_and_legacy_goes_to_the_admin() {
        let a = caller(Login::User, [7; 16], false);
        let b = caller(Login::User, [8; 16], false);
        let a_app = caller(Login::Application, [7; 16], false);
        let admin = caller(Login::User, LINUX_ROOT_USER_UUID, true);
        assert!(a.owns(&a.owner()) && a.owns_tag(a.tag()));
        for other in [b, a_app, admin] {
            assert!(!a.owns(&other.owner()), "{other:?}");
            assert!(!a.owns_tag(other.tag()), "{other:?}");
            assert_ne!(a.tag(), other.tag());
        }
        assert!(!a.owns(&Owner::Legacy) && !a.owns_tag(OwnerTag::LEGACY));
        assert!(admin.owns(&Owner::Legacy) && admin.owns_tag(OwnerTag::LEGACY));
        assert!(!admin.owns(&a.owner()));
    }

    #[test]
    fn identities_round_trip_their_stored_form() {
        for login in [
            Login::Public,
            Login::User,
            Login::Group,
            Login::Application,
            Login::ApplicationUser,
            Login::ApplicationGroup,
            Login::TrustedApp,
            Login::Other,
        ] {
            let c = ClientIdentity {
                login,
                uuid: [0x5a; 16],
            };
            assert_eq!(ClientIdentity::from_bytes(&c.to_bytes()), Some(c));
        }
        let mut b = [0u8; CLIENT_IDENTITY_LEN];
        b[3] = 3; // no GP login has code 3
        assert_eq!(ClientIdentity::from_bytes(&b), None);
        // the tag is a fixed function of the stored form (pinned value)
        let root = ClientIdentity {
            login: Login::User,
            uuid: LINUX_ROOT_USER_UUID,
        };
        let d = Sha256::new()
            .chain_update(b"mfs-ta/owner/v1")
            .chain_update(root.to_bytes())
            .finalize();
        assert_eq!(root.tag().0[..], d[..8]);
    }
}
