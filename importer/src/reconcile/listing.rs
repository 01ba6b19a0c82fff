//! What the task holds, as the service lists it: every call detail (`QueryAiCallDetailPage`, each status
//! in turn, a page at a time within the import's rate), by outId. Reconciling settles uncertain rows from
//! it and finds the outIds the task holds more than once.

use std::collections::{HashMap, HashSet};

use acsgen::aiccs::{CallDetail, Client};

use crate::pace::Pace;

/// Details a listing page asks for (the service may give fewer: pages are read until one is empty or the
/// stated total is reached).
pub(crate) const PAGE_SIZE: i32 = 100;

/// How many times a status is listed before a listing that does not add up is refused.
pub(crate) const TRIES: u32 = 3;

/// Why the task's details could not be listed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ListingError {
    /// A request failed.
    #[error("{0}")]
    Service(acsgen::Error),
    /// The pages never added up to the stated total.
    #[error("the details of status {status} came to {listed} of the {total} the service stated, {TRIES} times")]
    Incomplete { status: i32, listed: usize, total: i64 },
}

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
    /// Lists every detail of `task_id`, whatever its status, each request in its turn of `pace`. A status
    /// whose pages do not add up to the total the service states (details moving between statuses while
    /// they are listed) is listed again, up to [`TRIES`] times, then refused: settling from a listing
    /// that misses details would send their rows again.
    pub(crate) async fn fetch(client: &Client, task_id: &str, pace: &Pace) -> Result<Self, ListingError> {
        let mut listing = Listing::default();
        let mut seen = HashSet::new();
        for status in 0..=2 {
            let mut tries = 0;
            let details = loop {
                let (details, total) = listing.status(client, task_id, status, pace).await?;
                match total {
                    Some(total) if details.len() as i64 != total => {
                        tries += 1;
                        if tries == TRIES {
                            return Err(ListingError::Incomplete { status, listed: details.len(), total });
                        }
                    }
                    _ => break details,
                }
            };
            for detail in details.into_iter().filter(|d| d.detail_id.as_ref().is_none_or(|id| seen.insert(id.clone())))
            {
                listing.add(detail);
            }
        }
        Ok(listing)
    }

    /// The details of one status, page by page until an empty page, a page of nothing new, or the stated
    /// total; and that total.
    async fn status(
        &mut self,
        client: &Client,
        task_id: &str,
        status: i32,
        pace: &Pace,
    ) -> Result<(Vec<CallDetail>, Option<i64>), ListingError> {
        let (mut details, mut total) = (Vec::new(), None);
        let mut ids = HashSet::new();
        for page_no in 1.. {
            pace.wait().await;
            let call = client.query_ai_call_detail_page(task_id, status).page_no(page_no).page_size(PAGE_SIZE);
            let answer = call.send().await.map_err(ListingError::Service)?;
            self.calls += 1;
            let (list, stated) = answer.data.map_or((Vec::new(), None), |page| (page.list, page.total));
            total = stated.or(total);
            if list.is_empty() {
                break;
            }
            // By detail ID: a page that shifted under a change of status repeats some.
            let before = details.len();
            details.extend(list.into_iter().filter(|d| d.detail_id.as_ref().is_none_or(|id| ids.insert(id.clone()))));
            // A page of nothing new (a service that ignores the page number) ends the walk, not loops it.
            if details.len() == before || total.is_some_and(|total| details.len() as i64 >= total) {
                break;
            }
        }
        Ok((details, total))
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
