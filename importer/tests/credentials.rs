//! The importer where workloads run: 10,000 rows loaded with temporary credentials of each kind — the ECS
//! instance's role, a RamRoleArn CLI profile, OIDC environment variables, a credentials URI — that go stale
//! during the run (keys of 905 s are stale 5 s after each fetch; the run is paced to 10 s). Every batch
//! lands; none fails or is uncertain.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use acsgen::aiccs::{CalleeRecord, Client};
use acsgen::credentials::FixedEnvironment;
use acsgen::{Config, RetryPolicy};
use acsgen_emulator::{Emulator, MetadataSettings, RunningEmulator, StsSettings};
use acsgen_import::{ImportOptions, Row, import_rows};

const LIFETIME: Duration = Duration::from_secs(905);
const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.pod-token.sig";
const ROWS: u64 = 10_000;

fn scratch(name: &str) -> PathBuf {
    let root = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("importer/ sits in the workspace").join("target")
    });
    let dir = root.join("tests/credentials").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One credential kind: its name, the environment that sets it up, and the provider it must come from.
struct Kind {
    name: &'static str,
    env: FixedEnvironment,
    provider: &'static str,
}

/// An emulator issuing 905 s keys from STS (accepting `TOKEN`, and the source key `src`) and the metadata
/// service; the directory of this kind's files.
async fn emulator(name: &str) -> (RunningEmulator, PathBuf) {
    let dir = scratch(name);
    std::fs::write(dir.join("token"), TOKEN).unwrap();
    let sts = StsSettings { duration: Some(LIFETIME), oidc_token_file: Some(dir.join("token")) };
    let metadata = MetadataSettings { lifetime: LIFETIME, ..MetadataSettings::default() };
    let emulator =
        Emulator::new().access_key("src", "src-secret").sts(sts).metadata(metadata).start_local().await.unwrap();
    (emulator, dir)
}

fn kinds(emulators: &[(RunningEmulator, PathBuf)]) -> Vec<Kind> {
    let home = |dir: &Path| FixedEnvironment::new().var("HOME", dir.display().to_string());
    let cli = r#"{"current":"ops","profiles":[{"name":"ops","mode":"RamRoleArn","access_key_id":"src","access_key_secret":"src-secret","ram_role_arn":"acs:ram::1234567890123456:role/importer","ram_session_name":"import"}]}"#;
    let (ecs, profile, oidc, uri) = (&emulators[0], &emulators[1], &emulators[2], &emulators[3]);
    let token_file = oidc.1.join("token");
    vec![
        Kind { name: "ECS role", env: home(&ecs.1), provider: "ECS RAM role" },
        Kind {
            name: "RamRoleArn profile",
            env: home(&profile.1).file(profile.1.join(".aliyun/config.json"), cli),
            provider: "CLI profile \"ops\" (RamRoleArn)",
        },
        Kind {
            name: "OIDC",
            env: home(&oidc.1)
                .var("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
                .var("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1234567890123456:role/importer")
                .var("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::1234567890123456:oidc-provider/ack")
                .var("ALIBABA_CLOUD_OIDC_TOKEN_FILE", token_file.display().to_string())
                .file(&token_file, TOKEN),
            provider: "OIDC",
        },
        Kind {
            name: "credentials URI",
            env: home(&uri.1).var("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true").var(
                "ALIBABA_CLOUD_CREDENTIALS_URI",
                format!("{}/latest/meta-data/ram/security-credentials/EcsRamRoleDemo", uri.0.endpoint()),
            ),
            provider: "credentials URI",
        },
    ]
}

/// A client whose credentials come from the default chain over `env`, STS and the metadata service being
/// the emulator.
fn client(emulator: &RunningEmulator, env: FixedEnvironment) -> Client {
    let config = Config::builder()
        .endpoint(emulator.endpoint())
        .environment(Arc::new(env))
        .ecs_metadata_endpoint(emulator.endpoint())
        .sts_endpoint(emulator.endpoint())
        .retry_policy(RetryPolicy::new(4))
        .build()
        .unwrap();
    Client::new(&config)
}

async fn import(emulator: &RunningEmulator, dir: &Path, kind: &Kind) {
    let client = client(emulator, kind.env.clone());
    let used = client.service_client().config().credentials().provide_credentials().await.unwrap();
    assert_eq!(used.provider(), kind.provider, "{}", kind.name);
    let task = emulator.create_task();
    let mut options = ImportOptions::new(task.clone(), dir.join("report.json"));
    // 23 batches, two a second: 11 s.
    (options.batch_size, options.rate) = (450, Some(2.0));
    let rows = (0..ROWS).map(|i| Row { line: i + 2, record: Ok(CalleeRecord::new(format!("1{i:010}"))) });
    let summary = import_rows(&client, &options, rows, |_| {}).await.unwrap_or_else(|e| panic!("{}: {e}", kind.name));
    assert_eq!((summary.imported, summary.rejected_count, summary.uncertain_count), (ROWS, 0, 0), "{}", kind.name);
    assert_eq!(emulator.record_count(&task), Some(ROWS as usize), "{}", kind.name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_rows_with_each_kind_of_temporary_credentials() {
    let mut emulators = Vec::new();
    for name in ["ecs", "profile", "oidc", "uri"] {
        emulators.push(emulator(name).await);
    }
    let kinds = kinds(&emulators);
    let run = |at: usize| import(&emulators[at].0, &emulators[at].1, &kinds[at]);
    let started = std::time::Instant::now();
    tokio::join!(run(0), run(1), run(2), run(3));
    assert!(started.elapsed() >= Duration::from_secs(10), "paced past the keys' freshness: {:?}", started.elapsed());
    for ((emulator, _), kind) in emulators.iter().zip(&kinds) {
        let stats = emulator.stats();
        let fetched = stats.sts_issued + stats.metadata_issued;
        assert!(fetched >= 2, "{}: the credentials went stale and were fetched again ({fetched} fetches)", kind.name);
        assert!(fetched <= 4, "{}: fetched {fetched} times, not once per batch", kind.name);
    }
}
