//! Command IDs ([`Command`], with their access [`Group`]) and result
//! codes ([`Status`]): the GP-level framing values, stable and append-only.
//!
//! Depends on no other module of this crate.

/// Command groups: the TA decides per group which client logins may call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// Ordinary use by the payment application.
    User,
    /// Provisioning and administration (issuer / device owner).
    Admin,
}

/// Command IDs (the GP `commandID`). Bits 16.. select the group:
/// `0x0000_xxxx` user, `0x0001_xxxx` admin. Values are stable: append only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Command {
    /// Liveness check: echoes a number. Added in v1.
    Ping = 0x0000_0001,
    /// TA version, protocol range and the platform facts the TA can observe.
    /// Added in v1.
    Info = 0x0000_0002,
    /// Opens a PIN session: the TA's ephemeral ECDH key and a nonce.
    /// Added in v1.
    PinSession = 0x0000_0010,
    /// PIN state: set, blocked, tries left, throttle delay. Added in v1.
    PinStatus = 0x0000_0011,
    /// First PIN enrolment (protected PIN block). Added in v1.
    PinSet = 0x0000_0012,
    /// PIN verification (protected PIN block). Added in v1.
    PinVerify = 0x0000_0013,
    /// PIN change: old and new PIN blocks. Added in v1.
    PinChange = 0x0000_0014,
    /// Issuer-authorised unblock with a new PIN. Added in v1.
    PinUnblock = 0x0000_0015,
    /// Generates a P-256 key pair inside the TA under a policy. Added in v1.
    KeyGenerate = 0x0000_0020,
    /// Lists keys, one page at a time. Added in v1.
    KeyList = 0x0000_0021,
    /// A key's public information (incl. its public key). Added in v1.
    KeyInfo = 0x0000_0022,
    /// Deletes a key. Added in v1.
    KeyDelete = 0x0000_0023,
    /// Signs a caller message with a key (policy permitting). Added in v1.
    KeySign = 0x0000_0024,
    /// A signed attestation statement about a key. Added in v1.
    KeyAttest = 0x0000_0025,
    /// Exports a key's sealed blob (policy permitting). Added in v1.
    KeyExport = 0x0000_0026,
    /// Imports a sealed blob exported by this TA instance. Added in v1.
    KeyImport = 0x0000_0027,
    /// Verifies a PIN block and, only if it matches, signs one transaction
    /// with the TA counter (proof of consent). Added in v1.
    TxSign = 0x0000_0030,
    /// A page of event-log entries. Added in v1.
    LogRead = 0x0000_0040,
    /// The event log's head, signed by the TA. Added in v1.
    LogHead = 0x0000_0041,
    /// One-time provisioning of the TA's policy (admin). Added in v1.
    Provision = 0x0001_0001,
    /// Application deactivation: destroys every key, the PIN record, the
    /// policy and the TA-unique secret (admin). Added in v1.
    Wipe = 0x0001_0002,
}

impl Command {
    /// Every command, for tests and documentation.
    pub const ALL: [Command; 21] = [
        Command::Ping,
        Command::Info,
        Command::PinSession,
        Command::PinStatus,
        Command::PinSet,
        Command::PinVerify,
        Command::PinChange,
        Command::PinUnblock,
        Command::KeyGenerate,
        Command::KeyList,
        Command::KeyInfo,
        Command::KeyDelete,
        Command::KeySign,
        Command::KeyAttest,
        Command::KeyExport,
        Command::KeyImport,
        Command::TxSign,
        Command::LogRead,
        Command::LogHead,
        Command::Provision,
        Command::Wipe,
    ];

    /// Short stable name (used in `docs/ta-interface.md` and messages).
    pub const fn name(self) -> &'static str {
        match self {
            Command::Ping => "ping",
            Command::Info => "info",
            Command::PinSession => "pin-session",
            Command::PinStatus => "pin-status",
            Command::PinSet => "pin-set",
            Command::PinVerify => "pin-verify",
            Command::PinChange => "pin-change",
            Command::PinUnblock => "pin-unblock",
            Command::KeyGenerate => "key-generate",
            Command::KeyList => "key-list",
            Command::KeyInfo => "key-info",
            Command::KeyDelete => "key-delete",
            Command::KeySign => "key-sign",
            Command::KeyAttest => "key-attest",
            Command::KeyExport => "key-export",
            Command::KeyImport => "key-import",
            Command::TxSign => "tx-sign",
            Command::LogRead => "log-read",
            Command::LogHead => "log-head",
            Command::Provision => "provision",
            Command::Wipe => "wipe",
        }
    }

    /// Whether a call of the command uses up the session's PIN session
    /// (whatever its outcome, once the call reaches the TA): the commands
    /// that carry a PIN block.
    pub const fn uses_pin_session(self) -> bool {
        matches!(
            self,
            Command::PinSet
                | Command::PinVerify
                | Command::PinChange
                | Command::PinUnblock
                | Command::TxSign
        )
    }

    /// The access-control group of the command.
    pub const fn group(self) -> Group {
        if (self as u32) >> 16 == 1 {
            Group::Admin
        } else {
            Group::User
        }
    }
}

/// A command ID the TA does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownCommand(pub u32);

impl TryFrom<u32> for Command {
    type Error = UnknownCommand;
    fn try_from(v: u32) -> Result<Self, Self::Error> {
        Command::ALL
            .iter()
            .copied()
            .find(|c| *c as u32 == v)
            .ok_or(UnknownCommand(v))
    }
}

/// Result of a command, returned in parameter 0 `a`. Stable: append only,
/// never renumber. Parameter 0 `b` carries the detail named here, else 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Status {
    /// Success; the reply is in parameter 2.
    Ok = 0,
    /// The request is not valid JSON for this command (syntax, missing or
    /// unknown field, wrong type, trailing bytes, string too long).
    BadRequest = 1,
    /// The request's `"v"` is outside `PROTOCOL_MIN..=PROTOCOL_CURRENT`.
    /// Detail: the TA's `PROTOCOL_CURRENT`.
    UnsupportedVersion = 2,
    /// The command ID is not known to this TA.
    UnknownCommand = 3,
    /// The output buffer is too small. Detail: the size needed (bytes).
    ShortBuffer = 4,
    /// The request is larger than [`crate::MAX_REQUEST_LEN`]. Detail: the limit.
    RequestTooLarge = 5,
    /// The session's client login may not use this command's group.
    AccessDenied = 6,
    /// Secure storage failed; nothing was changed that the caller could rely on.
    StorageFailure = 7,
    /// A cryptographic operation or integrity check failed (deliberately
    /// not more specific).
    CryptoFailure = 8,
    /// The TA is already provisioned.
    AlreadyProvisioned = 9,
    /// A field is well-formed but out of its allowed range.
    InvalidArgument = 10,
    /// The TA is not provisioned yet.
    NotProvisioned = 11,
    /// An internal error the caller cannot fix (reported instead of a panic).
    Internal = 12,
    /// No PIN is set yet.
    PinNotSet = 13,
    /// A PIN is already set (use change).
    PinAlreadySet = 14,
    /// Wrong PIN. Detail: tries left (like ISO 7816 `63Cx`), at least 1.
    PinIncorrect = 15,
    /// The PIN is blocked: no tries left; only an issuer unblock helps.
    PinBlocked = 16,
    /// Too soon after repeated failures; no try was used. Detail:
    /// milliseconds to wait.
    PinThrottled = 17,
    /// The command needs a fresh PIN session (`PinSession`) in this TA
    /// session; each PIN session serves one PIN command.
    PinSessionRequired = 18,
    /// The key's policy forbids this use. Detail: a
    /// [`crate::policy::PolicyReason`] code. Added in v1.
    PolicyViolation = 19,
    /// No key with this id. Added in v1.
    KeyNotFound = 20,
    /// The TA holds the most keys it may ([`crate::MAX_KEYS`]), or this
    /// client identity holds its share ([`crate::MAX_KEYS_PER_CLIENT`]).
    /// Detail: the limit that was hit. Added in v1.
    KeyLimit = 21,
    /// A sealed key blob was refused: altered, of an unknown version, or
    /// not made by this TA instance (deliberately not more specific).
    /// Added in v1.
    BlobRejected = 22,
    /// A key with this id already exists (import). Added in v1.
    KeyExists = 23,
    /// A TA-wide quota other than keys is used up (PIN records:
    /// [`crate::MAX_PIN_RECORDS`]). Detail: the limit. Added in v1 with
    /// client isolation.
    QuotaExceeded = 24,
    /// Storage answered with an older state than the TA itself wrote or
    /// read earlier in this TA lifetime (a rollback, or a storage kind that
    /// changed): the TA fails closed until storage is as it left it.
    /// Added in v1 (TA 0.6).
    StorageRollback = 25,
    /// The TA was provisioned with `require_rollback_protection` and its
    /// storage is not rollback-protected (not RPMB): PIN, consent and
    /// usage-limited services are refused. Added in v1 (TA 0.6).
    RollbackUnprotected = 26,
}

impl Status {
    /// Every status, for tests and documentation.
    pub const ALL: [Status; 27] = [
        Status::Ok,
        Status::BadRequest,
        Status::UnsupportedVersion,
        Status::UnknownCommand,
        Status::ShortBuffer,
        Status::RequestTooLarge,
        Status::AccessDenied,
        Status::StorageFailure,
        Status::CryptoFailure,
        Status::AlreadyProvisioned,
        Status::InvalidArgument,
        Status::NotProvisioned,
        Status::Internal,
        Status::PinNotSet,
        Status::PinAlreadySet,
        Status::PinIncorrect,
        Status::PinBlocked,
        Status::PinThrottled,
        Status::PinSessionRequired,
        Status::PolicyViolation,
        Status::KeyNotFound,
        Status::KeyLimit,
        Status::BlobRejected,
        Status::KeyExists,
        Status::QuotaExceeded,
        Status::StorageRollback,
        Status::RollbackUnprotected,
    ];

    /// Short stable name (used in CLI JSON output and docs).
    pub const fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::BadRequest => "bad-request",
            Status::UnsupportedVersion => "unsupported-version",
            Status::UnknownCommand => "unknown-command",
            Status::ShortBuffer => "short-buffer",
            Status::RequestTooLarge => "request-too-large",
            Status::AccessDenied => "access-denied",
            Status::StorageFailure => "storage-failure",
            Status::CryptoFailure => "crypto-failure",
            Status::AlreadyProvisioned => "already-provisioned",
            Status::InvalidArgument => "invalid-argument",
            Status::NotProvisioned => "not-provisioned",
            Status::Internal => "internal",
            Status::PinNotSet => "pin-not-set",
            Status::PinAlreadySet => "pin-already-set",
            Status::PinIncorrect => "pin-incorrect",
            Status::PinBlocked => "pin-blocked",
            Status::PinThrottled => "pin-throttled",
            Status::PinSessionRequired => "pin-session-required",
            Status::PolicyViolation => "policy-violation",
            Status::KeyNotFound => "key-not-found",
            Status::KeyLimit => "key-limit",
            Status::BlobRejected => "blob-rejected",
            Status::KeyExists => "key-exists",
            Status::QuotaExceeded => "quota-exceeded",
            Status::StorageRollback => "storage-rollback",
            Status::RollbackUnprotected => "rollback-unprotected",
        }
    }
}

/// A status code this client does not know (a newer TA).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownStatus(pub u32);

impl TryFrom<u32> for Status {
    type Error = UnknownStatus;
    fn try_from(v: u32) -> Result<Self, Self::Error> {
        Status::ALL
            .iter()
            .copied()
            .find(|s| *s as u32 == v)
            .ok_or(UnknownStatus(v))
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn command_ids_round_trip_and_unknown_is_error() {
        for c in Command::ALL {
            assert_eq!(Command::try_from(c as u32), Ok(c));
        }
        for bad in [0u32, 3, 0x0001_0000, 0x0002_0001, u32::MAX] {
            assert_eq!(Command::try_from(bad), Err(UnknownCommand(bad)));
        }
    }

    #[test]
    fn command_names_are_distinct() {
        let mut names: heapless::Vec<&str, 32> = heapless::Vec::new();
        for c in Command::ALL {
            assert!(!names.contains(&c.name()), "{c:?}");
            assert!(
                c.name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-')
            );
            let _ = names.push(c.name());
        }
    }

    #[test]
    fn groups_follow_the_id_bits() {
        assert_eq!(Command::Ping.group(), Group::User);
        assert_eq!(Command::Info.group(), Group::User);
        assert_eq!(Command::Provision.group(), Group::Admin);
        assert_eq!(Command::Wipe.group(), Group::Admin);
        assert_eq!(Command::KeyGenerate.group(), Group::User);
        for c in [Command::PinSession, Command::PinSet, Command::PinUnblock] {
            assert_eq!(c.group(), Group::User);
        }
    }

    #[test]
    fn status_codes_are_stable_and_distinct() {
        // Wire values are a contract with deployed clients: never renumber.
        let expected: [(Status, u32); 27] = [
            (Status::Ok, 0),
            (Status::BadRequest, 1),
            (Status::UnsupportedVersion, 2),
            (Status::UnknownCommand, 3),
            (Status::ShortBuffer, 4),
            (Status::RequestTooLarge, 5),
            (Status::AccessDenied, 6),
            (Status::StorageFailure, 7),
            (Status::CryptoFailure, 8),
            (Status::AlreadyProvisioned, 9),
            (Status::InvalidArgument, 10),
            (Status::NotProvisioned, 11),
            (Status::Internal, 12),
            (Status::PinNotSet, 13),
            (Status::PinAlreadySet, 14),
            (Status::PinIncorrect, 15),
            (Status::PinBlocked, 16),
            (Status::PinThrottled, 17),
            (Status::PinSessionRequired, 18),
            (Status::PolicyViolation, 19),
            (Status::KeyNotFound, 20),
            (Status::KeyLimit, 21),
            (Status::BlobRejected, 22),
            (Status::KeyExists, 23),
            (Status::QuotaExceeded, 24),
            (Status::StorageRollback, 25),
            (Status::RollbackUnprotected, 26),
        ];
        for (s, v) in expected {
            assert_eq!(s as u32, v);
            assert_eq!(Status::try_from(v), Ok(s));
        }
        assert_eq!(Status::try_from(999), Err(UnknownStatus(999)));
        let mut names: heapless::Vec<&str, 32> = heapless::Vec::new();
        for s in Status::ALL {
            assert!(!names.contains(&s.name()));
            let _ = names.push(s.name());
        }
    }
}
