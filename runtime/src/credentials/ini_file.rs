//! Credentials from the INI file `~/.alibabacloud/credentials` — else `~/.alibabacloud/credentials.ini`,
//! the name other official libraries read — or `ALIBABA_CLOUD_CREDENTIALS_FILE`: section
//! `ALIBABA_CLOUD_PROFILE`, else `default`. Types `access_key`, `ecs_ram_role`, `ram_role_arn` and
//! `oidc_role_arn`.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use configparser::ini::Ini;

use super::labelled::Labelled;
use super::{
    AssumeRole, Cached, Context, Credentials, CredentialsError, CredentialsFuture, EcsRamRole, Oidc,
    ProvideCredentials, SharedCredentials,
};

const PROVIDER: &str = "credentials file";

/// Reads the INI credentials file once, and from then on provides what its section describes.
#[derive(Debug)]
pub struct IniFile {
    context: Context,
    resolved: OnceLock<SharedCredentials>,
}

fn invalid(message: String) -> CredentialsError {
    CredentialsError::Invalid { provider: PROVIDER, message }
}

/// A section of the file.
struct Section<'a> {
    path: &'a PathBuf,
    name: &'a str,
    ini: &'a Ini,
}

impl Section<'_> {
    fn get(&self, key: &str) -> Option<String> {
        self.ini.get(self.name, key).filter(|v| !v.is_empty())
    }

    fn require(&self, key: &str) -> Result<String, CredentialsError> {
        let (path, name) = (self.path.display(), self.name);
        self.get(key).ok_or_else(|| invalid(format!("{path}: section [{name}] has no `{key}`")))
    }
}

impl IniFile {
    /// Reads through `context`.
    pub fn new(context: Context) -> Self {
        Self { context, resolved: OnceLock::new() }
    }

    /// The file: `ALIBABA_CLOUD_CREDENTIALS_FILE`, else `credentials`, else `credentials.ini`, in
    /// `~/.alibabacloud`; with its text.
    fn read(&self) -> Result<(PathBuf, String), CredentialsError> {
        let env = self.context.env();
        let not_configured = |reason: String| CredentialsError::NotConfigured { provider: PROVIDER, reason };
        let candidates = match env.non_empty_var("ALIBABA_CLOUD_CREDENTIALS_FILE") {
            Some(p) => vec![PathBuf::from(p)],
            None => match env.home_dir() {
                Some(home) => ["credentials", "credentials.ini"].map(|f| home.join(".alibabacloud").join(f)).to_vec(),
                None => return Err(not_configured("no home directory to find .alibabacloud/credentials in".into())),
            },
        };
        for path in &candidates {
            match env.read_file(path) {
                Ok(text) => return Ok((path.clone(), text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(invalid(format!("{}: {e}", path.display()))),
            }
        }
        let shown: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        Err(not_configured(format!("{} does not exist", shown.join(" nor "))))
    }

    /// The provider the selected section describes (read once: its temporary credentials are cached).
    pub fn resolve(&self) -> Result<SharedCredentials, CredentialsError> {
        if let Some(provider) = self.resolved.get() {
            return Ok(provider.clone());
        }
        let (path, text) = self.read()?;
        let mut ini = Ini::new_cs();
        ini.read(text).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
        let name = self.context.env().non_empty_var("ALIBABA_CLOUD_PROFILE").unwrap_or_else(|| "default".to_owned());
        if !ini.sections().contains(&name) {
            return Err(invalid(format!("{}: no section [{name}]", path.display())));
        }
        let provider = self.build(&Section { path: &path, name: &name, ini: &ini })?;
        Ok(self.resolved.get_or_init(|| provider).clone())
    }

    fn build(&self, section: &Section<'_>) -> Result<SharedCredentials, CredentialsError> {
        let kind = section.require("type")?;
        let label = format!("credentials file [{}] ({kind})", section.name);
        let key = || {
            Ok::<_, CredentialsError>(Credentials::new(
                section.require("access_key_id")?,
                section.require("access_key_secret")?,
            ))
        };
        let fetching: SharedCredentials = match kind.as_str() {
            "access_key" => return Ok(Arc::new(key()?.with_provider(label))),
            "ecs_ram_role" => {
                let role = EcsRamRole::new(self.context.clone());
                Arc::new(match section.get("role_name") {
                    Some(r) => role.with_role(r),
                    None => role,
                })
            }
            "ram_role_arn" => {
                let mut role = AssumeRole::new(self.context.clone(), Arc::new(key()?), section.require("role_arn")?);
                if let Some(name) = section.get("role_session_name") {
                    role = role.session_name(name);
                }
                if let Some(policy) = section.get("policy") {
                    role = role.policy(policy);
                }
                Arc::new(role)
            }
            "oidc_role_arn" => {
                let (role, provider) = (section.require("role_arn")?, section.require("oidc_provider_arn")?);
                let mut oidc =
                    Oidc::new(self.context.clone(), role, provider, section.require("oidc_token_file_path")?);
                if let Some(name) = section.get("role_session_name") {
                    oidc = oidc.session_name(name);
                }
                if let Some(policy) = section.get("policy") {
                    oidc = oidc.policy(policy);
                }
                Arc::new(oidc)
            }
            other => {
                let (path, name) = (section.path.display(), section.name);
                return Err(invalid(format!(
                    "{path}: section [{name}] has type `{other}`, which acsgen does not support"
                )));
            }
        };
        // Labelled inside the cache: what it keeps, and its errors once they expire, name the section.
        Ok(Arc::new(Cached::new(Labelled { inner: fetching, label })))
    }
}

impl ProvideCredentials for IniFile {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(async move { self.resolve()?.provide_credentials().await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::FixedEnvironment;

    const FILE: &str = "[default]\n\
        type = access_key\n\
        access_key_id = ini-id\n\
        access_key_secret = ini-secret\n\
        \n\
        [odd]\n\
        type = rsa_key_pair\n\
        [broken]\n\
        type = access_key\n\
        access_key_id = only-id\n";

    async fn load(env: FixedEnvironment) -> Result<Credentials, CredentialsError> {
        IniFile::new(Context::new(Arc::new(env))).provide_credentials().await
    }

    fn env() -> FixedEnvironment {
        FixedEnvironment::new().var("HOME", "/home/u").file("/home/u/.alibabacloud/credentials", FILE)
    }

    #[tokio::test]
    async fn default_section_access_key() {
        let creds = load(env()).await.unwrap();
        assert_eq!((creds.access_key_id(), creds.access_key_secret().expose()), ("ini-id", "ini-secret"));
        assert_eq!(creds.provider(), "credentials file [default] (access_key)");
    }

    #[tokio::test]
    async fn explicit_file_and_the_ini_spelling() {
        let env = FixedEnvironment::new()
            .var("ALIBABA_CLOUD_CREDENTIALS_FILE", "/etc/creds.ini")
            .file("/etc/creds.ini", FILE);
        assert_eq!(load(env).await.unwrap().access_key_id(), "ini-id");
        let ini = FixedEnvironment::new().var("HOME", "/h").file("/h/.alibabacloud/credentials.ini", FILE);
        assert_eq!(load(ini).await.unwrap().access_key_id(), "ini-id");
    }

    #[tokio::test]
    async fn problems_name_the_file_and_section() {
        let err = load(env().var("ALIBABA_CLOUD_PROFILE", "odd")).await.unwrap_err().to_string();
        assert!(err.contains("rsa_key_pair") && err.contains("[odd]"), "{err}");
        let err = load(env().var("ALIBABA_CLOUD_PROFILE", "broken")).await.unwrap_err().to_string();
        assert!(err.contains("access_key_secret") && err.contains("/home/u/.alibabacloud/credentials"), "{err}");
        let err = load(env().var("ALIBABA_CLOUD_PROFILE", "none")).await.unwrap_err().to_string();
        assert!(err.contains("no section [none]"), "{err}");
        let err = load(FixedEnvironment::new().var("HOME", "/h")).await.unwrap_err();
        assert!(
            matches!(&err, CredentialsError::NotConfigured { reason, .. } if reason.contains("credentials.ini")),
            "{err}"
        );
    }
}
