//! `acsgen-emulator`: runs the local aiccs endpoint (and on demand any product from its metadata file
//! with `--spec`, STS and the ECS metadata service) until interrupted.
//! The first line on stdout is `listening on http://HOST:PORT`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use acsgen_emulator::{
    DEFAULT_LIST_ITEMS, DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, Emulator, Faults, Imds, MetadataSettings,
    StsSettings,
};
use clap::Parser;

/// A local Alibaba Cloud endpoint — aiccs 2019-10-15, and any product from its metadata file — for
/// offline runs, tests and fault drills.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// An accepted key, `ID:SECRET` or `ID:SECRET:STS_TOKEN`; repeatable. Without one, a demo pair is used.
    #[arg(long = "access-key", value_parser = parse_access_key)]
    access_keys: Vec<(String, String, Option<String>)>,
    /// Seed for drills and generated IDs, for repeatable runs.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Probability of answering with throttling (429 with x-acs-retry-after).
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    fault_throttle: f64,
    /// Probability of answering 500 InternalError without acting.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    fault_server_error: f64,
    /// Probability of closing the connection before acting.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    fault_drop_before: f64,
    /// Probability of acting (storing the batch), then closing the connection without answering.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    fault_drop_after: f64,
    /// Delay added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Plays STS too (AssumeRole, AssumeRoleWithOIDC, GetCallerIdentity) at the same address; the
    /// temporary keys it issues are accepted until they expire.
    #[arg(long)]
    sts: bool,
    /// How long the keys STS issues last, in seconds, at most 43200 (else what each request asks, 3600 by
    /// default).
    #[arg(long, requires = "sts", value_parser = clap::value_parser!(u64).range(1..=43200))]
    sts_duration: Option<u64>,
    /// The file holding the OIDC token AssumeRoleWithOIDC accepts (read at each request).
    #[arg(long, requires = "sts")]
    oidc_token_file: Option<PathBuf>,
    /// Plays the ECS metadata service too (under /latest/ at the same address), for one RAM role.
    #[arg(long)]
    metadata: bool,
    /// The instance's RAM role.
    #[arg(long, default_value = "EcsRamRoleDemo", requires = "metadata")]
    metadata_role: String,
    /// How long each key the metadata service mints lasts, in seconds, at most 43200.
    #[arg(long, default_value_t = 3600, requires = "metadata", value_parser = clap::value_parser!(u64).range(1..=43200))]
    metadata_lifetime: u64,
    /// The metadata service answers only requests with an IMDSv2 token.
    #[arg(long, requires = "metadata")]
    imdsv2_only: bool,
    /// Serves every operation of this API metadata file (RPC or ROA) too: requests checked against it,
    /// answers built from its response schemas; repeatable.
    #[arg(long = "spec", value_name = "FILE")]
    specs: Vec<PathBuf>,
    /// How many synthetic items each list operation of a served spec pages over.
    #[arg(long, default_value_t = DEFAULT_LIST_ITEMS)]
    list_items: usize,
}

/// Parses `ID:SECRET` or `ID:SECRET:STS_TOKEN`.
fn parse_access_key(text: &str) -> Result<(String, String, Option<String>), String> {
    let mut parts = text.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(id), Some(secret), token) if !id.is_empty() && !secret.is_empty() => {
            Ok((id.to_owned(), secret.to_owned(), token.filter(|t| !t.is_empty()).map(str::to_owned)))
        }
        _ => Err(format!("`{text}` is not ID:SECRET or ID:SECRET:STS_TOKEN")),
    }
}

fn probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("`{text}` is not a probability between 0 and 1")),
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let mut emulator = Emulator::new().seed(args.seed).list_items(args.list_items).faults(Faults {
        throttle: args.fault_throttle,
        server_error: args.fault_server_error,
        drop_before: args.fault_drop_before,
        drop_after: args.fault_drop_after,
        latency: Duration::from_millis(args.latency_ms),
    });
    if args.sts {
        let duration = args.sts_duration.map(Duration::from_secs);
        emulator = emulator.sts(StsSettings { duration, oidc_token_file: args.oidc_token_file.clone() });
    }
    if args.metadata {
        let imds = if args.imdsv2_only { Imds::V2Only } else { Imds::Both };
        let lifetime = Duration::from_secs(args.metadata_lifetime);
        emulator = emulator.metadata(MetadataSettings { role: args.metadata_role.clone(), lifetime, imds });
    }
    for path in &args.specs {
        emulator = match emulator.spec_file(path) {
            Ok(emulator) => emulator,
            Err(e) => {
                eprintln!("acsgen-emulator: {e}");
                std::process::exit(2);
            }
        };
    }
    for (id, secret, token) in &args.access_keys {
        emulator = match token {
            Some(token) => emulator.sts_access_key(id, secret, token),
            None => emulator.access_key(id, secret),
        };
    }
    let running = match emulator.start(args.listen).await {
        Ok(running) => running,
        Err(e) => {
            eprintln!("acsgen-emulator: cannot listen on {}: {e}", args.listen);
            std::process::exit(1);
        }
    };
    println!("listening on {}", running.endpoint());
    if args.access_keys.is_empty() {
        println!("demo access key: {DEMO_ACCESS_KEY_ID} / {DEMO_ACCESS_KEY_SECRET}");
    }
    let _ = tokio::signal::ctrl_c().await;
}
