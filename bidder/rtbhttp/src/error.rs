use hyper::StatusCode;
use thiserror::Error;

use crate::respond::{text, Body};

/// Why a request was refused before the service looked at it; each maps to a status code and a
/// one-line reason sent back as the body.
#[derive(Debug, Error)]
pub enum HttpError {
    #[error("request body exceeds the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("request body not received within {ms} ms")]
    BodyTimeout { ms: u128 },
    #[error("unsupported content-encoding {0:?}; use gzip, deflate or identity")]
    UnsupportedEncoding(String),
    #[error("unsupported content-type {0:?}; use application/json")]
    UnsupportedMediaType(String),
    #[error("body is not valid {encoding}: {reason}")]
    BadEncoding {
        encoding: &'static str,
        reason: String,
    },
    #[error("error reading request body: {0}")]
    Read(String),
    #[error("{0}")]
    BadRequest(String),
}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            HttpError::UnsupportedEncoding(_) | HttpError::UnsupportedMediaType(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            HttpError::BadEncoding { .. } | HttpError::Read(_) | HttpError::BadRequest(_) => {
                StatusCode::BAD_REQUEST
            }
        }
    }

    pub fn into_response(self) -> hyper::Response<Body> {
        text(self.status(), self.to_string())
    }
}
