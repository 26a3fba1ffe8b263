//! The event log, by feature: the change-proof chain (entries, signed
//! head, offline check) and its messages. Only re-exports: the byte
//! formats and [`verify_chain`] are defined in [`crate::chain`], the
//! `LogRead` / `LogHead` messages in [`crate::wire::log`].

pub use crate::chain::{
    ChainError, ChainItem, DETAILS_MAX_LEN, ENTRY_LEN, ENTRY_VERSION, Entry, EventKind,
    HEAD_MAX_LEN, HEAD_TAG, Hash, Head, LOG_CHALLENGE_MAX_LEN, RefusalClass, sha256, verify_chain,
};
pub use crate::wire::log::{
    LOG_PAGE, LogEntryWire, LogHeadReply, LogHeadRequest, LogReadReply, LogReadRequest,
};
