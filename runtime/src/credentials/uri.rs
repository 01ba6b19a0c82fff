//! Credentials from a URI a sidecar or agent serves (`ALIBABA_CLOUD_CREDENTIALS_URI`): a `GET` answered
//! with the metadata service's JSON.

use std::time::Duration;

use super::{Context, Credentials, CredentialsError, CredentialsFuture, ProvideCredentials, temporary};

const PROVIDER: &str = "credentials URI";
const LIMIT: Duration = Duration::from_secs(5);

/// Temporary credentials from a URI. Put it behind [`super::Cached`].
#[derive(Clone)]
pub struct CredentialsUri {
    context: Context,
    uri: Option<String>,
}

impl std::fmt::Debug for CredentialsUri {
    // The URI may carry a token in its query: shown without it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let uri = self.uri.as_deref().map(|uri| uri.split('?').next().unwrap_or_default());
        f.debug_struct("CredentialsUri").field("context", &self.context).field("uri", &uri).finish()
    }
}

impl CredentialsUri {
    /// The URI in `ALIBABA_CLOUD_CREDENTIALS_URI`.
    pub fn new(context: Context) -> Self {
        Self { context, uri: None }
    }

    /// This URI, whatever the environment says.
    pub fn with_uri(mut self, uri: impl Into<String>) -> Self {
        self.uri = Some(uri.into());
        self
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let Some(uri) = self.uri.clone().or_else(|| self.context.env().non_empty_var("ALIBABA_CLOUD_CREDENTIALS_URI"))
        else {
            let reason = "ALIBABA_CLOUD_CREDENTIALS_URI is not set".to_owned();
            return Err(CredentialsError::NotConfigured { provider: PROVIDER, reason });
        };
        // The URI may carry a token of its own in its query: errors show it without.
        let shown = uri.split('?').next().unwrap_or_default().to_owned();
        let fail =
            |message: String| CredentialsError::Fetch { provider: PROVIDER, message: format!("{shown}: {message}") };
        let answer = self.context.request("GET", &uri, &[], LIMIT).await.map_err(fail)?;
        if answer.status != 200 {
            return Err(fail(format!("HTTP {}", answer.status)));
        }
        temporary::read(PROVIDER, &shown, &answer.body)
    }
}

impl ProvideCredentials for CredentialsUri {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.fetch())
    }
}
