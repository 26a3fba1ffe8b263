//! The provisioning record: the TA's policy, written once by the admin
//! group's `Provision` command.
//!
//! Stored as object `cfg`, layout version 2 (73 bytes):
//!
//! | offset | size | field                                         |
//! |--------|------|-----------------------------------------------|
//! | 0      | 1    | layout version = 2                            |
//! | 1      | 1    | PIN try limit (3..=15)                        |
//! | 2      | 4    | PIN throttle base delay, ms, little-endian (0..=60000) |
//! | 6      | 65   | issuer public key, SEC1 uncompressed P-256    |
//! | 71     | 1    | storage kind at provisioning: 1 REE FS, 2 RPMB |
//! | 72     | 1    | flags: bit 0 = require rollback protection; other bits 0 |
//!
//! Layout version 1 (71 bytes, before TA 0.6) has neither of the last two
//! bytes: its storage kind is not known and it requires nothing.
//!
//! The storage kind is fixed at provisioning: a TA whose storage now
//! reports another kind fails closed (`storage-rollback`) instead of
//! following a downgrade.
//!
//! A record with another version or length, or a value out of range, is
//! treated as a storage failure: the TA fails closed rather than guess.
//! Provisioning also creates the TA-unique secret (before the record, so a
//! power cut in between leaves an unprovisioned TA whose retry reuses it).

use mfs_proto::pin::EC_POINT_LEN;
use mfs_proto::{PIN_THROTTLE_MAX_MS, PIN_TRIES_MAX, PIN_TRIES_MIN, StorageKind};

use crate::error::Error;
use crate::objects::{self, LAYOUT_V1, LAYOUT_V2, concat, load_versioned};
use crate::platform::{ObjectId, Platform};
use crate::store::secret;
const RECORD_V1_LEN: usize = 6 + EC_POINT_LEN;
const RECORD_LEN: usize = RECORD_V1_LEN + 2;
const FLAG_REQUIRE_ROLLBACK_PROTECTION: u8 = 1;

/// The provisioned policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// PIN try limit before the PIN blocks.
    pub pin_max_tries: u8,
    /// Base delay between PIN tries after three failures in a row (0: off).
    pub pin_throttle_ms: u32,
    /// The issuer's key that authorises PIN unblocks.
    pub issuer_key: [u8; EC_POINT_LEN],
    /// PIN, consent and usage-limited services only on rollback-protected
    /// storage (RPMB).
    pub require_rollback_protection: bool,
    /// The storage kind at provisioning (`None`: provisioned before it was
    /// recorded).
    pub storage: Option<StorageKind>,
}

fn kind_code(k: StorageKind) -> u8 {
    match k {
        StorageKind::ReeFs => 1,
        StorageKind::Rpmb => 2,
    }
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
            require_rollback_protection: false,
            storage: None,
        })
    }

    /// The same policy, requiring rollback-protected storage or not.
    pub fn requiring_rollback_protection(self, on: bool) -> Config {
        Config {
            require_rollback_protection: on,
            ..self
        }
    }

    /// `RollbackUnprotected` when the policy requires rollback-protected
    /// storage and this storage is not (PIN, consent and usage-limited
    /// services ask this first).
    pub fn check_protected(&self, p: &mut impl Platform) -> Result<(), Error> {
        if self.require_rollback_protection && p.storage_kind() != StorageKind::Rpmb {
            return Err(Error::RollbackUnprotected);
        }
        Ok(())
    }

    fn encode(&self) -> Result<[u8; RECORD_LEN], Error> {
        let kind = self.storage.map_or(0, kind_code);
        let flags = if self.require_rollback_protection {
            FLAG_REQUIRE_ROLLBACK_PROTECTION
        } else {
            0
        };
        concat(&[
            &[LAYOUT_V2, self.pin_max_tries],
            &self.pin_throttle_ms.to_le_bytes(),
            &self.issuer_key,
            &[kind, flags],
        ])
    }

    fn decode(version: u8, body: &[u8]) -> Result<Self, Error> {
        let (v1, tail) = match version {
            LAYOUT_V1 => (body, &[][..]),
            _ => body
                .split_at_checked(RECORD_V1_LEN - 1)
                .ok_or(Error::Storage)?,
        };
        let r: &[u8; RECORD_V1_LEN - 1] = v1.try_into().map_err(|_| Error::Storage)?;
        let [tries, t0, t1, t2, t3, key @ ..] = *r;
        let c = Config::new(tries, u32::from_le_bytes([t0, t1, t2, t3]), key)
            .map_err(|_| Error::Storage)?;
        match (version, tail) {
            (LAYOUT_V1, []) => Ok(c),
            (LAYOUT_V2, [kind, flags]) if *flags & !FLAG_REQUIRE_ROLLBACK_PROTECTION == 0 => {
                let storage = match kind {
                    1 => StorageKind::ReeFs,
                    2 => StorageKind::Rpmb,
                    _ => return Err(Error::Storage),
                };
                Ok(Config {
                    storage: Some(storage),
                    require_rollback_protection: *flags & FLAG_REQUIRE_ROLLBACK_PROTECTION != 0,
                    ..c
                })
            }
            _ => Err(Error::Storage),
        }
    }

    /// Loads the record; `Ok(None)` before provisioning.
    pub fn load(p: &mut impl Platform) -> Result<Option<Self>, Error> {
        load_versioned(p, &object_id()?, &[LAYOUT_V1, LAYOUT_V2])?
            .map(|(version, body)| Config::decode(version, &body))
            .transpose()
    }

    /// Loads the record, `Err(NotProvisioned)` before provisioning, and
    /// `Err(StorageRollback)` if the storage kind is not the one it was
    /// provisioned on.
    pub fn require(p: &mut impl Platform) -> Result<Self, Error> {
        let c = Config::load(p)?.ok_or(Error::NotProvisioned)?;
        if c.storage.is_some_and(|k| k != p.storage_kind()) {
            return Err(Error::StorageRollback);
        }
        Ok(c)
    }

    /// Stores the record the first time; refuses to overwrite.
    pub fn provision(&self, p: &mut impl Platform) -> Result<(), Error> {
        if Config::load(p)?.is_some() {
            return Err(Error::AlreadyProvisioned);
        }
        secret::load_or_create(p)?;
        let stored = Config {
            storage: Some(p.storage_kind()),
            ..*self
        };
        p.write(&object_id()?, &stored.encode()?)?;
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
        let c = Config {
            storage: Some(StorageKind::ReeFs),
            ..c
        };
        assert_eq!(Config::load(&mut p), Ok(Some(c)));
        assert_eq!(
            Config::new(7, 0, G).unwrap().provision(&mut p),
            Err(Error::AlreadyProvisioned)
        );
        assert_eq!(Config::require(&mut p), Ok(c));
        assert!(crate::store::secret::load(&mut p).is_ok());
    }

    #[test]
    fn storage_kind_and_rollback_policy_are_recorded() {
        let mut p = MemPlatform::new();
        let c = Config::new(5, 0, G)
            .unwrap()
            .requiring_rollback_protection(true);
        c.provision(&mut p).unwrap();
        let got = Config::require(&mut p).unwrap();
        assert_eq!(got.storage, Some(StorageKind::ReeFs));
        assert!(got.require_rollback_protection);
        assert_eq!(got.check_protected(&mut p), Err(Error::RollbackUnprotected));
        // on RPMB the same policy lets everything through
        let mut rpmb = MemPlatform::new();
        rpmb.set_rpmb(true);
        c.provision(&mut rpmb).unwrap();
        let got = Config::require(&mut rpmb).unwrap();
        assert_eq!(got.check_protected(&mut rpmb), Ok(()));
        // provisioned on RPMB, later REE FS: closed
        rpmb.set_rpmb(false);
        assert_eq!(Config::require(&mut rpmb), Err(Error::StorageRollback));
        // the development setting
        let mut dev = MemPlatform::new();
        Config::new(5, 0, G).unwrap().provision(&mut dev).unwrap();
        let got = Config::require(&mut dev).unwrap();
        assert_eq!(got.check_protected(&mut dev), Ok(()));
    }

    #[test]
    fn a_layout_1_record_is_still_read() {
        let mut p = MemPlatform::new();
        let c = Config::new(5, 250, G).unwrap();
        let v1: [u8; RECORD_V1_LEN] =
            concat(&[&[LAYOUT_V1, 5], &250u32.to_le_bytes(), &G]).unwrap();
        p.write(&object_id().unwrap(), &v1).unwrap();
        assert_eq!(Config::require(&mut p), Ok(c));
        p.set_rpmb(true);
        assert_eq!(Config::require(&mut p), Ok(c), "kind unknown: not checked");
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
        let mut v3 = good.clone();
        v3[0] = 3;
        cases.push(v3);
        let mut kind = good.clone();
        kind[71] = 3;
        cases.push(kind);
        let mut flags = good.clone();
        flags[72] = 2;
        cases.push(flags);
        let mut v1_long = good.clone();
        v1_long[0] = 1;
        cases.push(v1_long);
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
