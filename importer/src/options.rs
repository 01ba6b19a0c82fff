//! How to run an import: the options and their checks.

use std::path::PathBuf;

use crate::{ImportError, MAX_BATCH};

/// How many bytes a batch's request body has at most unless told otherwise: 4 MiB, far above what 1,000
/// ordinary records take (about 160 KB), so that the record count decides; only long rows (many or long
/// call variables) meet it.
pub const DEFAULT_BATCH_BYTES: usize = 4 << 20;

/// How to run an import. Made by [`ImportOptions::new`], then adjusted field by field.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ImportOptions {
    /// The call task to import into.
    pub task_id: String,
    /// Records per request, 1–1,000.
    pub batch_size: usize,
    /// Bytes a request's body may have at most (at least 4,096): a batch is sent before the next row
    /// would take it over, and a row too big for a batch alone is rejected.
    pub max_batch_bytes: usize,
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
    /// With `resume`: settle the batches whose outcome is unknown from the service's records — each row
    /// looked up by outId among the task's call details, found ones counted imported, absent ones sent
    /// again — and report the outIds the task holds more than once.
    pub reconcile: bool,
    /// With `reconcile`: cancel the extra call details of each outId the task holds more than once,
    /// keeping the earliest import.
    pub cancel_duplicates: bool,
    /// Set aside a journal of the same task (or one that cannot be read) and import every row again: rows
    /// the earlier run imported are imported twice. Without it, such a journal stops the run.
    pub start_over: bool,
    /// How the input is named in the journal.
    pub input_label: String,
    /// Extra rounds for a batch the service refused without acting (throttling, unavailable, unreachable)
    /// once the client's own retries are used up.
    pub safe_retry_rounds: u32,
}

impl ImportOptions {
    /// Defaults: batches of 1,000 records and at most [`DEFAULT_BATCH_BYTES`], 4 in flight, 20 requests a
    /// second, the journal beside the report.
    pub fn new(task_id: impl Into<String>, report: impl Into<PathBuf>) -> Self {
        let report = report.into();
        Self {
            task_id: task_id.into(),
            batch_size: MAX_BATCH,
            max_batch_bytes: DEFAULT_BATCH_BYTES,
            concurrency: 4,
            rate: Some(20.0),
            dry_run: false,
            journal: report.with_extension("journal"),
            report,
            resume: false,
            resend_uncertain: false,
            reconcile: false,
            cancel_duplicates: false,
            start_over: false,
            input_label: String::new(),
            safe_retry_rounds: 5,
        }
    }

    /// Where the outId check keeps what does not fit its fixed memory: the report's directory.
    pub(crate) fn scratch_dir(&self) -> PathBuf {
        match self.report.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        }
    }

    /// How big a batch may be.
    pub(crate) fn limits(&self) -> crate::batch::Limits {
        crate::batch::Limits { records: self.batch_size, bytes: self.max_batch_bytes }
    }

    pub(crate) fn check(&self) -> Result<(), ImportError> {
        if !(1..=MAX_BATCH).contains(&self.batch_size) {
            return Err(ImportError::Options(format!("batch size {} is not between 1 and 1000", self.batch_size)));
        }
        if self.max_batch_bytes < 4096 {
            return Err(ImportError::Options(format!(
                "a batch's byte limit of {} is below 4096 bytes",
                self.max_batch_bytes
            )));
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
        if self.reconcile && !self.resume {
            return Err(ImportError::Options("reconciling needs resume".into()));
        }
        if self.reconcile && self.resend_uncertain {
            return Err(ImportError::Options(
                "reconciling and resending uncertain batches blindly exclude each other".into(),
            ));
        }
        if self.reconcile && self.dry_run {
            return Err(ImportError::Options("a dry run sends nothing, and reconciling may resend and cancel".into()));
        }
        if self.cancel_duplicates && !self.reconcile {
            return Err(ImportError::Options("cancelling duplicates needs reconcile".into()));
        }
        if self.start_over && self.resume {
            return Err(ImportError::Options("resuming and starting over exclude each other".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut o = ImportOptions::new("t", "r.json");
        o.reconcile = true;
        assert!(o.check().unwrap_err().to_string().contains("reconciling needs resume"));
        o.resume = true;
        assert!(o.check().is_ok());
        o.resend_uncertain = true;
        assert!(o.check().unwrap_err().to_string().contains("exclude each other"));
        o.resend_uncertain = false;
        o.dry_run = true;
        assert!(o.check().unwrap_err().to_string().contains("a dry run sends nothing"));
        o.dry_run = false;
        o.reconcile = false;
        o.cancel_duplicates = true;
        assert!(o.check().unwrap_err().to_string().contains("cancelling duplicates needs reconcile"));
    }
}
