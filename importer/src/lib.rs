//! # acsgen-import
//!
//! Streams callee rows into an aiccs AI outbound-call task (`ImportTaskNumberDatas`, up to 1,000 records a
//! request) with every row accounted for — *imported*, in a batch whose ID the summary and the report give;
//! *rejected*, with its line and the reason; or *uncertain*: sent, and no answer came back — and a journal
//! that makes any interruption resumable without importing anything twice. The `acsgen-import` command is
//! a thin layer over this library (feature `cli`, on by default).
//!
//! ```no_run
//! use acsgen_import::{ImportOptions, csv_rows, import_csv};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = acsgen::aiccs::Client::new(&acsgen::Config::from_env()?);
//! let mut options = ImportOptions::new("119181071278", "import-report.json");
//! options.rate = Some(10.0);
//! let rows = csv_rows(std::io::BufReader::new(std::fs::File::open("crm-export.csv")?))?;
//! let summary = import_csv(&client, &options, rows, |progress| eprintln!("{progress:?}")).await?;
//! println!("{} imported, {} rejected", summary.imported, summary.rejected_count);
//! # Ok(()) }
//! ```
//!
//! [`import_rows`] takes any iterator of [`Row`]s (records you build) or of `Result<Row, ReadError>`
//! (from [`jsonl_rows`], [`csv_rows`] or a source of yours that can fail), and [`import_channel`] an async
//! stream. Input that cannot be read on stops the import ([`Stop::InputUnreadable`]): the batches read
//! whole are sent, the one it interrupted is not, and a resumed import finishes the job.
//!
//! **How.** Rows are read and checked on a blocking thread (calleeNumber present, outId at most 128
//! characters and not repeated in the input) and grouped into batches; at most `concurrency` batches wait
//! and at most `concurrency` are in flight, so memory is bounded by batch size × concurrency, plus the
//! repeat check's at most about 6 MiB (past some 230,000 distinct outIds it moves older fingerprints to a
//! scratch file beside the report). Each batch is journaled (on disk) before it is sent and after its
//! answer. Retries follow the runtime's rules: throttling and connection failures are resent (and, when
//! the client's own retries run out, in a few more rounds); a batch that may have reached the service — a
//! timeout, a dropped connection, a server error — is never resent blindly. It is reported uncertain, and
//! only [`ImportOptions::resend_uncertain`] sends it again.

mod batch;
#[cfg(feature = "cli")]
pub mod cli;
mod dedup;
mod error;
mod journal;
mod options;
mod pace;
mod reconcile;
mod report;
mod run;
mod send;
mod source;
mod tally;
mod wire;

use acsgen::aiccs::Client;
use tokio::sync::mpsc;

pub use error::{BatchRows, ImportError, Stop};
pub use options::{DEFAULT_BATCH_BYTES, ImportOptions};
pub use report::{BatchReport, DoubleReport, ReconcileReport, RejectedRow, Summary, UncertainReport};
pub use source::{CsvRows, IntoRow, JsonlRows, MAX_HEADER_BYTES, MAX_ROW_BYTES, ReadError, Row, csv_rows, jsonl_rows};
pub use tally::Progress;

use batch::{Batcher, Item};

/// Records one request may carry (`PhoneNumberList` `maxItems` in the spec).
pub const MAX_BATCH: usize = 1000;
/// Characters an `outId` may have (`outId` `maxLength` in the spec).
pub const MAX_OUT_ID: usize = 128;

/// Imports the rows of `rows` (an iterator, read on a blocking thread): [`Row`]s, or results of a source
/// that can fail, whose [`ReadError`] stops the import. `progress` is called as batches settle.
pub async fn import_rows<I>(
    client: &Client,
    options: &ImportOptions,
    rows: I,
    progress: impl FnMut(&Progress) + Send,
) -> Result<Summary, ImportError>
where
    I: IntoIterator + Send + 'static,
    I::Item: IntoRow,
{
    import_with(client, options, progress, move |batcher, send| {
        for item in rows {
            match item.into_row() {
                Ok(row) => batcher.push(row.line, row.record.as_ref().map_err(String::clone)),
                Err(error) => batcher.fail(error),
            }
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
        while let Some(read) = rows.next_with(|line, view| batcher.push(line, view.as_ref().map_err(String::clone))) {
            if let Err(error) = read {
                batcher.fail(error);
            }
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
    let (mut batcher, spares) = Batcher::with_spares(options.limits(), options.scratch_dir());
    let reader = tokio::task::spawn_blocking(move || {
        let mut send = |item| tx.blocking_send(item).is_ok();
        read(&mut batcher, &mut send);
        batcher.finish();
        hand_over(&mut batcher, &mut send);
    });
    let result = run::run(client, options, rx, spares, progress).await;
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

/// Imports rows arriving on a channel (an async source: fill it from anywhere; close it to finish):
/// [`Row`]s, or results of a source that can fail, whose [`ReadError`] stops the import.
pub async fn import_channel<T: IntoRow + Send + 'static>(
    client: &Client,
    options: &ImportOptions,
    rows: mpsc::Receiver<T>,
    progress: impl FnMut(&Progress) + Send,
) -> Result<Summary, ImportError> {
    options.check()?;
    let (tx, rx) = mpsc::channel(options.concurrency);
    let (batcher, spares) = Batcher::with_spares(options.limits(), options.scratch_dir());
    let reader = tokio::spawn(read_channel(batcher, rows, tx));
    let result = run::run(client, options, rx, spares, progress).await;
    let _ = reader.await;
    result
}

/// Feeds `rows` to the batcher and what it makes to `items`, until the rows end, the importing side stops
/// listening, or the batcher stops; then `rows` is dropped, so the source sees that nothing more is taken.
async fn read_channel<T: IntoRow>(mut batcher: Batcher, mut rows: mpsc::Receiver<T>, items: mpsc::Sender<Item>) {
    loop {
        let received = rows.recv().await;
        let ended = received.is_none();
        match received.map(IntoRow::into_row) {
            Some(Ok(row)) => batcher.push(row.line, row.record.as_ref().map_err(String::clone)),
            Some(Err(error)) => batcher.fail(error),
            None => batcher.finish(),
        }
        while let Some(item) = batcher.next() {
            if items.send(item).await.is_err() {
                return;
            }
        }
        if ended || batcher.stopped() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use acsgen::aiccs::{CalleeRecord, DataType, ImportTaskNumberDatasRequest};
    use std::path::PathBuf;

    /// Rows with unique outIds, one per line from line 2 on, without end.
    fn unique_rows() -> impl Iterator<Item = Row> {
        (2u64..).map(|line| Row { line, record: Ok(CalleeRecord::new("1").out_id(line.to_string())) })
    }

    /// Past the outId table's capacity the check needs its scratch file; here it cannot have one.
    fn failing_batcher() -> Batcher {
        Batcher::new(ImportOptions::new("t", "r.json").limits(), PathBuf::from("/nonexistent/acsgen-scratch"))
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
        assert!(matches!(items.last(), Some(Item::Stop(m)) if m.to_string().contains("/nonexistent/acsgen-scratch")));
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

    /// A source on a channel can say it failed: the import stops there, and the source is told.
    #[tokio::test]
    async fn a_read_error_on_a_channel_stops_the_import() {
        let (rows_tx, rows) = mpsc::channel(4);
        let (items_tx, mut items) = mpsc::channel(4);
        let batcher = Batcher::new(ImportOptions::new("t", "r.json").limits(), std::env::temp_dir());
        let reader = tokio::spawn(read_channel(batcher, rows, items_tx));
        let row = Row { line: 2, record: Ok(CalleeRecord::new("1")) };
        rows_tx.send(Ok(row)).await.unwrap();
        rows_tx.send(Err(ReadError { line: 3, error: std::io::Error::other("device gone") })).await.unwrap();
        let item = items.recv().await;
        assert!(matches!(&item, Some(Item::Stop(Stop::InputUnreadable { unsent_from: 2, .. }))), "not the stop");
        assert!(items.recv().await.is_none());
        reader.await.unwrap();
        assert!(rows_tx.is_closed(), "the source is told nothing more is taken");
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
}
