//! Tests of the codec: JSON strictness and framing, hex, UUID text and the
//! byte reader/writer.

use super::*;
use crate::{Header, PingRequest};

#[test]
fn ping_round_trip() {
    let req = PingRequest { v: 1, echo: 42 };
    let mut buf = [0u8; 64];
    let n = encode(&req, &mut buf).unwrap();
    assert_eq!(&buf[..n], br#"{"v":1,"echo":42}"#);
    assert_eq!(decode::<PingRequest>(&buf[..n]).unwrap(), req);
}

#[test]
fn strict_parsing() {
    // unknown field, missing field, wrong type, trailing garbage,
    // truncation, not JSON at all
    for bad in [
        &br#"{"v":1,"echo":1,"x":2}"#[..],
        br#"{"v":1}"#,
        br#"{"v":1,"echo":"1"}"#,
        br#"{"v":1,"echo":1}x"#,
        br#"{"v":1,"echo":1"#,
        b"\xff\xfe",
        b"",
        br#"{"v":-1,"echo":1}"#,
        br#"{"v":70000,"echo":1}"#,
    ] {
        assert_eq!(
            decode::<PingRequest>(bad),
            Err(DecodeError::Malformed),
            "{bad:?}"
        );
    }
    // surrounding whitespace is fine
    assert!(decode::<PingRequest>(b" {\"v\":1,\"echo\":1} ").is_ok());
}

#[test]
fn header_ignores_other_fields() {
    let h: Header = decode(br#"{"v":7,"anything":[1,2,{"x":null}]}"#).unwrap();
    assert_eq!(h.v, 7);
}

#[test]
fn bounded_strings_reject_overlong_input() {
    #[derive(Deserialize, Debug)]
    struct S {
        #[allow(dead_code)]
        s: String<4>,
    }
    assert!(decode::<S>(br#"{"s":"abcd"}"#).is_ok());
    assert!(decode::<S>(br#"{"s":"abcde"}"#).is_err());
}

#[test]
fn hex_parsing() {
    assert_eq!(hex_bytes::<2>("0aFf"), Some([0x0a, 0xff]));
    assert_eq!(hex_bytes::<2>("0aF"), None);
    assert_eq!(hex_bytes::<2>("0aFfee"), None);
    assert_eq!(hex_bytes::<2>("0g00"), None);
    assert_eq!(hex_bytes::<0>(""), Some([]));
    let mut buf = [0u8; 3];
    assert_eq!(hex_prefix("0aff", &mut buf), Some(&[0x0a, 0xff][..]));
    assert_eq!(hex_prefix("", &mut buf), Some(&[][..]));
    assert_eq!(hex_prefix("0af", &mut buf), None);
    assert_eq!(hex_prefix("0g", &mut buf), None);
    assert_eq!(hex_prefix("01020304", &mut buf), None);
}

#[test]
fn hex_and_uuid_formatting() {
    assert_eq!(
        hex_string::<8>(&[0x00, 0xab, 0x10]).unwrap().as_str(),
        "00ab10"
    );
    assert!(hex_string::<3>(&[1, 2]).is_err());
    let u = [
        0xbb, 0xa3, 0x7a, 0xec, 0x75, 0xde, 0x47, 0x7b, 0xb7, 0x84, 0x9d, 0x6f, 0x89, 0x5a, 0x7e,
        0x23,
    ];
    assert_eq!(uuid_string(&u).as_str(), crate::DEFAULT_TA_UUID);
    assert_eq!(parse_uuid(crate::DEFAULT_TA_UUID), Some(u));
    assert_eq!(parse_uuid(&crate::DEFAULT_TA_UUID.to_uppercase()), Some(u));
    for bad in [
        "",
        "bba37aec75de477bb7849d6f895a7e23",
        "bba37aec-75de-477b-b784-9d6f895a7e2g",
        "bba37aec-75de-477b-b784-9d6f895a7e234",
        "bba37aec+75de-477b-b784-9d6f895a7e23",
    ] {
        assert_eq!(parse_uuid(bad), None, "{bad}");
    }
}

#[test]
fn hex_display_matches_hex_string() {
    let bytes = [0x00u8, 0x01, 0xab, 0xff];
    assert_eq!(
        std::format!("{}", Hex(&bytes)),
        hex_string::<8>(&bytes).unwrap().as_str()
    );
    assert_eq!(std::format!("{}", Hex(&[])), "");
}

/// The const check the crate applies to its build-time UUID agrees with
/// the parser on every case.
#[test]
fn is_uuid_agrees_with_parse_uuid() {
    for s in [
        crate::DEFAULT_TA_UUID,
        "BBA37AEC-75DE-477B-B784-9D6F895A7E23",
        "",
        "bba37aec75de477bb7849d6f895a7e23",
        "bba37aec-75de-477b-b784-9d6f895a7e2g",
        "bba37aec-75de-477b-b784-9d6f895a7e234",
        "bba37aec+75de-477b-b784-9d6f895a7e23",
        "bba37aec-75de-477b-b784-9d6f895a7e2",
        "-bba37aec-75de-477b-b784-9d6f895a7e2",
    ] {
        assert_eq!(is_uuid(s), parse_uuid(s).is_some(), "{s}");
    }
}

#[test]
fn reader_and_writer_round_trip() {
    let mut w = Writer::<32>::new();
    w.u8(7).unwrap();
    w.u32(0x0102_0304).unwrap();
    w.u64(u64::MAX - 1).unwrap();
    w.short(b"abc").unwrap();
    w.bytes(&[1, 0]).unwrap();
    assert_eq!(
        w.as_slice(),
        &[
            7, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 3, b'a', b'b', b'c', 1,
            0
        ]
    );
    assert!(w.short(&[0; 256]).is_none());
    let bytes = w.into_inner();
    let mut r = Reader::new(&bytes);
    assert_eq!(r.u8(), Some(7));
    assert_eq!(r.u32(), Some(0x0102_0304));
    assert_eq!(r.u64(), Some(u64::MAX - 1));
    assert_eq!(r.short(), Some(&b"abc"[..]));
    assert_eq!(r.rest(), &[1, 0]);
    assert_eq!(r.finish(), None);
    assert_eq!(r.bool(), Some(true));
    assert_eq!(r.bool(), Some(false));
    assert_eq!(r.finish(), Some(()));
    assert_eq!(r.u8(), None);
    let mut full = Writer::<2>::new();
    assert!(full.u32(1).is_none());
    assert_eq!(Reader::new(&[2]).bool(), None);
}
