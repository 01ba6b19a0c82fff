//! The journal's file: lines appended in place over zeros laid down ahead, and flushed with
//! `fdatasync`. One flush covers every line written before it.
//!
//! The file is grown ahead of its lines with zero bytes, a chunk at a time, and lines overwrite them in
//! place: a flush then writes only the lines, not the file's size as well (on ext4, about a fifth less
//! work per flush). A journal closed normally is cut back to its last line; one left by a killed process
//! ends in zero bytes, which reading skips and resuming writes over.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::Record;
use crate::ImportError;

/// An open journal file, appended to.
#[derive(Debug)]
pub(crate) struct JournalFile {
    file: File,
    path: PathBuf,
    /// Lines written since the last flush.
    unsynced: bool,
    /// Where the next line goes: the end of the last one.
    end: u64,
    /// The file's size: lines up to here overwrite zeros already written.
    allocated: u64,
    /// The file's own position, so that a line written after the last needs no seek.
    cursor: u64,
    /// The line being written (kept to reuse its memory).
    line: Vec<u8>,
    /// A write failed part-way: what follows the last whole line is unknown, so nothing more is written
    /// (closing cuts the file back to that line; a resumed run writes over whatever is left).
    torn: bool,
}

/// How much the file grows at a time (at least what the line being written needs).
const CHUNK: u64 = 64 * 1024;

impl JournalFile {
    /// Starts a new journal at `path` (replacing any file there) with its first line, on disk.
    pub(crate) fn create(path: &Path, started: &Record) -> Result<Self, ImportError> {
        let file = File::create(path).map_err(|source| ImportError::Journal { path: path.to_owned(), source })?;
        let mut journal = Self::new(file, path, 0, 0);
        journal.put(started, true).map_err(|source| ImportError::Journal { path: path.to_owned(), source })?;
        Ok(journal)
    }

    /// Continues the journal at `path` after its last whole line, which ends at `end` (see
    /// [`super::Recovered::end`]): whatever follows (zeros, a torn line) is written over with zeros first,
    /// then a `resumed` record.
    pub(crate) fn append(path: &Path, end: u64) -> Result<Self, ImportError> {
        let fail = |source| ImportError::Journal { path: path.to_owned(), source };
        let file = OpenOptions::new().write(true).open(path).map_err(fail)?;
        let allocated = file.metadata().map_err(fail)?.len().max(end);
        let mut journal = Self::new(file, path, end, allocated);
        if end < allocated {
            journal.write_at(&vec![0; (allocated - end) as usize], end).map_err(fail)?;
        }
        journal.put(&Record::Resumed, true).map_err(fail)?;
        Ok(journal)
    }

    fn new(file: File, path: &Path, end: u64, allocated: u64) -> Self {
        let line = Vec::with_capacity(256);
        Self { file, path: path.to_owned(), unsynced: false, end, allocated, cursor: 0, line, torn: false }
    }

    /// Appends `record` as a line; with `sync`, waits until it (and everything before it) is on disk. An
    /// error names the journal.
    pub(crate) fn write(&mut self, record: &Record, sync: bool) -> io::Result<()> {
        self.put(record, sync).map_err(|e| self.named(e))
    }

    fn put(&mut self, record: &Record, sync: bool) -> io::Result<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        serde_json::to_writer(&mut line, record)?;
        line.push(b'\n');
        let written = self.write_line(&line);
        self.line = line;
        written?;
        if sync { self.sync_data() } else { Ok(()) }
    }

    fn named(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("journal: {}: {e}", self.path.display()))
    }

    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        if self.torn {
            return Err(io::Error::other("not written: an earlier write to the journal failed"));
        }
        let len = line.len() as u64;
        if self.end + len > self.allocated {
            let grown = (self.end + len).max(self.allocated + CHUNK);
            self.write_at(&vec![0; (grown - self.allocated) as usize], self.allocated)?;
            self.allocated = grown;
        }
        self.write_at(line, self.end)?;
        self.end += len;
        self.unsynced = true;
        Ok(())
    }

    fn write_at(&mut self, bytes: &[u8], offset: u64) -> io::Result<()> {
        let written = self.seek_and_write(bytes, offset);
        match written {
            Ok(()) => self.cursor = offset + bytes.len() as u64,
            Err(_) => self.torn = true,
        }
        written
    }

    fn seek_and_write(&mut self, bytes: &[u8], offset: u64) -> io::Result<()> {
        if self.cursor != offset {
            self.file.seek(SeekFrom::Start(offset))?;
        }
        self.file.write_all(bytes)
    }

    /// Whether lines were written since the last flush.
    pub(crate) fn unsynced(&self) -> bool {
        self.unsynced
    }

    /// Waits until everything written is on disk (nothing to do when it is already). An error names the
    /// journal.
    pub(crate) fn sync(&mut self) -> io::Result<()> {
        self.sync_data().map_err(|e| self.named(e))
    }

    /// A failed flush is not tried again: once the kernel has reported a write-back error it may have
    /// dropped what the flush covered, so the caller stops instead.
    fn sync_data(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.unsynced) {
            self.file.sync_data()?;
        }
        Ok(())
    }
}

impl Drop for JournalFile {
    /// Cuts the zeros, or the torn bytes, after the last line.
    fn drop(&mut self) {
        if self.torn || self.allocated > self.end {
            let _ = self.file.set_len(self.end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::BatchRows;
    use crate::journal::{BatchState, read};

    fn sending(seq: u64) -> Record {
        let rows = BatchRows { first_line: seq * 10 + 2, last_line: seq * 10 + 11, records: 10, rows_hash: seq };
        Record::sending(seq, &rows)
    }

    /// A new journal at `path` of an import into task `T1`.
    fn started(path: &Path) -> JournalFile {
        let limits = crate::batch::Limits { records: 10, bytes: 4096 };
        JournalFile::create(path, &Record::started("T1", "in.csv", limits)).unwrap()
    }

    #[test]
    fn a_killed_run_leaves_zeros_that_reading_and_resuming_handle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut journal = started(&path);
        // Past the first chunk, so the file grows while lines are written.
        let batches = 1_000u64;
        for seq in 0..batches {
            journal.write(&sending(seq), false).unwrap();
            journal.write(&Record::Imported { seq, batch_id: Some(seq as i64) }, seq % 7 == 0).unwrap();
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

        let mut resumed = JournalFile::append(&path, recovered.end).unwrap();
        resumed.write(&sending(batches), true).unwrap();
        drop(resumed);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains('\0'), "a journal closed normally ends at its last line");
        assert!(!text.contains("\"se{"), "the torn line was written over");
        let last = serde_json::to_string(&sending(batches)).unwrap();
        assert!(text.ends_with(&format!("{{\"event\":\"resumed\"}}\n{last}\n")), "{}", &text[text.len() - 160..]);
        let recovered = read(&path).unwrap();
        assert_eq!(recovered.batches.len(), batches as usize + 1);
        assert_eq!(recovered.batches[&batches].state, BatchState::InFlight);
    }

    /// After a write fails (here: a full device), nothing more is written: a later line could land after
    /// torn bytes, where it would be no record.
    #[test]
    fn after_a_failed_write_nothing_more_is_written() {
        let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
        let mut journal = JournalFile::new(full, Path::new("/dev/full"), 0, 1 << 40);
        let first = journal.write(&sending(0), false).unwrap_err();
        assert!(first.to_string().starts_with("journal: /dev/full: "), "{first}");
        let second = journal.write(&sending(1), false).unwrap_err();
        assert!(second.to_string().contains("an earlier write to the journal failed"), "{second}");
        std::mem::forget(journal); // /dev/full cannot be cut back
    }

    #[test]
    fn resuming_writes_over_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut journal = started(&path);
        journal.write(&sending(0), true).unwrap();
        drop(journal);
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"event\":\"impor").unwrap();
        let mut resumed = JournalFile::append(&path, read(&path).unwrap().end).unwrap();
        resumed.write(&Record::Imported { seq: 0, batch_id: Some(7) }, true).unwrap();
        drop(resumed);
        assert!(!std::fs::read_to_string(&path).unwrap().contains("\"impor{"));
        assert_eq!(read(&path).unwrap().batches[&0].state, BatchState::Imported(Some(7)));
    }
}
