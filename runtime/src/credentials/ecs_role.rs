//! The RAM role of the ECS instance the program runs on, from the instance metadata service: an IMDSv2
//! token first (`PUT /latest/api/token`), IMDSv1 without one when the service refuses tokens (unless
//! `ALIBABA_CLOUD_IMDSV1_DISABLED=true`); the role from `ALIBABA_CLOUD_ECS_METADATA`, or the one the
//! service names. Skipped when `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`. A second to connect, a second
//! more to answer: off Alibaba Cloud nothing can be reached, and the chain moves on without hanging.

use std::time::Duration;

use super::{Context, Credentials, CredentialsError, CredentialsFuture, ProvideCredentials, temporary};

const PROVIDER: &str = "ECS RAM role";
/// Connecting (one second, set on the HTTP client) and reading the answer (one more).
const LIMIT: Duration = Duration::from_secs(2);
const TOKEN_TTL_SECONDS: &str = "21600";
const ROLES: &str = "/latest/meta-data/ram/security-credentials/";

/// Temporary credentials of the instance's RAM role. Put it behind [`super::Cached`].
#[derive(Debug, Clone)]
pub struct EcsRamRole {
    context: Context,
    role: Option<String>,
}

impl EcsRamRole {
    /// The role `ALIBABA_CLOUD_ECS_METADATA` names, else the one the metadata service names.
    pub fn new(context: Context) -> Self {
        Self { context, role: None }
    }

    /// This role, whatever the environment says.
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into()).filter(|r: &String| !r.is_empty());
        self
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        if self.context.is_true("ALIBABA_CLOUD_ECS_METADATA_DISABLED") {
            let reason = "disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED".to_owned();
            return Err(CredentialsError::NotConfigured { provider: PROVIDER, reason });
        }
        let base = self.context.ecs_metadata_endpoint();
        let token = self.token(&base).await?;
        let headers: Vec<(&str, &str)> = token.iter().map(|t| ("X-aliyun-ecs-metadata-token", t.as_str())).collect();
        let role = match self.role.clone().or_else(|| self.context.env().non_empty_var("ALIBABA_CLOUD_ECS_METADATA")) {
            Some(role) => role,
            None => self.get(&format!("{base}{ROLES}"), &headers, "the role's name").await?.trim().to_owned(),
        };
        if role.is_empty() || role.contains('/') {
            return Err(fail(format!("{base}: the instance has no usable RAM role name (`{role}`)")));
        }
        let body = self.get(&format!("{base}{ROLES}{role}"), &headers, &format!("role `{role}`")).await?;
        temporary::read(PROVIDER, &format!("{base}, role `{role}`"), &body)
    }

    /// An IMDSv2 token; `None` to go on with IMDSv1 when the service gives none. A service that cannot be
    /// reached at all is "not configured" at once: there is nothing to fall back to.
    async fn token(&self, base: &str) -> Result<Option<String>, CredentialsError> {
        let url = format!("{base}/latest/api/token");
        let ttl = [("X-aliyun-ecs-metadata-token-ttl-seconds", TOKEN_TTL_SECONDS)];
        let refused = match self.context.request("PUT", &url, &ttl, LIMIT).await {
            Ok(answer) if answer.status == 200 && !answer.body.trim().is_empty() => {
                return Ok(Some(answer.body.trim().to_owned()));
            }
            Ok(answer) => format!("HTTP {}", answer.status),
            Err(unanswered) if !unanswered.connected => {
                let reason = format!("no metadata service at {base}: {unanswered}");
                return Err(CredentialsError::NotConfigured { provider: PROVIDER, reason });
            }
            Err(unanswered) => unanswered.reason,
        };
        if self.context.is_true("ALIBABA_CLOUD_IMDSV1_DISABLED") {
            return Err(fail(format!(
                "{base} gave no IMDSv2 token ({refused}), and IMDSv1 is disabled by ALIBABA_CLOUD_IMDSV1_DISABLED"
            )));
        }
        Ok(None)
    }

    /// The body of a 200 answer to `GET url`; `what` names it in errors.
    async fn get(&self, url: &str, headers: &[(&str, &str)], what: &str) -> Result<String, CredentialsError> {
        let answer =
            self.context.request("GET", url, headers, LIMIT).await.map_err(|e| fail(format!("{what}: {e}")))?;
        match answer.status {
            200 => Ok(answer.body),
            status => Err(fail(format!("{what}: the metadata service answered HTTP {status}"))),
        }
    }
}

fn fail(message: String) -> CredentialsError {
    CredentialsError::Fetch { provider: PROVIDER, message }
}

impl ProvideCredentials for EcsRamRole {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.fetch())
    }
}
