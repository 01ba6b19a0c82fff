//! The import report: what became of every input row, as a stable JSON document.
//!
//! ```text
//! {"task_id": "…", "imported": N, "rejected_count": N, "uncertain_count": N,
//!  "batches": [{"batch_id": 123456789012345678, "first_line": 2, "last_line": 1001, "records": 1000}],
//!  "rejected": [{"line": 17, "reason": "…"}],
//!  "uncertain": [{"first_line": …, "last_line": …, "records": …, "error": "…"}]}
//! ```
//!
//! A `reconcile` run that settled a batch or found doubles adds, before the closing brace:
//!
//! ```text
//!  "unsettled_count": N,
//!  "reconciled": [{"first_line": …, "last_line": …, "records": …, "found": …, "resent": …, "unsettled": …,
//!                  "batch_ids": [123456789012345678], "differs": [{"line": …, "differs": "…"}]}],
//!  "doubles": [{"out_id": "…", "kept_detail_id": "…", "extra_detail_ids": ["…"], "cancelled": false}]
//! ```
//!
//! Batch IDs are exact JSON integers. Rejected rows are spooled to a file while the import runs and
//! streamed into the report at the end, so a file with millions of bad rows needs no memory for them.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::ImportError;

/// An imported batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchReport {
    /// The import batch ID the service returned.
    pub batch_id: Option<i64>,
    /// The first input line of the batch's records.
    pub first_line: u64,
    /// The line the batch's last record starts on.
    pub last_line: u64,
    /// Records in the batch.
    pub records: usize,
}

/// A batch whose outcome is unknown: sent, and no answer came back (or a server error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncertainReport {
    /// The first input line of the batch's records.
    pub first_line: u64,
    /// The line the batch's last record starts on.
    pub last_line: u64,
    /// Records in the batch.
    pub records: usize,
    /// What happened.
    pub error: String,
}

/// An uncertain batch settled from the service's records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// The first input line of the batch's records.
    pub first_line: u64,
    /// The line the batch's last record starts on.
    pub last_line: u64,
    /// Records in the batch.
    pub records: usize,
    /// Rows whose outId the task holds: imported (unless it holds them differently: see `differs`).
    pub found: usize,
    /// Rows absent from the task: sent again, in this run or an earlier one (their outcome is the resend's).
    pub resent: usize,
    /// Rows without an outId: they stay uncertain.
    pub unsettled: usize,
    /// The import batches the found rows arrived in.
    pub batch_ids: Vec<i64>,
    /// Found rows the task holds differently from the input, left uncertain: (line, what differs).
    pub differs: Vec<(u64, String)>,
}

/// An outId the task holds more than once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoubleReport {
    /// The outId.
    pub out_id: String,
    /// The call detail kept: the earliest import.
    pub kept_detail_id: String,
    /// The others.
    pub extra_detail_ids: Vec<String>,
    /// Whether the others were cancelled (`cancel_duplicates`).
    pub cancelled: bool,
}

/// A row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// Its input line.
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The call task.
    pub task_id: String,
    /// Records imported.
    pub imported: u64,
    /// Rows rejected.
    pub rejected_count: u64,
    /// Records in batches whose outcome is unknown.
    pub uncertain_count: u64,
    /// Imported batches, by input position.
    pub batches: Vec<BatchReport>,
    /// Batches whose outcome is unknown.
    pub uncertain: Vec<UncertainReport>,
    /// The first rejected rows (all of them are in the report file).
    pub rejected_sample: Vec<RejectedRow>,
    /// True for a dry run: nothing was sent.
    pub dry_run: bool,
    /// Valid records a dry run would have sent.
    pub would_import: u64,
    /// Uncertain batches settled from the service's records (`reconcile`).
    pub reconciled: Vec<ReconcileReport>,
    /// Rows that stay uncertain because they have no outId to be looked up by.
    pub unsettled_count: u64,
    /// OutIds the task holds more than once (`reconcile`).
    pub doubles: Vec<DoubleReport>,
}

/// Rejected rows on their way to the report.
#[derive(Debug)]
pub(crate) struct Spool {
    writer: BufWriter<File>,
    path: PathBuf,
}

impl Spool {
    /// A spool file at `path`.
    pub(crate) fn create(path: &Path) -> Result<Self, ImportError> {
        let file = File::create(path).map_err(|source| ImportError::Report { path: path.to_owned(), source })?;
        Ok(Self { writer: BufWriter::new(file), path: path.to_owned() })
    }

    /// Adds a row.
    pub(crate) fn push(&mut self, row: &RejectedRow) -> Result<(), ImportError> {
        let line = json!({"line": row.line, "reason": row.reason});
        writeln!(self.writer, "{line}").map_err(|source| ImportError::Report { path: self.path.clone(), source })
    }

    /// Removes the spool file (nothing in it is wanted).
    pub(crate) fn discard(&self) {
        let _ = std::fs::remove_file(&self.path);
    }

    fn finish(mut self) -> Result<PathBuf, ImportError> {
        match self.writer.flush() {
            Ok(()) => Ok(self.path),
            Err(source) => Err(ImportError::Report { path: self.path, source }),
        }
    }
}

/// Writes the report for `summary` to `path`, taking the rejected rows from `spool` (then removed).
pub(crate) fn write(path: &Path, summary: &Summary, spool: Spool) -> Result<(), ImportError> {
    let spooled = spool.finish()?;
    let fail = |source| ImportError::Report { path: path.to_owned(), source };
    let temporary = path.with_extension("json.partial");
    let mut out = BufWriter::new(File::create(&temporary).map_err(fail)?);
    // Written field by field to keep the documented order (a JSON map would sort the keys).
    writeln!(
        out,
        "{{\"task_id\": {}, \"imported\": {}, \"rejected_count\": {}, \"uncertain_count\": {},",
        serde_json::Value::from(summary.task_id.as_str()),
        summary.imported,
        summary.rejected_count,
        summary.uncertain_count
    )
    .map_err(fail)?;
    if summary.dry_run {
        writeln!(out, "\"dry_run\": true, \"would_import\": {},", summary.would_import).map_err(fail)?;
    }
    out.write_all(b"\"batches\": [").map_err(fail)?;
    for (i, b) in summary.batches.iter().enumerate() {
        let entry =
            json!({"batch_id": b.batch_id, "first_line": b.first_line, "last_line": b.last_line, "records": b.records});
        write!(out, "{}\n  {entry}", if i > 0 { "," } else { "" }).map_err(fail)?;
    }
    out.write_all(b"],\n\"rejected\": [").map_err(fail)?;
    let rejected = File::open(&spooled).map_err(fail)?;
    for (i, line) in BufReader::new(rejected).lines().enumerate() {
        let line = line.map_err(fail)?;
        write!(out, "{}\n  {line}", if i > 0 { "," } else { "" }).map_err(fail)?;
    }
    out.write_all(b"],\n\"uncertain\": [").map_err(fail)?;
    for (i, u) in summary.uncertain.iter().enumerate() {
        let entry =
            json!({"first_line": u.first_line, "last_line": u.last_line, "records": u.records, "error": u.error});
        write!(out, "{}\n  {entry}", if i > 0 { "," } else { "" }).map_err(fail)?;
    }
    out.write_all(b"]").map_err(fail)?;
    if !summary.reconciled.is_empty() || !summary.doubles.is_empty() {
        write_reconciled(&mut out, summary).map_err(fail)?;
    }
    out.write_all(b"}\n").map_err(fail)?;
    out.into_inner().map_err(|e| fail(e.into_error()))?.sync_all().map_err(fail)?;
    std::fs::rename(&temporary, path).map_err(fail)?;
    let _ = std::fs::remove_file(&spooled);
    Ok(())
}

/// The sections `reconcile` adds: each settled batch and how, the rows left unsettled, the doubles.
fn write_reconciled(out: &mut impl Write, summary: &Summary) -> std::io::Result<()> {
    write!(out, ",\n\"unsettled_count\": {},\n\"reconciled\": [", summary.unsettled_count)?;
    for (i, r) in summary.reconciled.iter().enumerate() {
        let differs: Vec<_> = r.differs.iter().map(|(line, what)| json!({"line": line, "differs": what})).collect();
        let entry = json!({"first_line": r.first_line, "last_line": r.last_line, "records": r.records,
                           "found": r.found, "resent": r.resent, "unsettled": r.unsettled,
                           "batch_ids": r.batch_ids, "differs": differs});
        write!(out, "{}\n  {entry}", if i > 0 { "," } else { "" })?;
    }
    out.write_all(b"],\n\"doubles\": [")?;
    for (i, d) in summary.doubles.iter().enumerate() {
        let entry = json!({"out_id": d.out_id, "kept_detail_id": d.kept_detail_id,
                           "extra_detail_ids": d.extra_detail_ids, "cancelled": d.cancelled});
        write!(out, "{}\n  {entry}", if i > 0 { "," } else { "" })?;
    }
    out.write_all(b"]")
}
