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
use crate::retry::{Failure, should_retry};
use crate::sign::{self, SignableRequest, SignatureVersion, v1, v3};
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
}

impl Method {
    /// The method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
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

/// The request body, prepared once and sent by every attempt.
#[derive(Clone)]
struct Body {
    bytes: bytes::Bytes,
    content_type: Option<&'static str>,
}

/// How one attempt ended.
enum Attempt {
    Done(RawResponse),
    Failed(AttemptError),
}

enum AttemptError {
    Connect(String),
    NoAnswer { reason: String, timed_out: bool },
    Service(ServiceError),
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
        let (params, body) = self.prepare(request, None)?;
        self.send_prepared::<O>(&params, body).await
    }

    /// Like [`send`](Self::send), for a caller that brings the form body already encoded: `request`'s
    /// other parameters (query, headers) are validated and encoded as usual and must leave its form
    /// parameters unset; `form` is the body, sent as it is, neither copied nor encoded again, by every
    /// attempt. Signing, retries, time limits and decoding are those of [`send`](Self::send).
    pub async fn send_with_form<O: Operation>(&self, request: &O, form: EncodedForm) -> Result<O::Output, Error> {
        let (params, body) = self.prepare(request, Some(form))?;
        self.send_prepared::<O>(&params, body).await
    }

    async fn send_prepared<O: Operation>(&self, params: &Params, body: Body) -> Result<O::Output, Error> {
        let raw = self.dispatch(&O::META, params, body).await?;
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
        let (params, body) = self.prepare(request, None)?;
        let endpoint = self.endpoint.as_ref().map_err(|e| Error::Endpoint(e.clone()))?;
        let credentials = (!O::META.anonymous).then_some(credentials);
        Ok(self.sign(&O::META, &params, body, endpoint, credentials, time, nonce, None))
    }

    /// What every way of sending shares: the request must be this product's; it is validated and
    /// encoded; its body is made once, from its parameters or from the `form` the caller brought.
    fn prepare<O: Operation>(&self, request: &O, form: Option<EncodedForm>) -> Result<(Params, Body), Error> {
        let action = O::META.action;
        self.same_service::<O>()?;
        Validator::check(request).map_err(|errors| Error::Validation { action, errors })?;
        let mut params = Params::new();
        request.encode(&mut params).map_err(|source| Error::Encode { action, source })?;
        let body = match form {
            None => Body::of(&params),
            Some(form) => Body::form(&params, form).map_err(|source| Error::Encode { action, source })?,
        };
        Ok((params, body))
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
        self.dispatch(meta, params, Body::of(params)).await
    }

    async fn dispatch(&self, meta: &OperationMeta, params: &Params, body: Body) -> Result<RawResponse, Error> {
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
        self.run(meta, params, body, endpoint).instrument(span).await
    }

    async fn run(
        &self,
        meta: &OperationMeta,
        params: &Params,
        body: Body,
        endpoint: &Endpoint,
    ) -> Result<RawResponse, Error> {
        let action = meta.action;
        let timeouts = self.config.timeouts();
        let policy = self.config.retry_policy();
        let started = Instant::now();
        let deadline = timeouts.call.map(|limit| started + limit);
        let mut last_delay = Duration::ZERO;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let retried = (attempt > 1).then_some((attempt - 1, last_delay));
            let request = self.signed_attempt(meta, params, &body, endpoint, retried).await?;
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let limit = remaining.map_or(timeouts.attempt, |r| r.min(timeouts.attempt));
            let attempt_started = Instant::now();
            let outcome = self.exchange(action, &request, limit).await;
            let latency_ms = attempt_started.elapsed().as_millis() as u64;
            let span = tracing::Span::current();
            span.record("attempts", attempt);
            let failure = match outcome {
                Attempt::Done(response) => {
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
                    return Ok(response);
                }
                Attempt::Failed(failure) => failure,
            };
            let kind = match &failure {
                AttemptError::Connect(_) => Failure::Connect,
                AttemptError::NoAnswer { .. } | AttemptError::Undecodable { .. } => Failure::NoAnswer,
                AttemptError::Service(e) => Failure::Service(e),
            };
            log_failure(attempt, latency_ms, &failure);
            let retry = should_retry(&kind, meta.idempotent) && attempt < policy.max_attempts();
            let delay = match &failure {
                AttemptError::Service(e) => e.retry_after().unwrap_or_else(|| policy.backoff(attempt, fastrand::f64())),
                _ => policy.backoff(attempt, fastrand::f64()),
            };
            let fits = deadline.is_none_or(|d| Instant::now() + delay < d);
            if retry && fits {
                tracing::info!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
                tokio::time::sleep(delay).await;
                last_delay = delay;
                continue;
            }
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            return Err(self.final_error(
                meta,
                failure,
                started.elapsed(),
                deadline.is_some_and(|d| Instant::now() >= d),
            ));
        }
    }

    /// One attempt's request, signed with the credentials of the moment (none for an anonymous operation)
    /// and a fresh nonce; `retried` is (retries so far, last delay).
    async fn signed_attempt(
        &self,
        meta: &OperationMeta,
        params: &Params,
        body: &Body,
        endpoint: &Endpoint,
        retried: Option<(u32, Duration)>,
    ) -> Result<SignedRequest, Error> {
        let credentials = match meta.anonymous {
            true => None,
            false => Some(self.config.credentials().provide_credentials().await?),
        };
        let nonce = format!("{:032x}", fastrand::u128(..));
        let (time, body) = (SystemTime::now(), body.clone());
        Ok(self.sign(meta, params, body, endpoint, credentials.as_ref(), time, &nonce, retried))
    }

    /// Sends `request` and reads how the attempt ended.
    async fn exchange(&self, action: &'static str, request: &SignedRequest, limit: Duration) -> Attempt {
        match self.config.transport().send(request, limit).await {
            Ok(response) => interpret(action, response),
            Err(SendError::Connect(reason)) => Attempt::Failed(AttemptError::Connect(reason)),
            Err(SendError::NoAnswer(reason)) => Attempt::Failed(AttemptError::NoAnswer { reason, timed_out: false }),
            Err(SendError::TimedOut) => Attempt::Failed(AttemptError::NoAnswer {
                reason: format!("no answer within {limit:.1?}"),
                timed_out: true,
            }),
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
                Error::Service(Box::new(e))
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

    /// Builds and signs one attempt's HTTP request (`credentials` is `None` for an anonymous operation,
    /// sent with the protocol's parameters and no signature); `retried` is (retries so far, last delay).
    #[allow(clippy::too_many_arguments)]
    fn sign(
        &self,
        meta: &OperationMeta,
        params: &Params,
        body: Body,
        endpoint: &Endpoint,
        credentials: Option<&Credentials>,
        time: SystemTime,
        nonce: &str,
        retried: Option<(u32, Duration)>,
    ) -> SignedRequest {
        let timestamp = sign::format_timestamp(time);
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), endpoint.authority().to_owned()),
            ("x-acs-action".into(), meta.action.to_owned()),
            ("x-acs-version".into(), self.service.version.to_owned()),
        ];
        if let Some(content_type) = body.content_type {
            headers.push(("content-type".into(), content_type.to_owned()));
        }
        headers.extend(params.headers().iter().cloned());
        if let Some((retries, delay)) = retried {
            headers.push(("x-acs-retry-attempts".into(), retries.to_string()));
            headers.push(("x-acs-retry-delay".into(), delay.as_millis().to_string()));
        }
        let mut query: Vec<(String, String)> = Vec::with_capacity(params.query().len() + 10);
        match self.config.signature_version() {
            SignatureVersion::V1 => {
                query.push(("Action".into(), meta.action.to_owned()));
                query.push(("Version".into(), self.service.version.to_owned()));
                query.push(("Format".into(), "json".to_owned()));
                query.extend(params.query().iter().cloned());
                query.extend(self.v1_params(meta, &query, &body, credentials, &timestamp, nonce));
            }
            _ => {
                query.extend(params.query().iter().cloned());
                let request = SignableRequest {
                    method: meta.method.as_str(),
                    path: "/",
                    query: &query,
                    headers: &headers,
                    body: &body.bytes,
                };
                let added = match credentials {
                    Some(credentials) => v3::sign(&request, &credentials.signing_key(), &timestamp, nonce).headers,
                    None => v3::unsigned_headers(&body.bytes, &timestamp, nonce),
                };
                headers.extend(added);
            }
        }
        headers.push(("user-agent".into(), self.config.user_agent().to_owned()));
        headers.push(("accept".into(), "application/json".into()));
        let mut url = endpoint.base_url();
        if !query.is_empty() {
            url.push('?');
            url.push_str(&v3::canonical_query(&query));
        }
        SignedRequest { method: meta.method.as_str(), url, headers, body: body.bytes }
    }

    /// The V1 parameters an attempt adds to `query`: the signature's, or for an anonymous operation only
    /// the time and nonce.
    fn v1_params(
        &self,
        meta: &OperationMeta,
        query: &[(String, String)],
        body: &Body,
        credentials: Option<&Credentials>,
        timestamp: &str,
        nonce: &str,
    ) -> Vec<(String, String)> {
        match credentials {
            Some(credentials) => {
                let signed: Vec<(String, String)> = query.iter().cloned().chain(body.form_pairs()).collect();
                v1::sign(meta.method.as_str(), &signed, &credentials.signing_key(), timestamp, nonce).params
            }
            None => vec![("Timestamp".into(), timestamp.to_owned()), ("SignatureNonce".into(), nonce.to_owned())],
        }
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

impl Body {
    /// The body `params` make: their form parameters, else their JSON body, else nothing.
    fn of(params: &Params) -> Self {
        if let Some(form) = params.form_body() {
            return Body { bytes: form, content_type: Some(FORM) };
        }
        if let Some(json) = params.json_body() {
            return Body { bytes: json.into(), content_type: Some("application/json; charset=utf-8") };
        }
        Body { bytes: bytes::Bytes::new(), content_type: None }
    }

    /// `form` as the body of a request whose `params` must then have no body of their own.
    fn form(params: &Params, form: EncodedForm) -> Result<Self, EncodeError> {
        let mut own: Vec<&str> = params.form().iter().map(|(name, _)| name.as_str()).collect();
        own.extend(params.json_body().is_some().then_some("(the JSON body)"));
        if !own.is_empty() {
            return Err(EncodeError::new(format!(
                "the form body was given already encoded, and the request sets its own body too ({}): leave those unset",
                own.join(", ")
            )));
        }
        Ok(Body { bytes: form.into_bytes(), content_type: Some(FORM) })
    }

    /// The form's pairs, decoded (none for another body): what a V1 signature signs.
    fn form_pairs(&self) -> Vec<(String, String)> {
        if self.content_type == Some(FORM) { EncodedForm::new(self.bytes.clone()).decoded() } else { Vec::new() }
    }
}

/// Reads an HTTP answer: an error status, or `"Success": false` in a 200, is a service error.
fn interpret(action: &'static str, response: HttpResponse) -> Attempt {
    let HttpResponse { status, retry_after, body } = response;
    // The raw text is kept only for errors (it goes into ServiceError).
    let raw = || String::from_utf8_lossy(&body).into_owned();
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    if status >= 400 {
        let value = match parsed {
            Some(v @ Value::Object(_)) => v,
            _ => {
                serde_json::json!({ "Message": format!("HTTP {status} with a body that is not a JSON object ({} bytes)", body.len()) })
            }
        };
        return Attempt::Failed(AttemptError::Service(ServiceError::from_body(
            action,
            status,
            &value,
            raw(),
            retry_after,
        )));
    }
    let Some(value) = parsed else {
        return Attempt::Failed(AttemptError::Undecodable {
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
        return Attempt::Failed(AttemptError::Service(ServiceError::from_body(
            action,
            status,
            &value,
            raw(),
            retry_after,
        )));
    }
    let request_id = value.get("RequestId").and_then(Value::as_str).map(str::to_owned);
    Attempt::Done(RawResponse { status, request_id, body: value })
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
        const META: OperationMeta =
            OperationMeta { action: "Load", method: Method::Post, idempotent: false, anonymous: false };
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
        let (params, body) = client.prepare(request, form)?;
        let endpoint = client.endpoint().unwrap();
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        Ok(client.sign(&Load::META, &params, body, endpoint, Some(&Credentials::new("id", "secret")), time, "n", None))
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
            let form = EncodedForm::new(client.prepare(&typed, None).unwrap().1.bytes);
            let bare = Load { id: "x1".into(), items: None };
            let got = signed(&client, &bare, Some(form)).unwrap();
            assert_eq!(got, expected, "{version:?}");
            assert!(got.url.contains("Signature=") || got.header("authorization").is_some());
        }
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
