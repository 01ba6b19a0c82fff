//! Credentials from the Alibaba Cloud CLI's profile file, `~/.aliyun/config.json` (or
//! `ALIBABA_CLOUD_CONFIG_FILE`): profile `ALIBABA_CLOUD_PROFILE`, else the file's `current`.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use super::{Credentials, CredentialsError, CredentialsFuture, Environment, ProvideCredentials};

const PROVIDER: &str = "CLI profile";

/// Reads the CLI profile file. Modes `AK` and `StsToken` are supported.
#[derive(Debug, Clone)]
pub struct CliProfile {
    env: Arc<dyn Environment>,
}

struct Profile {
    path: PathBuf,
    name: String,
    fields: serde_json::Map<String, Value>,
}

impl Profile {
    fn text(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    fn required(&self, key: &str) -> Result<&str, CredentialsError> {
        self.text(key)
            .ok_or_else(|| invalid(format!("{}: profile `{}` has no `{key}`", self.path.display(), self.name)))
    }
}

fn invalid(message: String) -> CredentialsError {
    CredentialsError::Invalid { provider: PROVIDER, message }
}

fn not_configured(reason: String) -> CredentialsError {
    CredentialsError::NotConfigured { provider: PROVIDER, reason }
}

/// Finds and parses the profile the environment selects.
fn select_profile(env: &dyn Environment) -> Result<Profile, CredentialsError> {
    if env.var("ALIBABA_CLOUD_CLI_PROFILE_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Err(not_configured("disabled by ALIBABA_CLOUD_CLI_PROFILE_DISABLED".into()));
    }
    let path = match env.non_empty_var("ALIBABA_CLOUD_CONFIG_FILE") {
        Some(p) => PathBuf::from(p),
        None => match env.home_dir() {
            Some(home) => home.join(".aliyun").join("config.json"),
            None => {
                return Err(not_configured("no home directory to find .aliyun/config.json in".into()));
            }
        },
    };
    let text = match env.read_file(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(not_configured(format!("{} does not exist", path.display())));
        }
        Err(e) => return Err(invalid(format!("{}: {e}", path.display()))),
    };
    let doc: Value = serde_json::from_str(&text).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    let name = env
        .non_empty_var("ALIBABA_CLOUD_PROFILE")
        .or_else(|| doc.get("current").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned))
        .unwrap_or_else(|| "default".to_owned());
    let profiles = doc
        .get("profiles")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid(format!("{}: no `profiles` list", path.display())))?;
    let fields = profiles
        .iter()
        .filter_map(Value::as_object)
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name.as_str()))
        .cloned()
        .ok_or_else(|| invalid(format!("{}: no profile named `{name}`", path.display())))?;
    Ok(Profile { path, name, fields })
}

/// The `region_id` of the selected CLI profile, if there is one.
pub fn cli_profile_region(env: &dyn Environment) -> Option<String> {
    select_profile(env).ok()?.text("region_id").map(str::to_owned)
}

impl CliProfile {
    /// Reads through `env`.
    pub fn new(env: Arc<dyn Environment>) -> Self {
        Self { env }
    }

    /// The lookup itself, synchronous.
    pub fn load(&self) -> Result<Credentials, CredentialsError> {
        let profile = select_profile(self.env.as_ref())?;
        let mode = profile.text("mode").unwrap_or("AK");
        match mode {
            "AK" => Ok(Credentials::new(profile.required("access_key_id")?, profile.required("access_key_secret")?)
                .with_provider(PROVIDER)),
            "StsToken" => Ok(Credentials::sts(
                profile.required("access_key_id")?,
                profile.required("access_key_secret")?,
                profile.required("sts_token")?,
            )
            .with_provider(PROVIDER)),
            other => Err(invalid(format!(
                "{}: profile `{}` uses mode `{other}`, which acsgen does not support yet (AK and StsToken are supported)",
                profile.path.display(),
                profile.name
            ))),
        }
    }
}

impl ProvideCredentials for CliProfile {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        let result = self.load();
        Box::pin(async move { result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::FixedEnvironment;

    const CONFIG: &str = r#"{"current":"default","profiles":[
        {"name":"default","mode":"AK","access_key_id":"ak-id","access_key_secret":"ak-secret","region_id":"cn-hangzhou"},
        {"name":"temp","mode":"StsToken","access_key_id":"sts-id","access_key_secret":"sts-secret","sts_token":"tok","region_id":"cn-shanghai"},
        {"name":"role","mode":"RamRoleArn","access_key_id":"x","access_key_secret":"y","ram_role_arn":"acs:ram::1:role/r"}]}"#;

    fn env() -> FixedEnvironment {
        FixedEnvironment::new().var("HOME", "/home/u").file("/home/u/.aliyun/config.json", CONFIG)
    }

    fn load(env: FixedEnvironment) -> Result<Credentials, CredentialsError> {
        CliProfile::new(Arc::new(env)).load()
    }

    #[test]
    fn current_profile_in_ak_mode() {
        let creds = load(env()).unwrap();
        assert_eq!((creds.access_key_id(), creds.access_key_secret().expose()), ("ak-id", "ak-secret"));
        assert_eq!(cli_profile_region(&env()).as_deref(), Some("cn-hangzhou"));
    }

    #[test]
    fn profile_chosen_by_variable_in_sts_mode() {
        let creds = load(env().var("ALIBABA_CLOUD_PROFILE", "temp")).unwrap();
        assert_eq!(creds.access_key_id(), "sts-id");
        assert_eq!(creds.security_token().unwrap().expose(), "tok");
    }

    #[test]
    fn config_file_variable_and_disable_switch() {
        let env =
            FixedEnvironment::new().var("ALIBABA_CLOUD_CONFIG_FILE", "/etc/acs.json").file("/etc/acs.json", CONFIG);
        assert_eq!(load(env.clone()).unwrap().access_key_id(), "ak-id");
        let disabled = env.var("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true");
        assert!(matches!(load(disabled), Err(CredentialsError::NotConfigured { .. })));
    }

    #[test]
    fn unsupported_mode_missing_profile_and_malformed_file_are_explained() {
        let err = load(env().var("ALIBABA_CLOUD_PROFILE", "role")).unwrap_err().to_string();
        assert!(err.contains("RamRoleArn") && err.contains("role"), "{err}");
        let err = load(env().var("ALIBABA_CLOUD_PROFILE", "nope")).unwrap_err().to_string();
        assert!(err.contains("no profile named `nope`"), "{err}");
        let broken = FixedEnvironment::new().var("HOME", "/h").file("/h/.aliyun/config.json", "{\"profiles\": [");
        let err = load(broken).unwrap_err().to_string();
        assert!(err.contains("/h/.aliyun/config.json") && err.contains("line"), "{err}");
        assert!(matches!(load(FixedEnvironment::new().var("HOME", "/x")), Err(CredentialsError::NotConfigured { .. })));
    }
}
