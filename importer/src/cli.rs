//! The `acsgen-import` command (also the `import_callees` example): flags, progress, the summary, exit
//! statuses, and the advice on what to do next — a thin layer over the library.
//!
//! Exit status: 0 when every row was imported; 2 when some rows were rejected or some batches' outcome is
//! unknown (see the report); 1 when the import could not run or had to stop, usage errors included (the
//! message says what to do).

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use acsgen::aiccs::Client;
use acsgen::credentials::ProvideCredentials;
use acsgen::sign::SignatureVersion;
use acsgen::{Config, RetryPolicy};
use clap::{Parser, ValueEnum};

use crate::{
    CsvRows, ImportError, ImportOptions, JsonlRows, Progress, Stop, Summary, csv_rows, import_csv, import_rows,
    jsonl_rows,
};

/// Import callees into an aiccs AI call task.
#[derive(Parser, Debug)]
#[command(version, long_about = None)]
struct Args {
    /// The input: a CSV file with a header row (calleeNumber required, outId optional, every other column a
    /// call variable), a JSON Lines file (.jsonl / .ndjson, one object per line), or - for stdin.
    input: String,
    /// The input format; needed with - (stdin), otherwise taken from the file name.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// The call task to import into (created on the emulator when omitted with --emulator).
    #[arg(long)]
    task_id: Option<String>,
    /// Where requests go, overriding the region's endpoint (e.g. http://127.0.0.1:8080).
    #[arg(long)]
    endpoint: Option<String>,
    /// The region, e.g. cn-hangzhou (default: ALIBABA_CLOUD_REGION_ID or the CLI profile's).
    #[arg(long)]
    region: Option<String>,
    /// The signature version.
    #[arg(long, value_enum, default_value_t = Signature::V3)]
    signature_version: Signature,
    /// Start a local emulator (demo keys), create a task unless --task-id is given, and import into it.
    #[arg(long)]
    emulator: bool,
    /// Records per request (1-1000).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u16).range(1..=1000))]
    batch_size: u16,
    /// Bytes a request's body may have at most (at least 4096): a batch is sent before the next row would
    /// take it over, and a row too big for a batch alone is rejected.
    #[arg(long, default_value_t = crate::DEFAULT_BATCH_BYTES as u64, value_parser = clap::value_parser!(u64).range(4096..))]
    max_batch_bytes: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Requests per second; 0 for no limit.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Validate everything and send nothing.
    #[arg(long)]
    dry_run: bool,
    /// The journal (default: beside the report, with the extension .journal).
    #[arg(long)]
    journal: Option<PathBuf>,
    /// Continue the import the journal records: only batches never sent are sent.
    #[arg(long)]
    resume: bool,
    /// With --resume, also send again batches whose outcome is unknown (they may be imported twice).
    #[arg(long, requires = "resume")]
    resend_uncertain: bool,
    /// With --resume, settle batches whose outcome is unknown from the task's own records: each row is
    /// looked up by outId among the task's call details; found rows count as imported, absent ones are
    /// sent again, rows without an outId stay uncertain. Also reports outIds the task holds twice.
    #[arg(long, requires = "resume", conflicts_with = "resend_uncertain")]
    reconcile: bool,
    /// With --reconcile, cancel the extra call details of each outId the task holds more than once,
    /// keeping the earliest import.
    #[arg(long, requires = "reconcile")]
    cancel_duplicates: bool,
    /// Set aside a journal of this task (or one that cannot be read) and import every row again: rows it
    /// records as imported are imported twice.
    #[arg(long, conflicts_with = "resume")]
    start_over: bool,
    /// The report (JSON).
    #[arg(long, default_value = "import-report.json")]
    report: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Csv,
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Signature {
    V3,
    V1,
}

type Source = BufReader<Box<dyn Read + Send>>;

/// The input's rows, read lazily.
enum Input {
    Csv(Box<CsvRows<Source>>),
    Jsonl(JsonlRows<Source>),
}

/// Opens the input and, for CSV, checks its header (before anything else happens).
fn open_rows(args: &Args) -> Result<Input, String> {
    let format = match (args.format, args.input.as_str()) {
        (Some(f), _) => f,
        (None, "-") => return Err("reading stdin needs --format csv or --format jsonl".into()),
        (None, path) if path.ends_with(".jsonl") || path.ends_with(".ndjson") => Format::Jsonl,
        (None, _) => Format::Csv,
    };
    let input: Box<dyn Read + Send> = if args.input == "-" {
        Box::new(std::io::stdin())
    } else {
        let file = File::open(&args.input).map_err(|e| format!("cannot read {}: {e}", args.input))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(format!("{} is a directory, not an input file", args.input));
        }
        Box::new(file)
    };
    let input = BufReader::with_capacity(64 * 1024, input);
    Ok(match format {
        Format::Csv => Input::Csv(Box::new(csv_rows(input).map_err(|e| format!("{}: {e}", args.input))?)),
        Format::Jsonl => Input::Jsonl(jsonl_rows(input)),
    })
}

/// Lines in a regular file (for the progress bar's length), counted only for terminals.
fn count_lines(path: &str) -> Option<u64> {
    let mut file = File::open(path).ok()?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut lines = 0u64;
    loop {
        let n = file.read(&mut buf).ok()?;
        if n == 0 {
            return Some(lines);
        }
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
}

/// Progress on stderr: a bar on a terminal, a line every few seconds otherwise.
struct Display {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    last: Instant,
}

impl Display {
    fn new(args: &Args) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let total = (args.input != "-").then(|| count_lines(&args.input)).flatten().map(|n| n.saturating_sub(1));
            let bar = total.map_or_else(indicatif::ProgressBar::new_spinner, indicatif::ProgressBar::new);
            let style = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} rows, {per_sec}, ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        let now = Instant::now();
        Self { bar, started: now, last: now }
    }

    fn update(&mut self, p: &Progress) {
        let message = format!(
            "| {} imported, {} batches, {} rejected, {} uncertain",
            p.imported, p.batches, p.rejected, p.uncertain
        );
        match &self.bar {
            Some(bar) => {
                bar.set_position(p.rows);
                bar.set_message(message);
            }
            None if self.last.elapsed() >= Duration::from_secs(2) => {
                self.last = Instant::now();
                let rate = p.imported as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
                eprintln!("progress: {} rows read {message}, {rate:.0} records/s", p.rows);
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn print_summary(summary: &Summary, options: &ImportOptions, elapsed: Duration) {
    let rows = summary.imported + summary.rejected_count + summary.uncertain_count;
    if summary.dry_run {
        println!(
            "dry run for task {}: {} records would be imported, {} rows rejected; nothing was sent",
            summary.task_id, summary.would_import, summary.rejected_count
        );
    } else {
        let batches = summary.batches.len();
        println!(
            "task {}: {} imported in {batches} batch{}, {} rejected, {} uncertain ({rows} rows in {:.1} s)",
            summary.task_id,
            summary.imported,
            if batches == 1 { "" } else { "es" },
            summary.rejected_count,
            summary.uncertain_count,
            elapsed.as_secs_f64()
        );
    }
    for b in &summary.batches {
        let id = b.batch_id.map_or_else(|| "(no ID returned)".to_owned(), |id| id.to_string());
        println!("batch {id}: lines {}-{} ({} records)", b.first_line, b.last_line, b.records);
    }
    for u in &summary.uncertain {
        println!("uncertain: lines {}-{} ({} records): {}", u.first_line, u.last_line, u.records, u.error);
    }
    print_reconciled(summary);
    for r in &summary.rejected_sample {
        println!("rejected line {}: {}", r.line, r.reason);
    }
    let more = summary.rejected_count.saturating_sub(summary.rejected_sample.len() as u64);
    if more > 0 {
        println!("… and {more} more rejected rows in the report");
    }
    println!("report: {}", options.report.display());
    if !summary.dry_run {
        println!("journal: {}", options.journal.display());
    }
    if summary.unsettled_count > 0 {
        println!(
            "{} records have no outId, so the task's records cannot settle them: they stay uncertain",
            summary.unsettled_count
        );
    }
    if summary.uncertain_count > summary.unsettled_count {
        println!(
            "{} records may or may not have been imported: `--resume --reconcile` settles them from the task's records (rows with an outId); `--resume --resend-uncertain` sends them again blindly",
            summary.uncertain_count - summary.unsettled_count
        );
    }
}

/// What reconciling did: each settled batch and how, the rows the task holds differently, the doubles.
fn print_reconciled(summary: &Summary) {
    for r in &summary.reconciled {
        let ids: Vec<String> = r.batch_ids.iter().map(i64::to_string).collect();
        println!(
            "reconciled: lines {}-{} ({} records): {} found (batch {}), {} sent again, {} without outId",
            r.first_line,
            r.last_line,
            r.records,
            r.found,
            if ids.is_empty() { "-".to_owned() } else { ids.join(", ") },
            r.resent,
            r.unsettled
        );
        for (line, what) in &r.differs {
            println!("reconciled line {line}: {what}");
        }
    }
    for d in &summary.doubles {
        let verb = if d.cancelled { "cancelled" } else { "not cancelled (--cancel-duplicates)" };
        println!(
            "double: outId {} held {} times; kept detail {}, {} {}",
            d.out_id,
            d.extra_detail_ids.len() + 1,
            d.kept_detail_id,
            d.extra_detail_ids.join(", "),
            verb
        );
    }
}

/// Which credentials the run uses, as the summary shows them: where they came from, the access key ID
/// and when they expire — never the secret or the token.
fn describe_credentials(credentials: &acsgen::credentials::Credentials) -> String {
    let expiry = match credentials.expires_at() {
        Some(at) => format!(", expiring {} (refreshed before then)", acsgen::sign::format_timestamp(at)),
        None => String::new(),
    };
    format!("{}, access key {}{expiry}", credentials.provider(), credentials.access_key_id())
}

/// Runs the command under the name `program` (which its usage text and messages show): parses the
/// process's arguments, imports, prints the summary, and gives the exit status.
pub fn main(program: &'static str) -> ExitCode {
    // Usage errors exit 1, like every failure that stops the import: 2 means "some rows not imported".
    let args = match parse_args(program) {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            let informational =
                matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion);
            return if informational { ExitCode::SUCCESS } else { ExitCode::from(1) };
        }
    };
    // One thread does the sending (the work is I/O); reading runs on a blocking thread beside it. A
    // multi-threaded scheduler would only spend CPU on idle workers.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(program, format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(program, &args)) {
        Ok(status) => status,
        Err(message) => fail(program, message),
    }
}

fn parse_args(program: &'static str) -> Result<Args, clap::Error> {
    let command = <Args as clap::CommandFactory>::command().name(program).bin_name(program);
    let matches = command.try_get_matches()?;
    <Args as clap::FromArgMatches>::from_arg_matches(&matches)
}

fn fail(program: &str, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("{program}: {message}");
    ExitCode::from(1)
}

/// The import, from checked flags to the summary; an error is a message for the user (exit status 1).
async fn run(program: &str, args: &Args) -> Result<ExitCode, String> {
    if args.rate < 0.0 || !args.rate.is_finite() {
        return Err("--rate must be a number of requests per second (0 for no limit)".into());
    }
    if args.task_id.is_none() && !args.emulator {
        return Err("--task-id is required (or --emulator to try it on a local emulator)".into());
    }
    let rows = open_rows(args)?;
    // The emulator lives as long as the import.
    let emulator = if args.emulator { Some(start_emulator().await?) } else { None };
    let config = config(program, args, emulator.as_ref())?;
    let credentials = match args.dry_run {
        true => None,
        false => Some(config.credentials().provide_credentials().await.map_err(|e| e.to_string())?),
    };
    let credentials = credentials.as_ref().map(describe_credentials);
    let client = Client::new(&config);
    let task_id = match &args.task_id {
        Some(task) => task.clone(),
        None => create_task(program, &client, &config).await?,
    };
    let options = options(args, task_id);
    let started = Instant::now();
    let mut display = Display::new(args);
    let result = match rows {
        Input::Csv(rows) => import_csv(&client, &options, *rows, |p| display.update(p)).await,
        Input::Jsonl(rows) => import_rows(&client, &options, rows, |p| display.update(p)).await,
    };
    display.finish();
    let (summary, stopped) = match result {
        Ok(summary) => (summary, None),
        Err(ImportError::Stopped { reason, summary }) => (*summary, Some(*reason)),
        Err(e) => return Err(explain(&e)),
    };
    print_summary(&summary, &options, started.elapsed());
    if let Some(used) = &credentials {
        println!("credentials: {used}");
    }
    if let Some(running) = &emulator {
        let held = running.record_count(&summary.task_id).unwrap_or(0);
        println!("the emulator holds {held} records for task {}", summary.task_id);
    }
    match stopped {
        Some(reason) => Err(format!("stopped: {}", explain_stop(&reason))),
        None if summary.rejected_count > 0 || summary.uncertain_count > 0 => Ok(ExitCode::from(2)),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// What the user reads when the import cannot run: what happened, and what to do about it.
fn explain(error: &ImportError) -> String {
    match error {
        ImportError::NoJournal { .. } => format!("{error}; run without --resume to start an import"),
        ImportError::EarlierImport { .. } => format!(
            "{error}: run with --resume to continue it, or with --start-over to set it aside and import every row again (rows it records as imported would be imported twice)"
        ),
        ImportError::UnreadableJournal { .. } => format!(
            "{error}; to import every row again instead, run with --start-over (it sets the journal aside; rows it records as imported would be imported twice)"
        ),
        ImportError::OtherImport { .. } => {
            format!("{error}; resume with the same task, --batch-size and --max-batch-bytes")
        }
        ImportError::Stopped { reason, .. } => format!("stopped: {}", explain_stop(reason)),
        _ => error.to_string(),
    }
}

/// What stopped the run, and what to do before resuming.
fn explain_stop(reason: &Stop) -> String {
    let what = reason.to_string();
    match reason {
        Stop::CredentialsRefused(_) => format!(
            "{what}. Check which access key is in use (ALIBABA_CLOUD_ACCESS_KEY_ID, the CLI profile or the credentials file), then run again with --resume"
        ),
        Stop::UnknownTask { .. } => format!("{what}: check the task ID (create one with CreateAiCallTask)"),
        Stop::ClockSkew(_) => format!("{what}; once the clock is right, run again with --resume"),
        Stop::Unconfigured(_) => format!("{what}; fix it, then run again with --resume"),
        Stop::KeptRefusing { .. } => format!("{what}; try again later with --resume"),
        Stop::InputChanged { .. } => format!("{what}; resume with the same input"),
        Stop::InputEnded { .. } => format!("{what}; resume with the whole input"),
        Stop::ScratchFile { .. } => {
            format!("{what}; free some space (or fix the directory), then run again with --resume")
        }
        Stop::InputUnreadable { .. } => format!("{what}; once the input can be read, run again with --resume"),
        Stop::JournalBeforeSending { .. } => format!("{what}; once it can be written, run again with --resume"),
        Stop::JournalAfterAnswer { .. } => format!("{what}; resume to finish"),
    }
}

/// A local emulator, seeded afresh each run: a new task ID each time, so an earlier run's journal is
/// never mistaken for this one's.
async fn start_emulator() -> Result<acsgen_emulator::RunningEmulator, String> {
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    acsgen_emulator::Emulator::new()
        .seed(seed)
        .start_local()
        .await
        .map_err(|e| format!("cannot start the emulator: {e}"))
}

/// The client's configuration: the flags, and the emulator's endpoint and key when it runs.
fn config(program: &str, args: &Args, emulator: Option<&acsgen_emulator::RunningEmulator>) -> Result<Config, String> {
    let mut builder = Config::builder()
        .signature_version(match args.signature_version {
            Signature::V3 => SignatureVersion::V3,
            Signature::V1 => SignatureVersion::V1,
        })
        .retry_policy(RetryPolicy::new(6).with_backoff(Duration::from_millis(200), Duration::from_secs(10)))
        .attempt_timeout(Duration::from_secs(60))
        .user_agent(program);
    if let Some(region) = &args.region {
        builder = builder.region(region);
    }
    if let Some(running) = emulator {
        builder = builder.endpoint(running.endpoint()).credentials(running.credentials());
    }
    if let Some(endpoint) = &args.endpoint {
        builder = builder.endpoint(endpoint);
    }
    builder.build().map_err(|e| e.to_string())
}

/// Creates a demo task (on the emulator: `--task-id` is required otherwise) and gives its ID.
async fn create_task(program: &str, client: &Client, config: &Config) -> Result<String, String> {
    let created = client
        .create_ai_call_task(
            format!("{program} demo"),
            "demo-agent",
            "05710000000",
            "IMMEDIATELY",
            vec!["09:00-18:00".to_owned()],
            vec!["1".to_owned(), "2".to_owned(), "3".to_owned(), "4".to_owned(), "5".to_owned()],
        )
        .send()
        .await;
    match created.map(|answer| answer.data) {
        Ok(Some(id)) => {
            let endpoint = config.endpoint().map(ToString::to_string).unwrap_or_default();
            eprintln!("created task {id} on the emulator at {endpoint}");
            Ok(id.to_string())
        }
        Ok(None) => Err("the emulator created a task but returned no ID".into()),
        Err(e) => Err(format!("cannot create a task: {e}")),
    }
}

fn options(args: &Args, task_id: String) -> ImportOptions {
    let mut options = ImportOptions::new(task_id, args.report.clone());
    options.batch_size = usize::from(args.batch_size);
    options.max_batch_bytes = usize::try_from(args.max_batch_bytes).unwrap_or(usize::MAX);
    options.concurrency = usize::from(args.concurrency);
    options.rate = (args.rate > 0.0).then_some(args.rate);
    options.dry_run = args.dry_run;
    options.resume = args.resume;
    options.resend_uncertain = args.resend_uncertain;
    options.reconcile = args.reconcile;
    options.cancel_duplicates = args.cancel_duplicates;
    options.start_over = args.start_over;
    options.input_label = args.input.clone();
    if let Some(journal) = &args.journal {
        options.journal = journal.clone();
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;
    use acsgen::credentials::Credentials;

    #[test]
    fn the_credentials_line_names_the_source_key_and_expiry_only() {
        let at = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let temporary =
            Credentials::sts("STS.abc", "the-secret", "the-token").with_expiry(at).with_provider("ECS RAM role");
        let line = describe_credentials(&temporary);
        assert_eq!(line, "ECS RAM role, access key STS.abc, expiring 2027-01-15T08:00:00Z (refreshed before then)");
        let long_term = Credentials::new("LTAIkey", "the-secret").with_provider("environment");
        assert_eq!(describe_credentials(&long_term), "environment, access key LTAIkey");
    }
}
