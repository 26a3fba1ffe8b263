//! Helpers shared by the unit tests (compiled for tests only).

use heapless::String;

/// A bounded string filled to capacity with `c`.
pub(crate) fn filled<const N: usize>(c: char) -> String<N> {
    let mut s = String::new();
    while s.push(c).is_ok() {}
    s
}
