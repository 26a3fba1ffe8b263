//! Tests of the client PIN channel against the TA side of the same
//! derivation ([`TransportKey::derive`] on the TA's ECDH result, then
//! [`TransportKey::decipher`]).

use super::*;
use crate::decode;
use std::convert::Infallible;

const TA_SECRET: [u8; 32] = [0x11; 32];
const CLIENT_SECRET: [u8; 32] = [0x22; 32];
const NONCE: [u8; 16] = [0x33; 16];

fn ta_public(secret: &[u8; 32]) -> [u8; EC_POINT_LEN] {
    let s = SecretKey::from_slice(secret).unwrap();
    s.public_key()
        .to_sec1_point(false)
        .as_bytes()
        .try_into()
        .unwrap()
}

/// The TA's side: its ECDH with the client's key, then the same HKDF.
fn ta_transport_key(client_key: &[u8; EC_POINT_LEN]) -> TransportKey {
    let ta_secret = SecretKey::from_slice(&TA_SECRET).unwrap();
    let peer = PublicKey::from_sec1_bytes(client_key).unwrap();
    let shared = p256::ecdh::diffie_hellman(ta_secret.to_nonzero_scalar(), peer.as_affine());
    TransportKey::derive(
        shared.raw_secret_bytes(),
        &ta_public(&TA_SECRET),
        client_key,
    )
}

fn reply() -> PinSessionReply {
    PinSessionReply {
        ta_key: hex_string(&ta_public(&TA_SECRET)).unwrap(),
        nonce: hex_string(&NONCE).unwrap(),
    }
}

fn channel(pan: Option<&str>) -> PinChannel {
    PinChannel::from_reply(&reply(), &CLIENT_SECRET, pan).unwrap()
}

#[test]
fn both_sides_agree_and_blocks_are_byte_identical() {
    for pan in [None, Some("4111111111111111"), Some("1234567890123456789")] {
        let ch = channel(pan);
        assert_eq!(ch.client_key(), &ta_public(&CLIENT_SECRET));
        assert_eq!(ch.nonce(), &NONCE);
        assert_eq!(ch.pan(), &PanField::new(pan).unwrap());
        assert_eq!(ch.pan_text(), pan);
        let ta = ta_transport_key(ch.client_key());
        let pin = Pin::new("739146").unwrap();
        let block = ch.block(&pin, [5; 8]);
        // the same block the TA key would make, byte for byte
        assert_eq!(block, ta.encipher(&pin, ch.pan(), [5; 8]));
        // and the TA opens it to the same PIN
        let opened = ta.decipher(&block, &PanField::new(pan).unwrap()).unwrap();
        assert_eq!(opened.digits(), &[7, 3, 9, 1, 4, 6]);
        assert_eq!(
            ch.block_hex(&pin, [5; 8]).as_str(),
            hex_string::<32>(&block).unwrap().as_str()
        );
    }
}

#[test]
fn blocks_are_bound_to_session_and_pan() {
    let ch = channel(Some("4111111111111111"));
    let pin = Pin::new("1234").unwrap();
    let block = ch.block(&pin, [0; 8]);
    let ta = ta_transport_key(ch.client_key());
    assert!(ta.decipher(&block, &PanField::new(None).unwrap()).is_err());
    // another client secret: another key
    let other = PinChannel::from_reply(&reply(), &[0x23; 32], Some("4111111111111111")).unwrap();
    assert_ne!(other.client_key(), ch.client_key());
    assert_ne!(other.block(&pin, [0; 8]), block);
    // fresh random fill: a different block for the same PIN
    assert_ne!(ch.block(&pin, [1; 8]), block);
}

#[test]
fn requests_carry_what_the_ta_expects() {
    let ch = channel(Some("12345"));
    let ta = ta_transport_key(ch.client_key());
    let pan = PanField::new(Some("12345")).unwrap();
    let client_hex = hex_string::<130>(&ta_public(&CLIENT_SECRET)).unwrap();

    let r = ch.request(&Pin::new("2468").unwrap(), [3; 8]);
    assert_eq!(r.v, PROTOCOL_CURRENT);
    assert_eq!(r.client_key, client_hex);
    assert_eq!(r.pan.as_deref(), Some("12345"));
    let b: [u8; 16] = hex_bytes(&r.block).unwrap();
    assert_eq!(ta.decipher(&b, &pan).unwrap().digits(), &[2, 4, 6, 8]);

    let c = ch.change_request(
        &Pin::new("2468").unwrap(),
        [1; 8],
        &Pin::new("13579").unwrap(),
        [2; 8],
    );
    assert_eq!(c.client_key, client_hex);
    let old: [u8; 16] = hex_bytes(&c.old_block).unwrap();
    let new: [u8; 16] = hex_bytes(&c.new_block).unwrap();
    assert_eq!(ta.decipher(&old, &pan).unwrap().digits(), &[2, 4, 6, 8]);
    assert_eq!(ta.decipher(&new, &pan).unwrap().digits(), &[1, 3, 5, 7, 9]);

    let block = ch.block(&Pin::new("0000").unwrap(), [4; 8]);
    let msg = ch.unblock_message(&block);
    assert_eq!(
        msg,
        unblock_message(&NONCE, &ta_public(&CLIENT_SECRET), &block, &pan)
    );
    let u = ch.unblock_request(&block, &[0x30; 70]).unwrap();
    assert_eq!(u.block, hex_string::<32>(&block).unwrap());
    assert_eq!(u.signature.len(), 140);
    assert_eq!(u.client_key, client_hex);
    assert_eq!(
        ch.unblock_request(&block, &[0x30; DER_SIGNATURE_MAX_LEN + 1])
            .err(),
        Some(ChannelError::BadSignature)
    );

    let record: TxRecord = decode(
        br#"{"amount":1234,"currency":"EUR","payee":"ACME","display":"Pay?","challenge":"00112233445566778899aabbccddeeff","time":1}"#,
    )
    .unwrap();
    let t = ch.tx_sign_request(
        "0102030405060708".try_into().unwrap(),
        &Pin::new("2468").unwrap(),
        [6; 8],
        record.clone(),
    );
    assert_eq!(t.record, record);
    assert_eq!(t.id.as_str(), "0102030405060708");
    let b: [u8; 16] = hex_bytes(&t.block).unwrap();
    assert_eq!(ta.decipher(&b, &pan).unwrap().digits(), &[2, 4, 6, 8]);
}

#[test]
fn bad_inputs_are_errors() {
    let mut bad_hex = reply();
    bad_hex.nonce.pop();
    assert_eq!(
        PinChannel::from_reply(&bad_hex, &CLIENT_SECRET, None).err(),
        Some(ChannelError::BadReply)
    );
    let mut not_a_point = [0u8; EC_POINT_LEN];
    not_a_point[0] = 4;
    assert_eq!(
        PinChannel::open(&not_a_point, NONCE, &CLIENT_SECRET, None).err(),
        Some(ChannelError::BadTaKey)
    );
    let ta_key = ta_public(&TA_SECRET);
    for secret in [[0u8; 32], [0xff; 32]] {
        assert_eq!(
            PinChannel::open(&ta_key, NONCE, &secret, None).err(),
            Some(ChannelError::BadSecret)
        );
    }
    for pan in ["", "12a4", "12345678901234567890"] {
        assert_eq!(
            PinChannel::open(&ta_key, NONCE, &CLIENT_SECRET, Some(pan)).err(),
            Some(ChannelError::BadPan)
        );
    }
    assert_eq!(std::format!("{:?}", channel(None)), "PinChannel(..)");
}

#[test]
fn rng_variant_retries_invalid_scalars_and_reports_failure() {
    // first draw is zero (not a scalar), the second is the client secret
    let mut draws = 0;
    let ch = PinChannel::from_reply_with_rng(&reply(), None, |buf: &mut [u8]| {
        draws += 1;
        buf.fill(if draws == 1 { 0 } else { 0x22 });
        Ok::<(), Infallible>(())
    })
    .unwrap();
    assert_eq!(draws, 2);
    assert_eq!(ch.client_key(), &ta_public(&CLIENT_SECRET));
    // an RNG that fails, and one that never gives a valid scalar
    assert_eq!(
        PinChannel::from_reply_with_rng(&reply(), None, |_: &mut [u8]| Err(())).err(),
        Some(ChannelError::Random)
    );
    assert_eq!(
        PinChannel::from_reply_with_rng(&reply(), None, |buf: &mut [u8]| {
            buf.fill(0xff);
            Ok::<(), Infallible>(())
        })
        .err(),
        Some(ChannelError::Random)
    );
    // other errors are not retried
    let mut bad = reply();
    bad.ta_key.clear();
    assert_eq!(
        PinChannel::from_reply_with_rng(&bad, None, |buf: &mut [u8]| {
            buf.fill(0x22);
            Ok::<(), Infallible>(())
        })
        .err(),
        Some(ChannelError::BadReply)
    );
}
