//! Every public path of the crate before it was split into feature modules
//! still resolves (a compile-time check: if a re-export is lost, this test
//! does not build).

#![allow(unused_imports)]

mod old_keys {
    use mfs_proto::keys::{
        CHALLENGE_MAX_LEN, InvalidPolicy, KEY_ID_LEN, KEY_LIST_PAGE, KeyAttestReply,
        KeyAttestRequest, KeyDeleteReply, KeyExportReply, KeyGenerateRequest, KeyIdHex,
        KeyImportRequest, KeyInfoReply, KeyListReply, KeyListRequest, KeyPolicy, KeyRequest,
        KeySignReply, KeySignRequest, KeySummary, LABEL_MAX_LEN, Label, MAX_KEYS, PIN_WINDOW_MAX_S,
        POLICY_LEN, PinRule, PolicyReason, Purpose, RESERVED_PREFIX, Reader, SEALED_BLOB_MAX_LEN,
        SIGN_MESSAGE_MAX_LEN, STATEMENT_MAX_LEN, STATEMENT_TAG, SealedBlobHex, SignatureHex,
        Statement, VERSION_MAX_LEN, WipeReply, Writer, valid_label,
    };
}
mod old_log {
    use mfs_proto::log::{
        ChainError, ChainItem, DETAILS_MAX_LEN, ENTRY_LEN, ENTRY_VERSION, Entry, EventKind,
        HEAD_MAX_LEN, HEAD_TAG, Hash, Head, LOG_CHALLENGE_MAX_LEN, LOG_PAGE, LogEntryWire,
        LogHeadReply, LogHeadRequest, LogReadReply, LogReadRequest, sha256, verify_chain,
    };
}
mod old_msg {
    use mfs_proto::msg::{
        DER_SIGNATURE_MAX_LEN, DecodeError, EcPointHex, EmptyRequest, EncodeError, Header, Hex,
        HukStatus, InfoReply, Login, PIN_THROTTLE_MAX_MS, PIN_TRIES_DEFAULT, PIN_TRIES_MAX,
        PIN_TRIES_MIN, PinBlockHex, PinChangeRequest, PinRequest, PinSessionReply, PinStatusReply,
        PinUnblockRequest, PingReply, PingRequest, ProvisionReply, ProvisionRequest, StorageKind,
        decode, encode, hex_bytes, hex_into, hex_prefix, hex_string, parse_uuid, uuid_string,
    };
}
mod old_pin {
    use mfs_proto::pin::{
        EC_POINT_LEN, PAN_MAX_DIGITS, PIN_BLOCK_LEN, PIN_MAX_DIGITS, PIN_MIN_DIGITS, PIN_NONCE_LEN,
        PanField, Pin, PinError, TransportKey, UNBLOCK_MESSAGE_LEN, unblock_message,
    };
}
mod old_tx {
    use mfs_proto::tx::{
        AMOUNT_MAX, CHALLENGE_MIN_LEN, DISPLAY_MAX_LEN, DISPLAY_NOT_TRUSTED_UI, InvalidRecord,
        PAYEE_MAX_LEN, SIGNED_TX_MAX_LEN, SignedTx, TX_CHALLENGE_MAX_LEN, TX_TAG, TxRecord,
        TxSignReply, TxSignRequest, VERIFICATION_STATEMENT, VERIFIED_PIN_IN_TA,
    };
}
mod old_root {
    use mfs_proto::{
        CHALLENGE_MAX_LEN, Command, DEFAULT_TA_UUID, DER_SIGNATURE_MAX_LEN, DecodeError,
        EcPointHex, EmptyRequest, EncodeError, Group, Header, Hex, HukStatus, InfoReply,
        InvalidPolicy, KEY_ID_LEN, KEY_LIST_PAGE, KeyAttestReply, KeyAttestRequest, KeyDeleteReply,
        KeyExportReply, KeyGenerateRequest, KeyIdHex, KeyImportRequest, KeyInfoReply, KeyListReply,
        KeyListRequest, KeyPolicy, KeyRequest, KeySignReply, KeySignRequest, KeySummary,
        LABEL_MAX_LEN, Label, LogHeadReply, LogHeadRequest, LogReadReply, LogReadRequest, Login,
        MAX_KEYS, MAX_REPLY_LEN, MAX_REQUEST_LEN, PIN_THROTTLE_MAX_MS, PIN_TRIES_DEFAULT,
        PIN_TRIES_MAX, PIN_TRIES_MIN, PIN_WINDOW_MAX_S, POLICY_LEN, PROTOCOL_CURRENT, PROTOCOL_MIN,
        PinBlockHex, PinChangeRequest, PinRequest, PinRule, PinSessionReply, PinStatusReply,
        PinUnblockRequest, PingReply, PingRequest, PolicyReason, ProvisionReply, ProvisionRequest,
        Purpose, RESERVED_PREFIX, Reader, SEALED_BLOB_MAX_LEN, SIGN_MESSAGE_MAX_LEN,
        STATEMENT_MAX_LEN, STATEMENT_TAG, SealedBlobHex, SignatureHex, Statement, Status,
        StorageKind, TA_UUID, TxRecord, TxSignReply, TxSignRequest, UNESCAPE_BUF_LEN,
        UnknownCommand, UnknownStatus, VERSION_MAX_LEN, WipeReply, Writer, decode, encode,
        hex_bytes, hex_into, hex_prefix, hex_string, parse_uuid, uuid_string, valid_label,
        version_supported,
    };
}

#[test]
fn old_paths_resolve() {
    // The same items under their old and new paths.
    let _: mfs_proto::keys::Writer<4> = mfs_proto::codec::Writer::<4>::new();
    let _: mfs_proto::Reader<'_> = mfs_proto::codec::Reader::new(&[]);
    assert_eq!(mfs_proto::log::LOG_PAGE, mfs_proto::wire::log::LOG_PAGE);
    assert_eq!(mfs_proto::pin::EC_POINT_LEN, mfs_proto::types::EC_POINT_LEN);
    assert_eq!(
        mfs_proto::msg::hex_string::<4>(&[1, 2]),
        mfs_proto::codec::hex_string::<4>(&[1, 2])
    );
    assert_eq!(
        mfs_proto::UNESCAPE_BUF_LEN,
        mfs_proto::codec::UNESCAPE_BUF_LEN
    );
}
