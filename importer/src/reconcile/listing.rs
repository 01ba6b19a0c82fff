//! What the task holds, as the service lists it: every call detail (`QueryAiCallDetailPage`, each status
//! in turn, a page at a time within the import's rate), by outId. Reconciling settles uncertain rows from
//! it and finds the outIds the task holds more than once.

use std::collections::{HashMap, HashSet};

use acsgen::aiccs::{CallDetail, Client};

use crate::pace::Pace;

/// Details a listing page holds.
pub(crate) const PAGE_SIZE: i32 = 100;

/// One call detail, as much of it as reconciling reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Detail {
    pub(crate) detail_id: String,
    /// The import batch it arrived in (the service gives it as text).
    pub(crate) batch_id: Option<i64>,
    pub(crate) imported_ms: i64,
    pub(crate) number: String,
    /// The call variables, as the JSON object text the service gives.
    pub(crate) options: Option<String>,
}

/// The task's details by outId (details without one are counted, not kept).
#[derive(Debug, Default)]
pub(crate) struct Listing {
    by_out_id: HashMap<String, Vec<Detail>>,
    /// Requests the listing took.
    pub(crate) calls: u64,
}

/// An outId the task holds more than once: the earliest detail (kept) and the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Double {
    pub(crate) out_id: String,
    pub(crate) kept: Detail,
    pub(crate) extra: Vec<Detail>,
}

impl Listing {
    /// Lists every detail of `task_id`, whatever its status, each request in its turn of `pace`.
    pub(crate) async fn fetch(client: &Client, task_id: &str, pace: &Pace) -> Result<Self, acsgen::Error> {
        let mut listing = Listing::default();
        let mut seen = HashSet::new();
        for status in 0..=2 {
            for page_no in 1.. {
                pace.wait().await;
                let call = client.query_ai_call_detail_page(task_id, status).page_no(page_no).page_size(PAGE_SIZE);
                let answer = call.send().await?;
                listing.calls += 1;
                let (list, total) = answer.data.map_or((Vec::new(), None), |page| (page.list, page.total));
                let count = list.len();
                // A detail whose status changed between pages may be listed twice.
                for detail in list.into_iter().filter(|d| d.detail_id.as_ref().is_none_or(|id| seen.insert(id.clone())))
                {
                    listing.add(detail);
                }
                let listed = i64::from(page_no) * i64::from(PAGE_SIZE);
                if count < PAGE_SIZE as usize || total.is_some_and(|total| listed >= total) {
                    break;
                }
            }
        }
        Ok(listing)
    }

    fn add(&mut self, detail: CallDetail) {
        let Some(out_id) = detail.out_id.filter(|o| !o.is_empty()) else { return };
        let entry = Detail {
            detail_id: detail.detail_id.unwrap_or_default(),
            batch_id: detail.batch_id.and_then(|b| b.parse().ok()),
            imported_ms: detail.imported_time.unwrap_or_default(),
            number: detail.called_number.unwrap_or_default(),
            options: detail.options,
        };
        self.by_out_id.entry(out_id).or_default().push(entry);
    }

    /// The details of `out_id`, earliest import first.
    pub(crate) fn of(&self, out_id: &str) -> &[Detail] {
        self.by_out_id.get(out_id).map(Vec::as_slice).unwrap_or_default()
    }

    /// Every outId held more than once, in outId order; the earliest import (then the smallest detail ID)
    /// is the one kept.
    pub(crate) fn doubles(&self) -> Vec<Double> {
        let mut doubles: Vec<Double> = self
            .by_out_id
            .iter()
            .filter(|(_, details)| details.len() > 1)
            .map(|(out_id, details)| {
                let mut sorted = details.clone();
                sorted.sort_by(|a, b| {
                    (a.imported_ms, id_order(&a.detail_id)).cmp(&(b.imported_ms, id_order(&b.detail_id)))
                });
                let kept = sorted.remove(0);
                Double { out_id: out_id.clone(), kept, extra: sorted }
            })
            .collect();
        doubles.sort_by(|a, b| a.out_id.cmp(&b.out_id));
        doubles
    }

    /// A listing of these details, for tests.
    #[cfg(test)]
    pub(crate) fn of_details(details: Vec<(&str, Detail)>) -> Self {
        let mut listing = Listing::default();
        for (out_id, detail) in details {
            listing.by_out_id.entry(out_id.to_owned()).or_default().push(detail);
        }
        listing
    }
}

/// Detail IDs compare as numbers when they are (the service's are), else as text after them.
fn id_order(id: &str) -> (u8, u128, &str) {
    match id.parse::<u128>() {
        Ok(n) => (0, n, ""),
        Err(_) => (1, 0, id),
    }
}
