//! The import loop's side of `--reconcile`: before anything is read, the task's call details are listed
//! (and the extra details of each doubled outId cancelled, when asked); then each batch an earlier run left
//! uncertain is settled row by row from that listing, the settlement journaled, and its absent rows sent
//! again as one batch — or, when a journal already holds the settlement, settled as it says.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use acsgen::aiccs::Client;
use serde_json::{Map, Value};

use super::Import;
use crate::batch::Batch;
use crate::error::Stop;
use crate::journal::{BatchState, Record};
use crate::pace::Pace;
use crate::reconcile::{self, Listing, Settlement, UNSETTLED};
use crate::report::{DoubleReport, ReconcileReport};
use crate::tally::{Outcome, Progress, Tally};
use crate::{ImportError, ImportOptions};

/// How many call details one `CancelAiCallDetails` request names.
const CANCEL_CHUNK: usize = 100;

/// Whether reconciling settles a batch in `state`: one that may have been imported, or a reconciled one
/// whose resend may have been.
pub(super) fn reconcilable(state: &BatchState) -> bool {
    match state {
        BatchState::Reconciled { resend, .. } => resend.is_uncertain(),
        other => other.is_uncertain(),
    }
}

/// Lists the task's call details, reports the outIds it holds more than once and, with
/// `cancel_duplicates`, cancels each one's extra details (the earliest import is kept).
pub(super) async fn reconcile_task(
    client: &Client,
    options: &ImportOptions,
    pace: &Pace,
    tally: &mut Tally,
) -> Result<Listing, ImportError> {
    let listing = Listing::fetch(client, &options.task_id, pace)
        .await
        .map_err(|e| ImportError::Reconcile { what: "listing the task's call details", problem: e.to_string() })?;
    let doubles = listing.doubles();
    let extra: Vec<String> = doubles.iter().flat_map(|d| d.extra.iter().map(|e| e.detail_id.clone())).collect();
    let failed = match options.cancel_duplicates && !extra.is_empty() {
        true => Some(cancel(client, &options.task_id, &extra, pace).await?),
        false => None,
    };
    let reports = doubles
        .into_iter()
        .map(|d| {
            let cancelled =
                failed.as_ref().is_some_and(|failed| d.extra.iter().all(|e| !failed.contains(&e.detail_id)));
            DoubleReport {
                out_id: d.out_id,
                kept_detail_id: d.kept.detail_id,
                extra_detail_ids: d.extra.into_iter().map(|e| e.detail_id).collect(),
                cancelled,
            }
        })
        .collect();
    tally.doubles(reports);
    Ok(listing)
}

/// Cancels the details `ids`, [`CANCEL_CHUNK`] a request; the IDs the service could not cancel.
async fn cancel(client: &Client, task_id: &str, ids: &[String], pace: &Pace) -> Result<HashSet<String>, ImportError> {
    let mut failed = HashSet::new();
    for chunk in ids.chunks(CANCEL_CHUNK) {
        pace.wait().await;
        let answer = client.cancel_ai_call_details(task_id).detail_id_list(chunk.to_vec()).send().await;
        let answer = answer
            .map_err(|e| ImportError::Reconcile { what: "cancelling doubled details", problem: e.to_string() })?;
        let refused = answer.data.map(|d| d.failed_details).unwrap_or_default();
        failed.extend(refused.keys().cloned());
    }
    Ok(failed)
}

impl<P: FnMut(&Progress) + Send> Import<'_, P> {
    /// Settles an uncertain batch from `listing`: the settlement is journaled (on disk before anything
    /// is sent again), then applied.
    pub(super) fn reconcile(&mut self, batch: Batch, listing: &Arc<Listing>) -> Result<(), ImportError> {
        let records = match reconcile::records(&batch.encoded) {
            Ok(records) => records,
            Err(problem) => {
                let outcome = Outcome::Uncertain(format!("cannot be reconciled: {problem}"));
                return self.tally.settle(&batch.lines, outcome);
            }
        };
        let settlement = match reconcile::settle(listing, &batch.lines, &records) {
            Ok(settlement) => settlement,
            Err(problem) => {
                let outcome = Outcome::Uncertain(format!("cannot be reconciled: {problem}"));
                return self.tally.settle(&batch.lines, outcome);
            }
        };
        if let Some(Err(error)) = self.journal.as_ref().map(|j| j.reconciled(batch.seq, &settlement)) {
            self.stop(Stop::JournalBeforeSending { error });
            return Ok(());
        }
        self.reconciled(batch, Some(records), settlement, BatchState::NotSent)
    }

    /// Applies a batch's `settlement`: found rows imported (by the batch they arrived in; one the task
    /// holds differently stays uncertain), unsettled ones uncertain, absent ones as their resend stands —
    /// sent now when it never was.
    pub(super) fn reconciled(
        &mut self,
        batch: Batch,
        records: Option<Vec<Map<String, Value>>>,
        settlement: Settlement,
        resend: BatchState,
    ) -> Result<(), ImportError> {
        let mut by_batch: BTreeMap<Option<i64>, Vec<u64>> = BTreeMap::new();
        for found in &settlement.found {
            match &found.differs {
                None => by_batch.entry(found.batch_id).or_default().push(found.line),
                Some(what) => {
                    let reason = format!("its outId is in the task, but {what} than the input: not taken as imported");
                    self.tally.settle(&[found.line], Outcome::Uncertain(reason))?;
                }
            }
        }
        for (batch_id, lines) in &by_batch {
            self.tally.settle(lines, Outcome::Imported(*batch_id))?;
        }
        self.tally.settle(&settlement.unsettled, Outcome::Uncertain(UNSETTLED.into()))?;
        self.tally.reconciled(report(&batch, &settlement));
        let resend_now =
            matches!(resend, BatchState::NotSent) || (self.options.resend_uncertain && resend.is_uncertain());
        if settlement.absent.is_empty() || !resend_now {
            let outcome =
                resend.outcome(false).unwrap_or_else(|| Outcome::Uncertain("sent again after reconciling".into()));
            self.tally.settle(&settlement.absent, outcome)?;
            self.spares.give(batch.encoded);
            (self.progress)(self.tally.progress());
            return Ok(());
        }
        self.resend(batch, records, &settlement.absent)
    }

    /// Sends the rows on `absent` of `batch` again, as one batch journaled `resending`.
    fn resend(
        &mut self,
        batch: Batch,
        records: Option<Vec<Map<String, Value>>>,
        absent: &[u64],
    ) -> Result<(), ImportError> {
        let records = match records.map_or_else(|| reconcile::records(&batch.encoded), Ok) {
            Ok(records) => records,
            Err(problem) => {
                return self.tally.settle(absent, Outcome::Uncertain(format!("cannot be resent: {problem}")));
            }
        };
        let positions: Vec<usize> =
            batch.lines.iter().enumerate().filter(|(_, l)| absent.contains(l)).map(|(i, _)| i).collect();
        let encoded = reconcile::subset(&records, &positions);
        let hash = xxhash_rust::xxh3::xxh3_64(&encoded);
        self.spares.give(batch.encoded);
        let again = Batch { seq: batch.seq, lines: absent.to_vec(), encoded, hash };
        let entry = Record::resending(again.seq, &again.rows());
        match self.journal.clone() {
            Some(journal) => self.dispatch(again, entry, journal),
            None => self.tally.would_import(again.lines.len()),
        }
        Ok(())
    }
}

/// How the batch settled, for the report.
fn report(batch: &Batch, settlement: &Settlement) -> ReconcileReport {
    let mut batch_ids: Vec<i64> = settlement.found.iter().filter_map(|f| f.batch_id).collect();
    batch_ids.sort_unstable();
    batch_ids.dedup();
    let rows = batch.rows();
    ReconcileReport {
        first_line: rows.first_line,
        last_line: rows.last_line,
        records: rows.records,
        found: settlement.found.len(),
        resent: settlement.absent.len(),
        unsettled: settlement.unsettled.len(),
        batch_ids,
        differs: settlement.found.iter().filter_map(|f| Some((f.line, f.differs.clone()?))).collect(),
    }
}
