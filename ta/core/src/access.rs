//! Access control at the boundary (ISO/TS 12812-2 7.1): which client login
//! may use which command group.
//!
//! The TA reads `gpd.client.identity` once, when the session opens. Any
//! login may use the user group. The admin group is open only to one
//! identity, fixed when the TA is built: by default the normal-world
//! superuser (`TEE_LOGIN_USER` with the identity Linux derives for uid 0).
//!
//! On OP-TEE the REE-side identities are computed by the normal-world
//! kernel (a UUIDv5 of `"uid=<hex>"` / `"gid=<hex>"` under the TEE client
//! namespace). They are exactly as trustworthy as that kernel: a
//! compromised kernel can claim any identity. They keep ordinary apps away
//! from provisioning; they are no defence against a rooted device.

use mfs_proto::{Group, Login};

/// A session's client identity (`gpd.client.identity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIdentity {
    /// Login method.
    pub login: Login,
    /// Identity UUID (big-endian field order, RFC 4122 byte layout).
    pub uuid: [u8; 16],
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

/// Whether a session with these rights may run a command of `group`.
pub fn allowed(group: Group, admin: bool) -> bool {
    match group {
        Group::User => true,
        Group::Admin => admin,
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
        assert!(allowed(Group::User, false));
        assert!(!allowed(Group::Admin, false));
        assert!(allowed(Group::Admin, true));
    }
}
