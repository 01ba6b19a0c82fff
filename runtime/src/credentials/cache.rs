//! Caching in front of a provider of temporary credentials: they are reused until they go stale, then
//! fetched again before use — by one caller, while the others wait for what it gets.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;

use super::{Credentials, CredentialsError, CredentialsFuture, ProvideCredentials};

/// Temporary credentials are stale this long before they expire (the rule of the vendor's Python, Java
/// and Node libraries): a lifetime of 15 minutes or less is stale on arrival, and fetched for every call.
pub const STALE_BEFORE_EXPIRY: Duration = Duration::from_secs(15 * 60);

/// After a failed refresh, credentials still valid are served this long before the provider is asked
/// again: callers are not each held up by their own failing fetch.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);

/// Wraps a provider and reuses what it returned until it is stale. Credentials without an expiry are
/// fetched once — unless they carry a security token, which always expires: those are fetched for every
/// call. A failed refresh keeps serving credentials that have not expired yet (with a warning), asking
/// again [`RETRY_AFTER_FAILURE`] later; once they have expired, the error names the provider and the cause.
/// Callers that waited while a fetch ran take its outcome rather than fetching again.
pub struct Cached<P> {
    inner: P,
    stale_before: Duration,
    now: fn() -> SystemTime,
    state: Mutex<State>,
    /// Fetches so far, counted as each ends: a caller that saw another number before it waited takes the
    /// last fetch's outcome.
    fetches: AtomicU64,
}

/// What the last fetch left.
#[derive(Default)]
struct State {
    credentials: Option<Credentials>,
    /// The last fetch's error, if it failed.
    error: Option<CredentialsError>,
    /// Not before this is the provider asked again after a failure.
    retry_at: Option<SystemTime>,
}

impl<P: fmt::Debug> fmt::Debug for Cached<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached").field("inner", &self.inner).field("stale_before", &self.stale_before).finish()
    }
}

impl<P: ProvideCredentials> Cached<P> {
    /// Caches `inner`, stale [`STALE_BEFORE_EXPIRY`] before expiry.
    pub fn new(inner: P) -> Self {
        let state = Mutex::new(State::default());
        Self { inner, stale_before: STALE_BEFORE_EXPIRY, now: SystemTime::now, state, fetches: AtomicU64::new(0) }
    }

    /// Counts credentials stale this long before expiry instead.
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.stale_before = margin;
        self
    }

    /// Uses another clock (for tests).
    pub fn with_clock(mut self, now: fn() -> SystemTime) -> Self {
        self.now = now;
        self
    }

    async fn get(&self) -> Result<Credentials, CredentialsError> {
        let seen = self.fetches.load(Ordering::Acquire);
        // Held across the fetch: callers that come meanwhile wait for its outcome instead of fetching too.
        let mut state = self.state.lock().await;
        let now = (self.now)();
        let waited_for_a_fetch = self.fetches.load(Ordering::Acquire) != seen;
        if let Some(outcome) = waited_for_a_fetch.then(|| self.outcome_of_last_fetch(&state, now)).flatten() {
            return outcome;
        }
        if let Some(creds) = state.credentials.as_ref().filter(|c| self.usable(c, &state, now)) {
            return Ok(creds.clone());
        }
        let fetched = self.inner.provide_credentials().await;
        self.fetches.fetch_add(1, Ordering::Release);
        match fetched {
            Ok(fresh) => {
                (state.credentials, state.error, state.retry_at) = (Some(fresh.clone()), None, None);
                Ok(fresh)
            }
            Err(error) => {
                state.error = Some(error.clone());
                self.after_failure(&mut state, error, now)
            }
        }
    }

    /// For a caller that waited while a fetch ran: that fetch's outcome, if it still holds now.
    fn outcome_of_last_fetch(&self, state: &State, now: SystemTime) -> Option<Result<Credentials, CredentialsError>> {
        let valid = state.credentials.as_ref().filter(|c| c.expires_at().is_none_or(|at| now < at));
        match (&state.error, valid) {
            (_, Some(creds)) => Some(Ok(creds.clone())),
            (Some(error), None) => Some(Err(error.clone())),
            (None, None) => None,
        }
    }

    /// Whether cached `creds` may be served without asking the provider.
    fn usable(&self, creds: &Credentials, state: &State, now: SystemTime) -> bool {
        match creds.expires_at() {
            // A token without an expiry cannot be known to be still good.
            None => creds.security_token().is_none(),
            Some(at) if now + self.stale_before < at => true,
            Some(at) => now < at && state.retry_at.is_some_and(|retry| now < retry),
        }
    }

    /// A refresh failed: the cached credentials while valid (asking again later), else the error.
    fn after_failure(
        &self,
        state: &mut State,
        error: CredentialsError,
        now: SystemTime,
    ) -> Result<Credentials, CredentialsError> {
        let Some(old) = state.credentials.clone() else { return Err(error) };
        match old.expires_at() {
            Some(at) if now < at => {
                let left = at.duration_since(now).unwrap_or_default().as_secs();
                tracing::warn!(provider = old.provider(), %error, left_s = left, "refreshing credentials failed; using the current ones until they expire");
                state.retry_at = Some(now + RETRY_AFTER_FAILURE);
                Ok(old)
            }
            Some(at) => Err(CredentialsError::Fetch {
                provider: "cached credentials",
                message: format!(
                    "the credentials from {} expired at {} and could not be refreshed: {error}",
                    old.provider(),
                    humantime::format_rfc3339_seconds(at)
                ),
            }),
            None => Err(error),
        }
    }
}

impl<P: ProvideCredentials> ProvideCredentials for Cached<P> {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    static CLOCK: AtomicU64 = AtomicU64::new(1_000_000);
    fn clock() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(CLOCK.load(Ordering::SeqCst))
    }

    /// Gives `id-<n>` valid for `lifetime` seconds from the test clock, or fails while `failing`; slow
    /// enough that concurrent callers overlap.
    #[derive(Debug, Default)]
    struct Counting {
        fetches: AtomicU64,
        attempts: AtomicU64,
        failing: AtomicBool,
    }
    impl ProvideCredentials for Counting {
        fn provide_credentials(&self) -> CredentialsFuture<'_> {
            Box::pin(async move {
                self.attempts.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                if self.failing.load(Ordering::SeqCst) {
                    return Err(CredentialsError::Fetch { provider: "test", message: "service down".into() });
                }
                let n = self.fetches.fetch_add(1, Ordering::SeqCst);
                let exp = clock() + Duration::from_secs(1200);
                Ok(Credentials::sts(format!("id-{n}"), "s", "t").with_expiry(exp).with_provider("test"))
            })
        }
    }

    /// The key IDs `n` callers get, all asking at once.
    async fn at_once(cached: &Arc<Cached<Counting>>, n: usize) -> Vec<String> {
        let calls: Vec<_> = (0..n)
            .map(|_| {
                let c = cached.clone();
                tokio::spawn(async move { c.provide_credentials().await.map(|c| c.access_key_id().to_owned()) })
            })
            .collect();
        let mut ids = Vec::with_capacity(n);
        for call in calls {
            ids.push(call.await.unwrap().unwrap());
        }
        ids
    }

    /// One test, because the clock is shared.
    #[tokio::test]
    async fn stale_fifteen_minutes_before_expiry_fetched_once_kept_through_failures() {
        let cached = Arc::new(Cached::new(Counting::default()).with_clock(clock));
        let id = |c: Result<Credentials, CredentialsError>| c.map(|c| c.access_key_id().to_owned());
        assert_eq!(id(cached.provide_credentials().await).unwrap(), "id-0");
        CLOCK.fetch_add(299, Ordering::SeqCst); // 901 s left: fresh
        assert_eq!(id(cached.provide_credentials().await).unwrap(), "id-0");
        CLOCK.fetch_add(2, Ordering::SeqCst); // 899 s left: stale
        // 1,000 callers at once while stale: one fetch, every caller gets its result.
        for id in at_once(&cached, 1000).await {
            assert_eq!(id, "id-1");
        }
        assert_eq!(cached.inner.fetches.load(Ordering::SeqCst), 2);
        // Stale and the refresh fails: the valid credentials are still served.
        cached.inner.failing.store(true, Ordering::SeqCst);
        CLOCK.fetch_add(380, Ordering::SeqCst);
        assert_eq!(id(cached.provide_credentials().await).unwrap(), "id-1");
        // Stale, failing, and 50 callers at once: one fetch, and none again until RETRY_AFTER_FAILURE.
        let before = cached.inner.attempts.load(Ordering::SeqCst);
        for id in at_once(&cached, 50).await {
            assert_eq!(id, "id-1");
        }
        assert_eq!(cached.inner.attempts.load(Ordering::SeqCst), before, "served during the back-off");
        CLOCK.fetch_add(11, Ordering::SeqCst);
        for id in at_once(&cached, 50).await {
            assert_eq!(id, "id-1", "still valid while the refresh fails");
        }
        assert_eq!(cached.inner.attempts.load(Ordering::SeqCst), before + 1, "one more try for 50 callers");
        // Expired and the refresh fails: an error naming where they came from and why.
        CLOCK.fetch_add(900, Ordering::SeqCst);
        let error = cached.provide_credentials().await.unwrap_err().to_string();
        assert!(error.contains("the credentials from test expired at") && error.contains("service down"), "{error}");
    }

    /// A token without an expiry cannot be known to be good: fetched for every call (a command that prints
    /// STS credentials without `expiration`).
    #[derive(Debug, Default)]
    struct NoExpiry(AtomicU64);
    impl ProvideCredentials for NoExpiry {
        fn provide_credentials(&self) -> CredentialsFuture<'_> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move { Ok(Credentials::sts(format!("id-{n}"), "s", "t")) })
        }
    }

    #[tokio::test]
    async fn tokens_without_an_expiry_are_fetched_each_time() {
        let cached = Cached::new(NoExpiry::default());
        cached.provide_credentials().await.unwrap();
        assert_eq!(cached.provide_credentials().await.unwrap().access_key_id(), "id-1");
    }
}
