//! The import journal: one JSON record per line, on disk before each send and after each answer, so a
//! run stopped at any moment — `kill -9` included — resumes without resending anything that may have
//! been imported. Every line is a [`Record`], written and read through that one type:
//!
//! ```text
//! {"event":"started","journal":"acsgen-import","version":3,"task_id":"…","input":"…","batch_size":1000,"max_batch_bytes":4194304}
//! {"event":"sending","seq":0,"first_line":2,"last_line":1001,"records":1000,"rows_hash":"5f1d…"}
//! {"event":"imported","seq":0,"batch_id":123456789012345678}
//! {"event":"uncertain","seq":1,"error":"…"}     the request may have been acted on
//! {"event":"rejected","seq":2,"error":"…"}      the service refused the batch's records
//! {"event":"not_sent","seq":3,"error":"…"}      refused without acting (credentials, unknown task)
//! {"event":"resumed"}
//! {"event":"reconciled","seq":1,"found":[{"line":1002,"batch_id":…}],"absent":[1003],"unsettled":[1004]}
//! {"event":"resending","seq":1,"first_line":1003,"last_line":1003,"records":1,"rows_hash":"…"}
//! ```
//!
//! `reconciled` settles an uncertain batch row by row from the service's records (`--reconcile`): each row
//! found in the task (with the batch it arrived in, and what differs from the input, if anything), absent,
//! or unsettled (no outId to look it up by). The absent rows are then sent again as one batch:
//! `resending`, and its answer under the same `seq`. A later `reconciled` for the same batch replaces the
//! earlier one.
//!
//! `rows_hash` is XXH3-64, in hex, of the batch's request body: its records as the compact JSON array,
//! form-encoded. It tells a resumed run whether a batch still holds the rows it held.
//!
//! [`file`](mod@file) writes the lines (grown ahead with zeros, flushed with `fdatasync`); [`shared`] is the journal
//! as the import loop and its send tasks share it, and owns the rule for grouping flushes.

mod file;
mod shared;

use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub(crate) use file::JournalFile;
pub(crate) use shared::Journal;

use crate::ImportError;
use crate::batch::Limits;
use crate::error::BatchRows;
use crate::reconcile::Settlement;
use crate::send::Sent;
use crate::tally::Outcome;

/// What the first line's `journal` field holds.
const MAGIC: &str = "acsgen-import";
/// The format this build writes and reads.
/// Version 3: the start records `max_batch_bytes`, and a batch's rows hash is of its records with their
/// members in declaration order (version 2 sorted them), so a version 2 journal cannot be resumed.
pub(crate) const VERSION: u32 = 3;

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Record {
    /// The first line: an import began.
    Started { journal: String, version: u32, task_id: String, input: String, batch_size: usize, max_batch_bytes: usize },
    /// A batch is about to be sent.
    Sending { seq: u64, first_line: u64, last_line: u64, records: usize, rows_hash: RowsHash },
    /// The service imported the batch.
    Imported { seq: u64, batch_id: Option<i64> },
    /// No answer came back: the batch may have been imported.
    Uncertain { seq: u64, error: String },
    /// The service refused the batch's records.
    Rejected { seq: u64, error: String },
    /// The service refused the batch without acting on it, for a reason that stopped the run.
    NotSent { seq: u64, error: String },
    /// A later run took the journal up again.
    Resumed,
    /// Reconciling settled an uncertain batch's rows from the service's records.
    Reconciled {
        seq: u64,
        #[serde(flatten)]
        settlement: Settlement,
    },
    /// A reconciled batch's absent rows are about to be sent again.
    Resending { seq: u64, first_line: u64, last_line: u64, records: usize, rows_hash: RowsHash },
}

impl Record {
    /// The first line of a new journal.
    pub(crate) fn started(task_id: &str, input: &str, limits: Limits) -> Self {
        let (task_id, input, journal) = (task_id.to_owned(), input.to_owned(), MAGIC.to_owned());
        let (batch_size, max_batch_bytes) = (limits.records, limits.bytes);
        Record::Started { journal, version: VERSION, task_id, input, batch_size, max_batch_bytes }
    }

    /// The entry written before a batch is sent.
    pub(crate) fn sending(seq: u64, rows: &BatchRows) -> Self {
        let (first_line, last_line, records) = (rows.first_line, rows.last_line, rows.records);
        Record::Sending { seq, first_line, last_line, records, rows_hash: RowsHash(rows.rows_hash) }
    }

    /// The entry written before a reconciled batch's absent rows (`rows`) are sent again.
    pub(crate) fn resending(seq: u64, rows: &BatchRows) -> Self {
        let (first_line, last_line, records) = (rows.first_line, rows.last_line, rows.records);
        Record::Resending { seq, first_line, last_line, records, rows_hash: RowsHash(rows.rows_hash) }
    }

    /// The batch the record is about, if any.
    pub(crate) fn seq(&self) -> Option<u64> {
        match self {
            Record::Started { .. } | Record::Resumed => None,
            Record::Sending { seq, .. }
            | Record::Imported { seq, .. }
            | Record::Uncertain { seq, .. }
            | Record::Rejected { seq, .. }
            | Record::NotSent { seq, .. }
            | Record::Reconciled { seq, .. }
            | Record::Resending { seq, .. } => Some(*seq),
        }
    }

    /// The entry written after a batch's answer.
    pub(crate) fn answer(seq: u64, sent: &Sent) -> Self {
        match sent {
            Sent::Settled(Outcome::Imported(batch_id)) => Record::Imported { seq, batch_id: *batch_id },
            Sent::Settled(Outcome::Uncertain(error)) => Record::Uncertain { seq, error: error.clone() },
            Sent::Settled(Outcome::Rejected(error)) => Record::Rejected { seq, error: error.clone() },
            Sent::Stopped(reason) => Record::NotSent { seq, error: reason.to_string() },
        }
    }
}

/// A batch's rows hash, written as 16 hex digits (a JSON number would lose precision in some readers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RowsHash(pub(crate) u64);

impl Serialize for RowsHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:016x}", self.0))
    }
}

impl<'de> Deserialize<'de> for RowsHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match u64::from_str_radix(&text, 16) {
            Ok(hash) if text.len() == 16 => Ok(RowsHash(hash)),
            _ => Err(serde::de::Error::custom(format!("`{text}` is not a rows hash (16 hex digits)"))),
        }
    }
}

/// Where a batch stands according to the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BatchState {
    /// Sent, with no answer recorded: the run stopped while it was in flight.
    InFlight,
    /// Imported, with this batch ID.
    Imported(Option<i64>),
    /// Possibly acted on.
    Uncertain(String),
    /// The service refused the batch's records.
    Rejected(String),
    /// Refused without being acted on.
    NotSent,
    /// Settled row by row from the service's records; `resend` is where the absent rows' resend stands
    /// (a [`BatchState`] of its own: `NotSent` until it is journaled).
    Reconciled { settlement: Settlement, resend: Box<BatchState> },
}

impl BatchState {
    /// How the batch stands for a resumed run, or `None` when it is to be sent (again): never sent, or
    /// uncertain and `resend_uncertain`.
    pub(crate) fn outcome(&self, resend_uncertain: bool) -> Option<Outcome> {
        match self {
            BatchState::NotSent => None,
            BatchState::InFlight | BatchState::Uncertain(_) if resend_uncertain => None,
            BatchState::InFlight => {
                Some(Outcome::Uncertain("the previous run stopped while this batch was in flight".into()))
            }
            BatchState::Uncertain(error) => Some(Outcome::Uncertain(error.clone())),
            BatchState::Imported(batch_id) => Some(Outcome::Imported(*batch_id)),
            BatchState::Rejected(error) => Some(Outcome::Rejected(error.clone())),
            // Settled row by row: not one outcome for the whole batch.
            BatchState::Reconciled { .. } => None,
        }
    }

    /// Whether the batch may have been imported, and reconciling can tell.
    pub(crate) fn is_uncertain(&self) -> bool {
        matches!(self, BatchState::InFlight | BatchState::Uncertain(_))
    }
}

/// A batch as the journal recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JournalBatch {
    pub(crate) rows: BatchRows,
    pub(crate) state: BatchState,
}

/// What an earlier run's journal says.
#[derive(Debug)]
pub(crate) struct Recovered {
    pub(crate) task_id: String,
    /// The batches' limits: a resumed run must make the same batches.
    pub(crate) limits: Limits,
    pub(crate) batches: HashMap<u64, JournalBatch>,
    /// Where the last whole line ends: what follows (zeros a killed run left, a torn line) is not read,
    /// and resuming writes over it.
    pub(crate) end: u64,
}

/// Reads the journal at `path`: its whole lines, each ended by a newline (every line is written with its
/// newline in one write, so what follows the last one — a torn line, zeros a killed run had laid down — is
/// not a record). A whole line that is not a record is an error naming it.
pub(crate) fn read(path: &Path) -> Result<Recovered, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Journal { path: path.to_owned(), source })?;
    let end = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let bad =
        |n: usize, problem: String| ImportError::UnreadableJournal { path: path.to_owned(), line: n + 1, problem };
    if end == 0 {
        return Err(bad(0, "no whole line: not a journal, or its first line was never completed".into()));
    }
    // Each line without its newline (the last one's ends the text).
    let mut lines = bytes[..end - 1].split(|b| *b == b'\n').enumerate();
    let first = lines.next().map_or(&[][..], |(_, line)| line);
    let mut recovered = header(first).map_err(|problem| bad(0, problem))?;
    recovered.end = end as u64;
    for (n, line) in lines {
        let record: Record = serde_json::from_slice(line).map_err(|e| bad(n, format!("not a journal record ({e})")))?;
        apply(&mut recovered, record).map_err(|problem| bad(n, problem.into()))?;
    }
    Ok(recovered)
}

/// What the first line of every version's journal has, read before the line is taken as a [`Record`].
#[derive(Deserialize)]
struct Probe {
    journal: Option<String>,
    version: Option<u32>,
    task_id: Option<String>,
}

impl Probe {
    fn read(line: &[u8]) -> Result<Self, String> {
        let probe: Probe = serde_json::from_slice(line).map_err(|e| format!("not a journal ({e})"))?;
        if probe.journal.as_deref() != Some(MAGIC) {
            return Err("not an acsgen import journal".into());
        }
        Ok(probe)
    }
}

/// The task the journal at `path` records, from its first line alone, in any format version: whose
/// journal it is, whatever state the rest is in.
pub(crate) fn task_of(path: &Path) -> Result<String, ImportError> {
    let file = std::fs::File::open(path).map_err(|source| ImportError::Journal { path: path.to_owned(), source })?;
    let mut first = Vec::new();
    // A first line is a few hundred bytes; a file whose first 64 KiB hold no line end is not a journal.
    std::io::BufRead::read_until(&mut std::io::BufReader::new(file).take(64 * 1024), b'\n', &mut first)
        .map_err(|source| ImportError::Journal { path: path.to_owned(), source })?;
    let bad = |problem: String| ImportError::UnreadableJournal { path: path.to_owned(), line: 1, problem };
    let Some(line) = first.strip_suffix(b"\n") else {
        return Err(bad("no whole line: not a journal, or its first line was never completed".into()));
    };
    Probe::read(line).map_err(bad)?.task_id.ok_or_else(|| bad("the first line names no task".into()))
}

/// Reads the first line: an acsgen import journal, in the format this build reads.
fn header(line: &[u8]) -> Result<Recovered, String> {
    let probe = Probe::read(line)?;
    match probe.version {
        Some(VERSION) => {}
        Some(other) => {
            return Err(format!(
                "journal format version {other}, and this build reads version {VERSION}: finish that import with the version that started it"
            ));
        }
        None => return Err("the first line gives no format version".into()),
    }
    match serde_json::from_slice(line) {
        Ok(Record::Started { task_id, batch_size, max_batch_bytes, .. }) => {
            let limits = Limits { records: batch_size, bytes: max_batch_bytes };
            Ok(Recovered { task_id, limits, batches: HashMap::new(), end: 0 })
        }
        Ok(_) => Err("the first line is not the start of an import".into()),
        Err(e) => Err(format!("not a journal record ({e})")),
    }
}

/// Takes one record after the first into what the journal says.
fn apply(recovered: &mut Recovered, record: Record) -> Result<(), &'static str> {
    let (seq, state) = match record {
        Record::Resumed => return Ok(()),
        Record::Started { .. } => return Err("a second start of an import"),
        Record::Sending { seq, first_line, last_line, records, rows_hash } => {
            let rows = BatchRows { first_line, last_line, records, rows_hash: rows_hash.0 };
            recovered.batches.insert(seq, JournalBatch { rows, state: BatchState::InFlight });
            return Ok(());
        }
        Record::Reconciled { seq, settlement } => {
            let batch = recovered.batches.get_mut(&seq).ok_or("a reconciliation of a batch never sent")?;
            batch.state = BatchState::Reconciled { settlement, resend: Box::new(BatchState::NotSent) };
            return Ok(());
        }
        Record::Resending { seq, .. } => match recovered.batches.get(&seq).map(|b| &b.state) {
            Some(BatchState::Reconciled { .. }) => (seq, BatchState::InFlight),
            _ => return Err("a resend of a batch never reconciled"),
        },
        Record::Imported { seq, batch_id } => (seq, BatchState::Imported(batch_id)),
        Record::Uncertain { seq, error } => (seq, BatchState::Uncertain(error)),
        Record::Rejected { seq, error } => (seq, BatchState::Rejected(error)),
        Record::NotSent { seq, .. } => (seq, BatchState::NotSent),
    };
    let batch = recovered.batches.get_mut(&seq).ok_or("an answer for a batch never sent")?;
    // An answer to a reconciled batch is its resend's.
    match &mut batch.state {
        BatchState::Reconciled { resend, .. } => **resend = state,
        other => *other = state,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const LIMITS: Limits = Limits { records: 10, bytes: 4096 };

    fn rows(seq: u64) -> BatchRows {
        BatchRows { first_line: seq * 10 + 2, last_line: seq * 10 + 11, records: 10, rows_hash: u64::MAX - seq }
    }

    #[test]
    fn records_are_written_and_read_through_one_type() {
        let records = [
            Record::started("T1", "in.csv", Limits { records: 1000, bytes: 4 << 20 }),
            Record::sending(0, &rows(0)),
            Record::Imported { seq: 0, batch_id: Some(123_497_836_486_123_457) },
            Record::Uncertain { seq: 1, error: "no answer".into() },
            Record::Rejected { seq: 2, error: "bad".into() },
            Record::NotSent { seq: 3, error: "bad key".into() },
            Record::Resumed,
        ];
        let lines: Vec<String> = records.iter().map(|r| serde_json::to_string(r).unwrap()).collect();
        assert_eq!(
            lines[0],
            r#"{"event":"started","journal":"acsgen-import","version":3,"task_id":"T1","input":"in.csv","batch_size":1000,"max_batch_bytes":4194304}"#
        );
        assert_eq!(
            lines[1],
            r#"{"event":"sending","seq":0,"first_line":2,"last_line":11,"records":10,"rows_hash":"ffffffffffffffff"}"#
        );
        assert_eq!(lines[2], r#"{"event":"imported","seq":0,"batch_id":123497836486123457}"#);
        assert_eq!(lines[5], r#"{"event":"not_sent","seq":3,"error":"bad key"}"#);
        assert_eq!(lines[6], r#"{"event":"resumed"}"#);
        for (line, record) in lines.iter().zip(&records) {
            assert_eq!(&serde_json::from_str::<Record>(line).unwrap(), record);
        }
    }

    #[test]
    fn reading_gives_each_batchs_last_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut journal = JournalFile::create(&path, &Record::started("T1", "in.csv", LIMITS)).unwrap();
        for seq in 0..4 {
            journal.write(&Record::sending(seq, &rows(seq)), false).unwrap();
        }
        journal.write(&Record::Imported { seq: 0, batch_id: Some(7) }, false).unwrap();
        journal.write(&Record::Uncertain { seq: 1, error: "no answer".into() }, false).unwrap();
        journal.write(&Record::NotSent { seq: 2, error: "bad key".into() }, true).unwrap();
        drop(journal);
        let recovered = read(&path).unwrap();
        assert_eq!((recovered.task_id.as_str(), recovered.limits), ("T1", LIMITS));
        assert_eq!(recovered.batches[&0].state, BatchState::Imported(Some(7)));
        assert_eq!(recovered.batches[&1].state, BatchState::Uncertain("no answer".into()));
        assert_eq!(recovered.batches[&2].state, BatchState::NotSent);
        assert_eq!(recovered.batches[&3], JournalBatch { rows: rows(3), state: BatchState::InFlight });
    }

    #[test]
    fn what_is_not_a_journal_of_this_version_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let problem = |text: &str| {
            std::fs::write(&path, text).unwrap();
            read(&path).unwrap_err().to_string()
        };
        let started = serde_json::to_string(&Record::started("T1", "in.csv", LIMITS)).unwrap();
        assert!(problem(r#"{"journal":"acsgen-import","#).contains("no whole line"));
        assert!(problem("garbage\n{}\n").contains("line 1: not a journal"));
        assert!(problem("{\"journal\":\"other\"}\n").contains("not an acsgen import journal"));
        let old =
            "{\"journal\":\"acsgen-import\",\"version\":1,\"task_id\":\"T1\",\"input\":\"x\",\"batch_size\":10}\n";
        assert!(problem(old).contains("line 1: journal format version 1, and this build reads version 3"));
        // What the build before the byte limit wrote: refused by its version, not as a broken record.
        let before = "{\"event\":\"started\",\"journal\":\"acsgen-import\",\"version\":2,\"task_id\":\"T1\",\"input\":\"x\",\"batch_size\":1000}\n";
        assert!(problem(before).contains("line 1: journal format version 2, and this build reads version 3"));
        assert!(
            problem(&format!("{started}\n{{\"event\":\"imported\",\"seq\":0,\"batch_id\":1}}\n"))
                .contains("line 2: an answer for a batch never sent")
        );
        assert!(
            problem(&format!("{started}\n{{\"event\":\"frobbed\",\"seq\":0}}\n"))
                .contains("line 2: not a journal record")
        );
        let bad_hash = r#"{"event":"sending","seq":0,"first_line":2,"last_line":3,"records":2,"rows_hash":"xyz"}"#;
        assert!(problem(&format!("{started}\n{bad_hash}\n")).contains("`xyz` is not a rows hash"));
        // A last line missing its newline was never completed, even when its text parses.
        std::fs::write(&path, format!("{started}\n")).unwrap();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(br#"{"event":"resumed"}"#).unwrap();
        assert_eq!(read(&path).unwrap().end, started.len() as u64 + 1);
    }

    /// A reconciled batch keeps its settlement; what follows it is its resend's; a later settlement of
    /// the same batch replaces the earlier one.
    #[test]
    fn a_reconciled_batch_carries_its_settlement_and_its_resend() {
        use crate::reconcile::{Found, Settlement};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut journal = JournalFile::create(&path, &Record::started("T1", "in.csv", LIMITS)).unwrap();
        let settlement = Settlement {
            found: vec![Found { line: 2, batch_id: Some(123_497_836_486_123_457), differs: Some("x".into()) }],
            absent: vec![3, 4],
            unsettled: vec![5],
        };
        let resent = BatchRows { first_line: 3, last_line: 4, records: 2, rows_hash: 9 };
        for record in [
            Record::sending(0, &rows(0)),
            Record::Uncertain { seq: 0, error: "no answer".into() },
            Record::Reconciled { seq: 0, settlement: settlement.clone() },
            Record::resending(0, &resent),
        ] {
            journal.write(&record, false).unwrap();
        }
        journal.write(&Record::Uncertain { seq: 0, error: "again".into() }, true).unwrap();
        let line = serde_json::to_string(&Record::Reconciled { seq: 0, settlement: settlement.clone() }).unwrap();
        assert_eq!(
            line,
            r#"{"event":"reconciled","seq":0,"found":[{"line":2,"batch_id":123497836486123457,"differs":"x"}],"absent":[3,4],"unsettled":[5]}"#
        );
        let recovered = read(&path).unwrap();
        let expected = BatchState::Reconciled {
            settlement: settlement.clone(),
            resend: Box::new(BatchState::Uncertain("again".into())),
        };
        assert_eq!(recovered.batches[&0], JournalBatch { rows: rows(0), state: expected });
        journal.write(&Record::Reconciled { seq: 0, settlement: Settlement::default() }, true).unwrap();
        let recovered = read(&path).unwrap();
        let replaced =
            BatchState::Reconciled { settlement: Settlement::default(), resend: Box::new(BatchState::NotSent) };
        assert_eq!(recovered.batches[&0].state, replaced);
        // A resend of a batch that was never reconciled is not a journal this build wrote.
        let mut other = JournalFile::create(&dir.path().join("k"), &Record::started("T1", "in.csv", LIMITS)).unwrap();
        other.write(&Record::sending(0, &rows(0)), false).unwrap();
        other.write(&Record::resending(0, &resent), true).unwrap();
        assert!(
            read(&dir.path().join("k"))
                .unwrap_err()
                .to_string()
                .contains("line 3: a resend of a batch never reconciled")
        );
    }

    #[test]
    fn resumed_batches_are_settled_or_sent_again() {
        let uncertain = Outcome::Uncertain("no answer".into());
        assert_eq!(BatchState::Uncertain("no answer".into()).outcome(false), Some(uncertain));
        assert_eq!(BatchState::Uncertain("no answer".into()).outcome(true), None);
        assert!(matches!(BatchState::InFlight.outcome(false), Some(Outcome::Uncertain(e)) if e.contains("in flight")));
        assert_eq!(BatchState::InFlight.outcome(true), None);
        assert_eq!(BatchState::NotSent.outcome(false), None);
        assert_eq!(BatchState::Imported(Some(3)).outcome(true), Some(Outcome::Imported(Some(3))));
        assert_eq!(BatchState::Rejected("r".into()).outcome(true), Some(Outcome::Rejected("r".into())));
    }
}
