//! OpenRTB 2.6 model.
//!
//! Requests deserialize borrowing from the caller's buffer (`Cow<'a, str>` falls back to an owned
//! string only when JSON escapes force it), unknown fields are ignored and every `ext` is kept as
//! raw JSON so it can be forwarded untouched.

mod error;
pub mod macros;
mod parse;
pub mod request;
pub mod response;
mod validate;
pub mod version;

pub use error::{ParseError, ValidationError};
pub use parse::{parse_request, parse_response};
pub use request::*;
pub use response::*;
pub use validate::{validate_request, validate_response_against};
