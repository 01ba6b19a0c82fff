//! Credentials from the Alibaba Cloud CLI's profile file, `~/.aliyun/config.json` (or
//! `ALIBABA_CLOUD_CONFIG_FILE`; skipped when `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true`): profile
//! `ALIBABA_CLOUD_PROFILE`, else the file's `current`. Modes `AK`, `StsToken`, `RamRoleArn`, `EcsRamRole`,
//! `OIDC`, `ChainableRamRoleArn` (a role assumed with another profile's credentials) and `External` (a
//! command that prints them).

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::Value;

use super::labelled::Labelled;
use super::{
    AssumeRole, Cached, Context, Credentials, CredentialsError, CredentialsFuture, EcsRamRole, Environment, External,
    Oidc, ProvideCredentials, SharedCredentials,
};

const PROVIDER: &str = "CLI profile";

/// Reads the CLI profile file once, and from then on provides what its profile describes.
#[derive(Debug)]
pub struct CliProfile {
    context: Context,
    resolved: OnceLock<SharedCredentials>,
}

struct Profiles {
    path: PathBuf,
    list: Vec<serde_json::Map<String, Value>>,
}

struct Profile<'a> {
    path: &'a PathBuf,
    name: &'a str,
    fields: &'a serde_json::Map<String, Value>,
}

impl Profile<'_> {
    fn text(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    fn required(&self, key: &str) -> Result<&str, CredentialsError> {
        self.text(key).ok_or_else(|| self.invalid(format!("has no `{key}`")))
    }

    fn invalid(&self, what: String) -> CredentialsError {
        invalid(format!("{}: profile `{}` {what}", self.path.display(), self.name))
    }

    /// A number given as a number or as text.
    fn number(&self, key: &str) -> Result<Option<u64>, CredentialsError> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.invalid(format!("has `{key}` {n}, not a whole number of seconds"))),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .parse()
                .map(Some)
                .map_err(|_| self.invalid(format!("has `{key}` `{s}`, not a whole number of seconds"))),
            Some(_) => Err(self.invalid(format!("has a `{key}` that is not a number"))),
        }
    }

    /// `enable_vpc` as a flag given as a boolean or as text.
    fn flag(&self, key: &str) -> Option<bool> {
        match self.fields.get(key) {
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) => Some(s.eq_ignore_ascii_case("true")),
            _ => None,
        }
    }
}

fn invalid(message: String) -> CredentialsError {
    CredentialsError::Invalid { provider: PROVIDER, message }
}

fn not_configured(reason: String) -> CredentialsError {
    CredentialsError::NotConfigured { provider: PROVIDER, reason }
}

/// Finds and parses the profile file; the name of the profile the environment selects.
fn read_profiles(env: &dyn Environment) -> Result<(Profiles, String), CredentialsError> {
    if env.var("ALIBABA_CLOUD_CLI_PROFILE_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Err(not_configured("disabled by ALIBABA_CLOUD_CLI_PROFILE_DISABLED".into()));
    }
    let path = match env.non_empty_var("ALIBABA_CLOUD_CONFIG_FILE") {
        Some(p) => PathBuf::from(p),
        None => match env.home_dir() {
            Some(home) => home.join(".aliyun").join("config.json"),
            None => return Err(not_configured("no home directory to find .aliyun/config.json in".into())),
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
    let list = doc
        .get("profiles")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid(format!("{}: no `profiles` list", path.display())))?;
    let list = list.iter().filter_map(Value::as_object).cloned().collect();
    Ok((Profiles { path, list }, name))
}

impl Profiles {
    fn get<'a>(&'a self, name: &'a str) -> Result<Profile<'a>, CredentialsError> {
        let fields = self.list.iter().find(|p| p.get("name").and_then(Value::as_str) == Some(name));
        let fields = fields.ok_or_else(|| invalid(format!("{}: no profile named `{name}`", self.path.display())))?;
        Ok(Profile { path: &self.path, name, fields })
    }
}

/// The `region_id` of the selected CLI profile, if there is one.
pub fn cli_profile_region(env: &dyn Environment) -> Option<String> {
    let (profiles, name) = read_profiles(env).ok()?;
    profiles.get(&name).ok()?.text("region_id").map(str::to_owned)
}

impl CliProfile {
    /// Reads through `context`.
    pub fn new(context: Context) -> Self {
        Self { context, resolved: OnceLock::new() }
    }

    /// The provider the selected profile describes (read once: its temporary credentials are cached).
    pub fn resolve(&self) -> Result<SharedCredentials, CredentialsError> {
        if let Some(provider) = self.resolved.get() {
            return Ok(provider.clone());
        }
        let (profiles, name) = read_profiles(self.context.env())?;
        let provider = self.build(&profiles, &name, &mut Vec::new())?;
        Ok(self.resolved.get_or_init(|| provider).clone())
    }

    /// The provider of profile `name`; `via` lists the profiles that led to it (a cycle is refused).
    fn build(
        &self,
        profiles: &Profiles,
        name: &str,
        via: &mut Vec<String>,
    ) -> Result<SharedCredentials, CredentialsError> {
        if via.iter().any(|seen| seen == name) {
            via.push(name.to_owned());
            return Err(invalid(format!(
                "{}: source profiles form a cycle: {}",
                profiles.path.display(),
                via.join(" → ")
            )));
        }
        via.push(name.to_owned());
        let profile = profiles.get(name)?;
        let mode = profile.text("mode").unwrap_or("AK");
        let label = format!("CLI profile \"{name}\" ({mode})");
        let fetching: SharedCredentials = match mode {
            "AK" | "StsToken" => return Ok(Arc::new(static_credentials(&profile, mode)?.with_provider(label))),
            "RamRoleArn" => {
                let source =
                    Credentials::new(profile.required("access_key_id")?, profile.required("access_key_secret")?);
                Arc::new(self.assume_role(&profile, Arc::new(source))?)
            }
            "ChainableRamRoleArn" => {
                let source = self.build(profiles, profile.required("source_profile")?, via)?;
                Arc::new(self.assume_role(&profile, source)?)
            }
            "EcsRamRole" => {
                let role = EcsRamRole::new(self.context.clone());
                Arc::new(match profile.text("ram_role_name") {
                    Some(r) => role.with_role(r),
                    None => role,
                })
            }
            "OIDC" => Arc::new(self.oidc(&profile)?),
            "External" => {
                let command = External::new(profile.required("process_command")?);
                let limit = profile.number("timeout")?.map(Duration::from_secs);
                Arc::new(match limit {
                    Some(limit) => command.with_time_limit(limit),
                    None => command,
                })
            }
            "CloudSSO" | "OAuth" => {
                return Err(profile.invalid(format!("uses mode `{mode}`, which acsgen does not support yet")));
            }
            other => return Err(profile.invalid(format!("uses mode `{other}`, which acsgen does not know"))),
        };
        // Labelled inside the cache: what it keeps, and its errors once they expire, name the profile.
        Ok(Arc::new(Cached::new(Labelled { inner: fetching, label })))
    }

    fn assume_role(&self, profile: &Profile<'_>, source: SharedCredentials) -> Result<AssumeRole, CredentialsError> {
        let mut role = AssumeRole::new(self.context.clone(), source, profile.required("ram_role_arn")?)
            .sts_region(profile.text("sts_region").map(str::to_owned), profile.flag("enable_vpc"));
        if let Some(name) = profile.text("ram_session_name") {
            role = role.session_name(name);
        }
        if let Some(seconds) = profile.number("expired_seconds")? {
            role = role.duration_seconds(seconds);
        }
        if let Some(policy) = profile.text("policy") {
            role = role.policy(policy);
        }
        if let Some(id) = profile.text("external_id") {
            role = role.external_id(id);
        }
        Ok(role)
    }

    fn oidc(&self, profile: &Profile<'_>) -> Result<Oidc, CredentialsError> {
        let (role, provider, file) = (
            profile.required("ram_role_arn")?,
            profile.required("oidc_provider_arn")?,
            profile.required("oidc_token_file")?,
        );
        let mut oidc = Oidc::new(self.context.clone(), role, provider, file)
            .sts_region(profile.text("sts_region").map(str::to_owned), profile.flag("enable_vpc"));
        if let Some(name) = profile.text("role_session_name") {
            oidc = oidc.session_name(name);
        }
        if let Some(seconds) = profile.number("expired_seconds")? {
            oidc = oidc.duration_seconds(seconds);
        }
        if let Some(policy) = profile.text("policy") {
            oidc = oidc.policy(policy);
        }
        Ok(oidc)
    }
}

/// The keys an `AK` or `StsToken` profile holds.
fn static_credentials(profile: &Profile<'_>, mode: &str) -> Result<Credentials, CredentialsError> {
    let key = Credentials::new(profile.required("access_key_id")?, profile.required("access_key_secret")?);
    match mode {
        "StsToken" => Ok(key.with_security_token(profile.required("sts_token")?)),
        _ => Ok(key),
    }
}

impl ProvideCredentials for CliProfile {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(async move { self.resolve()?.provide_credentials().await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::FixedEnvironment;

    const CONFIG: &str = r#"{"current":"default","profiles":[
        {"name":"default","mode":"AK","access_key_id":"ak-id","access_key_secret":"ak-secret","region_id":"cn-hangzhou"},
        {"name":"temp","mode":"StsToken","access_key_id":"sts-id","access_key_secret":"sts-secret","sts_token":"tok","region_id":"cn-shanghai"},
        {"name":"loop-a","mode":"ChainableRamRoleArn","source_profile":"loop-b","ram_role_arn":"acs:ram::1:role/a"},
        {"name":"loop-b","mode":"ChainableRamRoleArn","source_profile":"loop-a","ram_role_arn":"acs:ram::1:role/b"},
        {"name":"sso","mode":"CloudSSO"},
        {"name":"odd","mode":"Telepathy"},
        {"name":"short","mode":"RamRoleArn","access_key_id":"x","access_key_secret":"y","ram_role_arn":"acs:ram::1:role/r","expired_seconds":600}]}"#;

    fn env() -> FixedEnvironment {
        FixedEnvironment::new().var("HOME", "/home/u").file("/home/u/.aliyun/config.json", CONFIG)
    }

    async fn load(env: FixedEnvironment) -> Result<Credentials, CredentialsError> {
        CliProfile::new(Context::new(Arc::new(env))).provide_credentials().await
    }

    #[tokio::test]
    async fn current_profile_in_ak_mode() {
        let creds = load(env()).await.unwrap();
        assert_eq!((creds.access_key_id(), creds.access_key_secret().expose()), ("ak-id", "ak-secret"));
        assert_eq!(creds.provider(), "CLI profile \"default\" (AK)");
        assert_eq!(cli_profile_region(&env()).as_deref(), Some("cn-hangzhou"));
    }

    #[tokio::test]
    async fn profile_chosen_by_variable_in_sts_mode() {
        let creds = load(env().var("ALIBABA_CLOUD_PROFILE", "temp")).await.unwrap();
        assert_eq!(creds.access_key_id(), "sts-id");
        assert_eq!(creds.security_token().unwrap().expose(), "tok");
    }

    #[tokio::test]
    async fn config_file_variable_and_disable_switch() {
        let env =
            FixedEnvironment::new().var("ALIBABA_CLOUD_CONFIG_FILE", "/etc/acs.json").file("/etc/acs.json", CONFIG);
        assert_eq!(load(env.clone()).await.unwrap().access_key_id(), "ak-id");
        let disabled = env.var("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true");
        assert!(matches!(load(disabled).await, Err(CredentialsError::NotConfigured { .. })));
    }

    #[tokio::test]
    async fn cycles_unsupported_modes_and_bad_files_are_explained() {
        let err = load(env().var("ALIBABA_CLOUD_PROFILE", "loop-a")).await.unwrap_err().to_string();
        assert!(err.contains("source profiles form a cycle: loop-a → loop-b → loop-a"), "{err}");
        let err = load(env().var("ALIBABA_CLOUD_PROFILE", "sso")).await.unwrap_err().to_string();
        assert!(err.contains("mode `CloudSSO`, which acsgen does not support yet"), "{err}");
        let err = load(env().var("ALIBABA_CLOUD_PROFILE", "odd")).await.unwrap_err().to_string();
        assert!(err.contains("Telepathy"), "{err}");
        let err = load(env().var("ALIBABA_CLOUD_PROFILE", "short")).await.unwrap_err().to_string();
        assert!(err.contains("at least 900 seconds and at most 43200, not 600"), "{err}");
        let err = load(env().var("ALIBABA_CLOUD_PROFILE", "nope")).await.unwrap_err().to_string();
        assert!(err.contains("no profile named `nope`"), "{err}");
        let broken = FixedEnvironment::new().var("HOME", "/h").file("/h/.aliyun/config.json", "{\"profiles\": [");
        let err = load(broken).await.unwrap_err().to_string();
        assert!(err.contains("/h/.aliyun/config.json") && err.contains("line"), "{err}");
        assert!(matches!(
            load(FixedEnvironment::new().var("HOME", "/x")).await,
            Err(CredentialsError::NotConfigured { .. })
        ));
    }
}
