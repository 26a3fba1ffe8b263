//! The transaction counter, object `txctr`: `[1] ‖ last counter used
//! (u64 BE)`. One counter for every key, starting at 1; it survives a
//! wipe (see `crate::objects`), so no value is ever used twice.
//!
//! The value a consent signing uses is committed by its `tx-signed` log
//! entry; `txctr` holds the last value of the entries before the newest
//! log segment (written before a segment starts, see `crate::journal`).

use crate::error::Error;
use crate::objects::{self, load_u64, store_u64};
use crate::platform::Platform;

/// The last counter value written out (0: none yet).
pub fn last(p: &mut impl Platform) -> Result<u64, Error> {
    Ok(load_u64(p, &objects::tx_counter()?)?.unwrap_or(0))
}

/// Writes `n` as the last counter value used.
pub fn set(p: &mut impl Platform, n: u64) -> Result<(), Error> {
    store_u64(p, &objects::tx_counter()?, n)
}
