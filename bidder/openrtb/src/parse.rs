use serde::Deserialize;

use crate::error::ParseError;
use crate::request::BidRequest;
use crate::response::BidResponse;

/// Parses a bid request borrowing from `body`.
pub fn parse_request(body: &[u8]) -> Result<BidRequest<'_>, ParseError> {
    parse(body)
}

/// Parses a bid response borrowing from `body`.
pub fn parse_response(body: &[u8]) -> Result<BidResponse<'_>, ParseError> {
    parse(body)
}

/// Parses on the fast path; only a failing body is parsed a second time with path tracking, so
/// the error can name the field without slowing down every good request.
fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ParseError> {
    match serde_json::from_slice(body) {
        Ok(v) => Ok(v),
        Err(plain) => {
            let mut de = serde_json::Deserializer::from_slice(body);
            match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => Err(ParseError {
                    path: path_or_root(e.path().to_string()),
                    message: e.into_inner().to_string(),
                }),
                Ok(_) => Err(ParseError {
                    path: "$".into(),
                    message: plain.to_string(),
                }),
            }
        }
    }
}

fn path_or_root(path: String) -> String {
    if path == "." || path.is_empty() {
        "$".into()
    } else {
        path
    }
}
