//! What every message shares: the version [`Header`] read before the
//! rest, the version-only [`EmptyRequest`], the hex text types of fixed
//! byte strings, and [`EnumField`], how a request carries an enum value.
//!
//! Depends on [`crate::types`] and [`crate::pin`] (sizes only).

use core::fmt;
use core::marker::PhantomData;

use heapless::String;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::pin::PIN_BLOCK_LEN;
use crate::types::{DER_SIGNATURE_MAX_LEN, EC_POINT_LEN, KEY_ID_LEN};

/// The part of every request that is read first: the protocol version.
/// Other fields are ignored at this stage.
#[derive(Debug, Deserialize)]
pub struct Header {
    /// Protocol version the request was written for.
    pub v: u16,
}

/// A request with no field but the version ([`crate::Command::Info`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyRequest {
    /// Protocol version.
    pub v: u16,
}

/// Hex text of a SEC1 uncompressed P-256 public key (65 bytes).
pub type EcPointHex = String<{ 2 * EC_POINT_LEN }>;
/// Hex text of a format 4 PIN block.
pub type PinBlockHex = String<{ 2 * PIN_BLOCK_LEN }>;
/// Hex text of a key id.
pub type KeyIdHex = String<{ 2 * KEY_ID_LEN }>;
/// Hex text of a DER ECDSA signature.
pub type SignatureHex = String<{ 2 * DER_SIGNATURE_MAX_LEN }>;

/// An enum-valued request field as the TA parses it: one of `T`'s JSON
/// names, or any other string. A non-string is a malformed request
/// ([`crate::Status::BadRequest`]); a well-formed string outside the enum
/// parses as [`EnumField::Unknown`] and the TA answers
/// [`crate::Status::InvalidArgument`] ("a well-formed value out of its
/// range"), the same rule as for a number out of its range. Parse only:
/// clients send the enum itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumField<T> {
    /// One of the enum's names.
    Known(T),
    /// A string that names no value of the enum.
    Unknown,
}

impl<T> EnumField<T> {
    /// The value, if the string named one.
    pub fn known(self) -> Option<T> {
        match self {
            EnumField::Known(v) => Some(v),
            EnumField::Unknown => None,
        }
    }
}

impl<T> From<T> for EnumField<T> {
    fn from(v: T) -> Self {
        EnumField::Known(v)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for EnumField<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name<T>(PhantomData<T>);
        impl<T: DeserializeOwned> Visitor<'_> for Name<T> {
            type Value = EnumField<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<EnumField<T>, E> {
                // The enum's own (derived) names decide, so there is no
                // second list of names to keep in step.
                let name = de::value::StrDeserializer::<de::value::Error>::new(s);
                Ok(T::deserialize(name).map_or(EnumField::Unknown, EnumField::Known))
            }
        }
        d.deserialize_str(Name(PhantomData))
    }
}
