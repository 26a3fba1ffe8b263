//! Amounts as people read them: the ISO 4217 minor units of each
//! currency, and the one canonical text of an amount that the TA requires
//! a transaction's display text to contain.
//!
//! # Currencies
//!
//! [`minor_units`] knows every code of ISO 4217 list one (current
//! currency and funds codes) as published on 2026-01-01 that has a minor
//! unit: 165 codes, with exponents 0 (e.g. `JPY`), 2 (e.g. `EUR`), 3
//! (e.g. `BHD`) or 4 (`CLF`, `UYW`). Codes the list gives no minor unit
//! ("N.A."): the precious metals `XAG`, `XAU`, `XPD`, `XPT`, the bond
//! market units `XBA`–`XBD`, `XDR`, `XSU`, `XUA`, the testing code `XTS`
//! and `XXX` (no currency) are **not** known: an amount in them has no
//! defined decimal reading, so a record in one is refused. Withdrawn codes
//! (list three, e.g. `ANG`, `HRK`, `SLL`) are not known either.
//!
//! # Canonical amount text
//!
//! [`format_amount`]`(amount, currency)` with `e` = the currency's
//! exponent:
//!
//! - the amount in minor units, written in decimal with ASCII digits;
//! - if `e > 0`: a `.` (U+002E) before the last `e` digits, with at least
//!   one digit before it (`0.05`) and exactly `e` after it (`1.50`,
//!   never `1.5`);
//! - no sign, no leading zeros beyond that, no thousands separators, no
//!   locale;
//! - one space (U+0020), then the three-letter code.
//!
//! So 100 EUR → `1.00 EUR`, 5 EUR → `0.05 EUR`, 500 JPY → `500 JPY`,
//! 1 BHD → `0.001 BHD`, 123456789 EUR → `1234567.89 EUR`. Every `u64`
//! fits [`AMOUNT_TEXT_MAX_LEN`] bytes; nothing is allocated.
//!
//! Depends on nothing else in the crate.

use heapless::String;

/// Date of the ISO 4217 list one edition [`minor_units`] follows.
pub const ISO_4217_PUBLISHED: &str = "2026-01-01";

/// Longest [`format_amount`] text: 20 digits of `u64::MAX`, the decimal
/// point, a space and the code.
pub const AMOUNT_TEXT_MAX_LEN: usize = 20 + 1 + 1 + 3;

/// The canonical text of an amount ([`format_amount`]).
pub type AmountText = String<AMOUNT_TEXT_MAX_LEN>;

/// ISO 4217 list one, alphabetic code → minor unit exponent, sorted by
/// code (codes without a minor unit left out, see the module docs).
const ISO_4217: [(&str, u8); 165] = [
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BOV", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHE", 2),
    ("CHF", 2),
    ("CHW", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("COU", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MXV", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("USN", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAD", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

/// The minor unit exponent of an ISO 4217 alphabetic code (`EUR` → 2,
/// `JPY` → 0, `BHD` → 3), or `None` for a code that is not current or has
/// no minor unit (module docs).
pub fn minor_units(code: &str) -> Option<u8> {
    ISO_4217
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .and_then(|i| ISO_4217.get(i))
        .map(|(_, e)| *e)
}

/// The canonical text of `amount` minor units of `currency` (module
/// docs), or `None` if the currency is not known to [`minor_units`].
pub fn format_amount(amount: u64, currency: &str) -> Option<AmountText> {
    let exp = usize::from(minor_units(currency)?);
    // the amount as 20 decimal digits, zero-padded (u64::MAX has 20)
    let mut digits = [b'0'; 20];
    let mut rest = amount;
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + u8::try_from(rest % 10).ok()?;
        rest /= 10;
    }
    // drop leading zeros, keeping one digit before the point
    let first = digits
        .iter()
        .position(|d| *d != b'0')
        .unwrap_or(digits.len());
    let keep = digits.len().checked_sub(exp + 1)?;
    let shown = digits.get(first.min(keep)..)?;
    let (int, frac) = shown.split_at(shown.len().checked_sub(exp)?);
    let mut out = AmountText::new();
    let point: &[u8] = if exp > 0 { b"." } else { b"" };
    for part in [int, point, frac, b" ", currency.as_bytes()] {
        out.push_str(core::str::from_utf8(part).ok()?).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn formatter_vectors() {
        for (amount, code, want) in [
            (100, "EUR", "1.00 EUR"),
            (100_000_000, "EUR", "1000000.00 EUR"),
            (1, "EUR", "0.01 EUR"),
            (5, "EUR", "0.05 EUR"),
            (10, "EUR", "0.10 EUR"),
            (1234, "EUR", "12.34 EUR"),
            (150, "USD", "1.50 USD"),
            (500, "JPY", "500 JPY"),
            (1, "JPY", "1 JPY"),
            (0, "JPY", "0 JPY"),
            (0, "EUR", "0.00 EUR"),
            (1, "BHD", "0.001 BHD"),
            (1000, "KWD", "1.000 KWD"),
            (12_345, "CLF", "1.2345 CLF"),
            (1, "UYW", "0.0001 UYW"),
            (999_999_999_999_999, "EUR", "9999999999999.99 EUR"),
            (999_999_999_999_999, "JPY", "999999999999999 JPY"),
            (u64::MAX, "JPY", "18446744073709551615 JPY"),
            (u64::MAX, "EUR", "184467440737095516.15 EUR"),
            (u64::MAX, "CLF", "1844674407370955.1615 CLF"),
        ] {
            assert_eq!(
                format_amount(amount, code).as_deref(),
                Some(want),
                "{amount} {code}"
            );
        }
        let longest = format_amount(u64::MAX, "EUR").unwrap();
        assert!(longest.len() <= AMOUNT_TEXT_MAX_LEN);
        for code in [
            "XAU", "XXX", "XTS", "XDR", "eur", "EU", "EURO", "", "ANG", "HRK", "€",
        ] {
            assert_eq!(format_amount(100, code), None, "{code}");
        }
    }

    #[test]
    fn iso_4217_table() {
        // sorted, unique, three letters, exponents 0..=4
        for pair in ISO_4217.windows(2) {
            if let [a, b] = pair {
                assert!(a.0 < b.0, "{} before {}", a.0, b.0);
            }
        }
        for (code, e) in ISO_4217 {
            assert!(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(e <= 4, "{code}");
            assert_eq!(minor_units(code), Some(e));
        }
        for (code, e) in [
            ("EUR", 2),
            ("USD", 2),
            ("GBP", 2),
            ("CHF", 2),
            ("JPY", 0),
            ("KRW", 0),
            ("ISK", 0),
            ("XOF", 0),
            ("BHD", 3),
            ("IQD", 3),
            ("KWD", 3),
            ("TND", 3),
            ("CLF", 4),
            ("UYW", 4),
            ("XCG", 2),
            ("ZWG", 2),
            ("SLE", 2),
            ("VED", 2),
        ] {
            assert_eq!(minor_units(code), Some(e), "{code}");
        }
        for code in [
            "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA",
            "XXX", "ANG", "HRK", "SLL", "CUC", "ZWL", "AAA", "ZZZ",
        ] {
            assert_eq!(minor_units(code), None, "{code}");
        }
    }
}
