//! Vietnamese codes as validated types: parsed once at the edge, never passed around as raw
//! strings. Each type serialises as its canonical text.

mod agency;
mod person;
mod procedure;

pub use agency::{AgencyCode, AgencyLevel, QcvnAgencyCode};
pub use person::{CitizenId, TaxCode};
pub use procedure::{DossierCode, FieldCode, ProcedureCode, UnitCode};

/// Why a code was refused; the message names the rule, in Vietnamese then English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodeError(pub String);

/// Implements the common traits of a validated code newtype whose inner field is `String`
/// and which has `fn parse(&str) -> Result<Self, CodeError>`.
macro_rules! code_type {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::str::FromStr for $name {
            type Err = $crate::codes::CodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
        impl From<$name> for String {
            fn from(c: $name) -> String {
                c.0
            }
        }
    };
}
pub(crate) use code_type;

pub(crate) fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}
