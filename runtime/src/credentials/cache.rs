//! Caching in front of a provider: credentials are reused until shortly before they expire, and one
//! caller refreshes while the others wait — what providers of temporary credentials need.

use std::fmt;
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;

use super::{Credentials, CredentialsFuture, ProvideCredentials};

/// How long before expiry cached credentials are refreshed (the official SDKs use 180 s).
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(180);

/// Wraps a provider and reuses what it returned until `refresh_margin` before expiry.
/// Credentials without an expiry are fetched once.
pub struct Cached<P> {
    inner: P,
    refresh_margin: Duration,
    now: fn() -> SystemTime,
    cached: Mutex<Option<Credentials>>,
}

impl<P: fmt::Debug> fmt::Debug for Cached<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached").field("inner", &self.inner).field("refresh_margin", &self.refresh_margin).finish()
    }
}

impl<P: ProvideCredentials> Cached<P> {
    /// Caches `inner` with the default refresh margin.
    pub fn new(inner: P) -> Self {
        Self { inner, refresh_margin: DEFAULT_REFRESH_MARGIN, now: SystemTime::now, cached: Mutex::new(None) }
    }

    /// Refreshes this long before expiry.
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Uses another clock (for tests).
    pub fn with_clock(mut self, now: fn() -> SystemTime) -> Self {
        self.now = now;
        self
    }

    async fn get(&self) -> Result<Credentials, super::CredentialsError> {
        let mut cached = self.cached.lock().await;
        let now = (self.now)();
        if let Some(creds) = cached.as_ref() {
            match creds.expires_at() {
                None => return Ok(creds.clone()),
                Some(at) if now + self.refresh_margin < at => return Ok(creds.clone()),
                _ => {}
            }
        }
        match self.inner.provide_credentials().await {
            Ok(fresh) => {
                *cached = Some(fresh.clone());
                Ok(fresh)
            }
            // A failed refresh keeps using credentials that have not expired yet.
            Err(e) => match cached.as_ref() {
                Some(old) if old.expires_at().is_some_and(|at| now < at) => Ok(old.clone()),
                _ => Err(e),
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
    use std::sync::atomic::{AtomicU64, Ordering};

    static CLOCK: AtomicU64 = AtomicU64::new(1_000_000);
    fn clock() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(CLOCK.load(Ordering::SeqCst))
    }

    #[derive(Debug, Default)]
    struct Counting(AtomicU64);
    impl ProvideCredentials for Counting {
        fn provide_credentials(&self) -> CredentialsFuture<'_> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            let exp = clock() + Duration::from_secs(600);
            Box::pin(async move { Ok(Credentials::sts(format!("id-{n}"), "s", "t").with_expiry(exp)) })
        }
    }

    #[tokio::test]
    async fn refreshes_only_near_expiry() {
        let cached = Cached::new(Counting::default()).with_clock(clock);
        assert_eq!(cached.provide_credentials().await.unwrap().access_key_id(), "id-0");
        CLOCK.fetch_add(400, Ordering::SeqCst); // 200 s left: still above the 180 s margin
        assert_eq!(cached.provide_credentials().await.unwrap().access_key_id(), "id-0");
        CLOCK.fetch_add(30, Ordering::SeqCst); // 170 s left: refresh
        assert_eq!(cached.provide_credentials().await.unwrap().access_key_id(), "id-1");
    }
}
