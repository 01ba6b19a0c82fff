//! A RAM role assumed through STS `AssumeRole`, signed with the credentials of a source provider (an
//! access key, another role, the instance's role …): cross-account and least-privilege access. The
//! request goes through the generated [`crate::sts`] client, like any other call.

use std::sync::OnceLock;
use std::time::Duration;

use super::{Context, Credentials, CredentialsError, CredentialsFuture, ProvideCredentials, SharedCredentials};
use crate::{Config, RetryPolicy, sts};

const PROVIDER: &str = "AssumeRole";

/// The shortest and longest sessions STS grants, and the default.
const MIN_DURATION: u64 = 900;
const MAX_DURATION: u64 = 43_200;
const DEFAULT_DURATION: u64 = 3600;

/// The settings of the session both [`AssumeRole`] and [`super::Oidc`] take, as builder methods of a type
/// with a `session: RoleSession` field.
macro_rules! role_session_settings {
    () => {
        /// Names the session (else `ALIBABA_CLOUD_ROLE_SESSION_NAME`, else `acsgen-<unix time>`).
        pub fn session_name(mut self, name: impl Into<String>) -> Self {
            self.session.session_name = Some(name.into()).filter(|n: &String| !n.is_empty());
            self
        }

        /// How long each set of credentials lasts (at least 900 seconds; 3,600 unless set).
        pub fn duration_seconds(mut self, seconds: u64) -> Self {
            self.session.duration_seconds = seconds;
            self
        }

        /// A policy (JSON) narrowing what the credentials may do.
        pub fn policy(mut self, policy: impl Into<String>) -> Self {
            self.session.policy = Some(policy.into()).filter(|p: &String| !p.is_empty());
            self
        }

        /// Calls STS in `region` (else `ALIBABA_CLOUD_STS_REGION`, else the central endpoint), through its
        /// VPC endpoint when `vpc` (else `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`).
        pub fn sts_region(mut self, region: Option<String>, vpc: Option<bool>) -> Self {
            self.session.sts_region = region.filter(|r| !r.is_empty());
            self.session.vpc = vpc;
            self
        }
    };
}
pub(crate) use role_session_settings;

/// What assuming a role takes besides the caller's proof: shared by [`AssumeRole`] and [`super::Oidc`].
#[derive(Debug, Clone)]
pub(crate) struct RoleSession {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub duration_seconds: u64,
    pub policy: Option<String>,
    pub sts_region: Option<String>,
    pub vpc: Option<bool>,
}

impl RoleSession {
    pub fn new(role_arn: impl Into<String>) -> Self {
        Self {
            role_arn: role_arn.into(),
            session_name: None,
            duration_seconds: DEFAULT_DURATION,
            policy: None,
            sts_region: None,
            vpc: None,
        }
    }

    /// The session's name: given, else `ALIBABA_CLOUD_ROLE_SESSION_NAME`, else `acsgen-<unix time>`.
    pub fn session_name(&self, context: &Context) -> String {
        self.session_name
            .clone()
            .or_else(|| context.env().non_empty_var("ALIBABA_CLOUD_ROLE_SESSION_NAME"))
            .unwrap_or_else(|| {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                format!("acsgen-{}", now.as_secs())
            })
    }

    /// The duration as the STS client takes it (checked to be at most [`MAX_DURATION`]).
    pub fn duration_i64(&self) -> i64 {
        i64::try_from(self.duration_seconds).unwrap_or(i64::MAX)
    }

    /// Refuses a duration STS would refuse, before asking it.
    pub fn check(&self, provider: &'static str) -> Result<(), CredentialsError> {
        if !(MIN_DURATION..=MAX_DURATION).contains(&self.duration_seconds) {
            let message = format!(
                "a session lasts at least {MIN_DURATION} seconds and at most {MAX_DURATION}, not {}",
                self.duration_seconds
            );
            return Err(CredentialsError::Invalid { provider, message });
        }
        Ok(())
    }

    /// An STS client calling as `credentials`, at the endpoint the settings and `context` choose.
    pub fn client(
        &self,
        context: &Context,
        credentials: SharedCredentials,
        provider: &'static str,
    ) -> Result<sts::Client, CredentialsError> {
        let endpoint = context.sts_endpoint(self.sts_region.as_deref(), self.vpc);
        let config = Config::builder()
            .endpoint(endpoint)
            .shared_credentials(credentials)
            .environment(context.shared_env())
            // As the vendor's libraries sign STS calls.
            .signature_version(crate::sign::SignatureVersion::V1)
            .retry_policy(RetryPolicy::new(3))
            .connect_timeout(Duration::from_secs(5))
            .attempt_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| CredentialsError::Invalid { provider, message: format!("STS client: {e}") })?;
        Ok(sts::Client::new(&config))
    }
}

/// The credentials in an STS answer.
pub(crate) fn from_answer(
    provider: &'static str,
    credentials: Option<sts::Credentials>,
) -> Result<Credentials, CredentialsError> {
    let fail = |what: &str| CredentialsError::Fetch { provider, message: format!("STS answered without {what}") };
    let c = credentials.ok_or_else(|| fail("Credentials"))?;
    let field = |value: Option<String>, name| value.filter(|v| !v.is_empty()).ok_or_else(|| fail(name));
    let expiration = field(c.expiration, "Expiration")?;
    let expires_at = crate::sign::parse_timestamp(&expiration)
        .map_err(|e| CredentialsError::Fetch { provider, message: format!("STS Expiration: {e}") })?;
    let (id, secret, token) = (
        field(c.access_key_id, "AccessKeyId")?,
        field(c.access_key_secret, "AccessKeySecret")?,
        field(c.security_token, "SecurityToken")?,
    );
    Ok(Credentials::sts(id, secret, token).with_expiry(expires_at).with_provider(provider))
}

/// Temporary credentials of a RAM role, assumed with a source provider's credentials. Put it behind
/// [`super::Cached`] (the default chain does).
#[derive(Debug)]
pub struct AssumeRole {
    context: Context,
    source: SharedCredentials,
    session: RoleSession,
    external_id: Option<String>,
    client: OnceLock<sts::Client>,
}

impl AssumeRole {
    /// Assumes `role_arn` with what `source` provides, for an hour.
    pub fn new(context: Context, source: SharedCredentials, role_arn: impl Into<String>) -> Self {
        Self { context, source, session: RoleSession::new(role_arn), external_id: None, client: OnceLock::new() }
    }

    role_session_settings!();

    /// The external ID the role's trust policy asks for.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into()).filter(|i: &String| !i.is_empty());
        self
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        self.session.check(PROVIDER)?;
        let client = match self.client.get() {
            Some(client) => client,
            None => {
                let client = self.session.client(&self.context, self.source.clone(), PROVIDER)?;
                self.client.get_or_init(|| client)
            }
        };
        let mut call = client
            .assume_role(self.session.role_arn.clone(), self.session.session_name(&self.context))
            .duration_seconds(self.session.duration_i64());
        if let Some(policy) = &self.session.policy {
            call = call.policy(policy.clone());
        }
        if let Some(id) = &self.external_id {
            call = call.external_id(id.clone());
        }
        let answer = call.send().await.map_err(|e| CredentialsError::Fetch {
            provider: PROVIDER,
            message: format!("assuming {}: {e}", self.session.role_arn),
        })?;
        from_answer(PROVIDER, answer.credentials)
    }
}

impl ProvideCredentials for AssumeRole {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.fetch())
    }
}
