//! Which characters a transaction's payee and display text may hold: no
//! character that is invisible, or that changes how the characters around
//! it are shown, may stand in text a user confirms.
//!
//! [`is_invisible`] is true for
//!
//! - every character of general category **Cf** (format) as of Unicode
//!   [`UNICODE_VERSION`] ([`FORMAT`], 21 ranges; Unicode 14.0 had the same
//!   set but for U+13439–U+1343F). Among them the **bidirectional
//!   controls** ([`BIDI_CONTROLS`]: U+061C, U+200E, U+200F, U+202A–U+202E,
//!   U+2066–U+2069), which reorder what a user sees (`"Pay 1.00 EUR to
//!   \u{202e}EMCA"` shows `ACME`), zero-width spaces and joiners
//!   (U+200B–U+200D), the word joiner and invisible operators
//!   (U+2060–U+2064), the soft hyphen U+00AD, U+180E, U+FEFF and the tag
//!   characters U+E0001, U+E0020–U+E007F;
//! - the other **Default_Ignorable_Code_Points** of the same version,
//!   which are not Cf but are not shown either ([`OTHER_INVISIBLE`]: the
//!   combining grapheme joiner U+034F, the Hangul fillers U+115F, U+1160,
//!   U+3164, U+FFA0, the Khmer inherent vowels U+17B4–U+17B5, the
//!   variation selectors U+180B–U+180D, U+180F, U+FE00–U+FE0F,
//!   U+E0100–U+E01EF, and the code points reserved as default ignorable:
//!   U+2065, U+FFF0–U+FFF8, U+E0000–U+E0FFF);
//! - the line and paragraph separators U+2028 and U+2029 (the display's
//!   one line break is `\n`).
//!
//! Control characters (Cc) are refused separately (`char::is_control`).
//!
//! Depends on nothing else in the crate.

/// The Unicode version of [`FORMAT`] and [`OTHER_INVISIBLE`].
pub const UNICODE_VERSION: &str = "18.0.0";

/// General category Cf, as inclusive ranges, sorted.
pub const FORMAT: [(char, char); 21] = [
    ('\u{00AD}', '\u{00AD}'),   // SOFT HYPHEN
    ('\u{0600}', '\u{0605}'),   // ARABIC NUMBER SIGN..ARABIC NUMBER MARK ABOVE
    ('\u{061C}', '\u{061C}'),   // ARABIC LETTER MARK
    ('\u{06DD}', '\u{06DD}'),   // ARABIC END OF AYAH
    ('\u{070F}', '\u{070F}'),   // SYRIAC ABBREVIATION MARK
    ('\u{0890}', '\u{0891}'),   // ARABIC POUND MARK ABOVE..ARABIC PIASTRE MARK ABOVE
    ('\u{08E2}', '\u{08E2}'),   // ARABIC DISPUTED END OF AYAH
    ('\u{180E}', '\u{180E}'),   // MONGOLIAN VOWEL SEPARATOR
    ('\u{200B}', '\u{200F}'),   // ZERO WIDTH SPACE..RIGHT-TO-LEFT MARK
    ('\u{202A}', '\u{202E}'),   // LEFT-TO-RIGHT EMBEDDING..RIGHT-TO-LEFT OVERRIDE
    ('\u{2060}', '\u{2064}'),   // WORD JOINER..INVISIBLE PLUS
    ('\u{2066}', '\u{206F}'),   // LEFT-TO-RIGHT ISOLATE..NOMINAL DIGIT SHAPES
    ('\u{FEFF}', '\u{FEFF}'),   // ZERO WIDTH NO-BREAK SPACE
    ('\u{FFF9}', '\u{FFFB}'),   // INTERLINEAR ANNOTATION ANCHOR..TERMINATOR
    ('\u{110BD}', '\u{110BD}'), // KAITHI NUMBER SIGN
    ('\u{110CD}', '\u{110CD}'), // KAITHI NUMBER SIGN ABOVE
    ('\u{13430}', '\u{1343F}'), // EGYPTIAN HIEROGLYPH VERTICAL JOINER..END WALLED ENCLOSURE
    ('\u{1BCA0}', '\u{1BCA3}'), // SHORTHAND FORMAT LETTER OVERLAP..UP STEP
    ('\u{1D173}', '\u{1D17A}'), // MUSICAL SYMBOL BEGIN BEAM..END PHRASE
    ('\u{E0001}', '\u{E0001}'), // LANGUAGE TAG
    ('\u{E0020}', '\u{E007F}'), // TAG SPACE..CANCEL TAG
];

/// The bidirectional formatting characters (all of them Cf, in [`FORMAT`]).
pub const BIDI_CONTROLS: [(char, char); 4] = [
    ('\u{061C}', '\u{061C}'), // ARABIC LETTER MARK
    ('\u{200E}', '\u{200F}'), // LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
    ('\u{202A}', '\u{202E}'), // LRE, RLE, PDF, LRO, RLO
    ('\u{2066}', '\u{2069}'), // LRI, RLI, FSI, PDI
];

/// Invisible characters that are not Cf: the other Default_Ignorable_Code_Points
/// and the line and paragraph separators, as inclusive ranges, sorted.
pub const OTHER_INVISIBLE: [(char, char); 14] = [
    ('\u{034F}', '\u{034F}'),   // COMBINING GRAPHEME JOINER
    ('\u{115F}', '\u{1160}'),   // HANGUL CHOSEONG FILLER..JUNGSEONG FILLER
    ('\u{17B4}', '\u{17B5}'),   // KHMER VOWEL INHERENT AQ..AA
    ('\u{180B}', '\u{180D}'),   // MONGOLIAN FREE VARIATION SELECTOR ONE..THREE
    ('\u{180F}', '\u{180F}'),   // MONGOLIAN FREE VARIATION SELECTOR FOUR
    ('\u{2028}', '\u{2029}'),   // LINE SEPARATOR, PARAGRAPH SEPARATOR
    ('\u{2065}', '\u{2065}'),   // reserved, default ignorable
    ('\u{3164}', '\u{3164}'),   // HANGUL FILLER
    ('\u{FE00}', '\u{FE0F}'),   // VARIATION SELECTOR-1..16
    ('\u{FFA0}', '\u{FFA0}'),   // HALFWIDTH HANGUL FILLER
    ('\u{FFF0}', '\u{FFF8}'),   // reserved, default ignorable
    ('\u{E0000}', '\u{E0000}'), // reserved, default ignorable
    ('\u{E0002}', '\u{E001F}'), // reserved, default ignorable
    ('\u{E0080}', '\u{E0FFF}'), // reserved and VARIATION SELECTOR-17..256
];

fn in_ranges(c: char, ranges: &[(char, char)]) -> bool {
    ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c))
}

/// Whether `c` is a character of general category Cf ([`FORMAT`]).
pub fn is_format(c: char) -> bool {
    c >= '\u{00AD}' && in_ranges(c, &FORMAT)
}

/// Whether `c` is a bidirectional formatting character ([`BIDI_CONTROLS`]).
pub fn is_bidi_control(c: char) -> bool {
    in_ranges(c, &BIDI_CONTROLS)
}

/// Whether `c` is invisible or changes how text around it is shown
/// (module docs): refused in a payee or display text.
pub fn is_invisible(c: char) -> bool {
    c >= '\u{00AD}' && (in_ranges(c, &FORMAT) || in_ranges(c, &OTHER_INVISIBLE))
}

#[cfg(test)]
mod test {
    use super::*;

    fn before(c: char) -> Option<char> {
        char::from_u32(u32::from(c).checked_sub(1)?)
    }

    fn after(c: char) -> Option<char> {
        char::from_u32(u32::from(c) + 1)
    }

    /// Both ends of every range are refused, the characters just outside
    /// are not (unless another range has them).
    #[test]
    fn every_range_edge() {
        for table in [&FORMAT[..], &OTHER_INVISIBLE[..]] {
            for pair in table.windows(2) {
                if let [a, b] = pair {
                    assert!(a.1 < b.0, "{a:?} overlaps or precedes {b:?}");
                }
            }
            for (lo, hi) in table {
                assert!(lo <= hi);
                assert!(is_invisible(*lo) && is_invisible(*hi), "{lo:?}..{hi:?}");
                for out in [before(*lo), after(*hi)].into_iter().flatten() {
                    let elsewhere = in_ranges(out, &FORMAT) || in_ranges(out, &OTHER_INVISIBLE);
                    assert_eq!(is_invisible(out), elsewhere, "{out:?}");
                }
            }
        }
        for (lo, hi) in FORMAT {
            assert!(is_format(lo) && is_format(hi));
            for out in [before(lo), after(hi)].into_iter().flatten() {
                assert_eq!(is_format(out), in_ranges(out, &FORMAT), "{out:?}");
            }
        }
        // the edges named in the module docs
        for c in [
            '\u{00AD}',
            '\u{061C}',
            '\u{180E}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{202A}',
            '\u{202E}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{2069}',
            '\u{206F}',
            '\u{FEFF}',
            '\u{E0001}',
            '\u{E0020}',
            '\u{E007F}',
            '\u{13439}',
            '\u{1343F}',
        ] {
            assert!(is_format(c) && is_invisible(c), "{c:?}");
        }
        for c in [
            '\u{034F}',
            '\u{2028}',
            '\u{2029}',
            '\u{3164}',
            '\u{FE0F}',
            '\u{E0100}',
        ] {
            assert!(!is_format(c) && is_invisible(c), "{c:?}");
        }
        for c in [
            'a',
            'Z',
            '0',
            ' ',
            '\n',
            '\u{00A0}',
            '\u{00AC}',
            '\u{00AE}',
            'é',
            '€',
            '\u{0606}',
            '\u{200A}',
            '\u{2010}',
            '\u{2027}',
            '\u{202F}',
            '\u{2070}',
            '\u{FEFE}',
            '\u{FF00}',
            '\u{FFFC}',
            '\u{FFFD}',
            '\u{1F600}',
            '\u{10FFFF}',
            'ア',
            'ש',
            'ب',
        ] {
            assert!(!is_invisible(c), "{c:?}");
        }
    }

    #[test]
    fn bidi_controls_are_all_format_characters() {
        let all = [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
            '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ];
        for c in all {
            assert!(is_bidi_control(c) && is_format(c), "{c:?}");
        }
        let n = (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| is_bidi_control(*c))
            .count();
        assert_eq!(n, all.len());
        let cf = (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| is_format(*c))
            .count();
        // the number of Cf code points in Unicode 18.0
        assert_eq!(cf, 170);
    }
}
