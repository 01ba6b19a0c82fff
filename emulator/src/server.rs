//! HTTP: the accept loop, one request's path through the emulator (read → fault drills → signature →
//! scripted answer → operation: aiccs's store, STS, or a served spec → answer, recorded), and the limits
//! that keep hostile input from hanging a connection or exhausting memory.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::BodyExt as _;
use hyper::body::Incoming as IncomingBody;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::net::TcpListener;

use crate::aiccs::{self, Outcome, Store};
use crate::auth::{Incoming, Rejection, Verified, Verifier};
use crate::calls::{self, Calls};
use crate::inspect;
use crate::metadata::{self, MetadataSettings, Tokens};
use crate::params;
use crate::reply::{self, Body};
use crate::specs::{Call, Catalog};
use crate::sts::{self, StsSettings};
use crate::stubs::Stubs;

/// Fault drills: probabilities in `[0, 1]`, each drawn per API request from the seeded generator.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// Answer `Throttling.User` (HTTP 429 with `x-acs-retry-after`) without acting.
    pub throttle: f64,
    /// Answer `InternalError` (HTTP 500) without acting.
    pub server_error: f64,
    /// Close the connection as soon as the request arrives, before acting.
    pub drop_before: f64,
    /// Act on the request (a batch is stored), then close the connection without answering.
    pub drop_after: f64,
    /// Delay before answering.
    pub latency: Duration,
}

/// Limits on what a request may be.
pub const MAX_BODY: usize = 16 * 1024 * 1024;
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The most bytes a request's head (target and headers) may have.
const MAX_HEAD: usize = 64 * 1024;
/// Room to read a head far over [`MAX_HEAD`], so that one too long is read and answered (431) rather than
/// cut off with the connection.
const READ_BUFFER: usize = 2 * 1024 * 1024;
/// How long accepting waits after a failure (a process out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// The delay throttled answers ask for.
pub const RETRY_AFTER_MS: u64 = 50;

/// Counters of what the emulator saw.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub rejected: AtomicU64,
    pub throttled: AtomicU64,
    pub server_errors: AtomicU64,
    pub dropped_before: AtomicU64,
    pub dropped_after: AtomicU64,
    pub sts_issued: AtomicU64,
    pub metadata_issued: AtomicU64,
}

/// Everything a request handler needs.
pub struct Shared {
    pub store: Store,
    pub verifier: Verifier,
    pub faults: Mutex<Faults>,
    pub rng: Mutex<fastrand::Rng>,
    pub counters: Counters,
    /// Plays STS when set.
    pub sts: Option<StsSettings>,
    /// Plays the ECS metadata service when set.
    pub metadata: Option<MetadataSettings>,
    pub metadata_tokens: Tokens,
    /// Products served from specs.
    pub catalog: Catalog,
    pub stubs: Stubs,
    pub calls: Calls,
}

/// Why a connection is closed without an answer (a fault drill).
#[derive(Debug)]
pub struct Dropped(&'static str);

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Dropped {}

/// Accepts connections until the task is aborted.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors, most likely: the waiting connection stays queued and accepting again
            // at once would fail again at once. Wait for connections to close instead of spinning.
            Err(_) => {
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| handle(shared.clone(), request));
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT).max_buf_size(READ_BUFFER);
            // An error here is a client gone away or a drill: nothing to do but close.
            let _ = builder.serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

fn draw(shared: &Shared, p: f64) -> bool {
    p > 0.0 && shared.rng.lock().unwrap_or_else(|e| e.into_inner()).f64() < p
}

fn new_request_id(shared: &Shared) -> String {
    reply::request_id(&mut shared.rng.lock().unwrap_or_else(|e| e.into_inner()))
}

async fn handle(shared: Arc<Shared>, request: Request<IncomingBody>) -> Result<Response<Body>, Dropped> {
    let request_id = new_request_id(&shared);
    let head: usize = request.uri().to_string().len()
        + request.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum::<usize>();
    if head > MAX_HEAD {
        let message = format!("The request's head is {head} bytes, over {MAX_HEAD}.");
        return Ok(reply::error(431, &request_id, "RequestHeaderFieldsTooLarge", &message));
    }
    let path = request.uri().path().to_owned();
    if path.starts_with("/__emulator/") {
        return Ok(inspect::handle(&shared, &request_id, request).await);
    }
    if let (Some(settings), true) = (&shared.metadata, path.starts_with("/latest/")) {
        let method = request.method().as_str();
        return Ok(metadata::handle(&shared, settings, &request_id, method, &path, request.headers()));
    }
    let paths = shared.catalog.has_paths();
    if path != "/" && !paths {
        return Ok(reply::error(404, &request_id, "InvalidAction.NotFound", "RPC-style APIs are served at `/`."));
    }
    let method = request.method().as_str().to_owned();
    let known = if paths { &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"][..] } else { &["GET", "POST"][..] };
    if !known.contains(&method.as_str()) {
        let message = format!("Use {}.", known.join(", "));
        return Ok(reply::error(405, &request_id, "UnsupportedHTTPMethod", &message));
    }
    shared.counters.requests.fetch_add(1, Ordering::Relaxed);
    let faults = *shared.faults.lock().unwrap_or_else(|e| e.into_inner());
    if draw(&shared, faults.drop_before) {
        shared.counters.dropped_before.fetch_add(1, Ordering::Relaxed);
        return Err(Dropped("drill: connection dropped before processing"));
    }
    let answer = api(&shared, &request_id, &method, request, &faults).await?;
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    Ok(answer)
}

/// Bodies over [`MAX_BODY`] up to this size are read to their end (and thrown away) before the refusal is
/// answered, so that a client still sending one reads the refusal instead of a broken connection; a body
/// declared larger is refused at once.
const DRAIN_LIMIT: u64 = 48 * 1024 * 1024;

/// Why a body was not taken.
enum BodyError {
    /// Over [`MAX_BODY`].
    TooLarge,
    /// Its framing broke part-way (a malformed chunk, a connection cut short): what arrived is not the
    /// body that was sent.
    Broken(String),
}

/// The body, if it is at most [`MAX_BODY`] (`declared`: its `content-length`). One over it is read past,
/// up to [`DRAIN_LIMIT`], keeping nothing.
async fn read_body(mut body: IncomingBody, declared: Option<u64>) -> Result<Vec<u8>, BodyError> {
    if declared.is_some_and(|n| n > DRAIN_LIMIT) {
        return Err(BodyError::TooLarge);
    }
    let mut kept = Vec::with_capacity(declared.map_or(0, |n| n.min(MAX_BODY as u64) as usize));
    let mut read = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Broken(e.to_string()))?;
        let Ok(data) = frame.into_data() else { continue };
        read += data.len() as u64;
        if read > DRAIN_LIMIT {
            break;
        }
        if read <= MAX_BODY as u64 {
            kept.extend_from_slice(&data);
        }
    }
    if read > MAX_BODY as u64 { Err(BodyError::TooLarge) } else { Ok(kept) }
}

/// The query's parameters and then the form body's (`form`), decoded; and how many are the query's.
fn request_params(query: Option<&str>, form: Option<&[u8]>) -> Result<(Vec<(String, String)>, usize), String> {
    let mut params = Vec::new();
    params::decode(query.unwrap_or_default().as_bytes(), &mut params)?;
    let query_len = params.len();
    if let Some(form) = form {
        params::decode(form, &mut params)?;
    }
    params::unique(&params)?;
    Ok((params, query_len))
}

/// The request's body, or the refusal to answer instead: too large, too slow, or broken part-way.
pub(crate) async fn body_within_limits(
    parts: &hyper::http::request::Parts,
    body: IncomingBody,
    request_id: &str,
) -> Result<Vec<u8>, Response<Body>> {
    let declared =
        parts.headers.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    match tokio::time::timeout(BODY_TIMEOUT, read_body(body, declared)).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(BodyError::TooLarge)) => {
            let message = format!("The body exceeds {MAX_BODY} bytes.");
            Err(reply::error(413, request_id, "RequestTooLarge", &message))
        }
        Ok(Err(BodyError::Broken(error))) => {
            let message = format!("The body could not be read whole: {error}.");
            Err(reply::error(400, request_id, "InvalidRequest", &message))
        }
        Err(_) => Err(reply::error(408, request_id, "RequestTimeout", "The body did not arrive in time.")),
    }
}

/// A verified request, as dispatching sees it.
struct SignedCall<'a> {
    verified: Verified,
    method: &'a str,
    path: &'a str,
    /// Query and form parameters (V1's signature parameters left out).
    params: Vec<(String, String)>,
    /// The JSON body, parsed.
    json: Option<Value>,
    headers: &'a [(String, String)],
}

async fn api(
    shared: &Shared,
    request_id: &str,
    method: &str,
    request: Request<IncomingBody>,
    faults: &Faults,
) -> Result<Response<Body>, Dropped> {
    let (parts, body) = request.into_parts();
    let body = match body_within_limits(&parts, body, request_id).await {
        Ok(body) => body,
        Err(refusal) => return Ok(refusal),
    };
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let content_type = parts.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    let json = content_type.starts_with("application/json") && !body.is_empty();
    // Query and form, decoded once and bounded before anything else; a JSON body only once the request
    // is known to be signed.
    let (params, query_len) = match request_params(parts.uri.query(), form.then_some(&body[..])) {
        Ok(decoded) => decoded,
        Err(message) => return Ok(reply::error(400, request_id, "InvalidParameter", &message)),
    };
    let (query, form) = params.split_at(query_len);
    let path = parts.uri.path();
    let incoming = Incoming { method, path, query, form, headers: &headers, body: &body };
    let verified = match verify(shared, &incoming) {
        Ok(v) => v,
        Err(rejection) => {
            shared.counters.rejected.fetch_add(1, Ordering::Relaxed);
            let response = reply::error(rejection.status, request_id, rejection.code, &rejection.message);
            let named = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
            let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
            let action = header("x-acs-action").or_else(|| named("Action")).unwrap_or_default();
            let version = header("x-acs-version").or_else(|| named("Version")).unwrap_or_default();
            let asked = calls::Asked { action, version, method, path, params: &params, json: None };
            shared.calls.record_answer(asked, Some(&response));
            return Ok(response);
        }
    };
    let params = verified.operation_params(params);
    let json = match json.then(|| serde_json::from_slice::<Value>(&body)) {
        None => Ok(None),
        Some(Ok(value)) => Ok(Some(value)),
        Some(Err(_)) => Err(reply::error(400, request_id, "InvalidParameter", "The JSON body is not valid JSON.")),
    };
    let mut request = match json {
        Ok(json) => SignedCall { verified, method, path, params, json, headers: &headers },
        Err(refusal) => {
            let (action, version) = (verified.action, verified.version);
            let asked = calls::Asked { action, version, method, path, params: &params, json: None };
            shared.calls.record_answer(asked, Some(&refusal));
            return Ok(refusal);
        }
    };
    let answer = dispatch(shared, request_id, &mut request, faults);
    let SignedCall { verified, params, json, .. } = request;
    let (action, version) = (verified.action, verified.version);
    let asked = calls::Asked { action, version, method, path, params: &params, json: json.as_ref() };
    shared.calls.record_answer(asked, answer.as_ref().ok());
    answer
}

/// Moves a JSON object body's members among the request's parameters, for the operations that read them
/// so (aiccs, STS): none may repeat one. In place: an import's parameters are megabytes.
fn take_members(request: &mut SignedCall<'_>) -> Result<(), String> {
    match request.json.take() {
        None => {}
        Some(Value::Object(members)) => request.params.extend(members.into_iter().map(|(k, v)| match v {
            Value::String(s) => (k, s),
            other => (k, other.to_string()),
        })),
        Some(other) => {
            request.json = Some(other);
            return Err("The JSON body is not a JSON object.".to_owned());
        }
    }
    params::unique(&request.params)
}

/// Whether a served spec answers the request (aiccs's stateful operations stay the store's).
fn by_spec(shared: &Shared, request: &SignedCall<'_>) -> bool {
    let (action, version) = (request.verified.action.as_str(), request.verified.version.as_str());
    shared.catalog.serves(version, action) && !(version == aiccs::VERSION && aiccs::ACTIONS.contains(&action))
}

/// Answers a verified request: a scripted answer first, then STS, the drills, and the operation.
fn dispatch(
    shared: &Shared,
    request_id: &str,
    request: &mut SignedCall<'_>,
    faults: &Faults,
) -> Result<Response<Body>, Dropped> {
    if !by_spec(shared, request)
        && let Err(message) = take_members(request)
    {
        return Ok(reply::error(400, request_id, "InvalidParameter", &message));
    }
    let (action, version) = (request.verified.action.as_str(), request.verified.version.as_str());
    let product = shared.catalog.product(version).unwrap_or("aiccs").to_owned();
    if let Some(answer) = shared.stubs.next(action, version) {
        return Ok(reply::scripted(&product, request_id, answer));
    }
    let by_spec = by_spec(shared, request);
    // Off a spec, operations are RPC: at `/`, by GET or POST (a ROA spec lets other paths and methods in).
    if !by_spec && request.path != "/" {
        let message = "RPC-style APIs are served at `/`.";
        return Ok(reply::product_error(&product, 404, request_id, "InvalidAction.NotFound", message));
    }
    if !by_spec && request.method != "GET" && request.method != "POST" {
        return Ok(reply::product_error(&product, 405, request_id, "UnsupportedHTTPMethod", "Use GET or POST."));
    }
    let by_store = !by_spec && (version == aiccs::VERSION || shared.catalog.is_empty());
    let sts = shared.sts.as_ref().filter(|_| version == sts::VERSION && !by_spec);
    let params = &request.params;
    if let Some(settings) = sts {
        return Ok(sts::call(shared, settings, request_id, &request.verified, params));
    }
    if draw(shared, faults.throttle) {
        shared.counters.throttled.fetch_add(1, Ordering::Relaxed);
        return Ok(reply::throttled(&product, request_id, RETRY_AFTER_MS));
    }
    if draw(shared, faults.server_error) {
        shared.counters.server_errors.fetch_add(1, Ordering::Relaxed);
        let message = "The request processing has failed due to some unknown error.";
        return Ok(reply::product_error(&product, 500, request_id, "InternalError", message));
    }
    let outcome = if by_store {
        shared.store.call(action, version, params)
    } else if by_spec || shared.catalog.serves_version(version) {
        let call = Call {
            method: request.method,
            path: request.path,
            flat: &request.params,
            body: request.json.as_ref(),
            headers: request.headers,
            request_id,
        };
        match shared.catalog.answer(version, action, &call) {
            Ok(body) => Outcome::Data(body),
            Err((status, code, message)) => Outcome::Error(status, code, message),
        }
    } else {
        let served = shared.catalog.served().join(", ");
        let message = format!(
            "Specified version `{}` is not served here (aiccs {}, {served}).",
            params::shown(version),
            aiccs::VERSION
        );
        Outcome::Error(400, "InvalidVersion", message)
    };
    let answer = match outcome {
        Outcome::Data(data) => {
            if draw(shared, faults.drop_after) {
                shared.counters.dropped_after.fetch_add(1, Ordering::Relaxed);
                return Err(Dropped("drill: connection dropped after processing"));
            }
            if by_store { reply::success(request_id, data) } else { reply::document(request_id, &data) }
        }
        Outcome::Failure(code, message) => reply::failure(request_id, code, &message),
        Outcome::Error(status, code, message) => reply::product_error(&product, status, request_id, code, &message),
    };
    Ok(answer)
}

/// Checks the request's signature — none for an operation that takes none, when the emulator plays STS.
fn verify(shared: &Shared, incoming: &Incoming<'_>) -> Result<Verified, Rejection> {
    if let (Some(_), Some(anonymous)) = (&shared.sts, Verifier::anonymous(incoming, sts::VERSION, sts::ANONYMOUS)) {
        return Ok(anonymous);
    }
    shared.verifier.verify(incoming)
}
