//! Credentials from the INI file `~/.alibabacloud/credentials` (or `ALIBABA_CLOUD_CREDENTIALS_FILE`):
//! section `ALIBABA_CLOUD_PROFILE`, else `default`.

use std::path::PathBuf;
use std::sync::Arc;

use configparser::ini::Ini;

use super::{Credentials, CredentialsError, CredentialsFuture, Environment, ProvideCredentials};

const PROVIDER: &str = "credentials file";

/// Reads the INI credentials file. `type = access_key` is supported.
#[derive(Debug, Clone)]
pub struct IniFile {
    env: Arc<dyn Environment>,
}

fn invalid(message: String) -> CredentialsError {
    CredentialsError::Invalid { provider: PROVIDER, message }
}

impl IniFile {
    /// Reads through `env`.
    pub fn new(env: Arc<dyn Environment>) -> Self {
        Self { env }
    }

    /// The lookup itself, synchronous.
    pub fn load(&self) -> Result<Credentials, CredentialsError> {
        let not_configured = |reason: String| CredentialsError::NotConfigured { provider: PROVIDER, reason };
        let path = match self.env.non_empty_var("ALIBABA_CLOUD_CREDENTIALS_FILE") {
            Some(p) => PathBuf::from(p),
            None => match self.env.home_dir() {
                Some(home) => home.join(".alibabacloud").join("credentials"),
                None => {
                    return Err(not_configured("no home directory to find .alibabacloud/credentials in".into()));
                }
            },
        };
        let text = match self.env.read_file(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(not_configured(format!("{} does not exist", path.display())));
            }
            Err(e) => return Err(invalid(format!("{}: {e}", path.display()))),
        };
        let mut ini = Ini::new_cs();
        ini.read(text).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
        let section = self.env.non_empty_var("ALIBABA_CLOUD_PROFILE").unwrap_or_else(|| "default".to_owned());
        if !ini.sections().contains(&section) {
            return Err(invalid(format!("{}: no section [{section}]", path.display())));
        }
        let get = |key: &str| ini.get(&section, key).filter(|v| !v.is_empty());
        let require = |key: &str| {
            get(key).ok_or_else(|| invalid(format!("{}: section [{section}] has no `{key}`", path.display())))
        };
        match get("type").as_deref() {
            Some("access_key") => {
                Ok(Credentials::new(require("access_key_id")?, require("access_key_secret")?).with_provider(PROVIDER))
            }
            Some(other) => Err(invalid(format!(
                "{}: section [{section}] has type `{other}`, which acsgen does not support yet (access_key is supported)",
                path.display()
            ))),
            None => Err(invalid(format!("{}: section [{section}] has no `type`", path.display()))),
        }
    }
}

impl ProvideCredentials for IniFile {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        let result = self.load();
        Box::pin(async move { result })
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
        # a role the next issue will support\n\
        [ecs]\n\
        type = ecs_ram_role\n\
        role_name = EcsRole\n\
        [broken]\n\
        type = access_key\n\
        access_key_id = only-id\n";

    fn load(env: FixedEnvironment) -> Result<Credentials, CredentialsError> {
        IniFile::new(Arc::new(env)).load()
    }

    fn env() -> FixedEnvironment {
        FixedEnvironment::new().var("HOME", "/home/u").file("/home/u/.alibabacloud/credentials", FILE)
    }

    #[test]
    fn default_section_access_key() {
        let creds = load(env()).unwrap();
        assert_eq!((creds.access_key_id(), creds.access_key_secret().expose()), ("ini-id", "ini-secret"));
    }

    #[test]
    fn explicit_file_and_profile() {
        let env = FixedEnvironment::new()
            .var("ALIBABA_CLOUD_CREDENTIALS_FILE", "/etc/creds.ini")
            .file("/etc/creds.ini", FILE);
        assert_eq!(load(env).unwrap().access_key_id(), "ini-id");
    }

    #[test]
    fn problems_name_the_file_and_section() {
        let err = load(env().var("ALIBABA_CLOUD_PROFILE", "ecs")).unwrap_err().to_string();
        assert!(err.contains("ecs_ram_role") && err.contains("[ecs]"), "{err}");
        let err = load(env().var("ALIBABA_CLOUD_PROFILE", "broken")).unwrap_err().to_string();
        assert!(err.contains("access_key_secret") && err.contains("/home/u/.alibabacloud/credentials"), "{err}");
        let err = load(env().var("ALIBABA_CLOUD_PROFILE", "none")).unwrap_err().to_string();
        assert!(err.contains("no section [none]"), "{err}");
        assert!(matches!(load(FixedEnvironment::new()), Err(CredentialsError::NotConfigured { .. })));
    }
}
