//! HTTP: one pooled `reqwest` client per [`crate::Config`] (rustls with the ring provider and the
//! platform's root certificates — no system TLS library needed), and one attempt's send-and-read, with
//! failures sorted by whether the request can have reached the service.

use std::sync::Arc;
use std::time::Duration;

use rustls_platform_verifier::BuilderVerifierExt as _;

/// A signed HTTP request, exactly as it will be sent.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// `GET`, `POST`, …
    pub method: &'static str,
    /// Scheme, authority, path and the encoded query.
    pub url: String,
    /// Every header, signature included.
    pub headers: Vec<(String, String)>,
    /// The body bytes (shared, so retries and the HTTP stack never copy them).
    pub body: bytes::Bytes,
}

impl SignedRequest {
    /// A header's value (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl std::fmt::Debug for SignedRequest {
    // Signatures, tokens and parameter values (phone numbers among them) stay out: names and sizes only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The path may hold path parameters (user data): scheme and authority, and the path's size.
        let base = self.url.split('?').next().unwrap_or_default();
        let authority_end = base.find("://").map_or(0, |i| i + 3);
        let (origin, path) = base.split_at(base[authority_end..].find('/').map_or(base.len(), |i| authority_end + i));
        let base = format!("{origin}/<path, {} bytes>", path.len().saturating_sub(1));
        let header_names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("url", &base)
            .field("headers", &header_names)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

/// What came back.
pub(crate) struct HttpResponse {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: bytes::Bytes,
}

/// Why an attempt got no HTTP response.
pub(crate) enum SendError {
    /// The connection could not be opened: nothing was sent.
    Connect(String),
    /// The request was (or may have been) sent, and no complete answer came back.
    NoAnswer(String),
    /// The attempt's time limit passed: the request may have been sent.
    TimedOut,
}

/// The shared HTTP client.
#[derive(Clone, Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
}

impl Transport {
    /// `plain_http`: every request goes to an explicit `http://` endpoint (a local emulator), so the
    /// platform's root certificates — a few milliseconds to load — are not needed.
    pub(crate) fn new(connect_timeout: Duration, plain_http: bool) -> Result<Self, String> {
        Self::build(connect_timeout, plain_http, true)
    }

    /// A client that never goes through a proxy (`HTTP_PROXY` and the like are ignored): for the instance
    /// metadata service and a local credentials URI, which must be asked directly — a proxy would answer
    /// with its own host's credentials, or see the instance's.
    pub(crate) fn direct(connect_timeout: Duration) -> Result<Self, String> {
        Self::build(connect_timeout, false, false)
    }

    fn build(connect_timeout: Duration, plain_http: bool, proxies: bool) -> Result<Self, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?;
        let tls = if plain_http {
            builder.with_root_certificates(rustls::RootCertStore::empty()).with_no_client_auth()
        } else {
            builder.with_platform_verifier().map_err(|e| format!("TLS root certificates: {e}"))?.with_no_client_auth()
        };
        let mut http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60));
        if !proxies {
            http = http.no_proxy();
        }
        let http = http.build().map_err(|e| format!("HTTP client: {}", error_chain(e)))?;
        Ok(Self { http })
    }

    /// Sends `request` and reads the whole answer within `limit`.
    pub(crate) async fn send(&self, request: &SignedRequest, limit: Duration) -> Result<HttpResponse, SendError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::POST);
        let mut builder = self.http.request(method, &request.url).body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let exchange = async {
            let response = builder.send().await.map_err(classify)?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("x-acs-retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis);
            let body = response.bytes().await.map_err(|e| SendError::NoAnswer(error_chain(e)))?;
            Ok(HttpResponse { status, retry_after, body })
        };
        match tokio::time::timeout(limit, exchange).await {
            Ok(result) => result,
            Err(_) => Err(SendError::TimedOut),
        }
    }
}

fn classify(e: reqwest::Error) -> SendError {
    // A connect error (refused, DNS, TLS handshake, connect timeout) means the request never left.
    if e.is_connect() { SendError::Connect(error_chain(e)) } else { SendError::NoAnswer(error_chain(e)) }
}

/// The error and its causes, one line, without the URL (V1 URLs carry the signature and token).
pub(crate) fn error_chain(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = String::new();
    let mut current: Option<&dyn std::error::Error> = Some(&e);
    while let Some(err) = current {
        let part = err.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
        current = err.source();
    }
    text
}
