//! The bidder over real HTTP on loopback: bids, no-bids, refusals, notices, budgets, caps,
//! reloads, deadlines, shedding and graceful shutdown.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bidder::{Args, Settings, BID_PATH};
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

struct Running {
    addr: SocketAddr,
    campaigns: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

fn campaign(id: &str, w: u32, h: u32) -> Value {
    json!({
        "id": id, "seat": format!("seat-{id}"), "bid_cpm": 2.0, "budget": 100.0,
        "adomain": [format!("{id}.example")], "cat": ["IAB1"],
        "creative": {"id": format!("cr-{id}"), "format": "banner", "w": w, "h": h,
                     "adm": "<img src='https://ads.example/${AUCTION_SEAT_ID}.png'>"}
    })
}

async fn start(campaigns: Value, extra: &[&str]) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("campaigns.json");
    std::fs::write(
        &path,
        serde_json::to_vec(&json!({ "campaigns": campaigns })).unwrap(),
    )
    .unwrap();
    let mut argv = vec![
        "bidder",
        "--campaigns",
        path.to_str().unwrap(),
        "--reload-poll-ms",
        "50",
    ];
    argv.extend_from_slice(extra);
    let settings = Settings::from_args(Args::parse_from(argv)).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(bidder::run(settings, listener, async {
        let _ = rx.await;
    }));
    Running {
        addr,
        campaigns: path,
        stop: Some(tx),
        task,
        _dir: dir,
    }
}

impl Running {
    async fn send(&self, req: Request<Full<Bytes>>) -> (StatusCode, hyper::HeaderMap, String) {
        let client = rtbhttp::pooled_client(4);
        let resp = client.request(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    async fn post(&self, body: &Value) -> (StatusCode, String) {
        let req = Request::post(format!("http://{}{BID_PATH}", self.addr))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(serde_json::to_vec(body).unwrap())))
            .unwrap();
        let (s, _, b) = self.send(req).await;
        (s, b)
    }

    async fn get(&self, path_and_query: &str) -> (StatusCode, String) {
        let url = if path_and_query.starts_with("http") {
            path_and_query.to_string()
        } else {
            format!("http://{}{path_and_query}", self.addr)
        };
        let (s, _, b) = self
            .send(Request::get(url).body(Full::default()).unwrap())
            .await;
        (s, b)
    }

    async fn metric(&self, line_prefix: &str) -> f64 {
        let (_, text) = self.get("/metrics").await;
        text.lines()
            .find_map(|l| {
                l.strip_prefix(line_prefix)
                    .map(|v| v.trim().parse::<f64>().unwrap())
            })
            .unwrap_or_else(|| panic!("no metric {line_prefix} in\n{text}"))
    }

    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

fn banner_request(id: &str, w: u32, h: u32) -> Value {
    json!({"id": id, "at": 1, "tmax": 5000, "imp": [{"id": "1", "bidfloor": 0.5, "banner": {"w": w, "h": h}}],
           "site": {"domain": "news.example"}, "user": {"id": "user-1"}, "device": {"geo": {"country": "USA"}}})
}

fn first_bid(body: &str) -> Value {
    let v: Value = serde_json::from_str(body).unwrap();
    v["seatbid"][0]["bid"][0].clone()
}

#[tokio::test]
async fn bids_with_shaded_price_notice_urls_and_version_header() {
    let b = start(
        json!([campaign("a", 300, 250), campaign("b", 728, 90)]),
        &["--shading", "0.5"],
    )
    .await;
    let req = Request::post(format!("http://{}{BID_PATH}", b.addr))
        .header("x-openrtb-version", "2.6")
        .body(Full::new(Bytes::from(
            banner_request("r1", 300, 250).to_string(),
        )))
        .unwrap();
    let (status, headers, body) = b.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["x-openrtb-version"], "2.6");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["id"], "r1");
    assert_eq!(v["seatbid"][0]["seat"], "seat-a");
    let bid = &v["seatbid"][0]["bid"][0];
    assert_eq!(bid["impid"], "1");
    assert_eq!(bid["price"], 1.0, "first price: value 2.0 shaded by 0.5");
    assert_eq!(bid["adm"], "<img src='https://ads.example/seat-a.png'>");
    assert_eq!(
        (bid["w"].as_u64(), bid["h"].as_u64(), bid["mtype"].as_u64()),
        (Some(300), Some(250), Some(1))
    );
    let nurl = bid["nurl"].as_str().unwrap();
    assert!(
        nurl.starts_with(&format!("http://{}/win?b=", b.addr))
            && nurl.ends_with("&p=${AUCTION_PRICE}"),
        "{nurl}"
    );
    let mut second_price = banner_request("r2", 728, 90);
    second_price["at"] = json!(2);
    let (status, body) = b.post(&second_price).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        first_bid(&body)["price"],
        2.0,
        "second price bids the value"
    );
    b.stop().await;
}

#[tokio::test]
async fn no_bid_is_204_for_unmatched_blocked_or_underpriced() {
    let b = start(json!([campaign("a", 300, 250)]), &[]).await;
    let mut cases = vec![banner_request("size", 320, 50)];
    let mut r = banner_request("bcat", 300, 250);
    r["bcat"] = json!(["IAB1"]);
    cases.push(r);
    let mut r = banner_request("badv", 300, 250);
    r["badv"] = json!(["a.example"]);
    cases.push(r);
    let mut r = banner_request("bseat", 300, 250);
    r["bseat"] = json!(["seat-a"]);
    cases.push(r);
    let mut r = banner_request("wseat", 300, 250);
    r["wseat"] = json!(["seat-other"]);
    cases.push(r);
    let mut r = banner_request("floor", 300, 250);
    r["imp"][0]["bidfloor"] = json!(2.5);
    cases.push(r);
    let mut r = banner_request("cur", 300, 250);
    r["cur"] = json!(["EUR"]);
    cases.push(r);
    let mut r = banner_request("battr", 300, 250);
    r["imp"][0]["banner"]["battr"] = json!([]);
    r["imp"][0]["pmp"] = json!({"private_auction": 1, "deals": [{"id": "d-unknown"}]});
    cases.push(r);
    for req in cases {
        let (status, body) = b.post(&req).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{}: {body}", req["id"]);
        assert!(body.is_empty());
    }
    assert_eq!(
        b.metric("bidder_responses_total{outcome=\"no_bid\"}").await,
        8.0
    );
    b.stop().await;
}

#[tokio::test]
async fn targeting_deals_and_formats() {
    let mut geo = campaign("geo", 300, 250);
    geo["targeting"] = json!({"countries": ["DEU"], "device_types": [4], "os": ["android"], "app_bundles": ["com.example.app"]});
    let mut deal = campaign("deal", 300, 250);
    deal["deals"] = json!(["D-1"]);
    deal["bid_cpm"] = json!(5.0);
    deal["targeting"] = json!({"site_domains": ["x.example"]});
    let video = json!({"id": "v", "seat": "seat-v", "bid_cpm": 9.0, "budget": 10.0,
        "creative": {"id": "cv", "format": "video", "mime": "video/mp4", "duration": 15, "adm": "<VAST/>"}});
    let b = start(json!([geo, deal, video]), &[]).await;

    let app_req = json!({"id": "app", "imp": [{"id": "1", "banner": {"format": [{"w": 300, "h": 250}]}}],
        "app": {"bundle": "com.example.app"}, "device": {"devicetype": 4, "os": "Android", "geo": {"country": "DEU"}}});
    let (status, body) = b.post(&app_req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first_bid(&body)["cid"], "geo");

    let mut wrong_country = app_req.clone();
    wrong_country["device"]["geo"]["country"] = json!("FRA");
    assert_eq!(b.post(&wrong_country).await.0, StatusCode::NO_CONTENT);

    let pmp = json!({"id": "pmp", "at": 2, "imp": [{"id": "1", "bidfloor": 1.0, "banner": {"w": 300, "h": 250},
        "pmp": {"private_auction": 1, "deals": [{"id": "D-1", "bidfloor": 3.0, "at": 1}]}}], "site": {"domain": "x.example"}});
    let (status, body) = b.post(&pmp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bid = first_bid(&body);
    assert_eq!(
        (bid["dealid"].as_str(), bid["cid"].as_str()),
        (Some("D-1"), Some("deal"))
    );
    assert_eq!(
        bid["price"], 4.25,
        "the deal's first-price auction shades 5.0 by 0.85"
    );

    let vreq = json!({"id": "vid", "imp": [{"id": "1", "video": {"mimes": ["video/mp4"], "maxduration": 30}}], "site": {}});
    let (status, body) = b.post(&vreq).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first_bid(&body)["mtype"], 2);
    let mut short = vreq.clone();
    short["imp"][0]["video"]["maxduration"] = json!(10);
    assert_eq!(
        b.post(&short).await.0,
        StatusCode::NO_CONTENT,
        "creative too long"
    );
    b.stop().await;
}

#[tokio::test]
async fn budget_holds_until_notices_and_spend_is_reported() {
    // 0.005 USD budget, bids of 2.0 CPM cost 0.002 each: two bids fit, the third must not.
    let mut c = campaign("a", 300, 250);
    c["budget"] = json!(0.005);
    let b = start(json!([c]), &["--shading", "1"]).await;
    let (s1, body1) = b.post(&banner_request("1", 300, 250)).await;
    let (s2, body2) = b.post(&banner_request("2", 300, 250)).await;
    let (s3, _) = b.post(&banner_request("3", 300, 250)).await;
    assert_eq!(
        (s1, s2, s3),
        (StatusCode::OK, StatusCode::OK, StatusCode::NO_CONTENT)
    );
    let win = first_bid(&body1)["nurl"]
        .as_str()
        .unwrap()
        .replace("${AUCTION_PRICE}", "1.5");
    assert_eq!(b.get(&win).await.0, StatusCode::NO_CONTENT);
    let bill = first_bid(&body1)["burl"]
        .as_str()
        .unwrap()
        .replace("${AUCTION_PRICE}", "1.5");
    assert_eq!(b.get(&bill).await.0, StatusCode::NO_CONTENT);
    assert_eq!(
        b.metric("bidder_spend_usd_total").await,
        0.0015,
        "charged once, at the clearing price"
    );
    assert_eq!(
        b.metric("bidder_campaign_spend_usd{campaign=\"a\"}").await,
        0.0015
    );
    assert_eq!(
        b.metric("bidder_campaign_budget_usd{campaign=\"a\"}").await,
        0.005
    );
    // The win freed 0.0005 of its 0.002 hold: still not enough for another bid.
    assert_eq!(
        b.post(&banner_request("4", 300, 250)).await.0,
        StatusCode::NO_CONTENT
    );
    let loss = first_bid(&body2)["lurl"]
        .as_str()
        .unwrap()
        .replace("${AUCTION_LOSS}", "102");
    assert_eq!(b.get(&loss).await.0, StatusCode::NO_CONTENT);
    assert_eq!(
        b.post(&banner_request("5", 300, 250)).await.0,
        StatusCode::OK,
        "the loss freed its hold"
    );
    let (status, body) = b.get("/win?b=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.starts_with("p:"), "{body}");
    b.stop().await;
}

#[tokio::test]
async fn frequency_cap_per_user() {
    let mut c = campaign("a", 300, 250);
    c["frequency_cap"] = json!({"max": 1, "window_secs": 3600});
    let b = start(json!([c]), &[]).await;
    assert_eq!(
        b.post(&banner_request("1", 300, 250)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        b.post(&banner_request("2", 300, 250)).await.0,
        StatusCode::NO_CONTENT
    );
    let mut other = banner_request("3", 300, 250);
    other["user"]["id"] = json!("user-2");
    assert_eq!(b.post(&other).await.0, StatusCode::OK);
    b.stop().await;
}

#[tokio::test]
async fn bad_input_gets_a_fast_reason() {
    let b = start(
        json!([campaign("a", 300, 250)]),
        &["--max-body-bytes", "2048"],
    )
    .await;
    let post = |body: Vec<u8>, headers: &[(&str, &str)]| {
        let mut r = Request::post(format!("http://{}{BID_PATH}", b.addr));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.body(Full::new(Bytes::from(body))).unwrap()
    };
    let cases = [
        (
            post(
                b"{\"id\":\"x\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":\"wide\"}}],\"site\":{}}"
                    .to_vec(),
                &[][..],
            ),
            StatusCode::BAD_REQUEST,
            "imp[0].banner.w",
        ),
        (
            post(b"{\"id\":\"x\",\"imp\":[],\"site\":{}}".to_vec(), &[]),
            StatusCode::BAD_REQUEST,
            "imp: must contain",
        ),
        (
            post(b"{}".to_vec(), &[("content-encoding", "br")]),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-encoding",
        ),
        (
            post(b"{}".to_vec(), &[("content-type", "text/xml")]),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
        ),
        (
            post(b"garbage".to_vec(), &[("content-encoding", "gzip")]),
            StatusCode::BAD_REQUEST,
            "gzip",
        ),
        (
            post(vec![b' '; 4096], &[]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "2048",
        ),
        (
            post(b"{}".to_vec(), &[("x-openrtb-version", "3.0")]),
            StatusCode::BAD_REQUEST,
            "x-openrtb-version",
        ),
    ];
    for (req, status, reason) in cases {
        let (got, _, body) = b.send(req).await;
        assert_eq!(got, status, "{body}");
        assert!(body.contains(reason), "{body:?} should mention {reason}");
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(banner_request("gz", 300, 250).to_string().as_bytes())
        .unwrap();
    let (status, _, _) = b
        .send(post(gz.finish().unwrap(), &[("content-encoding", "gzip")]))
        .await;
    assert_eq!(status, StatusCode::OK, "gzip bodies are accepted");
    assert_eq!(b.get("/nope").await.0, StatusCode::NOT_FOUND);
    assert_eq!(b.get(BID_PATH).await.0, StatusCode::METHOD_NOT_ALLOWED);
    b.stop().await;
}

async fn raw_request_head(addr: SocketAddr, content_length: usize) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {BID_PATH} HTTP/1.1\r\nhost: x\r\ncontent-length: {content_length}\r\n\r\n{{"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

async fn read_status(s: &mut TcpStream) -> String {
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn slow_body_gets_408_and_slow_headers_are_cut() {
    let b = start(
        json!([campaign("a", 300, 250)]),
        &["--body-timeout-ms", "100", "--header-timeout-ms", "200"],
    )
    .await;
    let mut s = raw_request_head(b.addr, 100).await;
    assert_eq!(read_status(&mut s).await, "HTTP/1.1 408 Request Timeout");
    let mut s = TcpStream::connect(b.addr).await.unwrap();
    s.write_all(b"POST /openrtb2/bid HTTP/1.1\r\nhost:")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0, "connection closed after the header timeout");
    b.stop().await;
}

#[tokio::test]
async fn sheds_past_max_in_flight_and_drains_on_shutdown() {
    let b = start(
        json!([campaign("a", 300, 250)]),
        &["--max-in-flight", "1", "--body-timeout-ms", "5000"],
    )
    .await;
    let mut slow_req = banner_request("slow", 300, 250);
    slow_req["tmax"] = json!(60_000);
    let body = slow_req.to_string();
    // Hold the only slot with a request whose body is still arriving.
    let mut slow = raw_request_head(b.addr, body.len()).await;
    for _ in 0..500 {
        if b.metric("bidder_in_flight").await == 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, _) = b.post(&banner_request("shed", 300, 250)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "shed rather than queued");
    assert_eq!(
        b.metric("bidder_responses_total{outcome=\"shed\"}").await,
        1.0
    );
    // Shut down while the slow request is in flight: it still completes.
    let Running {
        stop, task, addr, ..
    } = b;
    stop.unwrap().send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    slow.write_all(&body.as_bytes()[1..]).await.unwrap();
    assert_eq!(read_status(&mut slow).await, "HTTP/1.1 200 OK");
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn past_deadline_answers_no_bid() {
    let b = start(
        json!([campaign("a", 300, 250)]),
        &["--deadline-margin-ms", "5"],
    )
    .await;
    let mut r = banner_request("late", 300, 250);
    r["tmax"] = json!(3);
    assert_eq!(b.post(&r).await.0, StatusCode::NO_CONTENT);
    assert_eq!(
        b.metric("bidder_responses_total{outcome=\"late\"}").await,
        1.0
    );
    b.stop().await;
}

#[tokio::test]
async fn reloads_on_file_change_and_keeps_the_old_set_on_errors() {
    let b = start(json!([campaign("a", 300, 250)]), &[]).await;
    assert_eq!(
        b.post(&banner_request("1", 728, 90)).await.0,
        StatusCode::NO_CONTENT
    );
    std::fs::write(
        &b.campaigns,
        json!({"campaigns": [campaign("a", 300, 250), campaign("b", 728, 90)]}).to_string(),
    )
    .unwrap();
    let mut status = StatusCode::NO_CONTENT;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        status = b.post(&banner_request("2", 728, 90)).await.0;
        if status == StatusCode::OK {
            break;
        }
    }
    assert_eq!(
        status,
        StatusCode::OK,
        "new campaign picked up without restart"
    );
    std::fs::write(&b.campaigns, "{\"campaigns\": [{\"id\": 5}]}").unwrap();
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if b.metric("bidder_campaign_reload_failures_total").await >= 1.0 {
            break;
        }
    }
    assert_eq!(b.metric("bidder_campaign_reload_failures_total").await, 1.0);
    assert_eq!(b.metric("bidder_campaigns").await, 2.0, "old set kept");
    assert_eq!(b.get("/healthz").await.0, StatusCode::OK);
    assert_eq!(b.get("/readyz").await.0, StatusCode::OK);
    b.stop().await;
}

#[tokio::test]
async fn reloads_on_sighup() {
    // File polling slowed to a minute: only the signal can explain a reload within the test.
    let b = start(
        json!([campaign("a", 300, 250)]),
        &["--reload-poll-ms", "60000"],
    )
    .await;
    std::fs::write(
        &b.campaigns,
        json!({"campaigns": [campaign("a", 300, 250), campaign("b", 728, 90)]}).to_string(),
    )
    .unwrap();
    // The bidder has installed its SIGHUP handler by the time it answers.
    assert_eq!(b.get("/healthz").await.0, StatusCode::OK);
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut campaigns = 0.0;
    for _ in 0..200 {
        campaigns = b.metric("bidder_campaigns").await;
        if campaigns == 2.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(campaigns, 2.0);
    b.stop().await;
}
