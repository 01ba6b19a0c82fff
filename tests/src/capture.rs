//! Reading what `tests/python/capture.py` recorded, and comparing a request of ours with the official SDK's
//! for the same call: method, path, query, headers and body identical apart from per-request values, and
//! our V3 signature the one the official signing code computes for our request.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde_json::Value;

use crate::ChildServer;

/// Headers that differ by design: who is calling (user agent, the SDK's credentials-provider label) and
/// transport details of each HTTP library (one writes `content-length: 0` on an empty DELETE, the other
/// sends no length for no body; bodies are compared byte for byte). Everything else must match.
pub const DIFFERENT_BY_DESIGN: &[&str] =
    &["user-agent", "accept-encoding", "x-acs-credentials-provider", "connection", "content-length"];
/// Headers whose values change with every request (time, nonce, the signature over them).
pub const PER_REQUEST: &[&str] = &["x-acs-date", "x-acs-signature-nonce", "authorization"];

/// The key the comparison tests sign with (`capture.py --key LTAItest:test-secret`).
pub const KEY: (&str, &str) = ("LTAItest", "test-secret");

/// A configuration that sends to `endpoint` with [`KEY`] and never retries: each call is one request.
pub fn config(endpoint: &str) -> acsgen::Config {
    acsgen::Config::builder()
        .endpoint(endpoint)
        .credentials(acsgen::credentials::Credentials::new(KEY.0, KEY.1))
        .retry_policy(acsgen::RetryPolicy::disabled())
        .build()
        .expect("a valid configuration")
}

/// The requests the server recorded, in arrival order.
pub fn captured(server: &ChildServer) -> Vec<Value> {
    serde_json::from_str::<Vec<Value>>(&fetch(&server.endpoint)).expect("the captured requests as JSON")
}

/// `GET /__captured`, over a plain socket.
fn fetch(url: &str) -> String {
    let address = url.trim_start_matches("http://").split('/').next().unwrap_or_default().to_owned();
    let mut stream = std::net::TcpStream::connect(&address).expect("the capturing server");
    write!(stream, "GET /__captured HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n").expect("ask");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read the answer");
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default()
}

/// Decoded `name=value` pairs of a raw query or form body.
pub fn query_pairs(raw: &str) -> BTreeMap<String, String> {
    decoded(raw).into_iter().collect()
}

/// A recorded request's headers by lowercase name, without those that differ by design.
pub fn headers(request: &Value) -> BTreeMap<String, String> {
    request["headers"]
        .as_array()
        .expect("recorded headers")
        .iter()
        .map(|h| (h[0].as_str().unwrap_or_default().to_owned(), h[1].as_str().unwrap_or_default().to_owned()))
        .filter(|(k, _)| !DIFFERENT_BY_DESIGN.contains(&k.as_str()))
        .collect()
}

/// Asserts that `mine` is the request `sdk` is, apart from per-request values, and that its V3 signature
/// is the one the official signing code computes for it (`capture.py --key`). A JSON body is compared as
/// JSON: the order of an object's members is free (this SDK generation writes them alphabetically, ours in
/// the spec's order), so each side's `x-acs-content-sha256` is checked against its own body instead; other
/// bodies byte for byte.
pub fn assert_same_request(sdk: &Value, mine: &Value, label: &str) {
    for field in ["method", "path"] {
        assert_eq!(mine[field], sdk[field], "{label}: {field} differs");
    }
    assert_eq!(raw_query(mine), raw_query(sdk), "{label}: query differs");
    let (mut sdk_headers, mut mine_headers) = (headers(sdk), headers(mine));
    match (json_body(mine), json_body(sdk)) {
        (Some(ours), Some(theirs)) => assert_eq!(ours, theirs, "{label}: JSON bodies differ"),
        _ => assert_eq!(mine["body_hex"], sdk["body_hex"], "{label}: bodies differ"),
    }
    for (request, headers) in [(sdk, &mut sdk_headers), (mine, &mut mine_headers)] {
        let hash = headers.remove("x-acs-content-sha256");
        assert_eq!(hash.as_deref(), request["body_sha256"].as_str(), "{label}: x-acs-content-sha256 is not the body's");
    }
    for name in PER_REQUEST {
        assert!(sdk_headers.remove(*name).is_some(), "{label}: the SDK sent no {name}");
        assert!(mine_headers.remove(*name).is_some(), "{label}: we sent no {name}");
    }
    assert_eq!(mine_headers, sdk_headers, "{label}: headers differ");
    let ours = headers(mine).remove("authorization");
    assert!(mine["official_authorization"].is_string(), "{label}: not V3-signed with the capturing key");
    assert_eq!(ours.as_deref(), mine["official_authorization"].as_str(), "{label}: the official signer disagrees");
}

/// The body as JSON, when it is sent as JSON and reads as JSON (a string body is sent as its bare text).
fn json_body(request: &Value) -> Option<Value> {
    let json = headers(request).get("content-type").is_some_and(|t| t.starts_with("application/json"));
    json.then(|| serde_json::from_str(request["body"].as_str()?).ok()).flatten()
}

/// The query's pairs, decoded and sorted: the order of pairs is free, and so is the spelling of a space
/// (the official SDK writes `+` in the URL, the canonical form — which both sign — is `%20`) and the order
/// of members inside a `json`-style value (compared as JSON, as for bodies).
fn raw_query(request: &Value) -> Vec<(String, String)> {
    let mut pairs = decoded(request["query"].as_str().unwrap_or_default());
    for (_, value) in &mut pairs {
        if let Ok(parsed @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str::<Value>(value) {
            *value = parsed.to_string();
        }
    }
    pairs.sort_unstable();
    pairs
}

/// `name=value` pairs as a form or a query writes them (`+` is a space), decoded by the runtime's own reader.
fn decoded(raw: &str) -> Vec<(String, String)> {
    acsgen::encode::EncodedForm::new(raw.to_owned()).decoded()
}
