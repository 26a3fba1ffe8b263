//! The TA-unique secret: 32 random bytes from the TEE's RNG, created once
//! (at provisioning) in secure storage and never replaced, the root of the
//! TA's own keys (PIN hashing and key sealing). It never leaves the
//! TA. On QEMU the storage itself is encrypted under a stub hardware key,
//! see `docs/threat-model.md`.
//!
//! Object `secret`, layout v1: `[1] ‖ secret(32)`.

use crate::crypto::Key32;
use crate::error::Error;
use zeroize::Zeroizing;

use crate::objects::{self, LAYOUT_V1, concat, load_v1};
use crate::platform::Platform;

fn object_id() -> Result<crate::platform::ObjectId, Error> {
    objects::secret()
}

/// Loads the secret: `Err(NotProvisioned)` if it is missing (it is made
/// at provisioning and destroyed first by a wipe), `Err(Storage)` if it is
/// malformed.
pub fn load(p: &mut impl Platform) -> Result<Key32, Error> {
    let body = Zeroizing::new(load_v1(p, &object_id()?)?.ok_or(Error::NotProvisioned)?);
    decode(&body)
}

fn decode(body: &[u8]) -> Result<Key32, Error> {
    body.try_into().map(Key32).map_err(|_| Error::Storage)
}

/// Loads the secret, creating it if absent. An existing secret is never
/// overwritten: everything derived from it would become unusable.
pub fn load_or_create(p: &mut impl Platform) -> Result<Key32, Error> {
    if let Some(body) = load_v1(p, &object_id()?)? {
        return decode(&Zeroizing::new(body));
    }
    let mut secret = Zeroizing::new([0u8; 32]);
    p.random(secret.as_mut_slice())?;
    let record = Zeroizing::new(concat::<33>(&[&[LAYOUT_V1], secret.as_slice()])?);
    p.write(&object_id()?, record.as_slice())?;
    Ok(Key32(*secret))
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::mem::MemPlatform;

    #[test]
    fn created_once_then_stable() {
        let mut p = MemPlatform::new();
        assert_eq!(load(&mut p).err(), Some(Error::NotProvisioned));
        let a = load_or_create(&mut p).unwrap();
        let b = load_or_create(&mut p).unwrap();
        assert_eq!(a.0, b.0);
        assert_eq!(load(&mut p).unwrap().0, a.0);
        assert_eq!(p.writes(), 1);
        assert_eq!(format!("{a:?}"), "Key32(..)");
    }

    #[test]
    fn malformed_record_is_refused() {
        let mut p = MemPlatform::new();
        load_or_create(&mut p).unwrap();
        *p.object_mut(&object_id().unwrap()).unwrap() = vec![2; 33];
        assert_eq!(load(&mut p).err(), Some(Error::Storage));
        assert_eq!(load_or_create(&mut p).err(), Some(Error::Storage));
    }
}
