//! The importing side: takes what the reading side hands over, sends batches within the rate and the
//! concurrency, journals them, and settles every outcome. [`run`] opens the journal and turns the loop;
//! each turn does one of three things:
//!
//! - [`Import::answered`]: a send task finished; its batch is settled (or the run stops);
//! - [`Import::take`]: the reader handed over a rejected row, a batch, or a reason to stop reading (the
//!   batches already handed over are still sent);
//! - [`Import::flush`]: answers wait for the disk and nothing else is ready.
//!
//! A batch is settled from an earlier run's journal, counted by a dry run, or dispatched to a send task
//! ([`Import::batch`], [`Import::dispatch`]), which waits for its turn in the rate, journals it, sends it and
//! journals the answer ([`send_batch`]). Reconciling, an uncertain batch is settled row by row from the
//! task's call details instead, and its absent rows are sent again ([`reconciling`]).

mod reconciling;

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use acsgen::aiccs::Client;
use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinSet};

use crate::batch::{Batch, Item};
use crate::error::Stop;
use crate::journal::{self, BatchState, Journal, JournalBatch, JournalFile, Record};
use crate::pace::Pace;
use crate::reconcile::Listing;
use crate::send::{Sent, send};
use crate::tally::{Progress, Tally};
use crate::wire::Spares;
use crate::{ImportError, ImportOptions, Summary};
use reconciling::{reconcilable, reconcile_task};

/// What a send task gives back: the batch's lines, how its request ended (`None`: the run stopped before
/// the batch's turn came, and it was neither journaled nor sent), and whether its answer could not be
/// journaled.
struct Done {
    lines: Vec<u64>,
    sent: Option<Sent>,
    unjournaled: Option<io::Error>,
}

/// The importing side's state.
struct Import<'a, P> {
    client: &'a Client,
    options: &'a ImportOptions,
    /// None for a dry run.
    journal: Option<Journal>,
    /// What an earlier run's journal recorded, by batch number (empty unless resuming).
    earlier: HashMap<u64, JournalBatch>,
    /// The task's call details, when reconciling.
    listing: Option<Arc<Listing>>,
    /// The number of the batch after the last one read.
    next_seq: u64,
    tally: Tally,
    pace: Arc<Pace>,
    spares: Spares,
    in_flight: JoinSet<Done>,
    /// Why the run stops (the first cause).
    stopped: Option<Stop>,
    /// Set with `stopped`, for send tasks still waiting for their turn.
    stopping: Arc<AtomicBool>,
    progress: P,
}

/// Imports what `items` brings, then writes the report.
pub(crate) async fn run(
    client: &Client,
    options: &ImportOptions,
    items: mpsc::Receiver<Item>,
    spares: Spares,
    progress: impl FnMut(&Progress) + Send,
) -> Result<Summary, ImportError> {
    check_paths(options)?;
    // The report's spool first: a report that cannot be written refuses the run before a journal exists
    // (one left behind would hold up the next run).
    let mut tally = Tally::new(&options.task_id, options.dry_run, &options.report)?;
    let pace = Arc::new(Pace::new(options.rate));
    let (journal, earlier) = match options.dry_run {
        true => (None, HashMap::new()),
        false => open_journal(options).inspect_err(|_| tally.discard())?,
    };
    // Only once the journal is known to be this import's: the task's details are read (and doubles
    // cancelled) before anything of it is settled.
    let listing = match options.reconcile {
        true => {
            Some(Arc::new(reconcile_task(client, options, &pace, &mut tally).await.inspect_err(|_| tally.discard())?))
        }
        false => None,
    };
    let mut import = Import {
        client,
        options,
        journal,
        earlier,
        listing,
        next_seq: 0,
        tally,
        pace,
        spares,
        in_flight: JoinSet::new(),
        stopped: None,
        stopping: Arc::new(AtomicBool::new(false)),
        progress,
    };
    import.drive(items).await?;
    import.finish()
}

/// Refuses, before anything is read or sent, a report or journal path that names a directory: the report
/// is written last, and every row would have been imported for nothing to show.
fn check_paths(options: &ImportOptions) -> Result<(), ImportError> {
    let directory = || io::Error::new(io::ErrorKind::IsADirectory, "a directory, not a file");
    if options.report.is_dir() {
        return Err(ImportError::Report { path: options.report.clone(), source: directory() });
    }
    if !options.dry_run && options.journal.is_dir() {
        return Err(ImportError::Journal { path: options.journal.clone(), source: directory() });
    }
    Ok(())
}

/// The journal to write, and what an earlier run recorded.
fn open_journal(options: &ImportOptions) -> Result<(Option<Journal>, HashMap<u64, JournalBatch>), ImportError> {
    let path = &options.journal;
    if options.resume {
        if !path.exists() {
            return Err(ImportError::NoJournal { path: path.clone() });
        }
        let recovered = journal::read(path)?;
        if recovered.task_id != options.task_id || recovered.limits != options.limits() {
            let (task_id, batch_size, max_batch_bytes) =
                (recovered.task_id, recovered.limits.records, recovered.limits.bytes);
            return Err(ImportError::OtherImport { path: path.clone(), task_id, batch_size, max_batch_bytes });
        }
        let file = JournalFile::append(path, recovered.end)?;
        return Ok((Some(Journal::new(file)), recovered.batches));
    }
    if path.exists() {
        // Whose journal it is, from its first line: one of this task, or a file that is not a journal (or
        // cannot be read), stops the run unless starting over was asked for; another task's is kept
        // beside the new one.
        match journal::task_of(path) {
            Ok(task_id) if task_id == options.task_id && !options.start_over => {
                return Err(ImportError::EarlierImport { path: path.clone(), task_id });
            }
            Err(error) if !options.start_over => return Err(error),
            _ => set_aside(path)?,
        }
    }
    let started = Record::started(&options.task_id, &options.input_label, options.limits());
    Ok((Some(Journal::new(JournalFile::create(path, &started)?)), HashMap::new()))
}

/// Renames the journal at `path` to `.journal.old` (or `.journal.old.1`, `.2`, … when taken).
fn set_aside(path: &std::path::Path) -> Result<(), ImportError> {
    let free =
        (0..)
            .map(|n| {
                if n == 0 {
                    path.with_extension("journal.old")
                } else {
                    path.with_extension(format!("journal.old.{n}"))
                }
            })
            .find(|candidate| !candidate.exists())
            .unwrap_or_else(|| path.with_extension("journal.old"));
    std::fs::rename(path, free).map_err(|source| ImportError::Journal { path: path.to_owned(), source })
}

impl<P: FnMut(&Progress) + Send> Import<'_, P> {
    /// The loop: until reading has ended, every batch is answered and every answer is on disk.
    async fn drive(&mut self, mut items: mpsc::Receiver<Item>) -> Result<(), ImportError> {
        let mut reading = true;
        while reading || !self.in_flight.is_empty() || self.unflushed() {
            let room = self.stopped.is_none() && self.in_flight.len() < self.options.concurrency;
            tokio::select! {
                biased;
                Some(done) = self.in_flight.join_next(), if !self.in_flight.is_empty() => self.answered(done)?,
                item = items.recv(), if reading && room => match item {
                    Some(item) => self.take(item)?,
                    None => {
                        reading = false;
                        self.input_ended();
                    }
                },
                // Before the loop waits for anything, answers go to disk.
                () = std::future::ready(()), if self.unflushed() => self.flush(),
                else => break,
            }
            reading &= self.stopped.is_none();
        }
        Ok(())
    }

    /// A send task finished: its batch is settled, and the run stops if its answer says so.
    fn answered(&mut self, done: Result<Done, JoinError>) -> Result<(), ImportError> {
        // A send task only ends by returning or panicking (tasks are aborted only when the import is dropped).
        let done = done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        match done.sent {
            Some(Sent::Settled(outcome)) => self.tally.settle(&done.lines, outcome)?,
            Some(Sent::Stopped(reason)) => self.stop(reason),
            None => {}
        }
        if let Some(error) = done.unjournaled {
            self.stop(Stop::JournalAfterAnswer { error });
        }
        (self.progress)(self.tally.progress());
        Ok(())
    }

    /// An item from the reading side.
    fn take(&mut self, item: Item) -> Result<(), ImportError> {
        match item {
            Item::Rejected(row) => {
                self.tally.read(1);
                self.tally.reject(row)
            }
            Item::Batch(batch) => self.batch(batch),
            Item::Stop(reason) => {
                self.stop_reading(reason);
                Ok(())
            }
        }
    }

    /// The input ended. Resuming, it must have reached every batch the journal records: a shorter input
    /// would leave the rest of them unsettled, reported as if the import had finished.
    fn input_ended(&mut self) {
        let missing = self.earlier.iter().filter(|(seq, _)| **seq >= self.next_seq).min_by_key(|(seq, _)| **seq);
        if let Some((&seq, earlier)) = missing {
            self.stop_reading(Stop::InputEnded { seq, journaled: earlier.rows });
        }
    }

    /// A batch: settled already by an earlier run, counted by a dry run, or sent.
    fn batch(&mut self, batch: Batch) -> Result<(), ImportError> {
        self.tally.read(batch.lines.len());
        self.next_seq = batch.seq + 1;
        let rows = batch.rows();
        if let Some(earlier) = self.earlier.get(&batch.seq) {
            if earlier.rows != rows {
                self.stop(Stop::InputChanged { seq: batch.seq, journaled: earlier.rows, now: rows });
                return Ok(());
            }
            let state = earlier.state.clone();
            if let Some(listing) = self.listing.clone().filter(|_| reconcilable(&state)) {
                return self.reconcile(batch, &listing);
            }
            if let BatchState::Reconciled { settlement, resend } = state {
                return self.reconciled(batch, None, settlement, *resend);
            }
            if let Some(outcome) = state.outcome(self.options.resend_uncertain) {
                self.tally.settle(&batch.lines, outcome)?;
                self.spares.give(batch.encoded);
                (self.progress)(self.tally.progress());
                return Ok(());
            }
        }
        match self.journal.clone() {
            Some(journal) => {
                let entry = Record::sending(batch.seq, &rows);
                self.dispatch(batch, entry, journal);
            }
            None => {
                self.tally.would_import(batch.lines.len());
                self.spares.give(batch.encoded);
            }
        }
        Ok(())
    }

    /// Hands `batch` to a send task (its entry journaled here when one flush can cover it and the answers
    /// waiting: see [`Journal::before_dispatch`]).
    fn dispatch(&mut self, batch: Batch, entry: Record, journal: Journal) {
        let pace = self.pace.clone();
        let journaled = match journal.before_dispatch(&entry, || pace.try_now()) {
            Ok(journaled) => journaled,
            Err(error) => return self.stop(Stop::JournalBeforeSending { error }),
        };
        let task = Task {
            client: self.client.clone(),
            task_id: self.options.task_id.clone(),
            rounds: self.options.safe_retry_rounds,
            spares: self.spares.clone(),
            journal,
            pace,
            stopping: self.stopping.clone(),
        };
        self.in_flight.spawn(send_batch(task, batch, entry, journaled));
    }

    fn unflushed(&self) -> bool {
        self.journal.as_ref().is_some_and(Journal::has_unflushed)
    }

    fn flush(&mut self) {
        if let Some(Err(error)) = self.journal.as_ref().map(Journal::flush) {
            self.stop(Stop::JournalAfterAnswer { error });
        }
    }

    /// Stops the run: nothing more is read, and batches still waiting for their turn are not sent.
    fn stop(&mut self, reason: Stop) {
        self.stopped.get_or_insert(reason);
        self.stopping.store(true, Ordering::Relaxed);
    }

    /// The reading side cannot go on: nothing more is read, but the batches it formed before are sent in
    /// their turn, as the reason says.
    fn stop_reading(&mut self, reason: Stop) {
        self.stopped.get_or_insert(reason);
    }

    /// Writes the report; the summary, or why the run stopped with it.
    fn finish(mut self) -> Result<Summary, ImportError> {
        let progress = *self.tally.progress();
        let summary = self.tally.finish(&self.options.report)?;
        (self.progress)(&progress);
        match self.stopped {
            Some(reason) => Err(ImportError::Stopped { reason: Box::new(reason), summary: Box::new(summary) }),
            None => Ok(summary),
        }
    }
}

/// What a send task needs.
struct Task {
    client: Client,
    task_id: String,
    rounds: u32,
    spares: Spares,
    journal: Journal,
    pace: Arc<Pace>,
    stopping: Arc<AtomicBool>,
}

/// Sends one batch in its turn — unless the run has stopped by then: journaled (`entry`: `sending`, or
/// `resending` for a reconciled batch's absent rows) before it goes (unless the loop did it, `journaled`),
/// its answer journaled after (flushed by the loop, or by the next batch's
/// entry).
async fn send_batch(task: Task, batch: Batch, entry: Record, journaled: bool) -> Done {
    let Batch { seq, lines, encoded, .. } = batch;
    if !journaled {
        task.pace.wait().await;
        if task.stopping.load(Ordering::Relaxed) {
            task.spares.give(encoded);
            return Done { lines, sent: None, unjournaled: None };
        }
        if let Err(error) = task.journal.sending(&entry) {
            let sent = Some(Sent::Stopped(Stop::JournalBeforeSending { error }));
            return Done { lines, sent, unjournaled: None };
        }
    }
    let sent = send(&task.client, &task.task_id, encoded, task.rounds, &task.spares).await;
    let unjournaled = task.journal.answered(seq, &sent).err();
    Done { lines, sent: Some(sent), unjournaled }
}
