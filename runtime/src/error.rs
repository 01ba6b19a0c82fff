//! The one public error type: the service's errors with every field it sends, and each way a call can fail
//! on the client's side, worded so the reader knows what happened and what to do.

use std::fmt;
use std::time::Duration;

use crate::credentials::CredentialsError;
use crate::decode::DecodeError;
use crate::encode::EncodeError;
use crate::endpoint::EndpointError;
use crate::validate::ValidationErrors;

/// Everything a call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error: HTTP 4xx/5xx, or HTTP 200 with `"Success": false`.
    #[error(transparent)]
    Service(Box<ServiceError>),
    /// The request breaks the spec's constraints. Nothing was sent.
    #[error("{action}: invalid request, nothing was sent: {errors}")]
    Validation {
        /// The operation.
        action: &'static str,
        /// Every problem found, each with its field path.
        errors: ValidationErrors,
    },
    /// A parameter could not be encoded. Nothing was sent.
    #[error("{action}: could not encode the request, nothing was sent: {source}")]
    Encode {
        /// The operation.
        action: &'static str,
        /// What could not be encoded.
        source: EncodeError,
    },
    /// No usable credentials.
    #[error("credentials: {0}")]
    Credentials(#[from] CredentialsError),
    /// No endpoint could be determined.
    #[error("endpoint: {0}")]
    Endpoint(#[from] EndpointError),
    /// The configuration cannot work (for example the HTTP client could not be built).
    #[error("configuration: {0}")]
    Config(String),
    /// The service could not be reached; the request was not delivered.
    #[error("{action}: could not connect to {endpoint}: {reason}")]
    Connect {
        /// The operation.
        action: &'static str,
        /// Where the request was going.
        endpoint: String,
        /// The underlying failure.
        reason: String,
    },
    /// The connection failed while the request was in flight, for an operation that is safe to repeat; the
    /// retries allowed were used up.
    #[error("{action}: the connection failed: {reason}")]
    Transport {
        /// The operation.
        action: &'static str,
        /// The underlying failure.
        reason: String,
    },
    /// A time limit was reached.
    #[error("{action}: timed out after {:.1?} ({limit})", elapsed)]
    Timeout {
        /// The operation.
        action: &'static str,
        /// Which limit: `connect`, `attempt` or `call`.
        limit: &'static str,
        /// How long the call had been running.
        elapsed: Duration,
    },
    /// The request may have reached the service, but no answer came back, and the operation is not safe
    /// to repeat, so it was not resent. Whether it took effect is unknown.
    #[error(
        "{action}: outcome unknown: the request may have reached the service but no answer came back ({reason}); \
         it was not resent because {action} is not idempotent. Check the service's state before sending it again"
    )]
    OutcomeUnknown {
        /// The operation.
        action: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// A paged listing went wrong: the service handed back a page token it had given already (walking on
    /// would never end), so the listing stopped there.
    #[error("{action}: paging stopped after page {page}: {reason}")]
    Paging {
        /// The operation.
        action: &'static str,
        /// How many pages had been read.
        page: u64,
        /// What went wrong.
        reason: String,
    },
    /// The response could not be read into the operation's output type.
    #[error("{action}: could not decode the response{}: {source}", request_id_suffix(.request_id.as_deref()))]
    Decode {
        /// The operation.
        action: &'static str,
        /// The request ID, if the body carried one.
        request_id: Option<String>,
        /// Where and what.
        source: DecodeError,
    },
}

fn request_id_suffix(id: Option<&str>) -> String {
    id.map(|id| format!(" (request id {id})")).unwrap_or_default()
}

impl Error {
    /// The service error, if the service answered with one.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    /// The service's error code, e.g. `Throttling.User`.
    pub fn code(&self) -> Option<&str> {
        self.service_error().map(ServiceError::code)
    }

    /// The request ID the service gave, if any.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service(e) => e.request_id(),
            Error::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// True when the request may have taken effect although no answer arrived.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown { .. })
    }

    /// True when nothing can have reached the service: validation, encoding, credentials, endpoint,
    /// configuration and connection failures.
    pub fn is_not_sent(&self) -> bool {
        matches!(
            self,
            Error::Validation { .. }
                | Error::Encode { .. }
                | Error::Credentials(_)
                | Error::Endpoint(_)
                | Error::Config(_)
                | Error::Connect { .. }
        )
    }
}

/// An error answer from the service, with every field the vendor's error shape carries.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub(crate) action: &'static str,
    pub(crate) status: u16,
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) request_id: Option<String>,
    pub(crate) host_id: Option<String>,
    pub(crate) recommend: Option<String>,
    pub(crate) access_denied_detail: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: String,
}

/// Codes the service returns without having acted on the request.
const NOT_ACTED_ON_CODES: &[&str] =
    &["ServiceUnavailable", "SignatureNonceUsed", "InvalidTimeStamp.Expired", "IllegalTimestamp"];

/// Codes that mean the request's timestamp was outside the service's window.
const CLOCK_SKEW_CODES: &[&str] = &["InvalidTimeStamp.Expired", "IllegalTimestamp", "InvalidTimeStamp.Format"];

impl ServiceError {
    /// Builds a service error from a parsed error body. `body` is kept verbatim.
    pub(crate) fn from_body(
        action: &'static str,
        status: u16,
        body: &serde_json::Value,
        raw: String,
        retry_after: Option<Duration>,
    ) -> Self {
        let text = |keys: &[&str]| {
            keys.iter().find_map(|k| match body.get(*k) {
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => Some(v.to_string()),
                _ => None,
            })
        };
        Self {
            action,
            status,
            code: text(&["Code", "code"]).unwrap_or_else(|| format!("HTTP{status}")),
            message: text(&["Message", "message"]).unwrap_or_default(),
            request_id: text(&["RequestId", "requestId"]),
            host_id: text(&["HostId", "hostId"]),
            recommend: text(&["Recommend", "recommend"]),
            access_denied_detail: text(&["AccessDeniedDetail", "accessDeniedDetail"]),
            retry_after,
            body: raw,
        }
    }

    /// The operation that failed.
    pub fn action(&self) -> &'static str {
        self.action
    }
    /// The HTTP status (200 for `"Success": false` answers).
    pub fn status(&self) -> u16 {
        self.status
    }
    /// The error code, e.g. `InvalidParameter`.
    pub fn code(&self) -> &str {
        &self.code
    }
    /// The service's message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The request ID, for support tickets.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    /// The `HostId` field.
    pub fn host_id(&self) -> Option<&str> {
        self.host_id.as_deref()
    }
    /// The `Recommend` field: a diagnosis link.
    pub fn recommend(&self) -> Option<&str> {
        self.recommend.as_deref()
    }
    /// The `AccessDeniedDetail` field.
    pub fn access_denied_detail(&self) -> Option<&str> {
        self.access_denied_detail.as_deref()
    }
    /// The delay the service asked for in `x-acs-retry-after`.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
    /// The raw response body.
    pub fn raw_body(&self) -> &str {
        &self.body
    }

    /// True for throttling: a `Throttling*` code, HTTP 429, or an `x-acs-retry-after` header.
    pub fn is_throttling(&self) -> bool {
        self.code.starts_with("Throttling") || self.status == 429 || self.retry_after.is_some()
    }

    /// True when the service refused the request without acting on it — throttling, `ServiceUnavailable`,
    /// a nonce or timestamp rejection — so that sending it again cannot apply it twice, whatever the
    /// operation.
    pub fn refused_without_acting(&self) -> bool {
        self.is_throttling() || NOT_ACTED_ON_CODES.contains(&self.code.as_str())
    }

    /// True when the request's timestamp was rejected: the local clock is likely wrong.
    pub fn is_clock_skew(&self) -> bool {
        CLOCK_SKEW_CODES.contains(&self.code.as_str())
    }

    /// What the user can do about this error, when there is something specific to say.
    pub fn hint(&self) -> Option<&'static str> {
        if self.is_clock_skew() {
            return Some(
                "the request's timestamp was rejected: check this machine's clock (requests must be signed within 15 minutes of the service's time; enable NTP)",
            );
        }
        match self.code.as_str() {
            "InvalidAccessKeyId.NotFound" | "InvalidAccessKeyId" => Some(
                "the access key ID is unknown: check which credentials are in use (environment, CLI profile, credentials file)",
            ),
            "SignatureDoesNotMatch" => Some("the signature was rejected: check the access key secret"),
            "InvalidSecurityToken.Expired" | "InvalidSecurityToken.Malformed" => {
                Some("the STS security token is expired or malformed: obtain new temporary credentials")
            }
            _ => None,
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.action, self.code, self.message)?;
        match &self.request_id {
            Some(id) => write!(f, " (request id {id}, HTTP {})", self.status)?,
            None => write!(f, " (HTTP {})", self.status)?,
        }
        if let Some(hint) = self.hint() {
            write!(f, "; hint: {hint}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ServiceError {
    // The raw body can echo request data; `raw_body()` gives it to whoever asks on purpose.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceError")
            .field("action", &self.action)
            .field("status", &self.status)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("request_id", &self.request_id)
            .field("host_id", &self.host_id)
            .field("recommend", &self.recommend)
            .field("access_denied_detail", &self.access_denied_detail)
            .field("retry_after", &self.retry_after)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

impl std::error::Error for ServiceError {}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }
}
