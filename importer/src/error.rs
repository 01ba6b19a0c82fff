//! What can stop an import, said as what happened: the command (or any other caller) words the advice.

use std::io;
use std::path::PathBuf;

use crate::{ReadError, Summary};

/// Why an import could not run, or stopped part-way.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The input cannot be used at all: empty, no header, no calleeNumber column, unreadable.
    #[error("input: {0}")]
    Input(String),
    /// The options cannot work together.
    #[error("options: {0}")]
    Options(String),
    /// Resuming was asked for, and there is no journal to resume.
    #[error("journal: there is no journal at {} to resume", path.display())]
    NoJournal {
        /// Where the journal was looked for.
        path: PathBuf,
    },
    /// A journal of an earlier import into the same task is there, and resuming was not asked for.
    #[error("journal: {} records an earlier import into task {task_id}", path.display())]
    EarlierImport {
        /// The journal.
        path: PathBuf,
        /// The task it imported into.
        task_id: String,
    },
    /// The journal to resume records another task, or batches of other limits.
    #[error(
        "journal: {} records task {task_id} with batches of {batch_size} records and at most {max_batch_bytes} bytes",
        path.display()
    )]
    OtherImport {
        /// The journal.
        path: PathBuf,
        /// The task it records.
        task_id: String,
        /// The records a batch held at most.
        batch_size: usize,
        /// The bytes a batch's body had at most.
        max_batch_bytes: usize,
    },
    /// The journal cannot be read or written.
    #[error("journal: {}: {source}", path.display())]
    Journal {
        /// The journal.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// The journal holds something this version cannot read.
    #[error("journal: {}: line {line}: {problem}", path.display())]
    UnreadableJournal {
        /// The journal.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// The report (or its spool of rejected rows) cannot be written.
    #[error("report: {}: {source}", path.display())]
    Report {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// Reconciling could not read the task's call details, or cancel its doubles: nothing was settled.
    #[error("reconcile: {what}: {problem}")]
    Reconcile {
        /// What was being done.
        what: &'static str,
        /// What went wrong: the service's answer, why no answer came, or a listing that did not add up.
        problem: String,
    },
    /// The run stopped part-way. What was done is in the summary and the report; once the cause is
    /// fixed, resuming finishes the import.
    #[error("{reason}")]
    Stopped {
        /// What stopped it.
        reason: Box<Stop>,
        /// What was done before it stopped.
        summary: Box<Summary>,
    },
}

/// What stopped a run part-way. Every batch it had not finished is in the journal as never sent, in
/// flight, or not yet read, so a resumed run picks up where it stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Stop {
    /// The service refused the credentials: no batch can succeed until they are fixed.
    #[error("the credentials were refused: {0}")]
    CredentialsRefused(acsgen::Error),
    /// The call task does not exist.
    #[error("task {task_id} does not exist ({error})")]
    UnknownTask {
        /// The task.
        task_id: String,
        /// The service's answer.
        error: acsgen::Error,
    },
    /// The service refused the requests' timestamps: this machine's clock is likely wrong.
    #[error("{0}")]
    ClockSkew(acsgen::Error),
    /// The client cannot call the service: no credentials, no endpoint, a configuration that cannot work.
    #[error("{0}")]
    Unconfigured(acsgen::Error),
    /// The service went on refusing a batch without acting on it (throttled, unavailable, unreachable)
    /// through every round of retries.
    #[error("the service kept refusing without acting after {rounds} rounds of retries ({last})")]
    KeptRefusing {
        /// Rounds tried, the client's own retries in each.
        rounds: u32,
        /// The last refusal.
        last: acsgen::Error,
    },
    /// The input is not the one the journal records: a batch covers other rows than it did.
    #[error(
        "the input changed since the journal was written: batch {seq} covered lines {}–{} ({} records, rows hash {:016x}), now {}–{} ({} records, rows hash {:016x})",
        journaled.first_line, journaled.last_line, journaled.records, journaled.rows_hash,
        now.first_line, now.last_line, now.records, now.rows_hash
    )]
    InputChanged {
        /// The batch's number, from 0.
        seq: u64,
        /// What the journal recorded.
        journaled: BatchRows,
        /// What the input gives now.
        now: BatchRows,
    },
    /// Resuming, the input ended before a batch the journal records: it is shorter than the input the
    /// journal was written for (or empty), and the rows from that batch on were not read again.
    #[error(
        "the input ended before batch {seq}, which the journal records (lines {}–{}, {} records): it is not the whole input the journal was written for",
        journaled.first_line, journaled.last_line, journaled.records
    )]
    InputEnded {
        /// The first batch the journal records that the input did not reach, from 0.
        seq: u64,
        /// What the journal recorded of it.
        journaled: BatchRows,
    },
    /// The repeated-outId check could not use its scratch file (full disk, unusable directory): the rows
    /// from `line` on were not checked.
    #[error("line {line}: {error}")]
    ScratchFile {
        /// The row being checked.
        line: u64,
        /// What failed.
        error: io::Error,
    },
    /// The input could not be read on. The batches read whole before it were sent; the batch it
    /// interrupted was not, so that a resumed run, reading the input whole, sends it as it would have.
    #[error("{error}; the rows from line {unsent_from} on were not sent")]
    InputUnreadable {
        /// What failed, and where.
        error: ReadError,
        /// The first line not sent: the interrupted batch's first row's.
        unsent_from: u64,
    },
    /// A batch's entry could not be written to the journal, so it was not sent.
    #[error("{error}: stopped before sending, to keep the journal complete")]
    JournalBeforeSending {
        /// What failed.
        error: io::Error,
    },
    /// Answers could not be written to the journal: the report has them, the journal may not.
    #[error("{error}: the outcome of the last batches could not be recorded (see the report)")]
    JournalAfterAnswer {
        /// What failed.
        error: io::Error,
    },
}

/// A batch's rows as the journal records them and as the input gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchRows {
    /// The first row's line.
    pub first_line: u64,
    /// The line the last row starts on.
    pub last_line: u64,
    /// How many records.
    pub records: usize,
    /// The hash of the rows' content (XXH3-64 of the batch's request body).
    pub rows_hash: u64,
}
