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
    // The URI may carry secrets: shown as `shown` shows it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let uri = self.uri.as_deref().map(shown);
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
        let shown = shown(&uri);
        let fail =
            |message: String| CredentialsError::Fetch { provider: PROVIDER, message: format!("{shown}: {message}") };
        let answer = self.context.request("GET", &uri, &[], LIMIT).await.map_err(|e| fail(e.to_string()))?;
        if answer.status != 200 {
            return Err(fail(format!("HTTP {}", answer.status)));
        }
        temporary::read(PROVIDER, &shown, &answer.body)
    }
}

/// `uri` without what may be secret in it: a query (a token) and user information (`user:password@`).
fn shown(uri: &str) -> String {
    let without_query = uri.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = without_query.split_once("://").unwrap_or(("", without_query));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let scheme = if scheme.is_empty() { String::new() } else { format!("{scheme}://") };
    if path.is_empty() { format!("{scheme}{host}") } else { format!("{scheme}{host}/{path}") }
}

impl ProvideCredentials for CredentialsUri {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.fetch())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn what_may_be_secret_in_a_uri_is_not_shown() {
        assert_eq!(super::shown("http://user:pass@host:8080/creds?token=t#f"), "http://host:8080/creds");
        assert_eq!(super::shown("https://host"), "https://host");
        assert_eq!(super::shown("not a uri?x"), "not a uri");
    }
}
