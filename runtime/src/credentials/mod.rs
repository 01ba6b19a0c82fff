//! Where credentials come from, in the vendor's order ([`DefaultChain`]): environment variables, an OIDC
//! token (RRSA in Kubernetes), the CLI profile file, the INI credentials file, the ECS instance's RAM role
//! and a credentials URI — and roles assumed over any of them ([`AssumeRole`]).
//!
//! Providers read variables, files and HTTP through an injected [`Context`], so tests (yours and ours)
//! never touch the process environment, the home directory or the network. Temporary credentials are
//! kept behind [`Cached`], which fetches them again before they go stale, once however many callers wait.

mod assume_role;
mod cache;
mod chain;
mod cli_profile;
mod context;
mod ecs_role;
mod env;
mod environment;
mod external;
mod ini_file;
mod labelled;
mod oidc;
mod temporary;
mod uri;

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

pub use assume_role::AssumeRole;
pub use cache::{Cached, RETRY_AFTER_FAILURE, STALE_BEFORE_EXPIRY};
pub use chain::DefaultChain;
pub use cli_profile::{CliProfile, cli_profile_region};
pub use context::{Context, ECS_METADATA_ENDPOINT, ECS_METADATA_ENDPOINT_VAR, STS_ENDPOINT_VAR};
pub use ecs_role::EcsRamRole;
pub use env::EnvironmentVariables;
pub use environment::{Environment, FixedEnvironment, OsEnvironment};
pub use external::External;
pub use ini_file::IniFile;
pub use oidc::Oidc;
pub use uri::CredentialsUri;

use crate::redact::{REDACTED, Secret};
use crate::sign::SigningKey;

/// An access key, with a security token when it is temporary (STS).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    access_key_secret: Secret,
    security_token: Option<Secret>,
    expires_at: Option<SystemTime>,
    provider: Cow<'static, str>,
}

impl Credentials {
    /// A long-term access key.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<Secret>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: None,
            expires_at: None,
            provider: Cow::Borrowed("static"),
        }
    }

    /// Temporary STS credentials: key, secret and security token.
    pub fn sts(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<Secret>,
        security_token: impl Into<Secret>,
    ) -> Self {
        Self::new(access_key_id, access_key_secret).with_security_token(security_token)
    }

    /// Adds a security token.
    pub fn with_security_token(mut self, token: impl Into<Secret>) -> Self {
        let token = token.into();
        self.security_token = if token.is_empty() { None } else { Some(token) };
        self
    }

    /// Sets when the credentials stop working.
    pub fn with_expiry(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// Records which provider produced the credentials (for logs and errors).
    pub fn with_provider(mut self, provider: impl Into<Cow<'static, str>>) -> Self {
        self.provider = provider.into();
        self
    }

    /// The access key ID (not secret: it names the key).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The access key secret.
    pub fn access_key_secret(&self) -> &Secret {
        &self.access_key_secret
    }

    /// The STS security token, if any.
    pub fn security_token(&self) -> Option<&Secret> {
        self.security_token.as_ref()
    }

    /// When the credentials expire, if they do.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// The provider that produced them, e.g. `environment`, `ECS RAM role`, `CLI profile "dev" (RamRoleArn)`.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The key the signer takes.
    pub fn signing_key(&self) -> SigningKey<'_> {
        SigningKey {
            access_key_id: &self.access_key_id,
            access_key_secret: self.access_key_secret.expose(),
            security_token: self.security_token.as_ref().map(Secret::expose),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &REDACTED)
            .field("security_token", &self.security_token.as_ref().map(|_| REDACTED))
            .field("expires_at", &self.expires_at)
            .field("provider", &self.provider)
            .finish()
    }
}

/// Why credentials could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// This source is not set up (no variable, no file): a chain moves on to the next.
    #[error("{provider}: {reason}")]
    NotConfigured {
        /// The provider.
        provider: &'static str,
        /// What is missing.
        reason: String,
    },
    /// This source is set up but unusable (a malformed file, an unsupported mode, an empty secret).
    #[error("{provider}: {message}")]
    Invalid {
        /// The provider.
        provider: &'static str,
        /// What is wrong and where.
        message: String,
    },
    /// This source is set up, and fetching from it failed (unreachable, refused, a malformed answer).
    #[error("{provider}: {message}")]
    Fetch {
        /// The provider.
        provider: &'static str,
        /// What failed.
        message: String,
    },
    /// No source in a chain produced credentials; every source's reason is listed.
    #[error(
        "no credentials found; set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or configure a profile. Tried: {}",
        .0.join("; ")
    )]
    NotFound(Vec<String>),
}

/// The future a provider returns.
pub type CredentialsFuture<'a> = Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// A source of credentials. Called before every signed request; providers cache as they see fit.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Produces credentials, or says why it cannot.
    fn provide_credentials(&self) -> CredentialsFuture<'_>;
}

/// Static credentials provide themselves.
impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        let creds = self.clone();
        Box::pin(async move { Ok(creds) })
    }
}

impl<P: ProvideCredentials + ?Sized> ProvideCredentials for Arc<P> {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        (**self).provide_credentials()
    }
}

/// A provider shared between clients.
pub type SharedCredentials = Arc<dyn ProvideCredentials>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secret_and_token() {
        let creds = Credentials::sts("LTAIexample", "the-secret", "the-token");
        let text = format!("{creds:?}");
        assert!(text.contains("LTAIexample"));
        assert!(!text.contains("the-secret") && !text.contains("the-token"), "{text}");
    }

    #[test]
    fn empty_token_means_long_term_key() {
        let creds = Credentials::new("id", "secret").with_security_token("");
        assert!(creds.security_token().is_none());
    }
}
