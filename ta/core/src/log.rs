//! Event-log commands: `LogRead` (a page of entries) and `LogHead` (the
//! head statement, signed with the TA's attestation key). The log itself
//! is kept by `crate::audit`.

use mfs_proto::log::{LOG_CHALLENGE_MAX_LEN, LOG_PAGE, LogEntryWire};
use mfs_proto::{
    LogHeadReply, LogHeadRequest, LogReadReply, LogReadRequest, hex_prefix, hex_string,
};

use crate::audit;
use crate::crypto::sig_hex;
use crate::error::Error;
use crate::platform::Platform;
use crate::signer;
use crate::state::Instance;
use crate::store::config::Config;

/// `LogRead`: one page of entries.
pub fn read_page(
    p: &mut impl Platform,
    inst: &mut Instance,
    req: &LogReadRequest,
) -> Result<LogReadReply, Error> {
    let (first, next, entries) = audit::read(p, &mut inst.log, req.from, LOG_PAGE)?;
    let mut page = heapless::Vec::new();
    for (e, details) in entries {
        page.push(LogEntryWire {
            seq: e.seq,
            time: e.time,
            kind: e.kind as u8,
            details: hex_string(&details).map_err(|_| Error::Internal)?,
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

    #[test]
    fn read_page_encodes_a_page() {
        let mut p = MemPlatform::new();
        let mut inst = Instance::default();
        for i in 0..130u64 {
            audit::append(
                &mut p,
                &mut inst.log,
                &[Event::key_used(&i.to_be_bytes(), 1, 7)],
            )
            .unwrap();
        }
        let reply = read_page(&mut p, &mut inst, &LogReadRequest { v: 1, from: 0 }).unwrap();
        assert_eq!(reply.entries.len(), LOG_PAGE);
        assert_eq!(
            reply.entries[0].details.as_str(),
            "00000000000000000100000007"
        );
        let mut out = [0u8; mfs_proto::MAX_REPLY_LEN];
        mfs_proto::encode(&reply, &mut out).unwrap();
    }
}
