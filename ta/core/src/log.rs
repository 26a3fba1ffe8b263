//! Event-log commands: `LogRead` (a page of entries) and `LogHead` (the
//! head statement, signed with the TA's attestation key). The log itself
//! is kept by `crate::audit`.
//!
//! # Who reads what
//!
//! The log is one chain for the device. Most entries record no client,
//! but the PIN entries (`pin-verified`, `pin-failed`, `pin-blocked`,
//! `pin-changed`, `pin-interrupted`) carry the 8-byte owner tag of the PIN
//! record they concern. The admin identity reads every entry with its
//! details; every other client (PUBLIC and group logins read nothing) gets
//! each entry's seq, time, kind and the SHA-256 of its details instead of
//! the details — enough to verify the whole chain and the signed head, not
//! which keys were used, made or deleted, or which transaction counters
//! and hashes were signed. (A PIN entry's details have few possible
//! values, so their hash can be inverted by trying them.)

use mfs_proto::log::{LOG_CHALLENGE_MAX_LEN, LOG_PAGE, LogEntryWire};
use mfs_proto::{
    LogHeadReply, LogHeadRequest, LogReadReply, LogReadRequest, hex_prefix, hex_string,
};

use crate::access::Caller;
use crate::audit;
use crate::crypto::sig_hex;
use crate::error::Error;
use crate::platform::Platform;
use crate::signer;
use crate::state::Instance;
use crate::store::config::Config;

/// `LogRead`: one page of entries, with details for the admin and details
/// hashes for every other caller.
pub fn read_page(
    p: &mut impl Platform,
    inst: &mut Instance,
    caller: &Caller,
    req: &LogReadRequest,
) -> Result<LogReadReply, Error> {
    let (first, next, entries) = audit::read(p, &mut inst.log, req.from, LOG_PAGE)?;
    let mut page = heapless::Vec::new();
    for (e, details) in entries {
        let (details, details_hash) = if caller.admin {
            (
                Some(hex_string(&details).map_err(|_| Error::Internal)?),
                None,
            )
        } else {
            let h = hex_string(&e.details_hash).map_err(|_| Error::Internal)?;
            (None, Some(h))
        };
        page.push(LogEntryWire {
            seq: e.seq,
            time: e.time,
            kind: e.kind as u8,
            details,
            details_hash,
        })
        .map_err(|_| Error::Internal)?;
    }
    Ok(LogReadReply {
        first,
        next,
        entries: page,
    })
}

/// `LogHead`: the head statement, signed with the TA's attestation key.
pub fn signed_head(
    p: &mut impl Platform,
    inst: &mut Instance,
    req: &LogHeadRequest,
) -> Result<LogHeadReply, Error> {
    let mut buf = [0u8; LOG_CHALLENGE_MAX_LEN];
    let challenge = hex_prefix(&req.challenge, &mut buf).ok_or(Error::BadRequest)?;
    Config::require(p)?;
    let head = audit::head(p, &mut inst.log, challenge)?;
    let statement = head.encode().ok_or(Error::Internal)?;
    let kek = inst.kek.get(p)?;
    let (sig, key) = signer::sign_statement(p, kek, &statement)?;
    Ok(LogHeadReply {
        statement: hex_string(&statement).map_err(|_| Error::Internal)?,
        signature: sig_hex(&sig)?,
        attestation_key: hex_string(&key).map_err(|_| Error::Internal)?,
    })
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::audit::Event;
    use crate::mem::MemPlatform;
    use crate::testkit::{ME, OTHER};

    #[test]
    fn read_page_encodes_a_page() {
        let mut p = MemPlatform::new();
        let mut inst = Instance::default();
        for i in 0..130u64 {
            crate::journal::append(
                &mut p,
                &mut inst.log,
                &[Event::key_used(&i.to_be_bytes(), 1, 7)],
            )
            .unwrap();
        }
        let req = LogReadRequest { v: 1, from: 0 };
        let reply = read_page(&mut p, &mut inst, &ME, &req).unwrap();
        assert_eq!(reply.entries.len(), LOG_PAGE);
        assert_eq!(
            reply.entries[0].details.as_deref(),
            Some("00000000000000000100000007")
        );
        assert_eq!(reply.entries[0].details_hash, None);
        let mut out = [0u8; mfs_proto::MAX_REPLY_LEN];
        mfs_proto::encode(&reply, &mut out).unwrap();
        // any other client: the details hash instead of the details
        let other = read_page(&mut p, &mut inst, &OTHER, &req).unwrap();
        let d = mfs_proto::hex_bytes::<13>("00000000000000000100000007").unwrap();
        let h = mfs_proto::log::sha256(&[&d]);
        assert_eq!(other.entries[0].details, None);
        assert_eq!(
            other.entries[0].details_hash.as_deref(),
            Some(mfs_proto::hex_string::<64>(&h).unwrap().as_str())
        );
        assert_eq!(
            (other.first, other.next, other.entries.len()),
            (reply.first, reply.next, reply.entries.len())
        );
        mfs_proto::encode(&other, &mut out).unwrap();
    }
}
