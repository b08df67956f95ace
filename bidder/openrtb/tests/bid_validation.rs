//! A bid is checked against the request it answers; each refusal names the field.

use openrtb::{parse_request, parse_response, validate_response_against};

const REQUEST: &str = r#"{"id":"r","cur":["USD"],"wseat":["s1","s2"],"bcat":["IAB25"],"badv":["bad.example"],"bapp":["com.bad"],
  "imp":[{"id":"1","bidfloor":1.0,"banner":{"w":300,"h":250}},
         {"id":"2","banner":{"w":1,"h":1},"pmp":{"private_auction":1,"deals":[{"id":"D","bidfloor":4.0,"wseat":["s1"]}]}}],
  "site":{}}"#;

fn check(bid: &str, seat: &str, cur: &str) -> Result<(), String> {
    let req = parse_request(REQUEST.as_bytes()).unwrap();
    let body =
        format!(r#"{{"id":"r","cur":"{cur}","seatbid":[{{"seat":"{seat}","bid":[{bid}]}}]}}"#);
    let resp = parse_response(body.as_bytes()).unwrap();
    let sb = &resp.seatbid[0];
    validate_response_against(
        &req,
        &resp.cur,
        sb.seat.as_ref(),
        &sb.bid[0],
        "seatbid[0].bid[0]",
    )
    .map_err(|e| e.to_string())
}

#[test]
fn good_bids_pass() {
    check(
        r#"{"id":"b","impid":"1","price":1.5,"adomain":["ok.example"]}"#,
        "s1",
        "USD",
    )
    .unwrap();
    check(
        r#"{"id":"b","impid":"2","price":4.0,"dealid":"D"}"#,
        "s1",
        "USD",
    )
    .unwrap();
}

#[test]
fn bad_bids_name_the_field() {
    let cases = [
        (
            r#"{"id":"b","impid":"9","price":1.5}"#,
            "s1",
            "USD",
            "seatbid[0].bid[0].impid",
        ),
        (
            r#"{"id":"b","impid":"1","price":0.5}"#,
            "s1",
            "USD",
            "below the impression floor",
        ),
        (
            r#"{"id":"b","impid":"1","price":0}"#,
            "s1",
            "USD",
            "seatbid[0].bid[0].price",
        ),
        (r#"{"id":"b","impid":"1","price":1.5}"#, "s1", "EUR", "cur"),
        (
            r#"{"id":"b","impid":"1","price":1.5}"#,
            "s3",
            "USD",
            "wseat",
        ),
        (
            r#"{"id":"b","impid":"1","price":1.5,"adomain":["bad.example"]}"#,
            "s1",
            "USD",
            "adomain[0]: blocked by badv",
        ),
        (
            r#"{"id":"b","impid":"1","price":1.5,"cat":["IAB25"]}"#,
            "s1",
            "USD",
            "cat[0]: blocked by bcat",
        ),
        (
            r#"{"id":"b","impid":"1","price":1.5,"bundle":"com.bad"}"#,
            "s1",
            "USD",
            "bundle: blocked by bapp",
        ),
        (
            r#"{"id":"b","impid":"2","price":5.0}"#,
            "s1",
            "USD",
            "private auction",
        ),
        (
            r#"{"id":"b","impid":"2","price":3.0,"dealid":"D"}"#,
            "s1",
            "USD",
            "below the deal floor",
        ),
        (
            r#"{"id":"b","impid":"2","price":5.0,"dealid":"D"}"#,
            "s2",
            "USD",
            "seat not allowed on this deal",
        ),
        (
            r#"{"id":"b","impid":"2","price":5.0,"dealid":"X"}"#,
            "s1",
            "USD",
            "names no deal",
        ),
    ];
    for (bid, seat, cur, want) in cases {
        let err = check(bid, seat, cur).expect_err(bid);
        assert!(err.contains(want), "{bid}: {err} should contain {want}");
    }
}
