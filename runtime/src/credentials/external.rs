//! Credentials a command prints (the CLI profile mode `External`): the command line is split as a shell
//! would split it (no shell runs it), must finish within a time limit, and prints JSON with
//! `access_key_id`, `access_key_secret`, and for temporary credentials `sts_token` and `expiration`
//! (`mode` `StsToken`). What it prints never appears in errors.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use super::{Credentials, CredentialsError, CredentialsFuture, ProvideCredentials};

const PROVIDER: &str = "external command";

/// How long the command may take unless told otherwise.
const DEFAULT_LIMIT: Duration = Duration::from_secs(60);

/// Runs a command for credentials. Put it behind [`super::Cached`].
#[derive(Clone)]
pub struct External {
    command: String,
    limit: Duration,
}

impl std::fmt::Debug for External {
    // The command line may carry a secret of its own: the program only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let program = self.command.split_whitespace().next().unwrap_or_default();
        f.debug_struct("External").field("program", &program).field("limit", &self.limit).finish_non_exhaustive()
    }
}

impl External {
    /// Runs `command` (a command line), allowing it a minute.
    pub fn new(command: impl Into<String>) -> Self {
        Self { command: command.into(), limit: DEFAULT_LIMIT }
    }

    /// Allows the command `limit`.
    pub fn with_time_limit(mut self, limit: Duration) -> Self {
        self.limit = limit;
        self
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let fail = |message: String| CredentialsError::Fetch { provider: PROVIDER, message };
        let words = shlex::split(&self.command).filter(|w| !w.is_empty());
        let Some((program, args)) = words.as_deref().and_then(<[String]>::split_first) else {
            return Err(CredentialsError::Invalid {
                provider: PROVIDER,
                message: "the command is empty or badly quoted".into(),
            });
        };
        let run = tokio::process::Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output();
        let output = match tokio::time::timeout(self.limit, run).await {
            Ok(Ok(output)) => output,
            Ok(Err(e)) => return Err(fail(format!("`{program}` could not run: {e}"))),
            Err(_) => return Err(fail(format!("`{program}` did not finish within {:?}", self.limit))),
        };
        if !output.status.success() {
            return Err(fail(format!("`{program}` failed ({})", output.status)));
        }
        let printed: Value = serde_json::from_slice(&output.stdout)
            .map_err(|e| fail(format!("`{program}` did not print JSON (line {}, column {})", e.line(), e.column())))?;
        read(printed, program).map_err(|what| fail(format!("`{program}` printed {what}")))
    }
}

/// The credentials printed; what is wrong with them otherwise.
fn read(printed: Value, program: &str) -> Result<Credentials, String> {
    let text = |name: &str| printed.get(name).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_owned);
    let field = |name: &str| text(name).ok_or_else(|| format!("no {name}"));
    let (id, secret) = (field("access_key_id")?, field("access_key_secret")?);
    let token = text("sts_token");
    if text("mode").as_deref() == Some("StsToken") && token.is_none() {
        return Err("mode StsToken without sts_token".into());
    }
    let mut credentials = Credentials::new(id, secret).with_provider(format!("external command `{program}`"));
    if let Some(token) = token {
        credentials = credentials.with_security_token(token);
    }
    if let Some(expiration) = text("expiration") {
        credentials = credentials.with_expiry(crate::sign::parse_timestamp(&expiration)?);
    }
    Ok(credentials)
}

impl ProvideCredentials for External {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.fetch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn run(command: &str) -> Result<Credentials, CredentialsError> {
        External::new(command).with_time_limit(Duration::from_millis(500)).provide_credentials().await
    }

    #[tokio::test]
    async fn printed_json_time_limits_and_failures() {
        let printed = r#"printf %s '{"mode":"StsToken","access_key_id":"ext-id","access_key_secret":"ext-secret","sts_token":"ext-token","expiration":"2030-01-01T00:00:00Z"}'"#;
        let creds = run(printed).await.unwrap();
        assert_eq!((creds.access_key_id(), creds.provider()), ("ext-id", "external command `printf`"));
        assert!(creds.security_token().is_some() && creds.expires_at().is_some());
        for (command, says) in [
            ("sleep 5", "`sleep` did not finish within 500ms"),
            ("false", "`false` failed"),
            (
                "printf %s '{\"mode\":\"StsToken\",\"access_key_id\":\"a\",\"access_key_secret\":\"s\"}'",
                "StsToken without sts_token",
            ),
            ("/no/such/program", "could not run"),
            ("printf 'unclosed", "empty or badly quoted"),
        ] {
            let error = run(command).await.unwrap_err().to_string();
            assert!(error.contains(says), "{command}: {error}");
        }
    }
}
