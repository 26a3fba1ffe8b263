//! The TA's event log: the signed head, pages of entries, and a whole
//! export checked with [`crate::verify::log`] before it is returned.

use mfs_proto::log::{Entry, EventKind, Head, LOG_CHALLENGE_MAX_LEN, sha256};
use mfs_proto::{
    Command, LogHeadReply, LogHeadRequest, LogReadReply, LogReadRequest, PROTOCOL_CURRENT,
    hex_string,
};

use super::{Client, unhex};
use crate::error::{Error, InputError};
use crate::transport::Transport;
use crate::verify::log::{EXPORT_FORMAT, Export, Signer, exported, verify_export};

/// Most entries [`Client::log_export`] reads into one export. The TA
/// retains at most 1,024 (8 segments of 128, `docs/ta-interface.md`); the
/// limit leaves room for a TA built with a longer log, and bounds what a
/// lying TA can make this client read and hold (about 2 MB of entries).
pub const EXPORT_MAX_ENTRIES: u64 = 4096;

impl<T: Transport> Client<T> {
    /// The event log's head, signed by the TA.
    pub fn log_head(&mut self, challenge: &[u8]) -> Result<LogHeadReply, Error> {
        if challenge.len() > LOG_CHALLENGE_MAX_LEN {
            return Err(Error::Input(InputError::ChallengeTooLong));
        }
        let req = LogHeadRequest {
            v: PROTOCOL_CURRENT,
            challenge: hex_string(challenge)
                .map_err(|_| Error::Input(InputError::ChallengeTooLong))?,
        };
        self.call(Command::LogHead, &req)
    }

    /// One page of log entries from `from`.
    pub fn log_read(&mut self, from: u64) -> Result<LogReadReply, Error> {
        self.call(
            Command::LogRead,
            &LogReadRequest {
                v: PROTOCOL_CURRENT,
                from,
            },
        )
    }

    /// The whole retained log with a signed head over `challenge`, checked
    /// (chain, signature and challenge) before it is returned. The signer
    /// is not pinned here: a relying party checks the export against the
    /// TA attestation key it pinned ([`crate::log::verify_export`] with
    /// [`Signer::Pinned`]).
    ///
    /// The TA's replies are not trusted to end the loop: the head may
    /// cover at most [`EXPORT_MAX_ENTRIES`] entries ([`Error::ReplyLimit`]
    /// otherwise), every page must start at the seq asked for and carry
    /// consecutive seqs, and every page must bring at least one entry of
    /// the head's range ([`Error::BadReply`] otherwise). So an export
    /// makes at most `EXPORT_MAX_ENTRIES + 1` calls, whatever the TA
    /// answers.
    pub fn log_export(&mut self, challenge: &[u8]) -> Result<Export, Error> {
        let head = self.log_head(challenge)?;
        let h = Head::decode(&unhex(&head.statement)?).ok_or(Error::BadReply)?;
        // `Head::decode` guarantees first <= next; checked all the same.
        let count = h.next_seq.checked_sub(h.first_seq).ok_or(Error::BadReply)?;
        if count > EXPORT_MAX_ENTRIES {
            return Err(Error::ReplyLimit);
        }
        let mut entries =
            Vec::with_capacity(usize::try_from(count).map_err(|_| Error::ReplyLimit)?);
        let mut prev = h.checkpoint;
        // The seqs still to read, in order: each entry read takes the
        // next one, so the loop ends after at most `count` entries.
        let mut want = (h.first_seq..h.next_seq).peekable();
        while let Some(&from) = want.peek() {
            let page = self.log_read(from)?;
            // The log rolled over while being read (the head no longer
            // describes what the TA holds), or the TA went back on the
            // head it signed.
            if page.first > from || page.next < h.next_seq {
                return Err(Error::BadReply);
            }
            let mut progress = false;
            for w in &page.entries {
                // Entries past the head's range (appended since) are not
                // part of this export.
                let Some(seq) = want.next() else { break };
                // Every entry continues the sequence from `from`.
                if w.seq != seq {
                    return Err(Error::BadReply);
                }
                let kind = EventKind::from_u8(w.kind).ok_or(Error::BadReply)?;
                // The admin gets the details; anyone else their hash.
                let (details, details_hash) = match (&w.details, &w.details_hash) {
                    (Some(d), None) => {
                        let d = unhex(d)?;
                        let h = sha256(&[&d]);
                        (Some(d), h)
                    }
                    (None, Some(h)) => {
                        let h = unhex(h)?.try_into().map_err(|_| Error::BadReply)?;
                        (None, h)
                    }
                    _ => return Err(Error::BadReply),
                };
                let e = Entry {
                    seq: w.seq,
                    time: w.time,
                    kind,
                    details_hash,
                    prev,
                };
                prev = e.hash();
                entries.push(exported(&e, details.as_deref()));
                progress = true;
            }
            // A page that brings nothing of the range would be asked for
            // again and again.
            if !progress {
                return Err(Error::BadReply);
            }
        }
        let x = Export {
            format: EXPORT_FORMAT.to_string(),
            head,
            entries,
        };
        verify_export(&x, Signer::AnyKey, Some(challenge)).map_err(Error::Log)?;
        Ok(x)
    }
}
