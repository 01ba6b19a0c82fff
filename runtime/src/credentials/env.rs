//! Credentials from `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and, for STS,
//! `ALIBABA_CLOUD_SECURITY_TOKEN`.

use std::sync::Arc;

use super::{Credentials, CredentialsError, CredentialsFuture, Environment, ProvideCredentials};

const PROVIDER: &str = "environment";

/// Reads the access key from environment variables.
#[derive(Debug, Clone)]
pub struct EnvironmentVariables {
    env: Arc<dyn Environment>,
}

impl EnvironmentVariables {
    /// Reads from `env`.
    pub fn new(env: Arc<dyn Environment>) -> Self {
        Self { env }
    }

    /// The lookup itself, synchronous.
    pub fn load(&self) -> Result<Credentials, CredentialsError> {
        let Some(id) = self.env.non_empty_var("ALIBABA_CLOUD_ACCESS_KEY_ID") else {
            return Err(CredentialsError::NotConfigured {
                provider: PROVIDER,
                reason: "ALIBABA_CLOUD_ACCESS_KEY_ID is not set".into(),
            });
        };
        let Some(secret) = self.env.non_empty_var("ALIBABA_CLOUD_ACCESS_KEY_SECRET") else {
            return Err(CredentialsError::Invalid {
                provider: PROVIDER,
                message: "ALIBABA_CLOUD_ACCESS_KEY_ID is set but ALIBABA_CLOUD_ACCESS_KEY_SECRET is empty or unset"
                    .into(),
            });
        };
        let mut creds = Credentials::new(id, secret).with_provider(PROVIDER);
        if let Some(token) = self.env.non_empty_var("ALIBABA_CLOUD_SECURITY_TOKEN") {
            creds = creds.with_security_token(token);
        }
        Ok(creds)
    }
}

impl ProvideCredentials for EnvironmentVariables {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        let result = self.load();
        Box::pin(async move { result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::FixedEnvironment;

    fn load(env: FixedEnvironment) -> Result<Credentials, CredentialsError> {
        EnvironmentVariables::new(Arc::new(env)).load()
    }

    #[test]
    fn access_key_and_optional_token() {
        let env = FixedEnvironment::new()
            .var("ALIBABA_CLOUD_ACCESS_KEY_ID", "id")
            .var("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret");
        let creds = load(env.clone()).unwrap();
        assert_eq!((creds.access_key_id(), creds.access_key_secret().expose()), ("id", "secret"));
        assert!(creds.security_token().is_none());
        let creds = load(env.var("ALIBABA_CLOUD_SECURITY_TOKEN", "tok")).unwrap();
        assert_eq!(creds.security_token().unwrap().expose(), "tok");
    }

    #[test]
    fn missing_or_empty_values() {
        assert!(matches!(load(FixedEnvironment::new()), Err(CredentialsError::NotConfigured { .. })));
        let env =
            FixedEnvironment::new().var("ALIBABA_CLOUD_ACCESS_KEY_ID", "id").var("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "");
        let err = load(env).unwrap_err();
        assert!(err.to_string().contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET"), "{err}");
        let env = FixedEnvironment::new().var("ALIBABA_CLOUD_ACCESS_KEY_ID", "");
        assert!(matches!(load(env), Err(CredentialsError::NotConfigured { .. })));
    }
}
