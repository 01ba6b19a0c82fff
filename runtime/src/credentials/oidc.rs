//! A RAM role assumed with an OIDC token (RRSA: a Kubernetes service account's token, mounted in a file):
//! STS `AssumeRoleWithOIDC`, sent unsigned — the token is the proof. The file is read again at every
//! fetch, since Kubernetes rotates it. Its contents never appear in errors or logs.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use super::assume_role::{RoleSession, from_answer, role_session_settings};
use super::{Context, Credentials, CredentialsError, CredentialsFuture, ProvideCredentials};
use crate::sts;

const PROVIDER: &str = "OIDC";

/// Temporary credentials of a RAM role for an OIDC token. Put it behind [`super::Cached`].
#[derive(Debug)]
pub struct Oidc {
    context: Context,
    provider_arn: String,
    token_file: PathBuf,
    session: RoleSession,
    client: OnceLock<sts::Client>,
}

/// What an anonymous call is configured with: never asked, since the operation needs no credentials.
#[derive(Debug)]
struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        let reason = "an OIDC token, not credentials, proves the caller".to_owned();
        Box::pin(async move { Err(CredentialsError::NotConfigured { provider: PROVIDER, reason }) })
    }
}

impl Oidc {
    /// Assumes `role_arn` of the identity provider `provider_arn` with the token in `token_file`.
    pub fn new(
        context: Context,
        role_arn: impl Into<String>,
        provider_arn: impl Into<String>,
        token_file: impl Into<PathBuf>,
    ) -> Self {
        let session = RoleSession::new(role_arn);
        Self {
            context,
            provider_arn: provider_arn.into(),
            token_file: token_file.into(),
            session,
            client: OnceLock::new(),
        }
    }

    /// From `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN` and `ALIBABA_CLOUD_OIDC_TOKEN_FILE`
    /// (all three set, or the source is not configured).
    pub fn from_env(context: Context) -> Result<Self, CredentialsError> {
        let env = context.env();
        let names = ["ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE"];
        match names.map(|name| env.non_empty_var(name)) {
            [Some(role), Some(provider), Some(file)] => Ok(Self::new(context, role, provider, file)),
            found => {
                let missing: Vec<&str> =
                    names.iter().zip(&found).filter(|(_, v)| v.is_none()).map(|(n, _)| *n).collect();
                let reason = format!("{} not set", missing.join(", "));
                Err(CredentialsError::NotConfigured { provider: PROVIDER, reason })
            }
        }
    }

    role_session_settings!();

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        self.session.check(PROVIDER)?;
        let file = self.token_file.display();
        let token = self.context.env().read_file(&self.token_file).map_err(|e| CredentialsError::Fetch {
            provider: PROVIDER,
            message: format!("the token file {file}: {e}"),
        })?;
        let token = token.trim();
        if token.is_empty() {
            return Err(CredentialsError::Fetch {
                provider: PROVIDER,
                message: format!("the token file {file} is empty"),
            });
        }
        let client = match self.client.get() {
            Some(client) => client,
            None => {
                let client = self.session.client(&self.context, Arc::new(NoCredentials), PROVIDER)?;
                self.client.get_or_init(|| client)
            }
        };
        let mut call = client
            .assume_role_with_oidc(self.provider_arn.clone(), self.session.role_arn.clone(), token.to_owned())
            .role_session_name(self.session.session_name(&self.context))
            .duration_seconds(self.session.duration_i64());
        if let Some(policy) = &self.session.policy {
            call = call.policy(policy.clone());
        }
        let answer = call.send().await.map_err(|e| CredentialsError::Fetch {
            provider: PROVIDER,
            message: format!("assuming {} with the token in {file}: {e}", self.session.role_arn),
        })?;
        from_answer(PROVIDER, answer.credentials)
    }
}

impl ProvideCredentials for Oidc {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.fetch())
    }
}
