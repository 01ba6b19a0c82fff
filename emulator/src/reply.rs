//! The answers the emulator gives, in the vendor's shapes: error bodies with an HTTP error status,
//! business failures as HTTP 200 with `"Success": false`, and success envelopes.

use hyper::Response;
use hyper::body::Bytes;
use serde_json::{Value, json};

use crate::stubs::Scripted;

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
    let mut response =
        builder.body(Body::new(Bytes::from(body.to_string()))).unwrap_or_else(|_| Response::new(Body::default()));
    let failed = status != 200 || body.get("Success") == Some(&Value::Bool(false));
    if let (true, Some(code)) = (failed, body.get("Code").and_then(Value::as_str)) {
        response.extensions_mut().insert(ErrorCode(code.to_owned()));
    }
    response
}

/// The error code an answer carries, kept beside it (never sent) for the record of calls.
#[derive(Debug, Clone)]
pub struct ErrorCode(pub String);

/// A protocol error: HTTP `status` with the vendor's error body, from aiccs.
pub fn error(status: u16, request_id: &str, code: &str, message: &str) -> Response<Body> {
    product_error("aiccs", status, request_id, code, message)
}

/// A protocol error from `product`'s endpoint.
pub fn product_error(product: &str, status: u16, request_id: &str, code: &str, message: &str) -> Response<Body> {
    let body = json!({
        "RequestId": request_id,
        "HostId": format!("{}.aliyuncs.com", product.to_ascii_lowercase()),
        "Code": code,
        "Message": message,
        "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}&product={product}"),
    });
    json_response(status, request_id, &body, &[])
}

/// A scripted answer ([`Scripted`]) from `product`'s endpoint.
pub fn scripted(product: &str, request_id: &str, answer: Scripted) -> Response<Body> {
    let retry = |ms: Option<u64>| ms.map(|ms| ("x-acs-retry-after", ms.to_string())).into_iter().collect::<Vec<_>>();
    match answer {
        Scripted::Body { status, mut body, retry_after_ms } => {
            if let Value::Object(members) = &mut body {
                members.entry("RequestId").or_insert_with(|| Value::String(request_id.to_owned()));
            }
            json_response(status, request_id, &body, &retry(retry_after_ms))
        }
        Scripted::Error { status, code, message, retry_after_ms } => {
            let mut response = product_error(product, status, request_id, &code, &message);
            for (name, value) in retry(retry_after_ms) {
                if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
    }
}

/// Throttling from `product`'s endpoint: HTTP 429 with `x-acs-retry-after` (milliseconds).
pub fn throttled(product: &str, request_id: &str, retry_after_ms: u64) -> Response<Body> {
    let body = json!({
        "RequestId": request_id,
        "HostId": format!("{}.aliyuncs.com", product.to_ascii_lowercase()),
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
