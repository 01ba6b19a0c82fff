//! CSV input: a header row naming the columns (`calleeNumber` required, `outId` optional, every other
//! column a call variable), then one callee per row. Rows are handed over as views of the reader's
//! buffer, written in their wire form without building a record.

use std::cell::RefCell;
use std::io::Read;

use acsgen::aiccs::CalleeRecord;

use super::lines::Tracked;
use super::{MAX_ROW_BYTES, Row};
use crate::ImportError;
use crate::wire::{Fields, RowWriter};

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
    let tracked = Tracked::new(input);
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
pub(crate) struct CsvView<'a> {
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
    pub(crate) fn callee_number(&self) -> &str {
        self.field(self.number)
    }

    /// The outId, when the row has a non-empty one.
    pub(crate) fn out_id(&self) -> Option<&str> {
        self.out_id.map(|i| self.field(i)).filter(|s| !s.is_empty())
    }

    /// Appends, form-encoded, the row as the JSON object the generated `CalleeRecord` serializes to: keys
    /// in byte order, an empty outId left out, every call variable as a string.
    pub(crate) fn write_form_encoded_json(&self, out: &mut Vec<u8>) {
        self.writer.borrow_mut().write(self, out);
    }

    /// The row as a [`CalleeRecord`].
    pub(crate) fn to_record(&self) -> CalleeRecord {
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
    pub(crate) fn next_with<T>(&mut self, f: impl FnOnce(u64, Result<CsvView<'_>, String>) -> T) -> Option<T> {
        let line = loop {
            if self.done {
                return None;
            }
            let before = self.reader.position().clone();
            let result = self.reader.read_byte_record(&mut self.raw);
            let start = self.raw.position().unwrap_or(&before);
            let line = self.reader.get_ref().line_of(start.byte(), start.line());
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
}
