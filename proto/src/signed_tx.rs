//! Transactions signed with proof of consent (ISO/TS 12812-2 7.3.3,
//! 8.1.5, 11.2.2; PSD2 SCA dynamic linking).
//!
//! A [`TxRecord`] is what the payment server proposes and the user sees.
//! The TA signs it only inside `TxSign`, in the same call that verifies
//! the user's PIN block, and adds its anti-replay counter and a statement
//! of how the user was verified. What the TA signs is the canonical
//! encoding below ([`SignedTx::encode`]); anyone can check the signature
//! with OpenSSL (`openssl dgst -sha256 -verify key.pem -signature sig.der
//! record.bin`) and parse the bytes with this documented layout.
//!
//! # Signed transaction, version 1 (big-endian integers)
//!
//! | size | field |
//! |---|---|
//! | 12 | tag `"mfs-ta/tx/v1"` (the version is part of the tag) |
//! | 8 | key id |
//! | 8 | TA counter (u64, strictly increasing over every transaction the TA signs) |
//! | 8 | amount in minor units (u64, 1..=[`AMOUNT_MAX`]) |
//! | 3 | currency, ISO 4217 alphabetic code (`A-Z`) |
//! | 8 | time, UNIX seconds, as proposed by the server (u64, ≥ 1) |
//! | 1 | payee length `P` (1..=[`PAYEE_MAX_LEN`]) |
//! | P | payee, UTF-8, no control characters |
//! | 2 | display text length `D` (u16, 1..=[`DISPLAY_MAX_LEN`]) |
//! | D | the exact text shown to the user, UTF-8, no control characters but `\n` |
//! | 1 | challenge length `C` ([`CHALLENGE_MIN_LEN`]..=[`TX_CHALLENGE_MAX_LEN`]) |
//! | C | the server's challenge (nonce) |
//! | 1 | user verification: 1 = PIN verified inside the TA, from an ISO 9564-1 format 4 PIN block, in the same call |
//! | 1 | display: 0 = not a trusted UI (the text was shown by the normal world) |
//!
//! Every variable field carries its length and the fixed fields have
//! fixed sizes, so the encoding is prefix-free: two different records
//! never encode the same (decoding is strict and [`SignedTx::decode`] of
//! an encoding gives back exactly the record; tests check both).
//!
//! Depends on [`crate::codec`] and [`crate::types`]. The `TxSign` JSON
//! messages are in [`crate::wire::tx`].

use heapless::{String, Vec};
use serde::{Deserialize, Serialize};

use crate::codec::{Reader, Writer, hex_prefix, hex_string};
use crate::types::KEY_ID_LEN;

/// Tag (and version) that opens every signed transaction.
pub const TX_TAG: &[u8; 12] = b"mfs-ta/tx/v1";
/// Largest amount in minor units (15 digits).
pub const AMOUNT_MAX: u64 = 999_999_999_999_999;
/// Longest payee, bytes of UTF-8.
pub const PAYEE_MAX_LEN: usize = 64;
/// Longest display text, bytes of UTF-8.
pub const DISPLAY_MAX_LEN: usize = 256;
/// Shortest server challenge (128 bits).
pub const CHALLENGE_MIN_LEN: usize = 16;
/// Longest server challenge.
pub const TX_CHALLENGE_MAX_LEN: usize = 64;
/// Longest signed transaction.
pub const SIGNED_TX_MAX_LEN: usize = 12
    + KEY_ID_LEN
    + 8
    + 8
    + 3
    + 8
    + 1
    + PAYEE_MAX_LEN
    + 2
    + DISPLAY_MAX_LEN
    + 1
    + TX_CHALLENGE_MAX_LEN
    + 2;
/// User verification code: PIN verified in the TA from a format 4 block.
pub const VERIFIED_PIN_IN_TA: u8 = 1;
/// Display code: the text was not shown by a trusted UI.
pub const DISPLAY_NOT_TRUSTED_UI: u8 = 0;
/// The statement the two codes above make, in words.
pub const VERIFICATION_STATEMENT: &str =
    "PIN verified in the TA (ISO 9564-1 format 4 block); display not a trusted UI";

/// A proposed transaction, as the server sends it and the user sees it.
/// Travels inside the `TxSign` request, so its JSON is strict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxRecord {
    /// Amount in minor units of the currency (e.g. cents), 1..=[`AMOUNT_MAX`].
    pub amount: u64,
    /// ISO 4217 alphabetic currency code (three letters `A-Z`).
    pub currency: String<3>,
    /// Who is paid (1..=[`PAYEE_MAX_LEN`] bytes, no control characters).
    pub payee: String<PAYEE_MAX_LEN>,
    /// The exact text shown to the user (1..=[`DISPLAY_MAX_LEN`] bytes).
    pub display: String<DISPLAY_MAX_LEN>,
    /// The server's challenge, hex ([`CHALLENGE_MIN_LEN`]..=[`TX_CHALLENGE_MAX_LEN`] bytes).
    pub challenge: String<{ 2 * TX_CHALLENGE_MAX_LEN }>,
    /// The server's time for the transaction, UNIX seconds (≥ 1).
    pub time: u64,
}

/// Why a record is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidRecord;

fn text_ok(s: &str, max: usize, newline: bool) -> bool {
    (1..=max).contains(&s.len()) && s.chars().all(|c| !c.is_control() || (newline && c == '\n'))
}

impl TxRecord {
    /// The challenge's bytes, if it is valid hex of an allowed length.
    pub fn challenge_bytes(&self) -> Option<Vec<u8, TX_CHALLENGE_MAX_LEN>> {
        let mut buf = [0u8; TX_CHALLENGE_MAX_LEN];
        let c = hex_prefix(&self.challenge, &mut buf)?;
        // lowercase only, so a record has exactly one text form
        if c.len() < CHALLENGE_MIN_LEN || self.challenge.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        Vec::from_slice(c).ok()
    }

    /// Checks every field's range.
    pub fn check(&self) -> Result<(), InvalidRecord> {
        let ok = (1..=AMOUNT_MAX).contains(&self.amount)
            && self.currency.len() == 3
            && self.currency.bytes().all(|c| c.is_ascii_uppercase())
            && text_ok(&self.payee, PAYEE_MAX_LEN, false)
            && text_ok(&self.display, DISPLAY_MAX_LEN, true)
            && self.challenge_bytes().is_some()
            && self.time >= 1;
        if ok { Ok(()) } else { Err(InvalidRecord) }
    }
}

/// A transaction as the TA signs it: the record, the key, the TA's counter
/// and how the user was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTx {
    /// The signing key's id.
    pub key_id: [u8; KEY_ID_LEN],
    /// The TA's anti-replay counter for this signature.
    pub counter: u64,
    /// The record (checked).
    pub record: TxRecord,
    /// How the user was verified ([`VERIFIED_PIN_IN_TA`]).
    pub verification: u8,
    /// Whether the display was a trusted UI ([`DISPLAY_NOT_TRUSTED_UI`]).
    pub display: u8,
}

impl SignedTx {
    /// The canonical encoding (module docs); `None` for an invalid record.
    pub fn encode(&self) -> Option<Vec<u8, SIGNED_TX_MAX_LEN>> {
        self.record.check().ok()?;
        let r = &self.record;
        let mut w = Writer::<SIGNED_TX_MAX_LEN>::new();
        w.bytes(TX_TAG)?;
        w.bytes(&self.key_id)?;
        w.u64(self.counter)?;
        w.u64(r.amount)?;
        w.bytes(r.currency.as_bytes())?;
        w.u64(r.time)?;
        w.short(r.payee.as_bytes())?;
        w.bytes(&u16::try_from(r.display.len()).ok()?.to_be_bytes())?;
        w.bytes(r.display.as_bytes())?;
        w.short(&r.challenge_bytes()?)?;
        w.u8(self.verification)?;
        w.u8(self.display)?;
        Some(w.into_inner())
    }

    /// Parses a signed transaction strictly: every byte accounted for,
    /// every field in range, the challenge returned as lowercase hex.
    pub fn decode(b: &[u8]) -> Option<SignedTx> {
        let mut r = Reader::new(b);
        if r.take(TX_TAG.len())? != TX_TAG {
            return None;
        }
        let key_id = r.array()?;
        let counter = r.u64()?;
        let amount = r.u64()?;
        let currency = String::try_from(core::str::from_utf8(r.take(3)?).ok()?).ok()?;
        let time = r.u64()?;
        let payee = String::try_from(core::str::from_utf8(r.short()?).ok()?).ok()?;
        let dlen = u16::from_be_bytes(r.array()?);
        let display =
            String::try_from(core::str::from_utf8(r.take(usize::from(dlen))?).ok()?).ok()?;
        let challenge = hex_string(r.short()?).ok()?;
        let verification = r.u8()?;
        let display_code = r.u8()?;
        r.finish()?;
        let tx = SignedTx {
            key_id,
            counter,
            record: TxRecord {
                amount,
                currency,
                payee,
                display,
                challenge,
                time,
            },
            verification,
            display: display_code,
        };
        let known = verification == VERIFIED_PIN_IN_TA && display_code == DISPLAY_NOT_TRUSTED_UI;
        (known && tx.record.check().is_ok()).then_some(tx)
    }
}

#[cfg(test)]
pub(crate) mod test {
    use super::*;
    use std::collections::HashSet;
    use std::vec::Vec as StdVec;

    pub(crate) fn record() -> TxRecord {
        TxRecord {
            amount: 1234,
            currency: "EUR".try_into().unwrap(),
            payee: "ACME Coffee Ltd".try_into().unwrap(),
            display: "Pay 12.34 EUR to ACME Coffee Ltd?".try_into().unwrap(),
            challenge: "00112233445566778899aabbccddeeff".try_into().unwrap(),
            time: 1_763_800_000,
        }
    }

    fn signed(record: TxRecord, counter: u64) -> SignedTx {
        SignedTx {
            key_id: [1, 2, 3, 4, 5, 6, 7, 8],
            counter,
            record,
            verification: VERIFIED_PIN_IN_TA,
            display: DISPLAY_NOT_TRUSTED_UI,
        }
    }

    #[test]
    fn known_encoding() {
        let b = signed(record(), 7).encode().unwrap();
        let mut want = StdVec::new();
        want.extend_from_slice(b"mfs-ta/tx/v1");
        want.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        want.extend_from_slice(&7u64.to_be_bytes());
        want.extend_from_slice(&1234u64.to_be_bytes());
        want.extend_from_slice(b"EUR");
        want.extend_from_slice(&1_763_800_000u64.to_be_bytes());
        want.push(15);
        want.extend_from_slice(b"ACME Coffee Ltd");
        want.extend_from_slice(&[0, 33]);
        want.extend_from_slice(b"Pay 12.34 EUR to ACME Coffee Ltd?");
        want.push(16);
        want.extend_from_slice(&[
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ]);
        want.extend_from_slice(&[1, 0]);
        assert_eq!(b.as_slice(), want.as_slice());
        assert_eq!(SignedTx::decode(&b), Some(signed(record(), 7)));
    }

    #[test]
    fn longest_record_fits() {
        let mut r = record();
        r.payee = String::try_from("p".repeat(PAYEE_MAX_LEN).as_str()).unwrap();
        r.display = String::try_from("d".repeat(DISPLAY_MAX_LEN).as_str()).unwrap();
        r.challenge = String::try_from("ab".repeat(TX_CHALLENGE_MAX_LEN).as_str()).unwrap();
        let b = signed(r, u64::MAX).encode().unwrap();
        assert_eq!(b.len(), SIGNED_TX_MAX_LEN);
    }

    #[test]
    fn invalid_records_refused() {
        let bad: [fn(&mut TxRecord); 15] = [
            |r| r.amount = 0,
            |r| r.amount = AMOUNT_MAX + 1,
            |r| r.currency = "eur".try_into().unwrap(),
            |r| r.currency = "EU".try_into().unwrap(),
            |r| r.currency = "E1R".try_into().unwrap(),
            |r| r.payee.clear(),
            |r| r.payee = "a\u{7}b".try_into().unwrap(),
            |r| r.payee = "a\nb".try_into().unwrap(),
            |r| r.display.clear(),
            |r| r.display = "tab\there".try_into().unwrap(),
            |r| r.challenge = "00112233".try_into().unwrap(),
            |r| r.challenge = "0011223344556677889900aabbccddeeffzz".try_into().unwrap(),
            |r| r.challenge = "0011223344556677889900aabbccddeef".try_into().unwrap(),
            |r| r.time = 0,
            |r| r.challenge = "00112233445566778899AABBCCDDEEFF".try_into().unwrap(),
        ];
        for (i, f) in bad.iter().enumerate() {
            let mut r = record();
            f(&mut r);
            assert_eq!(r.check(), Err(InvalidRecord), "case {i}");
            assert!(signed(r, 1).encode().is_none());
        }
        let mut r = record();
        r.display = "line one\nline two".try_into().unwrap();
        assert_eq!(r.check(), Ok(()));
    }

    /// Two different records never encode the same: many records that
    /// differ in one field, or only in where bytes sit between adjacent
    /// variable fields, all encode differently, and every encoding
    /// decodes back to exactly its record.
    #[test]
    fn encoding_is_injective() {
        let mut variants = StdVec::new();
        for counter in [1u64, 2, 256] {
            for amount in [1u64, 2, 1234, 12340, AMOUNT_MAX] {
                for currency in ["EUR", "USD", "XOF"] {
                    for (payee, display) in [
                        ("ab", "c"),
                        ("a", "bc"),
                        ("ab", "cd"),
                        ("abc", "d"),
                        ("é", "x"),
                        ("ACME", "Pay\n1"),
                    ] {
                        for challenge in ["00".repeat(16), "00".repeat(17), "01".repeat(16)] {
                            for time in [1u64, 1_763_800_000] {
                                variants.push(signed(
                                    TxRecord {
                                        amount,
                                        currency: currency.try_into().unwrap(),
                                        payee: payee.try_into().unwrap(),
                                        display: display.try_into().unwrap(),
                                        challenge: challenge.as_str().try_into().unwrap(),
                                        time,
                                    },
                                    counter,
                                ));
                            }
                        }
                    }
                }
            }
        }
        let mut key2 = signed(record(), 1);
        key2.key_id = [9; 8];
        variants.push(key2);
        let mut seen = HashSet::new();
        for v in &variants {
            let b = v.encode().unwrap();
            assert_eq!(SignedTx::decode(&b).as_ref(), Some(v));
            assert!(
                seen.insert(b.to_vec()),
                "two records encode the same: {v:?}"
            );
        }
        assert_eq!(seen.len(), variants.len());
    }

    #[test]
    fn decode_is_strict() {
        let b = signed(record(), 3).encode().unwrap();
        for n in 0..b.len() {
            assert!(SignedTx::decode(&b[..n]).is_none(), "truncated at {n}");
        }
        let mut longer = b.to_vec();
        longer.push(0);
        assert!(SignedTx::decode(&longer).is_none());
        // an unknown verification method or a trusted-UI claim is not v1
        for (at, v) in [(b.len() - 2, 2u8), (b.len() - 1, 1u8)] {
            let mut x = b.to_vec();
            x[at] = v;
            assert!(SignedTx::decode(&x).is_none());
        }
        let mut x = b.to_vec();
        x[11] = b'2'; // "mfs-ta/tx/v2"
        assert!(SignedTx::decode(&x).is_none());
    }
}
