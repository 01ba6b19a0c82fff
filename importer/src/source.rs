//! Reading callee rows from CSV (a header row; `calleeNumber` required, `outId` optional, every other
//! column a call variable) and JSON Lines (one object per line), streaming, with the input line of every
//! row. A row that cannot be read becomes a rejected row naming its line; only a header that makes the
//! whole input unusable is an error.

use std::cell::RefCell;
use std::io::{BufRead, Read};

use acsgen::aiccs::CalleeRecord;
use serde_json::Value;

use crate::ImportError;
use crate::wire::{Fields, RowWriter};

/// Rows longer than this are rejected rather than imported (a field that size is not a callee).
pub const MAX_ROW_BYTES: usize = 1024 * 1024;

/// One input row: the line it starts on and the record, or why it cannot be one.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The 1-based line the row starts on.
    pub line: u64,
    /// The callee, or the reason the row was rejected.
    pub record: Result<CalleeRecord, String>,
}

/// CSV rows, read lazily. Create with [`csv_rows`].
pub struct CsvRows<R: Read> {
    reader: csv::Reader<Tracked<R>>,
    columns: Vec<Column>,
    number: usize,
    out_id: Option<usize>,
    raw: csv::ByteRecord,
    /// Writes each row in its wire form.
    writer: RowWriter,
    done: bool,
}

/// What numbering rows needs of the most recent input. The csv crate numbers a row by the line where its
/// parse began, which is the first of any blank lines it skipped before the row; the row's own line is
/// that plus the line breaks at the start of its parse. A parse begins right after a line break, so it
/// begins at one only where a blank line starts (a `\n` right after a `\n`): the recent reads are kept as
/// offsets, with their bytes only when they hold such a place — for most input, no copy at all.
#[derive(Debug)]
struct Lines {
    /// Recent reads, oldest first, covering up to the longest row allowed.
    chunks: std::collections::VecDeque<Chunk>,
    /// Bytes the reads in `chunks` cover.
    kept: usize,
    /// Whether the last byte read was a line break (as if one came before the input).
    after_break: bool,
}

#[derive(Debug)]
struct Chunk {
    offset: u64,
    len: usize,
    /// The bytes, when a blank line starts in them.
    bytes: Option<Vec<u8>>,
}

impl Default for Lines {
    fn default() -> Self {
        Self { chunks: std::collections::VecDeque::new(), kept: 0, after_break: true }
    }
}

impl Lines {
    fn keep(&mut self, offset: u64, bytes: &[u8]) {
        let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else { return };
        let blank = (self.after_break && first == b'\n') || memchr::memmem::find(bytes, b"\n\n").is_some();
        self.after_break = last == b'\n';
        self.chunks.push_back(Chunk { offset, len: bytes.len(), bytes: blank.then(|| bytes.to_vec()) });
        self.kept += bytes.len();
        while self.kept > MAX_ROW_BYTES + 64 * 1024 && self.chunks.len() > 2 {
            if let Some(old) = self.chunks.pop_front() {
                self.kept -= old.len;
            }
        }
    }

    /// The line of the row whose parse began at input offset `start`, on csv's line `csv_line`.
    fn line_of(&self, start: u64, csv_line: u64) -> u64 {
        // Nearly always: the parse began in the last read, and no blank line starts there.
        if self.chunks.back().is_some_and(|last| last.offset <= start && last.bytes.is_none()) {
            return csv_line;
        }
        let Some(first) = self.chunks.iter().rposition(|c| c.offset <= start) else { return csv_line };
        let mut breaks = 0;
        let mut at = start;
        for chunk in self.chunks.range(first..) {
            // A read where no blank line starts holds no break a parse could begin at (nor continue a run
            // of them into: a run reaching its first byte would make that byte a blank line's start).
            let Some(bytes) = &chunk.bytes else { break };
            let from = usize::try_from(at - chunk.offset).unwrap_or(usize::MAX).min(bytes.len());
            let run = bytes[from..].iter().take_while(|b| **b == b'\n').count();
            breaks += run as u64;
            if from + run < bytes.len() {
                break;
            }
            at = chunk.offset + bytes.len() as u64;
        }
        csv_line + breaks
    }
}

/// The input, noting where blank lines are for numbering rows.
struct Tracked<R> {
    inner: R,
    offset: u64,
    lines: Lines,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.lines.keep(self.offset, &buf[..n]);
        self.offset += n as u64;
        Ok(n)
    }
}

#[derive(Debug, Clone)]
enum Column {
    Number,
    OutId,
    Variable(String),
}

impl Column {
    fn name(&self) -> &str {
        match self {
            Column::Number => "calleeNumber",
            Column::OutId => "outId",
            Column::Variable(name) => name,
        }
    }
}

/// Opens CSV input and reads its header. Fails when the input is empty or the header has no
/// `calleeNumber` column, an empty column name or a repeated one.
pub fn csv_rows<R: Read>(input: R) -> Result<CsvRows<R>, ImportError> {
    let tracked = Tracked { inner: input, offset: 0, lines: Lines::default() };
    // Rows end at `\n` only: a `\r` before it is whitespace the fields are trimmed of, so CRLF files read
    // like LF files and every row's recorded start is its first byte.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(64 * 1024)
        .from_reader(tracked);
    let mut header = csv::ByteRecord::new();
    let found = reader
        .read_byte_record(&mut header)
        .map_err(|e| ImportError::Input(format!("cannot read the header row: {e}")))?;
    if !found {
        return Err(ImportError::Input(
            "the input is empty: expected a header row naming a calleeNumber column".into(),
        ));
    }
    let mut names = Vec::with_capacity(header.len());
    for (i, raw) in header.iter().enumerate() {
        let raw = if i == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
        let name = std::str::from_utf8(raw)
            .map_err(|_| ImportError::Input(format!("the header's column {} is not valid UTF-8", i + 1)))?
            .trim()
            .to_owned();
        if name.is_empty() {
            return Err(ImportError::Input(format!("the header's column {} has no name", i + 1)));
        }
        if names.contains(&name) {
            return Err(ImportError::Input(format!("the header names the column `{name}` twice")));
        }
        names.push(name);
    }
    if !names.iter().any(|n| n == "calleeNumber") {
        let hint = names
            .iter()
            .find(|n| n.eq_ignore_ascii_case("calleeNumber"))
            .map(|n| format!(" (`{n}` differs only in case: the name is case-sensitive)"))
            .unwrap_or_default();
        return Err(ImportError::Input(format!(
            "the header has no calleeNumber column{hint}; found: {}",
            names.join(", ")
        )));
    }
    let columns: Vec<Column> = names
        .into_iter()
        .map(|n| match n.as_str() {
            "calleeNumber" => Column::Number,
            "outId" => Column::OutId,
            _ => Column::Variable(n),
        })
        .collect();
    let number = columns.iter().position(|c| matches!(c, Column::Number)).unwrap_or_default();
    let out_id = columns.iter().position(|c| matches!(c, Column::OutId));
    let names: Vec<&str> = columns.iter().map(Column::name).collect();
    let writer = RowWriter::new(&names, out_id);
    let raw = csv::ByteRecord::new();
    Ok(CsvRows { reader, columns, number, out_id, raw, writer, done: false })
}

/// One CSV row as read, borrowed from the reader: what the importer needs, without building a
/// [`CalleeRecord`] (the importer writes the row's JSON straight from its fields).
pub struct CsvView<'a> {
    /// The row's fields, one after another, checked as UTF-8 once.
    text: &'a str,
    /// Where each field sits in `text`.
    record: &'a csv::ByteRecord,
    columns: &'a [Column],
    number: usize,
    out_id: Option<usize>,
    writer: RefCell<&'a mut RowWriter>,
}

impl CsvView<'_> {
    fn field(&self, i: usize) -> &str {
        self.record.range(i).and_then(|range| self.text.get(range)).unwrap_or_default().trim_ascii()
    }

    /// [`field`](Self::field) as bytes (the same bytes: every field ends on a character boundary).
    fn field_bytes(&self, i: usize) -> &[u8] {
        self.record.get(i).unwrap_or_default().trim_ascii()
    }

    /// The callee number.
    pub fn callee_number(&self) -> &str {
        self.field(self.number)
    }

    /// The outId, when the row has a non-empty one.
    pub fn out_id(&self) -> Option<&str> {
        self.out_id.map(|i| self.field(i)).filter(|s| !s.is_empty())
    }

    /// Appends, form-encoded, the row as the JSON object the generated `CalleeRecord` serializes to: keys
    /// in byte order, an empty outId left out, every call variable as a string.
    pub fn write_form_encoded_json(&self, out: &mut Vec<u8>) {
        self.writer.borrow_mut().write(self, out);
    }

    /// The row as a [`CalleeRecord`].
    pub fn to_record(&self) -> CalleeRecord {
        let mut callee = CalleeRecord::new(self.callee_number());
        callee.out_id = self.out_id().map(str::to_owned);
        for (i, column) in self.columns.iter().enumerate() {
            if let Column::Variable(name) = column {
                callee.variables.insert(name.clone(), self.field(i).to_owned());
            }
        }
        callee
    }
}

impl Fields for CsvView<'_> {
    fn text(&self, i: usize) -> &str {
        self.field(i)
    }
    fn bytes(&self, i: usize) -> &[u8] {
        self.field_bytes(i)
    }
    fn len_bound(&self) -> usize {
        self.text.len()
    }
}

impl<R: Read> CsvRows<R> {
    /// Reads the next row and hands it to `f` as a view (or the reason it cannot be a row).
    pub fn next_with<T>(&mut self, f: impl FnOnce(u64, Result<CsvView<'_>, String>) -> T) -> Option<T> {
        let line = loop {
            if self.done {
                return None;
            }
            let before = self.reader.position().clone();
            let result = self.reader.read_byte_record(&mut self.raw);
            let start = self.raw.position().unwrap_or(&before);
            let line = self.reader.get_ref().lines.line_of(start.byte(), start.line());
            match result {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                // A blank line (or one of spaces, or the `\r` of a CRLF blank line) is not a row.
                Ok(true)
                    if self.raw.len() == 1
                        && self.raw.get(0).is_some_and(|f| f.iter().all(u8::is_ascii_whitespace)) => {}
                Ok(true) => break line,
                Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                    self.done = true;
                    return Some(f(line, Err(format!("input stopped: {e}"))));
                }
                Err(e) => return Some(f(line, Err(format!("malformed row: {e}")))),
            }
        };
        let bytes: usize = self.raw.as_slice().len();
        if bytes > MAX_ROW_BYTES {
            return Some(f(
                line,
                Err(format!("malformed row: {bytes} bytes, longer than the {MAX_ROW_BYTES}-byte limit")),
            ));
        }
        if self.raw.len() != self.columns.len() {
            let n = self.raw.len();
            return Some(f(
                line,
                Err(format!("malformed row: {n} fields where the header has {}", self.columns.len())),
            ));
        }
        // One UTF-8 check for the whole row (fields are sliced from it), no copy, no allocation.
        // The fields together can be valid where one alone is not: a character split by a delimiter.
        // Each field starts where the one before it ends, so checking the ends is enough.
        let split =
            |text: &str| (0..self.raw.len()).any(|i| self.raw.range(i).is_some_and(|r| !text.is_char_boundary(r.end)));
        let text = match std::str::from_utf8(self.raw.as_slice()) {
            Ok(text) if !split(text) => text,
            _ => {
                let field = self.raw.iter().position(|f| std::str::from_utf8(f).is_err()).unwrap_or_default() + 1;
                return Some(f(line, Err(format!("malformed row: field {field} is not valid UTF-8"))));
            }
        };
        let view = CsvView {
            text,
            record: &self.raw,
            columns: &self.columns,
            number: self.number,
            out_id: self.out_id,
            writer: RefCell::new(&mut self.writer),
        };
        Some(f(line, Ok(view)))
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        self.next_with(|line, view| Row { line, record: view.map(|v| v.to_record()) })
    }
}

/// JSON Lines rows, read lazily: one JSON object per line; blank lines are skipped.
pub struct JsonlRows<R: BufRead> {
    reader: R,
    line: u64,
    buffer: Vec<u8>,
    done: bool,
}

/// Reads JSON Lines from `input`.
pub fn jsonl_rows<R: BufRead>(input: R) -> JsonlRows<R> {
    JsonlRows { reader: input, line: 0, buffer: Vec::new(), done: false }
}

fn variable_text(key: &str, value: Value) -> Result<Option<String>, String> {
    match value {
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Null => Ok(None),
        Value::Array(_) | Value::Object(_) => Err(format!("call variable `{key}` must be text, not a list or object")),
    }
}

fn record_from_json(text: &str) -> Result<CalleeRecord, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("malformed row: invalid JSON: {e}"))?;
    let Value::Object(fields) = value else { return Err("malformed row: a line must hold a JSON object".into()) };
    let mut number = String::new();
    let mut out_id = None;
    let mut variables = Vec::new();
    for (key, value) in fields {
        match key.as_str() {
            "calleeNumber" => number = variable_text(&key, value)?.unwrap_or_default().trim_ascii().to_owned(),
            "outId" => {
                out_id = variable_text(&key, value)?.map(|s| s.trim_ascii().to_owned()).filter(|s| !s.is_empty())
            }
            _ => {
                if let Some(text) = variable_text(&key, value)? {
                    variables.push((key, text));
                }
            }
        }
    }
    let mut record = CalleeRecord::new(number);
    record.out_id = out_id;
    record.variables.extend(variables);
    Ok(record)
}

impl<R: BufRead> Iterator for JsonlRows<R> {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        while !self.done {
            self.buffer.clear();
            self.line += 1;
            match self.reader.read_until(b'\n', &mut self.buffer) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Row { line: self.line, record: Err(format!("input stopped: {e}")) });
                }
            }
            let line = self.line;
            if self.buffer.len() > MAX_ROW_BYTES {
                let n = self.buffer.len();
                return Some(Row {
                    line,
                    record: Err(format!("malformed row: {n} bytes, longer than the {MAX_ROW_BYTES}-byte limit")),
                });
            }
            let Ok(text) = std::str::from_utf8(&self.buffer) else {
                return Some(Row { line, record: Err("malformed row: not valid UTF-8".into()) });
            };
            let text = if line == 1 { text.trim_start_matches('\u{feff}') } else { text };
            if text.trim().is_empty() {
                continue;
            }
            return Some(Row { line, record: record_from_json(text) });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use acsgen::encode::form_encode_into;

    fn rows(csv: &str) -> Vec<Row> {
        csv_rows(csv.as_bytes()).unwrap().collect()
    }

    #[test]
    fn csv_columns_quotes_unicode_and_lines() {
        let input = "\u{feff}calleeNumber,outId,name,city\n\
                     13800000000,crm-1,\"Tom, Jr.\",Hangzhou\n\
                     \n\
                     13900000000,,张三,\"multi\nline\"\n\
                     13700000000,crm-3,Ann,Paris\n";
        let rows = rows(input);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].line, 2);
        let first = rows[0].record.as_ref().unwrap();
        assert_eq!((first.callee_number.as_str(), first.out_id.as_deref()), ("13800000000", Some("crm-1")));
        assert_eq!(first.variables["name"], "Tom, Jr.");
        let second = rows[1].record.as_ref().unwrap();
        assert_eq!((rows[1].line, second.out_id.as_deref(), second.variables["name"].as_str()), (4, None, "张三"));
        assert_eq!(second.variables["city"], "multi\nline");
        assert_eq!(rows[2].line, 6);
    }

    proptest::proptest! {
        /// Whatever the fields hold, the row's JSON written field by field is the generated type's.
        #[test]
        fn fast_json_matches_serde_for_any_fields(
            fields in proptest::collection::vec(("\\PC{0,12}", "[ -~]{0,6}", "(\\PC|\\\\|\"|\t){0,8}"), 1..4),
        ) {
            let mut csv = csv::Writer::from_writer(Vec::new());
            csv.write_record(["outId", "calleeNumber", "名前", "a b"]).unwrap();
            for (a, b, c) in &fields {
                csv.write_record([a.as_str(), "1", b.as_str(), c.as_str()]).unwrap();
            }
            let input = csv.into_inner().unwrap();
            let mut rows = csv_rows(input.as_slice()).unwrap();
            let mut compared = 0;
            while let Some(result) = rows.next_with(|_, view| {
                view.map(|view| {
                    let mut fast = Vec::new();
                    view.write_form_encoded_json(&mut fast);
                    (fast, view.to_record())
                })
            }) {
                let (fast, record) = result.unwrap();
                let mut slow = Vec::new();
                form_encode_into(&mut slow, &serde_json::to_string(&record).unwrap());
                proptest::prop_assert_eq!(String::from_utf8(fast).unwrap(), String::from_utf8(slow).unwrap());
                compared += 1;
            }
            proptest::prop_assert_eq!(compared, fields.len());
        }
    }

    #[test]
    fn a_character_split_by_a_delimiter_is_invalid_utf8() {
        // `中` is E4 B8 AD: here its bytes fall into two fields, each invalid although the row's bytes,
        // taken together, are not.
        let input = b"calleeNumber,name,more\n1,\xE4\xB8,\xAD\n2,\xE4\xB8\xAD,x\n".as_slice();
        let rows: Vec<Row> = csv_rows(input).unwrap().collect();
        assert_eq!(rows[0].record, Err("malformed row: field 2 is not valid UTF-8".into()));
        assert_eq!(rows[1].record.as_ref().unwrap().variables["name"], "中");
    }

    #[test]
    fn rows_without_an_out_id_column_are_written_as_serde_writes_them() {
        let input = "z,calleeNumber,a\n1,138 0000 0000,\"x, \"\"y\"\"\"\n,2,\n";
        let mut rows = csv_rows(input.as_bytes()).unwrap();
        let mut compared = 0;
        while let Some((fast, record)) = rows.next_with(|_, view| {
            let view = view.unwrap();
            let mut fast = b"kept".to_vec();
            view.write_form_encoded_json(&mut fast);
            (fast, view.to_record())
        }) {
            let mut slow = b"kept".to_vec();
            form_encode_into(&mut slow, &serde_json::to_string(&record).unwrap());
            assert_eq!(String::from_utf8(fast).unwrap(), String::from_utf8(slow).unwrap());
            compared += 1;
        }
        assert_eq!(compared, 2);
    }

    #[test]
    fn csv_line_numbers_with_crlf_and_no_final_newline() {
        let rows = rows("calleeNumber\r\n1\r\n\r\n2\r\n\"3\r\n\"\r\n4");
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4, 5, 7]);
    }

    /// A reader that hands out a few bytes at a time, as a pipe may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            Chunked(self.0, 3).read(buf).inspect(|n| self.0 = &self.0[*n..])
        }
    }

    /// A reader that hands out at most `.1` bytes at a time.
    struct Chunked<'a>(&'a [u8], usize);

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(self.1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn line_numbers_hold_when_input_trickles_in() {
        let input = "calleeNumber,name\n1,a\n\n\n\n2,\"two\nlines\"\n\n3,c\r\n\r\n4,d";
        let lines: Vec<u64> = csv_rows(Trickle(input.as_bytes())).unwrap().map(|r| r.line).collect();
        assert_eq!(lines, [2, 6, 9, 11]);
        let whole: Vec<u64> = csv_rows(input.as_bytes()).unwrap().map(|r| r.line).collect();
        assert_eq!(whole, lines);
    }

    proptest::proptest! {
        /// Whatever blank lines (`\n` or `\r\n`), rows spanning lines and read sizes: each row is numbered
        /// by the line it starts on. `pad` shifts everything past the reader's 64 KiB buffer.
        #[test]
        fn rows_are_numbered_by_the_line_they_start_on(
            rows in proptest::collection::vec((0usize..4, proptest::bool::ANY, 0usize..3), 1..12),
            pad in proptest::option::of(60_000usize..70_000),
            read_size in 1usize..9,
            final_break in proptest::bool::ANY,
        ) {
            let mut input = String::from("calleeNumber,name\n");
            let mut expected = Vec::new();
            if let Some(pad) = pad {
                input.push_str(&format!("0,{}\n", "p".repeat(pad)));
                expected.push(2);
            }
            for (n, (blanks, crlf, inner)) in rows.iter().enumerate() {
                for _ in 0..*blanks {
                    input.push_str(if *crlf { "\r\n" } else { "\n" });
                }
                expected.push(input.matches('\n').count() as u64 + 1);
                input.push_str(&format!("{n},\"{}\"", "x\n".repeat(*inner)));
                if final_break || n + 1 < rows.len() {
                    input.push('\n');
                }
            }
            fn lines<R: Read>(reader: R) -> Vec<u64> {
                csv_rows(reader).unwrap().map(|r| r.line).collect()
            }
            proptest::prop_assert_eq!(lines(Chunked(input.as_bytes(), read_size)), expected.clone());
            proptest::prop_assert_eq!(lines(input.as_bytes()), expected);
        }
    }

    #[test]
    fn csv_bad_rows_are_rejected_with_their_line() {
        let mut input = b"calleeNumber,outId\n1,a\n2,b,extra\n3,\xff\xfe\n".to_vec();
        input.extend_from_slice(format!("4,{}\n5,e\n", "x".repeat(MAX_ROW_BYTES + 1)).as_bytes());
        let rows: Vec<Row> = csv_rows(&input[..]).unwrap().collect();
        assert_eq!(rows.len(), 5);
        assert!(rows[0].record.is_ok());
        assert_eq!(
            (rows[1].line, rows[1].record.clone().unwrap_err()),
            (3, "malformed row: 3 fields where the header has 2".into())
        );
        assert_eq!(
            (rows[2].line, rows[2].record.clone().unwrap_err()),
            (4, "malformed row: field 2 is not valid UTF-8".into())
        );
        assert!(rows[3].record.clone().unwrap_err().contains("longer than the 1048576-byte limit"), "{:?}", rows[3]);
        assert_eq!(rows[4].line, 6);
        assert!(rows[4].record.is_ok());
    }

    #[test]
    fn csv_headers_that_cannot_work() {
        let err = |input: &str| csv_rows(input.as_bytes()).err().unwrap().to_string();
        assert!(err("").contains("the input is empty"));
        assert!(err("number,outId\n1,2\n").contains("no calleeNumber column; found: number, outId"));
        assert!(err("calleenumber,outId\n").contains("differs only in case"));
        assert!(err("calleeNumber,,x\n").contains("column 2 has no name"));
        assert!(err("calleeNumber,a,a\n").contains("`a` twice"));
    }

    #[test]
    fn jsonl_rows_with_variables_and_errors() {
        let input = "{\"calleeNumber\":\"1\",\"outId\":\"a\",\"name\":\"Tom\",\"age\":18,\"vip\":true,\"gone\":null}\n\
                     \n\
                     {\"calleeNumber\":\"2\",\"tags\":[1]}\n\
                     not json\n\
                     [1,2]\n";
        let rows: Vec<Row> = jsonl_rows(input.as_bytes()).collect();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 3, 4, 5]);
        let first = rows[0].record.as_ref().unwrap();
        assert_eq!(
            first.variables.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
            ["age=18", "name=Tom", "vip=true"]
        );
        assert!(rows[1].record.clone().unwrap_err().contains("`tags` must be text"));
        assert!(rows[2].record.clone().unwrap_err().starts_with("malformed row: invalid JSON"));
        assert!(rows[3].record.clone().unwrap_err().contains("JSON object"));
    }
}
