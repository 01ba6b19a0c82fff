//! Settling "uncertain" from the service's own records (`--reconcile`): every record imported into a task
//! becomes a call detail of it, and the task's details, listed by outId ([`Listing`]), say for each row of
//! a batch that got no answer whether it was imported — **found** (with the batch it arrived in, and what
//! differs from the input, if anything), **absent** (to be sent again), or **unsettled** (no outId to look
//! it up by: it stays uncertain). The same listing shows the outIds the task holds more than once (a
//! past blind resend): [`Listing::doubles`].
//!
//! Everything here is plain data in, data out: the import loop journals each [`Settlement`] before it
//! sends any absent row again, so an interrupted reconcile resumes.

mod listing;

use acsgen::encode::{EncodedForm, form_encode_into};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub(crate) use listing::{Detail, Listing};

/// A row whose outId the task holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Found {
    /// The row's input line.
    pub(crate) line: u64,
    /// The batch it arrived in (its earliest import, when there are several).
    pub(crate) batch_id: Option<i64>,
    /// What the task holds differently from the input (the number, the call variables): then the row is
    /// not taken as imported — something else holds its outId — and stays uncertain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) differs: Option<String>,
}

/// How reconciling settled one uncertain batch, row by row (by input line).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Settlement {
    /// Rows whose outId the task holds.
    pub(crate) found: Vec<Found>,
    /// Rows whose outId the task does not hold: to be sent again.
    pub(crate) absent: Vec<u64>,
    /// Rows without an outId: they stay uncertain.
    pub(crate) unsettled: Vec<u64>,
}

/// Why an unsettled row stays uncertain.
pub(crate) const UNSETTLED: &str =
    "no outId: the service's records cannot tell whether this row was imported (reconcile needs an outId)";

/// A batch's records, in order, from its wire form (`PhoneNumberList=` and the form-encoded JSON array).
pub(crate) fn records(encoded: &[u8]) -> Result<Vec<Map<String, Value>>, String> {
    let pairs = EncodedForm::new(encoded.to_vec()).decoded();
    let array = match pairs.as_slice() {
        [(name, array)] if name == "PhoneNumberList" => array,
        _ => return Err("a batch body that is not PhoneNumberList alone".into()),
    };
    serde_json::from_str(array).map_err(|e| format!("a batch body that is not an array of records: {e}"))
}

/// Settles the rows on `lines` (whose records are `records`, as many) from what `listing` says the task
/// holds.
pub(crate) fn settle(listing: &Listing, lines: &[u64], records: &[Map<String, Value>]) -> Result<Settlement, String> {
    if lines.len() != records.len() {
        return Err(format!("the batch has {} lines and {} records", lines.len(), records.len()));
    }
    let mut settlement = Settlement::default();
    for (&line, record) in lines.iter().zip(records) {
        let Some(out_id) = record.get("outId").and_then(Value::as_str).filter(|o| !o.is_empty()) else {
            settlement.unsettled.push(line);
            continue;
        };
        let earliest =
            listing.of(out_id).iter().min_by_key(|d| (d.imported_ms, d.detail_id.len(), d.detail_id.clone()));
        match earliest {
            None => settlement.absent.push(line),
            Some(detail) => {
                let differs = differences(record, detail);
                settlement.found.push(Found { line, batch_id: detail.batch_id, differs });
            }
        }
    }
    Ok(settlement)
}

/// What `detail` holds differently from `record`: its number, its call variables.
fn differences(record: &Map<String, Value>, detail: &Detail) -> Option<String> {
    let mut what = Vec::new();
    if record.get("calleeNumber").and_then(Value::as_str) != Some(detail.number.as_str()) {
        what.push("calleeNumber");
    }
    let variables: Map<String, Value> = record
        .iter()
        .filter(|(k, _)| *k != "calleeNumber" && *k != "outId")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let held = detail.options.as_deref().map_or(Ok(Map::new()), serde_json::from_str::<Map<String, Value>>);
    if held.ok().as_ref() != Some(&variables) {
        what.push("call variables");
    }
    (!what.is_empty()).then(|| format!("the task holds other {}", what.join(" and ")))
}

/// The wire form of the records at `positions`: what sending some of a batch's rows again sends. (Each
/// record's members come out in serde_json's order, sorted; the service reads them by name.)
pub(crate) fn subset(records: &[Map<String, Value>], positions: &[usize]) -> Vec<u8> {
    let chosen: Vec<&Map<String, Value>> = positions.iter().filter_map(|&i| records.get(i)).collect();
    let mut out = b"PhoneNumberList=".to_vec();
    form_encode_into(&mut out, &serde_json::to_string(&chosen).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests;
