//! The exchange over real HTTP on loopback, in front of real bidder services.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

struct Service {
    addr: SocketAddr,
    _dir: Option<tempfile::TempDir>,
}

async fn start_bidder(id: &str, bid_cpm: f64) -> Service {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("campaigns.json");
    let campaigns = json!({"campaigns": [{
        "id": id, "seat": format!("seat-{id}"), "bid_cpm": bid_cpm, "budget": 10.0, "adomain": [format!("{id}.example")],
        "creative": {"id": format!("cr-{id}"), "format": "banner", "w": 300, "h": 250,
                     "adm": "<img src='https://ads.example/i.png?p=${AUCTION_PRICE}'>"}}]});
    std::fs::write(&path, campaigns.to_string()).unwrap();
    let settings = bidder::Settings::from_args(bidder::Args::parse_from([
        "bidder",
        "--campaigns",
        path.to_str().unwrap(),
        "--shading",
        "0.5",
    ]))
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(bidder::run(settings, listener, std::future::pending()));
    Service {
        addr,
        _dir: Some(dir),
    }
}

/// A peer that accepts connections and answers every request with `response` after `delay`.
async fn start_peer(response: &'static str, delay: Duration) -> Service {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    tokio::time::sleep(delay).await;
                    let msg = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{response}", response.len());
                    if s.write_all(msg.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Service { addr, _dir: None }
}

async fn start_exchange(bidders: &[(&str, SocketAddr)]) -> Service {
    start_exchange_with(bidders, &[]).await
}

async fn start_exchange_with(bidders: &[(&str, SocketAddr)], extra: &[&str]) -> Service {
    let mut argv = vec!["exchange".to_string(), "--margin-ms".into(), "10".into()];
    argv.extend(extra.iter().map(|a| a.to_string()));
    for (name, addr) in bidders {
        argv.push("--bidder".into());
        argv.push(format!("{name}=http://{addr}/openrtb2/bid"));
    }
    let settings = exchange::Settings::from_args(exchange::Args::parse_from(argv)).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(exchange::run(settings, listener, std::future::pending()));
    Service { addr, _dir: None }
}

async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, String) {
    let client = rtbhttp::pooled_client(2);
    let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
    let req = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .body(Full::new(body))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn metric(addr: SocketAddr, prefix: &str) -> f64 {
    let (_, text) = call(addr, "GET", "/metrics", None).await;
    text.lines()
        .find_map(|l| l.strip_prefix(prefix).map(|v| v.trim().parse().unwrap()))
        .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
}

/// Notices are fired in the background: poll until the metric reaches `want`.
async fn eventually(addr: SocketAddr, prefix: &str, want: f64) {
    for _ in 0..250 {
        if metric(addr, prefix).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(metric(addr, prefix).await, want, "{prefix}");
}

fn auction_request(at: u32, tmax: u32) -> Value {
    json!({"id": "auction-1", "at": at, "tmax": tmax, "imp": [{"id": "1", "bidfloor": 0.5, "banner": {"w": 300, "h": 250}}],
           "site": {"domain": "pub.example"}, "user": {"id": "u1"}})
}

#[tokio::test]
async fn second_price_auction_with_notices() {
    let (a, b, c) = (
        start_bidder("a", 2.0).await,
        start_bidder("b", 3.0).await,
        start_bidder("c", 5.0).await,
    );
    let ex = start_exchange(&[("a", a.addr), ("b", b.addr), ("c", c.addr)]).await;
    let (status, body) = call(
        ex.addr,
        "POST",
        exchange::AUCTION_PATH,
        Some(&auction_request(2, 2000)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let bid = &v["seatbid"][0]["bid"][0];
    assert_eq!(v["seatbid"][0]["seat"], "seat-c");
    let price = bid["price"].as_f64().unwrap();
    assert!(
        (price - 3.01).abs() < 1e-9,
        "runner-up 3.0 plus one increment, got {price}"
    );
    assert_eq!(
        bid["adm"], "<img src='https://ads.example/i.png?p=3.01'>",
        "macros filled in the markup"
    );
    assert!(
        bid.get("nurl").is_none(),
        "notices are the exchange's business"
    );
    eventually(c.addr, "bidder_notices_total{kind=\"win\"}", 1.0).await;
    eventually(c.addr, "bidder_notices_total{kind=\"bill\"}", 1.0).await;
    eventually(c.addr, "bidder_spend_usd_total", 0.00301).await;
    eventually(a.addr, "bidder_notices_total{kind=\"loss\"}", 1.0).await;
    eventually(b.addr, "bidder_notices_total{kind=\"loss\"}", 1.0).await;
    eventually(b.addr, "bidder_pending_bids", 0.0).await;
    eventually(ex.addr, "exchange_notices_total{result=\"sent\"}", 4.0).await;
}

#[tokio::test]
async fn first_price_pays_the_bid_and_unfilled_is_204() {
    let (a, b) = (start_bidder("a", 2.0).await, start_bidder("b", 3.0).await);
    let ex = start_exchange(&[("a", a.addr), ("b", b.addr)]).await;
    let (status, body) = call(
        ex.addr,
        "POST",
        exchange::AUCTION_PATH,
        Some(&auction_request(1, 2000)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["seatbid"][0]["bid"][0]["price"], 1.5,
        "bidder b shades 3.0 by 0.5 and pays it"
    );
    let mut unmatched = auction_request(1, 2000);
    unmatched["imp"][0]["banner"] = json!({"w": 1, "h": 1});
    assert_eq!(
        call(ex.addr, "POST", exchange::AUCTION_PATH, Some(&unmatched))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (status, body) = call(
        ex.addr,
        "POST",
        exchange::AUCTION_PATH,
        Some(&json!({"id": "x", "imp": []})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("imp"), "{body}");
}

#[tokio::test]
async fn a_bidder_slower_than_tmax_does_not_delay_the_answer() {
    let a = start_bidder("a", 2.0).await;
    let slow = start_peer("{}", Duration::from_secs(5)).await;
    let ex = start_exchange(&[("a", a.addr), ("slow", slow.addr)]).await;
    let t = Instant::now();
    let (status, _) = call(
        ex.addr,
        "POST",
        exchange::AUCTION_PATH,
        Some(&auction_request(2, 500)),
    )
    .await;
    let took = t.elapsed();
    assert_eq!(status, StatusCode::OK);
    // The slow bidder answers after 5 s; the exchange must not wait for it. How close the
    // answer lands to tmax is a timing figure, measured by `make bench-bidder` (share answered
    // inside tmax), not asserted here on a shared, noisy machine.
    assert!(
        took < Duration::from_millis(2_500),
        "answered in {took:?}: the exchange waited for the 5 s bidder instead of its 500 ms tmax"
    );
    assert_eq!(
        metric(
            ex.addr,
            "exchange_bidder_answers_total{bidder=\"slow\",outcome=\"late\"}"
        )
        .await,
        1.0
    );
}

#[tokio::test]
async fn invalid_bids_are_dropped() {
    // Unknown impid, then a valid-looking bid below the floor.
    let bad_imp = start_peer(
        r#"{"id":"auction-1","seatbid":[{"bid":[{"id":"x","impid":"9","price":9.0}]}]}"#,
        Duration::ZERO,
    )
    .await;
    let low = start_peer(
        r#"{"id":"auction-1","seatbid":[{"bid":[{"id":"y","impid":"1","price":0.1}]}]}"#,
        Duration::ZERO,
    )
    .await;
    let wrong_id = start_peer(
        r#"{"id":"other","seatbid":[{"bid":[{"id":"z","impid":"1","price":9.0}]}]}"#,
        Duration::ZERO,
    )
    .await;
    let ex = start_exchange(&[
        ("bad_imp", bad_imp.addr),
        ("low", low.addr),
        ("wrong_id", wrong_id.addr),
    ])
    .await;
    let (status, _) = call(
        ex.addr,
        "POST",
        exchange::AUCTION_PATH,
        Some(&auction_request(2, 2000)),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        metric(
            ex.addr,
            "exchange_bidder_answers_total{bidder=\"bad_imp\",outcome=\"invalid_bid\"}"
        )
        .await,
        1.0
    );
    assert_eq!(
        metric(
            ex.addr,
            "exchange_bidder_answers_total{bidder=\"low\",outcome=\"invalid_bid\"}"
        )
        .await,
        1.0
    );
    assert_eq!(
        metric(
            ex.addr,
            "exchange_bidder_answers_total{bidder=\"wrong_id\",outcome=\"failed\"}"
        )
        .await,
        1.0
    );
}

#[tokio::test]
async fn sheds_with_503_past_max_in_flight() {
    let slow = start_peer("{}", Duration::from_secs(5)).await;
    let ex = start_exchange_with(&[("slow", slow.addr)], &["--max-in-flight", "1"]).await;
    // This auction holds the only slot until its 2 s deadline.
    let addr = ex.addr;
    let busy = tokio::spawn(async move {
        call(
            addr,
            "POST",
            exchange::AUCTION_PATH,
            Some(&auction_request(2, 2000)),
        )
        .await
    });
    for _ in 0..250 {
        if metric(ex.addr, "exchange_in_flight").await == 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, _) = call(
        ex.addr,
        "POST",
        exchange::AUCTION_PATH,
        Some(&auction_request(2, 2000)),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        metric(ex.addr, "exchange_responses_total{outcome=\"shed\"}").await,
        1.0
    );
    assert_eq!(
        busy.await.unwrap().0,
        StatusCode::NO_CONTENT,
        "the slow bidder never answered in time"
    );
}
