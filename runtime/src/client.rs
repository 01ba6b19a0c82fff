//! The call pipeline every generated client shares: validate → encode → sign → send → decode, with retries,
//! time limits and one tracing span per call.
//!
//! Per-operation generic code is a thin shell ([`ServiceClient::send`]) around one non-generic core
//! ([`ServiceClient::execute`]), so a client with hundreds of operations stays quick to compile.

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use tracing::Instrument as _;

use crate::config::Config;
use crate::credentials::Credentials;
use crate::decode::{Decode, decode_response};
use crate::encode::{EncodeError, EncodedForm, Params};
use crate::endpoint::{self, Endpoint, EndpointError, ServiceEndpoints};
use crate::error::{Error, ServiceError};
use crate::protocol::{self, Body, HttpRequest, Protocol};
use crate::retry::{Failure, should_retry};
use crate::sign::{self, v3};
use crate::transport::{HttpResponse, SendError, SignedRequest};
use crate::validate::{Validate, Validator};

/// A product version's identity, as generated clients declare it.
#[derive(Debug)]
pub struct Service {
    /// The product code, e.g. `aiccs`.
    pub product: &'static str,
    /// The API version, e.g. `2019-10-15`.
    pub version: &'static str,
    /// Where its endpoints are.
    pub endpoints: ServiceEndpoints,
}

/// HTTP method of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
    /// `PATCH`.
    Patch,
}

impl Method {
    /// The method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }
}

/// What the pipeline needs to know about an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationMeta {
    /// The action name, e.g. `ImportTaskNumberDatas`.
    pub action: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// True when sending it twice has the same effect as once: such calls are retried after timeouts,
    /// dropped connections and server errors. Others are not, and end in [`Error::OutcomeUnknown`].
    pub idempotent: bool,
    /// True when the request carries no credentials and no signature: the caller proves who it is some
    /// other way (STS `AssumeRoleWithOIDC` sends an OIDC token). No credentials are asked for.
    pub anonymous: bool,
    /// The API style, and for ROA the operation's path template.
    pub protocol: Protocol,
}

/// A request of one operation. Generated for every operation's request type.
pub trait Operation: Validate + Send + Sync {
    /// The decoded response.
    type Output: Decode + Send;
    /// The product the operation belongs to.
    const SERVICE: &'static Service;
    /// Action, method, idempotency.
    const META: OperationMeta;
    /// Adds the request's parameters.
    fn encode(&self, params: &mut Params) -> Result<(), EncodeError>;
}

/// A successful answer before decoding.
#[derive(Clone, Debug, PartialEq)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// The `RequestId` field.
    pub request_id: Option<String>,
    /// The JSON body.
    pub body: Value,
}

/// The runtime half of a generated client: configuration, the product's identity and its endpoint.
#[derive(Clone)]
pub struct ServiceClient {
    config: Config,
    service: &'static Service,
    endpoint: Result<Endpoint, EndpointError>,
}

impl fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceClient")
            .field("product", &self.service.product)
            .field("version", &self.service.version)
            .field("endpoint", &self.endpoint.as_ref().map(ToString::to_string))
            .field("config", &self.config)
            .finish()
    }
}

/// Why an attempt failed.
enum AttemptError {
    Connect(String),
    NoAnswer { reason: String, timed_out: bool },
    Service(Box<ServiceError>),
    Undecodable { request_id: Option<String>, reason: String },
}

impl ServiceClient {
    /// A client for `service` using `config`. The endpoint is resolved now; a failure is reported by the
    /// first call.
    pub fn new(config: &Config, service: &'static Service) -> Self {
        let explicit = config.endpoint().map(ToString::to_string);
        let endpoint = endpoint::resolve(
            explicit.as_deref(),
            config.region(),
            &service.endpoints,
            config.network(),
            config.suffix(),
        );
        Self { config: config.clone(), service, endpoint }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The product this client calls.
    pub fn service(&self) -> &'static Service {
        self.service
    }

    /// Where calls go.
    pub fn endpoint(&self) -> Result<&Endpoint, EndpointError> {
        self.endpoint.as_ref().map_err(Clone::clone)
    }

    /// Validates, encodes, sends and decodes one request.
    pub async fn send<O: Operation>(&self, request: &O) -> Result<O::Output, Error> {
        let prepared = self.prepare(request, None)?;
        self.send_prepared::<O>(prepared).await
    }

    /// Like [`send`](Self::send), for a caller that brings the form body already encoded: `request`'s
    /// other parameters (query, headers) are validated and encoded as usual and must leave its form
    /// parameters unset; `form` is the body, sent as it is, neither copied nor encoded again, by every
    /// attempt. Signing, retries, time limits and decoding are those of [`send`](Self::send).
    pub async fn send_with_form<O: Operation>(&self, request: &O, form: EncodedForm) -> Result<O::Output, Error> {
        let prepared = self.prepare(request, Some(form))?;
        self.send_prepared::<O>(prepared).await
    }

    async fn send_prepared<O: Operation>(&self, request: HttpRequest) -> Result<O::Output, Error> {
        let raw = self.dispatch(&O::META, request).await?;
        let request_id = raw.request_id;
        decode_response(raw.body).map_err(|source| Error::Decode { action: O::META.action, request_id, source })
    }

    /// Validates, encodes and signs `request` with the given credentials, time and nonce, without sending
    /// it: exactly the request [`ServiceClient::send`] would put on the wire. For inspection, dry runs and
    /// comparisons with other clients.
    pub fn build_request<O: Operation>(
        &self,
        request: &O,
        credentials: &Credentials,
        time: SystemTime,
        nonce: &str,
    ) -> Result<SignedRequest, Error> {
        let prepared = self.prepare(request, None)?;
        let endpoint = self.endpoint.as_ref().map_err(|e| Error::Endpoint(e.clone()))?;
        let credentials = (!O::META.anonymous).then_some(credentials);
        self.sign(prepared, endpoint, credentials, time, nonce, None)
    }

    /// Phase *prepare*, what every way of sending shares: the request must be this product's; it is
    /// validated and encoded; its body is made once, from its parameters or from the `form` the caller
    /// brought; its protocol describes the HTTP request.
    fn prepare<O: Operation>(&self, request: &O, form: Option<EncodedForm>) -> Result<HttpRequest, Error> {
        let action = O::META.action;
        self.same_service::<O>()?;
        Validator::check(request).map_err(|errors| Error::Validation { action, errors })?;
        let mut params = Params::new();
        request.encode(&mut params).map_err(|source| Error::Encode { action, source })?;
        let body = match form {
            None => Body::of(&params),
            Some(form) => Body::form(&params, form),
        };
        self.describe(&O::META, &params, body)
    }

    /// The protocol's description of `meta`'s request with `params` and `body`.
    fn describe(
        &self,
        meta: &OperationMeta,
        params: &Params,
        body: Result<Body, EncodeError>,
    ) -> Result<HttpRequest, Error> {
        let endpoint = self.endpoint.as_ref().map_err(|e| Error::Endpoint(e.clone()))?;
        body.and_then(|body| protocol::describe(meta, self.service.version, endpoint.authority(), params, body))
            .map_err(|source| Error::Encode { action: meta.action, source })
    }

    /// A request of another product's operation cannot go through this client.
    fn same_service<O: Operation>(&self) -> Result<(), Error> {
        let theirs = O::SERVICE;
        if theirs.product == self.service.product && theirs.version == self.service.version {
            Ok(())
        } else {
            Err(Error::Config(format!(
                "{} belongs to {} {}, but this client is for {} {}",
                O::META.action,
                theirs.product,
                theirs.version,
                self.service.product,
                self.service.version
            )))
        }
    }

    /// Sends already-encoded parameters for any action of this product, with signing, retries and time
    /// limits; returns the JSON answer. For operations newer than your spec.
    pub async fn execute(&self, meta: &OperationMeta, params: &Params) -> Result<RawResponse, Error> {
        let request = self.describe(meta, params, Body::of(params))?;
        self.dispatch(meta, request).await
    }

    async fn dispatch(&self, meta: &OperationMeta, request: HttpRequest) -> Result<RawResponse, Error> {
        let endpoint = self.endpoint.as_ref().map_err(|e| Error::Endpoint(e.clone()))?;
        let span = tracing::info_span!(
            "acsgen.call",
            product = self.service.product,
            action = meta.action,
            version = self.service.version,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        self.run(meta, &request, endpoint).instrument(span).await
    }

    /// The attempts of one call: sign → send → classify → decide, until an answer, a final failure or the
    /// call's time limit.
    async fn run(
        &self,
        meta: &OperationMeta,
        request: &HttpRequest,
        endpoint: &Endpoint,
    ) -> Result<RawResponse, Error> {
        let timeouts = self.config.timeouts();
        let started = Instant::now();
        let deadline = timeouts.call.map(|limit| started + limit);
        let mut last_delay = Duration::ZERO;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let retried = (attempt > 1).then_some((attempt - 1, last_delay));
            let signed = self.signed_attempt(meta, request, endpoint, retried).await?;
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let limit = remaining.map_or(timeouts.attempt, |r| r.min(timeouts.attempt));
            let attempt_started = Instant::now();
            let outcome = self.exchange(meta, &signed, limit).await;
            let latency_ms = attempt_started.elapsed().as_millis() as u64;
            let span = tracing::Span::current();
            span.record("attempts", attempt);
            let failure = match outcome {
                Ok(response) => return Ok(succeeded(response, attempt, latency_ms, started)),
                Err(failure) => failure,
            };
            log_failure(attempt, latency_ms, &failure);
            match self.decide(meta, &failure, attempt, deadline) {
                Decision::Retry(delay) => {
                    tracing::info!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
                    tokio::time::sleep(delay).await;
                    last_delay = delay;
                }
                Decision::Stop => {
                    span.record("latency_ms", started.elapsed().as_millis() as u64);
                    let past_deadline = deadline.is_some_and(|d| Instant::now() >= d);
                    return Err(self.final_error(meta, failure, started.elapsed(), past_deadline));
                }
            }
        }
    }

    /// Phase *decide*: whether a failed attempt is tried again, and after what pause.
    fn decide(
        &self,
        meta: &OperationMeta,
        failure: &AttemptError,
        attempt: u32,
        deadline: Option<Instant>,
    ) -> Decision {
        let policy = self.config.retry_policy();
        let kind = match failure {
            AttemptError::Connect(_) => Failure::Connect,
            AttemptError::NoAnswer { .. } | AttemptError::Undecodable { .. } => Failure::NoAnswer,
            AttemptError::Service(e) => Failure::Service(e),
        };
        let retry = should_retry(&kind, meta.idempotent) && attempt < policy.max_attempts();
        let delay = match failure {
            AttemptError::Service(e) => e.retry_after().unwrap_or_else(|| policy.backoff(attempt, fastrand::f64())),
            _ => policy.backoff(attempt, fastrand::f64()),
        };
        let fits = deadline.is_none_or(|d| Instant::now() + delay < d);
        if retry && fits { Decision::Retry(delay) } else { Decision::Stop }
    }

    /// One attempt's request, signed with the credentials of the moment (none for an anonymous operation)
    /// and a fresh nonce; `retried` is (retries so far, last delay).
    async fn signed_attempt(
        &self,
        meta: &OperationMeta,
        request: &HttpRequest,
        endpoint: &Endpoint,
        retried: Option<(u32, Duration)>,
    ) -> Result<SignedRequest, Error> {
        let credentials = match meta.anonymous {
            true => None,
            false => Some(self.config.credentials().provide_credentials().await?),
        };
        let nonce = format!("{:032x}", fastrand::u128(..));
        self.sign(request.clone(), endpoint, credentials.as_ref(), SystemTime::now(), &nonce, retried)
    }

    /// Phase *send* and *classify*: sends `request` and reads how the attempt ended.
    async fn exchange(
        &self,
        meta: &OperationMeta,
        request: &SignedRequest,
        limit: Duration,
    ) -> Result<RawResponse, AttemptError> {
        match self.config.transport().send(request, limit).await {
            Ok(response) => classify(meta, response),
            Err(SendError::Connect(reason)) => Err(AttemptError::Connect(reason)),
            Err(SendError::NoAnswer(reason)) => Err(AttemptError::NoAnswer { reason, timed_out: false }),
            Err(SendError::TimedOut) => {
                Err(AttemptError::NoAnswer { reason: format!("no answer within {limit:.1?}"), timed_out: true })
            }
        }
    }

    fn final_error(
        &self,
        meta: &OperationMeta,
        failure: AttemptError,
        elapsed: Duration,
        past_deadline: bool,
    ) -> Error {
        let action = meta.action;
        match failure {
            AttemptError::Connect(reason) => Error::Connect {
                action,
                endpoint: self.endpoint.as_ref().map(ToString::to_string).unwrap_or_default(),
                reason,
            },
            AttemptError::Service(e) => {
                tracing::Span::current().record("status", e.status());
                if let Some(id) = e.request_id() {
                    tracing::Span::current().record("request_id", id);
                }
                Error::Service(e)
            }
            AttemptError::NoAnswer { reason, .. } if !meta.idempotent => Error::OutcomeUnknown { action, reason },
            AttemptError::NoAnswer { timed_out: true, .. } => {
                Error::Timeout { action, limit: if past_deadline { "call" } else { "attempt" }, elapsed }
            }
            AttemptError::NoAnswer { reason, .. } => Error::Transport { action, reason },
            AttemptError::Undecodable { reason, .. } if !meta.idempotent => Error::OutcomeUnknown { action, reason },
            AttemptError::Undecodable { request_id, reason } => Error::Decode {
                action,
                request_id,
                source: crate::decode::DecodeError { path: "(response)".into(), expected: "JSON", found: reason },
            },
        }
    }

    /// Phase *sign*: one attempt's request, with the retry headers, signed by the configured version
    /// (`credentials` is `None` for an anonymous operation, sent with the protocol's time and nonce and no
    /// signature), as it goes on the wire.
    fn sign(
        &self,
        mut request: HttpRequest,
        endpoint: &Endpoint,
        credentials: Option<&Credentials>,
        time: SystemTime,
        nonce: &str,
        retried: Option<(u32, Duration)>,
    ) -> Result<SignedRequest, Error> {
        if let Some((retries, delay)) = retried {
            request.headers.push(("x-acs-retry-attempts".into(), retries.to_string()));
            request.headers.push(("x-acs-retry-delay".into(), delay.as_millis().to_string()));
        }
        let key = credentials.map(Credentials::signing_key);
        let timestamp = sign::format_timestamp(time);
        let added = sign::sign(self.config.signature_version(), &request, key.as_ref(), &timestamp, nonce)
            .map_err(|e| Error::Config(e.to_string()))?;
        let HttpRequest { method, path, mut query, mut headers, body, .. } = request;
        query.extend(added.query);
        headers.extend(added.headers);
        headers.push(("user-agent".into(), self.config.user_agent().to_owned()));
        headers.push(("accept".into(), "application/json".into()));
        let mut url = endpoint.base_url();
        url.pop();
        url.push_str(&path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&v3::canonical_query(&query));
        }
        Ok(SignedRequest { method: method.as_str(), url, headers, body: body.bytes() })
    }
}

/// After a failed attempt: try again after a pause, or stop.
enum Decision {
    Retry(Duration),
    Stop,
}

/// Records a successful attempt on the call's span and in the log.
fn succeeded(response: RawResponse, attempt: u32, latency_ms: u64, started: Instant) -> RawResponse {
    let span = tracing::Span::current();
    span.record("status", response.status);
    span.record("latency_ms", started.elapsed().as_millis() as u64);
    if let Some(id) = &response.request_id {
        span.record("request_id", id.as_str());
    }
    tracing::debug!(
        attempt,
        status = response.status,
        request_id = response.request_id.as_deref(),
        latency_ms,
        "call succeeded"
    );
    response
}

/// Phase *classify*: reads an HTTP answer. An error status, or `"Success": false` in a 200, is a service
/// error. A ROA-style operation's 2xx answer may be empty (JSON `null`) or plain text (a JSON string); an
/// RPC one always answers with JSON, and anything else is unreadable.
fn classify(meta: &OperationMeta, response: HttpResponse) -> Result<RawResponse, AttemptError> {
    let HttpResponse { status, retry_after, body } = response;
    let action = meta.action;
    // The raw text is kept only for errors (it goes into ServiceError).
    let refused = |value: &Value| {
        let raw = String::from_utf8_lossy(&body).into_owned();
        AttemptError::Service(Box::new(ServiceError::from_body(action, status, value, raw, retry_after)))
    };
    let lenient = matches!(meta.protocol, Protocol::Roa { .. }) && status < 300;
    let parsed: Option<Value> = match serde_json::from_slice(&body) {
        Ok(value) => Some(value),
        Err(_) if lenient && body.is_empty() => Some(Value::Null),
        Err(_) if lenient => std::str::from_utf8(&body).ok().map(|text| Value::String(text.to_owned())),
        Err(_) => None,
    };
    if status >= 400 {
        let value = match parsed {
            Some(v @ Value::Object(_)) => v,
            _ => {
                serde_json::json!({ "Message": format!("HTTP {status} with a body that is not a JSON object ({} bytes)", body.len()) })
            }
        };
        return Err(refused(&value));
    }
    let Some(value) = parsed else {
        return Err(AttemptError::Undecodable {
            request_id: None,
            reason: format!("HTTP {status} with a body that is not JSON ({} bytes)", body.len()),
        });
    };
    let failed = match value.get("Success") {
        Some(Value::Bool(false)) => true,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("false"),
        _ => false,
    };
    if failed {
        return Err(refused(&value));
    }
    // RPC answers say `RequestId`; ROA ones may say `requestId` or `request_id` (CS).
    let request_id = ["RequestId", "requestId", "request_id"]
        .iter()
        .find_map(|key| value.get(*key).and_then(Value::as_str))
        .map(str::to_owned);
    Ok(RawResponse { status, request_id, body: value })
}

fn log_failure(attempt: u32, latency_ms: u64, failure: &AttemptError) {
    match failure {
        AttemptError::Service(e) => tracing::debug!(
            attempt,
            status = e.status(),
            code = e.code(),
            request_id = e.request_id(),
            latency_ms,
            "service error"
        ),
        AttemptError::Connect(reason) => {
            tracing::debug!(attempt, latency_ms, reason = reason.as_str(), "connect failed")
        }
        AttemptError::NoAnswer { reason, .. } => {
            tracing::debug!(attempt, latency_ms, reason = reason.as_str(), "no answer")
        }
        AttemptError::Undecodable { reason, .. } => {
            tracing::debug!(attempt, latency_ms, reason = reason.as_str(), "unreadable answer")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{Location, Style};
    use crate::endpoint::{EndpointRule, ServiceEndpoints};
    use crate::sign::SignatureVersion;
    use crate::validate::Validator;

    static SERVICE: Service = Service {
        product: "lists",
        version: "2024-01-01",
        endpoints: ServiceEndpoints { product: "lists", rule: EndpointRule::Central, map: &[] },
    };

    /// An operation with a query parameter and an optional form parameter holding JSON.
    struct Load {
        id: String,
        items: Option<serde_json::Value>,
    }

    impl Validate for Load {
        fn validate(&self, v: &mut Validator) {
            v.field("Id", |v| v.max_length(&self.id, 8));
        }
    }

    impl Operation for Load {
        type Output = serde_json::Value;
        const SERVICE: &'static Service = &SERVICE;
        const META: OperationMeta = OperationMeta {
            action: "Load",
            method: Method::Post,
            idempotent: false,
            anonymous: false,
            protocol: Protocol::Rpc,
        };
        fn encode(&self, params: &mut Params) -> Result<(), EncodeError> {
            params.push(Location::Query, "Id", Style::Default, &self.id)?;
            if let Some(items) = &self.items {
                params.push(Location::Form, "Items", Style::Json, items)?;
            }
            Ok(())
        }
    }

    fn client(version: SignatureVersion) -> ServiceClient {
        let config = Config::builder()
            .endpoint("http://127.0.0.1:9")
            .credentials(Credentials::new("id", "secret"))
            .signature_version(version)
            .build()
            .unwrap();
        ServiceClient::new(&config, &SERVICE)
    }

    fn signed(client: &ServiceClient, request: &Load, form: Option<EncodedForm>) -> Result<SignedRequest, Error> {
        let prepared = client.prepare(request, form)?;
        let endpoint = client.endpoint().unwrap();
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        client.sign(prepared, endpoint, Some(&Credentials::new("id", "secret")), time, "n", None)
    }

    /// A form body brought already encoded is sent, and signed, exactly as the request's own form
    /// parameter would have been.
    #[test]
    fn an_encoded_form_is_sent_and_signed_as_the_typed_request_would_be() {
        let items = serde_json::json!([{"calleeNumber": "138 0000", "名": "a+b&c=d"}]);
        for version in [SignatureVersion::V3, SignatureVersion::V1] {
            let client = client(version);
            let typed = Load { id: "x1".into(), items: Some(items.clone()) };
            let expected = signed(&client, &typed, None).unwrap();
            let form = EncodedForm::new(client.prepare(&typed, None).unwrap().body.bytes());
            let bare = Load { id: "x1".into(), items: None };
            let got = signed(&client, &bare, Some(form)).unwrap();
            assert_eq!(got, expected, "{version:?}");
            assert!(got.url.contains("Signature=") || got.header("authorization").is_some());
        }
    }

    /// A ROA operation: a path parameter and a JSON body.
    struct Scale {
        cluster: String,
        count: i64,
    }

    impl Validate for Scale {
        fn validate(&self, _: &mut Validator) {}
    }

    impl Operation for Scale {
        type Output = serde_json::Value;
        const SERVICE: &'static Service = &SERVICE;
        const META: OperationMeta = OperationMeta {
            action: "ScaleCluster",
            method: Method::Put,
            idempotent: false,
            anonymous: false,
            protocol: Protocol::Roa { path: "/clusters/{ClusterId}/scale" },
        };
        fn encode(&self, params: &mut Params) -> Result<(), EncodeError> {
            params.push(Location::Path, "ClusterId", Style::Default, &self.cluster)?;
            params.push(Location::Query, "dry", Style::Default, "1")?;
            params.set_json_body(&serde_json::json!({ "count": self.count, "tags": [{"k": "v"}] }))
        }
    }

    #[test]
    fn a_roa_request_goes_to_its_encoded_path_with_a_json_body_and_signs_that_path() {
        let client = client(SignatureVersion::V3);
        let request = Scale { cluster: "c 1/ä".into(), count: 3 };
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let signed = client.build_request(&request, &Credentials::new("id", "secret"), time, "n").unwrap();
        assert_eq!(signed.method, "PUT");
        assert_eq!(signed.url, "http://127.0.0.1:9/clusters/c%201%2F%C3%A4/scale?dry=1");
        let shown = format!("{signed:?}");
        assert!(!shown.contains("c%201") && shown.contains("http://127.0.0.1:9/<path, "), "{shown}");
        let described = client.prepare(&request, None).unwrap();
        let shown = format!("{described:?}");
        assert!(!shown.contains("c%201") && !shown.contains("count") && shown.contains("Json(<"), "{shown}");
        assert_eq!(signed.body.as_ref(), br#"{"count":3,"tags":[{"k":"v"}]}"#);
        assert_eq!(signed.header("content-type"), Some(protocol::JSON));
        assert_eq!(signed.header("x-acs-action"), Some("ScaleCluster"));
        // The service's check: the canonical URI is the path as sent.
        let path = "/clusters/c%201%2F%C3%A4/scale";
        let (headers, names) = v3::canonical_headers(&signed.headers, v3::is_signed_by_default);
        let hash = signed.header("x-acs-content-sha256").unwrap();
        let canonical = v3::canonical_request("PUT", path, "dry=1", &headers, &names, hash);
        let signature = v3::signature("secret", &v3::string_to_sign(&canonical));
        assert!(signed.header("authorization").unwrap().ends_with(&format!("Signature={signature}")));
    }

    #[test]
    fn v1_refuses_a_roa_request_before_sending_it() {
        let client = client(SignatureVersion::V1);
        let request = Scale { cluster: "c1".into(), count: 3 };
        let err =
            client.build_request(&request, &Credentials::new("id", "secret"), SystemTime::now(), "n").unwrap_err();
        assert!(err.is_not_sent(), "{err}");
        assert!(err.to_string().contains("ScaleCluster") && err.to_string().contains("V3"), "{err}");
    }

    #[test]
    fn an_empty_or_text_answer_is_null_or_a_string_for_roa_and_unreadable_for_rpc() {
        let answer = |body: &'static [u8]| HttpResponse { status: 200, retry_after: None, body: body.into() };
        assert_eq!(classify(&Scale::META, answer(b"")).ok().unwrap().body, Value::Null);
        assert_eq!(classify(&Scale::META, answer(b"done")).ok().unwrap().body, Value::from("done"));
        for body in [&b""[..], b"done"] {
            assert!(matches!(classify(&Load::META, answer(body)), Err(AttemptError::Undecodable { .. })));
        }
        let listed = HttpResponse { status: 200, retry_after: None, body: bytes::Bytes::from_static(b"[1,2]") };
        assert_eq!(classify(&Scale::META, listed).ok().unwrap().body, serde_json::json!([1, 2]));
        let cs = answer(br#"{"request_id":"r-1","cluster_id":"c"}"#);
        assert_eq!(classify(&Scale::META, cs).ok().unwrap().request_id.as_deref(), Some("r-1"));
    }

    #[test]
    fn a_request_carries_one_body() {
        let mut params = Params::new();
        params.push(Location::Form, "A", Style::Default, "1").unwrap();
        params.set_binary_body(&b"raw"[..]);
        let err = Body::of(&params).unwrap_err();
        assert!(err.to_string().contains("one body"), "{err}");
        let mut params = Params::new();
        params.set_binary_body(&b"\x89PNG"[..]);
        assert_eq!(Body::of(&params).unwrap(), Body::Binary(bytes::Bytes::from_static(b"\x89PNG")));
    }

    #[test]
    fn an_encoded_form_beside_the_requests_own_body_is_refused_before_sending() {
        let client = client(SignatureVersion::V3);
        let typed = Load { id: "x1".into(), items: Some(serde_json::json!([])) };
        let err = signed(&client, &typed, Some(EncodedForm::new(&b"Items=%5B%5D"[..]))).unwrap_err();
        assert!(err.is_not_sent(), "{err}");
        assert!(err.to_string().contains("already encoded") && err.to_string().contains("Items"), "{err}");
        let invalid = Load { id: "too long an id".into(), items: None };
        let err = signed(&client, &invalid, Some(EncodedForm::new(&b"Items=%5B%5D"[..]))).unwrap_err();
        assert!(matches!(err, Error::Validation { .. }), "the rest of the request is still validated: {err}");
    }
}
