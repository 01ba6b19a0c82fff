//! Client configuration: region, endpoint, credentials, signature version, time limits, retries and user
//! agent — plus the pooled HTTP client that every client built from one `Config` shares.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::credentials::{
    Context, DefaultChain, Environment, OsEnvironment, ProvideCredentials, SharedCredentials, cli_profile_region,
};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::sign::SignatureVersion;
use crate::transport::Transport;

/// Time limits for a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening a connection (a connect that times out was never sent, so it is retried).
    pub connect: Duration,
    /// One attempt: sending the request and reading the whole answer.
    pub attempt: Duration,
    /// The whole call, retries and waits included; `None` for no overall limit.
    pub call: Option<Duration>,
}

impl Default for Timeouts {
    /// Connect 5 s, attempt 30 s, no overall limit.
    fn default() -> Self {
        Self { connect: Duration::from_secs(5), attempt: Duration::from_secs(30), call: None }
    }
}

/// Everything a client needs besides its product's own metadata. Cheap to clone; clones share one
/// connection pool and one credentials provider.
#[derive(Clone)]
pub struct Config {
    inner: Arc<Inner>,
}

struct Inner {
    region: Option<String>,
    endpoint: Option<Endpoint>,
    network: Option<String>,
    suffix: Option<String>,
    credentials: SharedCredentials,
    signature_version: SignatureVersion,
    timeouts: Timeouts,
    retry: RetryPolicy,
    user_agent: String,
    transport: Transport,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Config")
            .field("region", &i.region)
            .field("endpoint", &i.endpoint.as_ref().map(ToString::to_string))
            .field("network", &i.network)
            .field("suffix", &i.suffix)
            .field("credentials", &i.credentials)
            .field("signature_version", &i.signature_version)
            .field("timeouts", &i.timeouts)
            .field("retry", &i.retry)
            .field("user_agent", &i.user_agent)
            .finish()
    }
}

impl Config {
    /// A builder with defaults taken from the process environment.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Defaults from the process environment: region from `ALIBABA_CLOUD_REGION_ID` (or the CLI profile),
    /// credentials from the default chain.
    pub fn from_env() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// The region, if one is set.
    pub fn region(&self) -> Option<&str> {
        self.inner.region.as_deref()
    }
    /// The explicit endpoint, if one is set.
    pub fn endpoint(&self) -> Option<&Endpoint> {
        self.inner.endpoint.as_ref()
    }
    /// The endpoint network (`vpc`, `intl`, …), if set.
    pub fn network(&self) -> Option<&str> {
        self.inner.network.as_deref()
    }
    /// The endpoint suffix, if set.
    pub fn suffix(&self) -> Option<&str> {
        self.inner.suffix.as_deref()
    }
    /// The credentials provider.
    pub fn credentials(&self) -> &SharedCredentials {
        &self.inner.credentials
    }
    /// The signature version.
    pub fn signature_version(&self) -> SignatureVersion {
        self.inner.signature_version
    }
    /// The time limits.
    pub fn timeouts(&self) -> Timeouts {
        self.inner.timeouts
    }
    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }
    /// The `user-agent` header sent.
    pub fn user_agent(&self) -> &str {
        &self.inner.user_agent
    }
    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }
}

/// Builds a [`Config`].
pub struct ConfigBuilder {
    region: Option<String>,
    endpoint: Option<String>,
    network: Option<String>,
    suffix: Option<String>,
    credentials: Option<SharedCredentials>,
    environment: Arc<dyn Environment>,
    ecs_metadata_endpoint: Option<String>,
    sts_endpoint: Option<String>,
    signature_version: SignatureVersion,
    timeouts: Timeouts,
    retry: RetryPolicy,
    user_agent_suffix: Option<String>,
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        Self {
            region: None,
            endpoint: None,
            network: None,
            suffix: None,
            credentials: None,
            environment: Arc::new(OsEnvironment),
            ecs_metadata_endpoint: None,
            sts_endpoint: None,
            signature_version: SignatureVersion::default(),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            user_agent_suffix: None,
        }
    }
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("credentials", &self.credentials)
            .field("environment", &self.environment)
            .finish_non_exhaustive()
    }
}

impl ConfigBuilder {
    /// The region ID, e.g. `cn-hangzhou`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// An explicit endpoint: `host`, `https://host` or `http://127.0.0.1:PORT` for a local server.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The endpoint network for the endpoint rule (`vpc`, `intl`, …).
    pub fn network(mut self, network: impl Into<String>) -> Self {
        self.network = Some(network.into());
        self
    }

    /// The endpoint suffix for the endpoint rule.
    pub fn suffix(mut self, suffix: impl Into<String>) -> Self {
        self.suffix = Some(suffix.into());
        self
    }

    /// A credentials provider (a [`Credentials`](crate::credentials::Credentials) value works for static keys).
    pub fn credentials(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// A credentials provider already shared elsewhere.
    pub fn shared_credentials(mut self, provider: SharedCredentials) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// Where defaults (region, the default credential chain) are read from; the process environment
    /// unless set.
    pub fn environment(mut self, environment: Arc<dyn Environment>) -> Self {
        self.environment = environment;
        self
    }

    /// Where the default chain finds the ECS metadata service (a stand-in, a proxy): wins over
    /// `ACSGEN_ECS_METADATA_ENDPOINT` and `http://100.100.100.200`.
    pub fn ecs_metadata_endpoint(mut self, url: impl Into<String>) -> Self {
        self.ecs_metadata_endpoint = Some(url.into());
        self
    }

    /// Where the default chain's providers call STS (any URL, `http://127.0.0.1:PORT` included): wins over
    /// `ACSGEN_STS_ENDPOINT` and the endpoint each provider would choose.
    pub fn sts_endpoint(mut self, url: impl Into<String>) -> Self {
        self.sts_endpoint = Some(url.into());
        self
    }

    /// V3 (default) or V1 signatures.
    pub fn signature_version(mut self, version: SignatureVersion) -> Self {
        self.signature_version = version;
        self
    }

    /// All time limits at once.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The limit for opening a connection.
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.timeouts.connect = limit;
        self
    }

    /// The limit for one attempt.
    pub fn attempt_timeout(mut self, limit: Duration) -> Self {
        self.timeouts.attempt = limit;
        self
    }

    /// The limit for a whole call, retries included.
    pub fn call_timeout(mut self, limit: Duration) -> Self {
        self.timeouts.call = Some(limit);
        self
    }

    /// The retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Text appended to the `user-agent` header, e.g. your application's name and version.
    pub fn user_agent(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Builds the configuration and its HTTP client.
    pub fn build(self) -> Result<Config, Error> {
        let env = self.environment;
        let region = self
            .region
            .filter(|r| !r.is_empty())
            .or_else(|| env.non_empty_var("ALIBABA_CLOUD_REGION_ID"))
            .or_else(|| cli_profile_region(env.as_ref()));
        let endpoint = self.endpoint.as_deref().map(Endpoint::parse).transpose()?;
        let credentials = match self.credentials {
            Some(credentials) => credentials,
            None => {
                let mut context = Context::new(env.clone());
                if let Some(url) = self.ecs_metadata_endpoint {
                    context = context.with_ecs_metadata_endpoint(url);
                }
                if let Some(url) = self.sts_endpoint {
                    context = context.with_sts_endpoint(url);
                }
                Arc::new(DefaultChain::with_context(context))
            }
        };
        let mut user_agent =
            format!("acsgen/{} ({}; {})", env!("CARGO_PKG_VERSION"), std::env::consts::OS, std::env::consts::ARCH);
        if let Some(suffix) = self.user_agent_suffix.filter(|s| !s.is_empty()) {
            user_agent.push(' ');
            user_agent.push_str(&suffix);
        }
        let plain_http = endpoint.as_ref().is_some_and(|e| e.scheme() == "http");
        let transport = Transport::new(self.timeouts.connect, plain_http).map_err(Error::Config)?;
        Ok(Config {
            inner: Arc::new(Inner {
                region,
                endpoint,
                network: self.network,
                suffix: self.suffix,
                credentials,
                signature_version: self.signature_version,
                timeouts: self.timeouts,
                retry: self.retry,
                user_agent,
                transport,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{Credentials, FixedEnvironment};

    #[test]
    fn region_defaults_from_environment_then_profile() {
        let env = FixedEnvironment::new().var("ALIBABA_CLOUD_REGION_ID", "cn-beijing");
        let config = Config::builder().environment(Arc::new(env)).build().unwrap();
        assert_eq!(config.region(), Some("cn-beijing"));

        let profile = r#"{"current":"p","profiles":[{"name":"p","mode":"AK","access_key_id":"a","access_key_secret":"b","region_id":"cn-shenzhen"}]}"#;
        let env = FixedEnvironment::new().var("HOME", "/h").file("/h/.aliyun/config.json", profile);
        let config = Config::builder().environment(Arc::new(env)).build().unwrap();
        assert_eq!(config.region(), Some("cn-shenzhen"));

        let config = Config::builder().region("cn-hangzhou").environment(Arc::new(FixedEnvironment::new())).build();
        assert_eq!(config.unwrap().region(), Some("cn-hangzhou"));
    }

    #[test]
    fn bad_endpoint_is_a_config_time_error() {
        let err = Config::builder().endpoint("ftp://example").build().unwrap_err();
        assert!(err.to_string().contains("ftp://example"), "{err}");
    }

    #[test]
    fn debug_shows_settings_not_secrets() {
        let config = Config::builder()
            .credentials(Credentials::sts("LTAIkey", "very-secret", "very-token"))
            .user_agent("importer/1.0")
            .build()
            .unwrap();
        let text = format!("{config:?}");
        assert!(text.contains("LTAIkey") && text.contains("importer/1.0"), "{text}");
        assert!(!text.contains("very-secret") && !text.contains("very-token"), "{text}");
    }
}
