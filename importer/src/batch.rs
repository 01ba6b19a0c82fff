//! Rows into batches: each row is checked, encoded once into its batch's wire form, and handed over with
//! the rejections.
//!
//! **The rule.** Take the rows in the order they arrive. A row is *rejected*, with its reason, when it
//! could not be read, has no calleeNumber, has a calleeNumber or outId with a control character, an outId
//! of more than 128 characters or a call variable named like a field, is too big to fit a batch's byte
//! limit even alone, or repeats the outId of an earlier row that was not rejected. Every other row joins
//! the batch being built — unless it would take the batch's request body over the byte limit: then that
//! batch is handed over first, and the row starts the next. A batch is handed over once it holds the most
//! records a batch may (and, when the rows end, with what it holds). A rejection is handed over when its
//! row is read; a batch when its last row is, or when the row that does not fit is. So the same input and
//! limits always give the same batches — which is how a resumed run recognises them.
//!
//! That is exactly what comes out, whatever the speed tricks inside: the property test
//! `settling_repeats_a_batch_at_a_time_agrees_with_checking_each_row` holds the [`Batcher`] to `model`,
//! this rule written plainly one row at a time, over random rows, limits and line numbers.

use std::collections::VecDeque;
use std::ops::Range;
use std::path::PathBuf;

use acsgen::aiccs::CalleeRecord;
use acsgen::encode::form_encode_into;

use crate::dedup::{self, SeenIds};
use crate::error::{BatchRows, Stop};
use crate::source::{self, ReadError};
use crate::wire::{SpareBuffers, Spares};
use crate::{MAX_OUT_ID, RejectedRow};

/// What the batcher needs from a record, whatever it came from.
pub(crate) trait Record {
    fn callee_number(&self) -> &str;
    fn out_id(&self) -> Option<&str>;
    /// A call variable that reuses a field's name, if any.
    fn reserved_variable(&self) -> Option<&str>;
    /// Appends the record's JSON, form-encoded (the batch is built in its wire form).
    fn write_form_encoded_json(&self, out: &mut Vec<u8>) -> Result<(), String>;
}

impl Record for CalleeRecord {
    fn callee_number(&self) -> &str {
        &self.callee_number
    }
    fn out_id(&self) -> Option<&str> {
        self.out_id.as_deref()
    }
    fn reserved_variable(&self) -> Option<&str> {
        self.variables.keys().find(|k| *k == "calleeNumber" || *k == "outId").map(String::as_str)
    }
    fn write_form_encoded_json(&self, out: &mut Vec<u8>) -> Result<(), String> {
        // The generated type's own serializer: the same bytes the typed client would send.
        let json = serde_json::to_string(self).map_err(|e| format!("cannot encode the record: {e}"))?;
        form_encode_into(out, &json);
        Ok(())
    }
}

impl Record for source::CsvView<'_> {
    fn callee_number(&self) -> &str {
        source::CsvView::callee_number(self)
    }
    fn out_id(&self) -> Option<&str> {
        source::CsvView::out_id(self)
    }
    fn reserved_variable(&self) -> Option<&str> {
        None // calleeNumber and outId columns are the fields themselves
    }
    fn write_form_encoded_json(&self, out: &mut Vec<u8>) -> Result<(), String> {
        source::CsvView::write_form_encoded_json(self, out);
        Ok(())
    }
}

/// What the reading side hands over.
pub(crate) enum Item {
    Rejected(RejectedRow),
    Batch(Batch),
    /// Reading cannot go on (the outId check's scratch file failed at this row). Rejections of earlier rows
    /// have been handed over; the rows of the batch being built were not (a resumed run sends them).
    Stop(Stop),
}

/// How a batch's wire form starts: the parameter's name, `PhoneNumberList`, then the JSON array's `[`
/// (a test checks the whole body against what the generated request encodes).
const BATCH_START: &[u8] = b"PhoneNumberList=%5B";

/// A batch, already in its wire form: `PhoneNumberList=` and the records as the compact JSON array it
/// carries, form-encoded — the request's whole body. Encoding each record as it is read keeps a waiting
/// batch small and spares the sending side a second walk over a thousand structures.
pub(crate) struct Batch {
    pub(crate) seq: u64,
    pub(crate) lines: Vec<u64>,
    pub(crate) encoded: Vec<u8>,
    /// XXH3-64 of `encoded`: what the journal records to recognise the batch's rows.
    pub(crate) hash: u64,
}

impl Batch {
    /// The batch's rows as the journal records them.
    pub(crate) fn rows(&self) -> BatchRows {
        BatchRows {
            first_line: self.lines.first().copied().unwrap_or_default(),
            last_line: self.lines.last().copied().unwrap_or_default(),
            records: self.lines.len(),
            rows_hash: self.hash,
        }
    }
}

/// How records follow one another in the array: `,`, form-encoded.
const SEPARATOR: &[u8] = b"%2C";

/// How far ahead of the row being checked the outId table's memory is requested.
const PREFETCH_AHEAD: usize = 16;

/// How big a batch may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Records a batch holds at most.
    pub(crate) records: usize,
    /// Bytes a batch's request body (its wire form) has at most.
    pub(crate) bytes: usize,
}

/// How a batch's wire form ends: the JSON array's `]`.
const BATCH_END: &[u8] = b"%5D";

/// Checks rows and groups them into batches, by the rule in the module's documentation.
///
/// Whether an outId repeats an earlier one is settled a batch at a time rather than row by row: the
/// fingerprint table is larger than the nearer caches, and looking up a batch's IDs in one pass lets
/// the memory reads overlap (each row's line is requested a few rows ahead). A repeat found then is taken
/// out of the batch (which then fills up again), and rejections still come out in the order the rows came
/// in: those of rows read while a batch's IDs are unsettled are held until they are.
pub(crate) struct Batcher {
    limits: Limits,
    seen: SeenIds,
    /// The input lines of the batch being built, one per record.
    lines: Vec<u64>,
    /// The batch's wire form so far.
    encoded: Vec<u8>,
    /// The batch's rows from the first whose outId is unsettled on (the last `unsettled.len()` of `lines`).
    unsettled: Vec<Unsettled>,
    /// The text of those rows' outIds, for the message when one repeats.
    ids: String,
    /// Rejected rows read since the first unsettled one, held to keep rejections in arrival order, each
    /// with how many unsettled rows came before it.
    held: Vec<(usize, RejectedRow)>,
    /// What is ready to hand over, oldest first.
    ready: VecDeque<Item>,
    next_seq: u64,
    /// A `Stop` was handed over: nothing more is taken in or handed over after it.
    stopped: bool,
    /// Buffers of batches already sent, to fill again.
    spares: Option<SpareBuffers>,
}

/// A row of the batch whose outId is not settled yet.
struct Unsettled {
    /// Where the row starts in the batch's wire form: its separator, or right after [`BATCH_START`] for
    /// the batch's first row (which has none).
    start: usize,
    /// The outId's fingerprint and where its text is in `ids`; none for a row without an outId.
    id: Option<(u64, Range<usize>)>,
}

impl Batcher {
    pub(crate) fn new(limits: Limits, scratch: PathBuf) -> Self {
        Self {
            limits,
            seen: SeenIds::new(scratch),
            lines: Vec::with_capacity(limits.records),
            encoded: Vec::new(),
            unsettled: Vec::with_capacity(limits.records),
            ids: String::new(),
            held: Vec::new(),
            ready: VecDeque::new(),
            next_seq: 0,
            stopped: false,
            spares: None,
        }
    }

    /// A batcher that fills the buffers handed back through the [`Spares`] it comes with before
    /// allocating new ones.
    pub(crate) fn with_spares(limits: Limits, scratch: PathBuf) -> (Self, Spares) {
        let (spares, buffers) = crate::wire::spares(limits.bytes);
        let batcher = Self { spares: Some(buffers), ..Self::new(limits, scratch) };
        (batcher, spares)
    }

    /// Takes in one row; what it completes is then available from [`next`](Self::next).
    pub(crate) fn push<R: Record>(&mut self, line: u64, record: Result<&R, String>) {
        if self.stopped {
            return;
        }
        let (record, out_id) = match record.and_then(|r| check(r).map(|id| (r, id))) {
            Ok(checked) => checked,
            Err(reason) => return self.reject(RejectedRow { line, reason }),
        };
        let mark = self.encoded.len();
        let first = self.lines.is_empty();
        // Two calls with constant lengths: each becomes a few stores.
        if first {
            self.encoded.extend_from_slice(BATCH_START);
        } else {
            self.encoded.extend_from_slice(SEPARATOR);
        }
        if let Err(reason) = record.write_form_encoded_json(&mut self.encoded) {
            self.encoded.truncate(mark);
            return self.reject(RejectedRow { line, reason });
        }
        let row_len = self.encoded.len() - mark - if first { BATCH_START.len() } else { SEPARATOR.len() };
        let alone = BATCH_START.len() + row_len + BATCH_END.len();
        if alone > self.limits.bytes {
            self.encoded.truncate(mark);
            let reason =
                format!("the row's request form is {alone} bytes, more than a batch may have ({})", self.limits.bytes);
            return self.reject(RejectedRow { line, reason });
        }
        if out_id.is_some() || !self.unsettled.is_empty() {
            let id = out_id.map(|id| {
                let at = self.ids.len();
                self.ids.push_str(id);
                (dedup::fingerprint(id), at..self.ids.len())
            });
            let start = if first { BATCH_START.len() } else { mark };
            self.unsettled.push(Unsettled { start, id });
        }
        self.lines.push(line);
        if self.lines.len() >= self.limits.records || self.over_bytes() {
            self.settle();
            // The row was settled with the others: if it is still there and the batch is too big, it starts
            // the next batch (a single row always fits: see above).
            if self.over_bytes() {
                self.split_last(row_len);
            } else if self.lines.len() >= self.limits.records {
                self.take();
            }
        }
    }

    /// Whether the batch's wire form, ended, would be over the byte limit.
    fn over_bytes(&self) -> bool {
        self.encoded.len() + BATCH_END.len() > self.limits.bytes
    }

    /// Hands over the batch without its last row, `row_len` bytes long, which then starts the next.
    fn split_last(&mut self, row_len: usize) {
        let Some(line) = self.lines.pop() else { return };
        let row_start = self.encoded.len() - row_len;
        // Rare (a batch ends on its byte limit): a copy of one row.
        let row = self.encoded[row_start..].to_vec();
        self.encoded.truncate(row_start - SEPARATOR.len());
        self.take();
        self.encoded.extend_from_slice(BATCH_START);
        self.encoded.extend_from_slice(&row);
        self.lines.push(line);
    }

    /// The next item ready to hand over.
    pub(crate) fn next(&mut self) -> Option<Item> {
        self.ready.pop_front()
    }

    /// Whether a `Stop` was produced: the reading side should stop reading once it is handed over.
    pub(crate) fn stopped(&self) -> bool {
        self.stopped
    }

    /// Settles and hands over what is left (see [`next`](Self::next)).
    pub(crate) fn finish(&mut self) {
        if !self.stopped {
            self.settle();
            self.take();
        }
    }

    /// The input could not be read on: hands over the rejections held so far, then a stop. The batch
    /// being filled is not handed over — a resumed run, reading the input whole, sends it whole.
    pub(crate) fn fail(&mut self, error: ReadError) {
        if self.stopped {
            return;
        }
        let unsent_from = self.lines.first().copied().unwrap_or(error.line);
        self.ready.extend(std::mem::take(&mut self.held).into_iter().map(|(_, row)| Item::Rejected(row)));
        self.halt(Stop::InputUnreadable { error, unsent_from });
    }

    /// Hands over `stop` and drops the batch being filled: nothing more is taken in or handed over.
    fn halt(&mut self, stop: Stop) {
        self.ready.push_back(Item::Stop(stop));
        self.stopped = true;
        self.lines.clear();
        self.encoded.clear();
        self.unsettled.clear();
        self.ids.clear();
    }

    fn reject(&mut self, row: RejectedRow) {
        if self.unsettled.is_empty() {
            self.ready.push_back(Item::Rejected(row));
        } else {
            self.held.push((self.unsettled.len(), row));
            // Held rows are bounded like a batch is.
            if self.held.len() >= self.limits.records {
                self.settle();
            }
        }
    }

    /// Looks up the unsettled rows' outIds, takes the repeats out of the batch, and hands over the
    /// rejections, in the order the rows came in.
    fn settle(&mut self) {
        let base = self.lines.len() - self.unsettled.len();
        let mut repeats = Vec::new();
        let mut failure = None;
        for (fp, _) in self.unsettled.iter().take(PREFETCH_AHEAD).filter_map(|u| u.id.as_ref()) {
            self.seen.prefetch(*fp);
        }
        for (k, row) in self.unsettled.iter().enumerate() {
            if let Some((fp, _)) = self.unsettled.get(k + PREFETCH_AHEAD).and_then(|u| u.id.as_ref()) {
                self.seen.prefetch(*fp);
            }
            let Some((fp, _)) = row.id else { continue };
            match self.seen.insert_fingerprint(fp) {
                Ok(true) => {}
                Ok(false) => repeats.push(k),
                Err(e) => {
                    failure = Some((k, e));
                    break;
                }
            }
        }
        // A held rejection that came in before unsettled row `k` goes before that row's.
        let mut held = std::mem::take(&mut self.held).into_iter().peekable();
        for &k in &repeats {
            let line = self.lines[base + k];
            while let Some((_, h)) = held.next_if(|(before, _)| *before <= k) {
                self.ready.push_back(Item::Rejected(h));
            }
            let id = self.unsettled[k].id.as_ref().map_or("", |(_, at)| &self.ids[at.clone()]);
            let reason = format!("duplicate outId `{id}`: an earlier row already uses it");
            self.ready.push_back(Item::Rejected(RejectedRow { line, reason }));
        }
        if let Some((k, e)) = failure {
            let line = self.lines[base + k];
            while let Some((_, h)) = held.next_if(|(before, _)| *before <= k) {
                self.ready.push_back(Item::Rejected(h));
            }
            // The batch is not handed over: the rows from `line` on were not checked.
            return self.halt(Stop::ScratchFile { line, error: e });
        }
        self.ready.extend(held.map(|(_, h)| Item::Rejected(h)));
        if !repeats.is_empty() {
            self.remove(base, &repeats);
        }
        self.unsettled.clear();
        self.ids.clear();
    }

    /// Takes the unsettled rows `repeats` (indices into `unsettled`, ascending) out of the batch.
    fn remove(&mut self, base: usize, repeats: &[usize]) {
        let mut repeats = repeats.iter().peekable();
        let mut write = self.unsettled[0].start;
        let mut kept = base;
        for (k, row) in self.unsettled.iter().enumerate() {
            if repeats.next_if_eq(&&k).is_some() {
                continue;
            }
            let end = self.unsettled.get(k + 1).map_or(self.encoded.len(), |next| next.start);
            // A row that becomes the batch's first loses its separator.
            let from = if write == BATCH_START.len() && row.start != BATCH_START.len() {
                row.start + SEPARATOR.len()
            } else {
                row.start
            };
            self.encoded.copy_within(from..end, write);
            write += end - from;
            self.lines[kept] = self.lines[base + k];
            kept += 1;
        }
        self.lines.truncate(kept);
        // An emptied batch starts again from nothing (its first row writes BATCH_START).
        self.encoded.truncate(if kept == 0 { 0 } else { write });
    }

    /// Hands over the batch built so far (all of its rows settled), if it has any rows.
    fn take(&mut self) {
        debug_assert!(self.unsettled.is_empty());
        if self.lines.is_empty() {
            return;
        }
        self.encoded.extend_from_slice(BATCH_END);
        // The next batch is likely the same size: a buffer handed back, or one allocated at that size
        // instead of grown.
        let capacity = self.encoded.len() + self.encoded.len() / 8;
        let next = match &self.spares {
            Some(spares) => spares.take(capacity),
            None => Vec::with_capacity(capacity),
        };
        let batch = Batch {
            hash: xxhash_rust::xxh3::xxh3_64(&self.encoded),
            seq: self.next_seq,
            lines: std::mem::replace(&mut self.lines, Vec::with_capacity(self.limits.records)),
            encoded: std::mem::replace(&mut self.encoded, next),
        };
        self.next_seq += 1;
        self.ready.push_back(Item::Batch(batch));
    }
}

/// The per-record rules, checked before anything is sent; gives the record's outId.
fn check<R: Record>(record: &R) -> Result<Option<&str>, String> {
    let number = record.callee_number();
    if number.chars().all(char::is_whitespace) {
        return Err("missing calleeNumber".into());
    }
    // The number itself is never quoted: a phone number stays out of the report and the output.
    if let Some(at) = unprintable_at(number) {
        return Err(format!("calleeNumber holds a control character or a byte-order mark ({at})"));
    }
    let out_id = record.out_id();
    // Only an ID of more than 128 bytes can have more than 128 characters. Checked first: the next
    // reason quotes the ID, which is then short.
    if let Some(id) = out_id.filter(|id| id.len() > MAX_OUT_ID) {
        let n = id.chars().count();
        if n > MAX_OUT_ID {
            return Err(format!("outId has {n} characters, at most {MAX_OUT_ID}"));
        }
    }
    if let Some(id) = out_id.filter(|id| unprintable_at(id).is_some()) {
        return Err(format!("outId {id:?} holds a control character or a byte-order mark"));
    }
    if let Some(key) = record.reserved_variable() {
        return Err(format!("call variable `{key}` repeats a field name"));
    }
    Ok(out_id)
}

/// The first control character or byte-order mark in `text`, as `U+FEFF at character 1`; none in nearly
/// every number and ID, which are printable ASCII and checked a byte at a time.
fn unprintable_at(text: &str) -> Option<String> {
    if text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return None;
    }
    let (n, c) = text.chars().enumerate().find(|(_, c)| crate::source::unprintable(*c))?;
    Some(format!("U+{:04X} at character {}", u32::from(c), n + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Row;
    use std::collections::HashSet;

    fn row(line: u64, number: &str, out_id: Option<&str>) -> Row {
        let mut record = CalleeRecord::new(number);
        record.out_id = out_id.map(str::to_owned);
        Row { line, record: Ok(record) }
    }

    /// What a batch carries: its records' JSON, read back from the wire form.
    fn records_of(batch: &Batch) -> serde_json::Value {
        let (name, value) = form_urlencoded::parse(&batch.encoded).next().expect("one parameter");
        assert_eq!(name, "PhoneNumberList");
        assert_eq!(form_urlencoded::parse(&batch.encoded).count(), 1, "a single parameter");
        serde_json::from_str(&value).expect("the batch carries a JSON array")
    }

    /// Limits of `records` records a batch, and bytes enough for any test's batch.
    fn count(records: usize) -> Limits {
        Limits { records, bytes: 1 << 30 }
    }

    /// Every item, as text (a batch by its lines and records).
    fn run(limits: Limits, rows: &[Row]) -> Vec<String> {
        let mut batcher = Batcher::new(limits, std::env::temp_dir());
        let mut items = Vec::new();
        for r in rows {
            batcher.push(r.line, r.record.as_ref().map_err(String::clone));
            items.extend(std::iter::from_fn(|| batcher.next()));
        }
        batcher.finish();
        items.extend(std::iter::from_fn(|| batcher.next()));
        items.into_iter().map(|item| describe(&item)).collect()
    }

    fn describe(item: &Item) -> String {
        match item {
            Item::Rejected(r) => format!("rejected {}: {}", r.line, r.reason),
            Item::Batch(b) => format!("batch {} lines {:?} {}", b.seq, b.lines, records_of(b)),
            Item::Stop(reason) => format!("stop: {reason}"),
        }
    }

    /// The length of `record`'s wire form: its JSON, form-encoded.
    fn wire_len(record: &CalleeRecord) -> usize {
        let mut out = Vec::new();
        form_encode_into(&mut out, &serde_json::to_string(record).unwrap());
        out.len()
    }

    /// The rule of the module's documentation, applied one row at a time, each repeat found as it is
    /// read: what the batcher must agree with, whenever it settles repeats.
    fn model(limits: Limits, rows: &[Row]) -> Vec<String> {
        let (mut items, mut seen, mut batch, mut seq) = (Vec::new(), HashSet::new(), Vec::new(), 0);
        let mut take = |batch: &mut Vec<(u64, &CalleeRecord)>, items: &mut Vec<String>| {
            if !batch.is_empty() {
                let lines: Vec<u64> = batch.iter().map(|(line, _)| *line).collect();
                let records: Vec<&CalleeRecord> = batch.iter().map(|(_, r)| *r).collect();
                items.push(format!("batch {seq} lines {lines:?} {}", serde_json::to_value(records).unwrap()));
                seq += 1;
                batch.clear();
            }
        };
        // The batch's body: the array's start and end, its rows, and a separator between two.
        let size = |batch: &[(u64, &CalleeRecord)]| {
            let rows: usize = batch.iter().map(|(_, r)| wire_len(r)).sum();
            BATCH_START.len() + rows + SEPARATOR.len() * batch.len().saturating_sub(1) + BATCH_END.len()
        };
        for r in rows {
            let reason = match &r.record {
                Err(reason) => Some(reason.clone()),
                Ok(record) => check(record)
                    .err()
                    .or_else(|| {
                        let alone = BATCH_START.len() + wire_len(record) + BATCH_END.len();
                        (alone > limits.bytes).then(|| {
                            format!(
                                "the row's request form is {alone} bytes, more than a batch may have ({})",
                                limits.bytes
                            )
                        })
                    })
                    .or_else(|| match &record.out_id {
                        Some(id) if !seen.insert(id.clone()) => {
                            Some(format!("duplicate outId `{id}`: an earlier row already uses it"))
                        }
                        _ => None,
                    }),
            };
            match (reason, &r.record) {
                (Some(reason), _) => items.push(format!("rejected {}: {reason}", r.line)),
                (None, Ok(record)) => {
                    if !batch.is_empty() && size(&batch) + SEPARATOR.len() + wire_len(record) > limits.bytes {
                        take(&mut batch, &mut items);
                    }
                    batch.push((r.line, record));
                    if batch.len() == limits.records {
                        take(&mut batch, &mut items);
                    }
                }
                (None, Err(_)) => unreachable!(),
            }
        }
        take(&mut batch, &mut items);
        items
    }

    #[test]
    fn a_batch_is_the_form_body_the_generated_request_encodes() {
        use acsgen::Operation;
        use acsgen::aiccs::{DataType, ImportTaskNumberDatasRequest};
        let records = vec![
            CalleeRecord::new("13800000000").out_id("a").variables("name", "Tom, Jr."),
            CalleeRecord::new("13900000000").variables("城市", "杭州 \"x\""),
        ];
        let mut batcher = Batcher::new(count(10), std::env::temp_dir());
        for (line, record) in (2..).zip(&records) {
            batcher.push(line, Ok(record));
        }
        batcher.finish();
        let Some(Item::Batch(batch)) = batcher.next() else { panic!("a batch") };
        let mut request = ImportTaskNumberDatasRequest::new("t", DataType::Json);
        request.phone_number_list = Some(records);
        let mut params = acsgen::encode::Params::new();
        request.encode(&mut params).unwrap();
        assert_eq!(
            String::from_utf8(batch.encoded).unwrap(),
            String::from_utf8(params.form_body().unwrap().to_vec()).unwrap()
        );
    }

    #[test]
    fn batches_and_rejections_are_deterministic() {
        let rows = [
            row(2, "1", Some("a")),
            row(3, "", Some("b")),
            row(4, "2", Some("a")),
            row(5, "3", Some(&format!("\u{1}{}", "x".repeat(128)))),
            row(6, "4", None),
            Row { line: 7, record: Err("malformed row: …".into()) },
            row(8, "5", Some("b")),
            row(9, "\u{feff}6", Some("c")),
            row(10, "7", Some("d\u{0}")),
        ];
        let lines: Vec<String> =
            run(count(2), &rows).into_iter().map(|s| s.split(" [{").next().unwrap().to_owned()).collect();
        assert_eq!(
            lines,
            [
                "rejected 3: missing calleeNumber",
                "rejected 4: duplicate outId `a`: an earlier row already uses it",
                "rejected 5: outId has 129 characters, at most 128",
                "batch 0 lines [2, 6]",
                "rejected 7: malformed row: …",
                "rejected 9: calleeNumber holds a control character or a byte-order mark (U+FEFF at character 1)",
                "rejected 10: outId \"d\\0\" holds a control character or a byte-order mark",
                "batch 1 lines [8]",
            ]
        );
    }

    #[test]
    fn repeats_taken_out_of_a_batch_leave_a_full_batch_of_the_others() {
        let ids = ["a", "b", "c", "a", "d", "d", "e", "b", "f", "a", "b", "c"];
        let mut rows: Vec<Row> = ids.iter().zip(2..).map(|(id, line)| row(line, &line.to_string(), Some(id))).collect();
        // A batch whose rows all repeat, then one with rows without an outId around the repeats.
        rows.push(row(14, "14", None));
        rows.push(row(15, "15", Some("e")));
        rows.push(row(16, "16", None));
        let got = run(count(3), &rows);
        assert_eq!(got, model(count(3), &rows));
        let batches: Vec<&String> = got.iter().filter(|s| s.starts_with("batch")).collect();
        assert!(batches[1].starts_with("batch 1 lines [6, 8, 10] "), "{batches:?}");
        assert!(batches[2].starts_with("batch 2 lines [14, 16] "), "{batches:?}");
    }

    #[test]
    fn rejections_held_for_a_batch_stay_bounded_and_in_order() {
        let mut rows = vec![row(2, "1", Some("a"))];
        rows.extend((3..40).map(|line| Row { line, record: Err(format!("malformed row {line}")) }));
        rows.push(row(40, "2", Some("a")));
        rows.push(row(41, "3", Some("b")));
        let mut batcher = Batcher::new(count(2), std::env::temp_dir());
        for r in &rows {
            batcher.push(r.line, r.record.as_ref().map_err(String::clone));
            assert!(batcher.held.len() < 2, "held rejections grow past a batch");
        }
        assert_eq!(run(count(2), &rows), model(count(2), &rows));
    }

    #[test]
    fn a_failing_scratch_file_stops_with_nothing_after_it_handed_over() {
        let mut batcher = Batcher::new(count(1000), "/nonexistent/acsgen-scratch".into());
        let mut items = Vec::new();
        let mut line = 2;
        while !matches!(items.last(), Some(Item::Stop(_))) {
            assert!(line < 2 + 2 * dedup::RECENT as u64, "no stop");
            let record = if line % 1000 == 500 {
                Err("malformed row".to_owned())
            } else {
                Ok(CalleeRecord::new("1").out_id(line.to_string()))
            };
            batcher.push(line, record.as_ref().map_err(String::clone));
            items.extend(std::iter::from_fn(|| batcher.next()));
            line += 1;
        }
        let Some(Item::Stop(reason)) = items.pop() else { unreachable!() };
        let message = reason.to_string();
        let stopped_at: u64 = message.strip_prefix("line ").and_then(|m| m.split(':').next()).unwrap().parse().unwrap();
        assert!(message.contains("/nonexistent/acsgen-scratch"), "{message}");
        // Nothing from that line on handed over, nothing twice, and every rejection before it.
        let mut handed = Vec::new();
        for item in &items {
            match item {
                Item::Batch(b) => handed.extend(&b.lines),
                Item::Rejected(r) => handed.push(r.line),
                Item::Stop(_) => unreachable!(),
            }
        }
        assert!(handed.iter().all(|line| *line < stopped_at), "{stopped_at}");
        let distinct: HashSet<u64> = handed.iter().copied().collect();
        assert_eq!(distinct.len(), handed.len());
        assert!((2..stopped_at).filter(|line| line % 1000 == 500).all(|line| distinct.contains(&line)));
        batcher.push(line, Ok(&CalleeRecord::new("1")));
        batcher.finish();
        assert!(batcher.next().is_none(), "nothing after a stop");
    }

    /// A read error hands over the whole batches and the rejections read before it, then the stop; the
    /// batch it interrupts is not handed over, and nothing after it.
    #[test]
    fn a_read_error_stops_without_the_interrupted_batch() {
        let mut batcher = Batcher::new(count(3), std::env::temp_dir());
        let mut items = Vec::new();
        let rows = [
            row(2, "1", Some("a")),
            row(3, "1", None),
            row(4, "", None),
            row(5, "1", Some("b")),
            row(6, "", None),
            row(7, "1", Some("c")),
            row(8, "", None),
        ];
        for r in &rows {
            batcher.push(r.line, r.record.as_ref().map_err(String::clone));
            items.extend(std::iter::from_fn(|| batcher.next()));
        }
        batcher.fail(ReadError { line: 9, error: std::io::Error::other("device gone") });
        batcher.push(10, Ok(&CalleeRecord::new("1")));
        batcher.finish();
        items.extend(std::iter::from_fn(|| batcher.next()));
        let items: Vec<String> = items.iter().map(describe).collect();
        assert_eq!(
            items,
            [
                "rejected 4: missing calleeNumber",
                r#"batch 0 lines [2, 3, 5] [{"calleeNumber":"1","outId":"a"},{"calleeNumber":"1"},{"calleeNumber":"1","outId":"b"}]"#,
                "rejected 6: missing calleeNumber",
                "rejected 8: missing calleeNumber",
                "stop: line 9: cannot read the input: device gone; the rows from line 7 on were not sent",
            ]
        );
    }

    #[test]
    fn a_buffer_handed_back_is_filled_again() {
        let (mut batcher, spares) = Batcher::with_spares(count(2), std::env::temp_dir());
        let mut batch = |numbers: &[&str]| {
            for (line, number) in (2..).zip(numbers) {
                batcher.push(line, Ok(&CalleeRecord::new(*number)));
            }
            batcher.finish();
            match batcher.next() {
                Some(Item::Batch(batch)) => batch,
                _ => panic!("a batch"),
            }
        };
        let first = batch(&["1", "2"]);
        let address = first.encoded.as_ptr();
        // Sent: its buffer goes back. The batch being built already has its own; the one after it gets it.
        spares.give(first.encoded);
        let second = batch(&["3", "4"]);
        let third = batch(&["5"]);
        assert_ne!(second.encoded.as_ptr(), address);
        assert_eq!(third.encoded.as_ptr(), address);
        assert_eq!(records_of(&third), serde_json::json!([{"calleeNumber": "5"}]));
    }

    proptest::proptest! {
        #[test]
        /// Line numbers come from the caller (a channel's rows can carry any), so they are drawn at random
        /// too: the order of what is handed over follows the rows' arrival, not their numbers.
        fn settling_repeats_a_batch_at_a_time_agrees_with_checking_each_row(
            batch_size in 1usize..6,
            max_bytes in proptest::option::of(40usize..400),
            kinds in proptest::collection::vec((0u8..8, 0u8..6, 1u64..100), 0..60),
        ) {
            let rows: Vec<Row> = kinds.iter().map(|&(kind, id, line)| match kind {
                0 => Row { line, record: Err(format!("malformed row {line}")) },
                1 => row(line, " ", Some("z")),
                2 => row(line, &line.to_string(), None),
                // Rows of different sizes, so that byte limits split batches in different places.
                _ => row(line, &line.to_string().repeat(1 + usize::from(id % 3)), Some(&format!("id-{id}"))),
            }).collect();
            let limits = Limits { records: batch_size, bytes: max_bytes.unwrap_or(1 << 30) };
            proptest::prop_assert_eq!(run(limits, &rows), model(limits, &rows));
        }
    }
}
