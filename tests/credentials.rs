//! The credential chain where workloads run, against the emulator playing STS and the ECS metadata service:
//! the vendor's order over every source, the metadata service's protocol versions, and temporary
//! credentials kept fresh — fetched again once stale, once however many callers wait.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use acsgen::credentials::{
    Cached, Context, CredentialsError, DefaultChain, EcsRamRole, FixedEnvironment, ProvideCredentials,
};
use acsgen_emulator::{Emulator, Imds, MetadataSettings, RunningEmulator, StsSettings};

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.oidc-token-of-the-pod.sig";
const CLI: &str = r#"{"current":"main","profiles":[
    {"name":"main","mode":"AK","access_key_id":"cli-main-id","access_key_secret":"s"},
    {"name":"other","mode":"AK","access_key_id":"cli-other-id","access_key_secret":"s"}]}"#;
const INI: &str = "[default]\ntype = access_key\naccess_key_id = ini-id\naccess_key_secret = s\n\
    [other]\ntype = access_key\naccess_key_id = ini-other-id\naccess_key_secret = s\n";

fn scratch(name: &str) -> PathBuf {
    let dir = acsgen_tests::target_dir().join("tests/credentials").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An emulator playing STS (accepting `TOKEN`) and the metadata service, and the token's file.
async fn stand_ins(name: &str, metadata: MetadataSettings) -> (RunningEmulator, PathBuf) {
    let token_file = scratch(name).join("token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let sts = StsSettings { duration: None, oidc_token_file: Some(token_file.clone()) };
    let emulator = Emulator::new().sts(sts).metadata(metadata).start_local().await.unwrap();
    (emulator, token_file)
}

fn context(env: FixedEnvironment, emulator: &RunningEmulator) -> Context {
    Context::new(Arc::new(env)).with_ecs_metadata_endpoint(emulator.endpoint()).with_sts_endpoint(emulator.endpoint())
}

/// Which sources a row of the table sets up.
#[derive(Clone, Copy)]
struct Sources {
    env: bool,
    oidc: bool,
    cli: bool,
    ini: bool,
    uri: bool,
}

fn environment(sources: Sources, emulator: &RunningEmulator, token_file: &std::path::Path) -> FixedEnvironment {
    let mut env = FixedEnvironment::new().var("HOME", "/home/u");
    if sources.env {
        env = env.var("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id").var("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s");
    }
    if sources.oidc {
        env = env
            .var("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1234567890123456:role/pod")
            .var("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::1234567890123456:oidc-provider/ack")
            .var("ALIBABA_CLOUD_OIDC_TOKEN_FILE", token_file.display().to_string())
            .file(token_file, TOKEN);
    }
    if sources.cli {
        env = env.file("/home/u/.aliyun/config.json", CLI);
    }
    if sources.ini {
        env = env.file("/home/u/.alibabacloud/credentials", INI);
    }
    if sources.uri {
        let uri = format!("{}/latest/meta-data/ram/security-credentials/EcsRamRoleDemo", emulator.endpoint());
        env = env.var("ALIBABA_CLOUD_CREDENTIALS_URI", uri);
    }
    env
}

/// Every source in the reference's order beats the ones after it; `ALIBABA_CLOUD_PROFILE` and the CLI
/// file's `current` select profiles; each `…_DISABLED` switch skips its source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_keeps_the_vendors_order() {
    let (emulator, token_file) = stand_ins("order", MetadataSettings::default()).await;
    let all = Sources { env: true, oidc: true, cli: true, ini: true, uri: true };
    let none = Sources { env: false, oidc: false, cli: false, ini: false, uri: false };
    type Case<'a> = (&'a str, Sources, &'a [(&'a str, &'a str)], &'a str);
    let cases: Vec<Case> = vec![
        ("env beats all", all, &[], "environment"),
        ("OIDC beats the files", Sources { env: false, ..all }, &[], "OIDC"),
        ("CLI beats INI", Sources { env: false, oidc: false, ..all }, &[], "CLI profile \"main\" (AK)"),
        (
            "profile by variable",
            Sources { cli: true, ..none },
            &[("ALIBABA_CLOUD_PROFILE", "other")],
            "CLI profile \"other\" (AK)",
        ),
        (
            "CLI disabled",
            Sources { cli: true, ini: true, ..none },
            &[("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")],
            "credentials file [default] (access_key)",
        ),
        (
            "INI section by variable",
            Sources { ini: true, ..none },
            &[("ALIBABA_CLOUD_PROFILE", "other")],
            "credentials file [other] (access_key)",
        ),
        ("INI beats ECS", Sources { ini: true, uri: true, ..none }, &[], "credentials file [default] (access_key)"),
        ("ECS beats URI", Sources { uri: true, ..none }, &[], "ECS RAM role"),
        (
            "ECS disabled",
            Sources { uri: true, ..none },
            &[("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")],
            "credentials URI",
        ),
    ];
    for (case, sources, vars, provider) in cases {
        let mut env = environment(sources, &emulator, &token_file);
        for (name, value) in vars {
            env = env.var(*name, *value);
        }
        let chain = DefaultChain::with_context(context(env, &emulator));
        let found = chain.provide_credentials().await.unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(found.provider(), provider, "{case}");
        // Remembered: the next call goes straight to it.
        assert_eq!(chain.provide_credentials().await.unwrap().provider(), provider, "{case}");
    }
    // Nothing set up, ECS disabled: every source is named with its reason.
    let env = environment(none, &emulator, &token_file).var("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");
    let error =
        DefaultChain::with_context(context(env, &emulator)).provide_credentials().await.unwrap_err().to_string();
    for source in ["environment", "OIDC", "CLI profile", "credentials file", "ECS RAM role", "credentials URI"] {
        assert!(error.contains(&format!("{source}: ")), "{source} missing from: {error}");
    }
}

/// IMDSv2 when the service speaks it, IMDSv1 when it does not (unless that is disabled); a service that
/// is down fails within a second, one that is silent within a few.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_instance_role_over_each_metadata_protocol() {
    let v2_only = MetadataSettings { imds: Imds::V2Only, ..MetadataSettings::default() };
    let v1_only = MetadataSettings { imds: Imds::V1Only, ..MetadataSettings::default() };
    let (v2, _) = stand_ins("imds-v2", v2_only).await;
    let (v1, _) = stand_ins("imds-v1", v1_only).await;
    let role = |emulator: &RunningEmulator, env: FixedEnvironment| EcsRamRole::new(context(env, emulator));
    let creds = role(&v2, FixedEnvironment::new()).provide_credentials().await.unwrap();
    assert!(creds.access_key_id().starts_with("STS.") && creds.expires_at().is_some());
    let creds = role(&v1, FixedEnvironment::new()).provide_credentials().await.unwrap();
    assert!(creds.access_key_id().starts_with("STS."));
    let strict = FixedEnvironment::new().var("ALIBABA_CLOUD_IMDSV1_DISABLED", "true");
    let error = role(&v1, strict).provide_credentials().await.unwrap_err().to_string();
    assert!(error.contains("IMDSv1 is disabled by ALIBABA_CLOUD_IMDSV1_DISABLED"), "{error}");
    let named = FixedEnvironment::new().var("ALIBABA_CLOUD_ECS_METADATA", "SomeOtherRole");
    let error = role(&v2, named).provide_credentials().await.unwrap_err().to_string();
    assert!(error.contains("role `SomeOtherRole`") && error.contains("HTTP 404"), "{error}");
    assert_eq!(v2.stats().metadata_issued + v1.stats().metadata_issued, 2, "the failures minted nothing");

    // Down (nothing listens) and silent (accepts, never answers): fast failures, the chain moves on.
    let down = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down_url = format!("http://{}", down.local_addr().unwrap());
    drop(down);
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            open.push(stream);
        }
    });
    // Nothing reachable: "not configured" within the second it takes to connect.
    let started = Instant::now();
    let context = Context::new(Arc::new(FixedEnvironment::new())).with_ecs_metadata_endpoint(&down_url);
    let error = EcsRamRole::new(context).provide_credentials().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(1500), "down: {:?}", started.elapsed());
    assert!(
        matches!(&error, CredentialsError::NotConfigured { reason, .. } if reason.contains("no metadata service")),
        "{error}"
    );
    // Reached but silent: no token within two seconds, IMDSv1 tried, no answer either: an error, not a hang.
    let started = Instant::now();
    let context = Context::new(Arc::new(FixedEnvironment::new())).with_ecs_metadata_endpoint(&silent_url);
    let error = EcsRamRole::new(context).provide_credentials().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(5000), "silent: {:?}", started.elapsed());
    assert!(matches!(&error, CredentialsError::Fetch { message, .. } if message.contains("no answer")), "{error}");
}

/// Keys that last 905 s are stale 5 s after each fetch: a run of 12 s calling four times a second fetches
/// three times, not once per call; 1,000 calls at once while stale fetch once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_credentials_are_fetched_again_once_stale_once() {
    let lifetime = MetadataSettings { lifetime: Duration::from_secs(905), ..MetadataSettings::default() };
    let (paced, _) = stand_ins("paced", lifetime.clone()).await;
    let (crowd, _) = stand_ins("crowd", lifetime).await;
    let role =
        |emulator: &RunningEmulator| Arc::new(Cached::new(EcsRamRole::new(context(FixedEnvironment::new(), emulator))));
    let (paced_role, crowd_role) = (role(&paced), role(&crowd));
    let pacing = async {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(12) {
            paced_role.provide_credentials().await.unwrap();
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    let crowding = async {
        crowd_role.provide_credentials().await.unwrap();
        tokio::time::sleep(Duration::from_millis(5200)).await;
        let calls: Vec<_> = (0..1000)
            .map(|_| {
                let role = crowd_role.clone();
                tokio::spawn(async move { role.provide_credentials().await.map(|c| c.access_key_id().to_owned()) })
            })
            .collect();
        let mut ids = std::collections::HashSet::new();
        for call in calls {
            ids.insert(call.await.unwrap().unwrap());
        }
        assert_eq!(ids.len(), 1, "every caller got the one fetch's key");
    };
    tokio::join!(pacing, crowding);
    assert_eq!(paced.stats().metadata_issued, 3, "fetches in 12 s at 5 s each");
    assert_eq!(crowd.stats().metadata_issued, 2, "one fetch, then one for the 1,000 stale callers");
}

/// A writer that keeps everything the tracing subscriber prints.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every provider, working and failing, with every log line on: the secrets and tokens they fetch, the
/// OIDC token, the source key's secret and what a command prints reach no log line, `Debug` or `Display`.
#[test]
fn no_provider_shows_a_secret_a_token_or_what_it_fetched() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (shown, mut secrets) =
        tracing::subscriber::with_default(subscriber, || runtime.block_on(every_provider_shown()));
    secrets.extend([TOKEN.to_owned(), "src-secret".to_owned(), "printed-secret".to_owned()]);
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("acsgen.call") && logs.contains("AssumeRole"), "the STS calls are logged: {logs}");
    let everything = format!("{logs}\n{shown}");
    for secret in &secrets {
        assert!(!everything.contains(secret.as_str()), "`{secret}` leaked:\n{everything}");
    }
    assert!(shown.contains("STS.") && shown.contains("printed-id"), "key IDs are not secret: {shown}");
    for case in [
        "provider: \"ECS RAM role\"",
        "provider: \"credentials URI\"",
        "provider: \"CLI profile \\\"role\\\" (RamRoleArn)\"",
        "provider: \"CLI profile \\\"external\\\" (External)\"",
        "provider: \"OIDC\"",
        "SignatureDoesNotMatch",
        "`printf` did not print JSON",
        "AuthenticationFail.OIDCToken.Invalid",
        "credentials URI: http://127.0.0.1",
    ] {
        assert!(shown.contains(case), "{case} missing: {shown}");
    }
}

/// Runs each provider kind, well and badly set up; what their values and errors show, and the secrets
/// and tokens they produced.
async fn every_provider_shown() -> (String, Vec<String>) {
    let token_file = scratch("shown").join("token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let sts = StsSettings { duration: None, oidc_token_file: Some(token_file.clone()) };
    let emulator = Emulator::new().access_key("src", "src-secret").sts(sts).metadata(MetadataSettings::default());
    let emulator = emulator.start_local().await.unwrap();
    let printed = r#"printf %s '{"mode":"StsToken","access_key_id":"printed-id","access_key_secret":"printed-secret","sts_token":"printed-token"}'"#;
    let cli = format!(
        r#"{{"profiles":[
        {{"name":"role","mode":"RamRoleArn","access_key_id":"src","access_key_secret":"src-secret","ram_role_arn":"acs:ram::1234567890123456:role/r"}},
        {{"name":"bad-role","mode":"RamRoleArn","access_key_id":"src","access_key_secret":"wrong-src-secret","ram_role_arn":"acs:ram::1234567890123456:role/r"}},
        {{"name":"external","mode":"External","process_command":{}}},
        {{"name":"bad-external","mode":"External","process_command":"printf %s not-json-printed-secret"}}]}}"#,
        serde_json::Value::String(printed.to_owned())
    );
    let uri = format!(
        "{}/latest/meta-data/ram/security-credentials/EcsRamRoleDemo?token=printed-secret",
        emulator.endpoint()
    );
    let bad_uri = format!("http://user:printed-secret@{}/no/such/path?token=printed-secret", emulator.addr());
    let base = FixedEnvironment::new().var("HOME", "/h").file("/h/.aliyun/config.json", cli.as_str());
    // Failing sources are shown by the chain's error, once nothing after them can step in.
    let alone = |env: FixedEnvironment| env.var("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");
    let oidc = |token: &str| {
        base.clone()
            .var("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1234567890123456:role/pod")
            .var("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::1234567890123456:oidc-provider/ack")
            .var("ALIBABA_CLOUD_OIDC_TOKEN_FILE", token_file.display().to_string())
            .file(&token_file, token)
    };
    let envs = [
        base.clone(),
        base.clone()
            .var("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
            .var("ALIBABA_CLOUD_CREDENTIALS_URI", uri.as_str()),
        base.clone().var("ALIBABA_CLOUD_PROFILE", "role"),
        alone(base.clone().var("ALIBABA_CLOUD_PROFILE", "bad-role")),
        base.clone().var("ALIBABA_CLOUD_PROFILE", "external"),
        alone(base.clone().var("ALIBABA_CLOUD_PROFILE", "bad-external")),
        oidc(TOKEN),
        alone(oidc("a-wrong-token-printed-secret")),
        alone(base.clone().var("ALIBABA_CLOUD_CREDENTIALS_URI", bad_uri.as_str())),
    ];
    let mut shown = String::new();
    let mut secrets =
        vec!["wrong-src-secret".to_owned(), "not-json-printed-secret".to_owned(), "printed-token".to_owned()];
    for env in envs {
        let chain = DefaultChain::with_context(context(env, &emulator));
        match chain.provide_credentials().await {
            Ok(found) => {
                secrets.push(found.access_key_secret().expose().to_owned());
                secrets.extend(found.security_token().map(|t| t.expose().to_owned()));
                shown.push_str(&format!("{found:?}\n"));
            }
            Err(error) => shown.push_str(&format!("{error}\n{error:?}\n")),
        }
        shown.push_str(&format!("{chain:?}\n"));
    }
    (shown, secrets)
}

/// Kubernetes rotates the projected token: each fetch reads the file again, so a role assumed after the
/// rotation is assumed with the new token (the emulator accepts only what the file holds now).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oidc_token_file_is_read_again_at_every_fetch() {
    let (emulator, token_file) = stand_ins("rotation", MetadataSettings::default()).await;
    let context = Context::new(Arc::new(acsgen::credentials::OsEnvironment)).with_sts_endpoint(emulator.endpoint());
    let role = "acs:ram::1234567890123456:role/pod";
    let oidc =
        acsgen::credentials::Oidc::new(context, role, "acs:ram::1234567890123456:oidc-provider/ack", &token_file);
    assert!(oidc.provide_credentials().await.is_ok());
    std::fs::write(&token_file, "eyJhbGciOiJSUzI1NiJ9.rotated.sig").unwrap();
    let after = oidc.provide_credentials().await;
    assert!(after.is_ok(), "the rotated token was not read: {after:?}");
    assert_eq!(emulator.stats().sts_issued, 2);
}
