//! For every static setup of the chain's table, the vendor's own credentials library
//! (`alibabacloud-credentials` from PyPI, `tests/python/credentials_chain.py`) resolves the same access key
//! ID as acsgen's default chain. Its habits: version 1.0.12 reads the INI file only as
//! `~/.alibabacloud/credentials.ini` and ignores `ALIBABA_CLOUD_CONFIG_FILE`, and it tries the real metadata
//! address unless `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true` — set on both sides.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use acsgen::credentials::{Context, DefaultChain, FixedEnvironment, ProvideCredentials};
use acsgen_tests::{python, python_script, target_dir};

const CLI: &str = r#"{"current":"main","profiles":[
    {"name":"main","mode":"AK","access_key_id":"cli-main-id","access_key_secret":"s1"},
    {"name":"other","mode":"AK","access_key_id":"cli-other-id","access_key_secret":"s2"},
    {"name":"temp","mode":"StsToken","access_key_id":"cli-sts-id","access_key_secret":"s3","sts_token":"t"}]}"#;
const INI: &str = "[default]\ntype = access_key\naccess_key_id = ini-default-id\naccess_key_secret = s4\n\n\
    [other]\ntype = access_key\naccess_key_id = ini-other-id\naccess_key_secret = s5\n";

/// A setup: its files (CLI profile, INI) and variables.
struct Setup {
    name: &'static str,
    cli: bool,
    ini: bool,
    vars: &'static [(&'static str, &'static str)],
}

const ENV_KEY: [(&str, &str); 2] =
    [("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id"), ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")];

fn setups() -> Vec<Setup> {
    let setup = |name, cli, ini, vars| Setup { name, cli, ini, vars };
    vec![
        setup("environment", false, false, &ENV_KEY),
        setup(
            "environment with a token",
            false,
            false,
            &[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-sts-id"),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s"),
                ("ALIBABA_CLOUD_SECURITY_TOKEN", "t"),
            ],
        ),
        setup("environment beats the files", true, true, &ENV_KEY),
        setup("CLI profile `current`", true, false, &[]),
        setup("CLI profile by variable", true, false, &[("ALIBABA_CLOUD_PROFILE", "other")]),
        setup("CLI StsToken profile", true, false, &[("ALIBABA_CLOUD_PROFILE", "temp")]),
        setup("CLI beats INI", true, true, &[]),
        setup("CLI disabled", true, true, &[("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")]),
        setup("INI default section", false, true, &[]),
        setup("INI section by variable", false, true, &[("ALIBABA_CLOUD_PROFILE", "other")]),
        setup("nothing", false, false, &[]),
    ]
}

/// Writes the setup's files under `home`; the same environment for acsgen.
fn prepare(setup: &Setup, home: &Path) -> FixedEnvironment {
    let _ = std::fs::remove_dir_all(home);
    let mut env = FixedEnvironment::new()
        .var("HOME", home.display().to_string())
        .var("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");
    for (file, text, used) in
        [(".aliyun/config.json", CLI, setup.cli), (".alibabacloud/credentials.ini", INI, setup.ini)]
    {
        if used {
            let path = home.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            env = env.file(path, text);
        }
    }
    for (name, value) in setup.vars {
        env = env.var(*name, *value);
    }
    env
}

fn vendors_answer(setup: &Setup, home: &Path) -> Option<String> {
    let mut command = Command::new(python());
    command.arg(python_script("credentials_chain.py")).env_clear().env("HOME", home);
    command
        .env("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    command.envs(setup.vars.iter().copied());
    let output = command.output().expect("run the vendor's library");
    let printed = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(output.status.success(), "{}: {printed}{}", setup.name, String::from_utf8_lossy(&output.stderr));
    (!printed.starts_with("error:")).then_some(printed)
}

#[tokio::test]
async fn the_vendors_library_resolves_the_same_key_for_every_static_setup() {
    for setup in setups() {
        let home = target_dir().join("tests/credentials-interop").join(setup.name.replace(' ', "-"));
        let env = prepare(&setup, &home);
        let ours = DefaultChain::with_context(Context::new(Arc::new(env))).provide_credentials().await;
        let ours = ours.ok().map(|c| c.access_key_id().to_owned());
        assert_eq!(ours, vendors_answer(&setup, &home), "{}", setup.name);
        if setup.name != "nothing" {
            assert!(ours.is_some(), "{}: a key must be found", setup.name);
        }
    }
}
