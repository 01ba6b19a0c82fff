//! Retries: which failures are safe to send again, and how long to wait first.
//!
//! Only what the service cannot have acted on is resent blindly: connection failures, throttling,
//! `ServiceUnavailable`, and nonce or timestamp rejections (re-signed). Server errors, timeouts and dropped
//! connections after the request went out are resent only for idempotent operations; for the others they
//! end the call with [`crate::Error::OutcomeUnknown`].

use std::time::Duration;

use crate::error::ServiceError;

/// How many attempts a call gets and how the wait between them grows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff from 200 ms doubling up to 20 s, with jitter.
    fn default() -> Self {
        Self { max_attempts: 3, initial_backoff: Duration::from_millis(200), max_backoff: Duration::from_secs(20) }
    }
}

impl RetryPolicy {
    /// Up to `max_attempts` attempts in all (at least 1), default backoff.
    pub fn new(max_attempts: u32) -> Self {
        Self { max_attempts: max_attempts.max(1), ..Self::default() }
    }

    /// One attempt, no retries.
    pub fn disabled() -> Self {
        Self::new(1)
    }

    /// Backoff starting at `initial`, doubling per retry, capped at `max`.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Attempts allowed in all.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before retry number `retry` (1 for the first retry), given `random` in `[0, 1)`:
    /// half the exponential step is fixed, half is jitter, so concurrent clients spread out.
    pub fn backoff(&self, retry: u32, random: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(20);
        let step = self.initial_backoff.saturating_mul(1 << exponent).min(self.max_backoff);
        let half = step / 2;
        half + half.mul_f64(random.clamp(0.0, 1.0))
    }
}

/// What one failed attempt was.
#[derive(Debug)]
pub(crate) enum Failure<'a> {
    /// The connection could not be opened: nothing was sent.
    Connect,
    /// The request went out (or may have) and no answer came: timeout, dropped connection.
    NoAnswer,
    /// The service answered with an error.
    Service(&'a ServiceError),
}

/// True when resending cannot apply the request twice, whatever the operation.
fn is_safe_to_resend(failure: &Failure<'_>) -> bool {
    match failure {
        Failure::Connect => true,
        Failure::NoAnswer => false,
        Failure::Service(e) => e.refused_without_acting(),
    }
}

/// True when the failure is worth retrying for an idempotent operation.
fn is_transient(failure: &Failure<'_>) -> bool {
    match failure {
        Failure::Connect | Failure::NoAnswer => true,
        Failure::Service(e) => {
            is_safe_to_resend(failure) || e.status() >= 500 || matches!(e.code(), "InternalError" | "UnknownError")
        }
    }
}

/// Whether to try again after `failure`.
pub(crate) fn should_retry(failure: &Failure<'_>, idempotent: bool) -> bool {
    if idempotent { is_transient(failure) } else { is_safe_to_resend(failure) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(status: u16, code: &str, retry_after: Option<Duration>) -> ServiceError {
        let body = serde_json::json!({"Code": code, "Message": "m", "RequestId": "r"});
        ServiceError::from_body("Op", status, &body, body.to_string(), retry_after)
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(100));
        assert_eq!(p.backoff(1, 1.0), Duration::from_millis(200));
        assert_eq!(p.backoff(3, 1.0), Duration::from_millis(800));
        assert_eq!(p.backoff(30, 1.0), Duration::from_secs(20));
        assert_eq!(RetryPolicy::new(0).max_attempts(), 1);
    }

    #[test]
    fn classification() {
        let throttled = service(400, "Throttling.User", None);
        let retry_after = service(503, "Busy", Some(Duration::from_millis(5)));
        let internal = service(500, "InternalError", None);
        let invalid = service(400, "InvalidParameter", None);
        let nonce = service(400, "SignatureNonceUsed", None);
        for (failure, non_idempotent, idempotent) in [
            (Failure::Connect, true, true),
            (Failure::NoAnswer, false, true),
            (Failure::Service(&throttled), true, true),
            (Failure::Service(&retry_after), true, true),
            (Failure::Service(&nonce), true, true),
            (Failure::Service(&internal), false, true),
            (Failure::Service(&invalid), false, false),
        ] {
            assert_eq!(should_retry(&failure, false), non_idempotent, "{failure:?}");
            assert_eq!(should_retry(&failure, true), idempotent, "{failure:?}");
        }
    }
}
