//! Caching in front of a provider of temporary credentials: they are reused until they go stale, then
//! fetched again before use — by one caller, while the others wait for what it gets.

use std::fmt;
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;

use super::{Credentials, CredentialsError, CredentialsFuture, ProvideCredentials};

/// Temporary credentials are stale this long before they expire (the rule of the vendor's Python, Java
/// and Node libraries): a lifetime of 15 minutes or less is stale on arrival, and fetched for every call.
pub const STALE_BEFORE_EXPIRY: Duration = Duration::from_secs(15 * 60);

/// Wraps a provider and reuses what it returned until it is stale. Credentials without an expiry are
/// fetched once. A failed refresh keeps serving credentials that have not expired yet (with a warning);
/// once they have, the error names the provider and the cause.
pub struct Cached<P> {
    inner: P,
    stale_before: Duration,
    now: fn() -> SystemTime,
    cached: Mutex<Option<Credentials>>,
}

impl<P: fmt::Debug> fmt::Debug for Cached<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached").field("inner", &self.inner).field("stale_before", &self.stale_before).finish()
    }
}

impl<P: ProvideCredentials> Cached<P> {
    /// Caches `inner`, stale [`STALE_BEFORE_EXPIRY`] before expiry.
    pub fn new(inner: P) -> Self {
        Self { inner, stale_before: STALE_BEFORE_EXPIRY, now: SystemTime::now, cached: Mutex::new(None) }
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
        // Held across the fetch: callers that come meanwhile wait for its result instead of fetching too.
        let mut cached = self.cached.lock().await;
        let now = (self.now)();
        if let Some(creds) = cached.as_ref() {
            match creds.expires_at() {
                None => return Ok(creds.clone()),
                Some(at) if now + self.stale_before < at => return Ok(creds.clone()),
                _ => {}
            }
        }
        match self.inner.provide_credentials().await {
            Ok(fresh) => {
                *cached = Some(fresh.clone());
                Ok(fresh)
            }
            Err(error) => match cached.as_ref().and_then(|old| old.expires_at().map(|at| (old, at))) {
                Some((old, at)) if now < at => {
                    let left = at.duration_since(now).unwrap_or_default().as_secs();
                    tracing::warn!(provider = old.provider(), %error, left_s = left, "refreshing credentials failed; using the current ones until they expire");
                    Ok(old.clone())
                }
                Some((old, at)) => Err(CredentialsError::Fetch {
                    provider: "cached credentials",
                    message: format!(
                        "the credentials from {} expired at {} and could not be refreshed: {error}",
                        old.provider(),
                        humantime::format_rfc3339_seconds(at)
                    ),
                }),
                None => Err(error),
            },
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
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    static CLOCK: AtomicU64 = AtomicU64::new(1_000_000);
    fn clock() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(CLOCK.load(Ordering::SeqCst))
    }

    /// Gives `id-<n>` valid for `lifetime` seconds from the test clock, or fails while `failing`; slow
    /// enough that concurrent callers overlap.
    #[derive(Debug, Default)]
    struct Counting {
        fetches: AtomicU64,
        failing: AtomicBool,
    }
    impl ProvideCredentials for Counting {
        fn provide_credentials(&self) -> CredentialsFuture<'_> {
            Box::pin(async move {
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
        let calls: Vec<_> = (0..1000)
            .map(|_| {
                let c = cached.clone();
                tokio::spawn(async move { c.provide_credentials().await.map(|c| c.access_key_id().to_owned()) })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap(), "id-1");
        }
        assert_eq!(cached.inner.fetches.load(Ordering::SeqCst), 2);
        // Stale and the refresh fails: the valid credentials are still served.
        cached.inner.failing.store(true, Ordering::SeqCst);
        CLOCK.fetch_add(400, Ordering::SeqCst);
        assert_eq!(id(cached.provide_credentials().await).unwrap(), "id-1");
        // Expired and the refresh fails: an error naming where they came from and why.
        CLOCK.fetch_add(900, Ordering::SeqCst);
        let error = cached.provide_credentials().await.unwrap_err().to_string();
        assert!(error.contains("the credentials from test expired at") && error.contains("service down"), "{error}");
    }
}
