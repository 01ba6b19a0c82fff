//! The ECS instance metadata service for one RAM role: `PUT /latest/api/token` gives an IMDSv2 token,
//! `GET /latest/meta-data/ram/security-credentials/` names the role, and
//! `GET /latest/meta-data/ram/security-credentials/<role>` mints a new temporary key at each fetch, which the
//! emulator's other endpoints then accept until it expires. IMDSv1 (no token) is allowed unless the service
//! is IMDSv2-only; a v1-only service refuses tokens, as older instances do.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use hyper::{HeaderMap, Response};
use serde_json::json;

use crate::reply::{self, Body};
use crate::server::Shared;

const TOKEN_TTL_HEADER: &str = "x-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";
const ROLES: &str = "/latest/meta-data/ram/security-credentials/";

/// Which metadata protocol versions the service speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Imds {
    /// Tokens (v2) and no tokens (v1).
    #[default]
    Both,
    /// Only requests with a token.
    V2Only,
    /// No tokens: the token path is not found.
    V1Only,
}

/// How the emulator plays the metadata service.
#[derive(Debug, Clone)]
pub struct MetadataSettings {
    /// The instance's RAM role.
    pub role: String,
    /// How long each minted key lasts.
    pub lifetime: Duration,
    /// Protocol versions served.
    pub imds: Imds,
}

impl Default for MetadataSettings {
    fn default() -> Self {
        Self { role: "EcsRamRoleDemo".into(), lifetime: Duration::from_secs(3600), imds: Imds::Both }
    }
}

/// IMDSv2 tokens handed out, with when each expires.
#[derive(Default)]
pub struct Tokens(Mutex<HashMap<String, SystemTime>>);

/// Answers a request under `/latest/`.
pub fn handle(
    shared: &Shared,
    settings: &MetadataSettings,
    request_id: &str,
    method: &str,
    path: &str,
    headers: &HeaderMap,
) -> Response<Body> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if path == "/latest/api/token" {
        return match (method, settings.imds) {
            (_, Imds::V1Only) => {
                reply::error(404, request_id, "NotFound", "This metadata service has no tokens (IMDSv1 only).")
            }
            ("PUT", _) => token(shared, request_id, header(TOKEN_TTL_HEADER)),
            _ => reply::error(405, request_id, "MethodNotAllowed", "Tokens are made with PUT."),
        };
    }
    if method != "GET" {
        return reply::error(405, request_id, "MethodNotAllowed", "Metadata is read with GET.");
    }
    match (header(TOKEN_HEADER), settings.imds) {
        (Some(token), _) if !valid(shared, token) => {
            return reply::error(401, request_id, "Unauthorized", "The metadata token is not valid.");
        }
        (None, Imds::V2Only) => {
            return reply::error(401, request_id, "Unauthorized", "This metadata service needs a token (IMDSv2).");
        }
        _ => {}
    }
    match path.strip_prefix(ROLES) {
        Some("") => text(request_id, &settings.role),
        Some(role) if role == settings.role => credentials(shared, settings, request_id),
        _ => reply::error(404, request_id, "NotFound", "No such metadata."),
    }
}

fn text(request_id: &str, body: &str) -> Response<Body> {
    Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .header("x-acs-request-id", request_id)
        .body(Body::new(body.to_owned().into()))
        .unwrap_or_else(|_| Response::new(Body::default()))
}

fn token(shared: &Shared, request_id: &str, ttl: Option<&str>) -> Response<Body> {
    let Some(seconds) = ttl.and_then(|t| t.parse::<u64>().ok()).filter(|s| (1..=21600).contains(s)) else {
        return reply::error(
            400,
            request_id,
            "MissingParameter",
            "Give the token's lifetime, 1 to 21600 seconds, in X-aliyun-ecs-metadata-token-ttl-seconds.",
        );
    };
    let mut rng = shared.rng.lock().unwrap_or_else(|e| e.into_inner());
    let token: String = (0..40).map(|_| rng.alphanumeric()).collect();
    let mut tokens = shared.metadata_tokens.0.lock().unwrap_or_else(|e| e.into_inner());
    let now = SystemTime::now();
    tokens.retain(|_, until| *until > now);
    tokens.insert(token.clone(), now + Duration::from_secs(seconds));
    text(request_id, &token)
}

fn valid(shared: &Shared, token: &str) -> bool {
    let tokens = shared.metadata_tokens.0.lock().unwrap_or_else(|e| e.into_inner());
    tokens.get(token).is_some_and(|until| *until > SystemTime::now())
}

fn credentials(shared: &Shared, settings: &MetadataSettings, request_id: &str) -> Response<Body> {
    let key = shared.verifier.issue(&mut shared.rng.lock().unwrap_or_else(|e| e.into_inner()), settings.lifetime);
    shared.counters.metadata_issued.fetch_add(1, Ordering::Relaxed);
    let stamp = acsgen::sign::format_timestamp;
    let body = json!({
        "Code": "Success",
        "AccessKeyId": key.id,
        "AccessKeySecret": key.secret,
        "SecurityToken": key.token,
        "Expiration": key.expires.map(stamp).unwrap_or_default(),
        "LastUpdated": stamp(SystemTime::now()),
    });
    reply::document(request_id, &body)
}
