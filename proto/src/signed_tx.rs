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
//! | P | payee, UTF-8, no control or invisible characters, no space at either end |
//! | 2 | display text length `D` (u16, 1..=[`DISPLAY_MAX_LEN`]) |
//! | D | the exact text shown to the user, UTF-8, no control characters but `\n`, no invisible ones; it shows the amount and the payee (below) |
//! | 1 | challenge length `C` ([`CHALLENGE_MIN_LEN`]..=[`TX_CHALLENGE_MAX_LEN`]) |
//! | C | the server's challenge (nonce) |
//! | 1 | user verification: 1 = PIN verified inside the TA, from an ISO 9564-1 format 4 PIN block, in the same call |
//! | 1 | display: 0 = not a trusted UI (the text was shown by the normal world) |
//!
//! # What the record must say (what you see is what you sign)
//!
//! [`TxRecord::check`] holds the display text to the record, so that a
//! signed record cannot say one amount and have shown another:
//!
//! - the currency is one [`crate::amount::minor_units`] knows (ISO 4217,
//!   with a minor unit);
//! - payee and display hold no control character (but `\n` in the
//!   display) and no invisible one ([`crate::text::is_invisible`]: Cf,
//!   bidirectional controls, the other default-ignorable code points,
//!   U+2028/U+2029); the payee neither starts nor ends with whitespace;
//! - the display contains the amount **exactly as
//!   [`crate::amount::format_amount`] writes it** (`1000000.00 EUR`) and
//!   the payee exactly, each as a whole word, not overlapping: the
//!   character before and after each is the start or end of the text,
//!   whitespace, ASCII punctuation or one of `« » ‹ › ‘ ’ ‚ “ ” „ ¡ ¿ …
//!   – — · • 、 。 ， ： ； ？ ！ （ ） 「 」 『 』` ([`is_word_edge`]); before
//!   the amount not `. , ' ’ ‚ · + - _`, nor whitespace right after a
//!   digit (so `11.00 EUR`, `-1.00 EUR`, `2 1.00 EUR` do not show
//!   `1.00 EUR`);
//! - no digit (any character with a numeric value, `char::is_numeric`)
//!   stands in the display outside the amount and the payee: the only
//!   number a user reads is the amount signed (and any in the payee's
//!   name). So `"Pay 1.00 EUR to ACME?"` with 100000000 minor units is
//!   refused, and so is `"Pay 1.00 EUR to ACME? (1000000.00 EUR)"`.
//!
//! [`canonical_display`] writes the display a client uses when the server
//! gives none: `Pay <amount> to <payee>?`.
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

use crate::amount::{AmountText, format_amount};
use crate::codec::{Reader, Writer, hex_prefix, hex_string};
use crate::text::is_invisible;
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
    /// ISO 4217 alphabetic currency code with a minor unit
    /// ([`crate::amount::minor_units`]).
    pub currency: String<3>,
    /// Who is paid (1..=[`PAYEE_MAX_LEN`] bytes, no control or invisible
    /// characters, no whitespace at either end).
    pub payee: String<PAYEE_MAX_LEN>,
    /// The exact text shown to the user (1..=[`DISPLAY_MAX_LEN`] bytes),
    /// showing the amount and the payee (module docs).
    pub display: String<DISPLAY_MAX_LEN>,
    /// The server's challenge, hex ([`CHALLENGE_MIN_LEN`]..=[`TX_CHALLENGE_MAX_LEN`] bytes).
    pub challenge: String<{ 2 * TX_CHALLENGE_MAX_LEN }>,
    /// The server's time for the transaction, UNIX seconds (≥ 1).
    pub time: u64,
}

/// Why a record is not acceptable (the TA answers every one with
/// `invalid-argument`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidRecord {
    /// The amount is 0 or above [`AMOUNT_MAX`].
    Amount,
    /// The currency is not an ISO 4217 code with a minor unit.
    Currency,
    /// The payee is empty, too long, holds a control or invisible
    /// character, or starts or ends with whitespace.
    Payee,
    /// The display is empty, too long, or holds a control (but `\n`) or
    /// invisible character.
    Display,
    /// The display does not show the amount as [`format_amount`] writes it.
    DisplayAmount,
    /// The display does not show the payee (apart from the amount).
    DisplayPayee,
    /// The display shows a digit outside the amount and the payee.
    DisplayDigits,
    /// The challenge is not lowercase hex of an allowed length.
    Challenge,
    /// The time is 0.
    Time,
}

impl InvalidRecord {
    /// What is wrong, in words.
    pub fn describe(self) -> &'static str {
        match self {
            InvalidRecord::Amount => "amount must be 1 to 999999999999999 minor units",
            InvalidRecord::Currency => "currency is not an ISO 4217 code with a minor unit",
            InvalidRecord::Payee => {
                "payee must be 1 to 64 bytes without control or invisible characters \
                 (Unicode bidi controls, format characters) or surrounding spaces"
            }
            InvalidRecord::Display => {
                "display must be 1 to 256 bytes without control or invisible characters \
                 (Unicode bidi controls, format characters) but newlines"
            }
            InvalidRecord::DisplayAmount => {
                "display does not show the amount as the TA writes it (e.g. \"1.00 EUR\")"
            }
            InvalidRecord::DisplayPayee => "display does not show the payee",
            InvalidRecord::DisplayDigits => {
                "display shows digits other than the amount and the payee"
            }
            InvalidRecord::Challenge => "challenge must be 16 to 64 bytes of lowercase hex",
            InvalidRecord::Time => "time must be at least 1",
        }
    }
}

impl core::fmt::Display for InvalidRecord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.describe())
    }
}

/// Length in range, no control character (but `\n` if `newline`) and no
/// invisible one.
fn text_ok(s: &str, max: usize, newline: bool) -> bool {
    (1..=max).contains(&s.len())
        && s.chars()
            .all(|c| !(c.is_control() && !(newline && c == '\n')) && !is_invisible(c))
}

/// Non-ASCII punctuation that may stand next to the amount or the payee.
const EDGE_PUNCTUATION: &str = "«»‹›‘’‚“”„¡¿…–—·•、。，：；？！（）「」『』";

/// Characters that may not stand right before the amount (they would make
/// it part of another number).
const NOT_BEFORE_AMOUNT: &str = ".,'’‚·+-_";

/// Whether `c` is one of the characters of `set` (a plain scan: the
/// `str::contains` searcher is ~2 KB of TA code for these short sets).
fn one_of(set: &str, c: char) -> bool {
    set.chars().any(|s| s == c)
}

/// Whether `c` may stand next to the amount or the payee in a display:
/// whitespace, ASCII punctuation or [`EDGE_PUNCTUATION`].
pub fn is_word_edge(c: char) -> bool {
    c.is_whitespace() || c.is_ascii_punctuation() || one_of(EDGE_PUNCTUATION, c)
}

/// Whether `word` at bytes `at..` of `text` stands as a whole word; with
/// `amount`, also not as the tail of another number.
fn whole_word(text: &str, at: usize, word: &str, amount: bool) -> bool {
    let (Some(head), Some(tail)) = (text.get(..at), text.get(at + word.len()..)) else {
        return false;
    };
    let mut back = head.chars().rev();
    let before_ok = match back.next() {
        None => true,
        Some(c) if amount && one_of(NOT_BEFORE_AMOUNT, c) => false,
        Some(c) if amount && c.is_whitespace() => {
            is_word_edge(c) && !back.next().is_some_and(char::is_numeric)
        }
        Some(c) => is_word_edge(c),
    };
    before_ok && tail.chars().next().is_none_or(is_word_edge)
}

/// The byte offsets where `word` stands in `text` as a whole word.
fn occurrences<'a>(text: &'a str, word: &'a str, amount: bool) -> impl Iterator<Item = usize> + 'a {
    text.char_indices().map(|(i, _)| i).filter(move |i| {
        text.get(*i..).is_some_and(|t| t.starts_with(word)) && whole_word(text, *i, word, amount)
    })
}

fn numerals(s: &str) -> usize {
    s.chars().filter(|c| c.is_numeric()).count()
}

/// Whether `display` shows `amount` (the canonical text) and `payee` as
/// the module docs require.
fn display_shows(display: &str, amount: &str, payee: &str) -> Result<(), InvalidRecord> {
    let mut amount_seen = false;
    let mut both = false;
    for a in occurrences(display, amount, true) {
        amount_seen = true;
        let a_end = a + amount.len();
        if occurrences(display, payee, false).any(|p| p + payee.len() <= a || a_end <= p) {
            both = true;
            break;
        }
    }
    if !amount_seen {
        return Err(InvalidRecord::DisplayAmount);
    }
    if !both {
        return Err(InvalidRecord::DisplayPayee);
    }
    // The two occurrences are disjoint, so they hold exactly these numerals.
    if numerals(display) != numerals(amount) + numerals(payee) {
        return Err(InvalidRecord::DisplayDigits);
    }
    Ok(())
}

/// The display a client shows when the server proposes none:
/// `Pay <amount> to <payee>?` (e.g. `Pay 1.00 EUR to ACME?`), or `None`
/// for an unknown currency. The record still has to pass
/// [`TxRecord::check`] (the payee's own rules).
pub fn canonical_display(
    amount: u64,
    currency: &str,
    payee: &str,
) -> Option<String<DISPLAY_MAX_LEN>> {
    let amount = format_amount(amount, currency)?;
    let mut out = String::new();
    for part in ["Pay ", amount.as_str(), " to ", payee, "?"] {
        out.push_str(part).ok()?;
    }
    Some(out)
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

    /// The amount as the TA writes it ([`format_amount`]), if the currency
    /// is known.
    pub fn amount_text(&self) -> Option<AmountText> {
        format_amount(self.amount, &self.currency)
    }

    /// Checks every field's range, and that the display shows the amount
    /// and the payee (module docs). The first rule broken is reported.
    pub fn check(&self) -> Result<(), InvalidRecord> {
        if !(1..=AMOUNT_MAX).contains(&self.amount) {
            return Err(InvalidRecord::Amount);
        }
        let amount = self.amount_text().ok_or(InvalidRecord::Currency)?;
        let payee = self.payee.as_str();
        let trimmed = payee.trim();
        if !text_ok(payee, PAYEE_MAX_LEN, false) || trimmed.len() != payee.len() {
            return Err(InvalidRecord::Payee);
        }
        if !text_ok(&self.display, DISPLAY_MAX_LEN, true) {
            return Err(InvalidRecord::Display);
        }
        display_shows(&self.display, &amount, payee)?;
        if self.challenge_bytes().is_none() {
            return Err(InvalidRecord::Challenge);
        }
        if self.time < 1 {
            return Err(InvalidRecord::Time);
        }
        Ok(())
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
    use crate::amount::format_amount;
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
        let payee = "p".repeat(PAYEE_MAX_LEN);
        let mut display = std::format!("Pay 12.34 EUR to {payee} ");
        display.push_str(&"d".repeat(DISPLAY_MAX_LEN - display.len()));
        r.payee = String::try_from(payee.as_str()).unwrap();
        r.display = String::try_from(display.as_str()).unwrap();
        r.challenge = String::try_from("ab".repeat(TX_CHALLENGE_MAX_LEN).as_str()).unwrap();
        let b = signed(r, u64::MAX).encode().unwrap();
        assert_eq!(b.len(), SIGNED_TX_MAX_LEN);
    }

    fn with(f: impl Fn(&mut TxRecord)) -> Result<(), InvalidRecord> {
        let mut r = record();
        f(&mut r);
        let verdict = r.check();
        // a record encodes iff it checks
        assert_eq!(signed(r, 1).encode().is_some(), verdict.is_ok());
        verdict
    }

    fn shown(amount: u64, currency: &str, payee: &str, display: &str) -> Result<(), InvalidRecord> {
        with(|r| {
            r.amount = amount;
            r.currency = currency.try_into().unwrap();
            r.payee = payee.try_into().unwrap();
            r.display = display.try_into().unwrap();
        })
    }

    #[test]
    fn invalid_records_refused() {
        use InvalidRecord as E;
        type Case = (fn(&mut TxRecord), InvalidRecord);
        let bad: [Case; 19] = [
            (|r| r.amount = 0, E::Amount),
            (|r| r.amount = AMOUNT_MAX + 1, E::Amount),
            (|r| r.currency = "eur".try_into().unwrap(), E::Currency),
            (|r| r.currency = "EU".try_into().unwrap(), E::Currency),
            (|r| r.currency = "E1R".try_into().unwrap(), E::Currency),
            (|r| r.currency = "XAU".try_into().unwrap(), E::Currency),
            (|r| r.currency = "XXX".try_into().unwrap(), E::Currency),
            (|r| r.currency = "ABC".try_into().unwrap(), E::Currency),
            (|r| r.payee.clear(), E::Payee),
            (|r| r.payee = "a\u{7}b".try_into().unwrap(), E::Payee),
            (|r| r.payee = "a\nb".try_into().unwrap(), E::Payee),
            (|r| r.display.clear(), E::Display),
            (|r| r.display = "tab\there".try_into().unwrap(), E::Display),
            (
                |r| r.challenge = "00112233".try_into().unwrap(),
                E::Challenge,
            ),
            (
                |r| r.challenge = "0011223344556677889900aabbccddeeffzz".try_into().unwrap(),
                E::Challenge,
            ),
            (
                |r| r.challenge = "0011223344556677889900aabbccddeef".try_into().unwrap(),
                E::Challenge,
            ),
            (|r| r.time = 0, E::Time),
            (
                |r| r.challenge = "00112233445566778899AABBCCDDEEFF".try_into().unwrap(),
                E::Challenge,
            ),
            (|r| r.display = "Pay?".try_into().unwrap(), E::DisplayAmount),
        ];
        for (i, (f, want)) in bad.iter().enumerate() {
            assert_eq!(with(f), Err(*want), "case {i}");
        }
        assert_eq!(with(|_| {}), Ok(()));
        assert_eq!(
            shown(1234, "EUR", "ACME", "Pay 12.34 EUR\nto ACME?"),
            Ok(())
        );
    }

    /// A display that says another amount than the record is refused.
    #[test]
    fn display_contradicting_the_amount_is_refused() {
        use InvalidRecord as E;
        assert_eq!(
            shown(100_000_000, "EUR", "ACME", "Pay 1.00 EUR to ACME?"),
            Err(E::DisplayAmount)
        );
        assert_eq!(shown(100, "EUR", "ACME", "Pay 1.00 EUR to ACME?"), Ok(()));
        assert_eq!(
            shown(100_000_000, "EUR", "ACME", "Pay 1000000.00 EUR to ACME?"),
            Ok(())
        );
        for (amount, currency, display, want) in [
            // the right amount, but a second, smaller one beside it
            (
                100_000_000,
                "EUR",
                "Pay 1.00 EUR to ACME? (1000000.00 EUR)",
                E::DisplayDigits,
            ),
            (
                100_000_000,
                "EUR",
                "Pay 1000000.00 EUR to ACME? Fee: 0",
                E::DisplayDigits,
            ),
            (100, "EUR", "Pay 1.00 EUR to ACME ②", E::DisplayDigits),
            (100, "EUR", "Pay 1.00 EUR to ACME ٣", E::DisplayDigits),
            // the canonical text inside another number or word
            (100, "EUR", "Pay 11.00 EUR to ACME?", E::DisplayAmount),
            (100, "EUR", "Pay -1.00 EUR to ACME?", E::DisplayAmount),
            (100, "EUR", "Pay 2,1.00 EUR to ACME?", E::DisplayAmount),
            (100, "EUR", "Pay 2 1.00 EUR to ACME?", E::DisplayAmount),
            (100, "EUR", "Pay 1.00 EURO to ACME?", E::DisplayAmount),
            (100, "EUR", "Pay x1.00 EUR to ACME?", E::DisplayAmount),
            // not the canonical form
            (100, "EUR", "Pay 1 EUR to ACME?", E::DisplayAmount),
            (100, "EUR", "Pay 1.0 EUR to ACME?", E::DisplayAmount),
            (100, "EUR", "Pay EUR 1.00 to ACME?", E::DisplayAmount),
            (100, "EUR", "Pay 1,00 EUR to ACME?", E::DisplayAmount),
            (100, "EUR", "Pay 1.00 € to ACME?", E::DisplayAmount),
            (100, "EUR", "Pay 1.00\u{a0}EUR to ACME?", E::DisplayAmount),
            (100, "EUR", "Pay 1.00 USD to ACME?", E::DisplayAmount),
            (100, "JPY", "Pay 1.00 JPY to ACME?", E::DisplayAmount),
            (
                150_000,
                "EUR",
                "Pay 1,500.00 EUR to ACME?",
                E::DisplayAmount,
            ),
            // the payee missing, or only inside another word
            (100, "EUR", "Pay 1.00 EUR to ACM?", E::DisplayPayee),
            (100, "EUR", "Pay 1.00 EUR to ACMEX?", E::DisplayPayee),
            (100, "EUR", "Pay 1.00 EUR to XACME?", E::DisplayPayee),
            (100, "EUR", "Pay 1.00 EUR to acme?", E::DisplayPayee),
        ] {
            assert_eq!(
                shown(amount, currency, "ACME", display),
                Err(want),
                "{amount} {currency} {display:?}"
            );
        }
        for (amount, currency, payee, display) in [
            (500, "JPY", "ACME", "Pay 500 JPY to ACME?"),
            (1, "BHD", "ACME", "0.001 BHD → ACME"),
            (100, "EUR", "ACME", "1.00 EUR\nACME"),
            (100, "EUR", "ACME", "«ACME»: 1.00 EUR."),
            (100, "EUR", "ACME", "Zahlung an ACME: 1.00 EUR"),
            (100, "EUR", "ACME", "ACME 1.00 EUR"),
            (100, "EUR", "Shop 24", "Pay 1.00 EUR to Shop 24?"),
            (100, "EUR", "Shop 24", "Shop 24 — 1.00 EUR"),
            (100, "EUR", "EUR", "Pay 1.00 EUR to EUR?"),
            (100, "EUR", "Café Ünïcödé", "Pay 1.00 EUR to Café Ünïcödé?"),
            (100, "EUR", "שלום", "Pay 1.00 EUR to שלום?"),
        ] {
            assert_eq!(
                shown(amount, currency, payee, display),
                Ok(()),
                "{display:?}"
            );
        }
        // the payee must stand apart from the amount
        assert_eq!(
            shown(100, "EUR", "EUR", "Pay 1.00 EUR?"),
            Err(E::DisplayPayee)
        );
        // the payee's digits are its own, not more of them
        assert_eq!(
            shown(100, "EUR", "Shop 24", "Pay 1.00 EUR to Shop 24 or 25?"),
            Err(E::DisplayDigits)
        );
        // a payee ending in a digit does not take part in the amount
        assert_eq!(
            shown(25_000, "EUR", "Shop 1", "Pay Shop 1 250.00 EUR"),
            Err(E::DisplayAmount)
        );
    }

    /// Bidirectional controls and every other invisible character are
    /// refused in the payee and in the display.
    #[test]
    fn bidi_and_invisible_characters_are_refused() {
        use crate::text::{FORMAT, OTHER_INVISIBLE};
        use InvalidRecord as E;
        let mut edges = StdVec::new();
        for (lo, hi) in FORMAT.iter().chain(&OTHER_INVISIBLE) {
            edges.extend([*lo, *hi]);
        }
        for c in [
            '\u{202e}',
            '\u{2066}',
            '\u{200b}',
            '\u{ad}',
            '\u{feff}',
            '\u{e0041}',
        ]
        .into_iter()
        .chain(edges)
        {
            let payee = std::format!("AC{c}ME");
            let display = std::format!("Pay 1.00 EUR to {payee}?");
            assert_eq!(shown(100, "EUR", &payee, &display), Err(E::Payee), "{c:?}");
            let display = std::format!("Pay 1.00 EUR{c} to ACME?");
            assert_eq!(
                shown(100, "EUR", "ACME", &display),
                Err(E::Display),
                "{c:?}"
            );
        }
        // "Pay 1.00 EUR to ACME" on the screen, "EMCA" in the record
        let spoof = "Pay 1.00 EUR to \u{202e}EMCA\u{202c}?";
        assert_eq!(
            shown(100, "EUR", "\u{202e}EMCA\u{202c}", spoof),
            Err(E::Payee)
        );
        assert_eq!(shown(100, "EUR", "EMCA", spoof), Err(E::Display));
        for payee in [" ACME", "ACME ", "\u{a0}ACME", "ACME\u{3000}"] {
            let display = std::format!("Pay 1.00 EUR to {payee}?");
            assert_eq!(
                shown(100, "EUR", payee, &display),
                Err(E::Payee),
                "{payee:?}"
            );
        }
    }

    #[test]
    fn canonical_display_passes_the_check() {
        assert_eq!(
            canonical_display(100, "EUR", "ACME").as_deref(),
            Some("Pay 1.00 EUR to ACME?")
        );
        assert_eq!(
            canonical_display(500, "JPY", "ACME").as_deref(),
            Some("Pay 500 JPY to ACME?")
        );
        assert_eq!(canonical_display(100, "XAU", "ACME"), None);
        for (amount, currency, payee) in [
            (1u64, "EUR", "a"),
            (AMOUNT_MAX, "EUR", "Shop 24"),
            (AMOUNT_MAX, "UYW", "ACME Coffee Ltd"),
            (7, "KWD", "Café"),
        ] {
            let longest = "p".repeat(PAYEE_MAX_LEN);
            for payee in [payee, longest.as_str()] {
                let display = canonical_display(amount, currency, payee).unwrap();
                assert_eq!(
                    shown(amount, currency, payee, &display),
                    Ok(()),
                    "{display}"
                );
            }
        }
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
                    let shown = format_amount(amount, currency).unwrap();
                    for (payee, display) in [
                        ("ab", std::format!("{shown} ab")),
                        ("ab", std::format!("{shown} ab?")),
                        ("ab?", std::format!("{shown} ab?")),
                        ("a", std::format!("{shown} a b")),
                        ("a b", std::format!("{shown} a b")),
                        ("é", std::format!("{shown} é")),
                        ("ACME", std::format!("Pay\n{shown} ACME")),
                    ] {
                        for challenge in ["00".repeat(16), "00".repeat(17), "01".repeat(16)] {
                            for time in [1u64, 1_763_800_000] {
                                variants.push(signed(
                                    TxRecord {
                                        amount,
                                        currency: currency.try_into().unwrap(),
                                        payee: payee.try_into().unwrap(),
                                        display: display.as_str().try_into().unwrap(),
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
