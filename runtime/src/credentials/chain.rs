//! The default credential chain, in the vendor's order: environment variables, an OIDC token (RRSA), the
//! CLI profile file, the INI credentials file, the ECS instance's RAM role, a credentials URI. The first
//! source that produces credentials wins and is remembered: later calls go straight to it — unless a source
//! before it is set up but failed, which is then tried again next time. When none works, the error lists
//! why each one did not.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{
    Cached, CliProfile, Context, Credentials, CredentialsError, CredentialsFuture, CredentialsUri, EcsRamRole,
    Environment, EnvironmentVariables, IniFile, Oidc, ProvideCredentials,
};

/// Tries providers in order and keeps to the first that produced credentials.
#[derive(Debug)]
pub struct DefaultChain {
    providers: Vec<Box<dyn ProvideCredentials>>,
    /// The provider that worked (`usize::MAX` until one has).
    chosen: AtomicUsize,
}

/// A source the environment does not set up, and why.
#[derive(Debug)]
struct NotSetUp {
    provider: &'static str,
    reason: &'static str,
}

impl ProvideCredentials for NotSetUp {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        let error = CredentialsError::NotConfigured { provider: self.provider, reason: self.reason.to_owned() };
        Box::pin(async move { Err(error) })
    }
}

impl DefaultChain {
    /// The vendor's order over the variables and files of `env`, with the vendor's addresses.
    pub fn new(env: Arc<dyn Environment>) -> Self {
        Self::with_context(Context::new(env))
    }

    /// The vendor's order, reading and fetching through `context`.
    pub fn with_context(context: Context) -> Self {
        let oidc: Box<dyn ProvideCredentials> = match Oidc::from_env(context.clone()) {
            Ok(oidc) => Box::new(Cached::new(oidc)),
            Err(_) => Box::new(NotSetUp {
                provider: "OIDC",
                reason: "ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE are not all set",
            }),
        };
        let uri: Box<dyn ProvideCredentials> = match context.env().non_empty_var("ALIBABA_CLOUD_CREDENTIALS_URI") {
            Some(_) => Box::new(Cached::new(CredentialsUri::new(context.clone()))),
            None => {
                Box::new(NotSetUp { provider: "credentials URI", reason: "ALIBABA_CLOUD_CREDENTIALS_URI is not set" })
            }
        };
        Self::from_providers(vec![
            Box::new(EnvironmentVariables::new(context.shared_env())),
            oidc,
            Box::new(CliProfile::new(context.clone())),
            Box::new(IniFile::new(context.clone())),
            Box::new(Cached::new(EcsRamRole::new(context))),
            uri,
        ])
    }

    /// A chain of your own providers, tried in the given order.
    pub fn from_providers(providers: Vec<Box<dyn ProvideCredentials>>) -> Self {
        Self { providers, chosen: AtomicUsize::new(usize::MAX) }
    }

    async fn first(&self) -> Result<Credentials, CredentialsError> {
        if let Some(provider) = self.providers.get(self.chosen.load(Ordering::Acquire)) {
            return provider.provide_credentials().await;
        }
        let mut reasons = Vec::with_capacity(self.providers.len());
        // Whether a source before the one that works is set up but failed (an STS outage, say).
        let mut one_failed = false;
        for (at, provider) in self.providers.iter().enumerate() {
            match provider.provide_credentials().await {
                Ok(creds) => {
                    let (provider, access_key_id) = (creds.provider(), creds.access_key_id());
                    if one_failed {
                        // Not kept: the failed source is tried again next time rather than silently replaced.
                        tracing::warn!(
                            provider,
                            access_key_id,
                            earlier = reasons.join("; "),
                            "credentials found after a source that is set up failed"
                        );
                    } else {
                        self.chosen.store(at, Ordering::Release);
                        tracing::info!(provider, access_key_id, "credentials found");
                    }
                    return Ok(creds);
                }
                Err(e) => {
                    one_failed |= !matches!(e, CredentialsError::NotConfigured { .. });
                    reasons.push(e.to_string());
                }
            }
        }
        Err(CredentialsError::NotFound(reasons))
    }
}

impl ProvideCredentials for DefaultChain {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.first())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::FixedEnvironment;

    const CLI: &str = r#"{"current":"default","profiles":[{"name":"default","mode":"AK","access_key_id":"cli-id","access_key_secret":"cli-s"}]}"#;
    const INI: &str = "[default]\ntype = access_key\naccess_key_id = ini-id\naccess_key_secret = ini-s\n";

    async fn id(env: FixedEnvironment) -> Result<String, CredentialsError> {
        // No metadata service here: nothing listens on this port.
        let context = Context::new(Arc::new(env.var("ACSGEN_ECS_METADATA_ENDPOINT", "http://127.0.0.1:9")));
        let chain = DefaultChain::with_context(context);
        chain.provide_credentials().await.map(|c| c.access_key_id().to_owned())
    }

    #[tokio::test]
    async fn vendor_order() {
        let all = FixedEnvironment::new()
            .var("HOME", "/h")
            .var("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
            .var("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-s")
            .file("/h/.aliyun/config.json", CLI)
            .file("/h/.alibabacloud/credentials", INI);
        assert_eq!(id(all).await.unwrap(), "env-id");
        let files = FixedEnvironment::new()
            .var("HOME", "/h")
            .file("/h/.aliyun/config.json", CLI)
            .file("/h/.alibabacloud/credentials", INI);
        assert_eq!(id(files).await.unwrap(), "cli-id");
        let ini_only = FixedEnvironment::new().var("HOME", "/h").file("/h/.alibabacloud/credentials", INI);
        assert_eq!(id(ini_only).await.unwrap(), "ini-id");
    }

    #[tokio::test]
    async fn nothing_found_lists_every_source() {
        let err = id(FixedEnvironment::new().var("HOME", "/h")).await.unwrap_err().to_string();
        for part in
            ["ALIBABA_CLOUD_ACCESS_KEY_ID", "/h/.aliyun/config.json", "/h/.alibabacloud/credentials", "ECS RAM role"]
        {
            assert!(err.contains(part), "{err}");
        }
    }

    /// Fails like a source that is set up but cannot fetch (STS down), counting its calls.
    #[derive(Debug, Default)]
    struct Down(std::sync::atomic::AtomicU64);

    impl ProvideCredentials for Down {
        fn provide_credentials(&self) -> CredentialsFuture<'_> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(async { Err(CredentialsError::Fetch { provider: "down", message: "STS unreachable".into() }) })
        }
    }

    #[tokio::test]
    async fn a_fallback_after_a_failed_source_is_not_remembered() {
        let down = Arc::new(Down::default());
        let chain = DefaultChain::from_providers(vec![Box::new(down.clone()), Box::new(Credentials::new("next", "s"))]);
        for _ in 0..2 {
            assert_eq!(chain.provide_credentials().await.unwrap().access_key_id(), "next");
        }
        assert_eq!(down.0.load(Ordering::SeqCst), 2, "the failed source is tried again");
    }
}
