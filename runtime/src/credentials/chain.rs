//! The default credential chain, in the vendor's order: environment variables, the CLI profile file,
//! the INI credentials file. The first source that produces credentials wins; when none does, the error
//! lists why each one did not.

use std::sync::Arc;

use super::{
    CliProfile, Credentials, CredentialsError, CredentialsFuture, Environment, EnvironmentVariables, IniFile,
    ProvideCredentials,
};

/// Tries providers in order and returns the first credentials found.
#[derive(Debug)]
pub struct DefaultChain {
    providers: Vec<Box<dyn ProvideCredentials>>,
}

impl DefaultChain {
    /// The vendor's order over `env`: environment variables, CLI profile, INI file.
    pub fn new(env: Arc<dyn Environment>) -> Self {
        Self::from_providers(vec![
            Box::new(EnvironmentVariables::new(env.clone())),
            Box::new(CliProfile::new(env.clone())),
            Box::new(IniFile::new(env)),
        ])
    }

    /// A chain of your own providers, tried in the given order.
    pub fn from_providers(providers: Vec<Box<dyn ProvideCredentials>>) -> Self {
        Self { providers }
    }

    async fn first(&self) -> Result<Credentials, CredentialsError> {
        let mut reasons = Vec::with_capacity(self.providers.len());
        for provider in &self.providers {
            match provider.provide_credentials().await {
                Ok(creds) => return Ok(creds),
                Err(e) => reasons.push(e.to_string()),
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
        let chain = DefaultChain::new(Arc::new(env));
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
        for part in ["ALIBABA_CLOUD_ACCESS_KEY_ID", "/h/.aliyun/config.json", "/h/.alibabacloud/credentials"] {
            assert!(err.contains(part), "{err}");
        }
    }
}
