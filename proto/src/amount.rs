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
/// code (codes without a minor unit left out, see the module docs). Codes
/// are byte arrays, not `&str`: a table of pointers would cost the TA
/// 40 bytes and a load-time relocation per row, this one 4 bytes.
const ISO_4217: [([u8; 3], u8); 165] = [
    (*b"AED", 2),
    (*b"AFN", 2),
    (*b"ALL", 2),
    (*b"AMD", 2),
    (*b"AOA", 2),
    (*b"ARS", 2),
    (*b"AUD", 2),
    (*b"AWG", 2),
    (*b"AZN", 2),
    (*b"BAM", 2),
    (*b"BBD", 2),
    (*b"BDT", 2),
    (*b"BHD", 3),
    (*b"BIF", 0),
    (*b"BMD", 2),
    (*b"BND", 2),
    (*b"BOB", 2),
    (*b"BOV", 2),
    (*b"BRL", 2),
    (*b"BSD", 2),
    (*b"BTN", 2),
    (*b"BWP", 2),
    (*b"BYN", 2),
    (*b"BZD", 2),
    (*b"CAD", 2),
    (*b"CDF", 2),
    (*b"CHE", 2),
    (*b"CHF", 2),
    (*b"CHW", 2),
    (*b"CLF", 4),
    (*b"CLP", 0),
    (*b"CNY", 2),
    (*b"COP", 2),
    (*b"COU", 2),
    (*b"CRC", 2),
    (*b"CUP", 2),
    (*b"CVE", 2),
    (*b"CZK", 2),
    (*b"DJF", 0),
    (*b"DKK", 2),
    (*b"DOP", 2),
    (*b"DZD", 2),
    (*b"EGP", 2),
    (*b"ERN", 2),
    (*b"ETB", 2),
    (*b"EUR", 2),
    (*b"FJD", 2),
    (*b"FKP", 2),
    (*b"GBP", 2),
    (*b"GEL", 2),
    (*b"GHS", 2),
    (*b"GIP", 2),
    (*b"GMD", 2),
    (*b"GNF", 0),
    (*b"GTQ", 2),
    (*b"GYD", 2),
    (*b"HKD", 2),
    (*b"HNL", 2),
    (*b"HTG", 2),
    (*b"HUF", 2),
    (*b"IDR", 2),
    (*b"ILS", 2),
    (*b"INR", 2),
    (*b"IQD", 3),
    (*b"IRR", 2),
    (*b"ISK", 0),
    (*b"JMD", 2),
    (*b"JOD", 3),
    (*b"JPY", 0),
    (*b"KES", 2),
    (*b"KGS", 2),
    (*b"KHR", 2),
    (*b"KMF", 0),
    (*b"KPW", 2),
    (*b"KRW", 0),
    (*b"KWD", 3),
    (*b"KYD", 2),
    (*b"KZT", 2),
    (*b"LAK", 2),
    (*b"LBP", 2),
    (*b"LKR", 2),
    (*b"LRD", 2),
    (*b"LSL", 2),
    (*b"LYD", 3),
    (*b"MAD", 2),
    (*b"MDL", 2),
    (*b"MGA", 2),
    (*b"MKD", 2),
    (*b"MMK", 2),
    (*b"MNT", 2),
    (*b"MOP", 2),
    (*b"MRU", 2),
    (*b"MUR", 2),
    (*b"MVR", 2),
    (*b"MWK", 2),
    (*b"MXN", 2),
    (*b"MXV", 2),
    (*b"MYR", 2),
    (*b"MZN", 2),
    (*b"NAD", 2),
    (*b"NGN", 2),
    (*b"NIO", 2),
    (*b"NOK", 2),
    (*b"NPR", 2),
    (*b"NZD", 2),
    (*b"OMR", 3),
    (*b"PAB", 2),
    (*b"PEN", 2),
    (*b"PGK", 2),
    (*b"PHP", 2),
    (*b"PKR", 2),
    (*b"PLN", 2),
    (*b"PYG", 0),
    (*b"QAR", 2),
    (*b"RON", 2),
    (*b"RSD", 2),
    (*b"RUB", 2),
    (*b"RWF", 0),
    (*b"SAR", 2),
    (*b"SBD", 2),
    (*b"SCR", 2),
    (*b"SDG", 2),
    (*b"SEK", 2),
    (*b"SGD", 2),
    (*b"SHP", 2),
    (*b"SLE", 2),
    (*b"SOS", 2),
    (*b"SRD", 2),
    (*b"SSP", 2),
    (*b"STN", 2),
    (*b"SVC", 2),
    (*b"SYP", 2),
    (*b"SZL", 2),
    (*b"THB", 2),
    (*b"TJS", 2),
    (*b"TMT", 2),
    (*b"TND", 3),
    (*b"TOP", 2),
    (*b"TRY", 2),
    (*b"TTD", 2),
    (*b"TWD", 2),
    (*b"TZS", 2),
    (*b"UAH", 2),
    (*b"UGX", 0),
    (*b"USD", 2),
    (*b"USN", 2),
    (*b"UYI", 0),
    (*b"UYU", 2),
    (*b"UYW", 4),
    (*b"UZS", 2),
    (*b"VED", 2),
    (*b"VES", 2),
    (*b"VND", 0),
    (*b"VUV", 0),
    (*b"WST", 2),
    (*b"XAD", 2),
    (*b"XAF", 0),
    (*b"XCD", 2),
    (*b"XCG", 2),
    (*b"XOF", 0),
    (*b"XPF", 0),
    (*b"YER", 2),
    (*b"ZAR", 2),
    (*b"ZMW", 2),
    (*b"ZWG", 2),
];

/// The minor unit exponent of an ISO 4217 alphabetic code (`EUR` → 2,
/// `JPY` → 0, `BHD` → 3), or `None` for a code that is not current or has
/// no minor unit (module docs).
pub fn minor_units(code: &str) -> Option<u8> {
    let code: [u8; 3] = code.as_bytes().try_into().ok()?;
    ISO_4217
        .binary_search_by(|(c, _)| c.cmp(&code))
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
                assert!(a.0 < b.0, "{:?} before {:?}", a.0, b.0);
            }
        }
        for (code, e) in ISO_4217 {
            assert!(code.iter().all(|b| b.is_ascii_uppercase()));
            let code = std::str::from_utf8(&code).unwrap();
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
