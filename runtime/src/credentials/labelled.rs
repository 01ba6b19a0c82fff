//! A provider under the name of where it was configured: credentials from a role in the CLI profile
//! `dev` say `CLI profile "dev" (RamRoleArn)`, not just `AssumeRole`.

use super::{CredentialsFuture, ProvideCredentials, SharedCredentials};

/// Gives what `inner` gives, labelled `label`.
#[derive(Debug)]
pub(crate) struct Labelled {
    pub inner: SharedCredentials,
    pub label: String,
}

impl ProvideCredentials for Labelled {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(async move { self.inner.provide_credentials().await.map(|c| c.with_provider(self.label.clone())) })
    }
}
