//! The handle behind `mfs_client *`: a [`Client`] over whichever transport
//! opened it (libteec, or the in-process TA of the native tests), and the
//! login and UUID choices of `mfs_open`. Nothing here is `unsafe`.

use mfs_host::{Client, Transport};

use crate::error::Fail;

/// How a session logs in to the TA (`mfs_login` in C, plus the group id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Login {
    /// `MFS_LOGIN_PUBLIC`: no identity (the TA grants `ping` and `info`).
    Public,
    /// `MFS_LOGIN_USER`: the calling process's effective user.
    User,
    /// `MFS_LOGIN_GROUP`: a group the calling process is a member of.
    Group(u32),
}

/// `MFS_LOGIN_PUBLIC`.
pub const MFS_LOGIN_PUBLIC: u32 = 0;
/// `MFS_LOGIN_USER`.
pub const MFS_LOGIN_USER: u32 = 1;
/// `MFS_LOGIN_GROUP`: the `group` argument names the group.
pub const MFS_LOGIN_GROUP: u32 = 2;

impl Login {
    /// The login for C's `login` and `group` arguments.
    pub(crate) fn from_c(login: u32, group: u32) -> Result<Login, Fail> {
        match login {
            MFS_LOGIN_PUBLIC => Ok(Login::Public),
            MFS_LOGIN_USER => Ok(Login::User),
            MFS_LOGIN_GROUP => Ok(Login::Group(group)),
            _ => Err(Fail::Argument(
                "login: not MFS_LOGIN_PUBLIC, MFS_LOGIN_USER or MFS_LOGIN_GROUP",
            )),
        }
    }
}

/// Parses a UUID, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex digits of
/// either case), into its 16 bytes.
pub(crate) fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let b = text.as_bytes();
    let dashes = [8, 13, 18, 23];
    if b.len() != 36 || dashes.iter().any(|&i| b.get(i) != Some(&b'-')) {
        return None;
    }
    let digits: Vec<u8> = b.iter().copied().filter(|c| *c != b'-').collect();
    if digits.len() != 32 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (out, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let s = core::str::from_utf8(pair).ok()?;
        *out = u8::from_str_radix(s, 16).ok()?;
    }
    Some(bytes)
}

/// An open session with the TA (opaque to C).
#[allow(non_camel_case_types)]
pub struct mfs_client {
    pub(crate) client: Client<Box<dyn Transport>>,
}

impl mfs_client {
    /// Wraps an open transport.
    #[cfg_attr(not(any(feature = "teec", feature = "in-process")), allow(dead_code))]
    pub(crate) fn new(transport: Box<dyn Transport>) -> mfs_client {
        mfs_client {
            client: Client::new(transport),
        }
    }
}

/// Opens a libteec session with the TA `uuid` (`None`: the TA this library
/// was built for).
#[cfg(feature = "teec")]
pub(crate) fn open(uuid: Option<&str>, login: Login) -> Result<mfs_client, Fail> {
    let text = uuid.unwrap_or(mfs_proto::TA_UUID);
    let bytes = parse_uuid(text).ok_or(Fail::Argument(
        "uuid: not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
    ))?;
    let teec = crate::teec::Teec::open(&crate::teec::teec_uuid(bytes), login)?;
    Ok(mfs_client::new(Box::new(teec)))
}

/// Without libteec support nothing can be opened; the UUID is still
/// checked first.
#[cfg(not(feature = "teec"))]
pub(crate) fn open(uuid: Option<&str>, _login: Login) -> Result<mfs_client, Fail> {
    if let Some(text) = uuid {
        parse_uuid(text).ok_or(Fail::Argument(
            "uuid: not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
        ))?;
    }
    Err(Fail::Unsupported("libmfs was built without libteec"))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn uuids_parse_strictly() {
        let u = parse_uuid("8aaaf200-2450-11e4-abe2-0002a5d5c51b").unwrap();
        assert_eq!(u[..4], [0x8a, 0xaa, 0xf2, 0x00]);
        assert_eq!(u[15], 0x1b);
        assert_eq!(parse_uuid("8AAAF200-2450-11E4-ABE2-0002A5D5C51B"), Some(u));
        for bad in [
            "",
            "8aaaf200245011e4abe20002a5d5c51b",
            "8aaaf200-2450-11e4-abe2-0002a5d5c51",
            "8aaaf200-2450-11e4-abe2-0002a5d5c51bb",
            "8aaaf200-2450-11e4-abe2+0002a5d5c51b",
            "8aaaf200-2450-11e4-abe2-0002a5d5c5zz",
            "+aaaf200-2450-11e4-abe2-0002a5d5c51b",
            "8aaaf200-2450-11e4-abe2--002a5d5c51b",
            "8aaaf200-2450-11e4-abé-0002a5d5c51b",
        ] {
            assert!(parse_uuid(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn logins() {
        assert_eq!(Login::from_c(0, 7).unwrap(), Login::Public);
        assert_eq!(Login::from_c(1, 7).unwrap(), Login::User);
        assert_eq!(Login::from_c(2, 7).unwrap(), Login::Group(7));
        assert!(Login::from_c(3, 0).is_err());
    }
}
