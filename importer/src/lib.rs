//! The callee importer: any stream of callee rows into an AI call task, up to 1,000 records a request,
//! within a request rate, with every row accounted for — imported (in a batch whose ID the report gives),
//! rejected (its line and the reason) or uncertain (sent, and no answer came back) — and a journal that
//! makes any interruption resumable without importing anything twice.
//!
//! The pipeline: rows are read and checked on a blocking thread (calleeNumber present, outId at most 128
//! characters and not repeated in the input) and grouped into batches; at most `concurrency` batches wait
//! and at most `concurrency` are in flight, so memory is bounded by batch size × concurrency, plus the
//! repeat check's at most about 6 MiB (past some 230,000 distinct outIds it moves older fingerprints to a
//! scratch file beside the report: see [`dedup`]). Each batch is journaled (on disk) before it is sent and
//! after its answer; one flush covers an answer and the next batch's entry when they are written together.
//!
//! Retries follow the runtime's rules: throttling and connection failures are resent (and, when the
//! client's own retries run out, resent again in a few more rounds); a batch that may have reached the
//! service — a timeout, a dropped connection, a server error — is never resent blindly. It is marked
//! uncertain, and only `resend_uncertain` sends it again.

mod batch;
#[cfg(feature = "cli")]
pub mod cli;
mod dedup;
mod journal;
mod pace;
mod report;
mod source;
mod wire;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

pub use report::{BatchReport, RejectedRow, Summary, UncertainReport};
pub use source::{CsvRows, CsvView, JsonlRows, MAX_ROW_BYTES, Row, csv_rows, jsonl_rows};

use acsgen::Error;
use acsgen::aiccs::{Client, DataType, ImportTaskNumberDatasRequest};
use acsgen::encode::EncodedForm;
use batch::{Batch, Batcher, Item};
use journal::{BatchState, Journal, JournalBatch};
use pace::Pace;
use report::Spool;
use wire::Spares;

/// Records one request may carry (`PhoneNumberList` `maxItems` in the spec).
pub const MAX_BATCH: usize = 1000;
/// Characters an `outId` may have (`outId` `maxLength` in the spec).
pub const MAX_OUT_ID: usize = 128;

/// Why an import could not run, or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The input cannot be used at all (empty, no header, no calleeNumber column, unreadable).
    #[error("input: {0}")]
    Input(String),
    /// The options cannot work together.
    #[error("options: {0}")]
    Options(String),
    /// The journal cannot be read or written.
    #[error("journal: {0}")]
    Journal(String),
    /// The report cannot be written.
    #[error("report: {0}")]
    Report(String),
    /// The run stopped part-way (bad credentials, an unknown task, the input changed since the journal…).
    /// What was done is in the summary and the report; fix the cause and resume.
    #[error("{message}")]
    Stopped {
        /// What stopped the run and what to do.
        message: String,
        /// What was done before it stopped.
        summary: Box<Summary>,
    },
}

/// How to run an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    /// The call task to import into.
    pub task_id: String,
    /// Records per request, 1–1,000.
    pub batch_size: usize,
    /// Requests in flight at once (at least 1).
    pub concurrency: usize,
    /// Requests per second; `None` for no limit.
    pub rate: Option<f64>,
    /// Check everything and send nothing.
    pub dry_run: bool,
    /// The journal file.
    pub journal: PathBuf,
    /// The report file.
    pub report: PathBuf,
    /// Continue the run the journal records, sending only batches it never sent.
    pub resume: bool,
    /// With `resume`: also send again the batches whose outcome is unknown (they may be imported twice).
    pub resend_uncertain: bool,
    /// How the input is named in the journal.
    pub input_label: String,
    /// Extra rounds for a batch the service refused without acting (throttling, unavailable, unreachable)
    /// once the client's own retries are used up.
    pub safe_retry_rounds: u32,
}

impl ImportOptions {
    /// Defaults: batches of 1,000, 4 in flight, 20 requests a second, the journal beside the report.
    pub fn new(task_id: impl Into<String>, report: impl Into<PathBuf>) -> Self {
        let report = report.into();
        Self {
            task_id: task_id.into(),
            batch_size: MAX_BATCH,
            concurrency: 4,
            rate: Some(20.0),
            dry_run: false,
            journal: report.with_extension("journal"),
            report,
            resume: false,
            resend_uncertain: false,
            input_label: String::new(),
            safe_retry_rounds: 5,
        }
    }

    /// Where the outId check keeps what does not fit its fixed memory: the report's directory.
    fn scratch_dir(&self) -> PathBuf {
        match self.report.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        }
    }

    fn check(&self) -> Result<(), ImportError> {
        if !(1..=MAX_BATCH).contains(&self.batch_size) {
            return Err(ImportError::Options(format!("batch size {} is not between 1 and 1000", self.batch_size)));
        }
        if self.concurrency == 0 {
            return Err(ImportError::Options("concurrency must be at least 1".into()));
        }
        if self.rate.is_some_and(|r| !r.is_finite() || r < 0.0) {
            return Err(ImportError::Options("the rate must be a positive number of requests per second".into()));
        }
        if self.task_id.trim().is_empty() {
            return Err(ImportError::Options("no task ID".into()));
        }
        if self.resend_uncertain && !self.resume {
            return Err(ImportError::Options("resending uncertain batches needs resume".into()));
        }
        Ok(())
    }
}

/// Counters for progress displays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Rows read so far.
    pub rows: u64,
    /// Records imported.
    pub imported: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Records whose outcome is unknown.
    pub uncertain: u64,
    /// Batches settled (imported, uncertain or rejected).
    pub batches: u64,
}

/// Imports the rows of `rows` (an iterator, read on a blocking thread). `progress` is called as batches
/// settle.
pub async fn import_rows<I>(
    client: &Client,
    options: &ImportOptions,
    rows: I,
    progress: impl FnMut(&Progress) + Send,
) -> Result<Summary, ImportError>
where
    I: Iterator<Item = Row> + Send + 'static,
{
    import_with(client, options, progress, move |batcher, send| {
        for row in rows {
            batcher.push(row.line, row.record.as_ref().map_err(String::clone));
            if !hand_over(batcher, send) {
                return;
            }
        }
    })
    .await
}

/// Imports CSV rows (from [`csv_rows`]); each row's JSON is written straight from its fields.
pub async fn import_csv<R>(
    client: &Client,
    options: &ImportOptions,
    mut rows: CsvRows<R>,
    progress: impl FnMut(&Progress) + Send,
) -> Result<Summary, ImportError>
where
    R: std::io::Read + Send + 'static,
{
    import_with(client, options, progress, move |batcher, send| {
        while rows.next_with(|line, view| batcher.push(line, view.as_ref().map_err(String::clone))).is_some() {
            if !hand_over(batcher, send) {
                return;
            }
        }
    })
    .await
}

/// Runs `read` on a blocking thread, feeding the batcher; the importing side runs here.
async fn import_with(
    client: &Client,
    options: &ImportOptions,
    progress: impl FnMut(&Progress) + Send,
    read: impl FnOnce(&mut Batcher, &mut dyn FnMut(Item) -> bool) + Send + 'static,
) -> Result<Summary, ImportError> {
    options.check()?;
    let (tx, rx) = mpsc::channel(options.concurrency);
    let (mut batcher, spares) = Batcher::with_spares(options.batch_size, options.scratch_dir());
    let reader = tokio::task::spawn_blocking(move || {
        let mut send = |item| tx.blocking_send(item).is_ok();
        read(&mut batcher, &mut send);
        batcher.finish();
        hand_over(&mut batcher, &mut send);
    });
    let result = run(client, options, rx, spares, progress).await;
    let _ = reader.await;
    result
}

/// Sends what the batcher has ready; false when reading should end: the importing side has stopped
/// listening, or the batcher has stopped.
fn hand_over(batcher: &mut Batcher, send: &mut dyn FnMut(Item) -> bool) -> bool {
    while let Some(item) = batcher.next() {
        if !send(item) {
            return false;
        }
    }
    !batcher.stopped()
}

/// Imports rows arriving on a channel (an async source: fill it from anywhere; close it to finish).
pub async fn import_channel(
    client: &Client,
    options: &ImportOptions,
    rows: mpsc::Receiver<Row>,
    progress: impl FnMut(&Progress) + Send,
) -> Result<Summary, ImportError> {
    options.check()?;
    let (tx, rx) = mpsc::channel(options.concurrency);
    let (batcher, spares) = Batcher::with_spares(options.batch_size, options.scratch_dir());
    let reader = tokio::spawn(read_channel(batcher, rows, tx));
    let result = run(client, options, rx, spares, progress).await;
    let _ = reader.await;
    result
}

/// Feeds `rows` to the batcher and what it makes to `items`, until the rows end, the importing side stops
/// listening, or the batcher stops; then `rows` is dropped, so the source sees that nothing more is taken.
async fn read_channel(mut batcher: Batcher, mut rows: mpsc::Receiver<Row>, items: mpsc::Sender<Item>) {
    loop {
        let row = rows.recv().await;
        match &row {
            Some(row) => batcher.push(row.line, row.record.as_ref().map_err(String::clone)),
            None => batcher.finish(),
        }
        while let Some(item) = batcher.next() {
            if items.send(item).await.is_err() {
                return;
            }
        }
        if row.is_none() || batcher.stopped() {
            return;
        }
    }
}

/// How one batch's request ended.
enum Sent {
    Imported(Option<i64>),
    Uncertain(String),
    Rejected(String),
    /// Refused without acting, for a reason that stops the run.
    Stop(String),
}

/// Codes that mean the credentials are wrong: no batch can succeed until they are fixed.
const CREDENTIAL_CODES: &[&str] = &[
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId",
    "InvalidAccessKeyId.Inactive",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingSecurityToken",
    "InvalidSecurityToken.Expired",
    "InvalidSecurityToken.Malformed",
    "InvalidSecurityToken.MismatchWithAccessKey",
    "Forbidden.RAM",
    "Forbidden",
];

fn classify(
    result: Result<acsgen::aiccs::ImportTaskNumberDatasResponse, Error>,
    task_id: &str,
) -> Result<Sent, String> {
    let error = match result {
        Ok(answer) => return Ok(Sent::Imported(answer.data)),
        Err(e) => e,
    };
    match &error {
        Error::Service(e) if e.refused_without_acting() => {
            if e.is_clock_skew() {
                return Ok(Sent::Stop(format!("{error}")));
            }
            Err(error.to_string())
        }
        Error::Connect { .. } => Err(error.to_string()),
        Error::Service(e) if CREDENTIAL_CODES.contains(&e.code()) || e.code().starts_with("Forbidden") => {
            Ok(Sent::Stop(format!(
                "the credentials were refused: {error}. Check which access key is in use (ALIBABA_CLOUD_ACCESS_KEY_ID, the CLI profile or the credentials file), then run again with --resume"
            )))
        }
        Error::Service(e) if e.code() == "TaskNotExist" => Ok(Sent::Stop(format!(
            "task {task_id} does not exist ({error}): check the task ID (create one with CreateAiCallTask)"
        ))),
        Error::Service(e) if e.status() >= 500 => Ok(Sent::Uncertain(error.to_string())),
        Error::Service(_) | Error::Validation { .. } | Error::Encode { .. } => Ok(Sent::Rejected(error.to_string())),
        Error::Credentials(_) | Error::Endpoint(_) | Error::Config(_) => {
            Ok(Sent::Stop(format!("{error}; fix it, then run again with --resume")))
        }
        _ => Ok(Sent::Uncertain(error.to_string())),
    }
}

/// Sends one batch through the runtime's pipeline — the operation's own request, with the batch's wire
/// form as its form body — with signing, retries and time limits; throttling and unreachability (nothing
/// acted on) get `rounds` more tries after the client's own retries. The batch's buffer then goes back to
/// `spares`, for reuse, if the HTTP stack has let go of it.
async fn send(client: &Client, task_id: &str, encoded: Vec<u8>, rounds: u32, spares: &Spares) -> Sent {
    let request = ImportTaskNumberDatasRequest::new(task_id, DataType::Json);
    let body = bytes::Bytes::from(encoded);
    let service = client.service_client();
    let mut round = 0;
    let sent = loop {
        let result = service.send_with_form(&request, EncodedForm::new(body.clone())).await;
        match classify(result, task_id) {
            Ok(sent) => break sent,
            Err(reason) if round >= rounds => {
                break Sent::Stop(format!(
                    "the service kept refusing without acting after {} rounds of retries ({reason}); try again later with --resume",
                    rounds + 1
                ));
            }
            Err(_) => {
                round += 1;
                tokio::time::sleep(Duration::from_secs(u64::from(round))).await;
            }
        }
    };
    spares.give_body(body);
    sent
}

/// The journal to write, and what an earlier run recorded.
fn open_journal(options: &ImportOptions) -> Result<(Journal, HashMap<u64, JournalBatch>), ImportError> {
    let path = &options.journal;
    if options.resume {
        if !path.exists() {
            return Err(ImportError::Journal(format!(
                "there is no journal at {} to resume; run without --resume to start an import",
                path.display()
            )));
        }
        let recovered = journal::read(path)?;
        if recovered.task_id != options.task_id || recovered.batch_size != options.batch_size {
            return Err(ImportError::Journal(format!(
                "{} records task {} with batches of {}; resume with the same task and batch size",
                path.display(),
                recovered.task_id,
                recovered.batch_size
            )));
        }
        return Ok((Journal::append(path, recovered.end)?, recovered.batches));
    }
    if path.exists() {
        let earlier = journal::read(path).ok();
        match earlier {
            Some(r) if r.task_id == options.task_id => {
                return Err(ImportError::Journal(format!(
                    "{} records an earlier import into task {}: run with --resume to continue it, or remove the file to start over",
                    path.display(),
                    options.task_id
                )));
            }
            // A journal of another task is kept beside the new one.
            _ => {
                let kept = path.with_extension("journal.old");
                std::fs::rename(path, &kept).map_err(|e| ImportError::Journal(format!("{}: {e}", path.display())))?;
            }
        }
    }
    Ok((Journal::create(path, &options.task_id, &options.input_label, options.batch_size)?, HashMap::new()))
}

/// The importing side: takes items, sends batches, settles outcomes, writes the report.
async fn run(
    client: &Client,
    options: &ImportOptions,
    mut items: mpsc::Receiver<Item>,
    spares: Spares,
    mut progress: impl FnMut(&Progress) + Send,
) -> Result<Summary, ImportError> {
    let (journal, recovered) =
        if options.dry_run { (None, HashMap::new()) } else { open_journal(options).map(|(j, r)| (Some(j), r))? };
    let journal = journal.map(|j| Arc::new(Mutex::new(j)));
    let mut spool = Spool::create(&options.report.with_extension("rejected.partial"))?;
    let pace = Arc::new(Pace::new(options.rate));
    let mut summary = Summary { task_id: options.task_id.clone(), dry_run: options.dry_run, ..Summary::default() };
    let mut counters = Progress::default();
    let mut stopped: Option<String> = None;
    let mut in_flight: JoinSet<(u64, Vec<u64>, Sent)> = JoinSet::new();
    let mut reading = true;

    let reject = |spool: &mut Spool,
                  summary: &mut Summary,
                  counters: &mut Progress,
                  row: RejectedRow|
     -> Result<(), ImportError> {
        spool.push(&row)?;
        summary.rejected_count += 1;
        counters.rejected += 1;
        if summary.rejected_sample.len() < 100 {
            summary.rejected_sample.push(row);
        }
        Ok(())
    };

    // Answers are journaled by their tasks without a flush of their own; the flush comes from the next
    // batch's journal entry when one goes out straight away, or else from the last branch below, before
    // the loop waits for anything. Either way it comes before any other send.
    let mut answers_unsynced = false;
    let sync_answers = |journal: &Option<Arc<Mutex<Journal>>>| -> Result<(), String> {
        match journal {
            Some(journal) => journal.lock().unwrap_or_else(|e| e.into_inner()).sync().map_err(|e| {
                format!("{e}: the outcome of the last batches could not be recorded (see the report); resume to finish")
            }),
            None => Ok(()),
        }
    };

    while reading || !in_flight.is_empty() || answers_unsynced {
        tokio::select! {
            biased;
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                let (seq, lines, sent) = done.map_err(|e| ImportError::Journal(format!("a send task failed: {e}")))?;
                let (first_line, last_line, records) = (lines[0], lines[lines.len() - 1], lines.len());
                counters.batches += 1;
                match sent {
                    Sent::Imported(batch_id) => {
                        summary.imported += records as u64;
                        counters.imported += records as u64;
                        summary.batches.push(BatchReport { batch_id, first_line, last_line, records });
                    }
                    Sent::Uncertain(error) => {
                        summary.uncertain_count += records as u64;
                        counters.uncertain += records as u64;
                        summary.uncertain.push(UncertainReport { first_line, last_line, records, error });
                    }
                    Sent::Rejected(error) => {
                        for line in lines {
                            let reason = format!("the service refused its batch (lines {first_line}–{last_line}): {error}");
                            reject(&mut spool, &mut summary, &mut counters, RejectedRow { line, reason })?;
                        }
                    }
                    Sent::Stop(message) => {
                        counters.batches -= 1;
                        stopped.get_or_insert(message);
                    }
                }
                let _ = seq;
                answers_unsynced = true;
                progress(&counters);
            }
            item = items.recv(), if reading && stopped.is_none() && in_flight.len() < options.concurrency => {
                let Some(item) = item else {
                    reading = false;
                    continue;
                };
                let batch = match item {
                    Item::Rejected(row) => {
                        counters.rows += 1;
                        reject(&mut spool, &mut summary, &mut counters, row)?;
                        continue;
                    }
                    Item::Batch(batch) => batch,
                    Item::Stop(message) => {
                        stopped = Some(format!("{message}; free some space (or fix the directory), then run again with --resume"));
                        continue;
                    }
                };
                counters.rows += batch.lines.len() as u64;
                let (first_line, last_line, records) = (batch.first_line(), batch.last_line(), batch.lines.len());
                if let Some(earlier) = recovered.get(&batch.seq) {
                    if (earlier.first_line, earlier.last_line, earlier.records) != (first_line, last_line, records) {
                        stopped = Some(format!(
                            "the input changed since the journal was written: batch {} covered lines {}–{} ({} records), now {first_line}–{last_line} ({records}); resume with the same input",
                            batch.seq, earlier.first_line, earlier.last_line, earlier.records
                        ));
                        continue;
                    }
                    let resend = match &earlier.state {
                        BatchState::Imported(batch_id) => {
                            summary.imported += records as u64;
                            counters.imported += records as u64;
                            counters.batches += 1;
                            summary.batches.push(BatchReport { batch_id: *batch_id, first_line, last_line, records });
                            false
                        }
                        BatchState::Uncertain(_) | BatchState::InFlight if options.resend_uncertain => true,
                        BatchState::Uncertain(error) => {
                            summary.uncertain_count += records as u64;
                            counters.uncertain += records as u64;
                            counters.batches += 1;
                            summary.uncertain.push(UncertainReport { first_line, last_line, records, error: error.clone() });
                            false
                        }
                        BatchState::InFlight => {
                            let error = "the previous run stopped while this batch was in flight".to_owned();
                            summary.uncertain_count += records as u64;
                            counters.uncertain += records as u64;
                            counters.batches += 1;
                            summary.uncertain.push(UncertainReport { first_line, last_line, records, error });
                            false
                        }
                        BatchState::Rejected(error) => {
                            for line in &batch.lines {
                                let reason = format!("the service refused its batch (lines {first_line}–{last_line}): {error}");
                                reject(&mut spool, &mut summary, &mut counters, RejectedRow { line: *line, reason })?;
                            }
                            false
                        }
                        BatchState::NotSent => true,
                    };
                    if !resend {
                        spares.give(batch.encoded);
                        progress(&counters);
                        continue;
                    }
                }
                if options.dry_run {
                    summary.would_import += records as u64;
                    spares.give(batch.encoded);
                    continue;
                }
                let Some(journal) = journal.clone() else { continue };
                let sending = json!({"event": "sending", "seq": batch.seq, "first_line": first_line, "last_line": last_line, "records": records});
                // When answers wait for their flush and a send may start now, this batch's entry is
                // written here and one flush covers both.
                let journaled = answers_unsynced && pace.try_now();
                if journaled {
                    if let Err(e) = journal.lock().unwrap_or_else(|e| e.into_inner()).write(&sending, true) {
                        stopped = Some(format!("{e}: stopped before sending, to keep the journal complete"));
                        continue;
                    }
                    answers_unsynced = false;
                }
                let (client, pace, task_id, rounds) = (client.clone(), pace.clone(), options.task_id.clone(), options.safe_retry_rounds);
                let spares = spares.clone();
                in_flight.spawn(async move {
                    let Batch { seq, lines, encoded } = batch;
                    if !journaled {
                        pace.wait().await;
                        if let Err(e) = journal.lock().unwrap_or_else(|e| e.into_inner()).write(&sending, true) {
                            return (seq, lines, Sent::Stop(format!("{e}: stopped before sending, to keep the journal complete")));
                        }
                    }
                    let sent = send(&client, &task_id, encoded, rounds, &spares).await;
                    let event = match &sent {
                        Sent::Imported(batch_id) => json!({"event": "imported", "seq": seq, "batch_id": batch_id}),
                        Sent::Uncertain(error) => json!({"event": "uncertain", "seq": seq, "error": error}),
                        Sent::Rejected(error) => json!({"event": "rejected", "seq": seq, "error": error}),
                        Sent::Stop(error) => json!({"event": "not_sent", "seq": seq, "error": error}),
                    };
                    // Flushed by the importing loop (see `answers_unsynced`).
                    if let Err(e) = journal.lock().unwrap_or_else(|e| e.into_inner()).write(&event, false) {
                        return (seq, lines, Sent::Stop(format!("{e}: the batch's outcome could not be recorded")));
                    }
                    (seq, lines, sent)
                });
            }
            () = std::future::ready(()), if answers_unsynced => {
                answers_unsynced = false;
                if let Err(message) = sync_answers(&journal) {
                    stopped.get_or_insert(message);
                }
            }
            else => break,
        }
        if stopped.is_some() {
            reading = false;
        }
    }
    drop(items);
    summary.batches.sort_by_key(|b| b.first_line);
    summary.uncertain.sort_by_key(|u| u.first_line);
    report::write(&options.report, &summary, spool)?;
    progress(&counters);
    match stopped {
        Some(message) => Err(ImportError::Stopped { message, summary: Box::new(summary) }),
        None => Ok(summary),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use acsgen::aiccs::CalleeRecord;

    /// Rows with unique outIds, one per line from line 2 on, without end.
    fn unique_rows() -> impl Iterator<Item = Row> {
        (2u64..).map(|line| Row { line, record: Ok(CalleeRecord::new("1").out_id(line.to_string())) })
    }

    /// Past the outId table's capacity the check needs its scratch file; here it cannot have one.
    fn failing_batcher() -> Batcher {
        Batcher::new(MAX_BATCH, PathBuf::from("/nonexistent/acsgen-scratch"))
    }

    #[test]
    fn a_stop_ends_reading_from_an_iterator() {
        let mut batcher = failing_batcher();
        let mut items = Vec::new();
        let mut send = |item| {
            items.push(item);
            true
        };
        let mut read = 0;
        for row in unique_rows() {
            read += 1;
            assert!(read < 2 * dedup::RECENT, "still reading after the stop");
            batcher.push(row.line, row.record.as_ref().map_err(String::clone));
            if !hand_over(&mut batcher, &mut send) {
                break;
            }
        }
        assert!(matches!(items.last(), Some(Item::Stop(m)) if m.contains("/nonexistent/acsgen-scratch")));
    }

    #[tokio::test]
    async fn a_stop_ends_reading_from_a_channel_and_the_source_is_told() {
        let (rows_tx, rows) = mpsc::channel(16);
        let (items_tx, mut items) = mpsc::channel(4);
        // A source that never ends by itself: it stops when its rows are no longer taken.
        let source = tokio::spawn(async move {
            let mut sent = 0;
            for row in unique_rows() {
                if rows_tx.send(row).await.is_err() {
                    break;
                }
                sent += 1;
                assert!(sent < 2 * dedup::RECENT, "still taking rows after the stop");
            }
        });
        let reader = tokio::spawn(read_channel(failing_batcher(), rows, items_tx));
        let mut last = None;
        while let Some(item) = items.recv().await {
            last = Some(item);
        }
        assert!(matches!(last, Some(Item::Stop(_))), "the stop is the last item");
        reader.await.unwrap();
        source.await.unwrap();
    }

    #[test]
    fn limits_agree_with_the_generated_validation() {
        use acsgen::validate::Validator;
        let mut request = ImportTaskNumberDatasRequest::new("t", DataType::Json);
        request.phone_number_list = Some(vec![CalleeRecord::new("1").out_id("x".repeat(MAX_OUT_ID)); MAX_BATCH]);
        assert!(Validator::check(&request).is_ok());
        request.phone_number_list =
            Some(vec![CalleeRecord::new("1").out_id("x".repeat(MAX_OUT_ID + 1)); MAX_BATCH + 1]);
        let errors = Validator::check(&request).unwrap_err().to_string();
        assert!(
            errors.contains("1001 items, at most 1000") && errors.contains("129 characters, at most 128"),
            "{errors}"
        );
    }

    #[test]
    fn options_are_checked() {
        let mut o = ImportOptions::new("t", "r.json");
        assert_eq!(o.journal, PathBuf::from("r.journal"));
        assert!(o.check().is_ok());
        o.batch_size = 1001;
        assert!(o.check().unwrap_err().to_string().contains("between 1 and 1000"));
        o.batch_size = 10;
        o.resend_uncertain = true;
        assert!(o.check().is_err());
    }
}
