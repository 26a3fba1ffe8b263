//! Offline verification of signed transactions (no TA needed).
//!
//! A signed transaction is the TA's `TxSign` reply: the canonical bytes
//! (`mfs_proto::tx`), a DER ECDSA P-256/SHA-256 signature over them, the
//! counter and the signing key. [`verify`] checks one against the key the
//! verifier trusts and the challenge it issued; [`verify_series`] also
//! checks that counters strictly increase across a series (anti-replay).

use mfs_proto::TxSignReply;
use mfs_proto::tx::SignedTx;

use crate::codec::hex_decode;
pub use crate::error::TxError;
use crate::pubkey::EcPublicKey;

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
    use mfs_proto::TxRecord;
    use mfs_proto::hex_string;
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
                challenge: hex_string(&[challenge; 16]).unwrap(),
                time: 1_700_000_000,
            },
            verification: VERIFIED_PIN_IN_TA,
            display: DISPLAY_NOT_TRUSTED_UI,
        };
        let b = tx.encode().unwrap();
        let sig: DerSignature = key().sign(&b);
        let public = key().verifying_key().to_sec1_point(false);
        TxSignReply {
            signed: hex_string(&b).unwrap(),
            signature: hex_string(sig.as_bytes()).unwrap(),
            counter,
            public_key: hex_string(public.as_bytes()).unwrap(),
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
