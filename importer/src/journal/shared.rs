//! The journal as the import loop and its send tasks share it, and the one rule for when what they write
//! goes to disk:
//!
//! - a batch's `sending` entry is on disk before the batch is sent;
//! - an answer is written by its send task without waiting for the disk, and is on disk before any later
//!   batch is sent and before the loop waits for anything.
//!
//! Flushes are grouped to keep them few (each costs a disk write): when answers wait for their flush and
//! the next batch may go out at once, that batch's entry is written by the loop, and its flush covers the
//! answers too ([`Journal::before_dispatch`]); otherwise the loop flushes the answers itself
//! ([`Journal::flush`]) and the send task writes its entry when its turn comes ([`Journal::sending`]).

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{JournalFile, Record};
use crate::send::Sent;

/// The journal, shared by the import loop and its send tasks.
#[derive(Clone, Debug)]
pub(crate) struct Journal(Arc<Mutex<JournalFile>>);

impl Journal {
    pub(crate) fn new(file: JournalFile) -> Self {
        Self(Arc::new(Mutex::new(file)))
    }

    fn file(&self) -> MutexGuard<'_, JournalFile> {
        // A send task that panicked while holding the lock left whole lines behind (each is one write).
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Called by the loop as it hands batch `seq` to its send task: when answers wait for their flush and
    /// `starts_now` says the batch may go out at once, writes the batch's entry now — one flush covering
    /// both — and gives true; the send task then sends straight away. Otherwise gives false, and the send
    /// task writes the entry ([`sending`](Self::sending)) when its turn comes.
    pub(crate) fn before_dispatch(&self, entry: &Record, starts_now: impl FnOnce() -> bool) -> io::Result<bool> {
        let mut file = self.file();
        if !file.unsynced() || !starts_now() {
            return Ok(false);
        }
        write_sending(&mut file, entry)?;
        Ok(true)
    }

    /// Writes a batch's entry (`sending`, or `resending` for a reconciled batch's absent rows) and waits
    /// until it, and everything written before it, is on disk.
    pub(crate) fn sending(&self, entry: &Record) -> io::Result<()> {
        write_sending(&mut self.file(), entry)
    }

    /// Writes how reconciling settled batch `seq`, and waits until it is on disk: before any of its rows
    /// is sent again.
    pub(crate) fn reconciled(&self, seq: u64, settlement: &crate::reconcile::Settlement) -> io::Result<()> {
        self.file().write(&Record::Reconciled { seq, settlement: settlement.clone() }, true)
    }

    /// Writes batch `seq`'s answer, without waiting for the disk.
    pub(crate) fn answered(&self, seq: u64, sent: &Sent) -> io::Result<()> {
        self.file().write(&Record::answer(seq, sent), false)
    }

    /// Whether answers wait for their flush.
    pub(crate) fn has_unflushed(&self) -> bool {
        self.file().unsynced()
    }

    /// Puts everything written so far on disk.
    pub(crate) fn flush(&self) -> io::Result<()> {
        self.file().sync()
    }
}

/// Writes batch `seq`'s `sending` entry and flushes it. When the line was written but the flush failed,
/// the batch will not be sent: a `not_sent` entry is tried after it, so that a resumed run sends the batch
/// instead of counting it uncertain (if that fails too, the batch stays "in flight": uncertain, never
/// resent blindly).
fn write_sending(file: &mut JournalFile, entry: &Record) -> io::Result<()> {
    file.write(entry, false)?;
    file.sync().inspect_err(|e| {
        if let Some(seq) = entry.seq() {
            let _ = file.write(&Record::NotSent { seq, error: e.to_string() }, true);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::BatchRows;
    use crate::journal::{BatchState, read};
    use crate::tally::Outcome;

    fn rows(seq: u64) -> BatchRows {
        BatchRows { first_line: seq + 2, last_line: seq + 2, records: 1, rows_hash: seq }
    }

    #[test]
    fn one_flush_covers_waiting_answers_and_the_next_batch_entry_when_it_goes_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let journal = Journal::new(
            JournalFile::create(&path, &Record::started("T", "in", crate::batch::Limits { records: 1, bytes: 4096 }))
                .unwrap(),
        );
        assert!(!journal.has_unflushed(), "the first line is on disk");
        // Nothing waits for a flush: the send task writes its own entry.
        let asked = std::cell::Cell::new(false);
        assert!(!journal.before_dispatch(&Record::sending(0, &rows(0)), || asked.replace(true)).unwrap());
        assert!(!asked.get(), "the rate is not asked when there is nothing to group");
        journal.sending(&Record::sending(0, &rows(0))).unwrap();
        assert!(!journal.has_unflushed(), "an entry is on disk before its batch is sent");
        journal.answered(0, &Sent::Settled(Outcome::Imported(Some(9)))).unwrap();
        assert!(journal.has_unflushed(), "an answer waits for its flush");
        // The next batch may not go yet: the loop flushes the answer instead.
        assert!(!journal.before_dispatch(&Record::sending(1, &rows(1)), || false).unwrap());
        assert!(journal.has_unflushed());
        // It may go at once: its entry is written now, and the flush covers the answer too.
        assert!(journal.before_dispatch(&Record::sending(1, &rows(1)), || true).unwrap());
        assert!(!journal.has_unflushed());
        let recovered = read(&path).unwrap();
        assert_eq!(recovered.batches[&0].state, BatchState::Imported(Some(9)));
        assert_eq!(recovered.batches[&1].state, BatchState::InFlight);
    }
}
