//! Offline verification of signed transactions (no TA needed).
//!
//! A signed transaction is the TA's `TxSign` reply: the canonical bytes
//! (`mfs_proto::tx`), a DER ECDSA P-256/SHA-256 signature over them, the
//! counter and the signing key. [`verify`] checks one against the key the
//! verifier trusts and the challenge it issued; [`verify_series`] also
//! checks that counters strictly increase across a series (anti-replay).

use core::fmt;

use mfs_proto::TxSignReply;
use mfs_proto::tx::SignedTx;

use crate::keys::{EcPublicKey, hex_decode};

/// Why a signed transaction was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxError {
    /// The bytes are not a valid signed transaction (version 1).
    Encoding,
    /// The signature does not verify under the trusted key.
    Signature,
    /// The reply names another key than the trusted one.
    Key,
    /// The challenge is not the one the verifier issued.
    Challenge,
    /// The counter does not exceed the previous one in the series (a
    /// replay, or an out-of-order series).
    Counter {
        /// The counter found.
        counter: u64,
        /// The counter before it.
        previous: u64,
    },
    /// The reply's counter field differs from the signed counter.
    CounterField,
}

impl fmt::Display for TxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxError::Encoding => f.write_str("not a valid signed transaction (v1 encoding)"),
            TxError::Signature => f.write_str("signature does not verify under the trusted key"),
            TxError::Key => f.write_str("signed by another key than the trusted one"),
            TxError::Challenge => f.write_str("challenge does not match the one issued"),
            TxError::Counter { counter, previous } => write!(
                f,
                "counter {counter} does not exceed the previous {previous} (replay?)"
            ),
            TxError::CounterField => f.write_str("counter field differs from the signed counter"),
        }
    }
}

/// Verifies one signed transaction: the signature over exactly the signed
/// bytes under `trusted`, the strict encoding, and (if given) the
/// challenge. Returns the decoded transaction.
pub fn verify(
    tx: &TxSignReply,
    trusted: &EcPublicKey,
    challenge: Option<&[u8]>,
) -> Result<SignedTx, TxError> {
    let signed = hex_decode(&tx.signed).ok_or(TxError::Encoding)?;
    let sig = hex_decode(&tx.signature).ok_or(TxError::Signature)?;
    let key = EcPublicKey::from_sec1_hex(&tx.public_key).map_err(|_| TxError::Key)?;
    if key.sec1() != trusted.sec1() {
        return Err(TxError::Key);
    }
    if !trusted.verify(&signed, &sig) {
        return Err(TxError::Signature);
    }
    let decoded = SignedTx::decode(&signed).ok_or(TxError::Encoding)?;
    if decoded.counter != tx.counter {
        return Err(TxError::CounterField);
    }
    if let Some(c) = challenge
        && decoded.record.challenge_bytes().as_deref() != Some(c)
    {
        return Err(TxError::Challenge);
    }
    Ok(decoded)
}

/// Verifies a series in order: each one as [`verify`] (without a
/// challenge), and counters strictly increasing, starting above `after`
/// (the last counter the verifier accepted before, if any). Reports the
/// index of the first bad one.
pub fn verify_series(
    series: &[TxSignReply],
    trusted: &EcPublicKey,
    after: Option<u64>,
) -> Result<Vec<SignedTx>, (usize, TxError)> {
    let mut previous = after;
    let mut out = Vec::with_capacity(series.len());
    for (i, tx) in series.iter().enumerate() {
        let d = verify(tx, trusted, None).map_err(|e| (i, e))?;
        if let Some(p) = previous
            && d.counter <= p
        {
            return Err((
                i,
                TxError::Counter {
                    counter: d.counter,
                    previous: p,
                },
            ));
        }
        previous = Some(d.counter);
        out.push(d);
    }
    Ok(out)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::keys::hex_encode as hex;
    use mfs_proto::TxRecord;
    use mfs_proto::tx::{DISPLAY_NOT_TRUSTED_UI, VERIFIED_PIN_IN_TA};
    use p256::ecdsa::signature::Signer;
    use p256::ecdsa::{DerSignature, SigningKey};

    fn key() -> SigningKey {
        SigningKey::from_slice(&[7; 32]).unwrap()
    }

    fn reply(counter: u64, challenge: u8) -> TxSignReply {
        let tx = SignedTx {
            key_id: [1; 8],
            counter,
            record: TxRecord {
                amount: 500,
                currency: "USD".try_into().unwrap(),
                payee: "Shop".try_into().unwrap(),
                display: "Pay 5.00 USD to Shop".try_into().unwrap(),
                challenge: hex(&[challenge; 16]).as_str().try_into().unwrap(),
                time: 1_700_000_000,
            },
            verification: VERIFIED_PIN_IN_TA,
            display: DISPLAY_NOT_TRUSTED_UI,
        };
        let b = tx.encode().unwrap();
        let sig: DerSignature = key().sign(&b);
        let public = key().verifying_key().to_sec1_point(false);
        TxSignReply {
            signed: hex(&b).as_str().try_into().unwrap(),
            signature: hex(sig.as_bytes()).as_str().try_into().unwrap(),
            counter,
            public_key: hex(public.as_bytes()).as_str().try_into().unwrap(),
        }
    }

    fn trusted() -> EcPublicKey {
        EcPublicKey::from_sec1(key().verifying_key().to_sec1_point(false).as_bytes()).unwrap()
    }

    #[test]
    fn good_series_verifies_and_replays_are_refused() {
        let t = trusted();
        let d = verify(&reply(3, 9), &t, Some(&[9; 16])).unwrap();
        assert_eq!(d.record.amount, 500);
        assert_eq!(
            verify(&reply(3, 9), &t, Some(&[8; 16])).err(),
            Some(TxError::Challenge)
        );
        let series = [reply(1, 1), reply(2, 2), reply(5, 3)];
        assert_eq!(verify_series(&series, &t, None).unwrap().len(), 3);
        assert_eq!(
            verify_series(&series, &t, Some(1)).err(),
            Some((
                0,
                TxError::Counter {
                    counter: 1,
                    previous: 1
                }
            ))
        );
        let replay = [reply(1, 1), reply(2, 2), reply(2, 2)];
        assert_eq!(
            verify_series(&replay, &t, None).err(),
            Some((
                2,
                TxError::Counter {
                    counter: 2,
                    previous: 2
                }
            ))
        );
    }

    #[test]
    fn tampering_is_refused() {
        let t = trusted();
        // any changed byte of the signed record
        let good = reply(4, 4);
        for i in (0..good.signed.len()).step_by(2) {
            let mut r = good.clone();
            let mut s: Vec<u8> = r.signed.as_bytes().to_vec();
            s[i] = if s[i] == b'0' { b'1' } else { b'0' };
            r.signed = std::str::from_utf8(&s).unwrap().try_into().unwrap();
            assert!(verify(&r, &t, None).is_err(), "byte {}", i / 2);
        }
        let mut r = good.clone();
        r.counter = 5;
        assert_eq!(verify(&r, &t, None).err(), Some(TxError::CounterField));
        let other = SigningKey::from_slice(&[8; 32]).unwrap();
        let other_pub =
            EcPublicKey::from_sec1(other.verifying_key().to_sec1_point(false).as_bytes()).unwrap();
        assert_eq!(verify(&good, &other_pub, None).err(), Some(TxError::Key));
    }
}
