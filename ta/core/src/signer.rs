//! The TA's own attestation key: made inside the TA on first use, sealed
//! like every key, never exported or listed. It signs the TA's statements
//! (attestations without a chosen key, event-log heads), all of which start
//! with the reserved prefix `mfs-ta/` that `KeySign` refuses to sign.

use mfs_proto::pin::EC_POINT_LEN;
use mfs_proto::{KEY_ID_LEN, KeyPolicy, Label, Purpose};

use crate::crypto::{self, DerSig, Key32, sign_der};
use crate::error::Error;
use crate::platform::Platform;
use crate::seal::{Attributes, KeyId, seal};
use crate::store::keys::{self, Loaded};

const ATTEST_LABEL: &str = "ta-attestation";

/// The TA's attestation key (id 0, purpose attest), made on first use.
pub fn attestation_key(p: &mut impl Platform, kek: &Key32) -> Result<Loaded, Error> {
    if let Some(key) = keys::load_attestation_key(p, kek)? {
        return Ok(key);
    }
    let secret = crypto::random_secret_key(p)?;
    let attrs = Attributes {
        id: KeyId([0; KEY_ID_LEN]),
        policy: KeyPolicy::plain(Purpose::Attest),
        label: Label::try_from(ATTEST_LABEL).map_err(|_| Error::Internal)?,
        // The TA's own key has no client owner; it is stored apart from
        // client keys (object `attest`) and never addressed by id.
        owner: crate::access::Owner::Legacy,
        public_key: crypto::sec1_uncompressed(&secret.public_key())?,
    };
    let blob = seal(p, kek, &attrs, &secret)?;
    keys::store_attestation_key(p, &blob)?;
    Ok(Loaded {
        attrs,
        secret,
        uses: 0,
        blob,
    })
}

/// Signs a TA statement (which starts with `mfs-ta/`) with the TA's
/// attestation key; returns the signature and that key's public key.
pub fn sign_statement(
    p: &mut impl Platform,
    kek: &Key32,
    statement: &[u8],
) -> Result<(DerSig, [u8; EC_POINT_LEN]), Error> {
    let key = attestation_key(p, kek)?;
    Ok((sign_der(&key.secret, statement)?, key.attrs.public_key))
}
