//! A strict, iterative check of a JSON text's grammar and nesting depth,
//! run before any message is parsed.
//!
//! Why: serde-json-core recurses once per array or object, also while it
//! skips a field it ignores, so a 2 KiB request of nested `[` would use far
//! more than the TA's 64 KiB stack before any version or access check. It
//! also skips an unknown scalar loosely (up to the next `,` `}` `]`), so a
//! depth count that merely tracked quotes could be put out of step with the
//! parser (`"x":t","a":[[[…`). This check is strict RFC 8259 grammar with
//! an explicit, fixed-size stack: if it passes, the parser sees exactly the
//! structure counted here and never nests deeper than [`MAX_JSON_DEPTH`].
//!
//! No recursion, no allocation; depends on nothing else in this crate.

/// Deepest nesting of arrays and objects any message may have (the deepest
/// message today nests 3 levels; replies may grow a few for added fields).
pub const MAX_JSON_DEPTH: usize = 8;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value (start of the text, after `:`, after `,` in an array).
    Value,
    /// A value or `]` (just after `[`).
    ValueOrClose,
    /// A key or `}` (just after `{`).
    KeyOrClose,
    /// A key (after `,` in an object).
    Key,
    /// `:` after a key.
    Colon,
    /// `,` or the closing bracket of the innermost container.
    CommaOrClose,
    /// Nothing but white space (after the top-level value).
    End,
}

/// Whether `buf` is one well-formed JSON value (with optional surrounding
/// white space) whose arrays and objects nest at most [`MAX_JSON_DEPTH`]
/// deep. Strings are checked for escapes and control characters, not for
/// UTF-8 (the parser does that).
pub fn well_formed(buf: &[u8]) -> bool {
    let mut stack = [0u8; MAX_JSON_DEPTH];
    let mut depth = 0usize;
    let mut expect = Expect::Value;
    let mut i = 0usize;
    loop {
        i = skip_ws(buf, i);
        let Some(&c) = buf.get(i) else {
            return expect == Expect::End;
        };
        let after_value = |depth: usize| {
            if depth == 0 {
                Expect::End
            } else {
                Expect::CommaOrClose
            }
        };
        match expect {
            Expect::Value | Expect::ValueOrClose => {
                if expect == Expect::ValueOrClose && c == b']' {
                    depth = depth.saturating_sub(1);
                    i += 1;
                    expect = after_value(depth);
                    continue;
                }
                match c {
                    b'{' | b'[' => {
                        let Some(slot) = stack.get_mut(depth) else {
                            return false;
                        };
                        *slot = c;
                        depth += 1;
                        i += 1;
                        expect = if c == b'{' {
                            Expect::KeyOrClose
                        } else {
                            Expect::ValueOrClose
                        };
                        continue;
                    }
                    b'"' => {
                        i = match string_end(buf, i) {
                            Some(end) => end,
                            None => return false,
                        }
                    }
                    b'-' | b'0'..=b'9' => {
                        i = match number_end(buf, i) {
                            Some(end) => end,
                            None => return false,
                        }
                    }
                    b't' | b'f' | b'n' => {
                        let word: &[u8] = match c {
                            b't' => b"true",
                            b'f' => b"false",
                            _ => b"null",
                        };
                        if buf.get(i..i + word.len()) != Some(word) {
                            return false;
                        }
                        i += word.len();
                    }
                    _ => return false,
                }
                expect = after_value(depth);
            }
            Expect::KeyOrClose | Expect::Key => {
                if expect == Expect::KeyOrClose && c == b'}' {
                    depth = depth.saturating_sub(1);
                    i += 1;
                    expect = after_value(depth);
                    continue;
                }
                if c != b'"' {
                    return false;
                }
                i = match string_end(buf, i) {
                    Some(end) => end,
                    None => return false,
                };
                expect = Expect::Colon;
            }
            Expect::Colon => {
                if c != b':' {
                    return false;
                }
                i += 1;
                expect = Expect::Value;
            }
            Expect::CommaOrClose => {
                let Some(&open) = depth.checked_sub(1).and_then(|d| stack.get(d)) else {
                    return false;
                };
                i += 1;
                expect = match (open, c) {
                    (b'{', b',') => Expect::Key,
                    (b'[', b',') => Expect::Value,
                    (b'{', b'}') | (b'[', b']') => {
                        depth = depth.saturating_sub(1);
                        after_value(depth)
                    }
                    _ => return false,
                };
            }
            Expect::End => return false,
        }
    }
}

/// Requests the TA must answer with `bad-request`, each filled to `N`
/// bytes with nesting: arrays and objects at the top, in a known field, in
/// an unknown field, and behind a loose scalar that a quote-counting check
/// would miss. Shared by the core's unit tests and the end-to-end suite.
pub fn deep_nesting_samples<const N: usize>() -> [heapless::Vec<u8, N>; 6] {
    let fill = |prefix: &[u8], open: &[u8]| {
        let mut r = heapless::Vec::new();
        let _ = r.extend_from_slice(prefix);
        while r.extend_from_slice(open).is_ok() {}
        r
    };
    [
        fill(b"", b"["),
        fill(b"", br#"{"a":"#),
        fill(br#"{"v":1,"echo":"#, b"["),
        fill(br#"{"v":1,"zz":"#, b"["),
        fill(br#"{"v":1,"zz":"#, br#"{"a":"#),
        fill(br#"{"v":1,"x":t","a":"#, b"["),
    ]
}

fn skip_ws(buf: &[u8], mut i: usize) -> usize {
    while matches!(buf.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The index after the string starting with `"` at `i`.
fn string_end(buf: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match *buf.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => match *buf.get(j + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j += 2,
                b'u' => {
                    let hex = buf.get(j + 2..j + 6)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    j += 6;
                }
                _ => return None,
            },
            0x00..=0x1f => return None,
            _ => j += 1,
        }
    }
}

/// The index after the number starting at `i`
/// (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`).
fn number_end(buf: &[u8], mut i: usize) -> Option<usize> {
    let digits = |buf: &[u8], mut i: usize| {
        let start = i;
        while buf.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i > start).then_some(i)
    };
    if buf.get(i) == Some(&b'-') {
        i += 1;
    }
    i = match buf.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(buf, i)?,
        _ => return None,
    };
    if buf.get(i) == Some(&b'.') {
        i = digits(buf, i + 1)?;
    }
    if matches!(buf.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(buf.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(buf, i)?;
    }
    Some(i)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn accepts_json_messages() {
        for ok in [
            &br#"{"v":1}"#[..],
            br#" {"v":1,"echo":4294967295} "#,
            br#"{"a":[1,-2,3.5,6e7,-0.25E-3,true,false,null,"s"],"b":{}}"#,
            br#"{"s":"q\"uote\\ \/ \b\f\n\r\t \u00e9 [{ ,"}"#,
            br#"[[[[[[[[1]]]]]]]]"#,
            br#"{"k":{"k":{"k":{"k":{"k":{"k":{"k":[]}}}}}}}"#,
            "{\"\u{e9}\":\"\u{20ac}\"}".as_bytes(),
            b"0",
            b"\"x\"",
        ] {
            assert!(well_formed(ok), "{}", core::str::from_utf8(ok).unwrap());
        }
    }

    #[test]
    fn refuses_bad_grammar() {
        for bad in [
            &b""[..],
            b" ",
            b"{",
            b"}",
            b"{\"v\":1}}",
            b"{\"v\":1,}",
            b"[1,]",
            b"[,1]",
            b"{\"v\" 1}",
            b"{v:1}",
            b"{\"v\":tru}",
            b"{\"v\":t\"}",
            b"{\"v\":01}",
            b"{\"v\":1.}",
            b"{\"v\":-}",
            b"{\"v\":1e}",
            b"{\"v\":\"\\x\"}",
            b"{\"v\":\"\\u12g4\"}",
            b"{\"v\":\"a\nb\"}",
            b"{\"v\":\"open}",
            b"[1}",
            b"{\"a\":1]",
            b"1 2",
            b"{\"v\":1} x",
        ] {
            assert!(!well_formed(bad), "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn depth_is_bounded_whatever_the_content() {
        let mut deep = [b'['; 2048];
        assert!(!well_formed(&deep));
        deep.fill(b'{');
        assert!(!well_formed(&deep));
        // nine levels: one too many
        assert!(!well_formed(b"[[[[[[[[[1]]]]]]]]]"));
        assert!(!well_formed(
            br#"{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":1}}}}}}}}}"#
        ));
        // brackets inside strings do not count
        assert!(well_formed(br#"{"s":"[[[[[[[[[[[[[[[[[[[["}"#));
        // a loose scalar cannot hide nesting from the check (the parser
        // would skip `t"` up to the comma and then recurse into the array)
        let mut sneaky = std::vec::Vec::from(&br#"{"v":1,"x":t","a":"#[..]);
        sneaky.extend(core::iter::repeat_n(b'[', 1000));
        assert!(!well_formed(&sneaky));
        for sample in deep_nesting_samples::<2048>() {
            assert!(sample.len() > 2040 && !well_formed(&sample));
        }
    }
}
