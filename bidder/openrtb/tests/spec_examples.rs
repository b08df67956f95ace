//! Requests shaped like the examples of the OpenRTB 2.6 specification are accepted, and bad
//! documents are rejected with an error naming the offending field.

use openrtb::{parse_request, validate_request, BidRequest};

fn example(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/examples/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn accepted(body: &[u8]) -> BidRequest<'_> {
    let req = parse_request(body).expect("parses");
    validate_request(&req).expect("valid");
    req
}

#[test]
fn simple_banner() {
    let body = example("banner");
    let req = accepted(&body);
    assert_eq!(req.at, 1);
    assert_eq!(
        req.imp[0]
            .banner
            .as_ref()
            .unwrap()
            .sizes()
            .collect::<Vec<_>>(),
        [(300, 250)]
    );
    assert_eq!(req.imp[0].bidfloor, 0.03);
    assert_eq!(
        req.site.as_ref().unwrap().domain.as_deref(),
        Some("www.foobar.com")
    );
    assert!(req.id.is_borrowed(), "plain strings borrow from the buffer");
    assert_eq!(
        req.user_key(),
        Some("55816b39711f9b5acf3b90e313ed29e51665623f")
    );
}

#[test]
fn expandable_creative() {
    let body = example("expandable");
    let req = accepted(&body);
    assert_eq!(req.imp[0].banner.as_ref().unwrap().battr, [13]);
}

#[test]
fn mobile_app_with_blocks_and_geo() {
    let body = example("app");
    let req = accepted(&body);
    assert_eq!(req.app.as_ref().unwrap().bundle.as_deref(), Some("12345"));
    assert_eq!(req.bcat.len(), 5);
    assert_eq!(req.badv[0], "apple.com");
    let geo = req.geo().unwrap();
    assert_eq!(
        (geo.country.as_deref(), geo.region.as_deref()),
        (Some("USA"), Some("CA"))
    );
    assert_eq!(req.device.as_ref().unwrap().devicetype, Some(1));
}

#[test]
fn video() {
    let body = example("video");
    let req = accepted(&body);
    let v = req.imp[0].video.as_ref().unwrap();
    assert_eq!(v.mimes.len(), 4);
    assert_eq!((v.minduration, v.maxduration), (Some(5), Some(30)));
    assert_eq!(req.tmax, Some(120));
    assert_eq!(
        req.site.as_ref().unwrap().referrer.as_deref(),
        Some("http://referringsite.com/referringpage.htm")
    );
}

#[test]
fn native() {
    let body = example("native");
    let req = accepted(&body);
    let n = req.imp[0].native.as_ref().unwrap();
    assert!(n.request.starts_with("{\"native\""));
    assert!(
        !n.request.is_borrowed(),
        "escaped strings are unescaped into an owned copy"
    );
}

#[test]
fn audio_with_regs_ext() {
    let body = example("audio");
    let req = accepted(&body);
    assert_eq!(req.imp[0].audio.as_ref().unwrap().mimes[1], "audio/mpeg");
    let regs = req.regs.as_ref().unwrap();
    assert_eq!(regs.gdpr, Some(1));
    assert_eq!(
        regs.ext.unwrap().get(),
        r#"{"dsa":{"required":1}}"#,
        "ext kept verbatim"
    );
}

#[test]
fn pmp_deals() {
    let body = example("pmp");
    let req = accepted(&body);
    let pmp = req.imp[0].pmp.as_ref().unwrap();
    assert_eq!(pmp.private_auction, 1);
    assert_eq!(pmp.deals[0].id, "AB-Agency1-0001");
    assert_eq!(pmp.deals[1].bidfloor, 2.0);
    assert_eq!(pmp.deals[1].wadomain[0], "brand.example");
    assert_eq!(req.wseat.len(), 2);
}

#[test]
fn multi_impression() {
    let body = example("multi_imp");
    let req = accepted(&body);
    assert_eq!(req.imp.len(), 3);
    assert_eq!(req.imp[2].bidfloorcur, "EUR");
    assert_eq!(
        req.imp[0].bidfloorcur, "USD",
        "floor currency defaults to USD"
    );
    assert!(req.accepts_currency("EUR") && !req.accepts_currency("JPY"));
    let schain = req.source.as_ref().unwrap().schain.unwrap().get();
    assert_eq!(
        schain,
        r#"{"complete":1,"nodes":[{"asi":"exchange.example","sid":"1","hp":1}],"ver":"1.0"}"#
    );
    assert_eq!(req.ext.unwrap().get(), r#"{"prebid":{"debug":true}}"#);
    assert_eq!(
        req.site.as_ref().unwrap().page.as_deref(),
        Some("https://www.multi.example/story/42")
    );
}

#[test]
fn dooh() {
    let body = example("dooh");
    let req = accepted(&body);
    assert_eq!(req.dooh.as_ref().unwrap().venuetype[0], "transit_stations");
    assert_eq!(req.at, 2);
}

#[test]
fn round_trips_through_serialization() {
    for name in [
        "banner",
        "app",
        "video",
        "native",
        "audio",
        "pmp",
        "multi_imp",
        "dooh",
    ] {
        let body = example(name);
        let req = accepted(&body);
        let again = serde_json::to_vec(&req).unwrap();
        let back = accepted(&again);
        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            String::from_utf8(again).unwrap(),
            "{name}"
        );
    }
}

fn rejected(body: &str) -> String {
    match parse_request(body.as_bytes()) {
        Err(e) => e.to_string(),
        Ok(req) => validate_request(&req)
            .expect_err("must be rejected")
            .to_string(),
    }
}

#[test]
fn errors_name_the_offending_field() {
    let site = r#""site":{"id":"s"}"#;
    let cases = [
        (
            format!(r#"{{"id":"x","imp":[{{"id":"1","banner":{{"w":"wide"}}}}],{site}}}"#),
            "imp[0].banner.w",
        ),
        (format!(r#"{{"id":"x","imp":[],{site}}}"#), "imp:"),
        (
            format!(r#"{{"id":"","imp":[{{"id":"1","banner":{{}}}}],{site}}}"#),
            "id:",
        ),
        (
            format!(r#"{{"id":"x","imp":[{{"id":"1"}}],{site}}}"#),
            "imp[0].banner|video|audio|native",
        ),
        (
            format!(
                r#"{{"id":"x","imp":[{{"id":"1","banner":{{}}}},{{"id":"1","banner":{{}}}}],{site}}}"#
            ),
            "imp[1].id",
        ),
        (
            r#"{"id":"x","imp":[{"id":"1","banner":{}}]}"#.to_string(),
            "site|app|dooh",
        ),
        (
            r#"{"id":"x","imp":[{"id":"1","banner":{}}],"site":{},"app":{}}"#.to_string(),
            "site|app|dooh",
        ),
        (
            format!(r#"{{"id":"x","imp":[{{"id":"1","video":{{"mimes":[]}}}}],{site}}}"#),
            "imp[0].video.mimes",
        ),
        (
            format!(r#"{{"id":"x","imp":[{{"id":"1","video":{{}}}}],{site}}}"#),
            "imp[0].video",
        ),
        (
            format!(r#"{{"id":"x","imp":[{{"id":"1","bidfloor":-1,"banner":{{}}}}],{site}}}"#),
            "imp[0].bidfloor",
        ),
        (
            format!(r#"{{"id":"x","at":7,"imp":[{{"id":"1","banner":{{}}}}],{site}}}"#),
            "at:",
        ),
        (
            format!(r#"{{"id":"x","tmax":0,"imp":[{{"id":"1","banner":{{}}}}],{site}}}"#),
            "tmax:",
        ),
        (
            format!(
                r#"{{"id":"x","imp":[{{"id":"1","banner":{{}},"pmp":{{"private_auction":1}}}}],{site}}}"#
            ),
            "imp[0].pmp.deals",
        ),
        (
            format!(
                r#"{{"id":"x","imp":[{{"id":"1","banner":{{}},"pmp":{{"deals":[{{"id":""}}]}}}}],{site}}}"#
            ),
            "imp[0].pmp.deals[0].id",
        ),
        (
            format!(r#"{{"id":"x","cur":["usd"],"imp":[{{"id":"1","banner":{{}}}}],{site}}}"#),
            "cur[0]",
        ),
        (format!(r#"{{"id":7,"imp":[],{site}}}"#), "id"),
        (
            r#"{"id":"x","imp":[{"id":"1","banner":{}}],"site":{}} trailing"#.to_string(),
            "$",
        ),
        ("not json".to_string(), "$"),
    ];
    for (body, field) in cases {
        let err = rejected(&body);
        assert!(
            err.contains(field),
            "{body}\n  -> {err}\n  should name {field}"
        );
    }
}
