//! The import journal: one JSON line per event, on disk (fdatasync) before each send and after each
//! answer, so a run stopped at any moment — `kill -9` included — resumes without resending anything that
//! may have been imported. Flushes are grouped: one flush covers every line written before it, so an
//! answer and the next batch's entry, written back to back, share one.
//!
//! The file is grown ahead of its lines with zero bytes, a chunk at a time, and lines overwrite them in
//! place: a flush then writes only the lines, not the file's size as well (on ext4, about a fifth less
//! work per flush). A journal closed normally is cut back to its last line; one left by a killed process
//! ends in zero bytes, which reading skips and resuming writes over.
//!
//! ```text
//! {"journal":"acsgen-import","version":1,"task_id":"…","input":"…","batch_size":1000}
//! {"event":"sending","seq":0,"first_line":2,"last_line":1001,"records":1000}
//! {"event":"imported","seq":0,"batch_id":123456789012345678}
//! {"event":"uncertain","seq":1,"error":"…"}     the request may have been acted on
//! {"event":"rejected","seq":2,"error":"…"}      the service refused the batch's records
//! {"event":"not_sent","seq":3,"error":"…"}      refused without acting (credentials, unknown task)
//! {"event":"resumed"}
//! ```

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::ImportError;

/// Where a batch stands according to the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchState {
    /// Sent, with no answer recorded: the run stopped while it was in flight.
    InFlight,
    /// Imported, with this batch ID.
    Imported(Option<i64>),
    /// Possibly acted on; not resent without `--resend-uncertain`.
    Uncertain(String),
    /// The service refused the batch's records.
    Rejected(String),
    /// Refused without being acted on: sent again on resume.
    NotSent,
}

/// A batch as the journal recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalBatch {
    pub first_line: u64,
    pub last_line: u64,
    pub records: usize,
    pub state: BatchState,
}

/// What an earlier run's journal says.
#[derive(Debug, Default)]
pub struct Recovered {
    pub task_id: String,
    pub batch_size: usize,
    pub batches: HashMap<u64, JournalBatch>,
    /// Where the last whole line ends: what follows (zeros a killed run left, a torn line) is not read,
    /// and resuming writes over it.
    pub end: u64,
}

/// An open journal, appended to.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
    unsynced: bool,
    /// Where the next line goes: the end of the last one.
    end: u64,
    /// The file's size: lines up to here overwrite zeros already written.
    allocated: u64,
    /// The file's own position, so that a line written after the last needs no seek.
    cursor: u64,
}

/// How much the file grows at a time (at least what the line being written needs).
const CHUNK: u64 = 64 * 1024;

fn io_error(path: &Path, e: std::io::Error) -> ImportError {
    ImportError::Journal(format!("{}: {e}", path.display()))
}

impl Journal {
    /// Starts a new journal at `path` (replacing any file there).
    pub fn create(path: &Path, task_id: &str, input: &str, batch_size: usize) -> Result<Self, ImportError> {
        let file = File::create(path).map_err(|e| io_error(path, e))?;
        let mut journal = Self { file, path: path.to_owned(), unsynced: false, end: 0, allocated: 0, cursor: 0 };
        journal.write(
            &json!({"journal": "acsgen-import", "version": 1, "task_id": task_id, "input": input, "batch_size": batch_size}),
            true,
        )?;
        Ok(journal)
    }

    /// Continues the journal at `path` after its last whole line, which ends at `end` ([`Recovered::end`]):
    /// whatever follows (zeros, a torn line) is written over with zeros first.
    pub fn append(path: &Path, end: u64) -> Result<Self, ImportError> {
        let file = OpenOptions::new().write(true).open(path).map_err(|e| io_error(path, e))?;
        let allocated = file.metadata().map_err(|e| io_error(path, e))?.len().max(end);
        let mut journal = Self { file, path: path.to_owned(), unsynced: false, end, allocated, cursor: 0 };
        if end < allocated {
            journal.write_at(&vec![0; (allocated - end) as usize], end)?;
        }
        journal.write(&json!({"event": "resumed"}), true)?;
        Ok(journal)
    }

    /// Appends `event`; with `sync`, waits until it (and everything before it) is on disk.
    pub fn write(&mut self, event: &Value, sync: bool) -> Result<(), ImportError> {
        let mut line = event.to_string();
        line.push('\n');
        let len = line.len() as u64;
        if self.end + len > self.allocated {
            let grown = (self.end + len).max(self.allocated + CHUNK);
            self.write_at(&vec![0; (grown - self.allocated) as usize], self.allocated)?;
            self.allocated = grown;
        }
        self.write_at(line.as_bytes(), self.end)?;
        self.end += len;
        self.unsynced = true;
        if sync { self.sync() } else { Ok(()) }
    }

    fn write_at(&mut self, bytes: &[u8], offset: u64) -> Result<(), ImportError> {
        if self.cursor != offset {
            self.file.seek(SeekFrom::Start(offset)).map_err(|e| io_error(&self.path, e))?;
        }
        self.file.write_all(bytes).map_err(|e| io_error(&self.path, e))?;
        self.cursor = offset + bytes.len() as u64;
        Ok(())
    }

    /// Waits until everything written is on disk (nothing to do when it is already).
    pub fn sync(&mut self) -> Result<(), ImportError> {
        if self.unsynced {
            self.file.sync_data().map_err(|e| io_error(&self.path, e))?;
            self.unsynced = false;
        }
        Ok(())
    }
}

impl Drop for Journal {
    /// Cuts the zeros after the last line.
    fn drop(&mut self) {
        if self.allocated > self.end {
            let _ = self.file.set_len(self.end);
        }
    }
}

/// Reads the journal at `path`: its whole lines, each ended by a newline (every line is written with its
/// newline in one write, so what follows the last one — a torn line, zeros a killed run had laid down — is
/// not a record). An unreadable whole line is an error naming it.
pub fn read(path: &Path) -> Result<Recovered, ImportError> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    let end = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let text = String::from_utf8_lossy(&bytes[..end]);
    let bad = |n: usize, what: &str| ImportError::Journal(format!("{}: line {}: {what}", path.display(), n + 1));
    if end == 0 {
        return Err(bad(0, "no whole line: not a journal, or its first line was never completed"));
    }
    let mut recovered = Recovered { end: end as u64, ..Recovered::default() };
    for (n, line) in text.lines().enumerate() {
        let value: Value = serde_json::from_str(line).map_err(|e| bad(n, &format!("not a journal entry ({e})")))?;
        if n == 0 {
            if value["journal"] != "acsgen-import" {
                return Err(bad(n, "not an acsgen import journal"));
            }
            recovered.task_id = value["task_id"].as_str().unwrap_or_default().to_owned();
            recovered.batch_size = value["batch_size"].as_u64().unwrap_or_default() as usize;
            continue;
        }
        let seq = value["seq"].as_u64();
        let text = |key: &str| value[key].as_str().unwrap_or_default().to_owned();
        match (value["event"].as_str(), seq) {
            (Some("resumed"), _) => {}
            (Some("sending"), Some(seq)) => {
                let batch = JournalBatch {
                    first_line: value["first_line"].as_u64().unwrap_or_default(),
                    last_line: value["last_line"].as_u64().unwrap_or_default(),
                    records: value["records"].as_u64().unwrap_or_default() as usize,
                    state: BatchState::InFlight,
                };
                recovered.batches.insert(seq, batch);
            }
            (Some(event), Some(seq)) => {
                let batch =
                    recovered.batches.get_mut(&seq).ok_or_else(|| bad(n, "an answer for a batch never sent"))?;
                batch.state = match event {
                    "imported" => BatchState::Imported(value["batch_id"].as_i64()),
                    "uncertain" => BatchState::Uncertain(text("error")),
                    "rejected" => BatchState::Rejected(text("error")),
                    "not_sent" => BatchState::NotSent,
                    other => return Err(bad(n, &format!("unknown event `{other}`"))),
                };
            }
            _ => return Err(bad(n, "not a journal entry")),
        }
    }
    Ok(recovered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_killed_run_leaves_zeros_that_reading_and_resuming_handle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut journal = Journal::create(&path, "T1", "in.csv", 10).unwrap();
        // Past the first chunk, so the file grows while lines are written.
        let batches = 1_000u64;
        for seq in 0..batches {
            journal.write(&json!({"event": "sending", "seq": seq, "first_line": seq * 10 + 2, "last_line": seq * 10 + 11, "records": 10}), false).unwrap();
            journal.write(&json!({"event": "imported", "seq": seq, "batch_id": seq}), seq % 7 == 0).unwrap();
        }
        journal.sync().unwrap();
        let written = journal.end;
        assert!(written > CHUNK, "{written} bytes do not need a second chunk");
        // What kill -9 leaves: zeros after the lines (no cut-back), here after a torn line as well.
        std::mem::forget(journal);
        let mut file = OpenOptions::new().write(true).open(&path).unwrap();
        file.seek(SeekFrom::Start(written)).unwrap();
        file.write_all(b"{\"event\":\"sending\",\"se").unwrap();
        drop(file);
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size > written + 100, "the file was grown ahead: {size} bytes for {written}");
        let recovered = read(&path).unwrap();
        assert_eq!(recovered.batches.len(), batches as usize);
        assert!(recovered.batches.values().all(|b| matches!(b.state, BatchState::Imported(_))));

        let mut resumed = Journal::append(&path, read(&path).unwrap().end).unwrap();
        resumed
            .write(&json!({"event": "sending", "seq": batches, "first_line": 1, "last_line": 1, "records": 1}), true)
            .unwrap();
        drop(resumed);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains('\0'), "a journal closed normally ends at its last line");
        assert!(!text.contains("\"se{"), "the torn line was written over");
        assert!(text.ends_with(&format!("\"seq\":{batches}}}\n")), "{}", &text[text.len() - 80..]);
        let recovered = read(&path).unwrap();
        assert_eq!(recovered.batches.len(), batches as usize + 1);
        assert_eq!(recovered.batches[&batches].state, BatchState::InFlight);
    }

    #[test]
    fn round_trip_and_torn_last_line() {
        let dir = std::env::temp_dir().join(format!("acsgen-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j");
        let mut journal = Journal::create(&path, "T1", "in.csv", 1000).unwrap();
        for seq in 0..4u64 {
            journal.write(&json!({"event": "sending", "seq": seq, "first_line": seq * 10 + 2, "last_line": seq * 10 + 11, "records": 10}), true).unwrap();
        }
        journal.write(&json!({"event": "imported", "seq": 0, "batch_id": 123_497_836_486_123_457i64}), true).unwrap();
        journal.write(&json!({"event": "uncertain", "seq": 1, "error": "no answer"}), true).unwrap();
        journal.write(&json!({"event": "not_sent", "seq": 2, "error": "bad key"}), true).unwrap();
        drop(journal);
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"event\":\"impor").unwrap();
        let recovered = read(&path).unwrap();
        assert_eq!((recovered.task_id.as_str(), recovered.batch_size), ("T1", 1000));
        assert_eq!(recovered.batches[&0].state, BatchState::Imported(Some(123_497_836_486_123_457)));
        assert_eq!(recovered.batches[&1].state, BatchState::Uncertain("no answer".into()));
        assert_eq!(recovered.batches[&2].state, BatchState::NotSent);
        assert_eq!(recovered.batches[&3].state, BatchState::InFlight);
        assert_eq!((recovered.batches[&3].first_line, recovered.batches[&3].last_line), (32, 41));
        // Resuming writes over the torn line.
        let mut resumed = Journal::append(&path, read(&path).unwrap().end).unwrap();
        resumed.write(&json!({"event": "imported", "seq": 3, "batch_id": 7}), true).unwrap();
        drop(resumed);
        assert!(!std::fs::read_to_string(&path).unwrap().contains("\"impor{"));
        assert_eq!(read(&path).unwrap().batches[&3].state, BatchState::Imported(Some(7)));
        // A last line missing its newline was never completed, even when its text parses.
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(br#"{"event":"resumed"}"#).unwrap();
        let recovered = read(&path).unwrap();
        assert_eq!(recovered.end, std::fs::metadata(&path).unwrap().len() - 19);
        std::fs::write(&path, br#"{"journal":"acsgen-import","#).unwrap();
        assert!(read(&path).unwrap_err().to_string().contains("no whole line"));
        std::fs::write(&path, "garbage\n{}\n").unwrap();
        assert!(read(&path).unwrap_err().to_string().contains("line 1"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
