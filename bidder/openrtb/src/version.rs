//! The `x-openrtb-version` header.

use crate::error::ValidationError;

pub const HEADER: &str = "x-openrtb-version";
/// The version this crate speaks, sent on every response.
pub const CURRENT: &str = "2.6";

/// Accepts a missing header or any 2.x version (2.x is backwards compatible); rejects others.
pub fn check(header: Option<&[u8]>) -> Result<(), ValidationError> {
    let Some(raw) = header else { return Ok(()) };
    let v = std::str::from_utf8(raw).unwrap_or("").trim();
    let mut parts = v.split('.');
    let major = parts.next();
    let minor_ok = parts
        .next()
        .is_none_or(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()));
    if major == Some("2") && minor_ok && parts.next().is_none() {
        Ok(())
    } else {
        Err(ValidationError::new(
            HEADER,
            format!("unsupported OpenRTB version {v:?}; this service speaks 2.x"),
        ))
    }
}
