//! TA-wide state kept in TA instance memory (never persisted), split by
//! concern so that each feature borrows only its part: the PIN timers, the
//! key-encryption key and the event log's newest segment. A reboot or a
//! wipe forgets all of it; storage is the source of truth.
//!
//! (Per-session state is `crate::session::Session`.)

use mfs_proto::{KEY_ID_LEN, MAX_PIN_RECORDS};

use crate::access::OwnerTag;
use crate::audit;
use crate::crypto::Key32;
use crate::error::Error;
use crate::freshness::Freshness;
use crate::pack::PackState;
use crate::platform::Platform;
use crate::seal;
use crate::store::keys::{KeyCache, Vault};
use crate::store::secret;

/// State kept per TA instance (not per session, not persisted).
#[derive(Debug, Default)]
pub struct Instance {
    /// PIN throttling and PIN-window times, per PIN owner.
    pub pins: PinClocks,
    /// The key-encryption key, once derived.
    pub kek: KekCache,
    /// Unsealed keys without a usage limit (warm `key-sign` reads nothing).
    pub keys: KeyCache,
    /// Which slot of `kv` holds which key.
    pub vault: Vault,
    /// The event log's newest segment.
    pub log: audit::Cache,
    /// What storage held when this lifetime last wrote or read it.
    pub freshness: Freshness,
    /// Whether the small objects were packed into `st`.
    pub pack: PackState,
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
    /// The PIN window `pin-verify` opened for one use of one key (PIN rule
    /// `window`); taken by that use.
    pub window: Option<Window>,
}

/// A PIN window: one key may be used once within its policy's window after
/// a durably logged `pin-verify` that named it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// The key it opens.
    pub key: [u8; KEY_ID_LEN],
    /// TEE time of the verification, ms.
    pub opened_ms: u64,
}

/// The [`PinTimers`] of each client that has a PIN record, by owner tag.
/// Bounded: records are at most `MAX_PIN_RECORDS` (plus a legacy one), and
/// timers are only kept for owners whose record was checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PinClocks(heapless::Vec<(OwnerTag, PinTimers), { MAX_PIN_RECORDS + 1 }>);

impl PinClocks {
    /// The timers of `owner` (none set when it has none).
    pub fn of(&self, owner: OwnerTag) -> PinTimers {
        self.0
            .iter()
            .find(|(o, _)| *o == owner)
            .map(|(_, t)| *t)
            .unwrap_or_default()
    }

    /// Replaces the timers of `owner`. If the table is full (it cannot be
    /// while the record quota holds), the entry with no failure pending
    /// that was added first gives way, else the first.
    pub fn set(&mut self, owner: OwnerTag, timers: PinTimers) {
        if let Some((_, t)) = self.0.iter_mut().find(|(o, _)| *o == owner) {
            *t = timers;
            return;
        }
        if timers == PinTimers::default() {
            return;
        }
        if self.0.is_full() {
            let victim = self
                .0
                .iter()
                .position(|(_, t)| t.last_failure_ms.is_none())
                .unwrap_or(0);
            if victim < self.0.len() {
                self.0.remove(victim);
            }
        }
        let _ = self.0.push((owner, timers));
    }
}

/// The keys derived from the TA-unique secret — the key-encryption key
/// and `K_pin`, the PIN-hash key — derived together on first use, then
/// kept in TA memory so neither signing nor a PIN check reads the secret
/// from storage each time. Zeroized on drop and on wipe. They are derived
/// in place, where they are kept: no copy is moved into the cache.
#[derive(Debug, Default)]
pub struct KekCache(Option<(Key32, Key32)>);

impl KekCache {
    fn keys(&mut self, p: &mut impl Platform) -> Result<&(Key32, Key32), Error> {
        if self.0.is_none() {
            let secret = secret::load(p)?;
            let (kek, pin) = self.0.insert((Key32([0; 32]), Key32([0; 32])));
            seal::kek_into(&secret, kek);
            crate::store::pin::pin_key_into(&secret, pin);
        }
        self.0.as_ref().ok_or(Error::Internal)
    }

    /// The KEK (`NotProvisioned` before there is a secret).
    pub fn get(&mut self, p: &mut impl Platform) -> Result<&Key32, Error> {
        Ok(&self.keys(p)?.0)
    }

    /// `K_pin` (`NotProvisioned` before there is a secret).
    pub fn pin_key(&mut self, p: &mut impl Platform) -> Result<&Key32, Error> {
        Ok(&self.keys(p)?.1)
    }
}
