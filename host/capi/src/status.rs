//! The TA's status codes as C constants (`mfs_error.ta_status`), one per
//! `mfs_proto::Status`; `docs/ta-interface.md` defines each and its detail.

/// `ok`.
pub const MFS_STATUS_OK: u32 = 0;
/// `bad-request`.
pub const MFS_STATUS_BAD_REQUEST: u32 = 1;
/// `unsupported-version`.
pub const MFS_STATUS_UNSUPPORTED_VERSION: u32 = 2;
/// `unknown-command`.
pub const MFS_STATUS_UNKNOWN_COMMAND: u32 = 3;
/// `short-buffer`.
pub const MFS_STATUS_SHORT_BUFFER: u32 = 4;
/// `request-too-large`.
pub const MFS_STATUS_REQUEST_TOO_LARGE: u32 = 5;
/// `access-denied`.
pub const MFS_STATUS_ACCESS_DENIED: u32 = 6;
/// `storage-failure`.
pub const MFS_STATUS_STORAGE_FAILURE: u32 = 7;
/// `crypto-failure`.
pub const MFS_STATUS_CRYPTO_FAILURE: u32 = 8;
/// `already-provisioned`.
pub const MFS_STATUS_ALREADY_PROVISIONED: u32 = 9;
/// `invalid-argument`.
pub const MFS_STATUS_INVALID_ARGUMENT: u32 = 10;
/// `not-provisioned`.
pub const MFS_STATUS_NOT_PROVISIONED: u32 = 11;
/// `internal`.
pub const MFS_STATUS_INTERNAL: u32 = 12;
/// `pin-not-set`.
pub const MFS_STATUS_PIN_NOT_SET: u32 = 13;
/// `pin-already-set`.
pub const MFS_STATUS_PIN_ALREADY_SET: u32 = 14;
/// `pin-incorrect`.
pub const MFS_STATUS_PIN_INCORRECT: u32 = 15;
/// `pin-blocked`.
pub const MFS_STATUS_PIN_BLOCKED: u32 = 16;
/// `pin-throttled`.
pub const MFS_STATUS_PIN_THROTTLED: u32 = 17;
/// `pin-session-required`.
pub const MFS_STATUS_PIN_SESSION_REQUIRED: u32 = 18;
/// `policy-violation`.
pub const MFS_STATUS_POLICY_VIOLATION: u32 = 19;
/// `key-not-found`.
pub const MFS_STATUS_KEY_NOT_FOUND: u32 = 20;
/// `key-limit`.
pub const MFS_STATUS_KEY_LIMIT: u32 = 21;
/// `blob-rejected`.
pub const MFS_STATUS_BLOB_REJECTED: u32 = 22;
/// `key-exists`.
pub const MFS_STATUS_KEY_EXISTS: u32 = 23;
/// `quota-exceeded`.
pub const MFS_STATUS_QUOTA_EXCEEDED: u32 = 24;
/// `storage-rollback`.
pub const MFS_STATUS_STORAGE_ROLLBACK: u32 = 25;
/// `rollback-unprotected`.
pub const MFS_STATUS_ROLLBACK_UNPROTECTED: u32 = 26;

#[cfg(test)]
mod test {
    use mfs_proto::Status;

    /// Every TA status has its constant, with the status's value and name.
    #[test]
    fn constants_match_the_protocol() {
        let ours = [
            (super::MFS_STATUS_OK, "ok"),
            (super::MFS_STATUS_BAD_REQUEST, "bad-request"),
            (super::MFS_STATUS_UNSUPPORTED_VERSION, "unsupported-version"),
            (super::MFS_STATUS_UNKNOWN_COMMAND, "unknown-command"),
            (super::MFS_STATUS_SHORT_BUFFER, "short-buffer"),
            (super::MFS_STATUS_REQUEST_TOO_LARGE, "request-too-large"),
            (super::MFS_STATUS_ACCESS_DENIED, "access-denied"),
            (super::MFS_STATUS_STORAGE_FAILURE, "storage-failure"),
            (super::MFS_STATUS_CRYPTO_FAILURE, "crypto-failure"),
            (super::MFS_STATUS_ALREADY_PROVISIONED, "already-provisioned"),
            (super::MFS_STATUS_INVALID_ARGUMENT, "invalid-argument"),
            (super::MFS_STATUS_NOT_PROVISIONED, "not-provisioned"),
            (super::MFS_STATUS_INTERNAL, "internal"),
            (super::MFS_STATUS_PIN_NOT_SET, "pin-not-set"),
            (super::MFS_STATUS_PIN_ALREADY_SET, "pin-already-set"),
            (super::MFS_STATUS_PIN_INCORRECT, "pin-incorrect"),
            (super::MFS_STATUS_PIN_BLOCKED, "pin-blocked"),
            (super::MFS_STATUS_PIN_THROTTLED, "pin-throttled"),
            (
                super::MFS_STATUS_PIN_SESSION_REQUIRED,
                "pin-session-required",
            ),
            (super::MFS_STATUS_POLICY_VIOLATION, "policy-violation"),
            (super::MFS_STATUS_KEY_NOT_FOUND, "key-not-found"),
            (super::MFS_STATUS_KEY_LIMIT, "key-limit"),
            (super::MFS_STATUS_BLOB_REJECTED, "blob-rejected"),
            (super::MFS_STATUS_KEY_EXISTS, "key-exists"),
            (super::MFS_STATUS_QUOTA_EXCEEDED, "quota-exceeded"),
            (super::MFS_STATUS_STORAGE_ROLLBACK, "storage-rollback"),
            (
                super::MFS_STATUS_ROLLBACK_UNPROTECTED,
                "rollback-unprotected",
            ),
        ];
        assert_eq!(ours.len(), Status::ALL.len());
        for (s, (value, name)) in Status::ALL.iter().zip(ours) {
            assert_eq!(*s as u32, value);
            assert_eq!(s.name(), name);
        }
    }
}
