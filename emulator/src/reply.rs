//! The answers the emulator gives, in the vendor's shapes: error bodies with an HTTP error status,
//! business failures as HTTP 200 with `"Success": false`, and success envelopes.

use hyper::Response;
use hyper::body::Bytes;
use serde_json::{Value, json};

pub type Body = http_body_util::Full<Bytes>;

/// A request ID in the vendor's format (uppercase hex, 8-4-4-4-12).
pub fn request_id(rng: &mut fastrand::Rng) -> String {
    let hex = format!("{:032X}", rng.u128(..));
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

fn json_response(status: u16, request_id: &str, body: &Value, extra: &[(&str, String)]) -> Response<Body> {
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "application/json;charset=utf-8")
        .header("x-acs-request-id", request_id);
    for (k, v) in extra {
        builder = builder.header(*k, v.as_str());
    }
    builder.body(Body::new(Bytes::from(body.to_string()))).unwrap_or_else(|_| Response::new(Body::default()))
}

/// A protocol error: HTTP `status` with the vendor's error body.
pub fn error(status: u16, request_id: &str, code: &str, message: &str) -> Response<Body> {
    let body = json!({
        "RequestId": request_id,
        "HostId": "aiccs.aliyuncs.com",
        "Code": code,
        "Message": message,
        "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}&product=aiccs"),
    });
    json_response(status, request_id, &body, &[])
}

/// Throttling: HTTP 429 with `x-acs-retry-after` (milliseconds).
pub fn throttled(request_id: &str, retry_after_ms: u64) -> Response<Body> {
    let body = json!({
        "RequestId": request_id,
        "HostId": "aiccs.aliyuncs.com",
        "Code": "Throttling.User",
        "Message": "Request was denied due to user flow control.",
    });
    json_response(429, request_id, &body, &[("x-acs-retry-after", retry_after_ms.to_string())])
}

/// A business failure: HTTP 200 with `"Success": false`, as aiccs reports them.
pub fn failure(request_id: &str, code: &str, message: &str) -> Response<Body> {
    let body = json!({ "RequestId": request_id, "Code": code, "Message": message, "Success": false });
    json_response(200, request_id, &body, &[])
}

/// Success with `Data`.
pub fn success(request_id: &str, data: Value) -> Response<Body> {
    let body = json!({
        "RequestId": request_id,
        "Code": "OK",
        "Message": "OK",
        "Success": true,
        "Data": data,
        "AccessDeniedDetail": "None",
    });
    json_response(200, request_id, &body, &[])
}

/// A plain JSON document (inspection endpoints).
pub fn document(request_id: &str, body: &Value) -> Response<Body> {
    json_response(200, request_id, body, &[])
}
