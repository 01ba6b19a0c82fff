//! The accounting of an import: every row read ends in exactly one place — imported (in a batch whose ID
//! the summary gives), rejected (its line and the reason) or uncertain — counted once, whether its batch
//! was answered in this run or settled by an earlier one's journal.

use std::path::Path;

use crate::ImportError;
use crate::report::{self, BatchReport, DoubleReport, ReconcileReport, RejectedRow, Spool, Summary, UncertainReport};

/// How many rejected rows the summary carries (the report has them all).
const SAMPLE: usize = 100;

/// How a batch ended, answered now or recorded by an earlier run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Imported, with the batch ID the service gave.
    Imported(Option<i64>),
    /// Sent, and no answer came back (or a server error): it may or may not have been imported.
    Uncertain(String),
    /// The service refused the batch's records.
    Rejected(String),
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

/// The summary being built, the progress counters, and the rejected rows on their way to the report.
pub(crate) struct Tally {
    summary: Summary,
    progress: Progress,
    spool: Spool,
}

impl Tally {
    /// An empty tally for an import into `task_id`, spooling rejected rows beside `report`.
    pub(crate) fn new(task_id: &str, dry_run: bool, report: &Path) -> Result<Self, ImportError> {
        let summary = Summary { task_id: task_id.to_owned(), dry_run, ..Summary::default() };
        let spool = Spool::create(&report.with_extension("rejected.partial"))?;
        Ok(Self { summary, progress: Progress::default(), spool })
    }

    /// Removes what was spooled: the run ends before it starts.
    pub(crate) fn discard(&self) {
        self.spool.discard();
    }

    /// The counters so far.
    pub(crate) fn progress(&self) -> &Progress {
        &self.progress
    }

    /// `rows` more rows were read (their fate is counted when it is known).
    pub(crate) fn read(&mut self, rows: usize) {
        self.progress.rows += rows as u64;
    }

    /// A row is rejected.
    pub(crate) fn reject(&mut self, row: RejectedRow) -> Result<(), ImportError> {
        self.spool.push(&row)?;
        self.summary.rejected_count += 1;
        self.progress.rejected += 1;
        if self.summary.rejected_sample.len() < SAMPLE {
            self.summary.rejected_sample.push(row);
        }
        Ok(())
    }

    /// The batch of the rows on `lines` ended with `outcome`.
    pub(crate) fn settle(&mut self, lines: &[u64], outcome: Outcome) -> Result<(), ImportError> {
        let (Some(&first_line), Some(&last_line)) = (lines.first(), lines.last()) else { return Ok(()) };
        let records = lines.len();
        self.progress.batches += 1;
        match outcome {
            Outcome::Imported(batch_id) => {
                self.summary.imported += records as u64;
                self.progress.imported += records as u64;
                self.summary.batches.push(BatchReport { batch_id, first_line, last_line, records });
            }
            Outcome::Uncertain(error) => {
                self.summary.uncertain_count += records as u64;
                self.progress.uncertain += records as u64;
                self.summary.uncertain.push(UncertainReport { first_line, last_line, records, error });
            }
            Outcome::Rejected(error) => {
                let reason = format!("the service refused its batch (lines {first_line}–{last_line}): {error}");
                for &line in lines {
                    self.reject(RejectedRow { line, reason: reason.clone() })?;
                }
            }
        }
        Ok(())
    }

    /// An uncertain batch was settled from the service's records, as `report` says.
    pub(crate) fn reconciled(&mut self, report: ReconcileReport) {
        self.summary.unsettled_count += report.unsettled as u64;
        self.summary.reconciled.push(report);
    }

    /// The task holds these outIds more than once.
    pub(crate) fn doubles(&mut self, doubles: Vec<DoubleReport>) {
        self.summary.doubles = doubles;
    }

    /// A dry run would have sent `records` more records.
    pub(crate) fn would_import(&mut self, records: usize) {
        self.summary.would_import += records as u64;
    }

    /// Writes the report to `path` and gives the summary.
    pub(crate) fn finish(mut self, path: &Path) -> Result<Summary, ImportError> {
        self.summary.batches.sort_by_key(|b| b.first_line);
        self.summary.uncertain.sort_by_key(|u| u.first_line);
        self.summary.reconciled.sort_by_key(|r| r.first_line);
        report::write(path, &self.summary, self.spool)?;
        Ok(self.summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_counted_once_in_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("r.json");
        let mut tally = Tally::new("T", false, &report).unwrap();
        tally.read(9);
        tally.settle(&[5, 6, 8], Outcome::Uncertain("no answer".into())).unwrap();
        tally.reject(RejectedRow { line: 7, reason: "missing calleeNumber".into() }).unwrap();
        tally.settle(&[2, 3], Outcome::Imported(Some(11))).unwrap();
        tally.settle(&[9, 10, 11], Outcome::Rejected("InvalidParameter".into())).unwrap();
        let progress = *tally.progress();
        assert_eq!(progress, Progress { rows: 9, imported: 2, rejected: 4, uncertain: 3, batches: 3 });
        let summary = tally.finish(&report).unwrap();
        assert_eq!((summary.imported, summary.rejected_count, summary.uncertain_count), (2, 4, 3));
        assert_eq!(summary.batches, [BatchReport { batch_id: Some(11), first_line: 2, last_line: 3, records: 2 }]);
        assert_eq!(summary.uncertain[0].first_line, 5);
        let lines: Vec<u64> = summary.rejected_sample.iter().map(|r| r.line).collect();
        assert_eq!(lines, [7, 9, 10, 11]);
        assert!(summary.rejected_sample[1].reason.starts_with("the service refused its batch (lines 9–11)"));
        let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(written["rejected"].as_array().unwrap().len(), 4);
    }
}
