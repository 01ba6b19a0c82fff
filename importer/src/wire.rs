//! Speed tricks for writing rows in their wire form, kept in this one module: each CSV row becomes the
//! JSON object the generated `CalleeRecord` serializes to, form-encoded, and batches are built as the
//! request's whole body so that nothing is copied or encoded again before sending.
//!
//! The rule they must keep is plain: a row's bytes are exactly
//! `form_encode_into(serde_json::to_string(&record))` for the `CalleeRecord` the row reads as
//! (`calleeNumber`, then `outId` unless empty, then every call variable as a string, in key order). The
//! property test `rows_are_written_as_serde_and_the_form_encoder_write_them` holds the tricks to it, for
//! any content.
//!
//! The tricks:
//! - **Template**: per file, the JSON text around the values (`{"a":"`, `","b":"`, `"}`) is form-encoded
//!   once and kept as 32-byte blocks; per row only the values are encoded.
//! - **Row window**: a row is put together in a fixed 4 KiB buffer written at masked positions — template
//!   blocks copied whole, values encoded by table lookup, four bytes stored per input byte whatever its
//!   kind — so writes need no bounds checks and no calls; the row is then appended in one copy. Rows
//!   that do not fit, or hold a character JSON escapes, take the key-by-key path.
//! - **Batch-body reuse**: a batch's buffer goes back to the reader once sent, to be filled again,
//!   sparing a fresh allocation's page faults and allocator work per batch.

use std::sync::mpsc;

use acsgen::encode::{form_byte, form_encode_into, is_unreserved};

/// Positions in a [`Window`] are taken modulo this.
const WINDOW: usize = 4096;
/// What a block copy into a [`Window`] moves at once.
const BLOCK: usize = 32;
/// A buffer written at positions masked into it (modulo [`WINDOW`], with a block's room past the end), so
/// that writes of a few bytes need no bounds checks and no calls. Writers check first that what they
/// write fits in [`WINDOW`] bytes; past that, positions would wrap around.
type Window = [u8; WINDOW + BLOCK];

/// Marks a byte JSON escapes inside a string (a control character, `"`, `\`).
const JSON_ESCAPED: u8 = 0x80;

/// Each byte's form encoding (the runtime's [`form_byte`]): up to three bytes, then how many (low bits)
/// and whether JSON would escape the byte ([`JSON_ESCAPED`]).
const fn form_table() -> [[u8; 4]; 256] {
    let mut table = [[0u8; 4]; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let json = if c < 0x20 || c == b'"' || c == b'\\' { JSON_ESCAPED } else { 0 };
        let (bytes, len) = form_byte(c);
        table[b] = [bytes[0], bytes[1], bytes[2], len as u8 | json];
        b += 1;
    }
    table
}

static FORM: [[u8; 4]; 256] = form_table();

/// Writes the form encoding of `input`, as the inside of a JSON string, into `window` from `at` on, one
/// table entry per byte and no branch on the byte's kind (each entry is stored as four bytes; the unused
/// ones are overwritten next). Gives where it ends, or `None` when `input` holds a character JSON escapes
/// (what was written is then garbage). The encoding takes at most `3 * input.len()` bytes.
#[inline]
fn encode_json_text_at(window: &mut Window, mut at: usize, input: &[u8]) -> Option<usize> {
    let mut flags = 0;
    for &b in input {
        let entry = FORM[b as usize];
        window[at & (WINDOW - 1)..][..4].copy_from_slice(&entry);
        at += usize::from(entry[3] & 3);
        flags |= entry[3];
    }
    (flags & JSON_ESCAPED == 0).then_some(at)
}

/// Appends the form encoding of `input` as the inside of a JSON string (no quotes), in one pass, copying
/// runs of bytes that stay as they are whole. Returns false, having appended nothing, when `input` holds
/// a character JSON escapes: the caller then encodes the serializer's output instead.
fn encode_json_text(out: &mut Vec<u8>, input: &str) -> bool {
    let (mark, input) = (out.len(), input.as_bytes());
    out.reserve(input.len() + 8);
    let mut i = 0;
    while i < input.len() {
        let start = i;
        while i < input.len() && is_unreserved(input[i]) {
            i += 1;
        }
        out.extend_from_slice(&input[start..i]);
        while i < input.len() && !is_unreserved(input[i]) {
            let entry = &FORM[input[i] as usize];
            if entry[3] & JSON_ESCAPED != 0 {
                out.truncate(mark);
                return false;
            }
            out.extend_from_slice(&entry[..usize::from(entry[3] & 3)]);
            i += 1;
        }
    }
    true
}

/// One piece of a [`Template`], kept as whole blocks (the last one padded).
#[derive(Debug)]
struct Piece {
    blocks: Vec<[u8; BLOCK]>,
    len: usize,
}

impl Piece {
    fn new(text: &[u8]) -> Self {
        let blocks = text
            .chunks(BLOCK)
            .map(|chunk| {
                let mut block = [0; BLOCK];
                block[..chunk.len()].copy_from_slice(chunk);
                block
            })
            .collect();
        Self { blocks, len: text.len() }
    }

    /// Writes the piece at `at`; gives where it ends (the padding after it is written over next).
    fn put(&self, window: &mut Window, at: usize) -> usize {
        for (j, block) in self.blocks.iter().enumerate() {
            window[(at + j * BLOCK) & (WINDOW - 1)..][..BLOCK].copy_from_slice(block);
        }
        at + self.len
    }
}

/// A row's JSON with every column present, form-encoded, as the text around its values: `{"a":"` before
/// the first, `","b":"` between two, `"}` after the last (keys in the order they are written).
#[derive(Debug)]
struct Template {
    pieces: Vec<Piece>,
    len: usize,
}

impl Template {
    fn new(keys: &[Vec<u8>], order: &[usize]) -> Self {
        let mut pieces = Vec::with_capacity(order.len() + 1);
        for (n, &i) in order.iter().enumerate() {
            // keys[i] is `,"name":"`; the first key goes without its comma (`%2C`), after `{`.
            let piece = if n == 0 { [b"%7B", &keys[i][3..]].concat() } else { [b"%22", &keys[i][..]].concat() };
            pieces.push(Piece::new(&piece));
        }
        pieces.push(Piece::new(b"%22%7D"));
        let len = pieces.iter().map(|p| p.len).sum();
        Self { pieces, len }
    }
}

/// A row's values, by column, as [`RowWriter`] reads them.
pub(crate) trait Fields {
    /// Column `i`'s value, trimmed.
    fn text(&self, i: usize) -> &str;
    /// The same value's bytes (cheaper to reach where no text is needed).
    fn bytes(&self, i: usize) -> &[u8];
    /// At least the values' total length in bytes.
    fn len_bound(&self) -> usize;
}

/// Writes the rows of one CSV file in their wire form.
pub(crate) struct RowWriter {
    /// Each column's `,"name":"`, JSON-escaped and form-encoded once.
    keys: Vec<Vec<u8>>,
    template: Template,
    /// Column indices in the order keys are written in: the callee number, the outId, then the call
    /// variables in the byte order of their names.
    order: Vec<usize>,
    /// The outId column, left out of a row where it is empty.
    out_id: Option<usize>,
    window: Box<Window>,
}

impl RowWriter {
    /// A writer for rows of these columns: `number` is the callee number's and `out_id` the outId's (keys
    /// `calleeNumber` and `outId`, whatever `names` says); the others are call variables, named by `names`.
    pub(crate) fn new(names: &[&str], number: usize, out_id: Option<usize>) -> Self {
        let keys: Vec<Vec<u8>> = (0..names.len())
            .map(|i| {
                let name = match i {
                    _ if i == number => "calleeNumber",
                    _ if Some(i) == out_id => "outId",
                    _ => names[i],
                };
                let mut key = Vec::new();
                form_encode_into(&mut key, &format!(",{}:\"", serde_json::Value::from(name)));
                key
            })
            .collect();
        let mut variables: Vec<usize> = (0..names.len()).filter(|i| *i != number && Some(*i) != out_id).collect();
        variables.sort_by(|a, b| names[*a].cmp(names[*b]));
        let order: Vec<usize> = std::iter::once(number).chain(out_id).chain(variables).collect();
        let template = Template::new(&keys, &order);
        Self { keys, template, order, out_id, window: Box::new([0; WINDOW + BLOCK]) }
    }

    /// Appends `row` as the form-encoded JSON object the generated `CalleeRecord` serializes to.
    pub(crate) fn write(&mut self, row: &impl Fields, out: &mut Vec<u8>) {
        let has_empty_out_id = self.out_id.is_some_and(|i| row.bytes(i).is_empty());
        if has_empty_out_id || !self.write_from_template(row, out) {
            self.write_key_by_key(row, out);
        }
    }

    /// The common case, every column present, no value JSON escapes and the row's wire form at most a
    /// [`WINDOW`]: the template's pieces and the values, put together in the window and appended in one
    /// copy. False, having appended nothing, otherwise.
    fn write_from_template(&mut self, row: &impl Fields, out: &mut Vec<u8>) -> bool {
        // Values are at most the row's text, each byte at most three.
        if self.template.len + 3 * row.len_bound() > WINDOW {
            return false;
        }
        let window = &mut self.window;
        let mut at = 0;
        for (piece, &i) in self.template.pieces.iter().zip(&self.order) {
            at = piece.put(window, at);
            match encode_json_text_at(window, at, row.bytes(i)) {
                Some(end) => at = end,
                None => return false,
            }
        }
        at = self.template.pieces[self.order.len()].put(window, at);
        out.extend_from_slice(&window[..at]);
        true
    }

    /// Any row: key by key, leaving out an empty outId, values JSON-escaped where needed.
    fn write_key_by_key(&self, row: &impl Fields, out: &mut Vec<u8>) {
        let mut first = true;
        for &i in &self.order {
            let value = row.text(i);
            if Some(i) == self.out_id && value.is_empty() {
                continue;
            }
            let key = &self.keys[i];
            if first {
                out.extend_from_slice(b"%7B");
                out.extend_from_slice(&key[3..]); // without the comma
                first = false;
            } else {
                out.extend_from_slice(key);
            }
            if !encode_json_text(out, value) {
                let json = serde_json::Value::from(value).to_string();
                form_encode_into(out, &json[1..json.len() - 1]);
            }
            out.extend_from_slice(b"%22");
        }
        out.extend_from_slice(if first { b"%7B%7D" } else { b"%7D" });
    }
}

/// The sending side's end of the batch-buffer return: each batch's buffer, once sent (or skipped), goes
/// back to the reader to be filled again — unless it is larger than the batches' byte limit allows for,
/// having grown for an unusual row. Reused, buffers are allocated only while more batches are alive at
/// once than ever before: memory stays at that many buffers instead of churning through new ones.
#[derive(Clone)]
pub(crate) struct Spares {
    returns: mpsc::Sender<Vec<u8>>,
    /// The largest capacity kept.
    keep: usize,
}

/// The reading side's end: buffers to fill before allocating new ones.
pub(crate) struct SpareBuffers(mpsc::Receiver<Vec<u8>>);

/// A connected pair of ends for batches of at most `max_batch_bytes`: a buffer up to a quarter larger
/// (a batch is built with an eighth to spare, and its last row may go over before it moves to the next)
/// is kept.
pub(crate) fn spares(max_batch_bytes: usize) -> (Spares, SpareBuffers) {
    let (returns, rx) = mpsc::channel();
    (Spares { returns, keep: max_batch_bytes.saturating_add(max_batch_bytes / 4) }, SpareBuffers(rx))
}

impl Spares {
    /// Hands `buffer` back (emptied), unless it has grown past what is kept.
    pub(crate) fn give(&self, mut buffer: Vec<u8>) {
        if buffer.capacity() <= self.keep {
            buffer.clear();
            let _ = self.returns.send(buffer);
        }
    }

    /// Hands back the buffer behind a request body once nothing else holds it (the HTTP stack has let go).
    pub(crate) fn give_body(&self, body: bytes::Bytes) {
        if let Ok(buffer) = body.try_into_mut() {
            self.give(Vec::from(buffer));
        }
    }
}

impl SpareBuffers {
    /// A buffer handed back, or a new one of `capacity`.
    pub(crate) fn take(&self, capacity: usize) -> Vec<u8> {
        self.0.try_recv().unwrap_or_else(|_| Vec::with_capacity(capacity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain rule: the row as the generated `CalleeRecord`, through its serializer, then the
    /// runtime's form encoder.
    fn reference(names: &[&str], values: &[&str], number: usize, out_id: Option<usize>) -> String {
        let mut record = acsgen::aiccs::CalleeRecord::new(values[number]);
        record.out_id = out_id.map(|i| values[i]).filter(|v| !v.is_empty()).map(str::to_owned);
        for (i, (name, value)) in names.iter().zip(values).enumerate() {
            if i != number && Some(i) != out_id {
                record.variables.insert((*name).to_owned(), (*value).to_owned());
            }
        }
        let mut out = Vec::new();
        form_encode_into(&mut out, &serde_json::to_string(&record).unwrap());
        String::from_utf8(out).unwrap()
    }

    struct Values<'a>(&'a [&'a str]);

    impl Fields for Values<'_> {
        fn text(&self, i: usize) -> &str {
            self.0[i]
        }
        fn bytes(&self, i: usize) -> &[u8] {
            self.0[i].as_bytes()
        }
        fn len_bound(&self) -> usize {
            self.0.iter().map(|v| v.len()).sum()
        }
    }

    fn written(writer: &mut RowWriter, values: &[&str]) -> String {
        let mut out = b"kept".to_vec();
        writer.write(&Values(values), &mut out);
        String::from_utf8(out).unwrap().strip_prefix("kept").unwrap().to_owned()
    }

    #[test]
    fn rows_on_both_sides_of_the_window_and_with_escapes() {
        let names = ["name", "outId", "calleeNumber", "zeta", "Alpha"];
        let mut writer = RowWriter::new(&names, 2, Some(1));
        let long = "名".repeat(WINDOW / 9 + 1);
        let within = "x".repeat(WINDOW - 150);
        for values in [
            ["Tom \"T\", Jr.", "a-1", "138", "z", "中\tx"],
            ["Ann", "", "139", "", ""],
            [long.as_str(), "b", "140", "z", "a"],
            [within.as_str(), "c", "141", "z", "a"],
            ["Bo", "d", "142", "z", "a"],
        ] {
            assert_eq!(written(&mut writer, &values), reference(&names, &values, 2, Some(1)));
        }
    }

    proptest::proptest! {
        /// Whatever the names and values hold, and wherever the callee number's and outId's columns
        /// are, a row is written as the plain rule writes it.
        #[test]
        fn rows_are_written_as_serde_and_the_form_encoder_write_them(
            names in proptest::collection::btree_set("(\\PC|\"|\\\\| ){1,6}", 1..5),
            rows in proptest::collection::vec(proptest::collection::vec("(\\PC|\\\\|\"|\t| ){0,10}", 5), 1..4),
            number in 0usize..5,
            out_id in proptest::option::of(0usize..5),
        ) {
            // Call variables never take the fields' names: such columns are the fields themselves.
            let names: Vec<&str> = names.iter().map(String::as_str).filter(|n| !matches!(*n, "calleeNumber" | "outId")).collect();
            proptest::prop_assume!(!names.is_empty());
            let number = number % names.len();
            let out_id = out_id.filter(|i| *i < names.len() && *i != number);
            let mut writer = RowWriter::new(&names, number, out_id);
            for row in &rows {
                let values: Vec<&str> = row[..names.len()].iter().map(String::as_str).collect();
                proptest::prop_assert_eq!(written(&mut writer, &values), reference(&names, &values, number, out_id));
            }
        }
    }

    #[test]
    fn the_json_text_encoders_agree_with_the_plain_rule() {
        let every_char: Vec<char> =
            (0u32..0x800).filter_map(char::from_u32).filter(|c| *c >= ' ' && *c != '"' && *c != '\\').collect();
        let pieces: Vec<String> = every_char.chunks(400).map(|c| c.iter().collect()).collect();
        let samples = ["", "plain", "a b,c", "Zoë 中文 ~*", "1%2B", "\u{1F600}"];
        for text in samples.into_iter().chain(pieces.iter().map(String::as_str)) {
            let mut expected = Vec::new();
            form_encode_into(&mut expected, &serde_json::Value::from(text).to_string());
            let mut fast = b"%22".to_vec();
            assert!(encode_json_text(&mut fast, text));
            fast.extend_from_slice(b"%22");
            assert_eq!(fast, expected, "{text:?}");
            let mut window = Box::new([0u8; WINDOW + BLOCK]);
            let end = encode_json_text_at(&mut window, 7, text.as_bytes()).unwrap();
            assert_eq!(&window[7..end], &expected[3..expected.len() - 3], "{text:?}");
        }
        for text in ["quote\"", "back\\slash", "tab\t", "nul\u{0}"] {
            let mut out = b"kept".to_vec();
            assert!(!encode_json_text(&mut out, text), "{text:?}");
            assert_eq!(out, b"kept");
            let mut window = Box::new([0u8; WINDOW + BLOCK]);
            assert_eq!(encode_json_text_at(&mut window, 0, text.as_bytes()), None, "{text:?}");
        }
    }

    #[test]
    fn a_body_comes_back_once_nothing_else_holds_it() {
        let (spares, buffers) = spares(4096);
        let mut buffer = buffers.take(4096);
        buffer.extend_from_slice(b"PhoneNumberList=%5B%5D");
        let (address, capacity) = (buffer.as_ptr(), buffer.capacity());
        let body = bytes::Bytes::from(buffer);
        let held = body.clone();
        spares.give_body(body);
        assert_eq!(buffers.take(10).capacity(), 10, "a body still held elsewhere is not handed back");
        spares.give_body(held);
        let back = buffers.take(10);
        assert_eq!((back.as_ptr(), back.capacity(), back.len()), (address, capacity, 0));
    }

    #[test]
    fn oversized_buffers_are_not_kept() {
        let (spares, buffers) = spares(4 << 20);
        spares.give(Vec::with_capacity((5 << 20) + 1));
        spares.give(Vec::with_capacity(10));
        assert_eq!(buffers.take(1).capacity(), 10);
        assert_eq!(buffers.take(1).capacity(), 1, "nothing else was kept");
    }
}
