#![no_main]
//! Any byte string must either be refused with an error or parse into a request that validates
//! or not, serializes, and parses back to the same serialization; never a panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = openrtb::parse_request(data) else {
        return;
    };
    let _ = openrtb::validate_request(&req);
    let once = serde_json::to_vec(&req).expect("a parsed request serializes");
    let again = openrtb::parse_request(&once).expect("our own output parses");
    assert_eq!(serde_json::to_vec(&again).expect("serializes"), once);
    let _ = openrtb::parse_response(data);
});
