//! The TA's event log: the signed head, pages of entries, and a whole
//! export checked with [`crate::verify::log`] before it is returned.

use mfs_proto::log::{Entry, EventKind, Head, LOG_CHALLENGE_MAX_LEN, sha256};
use mfs_proto::{
    Command, LogHeadReply, LogHeadRequest, LogReadReply, LogReadRequest, PROTOCOL_CURRENT,
    hex_string,
};

use super::{Client, unhex};
use crate::error::Error;
use crate::transport::Transport;
use crate::verify::log::{EXPORT_FORMAT, Export, exported, verify_export};

impl<T: Transport> Client<T> {
    /// The event log's head, signed by the TA.
    pub fn log_head(&mut self, challenge: &[u8]) -> Result<LogHeadReply, Error> {
        if challenge.len() > LOG_CHALLENGE_MAX_LEN {
            return Err(Error::Input);
        }
        let req = LogHeadRequest {
            v: PROTOCOL_CURRENT,
            challenge: hex_string(challenge).map_err(|_| Error::Input)?,
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
    /// (chain and signature) before it is returned.
    pub fn log_export(&mut self, challenge: &[u8]) -> Result<Export, Error> {
        let head = self.log_head(challenge)?;
        let h = Head::decode(&unhex(&head.statement)?).ok_or(Error::BadReply)?;
        let mut entries = Vec::new();
        let mut prev = h.checkpoint;
        let mut from = h.first_seq;
        while from < h.next_seq {
            let page = self.log_read(from)?;
            // The log rolled over while being read: the head no longer
            // describes what the TA holds.
            if page.first > from || page.entries.is_empty() {
                return Err(Error::BadReply);
            }
            for w in page.entries.iter().take_while(|w| w.seq < h.next_seq) {
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
                from = w.seq + 1;
            }
        }
        let x = Export {
            format: EXPORT_FORMAT.to_string(),
            head,
            entries,
        };
        verify_export(&x, None, Some(challenge)).map_err(Error::Log)?;
        Ok(x)
    }
}
