//! Transactions signed with proof of consent, by feature. Only
//! re-exports: the record and the canonical signed bytes are defined in
//! [`crate::signed_tx`], amounts in [`crate::amount`], the `TxSign`
//! messages in [`crate::wire::tx`].

pub use crate::amount::{AMOUNT_TEXT_MAX_LEN, AmountText, format_amount, minor_units};
pub use crate::signed_tx::{
    AMOUNT_MAX, CHALLENGE_MIN_LEN, DISPLAY_MAX_LEN, DISPLAY_NOT_TRUSTED_UI, InvalidRecord,
    PAYEE_MAX_LEN, SIGNED_TX_MAX_LEN, SignedTx, TX_CHALLENGE_MAX_LEN, TX_TAG, TxRecord,
    VERIFICATION_STATEMENT, VERIFIED_PIN_IN_TA, canonical_display,
};
pub use crate::wire::tx::{TxSignReply, TxSignRequest};
