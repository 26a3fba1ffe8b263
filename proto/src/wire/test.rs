//! Protocol evolution as tests: requests stay strict (the TA refuses an
//! unknown field), replies are read tolerantly (a current client reads a
//! reply from a newer TA that added fields, whatever their JSON type).

use super::*;
use crate::{KeyPolicy, Purpose, decode, encode};
use std::vec::Vec as StdVec;

/// Extra fields a newer TA might add: a number, a string (with escapes),
/// `null`, a boolean, an array and a nested object with arrays inside.
const ADDED: [&str; 6] = [
    r#""added_number":-12.5e3"#,
    r#""added_string":"new \"quoted\" text \u00e9""#,
    r#""added_null":null"#,
    r#""added_bool":true"#,
    r#""added_array":[1,"two",{"three":[3]},[]]"#,
    r#""added_object":{"a":{"b":[1,{"c":"d"}]},"e":false}"#,
];

/// `json` (an object) with `field` inserted first, last, and in the middle.
fn with_field(json: &[u8], field: &str) -> StdVec<StdVec<u8>> {
    let body = core::str::from_utf8(json).unwrap();
    let inner = &body[1..body.len() - 1];
    let comma = inner.find(',').unwrap_or(inner.len());
    let (a, b) = inner.split_at(comma);
    [
        std::format!("{{{field},{inner}}}"),
        std::format!("{{{inner},{field}}}"),
        std::format!("{{{a},{field}{b}}}"),
    ]
    .into_iter()
    .map(|s| s.into_bytes())
    .collect()
}

/// Encodes `value`, adds every kind of unknown field in every position
/// and checks the reply still decodes to the same value.
fn tolerant<T>(value: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + core::fmt::Debug,
{
    let mut buf = [0u8; crate::MAX_REPLY_LEN];
    let n = encode(value, &mut buf).unwrap();
    let json = &buf[..n];
    assert_eq!(&decode::<T>(json).unwrap(), value);
    for field in ADDED {
        for extended in with_field(json, field) {
            let got = decode::<T>(&extended);
            assert_eq!(
                got.as_ref(),
                Ok(value),
                "{}",
                std::string::String::from_utf8_lossy(&extended)
            );
        }
    }
}

/// `json` with every added field must still be refused.
fn strict<T: serde::de::DeserializeOwned + core::fmt::Debug>(json: &[u8]) {
    assert!(decode::<T>(json).is_ok());
    for field in ADDED {
        for extended in with_field(json, field) {
            assert!(
                decode::<T>(&extended).is_err(),
                "{}",
                std::string::String::from_utf8_lossy(&extended)
            );
        }
    }
}

fn policy() -> KeyPolicy {
    KeyPolicy::plain(Purpose::Sign)
}

#[test]
fn replies_with_added_fields_decode_to_the_same_value() {
    tolerant(&PingReply { echo: 7 });
    tolerant(&PinSessionReply {
        ta_key: "04ab".try_into().unwrap(),
        nonce: "00ff".try_into().unwrap(),
    });
    tolerant(&PinStatusReply {
        set: true,
        blocked: false,
        tries_left: 3,
        max_tries: 5,
        throttle_ms: 0,
    });
    tolerant(&ProvisionReply {
        pin_max_tries: 5,
        require_rollback_protection: true,
    });
    tolerant(&WipeReply {
        objects_destroyed: 4,
    });
    tolerant(&InfoReply {
        ta_version: "0.1.0".try_into().unwrap(),
        proto_min: 1,
        proto_max: 1,
        storage: crate::StorageKind::ReeFs,
        rollback_protected: false,
        hw_unique_key: crate::HukStatus::KnownStub,
        trusted_ui: false,
        tee_description: "OP-TEE".try_into().unwrap(),
        tee_api_version: "1.3".try_into().unwrap(),
        tee_internal_core_version: 0x0103_0000,
        tee_device_id: "00000000-0000-0000-0000-000000000000".try_into().unwrap(),
        client_login: crate::Login::User,
        client_id: "00000000-0000-0000-0000-000000000000".try_into().unwrap(),
        admin: true,
        provisioned: true,
        pin_max_tries: None,
    });
    let info = KeyInfoReply {
        id: "0102030405060708".try_into().unwrap(),
        label: "pay".try_into().unwrap(),
        policy: policy(),
        public_key: "04".try_into().unwrap(),
        uses: 0,
    };
    tolerant(&info);
    let summary = KeySummary {
        id: "0102030405060708".try_into().unwrap(),
        label: "pay".try_into().unwrap(),
        purpose: Purpose::Sign,
    };
    tolerant(&summary);
    let mut keys = heapless::Vec::new();
    keys.push(summary.clone()).unwrap();
    keys.push(summary).unwrap();
    tolerant(&KeyListReply { total: 2, keys });
    tolerant(&KeyDeleteReply {
        id: "0102030405060708".try_into().unwrap(),
    });
    tolerant(&KeySignReply {
        signature: "3044".try_into().unwrap(),
        uses: 1,
    });
    tolerant(&KeyAttestReply {
        statement: "6d6673".try_into().unwrap(),
        signature: "3044".try_into().unwrap(),
        attestation_key: "04".try_into().unwrap(),
    });
    tolerant(&KeyExportReply {
        blob: "01".try_into().unwrap(),
    });
    tolerant(&TxSignReply {
        signed: "6d6673".try_into().unwrap(),
        signature: "3044".try_into().unwrap(),
        counter: 9,
        public_key: "04".try_into().unwrap(),
    });
    tolerant(&LogHeadReply {
        statement: "6d6673".try_into().unwrap(),
        signature: "3044".try_into().unwrap(),
        attestation_key: "04".try_into().unwrap(),
    });
    let entry = LogEntryWire {
        seq: 1,
        time: 2,
        kind: 3,
        details: Some("01".try_into().unwrap()),
        details_hash: None,
    };
    tolerant(&entry);
    tolerant(&LogEntryWire {
        details: None,
        details_hash: Some("ab".repeat(32).as_str().try_into().unwrap()),
        ..entry.clone()
    });
    let mut entries = heapless::Vec::new();
    entries.push(entry).unwrap();
    tolerant(&LogReadReply {
        first: 0,
        next: 2,
        entries,
    });
}

/// Unknown fields inside nested reply objects are skipped too: in each
/// entry of a list.
#[test]
fn added_fields_inside_nested_reply_objects_are_skipped() {
    let json = br#"{"total":1,"keys":[{"id":"0102030405060708","x":{"y":[1]},"label":"pay","purpose":"sign","z":"w"}],"more":[]}"#;
    let r: KeyListReply = decode(json).unwrap();
    assert_eq!(r.keys.len(), 1);
    assert_eq!(r.keys[0].label.as_str(), "pay");
    let json = br#"{"first":0,"next":1,"entries":[{"seq":0,"time":5,"kind":1,"details":"05","hash":"ab"}]}"#;
    let r: LogReadReply = decode(json).unwrap();
    assert_eq!(r.entries[0].details.as_deref(), Some("05"));
    assert_eq!(r.entries[0].details_hash, None);
}

/// Tolerance is for unknown fields only: a reply is still refused for a
/// missing field, a wrong type, an unknown enum value, trailing bytes or
/// a field over its bound.
#[test]
fn tolerant_replies_are_still_checked() {
    for bad in [
        &br#"{}"#[..],
        br#"{"echo":"7"}"#,
        br#"{"echo":7}x"#,
        br#"{"echo":7,"extra":}"#,
        br#"{"echo":7,"extra":[1,2}"#,
        br#"{"echo":7,"extra":{"a":1]}"#,
        br#"{"echo":7,"echo":8}"#,
    ] {
        assert!(decode::<PingReply>(bad).is_err(), "{bad:?}");
    }
    assert!(
        decode::<KeySummary>(br#"{"id":"01","label":"a","purpose":"sign-everything"}"#).is_err()
    );
    assert!(decode::<KeyDeleteReply>(br#"{"id":"01020304050607080"}"#).is_err());
    // An added string is skipped at any length, but one with escapes must
    // unescape into `UNESCAPE_BUF_LEN` bytes (the parser unescapes it).
    let long = "a".repeat(4 * crate::UNESCAPE_BUF_LEN);
    let json = std::format!(r#"{{"echo":7,"x":"{long}"}}"#);
    assert_eq!(
        decode::<PingReply>(json.as_bytes()),
        Ok(PingReply { echo: 7 })
    );
    let json = std::format!(r#"{{"echo":7,"x":"\n{long}"}}"#);
    assert!(decode::<PingReply>(json.as_bytes()).is_err());
}

/// The one exception inside replies: the key policy is strict, because a
/// client must not show a policy with a restriction it does not know as
/// if it had none (see `crate::policy`).
#[test]
fn key_policy_stays_strict_inside_replies() {
    let json = br#"{"id":"0102030405060708","label":"pay","policy":{"purpose":"sign","pin":"none","pin_window_s":0,"max_uses":null,"not_after":null,"exportable":false,"max_amount":100},"public_key":"04","uses":0}"#;
    assert!(decode::<KeyInfoReply>(json).is_err());
}

#[test]
fn requests_with_added_fields_are_refused() {
    strict::<PingRequest>(br#"{"v":1,"echo":1}"#);
    strict::<EmptyRequest>(br#"{"v":1}"#);
    strict::<ProvisionRequest>(
        br#"{"v":1,"pin_max_tries":5,"pin_throttle_ms":0,"issuer_key":"04"}"#,
    );
    strict::<PinRequest>(br#"{"v":1,"client_key":"04","block":"00"}"#);
    strict::<PinChangeRequest>(br#"{"v":1,"client_key":"04","old_block":"00","new_block":"00"}"#);
    strict::<PinUnblockRequest>(br#"{"v":1,"client_key":"04","block":"00","signature":"30"}"#);
    let policy = r#"{"purpose":"sign","pin":"none","pin_window_s":0,"max_uses":null,"not_after":null,"exportable":false}"#;
    strict::<KeyGenerateRequest>(
        std::format!(r#"{{"v":1,"label":"pay","policy":{policy}}}"#).as_bytes(),
    );
    strict::<KeyGenerateWire>(
        std::format!(r#"{{"v":1,"label":"pay","policy":{policy}}}"#).as_bytes(),
    );
    strict::<KeyRequest>(br#"{"v":1,"id":"0102030405060708"}"#);
    strict::<KeyListRequest>(br#"{"v":1,"offset":0}"#);
    strict::<KeySignRequest>(br#"{"v":1,"id":"0102030405060708","message":"00"}"#);
    strict::<KeyAttestRequest>(br#"{"v":1,"id":"0102030405060708","challenge":"00"}"#);
    strict::<KeyImportRequest>(br#"{"v":1,"blob":"00"}"#);
    strict::<LogHeadRequest>(br#"{"v":1,"challenge":"00"}"#);
    strict::<LogReadRequest>(br#"{"v":1,"from":0}"#);
    let record =
        r#"{"amount":1,"currency":"EUR","payee":"A","display":"B","challenge":"00","time":1}"#;
    strict::<TxSignRequest>(
        std::format!(
            r#"{{"v":1,"id":"0102030405060708","client_key":"04","block":"00","record":{record}}}"#
        )
        .as_bytes(),
    );
    // nested request objects are strict too
    strict::<KeyPolicy>(policy.as_bytes());
    strict::<KeyPolicyWire>(policy.as_bytes());
    strict::<crate::TxRecord>(record.as_bytes());
    let nested_policy = std::format!(
        r#"{{"v":1,"label":"pay","policy":{}}}"#,
        policy.replace("\"exportable\":false", "\"exportable\":false,\"x\":1")
    );
    assert!(decode::<KeyGenerateRequest>(nested_policy.as_bytes()).is_err());
    assert!(decode::<KeyGenerateWire>(nested_policy.as_bytes()).is_err());
    let nested_record = std::format!(
        r#"{{"v":1,"id":"0102030405060708","client_key":"04","block":"00","record":{}}}"#,
        record.replace("\"time\":1", "\"time\":1,\"x\":1")
    );
    assert!(decode::<TxSignRequest>(nested_record.as_bytes()).is_err());
}
