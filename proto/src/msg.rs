//! Request and reply messages (JSON via `serde-json-core`).
//!
//! Every request carries `"v"`, the protocol version it was written for.
//! Requests are parsed strictly: unknown fields, missing fields, wrong
//! types, strings longer than their bound and trailing bytes are all
//! [`crate::Status::BadRequest`]. Byte strings travel as lowercase hex.

use heapless::String;
use serde::{Deserialize, Serialize};

/// The part of every request that is read first: the protocol version.
/// Other fields are ignored at this stage.
#[derive(Debug, Deserialize)]
pub struct Header {
    /// Protocol version the request was written for.
    pub v: u16,
}

/// [`crate::Command::Ping`] request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PingRequest {
    /// Protocol version.
    pub v: u16,
    /// Any number; the TA echoes it.
    pub echo: u32,
}

/// [`crate::Command::Ping`] reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PingReply {
    /// The request's `echo`.
    pub echo: u32,
}

/// A request with no field but the version ([`crate::Command::Info`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyRequest {
    /// Protocol version.
    pub v: u16,
}

/// Where the TA's persistent objects live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StorageKind {
    /// OP-TEE REE FS: encrypted files kept by tee-supplicant in the normal
    /// world. Confidential and integrity-protected, but a normal-world root
    /// attacker can roll the files back to an older state.
    #[serde(rename = "ree-fs")]
    ReeFs,
    /// eMMC RPMB: replay-protected; rollback is detected by the TEE.
    #[serde(rename = "rpmb")]
    Rpmb,
}

/// What the TA can tell about the platform's hardware unique key (the root
/// of every key OP-TEE derives for the TA's storage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HukStatus {
    /// The TEE's device identity matches a known development stub (e.g.
    /// OP-TEE on QEMU): everything derived from it is predictable.
    #[serde(rename = "known-stub")]
    KnownStub,
    /// No known stub recognised. This does not prove the key is secret.
    #[serde(rename = "not-a-known-stub")]
    NotKnownStub,
}

/// GlobalPlatform client login method of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Login {
    /// `TEE_LOGIN_PUBLIC`: no identity.
    #[serde(rename = "public")]
    Public,
    /// `TEE_LOGIN_USER`: identity derived from the caller's user ID.
    #[serde(rename = "user")]
    User,
    /// `TEE_LOGIN_GROUP`: identity derived from a group ID.
    #[serde(rename = "group")]
    Group,
    /// `TEE_LOGIN_APPLICATION`.
    #[serde(rename = "application")]
    Application,
    /// `TEE_LOGIN_APPLICATION_USER`.
    #[serde(rename = "application-user")]
    ApplicationUser,
    /// `TEE_LOGIN_APPLICATION_GROUP`.
    #[serde(rename = "application-group")]
    ApplicationGroup,
    /// `TEE_LOGIN_TRUSTED_APP`: another TA.
    #[serde(rename = "trusted-app")]
    TrustedApp,
    /// Anything else (implementation-defined).
    #[serde(rename = "other")]
    Other,
}

/// [`crate::Command::Info`] reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoReply {
    /// TA version (`MAJOR.MINOR.PATCH`).
    pub ta_version: String<16>,
    /// Oldest protocol version the TA accepts.
    pub proto_min: u16,
    /// Newest protocol version the TA accepts.
    pub proto_max: u16,
    /// Where the TA keeps its persistent state.
    pub storage: StorageKind,
    /// Whether that storage detects rollback (false on REE FS).
    pub rollback_protected: bool,
    /// What the TA can tell about the hardware unique key.
    pub hw_unique_key: HukStatus,
    /// Whether PIN entry and transaction display use a GP trusted UI.
    pub trusted_ui: bool,
    /// `gpd.tee.description`.
    pub tee_description: String<64>,
    /// `gpd.tee.apiversion`.
    pub tee_api_version: String<32>,
    /// `gpd.tee.internalCore.version`.
    pub tee_internal_core_version: u32,
    /// `gpd.tee.deviceID` (UUID text).
    pub tee_device_id: String<36>,
    /// This session's client login method.
    pub client_login: Login,
    /// This session's client identity UUID (`gpd.client.identity`).
    pub client_id: String<36>,
    /// Whether this session may use admin-group commands.
    pub admin: bool,
    /// Whether the TA has been provisioned.
    pub provisioned: bool,
    /// Provisioned PIN try limit (absent before provisioning).
    pub pin_max_tries: Option<u8>,
}

/// Smallest allowed PIN try limit.
pub const PIN_TRIES_MIN: u8 = 3;
/// Largest allowed PIN try limit (fits the `63Cx`-style nibble).
pub const PIN_TRIES_MAX: u8 = 15;
/// Default PIN try limit.
pub const PIN_TRIES_DEFAULT: u8 = 5;

/// Longest base delay between PIN tries after the third failure.
pub const PIN_THROTTLE_MAX_MS: u32 = 60_000;

/// Hex text of a SEC1 uncompressed P-256 public key (65 bytes).
pub type EcPointHex = String<{ 2 * crate::pin::EC_POINT_LEN }>;

/// [`crate::Command::Provision`] request (admin group, once per TA
/// instance; [`crate::Status::AlreadyProvisioned`] afterwards).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionRequest {
    /// Protocol version.
    pub v: u16,
    /// PIN try limit, `PIN_TRIES_MIN..=PIN_TRIES_MAX`.
    pub pin_max_tries: u8,
    /// Base delay (ms) the TA enforces between PIN tries once three in a
    /// row have failed; doubles with each further failure (up to 64x).
    /// 0 disables throttling. At most [`PIN_THROTTLE_MAX_MS`].
    pub pin_throttle_ms: u32,
    /// The issuer's P-256 public key (SEC1 uncompressed, hex) that
    /// authorises PIN unblocks.
    pub issuer_key: EcPointHex,
}

/// [`crate::Command::PinSession`] reply: the TA's single-use ephemeral
/// key for this PIN operation and the nonce an issuer signs for an unblock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinSessionReply {
    /// TA ephemeral P-256 public key, SEC1 uncompressed, hex.
    pub ta_key: EcPointHex,
    /// 16 random bytes, hex.
    pub nonce: String<{ 2 * crate::pin::PIN_NONCE_LEN }>,
}

/// Hex text of a format 4 PIN block.
pub type PinBlockHex = String<{ 2 * crate::pin::PIN_BLOCK_LEN }>;

/// [`crate::Command::PinSet`] and [`crate::Command::PinVerify`] request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinRequest {
    /// Protocol version.
    pub v: u16,
    /// Client ephemeral P-256 public key, SEC1 uncompressed, hex.
    pub client_key: EcPointHex,
    /// ISO 9564-1 format 4 PIN block, hex.
    pub block: PinBlockHex,
    /// PAN the block is bound to (decimal digits); absent: the fixed PAN.
    pub pan: Option<String<{ crate::pin::PAN_MAX_DIGITS }>>,
}

/// [`crate::Command::PinChange`] request (both blocks under one key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinChangeRequest {
    /// Protocol version.
    pub v: u16,
    /// Client ephemeral P-256 public key, SEC1 uncompressed, hex.
    pub client_key: EcPointHex,
    /// Current PIN's block, hex.
    pub old_block: PinBlockHex,
    /// New PIN's block, hex.
    pub new_block: PinBlockHex,
    /// PAN both blocks are bound to; absent: the fixed PAN.
    pub pan: Option<String<{ crate::pin::PAN_MAX_DIGITS }>>,
}

/// Longest DER ECDSA P-256 signature.
pub const DER_SIGNATURE_MAX_LEN: usize = 72;

/// [`crate::Command::PinUnblock`] request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinUnblockRequest {
    /// Protocol version.
    pub v: u16,
    /// Client ephemeral P-256 public key, SEC1 uncompressed, hex.
    pub client_key: EcPointHex,
    /// New PIN's block, hex.
    pub block: PinBlockHex,
    /// PAN the block is bound to; absent: the fixed PAN.
    pub pan: Option<String<{ crate::pin::PAN_MAX_DIGITS }>>,
    /// Issuer's DER ECDSA P-256/SHA-256 signature over
    /// [`crate::pin::unblock_message`], hex.
    pub signature: String<{ 2 * DER_SIGNATURE_MAX_LEN }>,
}

/// Reply of every PIN command except `PinSession`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinStatusReply {
    /// A PIN is set.
    pub set: bool,
    /// The PIN is blocked.
    pub blocked: bool,
    /// Tries left before the PIN blocks.
    pub tries_left: u8,
    /// The provisioned try limit.
    pub max_tries: u8,
    /// Milliseconds before the next try is accepted (0: now).
    pub throttle_ms: u32,
}

/// [`crate::Command::Provision`] reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionReply {
    /// The stored PIN try limit.
    pub pin_max_tries: u8,
}

/// Why a message could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Not valid JSON for the expected type (incl. trailing bytes, unknown
    /// fields, strings over their bound).
    Malformed,
}

/// Why a message could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// The output buffer is too small.
    BufferFull,
}

/// Decodes one JSON message that must fill `buf` entirely (trailing
/// whitespace allowed, anything else is an error).
pub fn decode<'a, T: Deserialize<'a>>(buf: &'a [u8]) -> Result<T, DecodeError> {
    let mut scratch = [0u8; crate::UNESCAPE_BUF_LEN];
    match serde_json_core::from_slice_escaped::<T>(buf, &mut scratch) {
        Ok((value, used)) if used == buf.len() => Ok(value),
        _ => Err(DecodeError::Malformed),
    }
}

/// Encodes a message into `out`, returning the number of bytes written.
pub fn encode<T: Serialize>(value: &T, out: &mut [u8]) -> Result<usize, EncodeError> {
    serde_json_core::to_slice(value, out).map_err(|_| EncodeError::BufferFull)
}

/// Lowercase hex text of a byte string, for `Display` (`format!("{}",
/// Hex(bytes))`, `to_string()` with `alloc`).
#[derive(Clone, Copy)]
pub struct Hex<'a>(pub &'a [u8]);

impl core::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Writes `bytes` as lowercase hex into a bounded string.
pub fn hex_string<const N: usize>(bytes: &[u8]) -> Result<String<N>, EncodeError> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::new();
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            let c = HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
            s.push(char::from(c)).map_err(|_| EncodeError::BufferFull)?;
        }
    }
    Ok(s)
}

/// Parses exactly `N` bytes of hex (either case).
pub fn hex_bytes<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex_into(s, &mut out)?;
    Some(out)
}

/// Parses hex into `out`, which it must fill exactly; returns `out`'s length.
pub fn hex_into(s: &str, out: &mut [u8]) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() != 2 * out.len() {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let hi = char::from(*pair.first()?).to_digit(16)?;
        let lo = char::from(*pair.get(1)?).to_digit(16)?;
        *byte = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out.len())
}

/// Parses hex of any length up to `buf.len()` bytes into the front of
/// `buf`; returns the filled part. `None` for odd length, a non-hex digit
/// or more bytes than `buf` holds.
pub fn hex_prefix<'a>(s: &str, buf: &'a mut [u8]) -> Option<&'a [u8]> {
    let out = buf.get_mut(..s.len() / 2)?;
    hex_into(s, out)?;
    Some(out)
}

/// Formats a 16-byte UUID (big-endian field order) as canonical text.
pub fn uuid_string(bytes: &[u8; 16]) -> String<36> {
    let mut s: String<36> = String::new();
    for (i, chunk) in [
        &bytes[0..4],
        &bytes[4..6],
        &bytes[6..8],
        &bytes[8..10],
        &bytes[10..16],
    ]
    .iter()
    .enumerate()
    {
        if i > 0 {
            let _ = s.push('-');
        }
        if let Ok(h) = hex_string::<12>(chunk) {
            let _ = s.push_str(&h);
        }
    }
    s
}

/// Parses canonical UUID text (`8-4-4-4-12` hex digits, either case).
pub fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    let mut digits = b
        .iter()
        .enumerate()
        .filter(|(i, _)| ![8, 13, 18, 23].contains(i))
        .map(|(_, c)| char::from(*c).to_digit(16));
    if [8, 13, 18, 23].iter().any(|i| b.get(*i) != Some(&b'-')) {
        return None;
    }
    for byte in out.iter_mut() {
        let hi = digits.next()??;
        let lo = digits.next()??;
        *byte = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::{MAX_REPLY_LEN, MAX_REQUEST_LEN};

    fn filled<const N: usize>(c: char) -> String<N> {
        let mut s = String::new();
        while s.push(c).is_ok() {}
        s
    }

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
    fn largest_info_reply_fits_max_reply() {
        let r = InfoReply {
            ta_version: filled('9'),
            proto_min: u16::MAX,
            proto_max: u16::MAX,
            storage: StorageKind::ReeFs,
            rollback_protected: false,
            hw_unique_key: HukStatus::NotKnownStub,
            trusted_ui: false,
            // worst case: every character needs a 6-byte \u escape
            tee_description: filled('\u{1}'),
            tee_api_version: filled('\u{1}'),
            tee_internal_core_version: u32::MAX,
            tee_device_id: filled('f'),
            client_login: Login::ApplicationGroup,
            client_id: filled('f'),
            admin: false,
            provisioned: false,
            pin_max_tries: Some(u8::MAX),
        };
        let mut buf = [0u8; MAX_REPLY_LEN];
        let n = encode(&r, &mut buf).unwrap();
        assert!(n <= MAX_REPLY_LEN);
        let back: InfoReply = decode(&buf[..n]).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn largest_requests_fit_max_request() {
        let mut buf = [0u8; MAX_REQUEST_LEN];
        let r = ProvisionRequest {
            v: u16::MAX,
            pin_max_tries: u8::MAX,
            pin_throttle_ms: u32::MAX,
            issuer_key: filled('f'),
        };
        assert!(encode(&r, &mut buf).unwrap() <= MAX_REQUEST_LEN);
        let r = PinUnblockRequest {
            v: u16::MAX,
            client_key: filled('f'),
            block: filled('f'),
            pan: Some(filled('9')),
            signature: filled('f'),
        };
        assert!(encode(&r, &mut buf).unwrap() <= MAX_REQUEST_LEN);
        let r = PinChangeRequest {
            v: u16::MAX,
            client_key: filled('f'),
            old_block: filled('f'),
            new_block: filled('f'),
            pan: Some(filled('9')),
        };
        assert!(encode(&r, &mut buf).unwrap() <= MAX_REQUEST_LEN);
    }

    #[test]
    fn largest_pin_replies_fit_max_reply() {
        let mut buf = [0u8; MAX_REPLY_LEN];
        let r = PinSessionReply {
            ta_key: filled('f'),
            nonce: filled('f'),
        };
        assert!(encode(&r, &mut buf).unwrap() <= MAX_REPLY_LEN);
        let r = PinStatusReply {
            set: true,
            blocked: false,
            tries_left: u8::MAX,
            max_tries: u8::MAX,
            throttle_ms: u32::MAX,
        };
        assert!(encode(&r, &mut buf).unwrap() <= MAX_REPLY_LEN);
    }

    #[test]
    fn optional_pan_may_be_absent() {
        let r: PinRequest = decode(br#"{"v":1,"client_key":"04","block":"00"}"#).unwrap();
        assert_eq!(r.pan, None);
        let r: PinRequest =
            decode(br#"{"v":1,"client_key":"04","block":"00","pan":"1234"}"#).unwrap();
        assert_eq!(r.pan.as_deref(), Some("1234"));
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
    fn enums_use_stable_names() {
        let mut buf = [0u8; 32];
        let n = encode(&StorageKind::ReeFs, &mut buf).unwrap();
        assert_eq!(&buf[..n], br#""ree-fs""#);
        let n = encode(&Login::ApplicationUser, &mut buf).unwrap();
        assert_eq!(&buf[..n], br#""application-user""#);
        let n = encode(&HukStatus::KnownStub, &mut buf).unwrap();
        assert_eq!(&buf[..n], br#""known-stub""#);
    }

    #[test]
    fn hex_and_uuid_formatting() {
        assert_eq!(
            hex_string::<8>(&[0x00, 0xab, 0x10]).unwrap().as_str(),
            "00ab10"
        );
        assert!(hex_string::<3>(&[1, 2]).is_err());
        let u = [
            0xbb, 0xa3, 0x7a, 0xec, 0x75, 0xde, 0x47, 0x7b, 0xb7, 0x84, 0x9d, 0x6f, 0x89, 0x5a,
            0x7e, 0x23,
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
}
