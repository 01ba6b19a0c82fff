//! A task's call details — one per stored record, created at import — as `QueryAiCallDetailPage` finds
//! them (by status, batch, outId, number, import time or ID, a page at a time) and `CancelAiCallDetails`
//! cancels them (by ID, or by batch and number). Records are parsed only where a filter or a page needs
//! them: listing a task of a million records reads each once.
//!
//! Nobody is called here: a detail is `0` (initialised) until its task starts and `1` (waiting for a call)
//! after, so it is always "pending" (`Status=0`), and a filter on how a call went finds nothing.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::{Batch, Outcome, Store, Task, missing, no_task};

/// What a query asks for; every filter given must match.
struct Filter {
    status: i64,
    batch_id: Option<String>,
    out_id: Option<String>,
    number: Option<String>,
    imported: (Option<i64>, Option<i64>),
    detail_ids: Option<HashSet<i64>>,
    /// A filter on how a call went (time, result, intent, duration): no detail has been called.
    on_calls: bool,
}

type Get<'g, 'p> = &'g dyn Fn(&str) -> Option<&'p str>;

fn invalid(message: String) -> Outcome {
    Outcome::Error(400, "InvalidParameter", message)
}

/// An optional integer parameter.
fn integer(get: Get<'_, '_>, name: &str) -> Result<Option<i64>, Outcome> {
    match get(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| invalid(format!("{name} must be an integer."))),
    }
}

impl Filter {
    fn read(get: Get<'_, '_>) -> Result<Self, Outcome> {
        let status = integer(get, "Status")?.ok_or_else(|| missing("Status"))?;
        if !(0..=2).contains(&status) {
            return Err(invalid("Status must be 0 (pending), 1 (completed) or 2 (failed).".into()));
        }
        let text = |name: &str| get(name).filter(|v| !v.is_empty()).map(str::to_owned);
        let detail_ids = match text("DetailIds") {
            None => None,
            Some(list) => Some(
                serde_json::from_str::<HashSet<i64>>(&list)
                    .map_err(|_| invalid("DetailIds must be a JSON array of integers.".into()))?,
            ),
        };
        let on_calls = ["StartCallingTime", "EndCallingTime", "CallResult", "MajorIntent"]
            .iter()
            .chain(&["MinConversationDuration", "MaxConversationDuration"])
            .any(|name| text(name).is_some());
        Ok(Filter {
            status,
            batch_id: text("BatchId"),
            out_id: text("OutId"),
            number: text("CalledNumber"),
            imported: (integer(get, "StartImportedTime")?, integer(get, "EndImportedTime")?),
            detail_ids,
            on_calls,
        })
    }

    /// Whether the detail `detail_id` of `batch`, whose record is `raw` (compact JSON, parsed only when a
    /// filter reads it), matches.
    fn matches(&self, batch: &Batch, detail_id: i64, raw: &str) -> bool {
        let (from, to) = self.imported;
        let cheap = self.status == 0
            && !self.on_calls
            && self.batch_id.as_ref().is_none_or(|b| *b == batch.id.to_string())
            && from.is_none_or(|t| batch.imported_ms >= t)
            && to.is_none_or(|t| batch.imported_ms <= t)
            && self.detail_ids.as_ref().is_none_or(|ids| ids.contains(&detail_id));
        if !cheap || (self.out_id.is_none() && self.number.is_none()) {
            return cheap;
        }
        let record = parsed(raw);
        let text = |key: &str| record.get(key).and_then(Value::as_str);
        self.out_id.as_deref().is_none_or(|o| text("outId") == Some(o))
            && self.number.as_deref().is_none_or(|n| text("calleeNumber") == Some(n))
    }
}

/// A stored record (compact JSON the store wrote).
fn parsed(raw: &str) -> Map<String, Value> {
    serde_json::from_str(raw).unwrap_or_default()
}

/// A detail as the service lists it.
fn detail(task_id: &str, task: &Task, batch: &Batch, detail_id: i64, raw: &str) -> Value {
    let record = parsed(raw);
    let options: Map<String, Value> = record
        .iter()
        .filter(|(k, _)| *k != "calleeNumber" && *k != "outId")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut detail = json!({
        "DetailId": detail_id.to_string(),
        "TaskId": task_id,
        "BatchId": batch.id.to_string(),
        "CalledNumber": record.get("calleeNumber").cloned().unwrap_or(Value::Null),
        "ImportedTime": batch.imported_ms,
        "Status": i32::from(task.started),
        "Options": Value::Object(options).to_string(),
        "EncryptionType": 0,
    });
    if let Some(out_id) = record.get("outId") {
        detail["OutId"] = out_id.clone();
    }
    detail
}

/// A whole number of at least 1, or `default` when absent.
/// A whole number from 1 to the int32 maximum (what the spec's `PageNo` and `PageSize` are), or `default`
/// when absent.
fn at_least_one(get: Get<'_, '_>, name: &str, default: i64) -> Result<usize, Outcome> {
    match integer(get, name)? {
        None => Ok(default as usize),
        Some(n) if (1..=i64::from(i32::MAX)).contains(&n) => Ok(n as usize),
        Some(_) => Err(invalid(format!("{name} must be from 1 to {}.", i32::MAX))),
    }
}

impl Store {
    /// `QueryAiCallDetailPage`.
    pub(super) fn detail_page(&self, get: Get<'_, '_>) -> Outcome {
        let Some(task_id) = get("TaskId").filter(|t| !t.is_empty()) else { return missing("TaskId") };
        let page = (Filter::read(get), at_least_one(get, "PageNo", 1), at_least_one(get, "PageSize", 10));
        let (filter, page_no, page_size) = match page {
            (Ok(filter), Ok(no), Ok(size)) => (filter, no, size),
            (Err(refusal), ..) | (_, Err(refusal), _) | (.., Err(refusal)) => return refusal,
        };
        let inner = self.lock();
        let Some(task) = inner.tasks.get(task_id) else { return no_task(task_id) };
        let skip = (page_no - 1).saturating_mul(page_size);
        let (mut list, mut total) = (Vec::new(), 0usize);
        // By outId, through the task's index: a lookup per record stays cheap however big the task.
        let details: Box<dyn Iterator<Item = _>> = match &filter.out_id {
            Some(out_id) => Box::new(task.with_out_id(out_id)),
            None => Box::new(task.details()),
        };
        for (batch, detail_id, raw) in details {
            if task.cancelled.contains(&detail_id) || !filter.matches(batch, detail_id, raw) {
                continue;
            }
            if total >= skip && list.len() < page_size {
                list.push(detail(task_id, task, batch, detail_id, raw));
            }
            total += 1;
        }
        Outcome::Data(json!({"List": list, "PageNo": page_no, "PageSize": page_size, "Total": total}))
    }

    /// `CancelAiCallDetails`: by `DetailIdList`, or by `BatchId` (and `PhoneNumbers`).
    pub(super) fn cancel_details(&self, get: Get<'_, '_>) -> Outcome {
        let Some(task_id) = get("TaskId").filter(|t| !t.is_empty()) else { return missing("TaskId") };
        let list = |name: &str| match get(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(text) => serde_json::from_str::<Vec<String>>(text)
                .map(Some)
                .map_err(|_| invalid(format!("{name} must be a JSON array of strings."))),
        };
        let (ids, numbers) = match (list("DetailIdList"), list("PhoneNumbers")) {
            (Ok(ids), Ok(numbers)) => (ids, numbers),
            (Err(refusal), _) | (_, Err(refusal)) => return refusal,
        };
        let batch = get("BatchId").filter(|b| !b.is_empty());
        if ids.is_none() && batch.is_none() {
            return missing("DetailIdList");
        }
        let mut inner = self.lock();
        let Some(task) = inner.tasks.get_mut(task_id) else { return no_task(task_id) };
        let wanted: Vec<(String, Option<i64>)> = match &ids {
            Some(ids) => {
                let mut seen = HashSet::new();
                ids.iter().filter(|id| seen.insert(id.as_str())).map(|id| (id.clone(), task.live_detail(id))).collect()
            }
            None => task
                .details()
                .filter(|(b, id, raw)| {
                    Some(b.id.to_string().as_str()) == batch
                        && !task.cancelled.contains(id)
                        && numbers.as_ref().is_none_or(|n| {
                            let record = parsed(raw);
                            record.get("calleeNumber").and_then(Value::as_str).is_some_and(|c| n.iter().any(|x| x == c))
                        })
                })
                .map(|(_, id, _)| (id.to_string(), Some(id)))
                .collect(),
        };
        let mut failed = Map::new();
        for (shown, id) in &wanted {
            match id {
                Some(id) => _ = task.cancelled.insert(*id),
                None => _ = failed.insert(shown.clone(), "The detail does not exist or is cancelled already.".into()),
            }
        }
        let succeeded = wanted.len() - failed.len();
        Outcome::Data(json!({"TotalCount": wanted.len(), "SucceedCount": succeeded, "FailedCount": failed.len(),
                             "FailedDetails": failed, "ResultCode": "OK"}))
    }
}

impl Task {
    /// Every detail in import order: its batch, ID and record (as stored: compact JSON).
    fn details(&self) -> impl Iterator<Item = (&Batch, i64, &str)> {
        self.batches
            .iter()
            .flat_map(|batch| (batch.first_detail..).zip(&batch.records).map(move |(id, r)| (batch, id, &**r)))
    }

    /// The detail `id`: its batch and record.
    fn detail(&self, id: i64) -> Option<(&Batch, i64, &str)> {
        // Batches hold consecutive detail IDs, in import order.
        let at = self.batches.partition_point(|b| b.first_detail <= id).checked_sub(1)?;
        let batch = &self.batches[at];
        let record = batch.records.get(usize::try_from(id - batch.first_detail).ok()?)?;
        Some((batch, id, record))
    }

    /// The details whose record has this `outId`, in import order.
    fn with_out_id<'t>(&'t self, out_id: &str) -> impl Iterator<Item = (&'t Batch, i64, &'t str)> + 't {
        let ids = self.by_out_id.get(out_id).map(Vec::as_slice).unwrap_or_default();
        ids.iter().filter_map(|id| self.detail(*id))
    }

    /// The detail `id` (as text), when the task holds it and it is not cancelled.
    fn live_detail(&self, id: &str) -> Option<i64> {
        let id: i64 = id.parse().ok()?;
        self.detail(id).filter(|_| !self.cancelled.contains(&id)).map(|_| id)
    }
}
