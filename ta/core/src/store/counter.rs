//! The transaction counter, object `txctr`: `[1] ‖ last counter used
//! (u64 BE)`. One counter for every key, starting at 1; it survives a
//! wipe (see `crate::objects`), so no value is ever used twice.

use crate::error::Error;
use crate::objects::{self, load_u64, store_u64};
use crate::platform::Platform;

/// The last counter value used (0: none yet).
pub fn last(p: &mut impl Platform) -> Result<u64, Error> {
    Ok(load_u64(p, &objects::tx_counter()?)?.unwrap_or(0))
}

/// Takes the next counter value, persisted before it is returned.
pub fn next(p: &mut impl Platform) -> Result<u64, Error> {
    let n = last(p)?.checked_add(1).ok_or(Error::Internal)?;
    store_u64(p, &objects::tx_counter()?, n)?;
    Ok(n)
}
