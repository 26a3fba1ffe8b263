//! Security events as plain values: what kind, and bounded details that
//! are ids, policies, counts and hashes — never secrets.

use mfs_proto::log::{DETAILS_MAX_LEN, EventKind, Hash};
use mfs_proto::{KEY_ID_LEN, KeyPolicy};

/// Details of an event (bounded, never secret).
pub type Details = heapless::Vec<u8, DETAILS_MAX_LEN>;

/// Where a PIN check happened (the "context" of PIN events).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PinContext {
    /// `PinVerify`.
    Verify = 1,
    /// `PinChange`.
    Change = 2,
    /// `TxSign`.
    TxSign = 3,
}

impl PinContext {
    /// The context with this code.
    pub fn from_code(code: u8) -> Option<PinContext> {
        match code {
            1 => Some(PinContext::Verify),
            2 => Some(PinContext::Change),
            3 => Some(PinContext::TxSign),
            _ => None,
        }
    }
}

/// A security event to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// Its details (see [`EventKind`] for the layout of each kind).
    pub details: Details,
}

impl Event {
    fn of(kind: EventKind, parts: &[&[u8]]) -> Event {
        let mut details = Details::new();
        for p in parts {
            // Every caller's parts fit DETAILS_MAX_LEN (48 at most: tx).
            let _ = details.extend_from_slice(p);
        }
        Event { kind, details }
    }
    /// The TA was provisioned.
    pub fn provisioned(tries: u8) -> Event {
        Event::of(EventKind::Provisioned, &[&[tries]])
    }
    /// An event with no details.
    pub fn plain(kind: EventKind) -> Event {
        Event::of(kind, &[])
    }
    /// A PIN matched; `tries_left` is the count written back. Every
    /// outcome of a PIN check has the same details — context, tries left,
    /// and the tag of the PIN record it counts against (`record`, see
    /// `crate::store::pin`) — so that a match and a mismatch write the
    /// same number of bytes, and so that the entry commits the outcome of
    /// that record's pending attempt (see `crate::store::journal`).
    pub fn pin_verified(ctx: PinContext, tries_left: u8, record: &[u8; 8]) -> Event {
        Event::of(EventKind::PinVerified, &[&[ctx as u8, tries_left], record])
    }
    /// The PIN was changed (the old PIN matched in `pin-change`).
    pub fn pin_changed(tries_left: u8, record: &[u8; 8]) -> Event {
        Event::of(
            EventKind::PinChanged,
            &[&[PinContext::Change as u8, tries_left], record],
        )
    }
    /// A PIN check counted a try but its outcome was not written (a write
    /// after the count failed); logged at the next check.
    pub fn pin_interrupted(ctx: PinContext, tries_left: u8, record: &[u8; 8]) -> Event {
        Event::of(
            EventKind::PinInterrupted,
            &[&[ctx as u8, tries_left], record],
        )
    }
    /// The event for a failed PIN check (`PinIncorrect`).
    pub fn pin_failed(ctx: PinContext, tries_left: u8, record: &[u8; 8]) -> Event {
        Event::of(EventKind::PinFailed, &[&[ctx as u8, tries_left], record])
    }

    /// A failed PIN check that blocked the PIN: tries left 0.
    pub fn pin_blocked(ctx: PinContext, record: &[u8; 8]) -> Event {
        Event::of(EventKind::PinBlocked, &[&[ctx as u8, 0], record])
    }

    /// Whether this is the outcome entry of a PIN check of context `ctx`
    /// against the record tagged `record`: `Some(true)` a match
    /// (`pin-verified`), `Some(false)` a logged mismatch or interruption;
    /// `None` for any other entry (a `pin-changed` is not an outcome that
    /// resolves a pending attempt: the new PIN is written after it).
    pub fn pin_outcome(
        kind: EventKind,
        details: &[u8],
        ctx: PinContext,
        record: &[u8; 8],
    ) -> Option<bool> {
        let [c, _, tag @ ..] = details else {
            return None;
        };
        if *c != ctx as u8 || tag != record {
            return None;
        }
        match kind {
            EventKind::PinVerified => Some(true),
            EventKind::PinFailed | EventKind::PinBlocked | EventKind::PinInterrupted => Some(false),
            _ => None,
        }
    }
    /// A key was generated or imported.
    pub fn key_added(kind: EventKind, id: &[u8; KEY_ID_LEN], policy: &KeyPolicy) -> Event {
        Event::of(kind, &[id, &policy.to_bytes()])
    }
    /// An event naming one key.
    pub fn key(kind: EventKind, id: &[u8; KEY_ID_LEN]) -> Event {
        Event::of(kind, &[id])
    }
    /// A key signed (operation 1) or attested (operation 2).
    pub fn key_used(id: &[u8; KEY_ID_LEN], operation: u8, uses: u32) -> Event {
        Event::of(EventKind::KeyUsed, &[id, &[operation], &uses.to_be_bytes()])
    }
    /// A transaction was signed.
    pub fn tx_signed(id: &[u8; KEY_ID_LEN], counter: u64, signed_hash: &Hash) -> Event {
        Event::of(
            EventKind::TxSigned,
            &[id, &counter.to_be_bytes(), signed_hash],
        )
    }
    /// A transaction was not signed for a wrong PIN (the same size as
    /// `tx-signed`: `counter` is the value it would have had).
    pub fn tx_refused(id: &[u8; KEY_ID_LEN], counter: u64, signed_hash: &Hash) -> Event {
        Event::of(
            EventKind::TxRefused,
            &[id, &counter.to_be_bytes(), signed_hash],
        )
    }
    /// The TA counter a `tx-signed` entry used.
    pub fn tx_counter(kind: EventKind, details: &[u8]) -> Option<u64> {
        if kind != EventKind::TxSigned {
            return None;
        }
        let c: [u8; 8] = details.get(KEY_ID_LEN..KEY_ID_LEN + 8)?.try_into().ok()?;
        Some(u64::from_be_bytes(c))
    }
}
