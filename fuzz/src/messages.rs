//! Every JSON message type of the protocol, decoded with the function the
//! TA and the client use (`mfs_proto::decode`: grammar and depth check,
//! then the strict or tolerant serde parse), as one table indexed by a
//! number so a target can choose the type from its first input byte.
//!
//! [`check`] is what the `requests` target runs: decode never panics, and a
//! decoded value encodes and decodes back to itself; for the two embedded
//! types that have a binary form or range checks (policy, transaction
//! record) those agree with the JSON form too.

use core::fmt::Debug;

use mfs_proto::tx::SignedTx;
use mfs_proto::{
    EmptyRequest, Header, InfoReply, KeyAttestReply, KeyAttestRequest, KeyDeleteReply,
    KeyExportReply, KeyGenerateRequest, KeyImportRequest, KeyInfoReply, KeyListReply,
    KeyListRequest, KeyPolicy, KeyRequest, KeySignReply, KeySignRequest, LogHeadReply,
    LogHeadRequest, LogReadReply, LogReadRequest, PinChangeRequest, PinRequest, PinSessionReply,
    PinStatusReply, PinUnblockRequest, PingReply, PingRequest, ProvisionReply, ProvisionRequest,
    TxRecord, TxSignReply, TxSignRequest, WipeReply, decode, encode,
};
use serde::{Deserialize, Serialize};

/// Large enough for the JSON encoding of any message value, escapes
/// included (strings are bounded; a 256-byte string of control
/// characters encodes to 1,536 bytes).
pub const ENCODE_BUF_LEN: usize = 8192;

/// A message type: its name, and a function that decodes `data` as that
/// type (and, when `check` is true, checks the round trip).
pub type Kind = (&'static str, fn(&[u8], bool));

/// Extra checks on a decoded value (nested binary forms).
trait Extra {
    fn extra(&self) {}
}

fn policy_agrees(p: &KeyPolicy) {
    let back = KeyPolicy::from_bytes(&p.to_bytes());
    if p.check().is_ok() {
        assert_eq!(back, Some(*p), "binary form of a valid policy");
    } else {
        // An invalid policy never reaches the binary form in the TA (it is
        // refused first); its bytes may alias a valid one (`max_uses: 0`
        // and `null` are both 0), but never decode back to it.
        assert_ne!(back, Some(*p), "binary form kept an invalid policy");
    }
}

fn record_agrees(r: &TxRecord) {
    let tx = SignedTx {
        key_id: [1; 8],
        counter: 7,
        record: r.clone(),
        verification: mfs_proto::tx::VERIFIED_PIN_IN_TA,
        display: mfs_proto::tx::DISPLAY_NOT_TRUSTED_UI,
    };
    match (r.check(), tx.encode()) {
        (Ok(()), Some(b)) => assert_eq!(SignedTx::decode(&b), Some(tx), "signed tx round trip"),
        (Ok(()), None) => panic!("a valid record does not encode"),
        (Err(_), Some(_)) => panic!("an invalid record encodes"),
        (Err(_), None) => {}
    }
}

impl Extra for KeyPolicy {
    fn extra(&self) {
        policy_agrees(self);
    }
}
impl Extra for KeyGenerateRequest {
    fn extra(&self) {
        policy_agrees(&self.policy);
    }
}
impl Extra for KeyInfoReply {
    fn extra(&self) {
        policy_agrees(&self.policy);
    }
}
impl Extra for TxRecord {
    fn extra(&self) {
        record_agrees(self);
    }
}
impl Extra for TxSignRequest {
    fn extra(&self) {
        record_agrees(&self.record);
    }
}

macro_rules! no_extra {
    ($($t:ty),* $(,)?) => { $(impl Extra for $t {})* };
}
no_extra!(
    EmptyRequest,
    PingRequest,
    ProvisionRequest,
    PinRequest,
    PinChangeRequest,
    PinUnblockRequest,
    KeyRequest,
    KeyListRequest,
    KeySignRequest,
    KeyAttestRequest,
    KeyImportRequest,
    LogHeadRequest,
    LogReadRequest,
    PingReply,
    InfoReply,
    ProvisionReply,
    PinSessionReply,
    PinStatusReply,
    KeyListReply,
    KeyDeleteReply,
    KeySignReply,
    KeyAttestReply,
    KeyExportReply,
    TxSignReply,
    LogHeadReply,
    LogReadReply,
    WipeReply,
);

fn run<T>(data: &[u8], check: bool)
where
    T: for<'a> Deserialize<'a> + Serialize + PartialEq + Debug + Extra,
{
    let Ok(value) = decode::<T>(data) else {
        return;
    };
    if check {
        round_trip(&value);
    } else {
        std::hint::black_box(&value);
    }
}

/// The round-trip checks, in their own frame: its two encode buffers must
/// not count towards the stack a parse uses (`json_depth`).
#[inline(never)]
fn round_trip<T>(value: &T)
where
    T: for<'a> Deserialize<'a> + Serialize + PartialEq + Debug + Extra,
{
    value.extra();
    let mut buf = [0u8; ENCODE_BUF_LEN];
    let n = encode(value, &mut buf).expect("a decoded message encodes");
    let again = decode::<T>(&buf[..n]).expect("an encoded message decodes");
    assert_eq!(
        &again, value,
        "decode -> encode -> decode changed the value"
    );
    // The encoding is a fixed point: encoding the value again gives the
    // same bytes.
    let mut buf2 = [0u8; ENCODE_BUF_LEN];
    let m = encode(&again, &mut buf2).expect("re-encode");
    assert_eq!(&buf[..n], &buf2[..m], "encoding is not canonical");
}

fn header(data: &[u8], _check: bool) {
    if let Ok(h) = decode::<Header>(data) {
        std::hint::black_box(h.v);
    }
}

fn grammar(data: &[u8], _check: bool) {
    std::hint::black_box(mfs_proto::json_shape::well_formed(data));
}

/// Every message type (requests, the two embedded request types, replies),
/// plus the version header the dispatcher reads first and the bare
/// grammar check.
pub const KINDS: &[Kind] = &[
    ("json_shape::well_formed", grammar),
    ("Header", header),
    ("EmptyRequest", run::<EmptyRequest>),
    ("PingRequest", run::<PingRequest>),
    ("ProvisionRequest", run::<ProvisionRequest>),
    ("PinRequest", run::<PinRequest>),
    ("PinChangeRequest", run::<PinChangeRequest>),
    ("PinUnblockRequest", run::<PinUnblockRequest>),
    ("KeyGenerateRequest", run::<KeyGenerateRequest>),
    ("KeyRequest", run::<KeyRequest>),
    ("KeyListRequest", run::<KeyListRequest>),
    ("KeySignRequest", run::<KeySignRequest>),
    ("KeyAttestRequest", run::<KeyAttestRequest>),
    ("KeyImportRequest", run::<KeyImportRequest>),
    ("TxSignRequest", run::<TxSignRequest>),
    ("LogHeadRequest", run::<LogHeadRequest>),
    ("LogReadRequest", run::<LogReadRequest>),
    ("KeyPolicy", run::<KeyPolicy>),
    ("TxRecord", run::<TxRecord>),
    ("PingReply", run::<PingReply>),
    ("InfoReply", run::<InfoReply>),
    ("ProvisionReply", run::<ProvisionReply>),
    ("PinSessionReply", run::<PinSessionReply>),
    ("PinStatusReply", run::<PinStatusReply>),
    ("KeyInfoReply", run::<KeyInfoReply>),
    ("KeyListReply", run::<KeyListReply>),
    ("KeyDeleteReply", run::<KeyDeleteReply>),
    ("KeySignReply", run::<KeySignReply>),
    ("KeyAttestReply", run::<KeyAttestReply>),
    ("KeyExportReply", run::<KeyExportReply>),
    ("TxSignReply", run::<TxSignReply>),
    ("LogHeadReply", run::<LogHeadReply>),
    ("LogReadReply", run::<LogReadReply>),
    ("WipeReply", run::<WipeReply>),
];

/// The kind a target's first input byte selects, and the rest of the input.
pub fn select(data: &[u8]) -> Option<(usize, &[u8])> {
    let (first, rest) = data.split_first()?;
    Some((usize::from(*first) % KINDS.len(), rest))
}

/// The index of the kind named `name`.
pub fn index_of(name: &str) -> Option<usize> {
    KINDS.iter().position(|(n, _)| *n == name)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn names_are_unique_and_valid_requests_round_trip() {
        for (i, (name, _)) in KINDS.iter().enumerate() {
            assert_eq!(index_of(name), Some(i));
        }
        let run = |name: &str, json: &str| {
            let (_, f) = KINDS[index_of(name).unwrap()];
            f(json.as_bytes(), true);
        };
        run("PingRequest", r#"{"v":1,"echo":7}"#);
        run(
            "KeyGenerateRequest",
            r#"{"v":1,"label":"a","policy":{"purpose":"sign","pin":"none","pin_window_s":0,"max_uses":null,"not_after":null,"exportable":true}}"#,
        );
        run(
            "TxRecord",
            r#"{"amount":1,"currency":"EUR","payee":"p","display":"0.01 EUR\nto p \u00e9","challenge":"00112233445566778899aabbccddeeff","time":1}"#,
        );
    }
}
