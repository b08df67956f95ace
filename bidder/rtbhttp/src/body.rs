use std::io::Read;
use std::time::Duration;

use bytes::Bytes;
use flate2::read::{GzDecoder, ZlibDecoder};
use http_body_util::{BodyExt, Limited};
use hyper::body::Body;
use hyper::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::HeaderMap;

use crate::error::HttpError;

/// Bounds on what a client may send: bytes on the wire and after decompression, and the time
/// allowed for the whole body to arrive once the headers are in.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    pub timeout: Duration,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            max_bytes: 256 * 1024,
            timeout: Duration::from_millis(500),
        }
    }
}

/// Reads and decodes a JSON request body, refusing oversize (413), slow (408), non-JSON (415),
/// unknown encodings (415) and corrupt compressed data (400) before anything is parsed.
pub async fn read_body<B>(
    headers: &HeaderMap,
    body: B,
    limits: BodyLimits,
) -> Result<Bytes, HttpError>
where
    B: Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    check_content_type(headers)?;
    let encoding = encoding(headers)?;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limits.max_bytes) {
        return Err(HttpError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    let collected = tokio::time::timeout(
        limits.timeout,
        Limited::new(body, limits.max_bytes).collect(),
    )
    .await
    .map_err(|_| HttpError::BodyTimeout {
        ms: limits.timeout.as_millis(),
    })?;
    let raw = match collected {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(HttpError::TooLarge {
                limit: limits.max_bytes,
            })
        }
        Err(e) => return Err(HttpError::Read(e.to_string())),
    };
    match encoding {
        Encoding::Identity => Ok(raw),
        Encoding::Gzip => inflate(GzDecoder::new(&raw[..]), "gzip", limits.max_bytes),
        Encoding::Deflate => inflate(ZlibDecoder::new(&raw[..]), "deflate", limits.max_bytes),
    }
}

enum Encoding {
    Identity,
    Gzip,
    Deflate,
}

fn encoding(headers: &HeaderMap) -> Result<Encoding, HttpError> {
    let Some(v) = headers.get(CONTENT_ENCODING) else {
        return Ok(Encoding::Identity);
    };
    let s = v.to_str().unwrap_or("").trim();
    if s.eq_ignore_ascii_case("gzip") || s.eq_ignore_ascii_case("x-gzip") {
        Ok(Encoding::Gzip)
    } else if s.eq_ignore_ascii_case("deflate") {
        Ok(Encoding::Deflate)
    } else if s.is_empty() || s.eq_ignore_ascii_case("identity") {
        Ok(Encoding::Identity)
    } else {
        Err(HttpError::UnsupportedEncoding(
            String::from_utf8_lossy(v.as_bytes()).into_owned(),
        ))
    }
}

fn check_content_type(headers: &HeaderMap) -> Result<(), HttpError> {
    let Some(v) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = v
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    let json = essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case("text/json")
        || essence.to_ascii_lowercase().ends_with("+json");
    if json {
        Ok(())
    } else {
        Err(HttpError::UnsupportedMediaType(
            String::from_utf8_lossy(v.as_bytes()).into_owned(),
        ))
    }
}

/// Decompresses at most `limit` bytes so a small zip bomb cannot exhaust memory.
fn inflate(decoder: impl Read, encoding: &'static str, limit: usize) -> Result<Bytes, HttpError> {
    let mut out = Vec::new();
    decoder
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| HttpError::BadEncoding {
            encoding,
            reason: e.to_string(),
        })?;
    if out.len() > limit {
        return Err(HttpError::TooLarge { limit });
    }
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use http_body_util::Full;
    use hyper::header::HeaderValue;
    use hyper::StatusCode;
    use std::io::Write;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    async fn read(
        h: &[(&'static str, &'static str)],
        body: Vec<u8>,
        max: usize,
    ) -> Result<Bytes, HttpError> {
        let limits = BodyLimits {
            max_bytes: max,
            timeout: Duration::from_secs(1),
        };
        read_body(&headers(h), Full::new(Bytes::from(body)), limits).await
    }

    #[tokio::test]
    async fn plain_and_gzip_bodies_decode() {
        let plain = read(&[("content-type", "application/json")], b"{}".to_vec(), 10)
            .await
            .unwrap();
        assert_eq!(&plain[..], b"{}");
        let z = read(&[("content-encoding", "gzip")], gzip(b"{\"id\":1}"), 100)
            .await
            .unwrap();
        assert_eq!(&z[..], b"{\"id\":1}");
    }

    #[tokio::test]
    async fn refusals_carry_the_right_status() {
        type Case = (Vec<(&'static str, &'static str)>, Vec<u8>, StatusCode);
        let cases: Vec<Case> = vec![
            (vec![], vec![b'x'; 11], StatusCode::PAYLOAD_TOO_LARGE),
            (
                vec![("content-length", "999")],
                vec![],
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            (
                vec![("content-encoding", "br")],
                b"{}".to_vec(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                vec![("content-type", "text/html")],
                b"{}".to_vec(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                vec![("content-encoding", "gzip")],
                b"not gzip".to_vec(),
                StatusCode::BAD_REQUEST,
            ),
            (
                vec![("content-encoding", "gzip")],
                gzip(&[b' '; 1000]),
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
        ];
        for (h, body, status) in cases {
            let err = read(&h, body, 10).await.unwrap_err();
            assert_eq!(err.status(), status, "{h:?}: {err}");
        }
    }
}
