//! Keys, by feature: everything about keys in one place, for callers that
//! think in features. Only re-exports: the policy is defined in
//! [`crate::policy`], the attestation statement in [`crate::statement`],
//! the key messages in [`crate::wire::keys`], shared sizes in
//! [`crate::types`]; [`Writer`] and [`Reader`] (kept here for existing
//! callers) are in [`crate::codec`].

pub use crate::codec::{Reader, Writer};
pub use crate::policy::{
    InvalidPolicy, KeyPolicy, PIN_WINDOW_MAX_S, POLICY_LEN, PinRule, PolicyReason, Purpose,
};
pub use crate::statement::{
    CHALLENGE_MAX_LEN, STATEMENT_MAX_LEN, STATEMENT_TAG, Statement, VERSION_MAX_LEN,
};
pub use crate::types::{KEY_ID_LEN, LABEL_MAX_LEN, Label, valid_label};
pub use crate::wire::base::{EnumField, KeyIdHex, SignatureHex};
pub use crate::wire::keys::{
    KEY_LIST_PAGE, KeyAttestReply, KeyAttestRequest, KeyDeleteReply, KeyExportReply,
    KeyGenerateRequest, KeyGenerateWire, KeyImportRequest, KeyInfoReply, KeyListReply,
    KeyListRequest, KeyPolicyWire, KeyRequest, KeySignReply, KeySignRequest, KeySummary, MAX_KEYS,
    MAX_KEYS_PER_CLIENT, OWNER_LEN, RESERVED_PREFIX, SEALED_BLOB_MAX_LEN, SIGN_MESSAGE_MAX_LEN,
    SealedBlobHex,
};
pub use crate::wire::system::WipeReply;
