//! The plain C structures of the API and their conversions from and to
//! the protocol's types. Text fields are NUL-terminated `char` arrays
//! sized for the protocol's bounds; enums coming from C are `uint32_t`
//! (checked, never transmuted). Nothing here is `unsafe`.

use std::ffi::c_char;

use mfs_proto::{
    HukStatus, InfoReply, KeyInfoReply, KeyPolicy, KeySummary, PinRule, PinStatusReply, Purpose,
    StorageKind,
};

use crate::error::{Fail, put_message};

/// `mfs_key_policy.purpose`: signs messages and transactions.
pub const MFS_PURPOSE_SIGN: u32 = 0;
/// `mfs_key_policy.purpose`: signs attestation challenges only.
pub const MFS_PURPOSE_ATTEST: u32 = 1;
/// `mfs_key_policy.pin`: no PIN needed.
pub const MFS_PIN_NONE: u32 = 0;
/// `mfs_key_policy.pin`: a PIN with every use (transactions only).
pub const MFS_PIN_PER_USE: u32 = 1;
/// `mfs_key_policy.pin`: one use within `pin_window_s` of a PIN verified
/// for this key (`mfs_pin_verify` with its id).
pub const MFS_PIN_WINDOW: u32 = 2;

/// `mfs_ta_info.storage`: REE file system (not rollback-protected).
pub const MFS_STORAGE_REE_FS: u32 = 0;
/// `mfs_ta_info.storage`: RPMB (rollback-protected).
pub const MFS_STORAGE_RPMB: u32 = 1;

/// Bytes of a key id as text: 16 hex digits and a NUL.
pub const MFS_KEY_ID_LEN: usize = 17;
/// Bytes of a label: up to 32 bytes of UTF-8 and a NUL.
pub const MFS_LABEL_LEN: usize = 33;
/// A SEC1 uncompressed P-256 public key.
pub const MFS_PUBLIC_KEY_LEN: usize = 65;

/// What a key may do (`KeyPolicy` in `docs/ta-interface.md`).
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct mfs_key_policy {
    /// `MFS_PURPOSE_SIGN` or `MFS_PURPOSE_ATTEST`.
    pub purpose: u32,
    /// `MFS_PIN_NONE`, `MFS_PIN_PER_USE` or `MFS_PIN_WINDOW`.
    pub pin: u32,
    /// `MFS_PIN_WINDOW`: seconds a verified PIN stays good for one use.
    pub pin_window_s: u32,
    /// Most uses over the key's life; 0: no limit.
    pub max_uses: u32,
    /// Last UNIX second the key may be used (REE clock); 0: no expiry.
    pub not_after: u64,
    /// Whether `mfs_key_export` may wrap it for backup: 0 no, any other
    /// value yes (written as 0 or 1). A byte, not a C `bool`, so that any
    /// byte a caller stores is a defined value.
    pub exportable: u8,
}

impl mfs_key_policy {
    pub(crate) fn to_policy(self) -> Result<KeyPolicy, Fail> {
        let purpose = match self.purpose {
            MFS_PURPOSE_SIGN => Purpose::Sign,
            MFS_PURPOSE_ATTEST => Purpose::Attest,
            _ => return Err(Fail::Argument("policy.purpose: not an MFS_PURPOSE_* value")),
        };
        let pin = match self.pin {
            MFS_PIN_NONE => PinRule::None,
            MFS_PIN_PER_USE => PinRule::PerUse,
            MFS_PIN_WINDOW => PinRule::Window,
            _ => return Err(Fail::Argument("policy.pin: not an MFS_PIN_* value")),
        };
        Ok(KeyPolicy {
            purpose,
            pin,
            pin_window_s: self.pin_window_s,
            max_uses: (self.max_uses != 0).then_some(self.max_uses),
            not_after: (self.not_after != 0).then_some(self.not_after),
            exportable: self.exportable != 0,
        })
    }

    pub(crate) fn from_policy(p: &KeyPolicy) -> mfs_key_policy {
        mfs_key_policy {
            purpose: purpose_code(p.purpose),
            pin: match p.pin {
                PinRule::None => MFS_PIN_NONE,
                PinRule::PerUse => MFS_PIN_PER_USE,
                PinRule::Window => MFS_PIN_WINDOW,
            },
            pin_window_s: p.pin_window_s,
            max_uses: p.max_uses.unwrap_or(0),
            not_after: p.not_after.unwrap_or(0),
            exportable: u8::from(p.exportable),
        }
    }
}

fn purpose_code(p: Purpose) -> u32 {
    match p {
        Purpose::Sign => MFS_PURPOSE_SIGN,
        Purpose::Attest => MFS_PURPOSE_ATTEST,
    }
}

/// A key as the TA describes it.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct mfs_key {
    /// Key id, hex.
    pub id: [c_char; MFS_KEY_ID_LEN],
    /// Label (UTF-8).
    pub label: [c_char; MFS_LABEL_LEN],
    /// Policy.
    pub policy: mfs_key_policy,
    /// Public key, SEC1 uncompressed.
    pub public_key: [u8; MFS_PUBLIC_KEY_LEN],
    /// Uses so far.
    pub uses: u32,
}

impl mfs_key {
    pub(crate) fn from_reply(r: &KeyInfoReply) -> Result<mfs_key, Fail> {
        let mut out = mfs_key {
            id: [0; MFS_KEY_ID_LEN],
            label: [0; MFS_LABEL_LEN],
            policy: mfs_key_policy::from_policy(&r.policy),
            public_key: [0; MFS_PUBLIC_KEY_LEN],
            uses: r.uses,
        };
        put_message(&mut out.id, &r.id);
        put_message(&mut out.label, &r.label);
        let key = mfs_host::keys::hex_decode(&r.public_key)
            .and_then(|k| <[u8; MFS_PUBLIC_KEY_LEN]>::try_from(k).ok())
            .ok_or(Fail::Lib(mfs_host::Error::BadReply))?;
        out.public_key = key;
        Ok(out)
    }
}

/// One entry of `mfs_key_list`.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct mfs_key_summary {
    /// Key id, hex.
    pub id: [c_char; MFS_KEY_ID_LEN],
    /// Label (UTF-8).
    pub label: [c_char; MFS_LABEL_LEN],
    /// `MFS_PURPOSE_*`.
    pub purpose: u32,
}

impl mfs_key_summary {
    pub(crate) fn from_summary(s: &KeySummary) -> mfs_key_summary {
        let mut out = mfs_key_summary {
            id: [0; MFS_KEY_ID_LEN],
            label: [0; MFS_LABEL_LEN],
            purpose: purpose_code(s.purpose),
        };
        put_message(&mut out.id, &s.id);
        put_message(&mut out.label, &s.label);
        out
    }
}

/// The PIN's state.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct mfs_pin_state {
    /// Whether this client has a PIN.
    pub set: bool,
    /// Whether it is blocked (only an issuer-signed unblock helps).
    pub blocked: bool,
    /// Wrong tries left before it blocks.
    pub tries_left: u8,
    /// The provisioned try limit.
    pub max_tries: u8,
    /// Milliseconds until the next try is accepted (0: now).
    pub throttle_ms: u32,
}

impl From<&PinStatusReply> for mfs_pin_state {
    fn from(r: &PinStatusReply) -> Self {
        mfs_pin_state {
            set: r.set,
            blocked: r.blocked,
            tries_left: r.tries_left,
            max_tries: r.max_tries,
            throttle_ms: r.throttle_ms,
        }
    }
}

/// What the TA says about itself and this session (`Info`).
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct mfs_ta_info {
    /// TA version, `MAJOR.MINOR.PATCH`.
    pub ta_version: [c_char; 17],
    /// Oldest protocol version the TA accepts.
    pub proto_min: u16,
    /// Newest protocol version the TA accepts.
    pub proto_max: u16,
    /// `MFS_STORAGE_REE_FS` or `MFS_STORAGE_RPMB`.
    pub storage: u32,
    /// Whether the storage detects rollback.
    pub rollback_protected: bool,
    /// Whether the hardware unique key is a known development stub.
    pub hw_unique_key_is_stub: bool,
    /// Whether PIN entry and display use a GP trusted UI.
    pub trusted_ui: bool,
    /// Whether this session may use the admin commands.
    pub admin: bool,
    /// Whether the TA is provisioned.
    pub provisioned: bool,
    /// The provisioned PIN try limit (0 before provisioning).
    pub pin_max_tries: u8,
    /// This session's login method: `MFS_LOGIN_*`, or another GP login
    /// code (4–6 application logins, `0xf0000000` a TA; `0xffffffff`
    /// unknown).
    pub client_login: u32,
    /// This session's client identity UUID.
    pub client_id: [c_char; 37],
    /// `gpd.tee.deviceID`.
    pub tee_device_id: [c_char; 37],
    /// `gpd.tee.description`.
    pub tee_description: [c_char; 65],
}

impl From<&InfoReply> for mfs_ta_info {
    fn from(r: &InfoReply) -> Self {
        let mut out = mfs_ta_info {
            ta_version: [0; 17],
            proto_min: r.proto_min,
            proto_max: r.proto_max,
            storage: match r.storage {
                StorageKind::ReeFs => MFS_STORAGE_REE_FS,
                StorageKind::Rpmb => MFS_STORAGE_RPMB,
            },
            rollback_protected: r.rollback_protected,
            hw_unique_key_is_stub: r.hw_unique_key == HukStatus::KnownStub,
            trusted_ui: r.trusted_ui,
            admin: r.admin,
            provisioned: r.provisioned,
            pin_max_tries: r.pin_max_tries.unwrap_or(0),
            client_login: r.client_login.gp_code(),
            client_id: [0; 37],
            tee_device_id: [0; 37],
            tee_description: [0; 65],
        };
        put_message(&mut out.ta_version, &r.ta_version);
        put_message(&mut out.client_id, &r.client_id);
        put_message(&mut out.tee_device_id, &r.tee_device_id);
        put_message(&mut out.tee_description, &r.tee_description);
        out
    }
}

/// A transaction to sign (`TxRecord` in `docs/ta-interface.md`).
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct mfs_tx {
    /// Amount in minor units of the currency.
    pub amount: u64,
    /// ISO 4217 alphabetic code, e.g. `"EUR"`.
    pub currency: *const c_char,
    /// Payee as shown (UTF-8, at most 64 bytes, no control characters).
    pub payee: *const c_char,
    /// The text the user confirms; NULL: the canonical display
    /// (`Pay 1.00 EUR to ACME?`). It must show the amount and payee.
    pub display: *const c_char,
    /// The relying party's challenge (bytes), may be NULL when
    /// `challenge_len` is 0.
    pub challenge: *const u8,
    /// Bytes at `challenge`, at most 64.
    pub challenge_len: usize,
    /// UNIX seconds; 0: now.
    pub time: u64,
}

/// A signed transaction that verified (`mfs_tx_verify`).
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct mfs_tx_verified {
    /// Key id, hex.
    pub key_id: [c_char; MFS_KEY_ID_LEN],
    /// The TA's transaction counter (strictly increasing per TA).
    pub counter: u64,
    /// Amount in minor units.
    pub amount: u64,
    /// Currency code.
    pub currency: [c_char; 4],
    /// Payee.
    pub payee: [c_char; 65],
    /// The display the user confirmed.
    pub display: [c_char; 257],
    /// UNIX seconds.
    pub time: u64,
}

/// An event-log export that verified (`mfs_log_verify`).
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct mfs_log_verified {
    /// Seq of the oldest retained entry.
    pub first_seq: u64,
    /// Seq the next entry will get.
    pub next_seq: u64,
    /// Entries in the export.
    pub entries: usize,
}

#[cfg(test)]
mod test {
    use super::*;

    /// The sizes in `mfs.h` are literals (cbindgen cannot evaluate
    /// another crate's constants): they must be the protocol's.
    #[test]
    fn sizes_match_the_protocol() {
        assert_eq!(MFS_KEY_ID_LEN, 2 * mfs_proto::KEY_ID_LEN + 1);
        assert_eq!(MFS_LABEL_LEN, mfs_proto::LABEL_MAX_LEN + 1);
        assert_eq!(MFS_PUBLIC_KEY_LEN, mfs_proto::types::EC_POINT_LEN);
    }
}
