//! The provisioning record: the TA's policy, written once by the admin
//! group's `Provision` command.
//!
//! Stored as object `cfg`, layout version 1 (71 bytes):
//!
//! | offset | size | field                                         |
//! |--------|------|-----------------------------------------------|
//! | 0      | 1    | layout version = 1                            |
//! | 1      | 1    | PIN try limit (3..=15)                        |
//! | 2      | 4    | PIN throttle base delay, ms, little-endian (0..=60000) |
//! | 6      | 65   | issuer public key, SEC1 uncompressed P-256    |
//!
//! A record with another version or length, or a value out of range, is
//! treated as a storage failure: the TA fails closed rather than guess.
//! Provisioning also creates the TA-unique secret (before the record, so a
//! power cut in between leaves an unprovisioned TA whose retry reuses it).

use mfs_proto::pin::EC_POINT_LEN;
use mfs_proto::{PIN_THROTTLE_MAX_MS, PIN_TRIES_MAX, PIN_TRIES_MIN};

use crate::error::Error;
use crate::objects::{self, LAYOUT_V1, concat, load_v1};
use crate::platform::{ObjectId, Platform};
use crate::store::secret;
const RECORD_LEN: usize = 6 + EC_POINT_LEN;

/// The provisioned policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// PIN try limit before the PIN blocks.
    pub pin_max_tries: u8,
    /// Base delay between PIN tries after three failures in a row (0: off).
    pub pin_throttle_ms: u32,
    /// The issuer's key that authorises PIN unblocks.
    pub issuer_key: [u8; EC_POINT_LEN],
}

fn object_id() -> Result<ObjectId, Error> {
    objects::config()
}

impl Config {
    /// Builds a config, checking every bound and that the issuer key is a
    /// valid P-256 point.
    pub fn new(
        pin_max_tries: u8,
        pin_throttle_ms: u32,
        issuer_key: [u8; EC_POINT_LEN],
    ) -> Result<Self, Error> {
        if !(PIN_TRIES_MIN..=PIN_TRIES_MAX).contains(&pin_max_tries)
            || pin_throttle_ms > PIN_THROTTLE_MAX_MS
            || crate::crypto::parse_point(&issuer_key).is_err()
        {
            return Err(Error::InvalidArgument);
        }
        Ok(Config {
            pin_max_tries,
            pin_throttle_ms,
            issuer_key,
        })
    }

    fn encode(&self) -> Result<[u8; RECORD_LEN], Error> {
        concat(&[
            &[LAYOUT_V1, self.pin_max_tries],
            &self.pin_throttle_ms.to_le_bytes(),
            &self.issuer_key,
        ])
    }

    fn decode(body: &[u8]) -> Result<Self, Error> {
        let r: &[u8; RECORD_LEN - 1] = body.try_into().map_err(|_| Error::Storage)?;
        let [tries, t0, t1, t2, t3, key @ ..] = *r;
        Config::new(tries, u32::from_le_bytes([t0, t1, t2, t3]), key).map_err(|_| Error::Storage)
    }

    /// Loads the record; `Ok(None)` before provisioning.
    pub fn load(p: &mut impl Platform) -> Result<Option<Self>, Error> {
        load_v1(p, &object_id()?)?
            .map(|body| Config::decode(&body))
            .transpose()
    }

    /// Loads the record, `Err(NotProvisioned)` before provisioning.
    pub fn require(p: &mut impl Platform) -> Result<Self, Error> {
        Config::load(p)?.ok_or(Error::NotProvisioned)
    }

    /// Stores the record the first time; refuses to overwrite.
    pub fn provision(&self, p: &mut impl Platform) -> Result<(), Error> {
        if Config::load(p)?.is_some() {
            return Err(Error::AlreadyProvisioned);
        }
        secret::load_or_create(p)?;
        p.write(&object_id()?, &self.encode()?)?;
        Ok(())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::mem::MemPlatform;

    use crate::testkit::G;

    #[test]
    fn bounds() {
        assert_eq!(Config::new(2, 0, G), Err(Error::InvalidArgument));
        assert!(Config::new(3, 0, G).is_ok());
        assert!(Config::new(15, PIN_THROTTLE_MAX_MS, G).is_ok());
        assert_eq!(Config::new(16, 0, G), Err(Error::InvalidArgument));
        assert_eq!(
            Config::new(5, PIN_THROTTLE_MAX_MS + 1, G),
            Err(Error::InvalidArgument)
        );
        let mut bad = G;
        bad[64] ^= 1;
        assert_eq!(Config::new(5, 0, bad), Err(Error::InvalidArgument));
    }

    #[test]
    fn provision_once_then_load() {
        let mut p = MemPlatform::new();
        assert_eq!(Config::load(&mut p), Ok(None));
        assert_eq!(Config::require(&mut p), Err(Error::NotProvisioned));
        let c = Config::new(5, 250, G).unwrap();
        c.provision(&mut p).unwrap();
        assert_eq!(Config::load(&mut p), Ok(Some(c)));
        assert_eq!(
            Config::new(7, 0, G).unwrap().provision(&mut p),
            Err(Error::AlreadyProvisioned)
        );
        assert_eq!(Config::require(&mut p), Ok(c));
        assert!(crate::store::secret::load(&mut p).is_ok());
    }

    #[test]
    fn corrupt_record_fails_closed() {
        let mut p = MemPlatform::new();
        let c = Config::new(5, 0, G).unwrap();
        c.provision(&mut p).unwrap();
        let id = object_id().unwrap();
        let good = c.encode().unwrap().to_vec();
        let mut cases = vec![
            vec![],
            vec![1],
            good[..70].to_vec(),
            [&good[..], &[0]].concat(),
        ];
        let mut v2 = good.clone();
        v2[0] = 2;
        cases.push(v2);
        let mut tries = good.clone();
        tries[1] = 99;
        cases.push(tries);
        let mut key = good.clone();
        key[70] ^= 1;
        cases.push(key);
        for bad in cases {
            *p.object_mut(&id).unwrap() = bad.clone();
            assert_eq!(Config::load(&mut p), Err(Error::Storage), "{bad:?}");
        }
    }

    #[test]
    fn every_power_cut_during_provision_leaves_a_retryable_state() {
        for cut in 1..=2 {
            let mut p = MemPlatform::new();
            p.cut_power_at(cut);
            let c = Config::new(5, 0, G).unwrap();
            assert_eq!(c.provision(&mut p), Err(Error::Storage));
            p.power_on();
            assert_eq!(Config::load(&mut p), Ok(None));
            let secret_before = crate::store::secret::load(&mut p).ok().map(|k| k.0);
            c.provision(&mut p).unwrap();
            // a secret created before the cut is kept, never replaced
            if let Some(s) = secret_before {
                assert_eq!(crate::store::secret::load(&mut p).unwrap().0, s);
            }
        }
    }
}
