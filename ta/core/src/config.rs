//! The provisioning record: the TA's policy, written once by the admin
//! group's `Provision` command.
//!
//! Stored as object `cfg`, layout (version 1, 2 bytes):
//!
//! | offset | size | field                          |
//! |--------|------|--------------------------------|
//! | 0      | 1    | layout version = 1             |
//! | 1      | 1    | PIN try limit (3..=15)         |
//!
//! A record with another version or length, or a value out of range, is
//! treated as a storage failure: the TA fails closed rather than guess.

use mfs_proto::{PIN_TRIES_MAX, PIN_TRIES_MIN};

use crate::Error;
use crate::platform::{ObjectId, Platform};

const LAYOUT_V1: u8 = 1;

/// The provisioned policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// PIN try limit before the PIN blocks.
    pub pin_max_tries: u8,
}

fn object_id() -> Result<ObjectId, Error> {
    ObjectId::new(b"cfg").ok_or(Error::Internal)
}

impl Config {
    /// Builds a config, checking every bound.
    pub fn new(pin_max_tries: u8) -> Result<Self, Error> {
        if !(PIN_TRIES_MIN..=PIN_TRIES_MAX).contains(&pin_max_tries) {
            return Err(Error::InvalidArgument);
        }
        Ok(Config { pin_max_tries })
    }

    fn encode(&self) -> [u8; 2] {
        [LAYOUT_V1, self.pin_max_tries]
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        match bytes {
            [LAYOUT_V1, tries] => Config::new(*tries).map_err(|_| Error::Storage),
            _ => Err(Error::Storage),
        }
    }

    /// Loads the record; `Ok(None)` before provisioning.
    pub fn load(p: &mut impl Platform) -> Result<Option<Self>, Error> {
        match p.read(&object_id()?)? {
            None => Ok(None),
            Some(bytes) => Config::decode(&bytes).map(Some),
        }
    }

    /// Stores the record the first time; refuses to overwrite.
    pub fn provision(&self, p: &mut impl Platform) -> Result<(), Error> {
        if Config::load(p)?.is_some() {
            return Err(Error::AlreadyProvisioned);
        }
        p.write(&object_id()?, &self.encode())?;
        Ok(())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::mem::MemPlatform;

    #[test]
    fn bounds() {
        assert_eq!(Config::new(2), Err(Error::InvalidArgument));
        assert!(Config::new(3).is_ok());
        assert!(Config::new(15).is_ok());
        assert_eq!(Config::new(16), Err(Error::InvalidArgument));
    }

    #[test]
    fn provision_once_then_load() {
        let mut p = MemPlatform::new();
        assert_eq!(Config::load(&mut p), Ok(None));
        let c = Config::new(5).unwrap();
        c.provision(&mut p).unwrap();
        assert_eq!(Config::load(&mut p), Ok(Some(c)));
        assert_eq!(
            Config::new(7).unwrap().provision(&mut p),
            Err(Error::AlreadyProvisioned)
        );
        assert_eq!(Config::load(&mut p), Ok(Some(c)));
    }

    #[test]
    fn corrupt_record_fails_closed() {
        let mut p = MemPlatform::new();
        Config::new(5).unwrap().provision(&mut p).unwrap();
        let id = object_id().unwrap();
        for bad in [&[2u8, 5][..], &[1, 99], &[1], &[1, 5, 0], &[]] {
            *p.object_mut(&id).unwrap() = bad.to_vec();
            assert_eq!(Config::load(&mut p), Err(Error::Storage), "{bad:?}");
        }
    }

    #[test]
    fn power_cut_during_provision_leaves_unprovisioned() {
        let mut p = MemPlatform::new();
        p.cut_power_at(1);
        assert_eq!(
            Config::new(5).unwrap().provision(&mut p),
            Err(Error::Storage)
        );
        p.power_on();
        assert_eq!(Config::load(&mut p), Ok(None));
    }
}
