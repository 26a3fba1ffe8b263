//! Secret-leak detection for the `dispatch` target: does any reply carry
//! a secret the TA holds?
//!
//! Secrets are 32-byte values (the TA-unique secret, the keys derived from
//! it, every private scalar, the stored PIN hash). A reply leaks one if
//! any 16 consecutive bytes of it appear in the reply, raw or as hex
//! (either case, either nibble alignment) — so half a key, or a key inside
//! a longer hex field, is caught too.
//!
//! PINs are checked as text: the decimal digits (delimited: not inside a
//! longer run of letters or digits), the hex of the digit values, and the
//! start of a plain-text format 4 PIN field (`4`, length, digits, `A`).
//!
//! A value the fuzzer itself put into a request (say, a challenge equal to
//! a key's bytes, or an `echo` equal to a PIN) is "tainted" and no longer
//! checked: echoing what the caller sent is not a leak.

use std::collections::{HashMap, HashSet};

/// Bytes compared at a time.
pub const WINDOW: usize = 16;

type Window = [u8; WINDOW];

/// Calls `f` with every 16-byte window of `text`: raw, and hex-decoded
/// from every run of hex digits (both nibble alignments).
pub fn windows(text: &[u8], mut f: impl FnMut(&Window)) {
    for w in text.windows(WINDOW) {
        if let Ok(w) = w.try_into() {
            f(w);
        }
    }
    let nibble = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut i = 0;
    while i < text.len() {
        let start = i;
        while i < text.len() && nibble(text[i]).is_some() {
            i += 1;
        }
        let run = &text[start..i];
        if run.len() >= 2 * WINDOW {
            for align in 0..2 {
                let bytes: Vec<u8> = run[align..]
                    .chunks_exact(2)
                    .filter_map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
                    .collect();
                for w in bytes.windows(WINDOW) {
                    if let Ok(w) = w.try_into() {
                        f(w);
                    }
                }
            }
        }
        i = i.max(start + 1);
    }
}

/// A PIN the templates use, in the forms a leak could take.
#[derive(Clone, Debug)]
struct PinForms {
    digits: String,
    hex_values: String,
    field: String,
}

impl PinForms {
    fn new(pin: &str) -> PinForms {
        let hex_values = pin.bytes().map(|c| format!("{:02x}", c - b'0')).collect();
        PinForms {
            digits: pin.to_string(),
            hex_values,
            field: format!("4{:x}{pin}a", pin.len()),
        }
    }
}

/// The secrets of one fuzz run and what the requests so far contained.
#[derive(Debug, Default)]
pub struct Leaks {
    secrets: HashMap<Window, &'static str>,
    known: HashSet<[u8; 32]>,
    seen: HashSet<Window>,
    requests: Vec<u8>,
    pins: Vec<PinForms>,
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether `hay` holds `digits` not adjacent to another letter or digit.
fn contains_delimited(hay: &[u8], digits: &[u8]) -> bool {
    let n = digits.len();
    (0..hay.len().saturating_sub(n - 1)).any(|i| {
        hay[i..i + n] == *digits
            && (i == 0 || !hay[i - 1].is_ascii_alphanumeric())
            && hay.get(i + n).is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

impl Leaks {
    /// Adds a 32-byte secret (`what` names it in a failure).
    pub fn secret(&mut self, value: &[u8; 32], what: &'static str) {
        if !self.known.insert(*value) {
            return;
        }
        for w in value.windows(WINDOW) {
            if let Ok(w) = w.try_into() {
                self.secrets.entry(w).or_insert(what);
            }
        }
    }

    /// Adds a PIN the templates encipher (checked if 6 digits or more:
    /// shorter digit strings occur in replies by chance).
    pub fn pin(&mut self, pin: &str) {
        if pin.len() >= 6 && !self.pins.iter().any(|p| p.digits == pin) {
            self.pins.push(PinForms::new(pin));
        }
    }

    /// Records what a request contained (its values are tainted).
    pub fn request(&mut self, req: &[u8]) {
        let seen = &mut self.seen;
        windows(req, |w| {
            seen.insert(*w);
        });
        self.requests.extend_from_slice(req);
        self.requests.push(0);
    }

    /// Panics if `reply` carries a secret or a PIN that no request carried.
    pub fn check_reply(&self, context: &str, reply: &[u8]) {
        windows(reply, |w| {
            if let Some(what) = self.secrets.get(w)
                && !self.seen.contains(w)
            {
                panic!(
                    "{context}: the reply carries 16 bytes of {what}: {}",
                    String::from_utf8_lossy(reply)
                );
            }
        });
        for p in &self.pins {
            let leaked = [
                (contains_delimited(reply, p.digits.as_bytes()), &p.digits),
                (contains(reply, p.hex_values.as_bytes()), &p.hex_values),
                (contains(reply, p.field.as_bytes()), &p.field),
            ];
            for (found, form) in leaked {
                if found && !contains(&self.requests, form.as_bytes()) {
                    panic!(
                        "{context}: the reply carries the PIN as {form}: {}",
                        String::from_utf8_lossy(reply)
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn finds_raw_hex_and_partial_secrets() {
        let mut l = Leaks::default();
        let s: [u8; 32] = core::array::from_fn(|i| u8::try_from(i * 7 + 1).unwrap());
        l.secret(&s, "test secret");
        l.pin("135792468");
        let hex: String = s.iter().map(|b| format!("{b:02x}")).collect();
        let caught = |reply: String| {
            std::panic::catch_unwind(|| l.check_reply("t", reply.as_bytes())).is_err()
        };
        assert!(caught(format!(r#"{{"x":"{hex}"}}"#)));
        assert!(caught(format!(r#"{{"x":"0{}"}}"#, &hex[10..50])));
        assert!(caught(format!(r#"{{"x":"{}"}}"#, hex.to_uppercase())));
        assert!(!caught(format!(r#"{{"x":"{}"}}"#, &hex[..30])));
        assert!(caught(r#"{"echo":135792468}"#.to_string()));
        assert!(!caught(r#"{"echo":1357924680}"#.to_string()));
        assert!(caught(r#"{"b":"4913579246 8aaa"}"#.replace(' ', "")));
        assert!(caught(r#"{"b":"010305070902040608"}"#.to_string()));
        let mut l2 = Leaks::default();
        l2.secret(&s, "test secret");
        l2.pin("135792468");
        l2.request(format!(r#"{{"challenge":"{hex}","echo":135792468}}"#).as_bytes());
        l2.check_reply(
            "t",
            format!(r#"{{"x":"{hex}","echo":135792468}}"#).as_bytes(),
        );
    }
}
