//! TA-wide state kept in TA instance memory (never persisted), split by
//! concern so that each feature borrows only its part: the PIN timers, the
//! key-encryption key and the event log's newest segment. A reboot or a
//! wipe forgets all of it; storage is the source of truth.
//!
//! (Per-session state is `crate::session::Session`.)

use crate::audit;
use crate::crypto::Key32;
use crate::error::Error;
use crate::platform::Platform;
use crate::seal;
use crate::store::secret;

/// State kept per TA instance (not per session, not persisted).
#[derive(Debug, Default)]
pub struct Instance {
    /// PIN throttling and PIN-window times.
    pub pin: PinTimers,
    /// The key-encryption key, once derived.
    pub kek: KekCache,
    /// The event log's newest segment.
    pub log: audit::Cache,
}

impl Instance {
    /// Forgets everything (after a wipe).
    pub fn reset(&mut self) {
        *self = Instance::default();
    }
}

/// PIN times, on the TEE's system clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PinTimers {
    /// TEE time of the last failed PIN try since the last success.
    pub last_failure_ms: Option<u64>,
    /// TEE time of the last successful PIN verification (for keys whose
    /// policy accepts a PIN within a time window).
    pub last_verified_ms: Option<u64>,
}

/// The key-encryption key: derived from the TA-unique secret on first use,
/// then kept in TA memory so signing does not read the secret from
/// storage each time. Zeroized on drop and on wipe.
#[derive(Debug, Default)]
pub struct KekCache(Option<Key32>);

impl KekCache {
    /// The KEK (`NotProvisioned` before there is a secret).
    pub fn get(&mut self, p: &mut impl Platform) -> Result<&Key32, Error> {
        if self.0.is_none() {
            self.0 = Some(seal::kek(&secret::load(p)?));
        }
        self.0.as_ref().ok_or(Error::Internal)
    }
}
