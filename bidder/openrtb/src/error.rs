use thiserror::Error;

/// A body that is not an OpenRTB document; `path` names the offending field (e.g. `imp[0].banner.w`).
#[derive(Debug, Error)]
#[error("invalid JSON at {path}: {message}")]
pub struct ParseError {
    pub path: String,
    pub message: String,
}

/// A well-formed document that breaks a rule of the spec; `field` names the offending field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    pub field: String,
    pub reason: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ValidationError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
