//! Sending one bid request to every bidder at once over pooled keep-alive connections, and
//! keeping only what comes back before the deadline.

use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, StatusCode, Uri};
use rtbhttp::PooledClient;
use tokio::task::JoinSet;

#[derive(Debug, Clone)]
pub struct BidderTarget {
    pub name: String,
    pub uri: Uri,
}

/// What one bidder did within the deadline.
#[derive(Debug)]
pub enum Answer {
    Bids(Bytes),
    NoBid,
    Late,
    Failed(String),
}

/// Calls every bidder in parallel; each call is abandoned at `deadline`. Answers come back in
/// bidder order.
pub async fn call_all(
    client: &PooledClient,
    bidders: &[BidderTarget],
    body: Bytes,
    deadline: Instant,
    max_response_bytes: usize,
) -> Vec<Answer> {
    let mut set = JoinSet::new();
    for (i, b) in bidders.iter().enumerate() {
        let (client, uri, body) = (client.clone(), b.uri.clone(), body.clone());
        set.spawn(async move {
            let answer = tokio::time::timeout_at(
                deadline.into(),
                call(&client, uri, body, max_response_bytes),
            )
            .await
            .unwrap_or(Answer::Late);
            (i, answer)
        });
    }
    let mut answers: Vec<Answer> = bidders.iter().map(|_| Answer::Late).collect();
    while let Some(joined) = set.join_next().await {
        if let Ok((i, answer)) = joined {
            answers[i] = answer;
        }
    }
    answers
}

async fn call(client: &PooledClient, uri: Uri, body: Bytes, max_bytes: usize) -> Answer {
    let mut req = Request::post(uri)
        .body(Full::new(body))
        .expect("valid request parts");
    let headers = req.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        openrtb::version::HEADER,
        HeaderValue::from_static(openrtb::version::CURRENT),
    );
    let resp = match client.request(req).await {
        Ok(r) => r,
        Err(e) => return Answer::Failed(e.to_string()),
    };
    match resp.status() {
        StatusCode::NO_CONTENT => Answer::NoBid,
        StatusCode::OK => match Limited::new(resp.into_body(), max_bytes).collect().await {
            Ok(c) => Answer::Bids(c.to_bytes()),
            Err(e) => Answer::Failed(format!("reading response: {e}")),
        },
        other => Answer::Failed(format!("status {other}")),
    }
}
