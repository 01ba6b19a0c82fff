//! CSV input: a header row naming the columns (`calleeNumber` required, `outId` optional, every other
//! column a call variable), then one callee per row. Rows are handed over as views of the reader's
//! buffer, written in their wire form without building a record. Memory is bounded whatever the input:
//! a header over [`MAX_HEADER_BYTES`] stops the import, a row over [`MAX_ROW_BYTES`] is rejected and the
//! next rows are read on.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::Read;

use acsgen::aiccs::CalleeRecord;

use super::records::{Fields, Record, Records};
use super::unprintable;
use super::{MAX_ROW_BYTES, ReadError, Row};
use crate::ImportError;
use crate::wire::{self, RowWriter};

/// The longest header row read (its names' bytes).
pub const MAX_HEADER_BYTES: usize = 4 * 1024 * 1024;
/// The most columns a header may name.
const MAX_COLUMNS: usize = 1_000_000;

/// CSV rows, read lazily. Create with [`csv_rows`].
pub struct CsvRows<R: Read> {
    records: Records<R>,
    columns: Vec<Column>,
    number: usize,
    out_id: Option<usize>,
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

/// Opens CSV input and reads its header. Fails when the input is empty, the header is over
/// [`MAX_HEADER_BYTES`], or it has no `calleeNumber` column, an empty, repeated or unreadable column name.
pub fn csv_rows<R: Read>(input: R) -> Result<CsvRows<R>, ImportError> {
    let mut records = Records::new(input);
    let read = records.next(MAX_HEADER_BYTES, MAX_COLUMNS, false);
    let names = match read.map_err(|e| ImportError::Input(format!("cannot read the header row: {e}")))? {
        None => {
            return Err(ImportError::Input(
                "the input is empty: expected a header row naming a calleeNumber column".into(),
            ));
        }
        Some(Record::TooLong { bytes, fields, .. }) => {
            return Err(ImportError::Input(format!(
                "the header row is too long (over {MAX_HEADER_BYTES} bytes or {MAX_COLUMNS} columns; read {bytes} bytes in {fields} columns before stopping): is this a CSV file?"
            )));
        }
        Some(Record::Whole { fields, .. }) => column_names(fields)?,
    };
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
    let writer = RowWriter::new(&names, number, out_id);
    Ok(CsvRows { records, columns, number, out_id, writer, done: false })
}

/// The header's column names, checked: each valid UTF-8, named, without control characters, used once,
/// and one of them `calleeNumber`.
fn column_names(header: Fields<'_>) -> Result<Vec<String>, ImportError> {
    let mut names = Vec::with_capacity(header.len());
    let mut seen = HashSet::with_capacity(header.len());
    for (i, raw) in header.iter().enumerate() {
        let raw = if i == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
        let column = i + 1;
        let name = std::str::from_utf8(raw)
            .map_err(|_| ImportError::Input(format!("the header's column {column} is not valid UTF-8")))?
            .trim();
        if name.is_empty() {
            return Err(ImportError::Input(format!("the header's column {column} has no name")));
        }
        if name.chars().any(unprintable) {
            return Err(ImportError::Input(format!(
                "the header's column {column} holds a control character or a byte-order mark: {name:?}"
            )));
        }
        if !seen.insert(name) {
            return Err(ImportError::Input(format!("the header names the column `{name}` twice")));
        }
        names.push(name.to_owned());
    }
    if !names.iter().any(|n| n == "calleeNumber") {
        let hint = names
            .iter()
            .find(|n| n.eq_ignore_ascii_case("calleeNumber"))
            .map(|n| format!(" (`{n}` differs only in case: the name is case-sensitive)"))
            .unwrap_or_default();
        let found = names.iter().take(20).map(String::as_str).collect::<Vec<_>>().join(", ");
        let more = if names.len() > 20 { format!(" and {} more", names.len() - 20) } else { String::new() };
        return Err(ImportError::Input(format!("the header has no calleeNumber column{hint}; found: {found}{more}")));
    }
    Ok(names)
}

/// One CSV row as read, borrowed from the reader: what the importer needs, without building a
/// [`CalleeRecord`] (the importer writes the row's JSON straight from its fields).
pub(crate) struct CsvView<'a> {
    /// The row's fields, one after another, checked as UTF-8 once.
    text: &'a str,
    /// Where each field sits in `text`.
    fields: Fields<'a>,
    columns: &'a [Column],
    number: usize,
    out_id: Option<usize>,
    writer: RefCell<&'a mut RowWriter>,
}

impl CsvView<'_> {
    fn field(&self, i: usize) -> &str {
        self.text.get(self.fields.range(i)).unwrap_or_default().trim_ascii()
    }

    /// [`field`](Self::field) as bytes (the same bytes: every field ends on a character boundary).
    fn field_bytes(&self, i: usize) -> &[u8] {
        self.fields.get(i).trim_ascii()
    }

    /// The callee number.
    pub(crate) fn callee_number(&self) -> &str {
        self.field(self.number)
    }

    /// The outId, when the row has a non-empty one.
    pub(crate) fn out_id(&self) -> Option<&str> {
        self.out_id.map(|i| self.field(i)).filter(|s| !s.is_empty())
    }

    /// Appends, form-encoded, the row as the JSON object the generated `CalleeRecord` serializes to:
    /// `calleeNumber`, `outId` unless empty, then every call variable as a string in key order.
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

impl wire::Fields for CsvView<'_> {
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
    /// Reads the next row and hands it to `f` as a view (or the reason it cannot be a row); `None` at the
    /// end of the input, and after a read error.
    pub(crate) fn next_with<T>(
        &mut self,
        f: impl FnOnce(u64, Result<CsvView<'_>, String>) -> T,
    ) -> Option<Result<T, ReadError>> {
        let columns = self.columns.len();
        let (line, fields) = loop {
            if self.done {
                return None;
            }
            match self.records.next(MAX_ROW_BYTES, columns + 1, true) {
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(error) => {
                    self.done = true;
                    return Some(Err(ReadError { line: self.records.line(), error }));
                }
                Ok(Some(Record::TooLong { line, bytes, fields })) => {
                    return Some(Ok(f(line, Err(too_long(bytes, fields, columns)))));
                }
                // A blank line (or one of spaces, or the `\r` of a CRLF blank line) is not a row.
                Ok(Some(Record::Whole { fields, .. }))
                    if fields.len() == 1 && fields.get(0).iter().all(u8::is_ascii_whitespace) => {}
                Ok(Some(Record::Whole { line, fields })) => break (line, fields),
            }
        };
        if fields.len() != columns {
            let reason = format!("malformed row: {} fields where the header has {columns}", fields.len());
            return Some(Ok(f(line, Err(reason))));
        }
        let text = match utf8(fields) {
            Ok(text) => text,
            Err(reason) => return Some(Ok(f(line, Err(reason)))),
        };
        let view = CsvView {
            text,
            fields,
            columns: &self.columns,
            number: self.number,
            out_id: self.out_id,
            writer: RefCell::new(&mut self.writer),
        };
        Some(Ok(f(line, Ok(view))))
    }
}

/// Why a row over the limits was rejected.
fn too_long(bytes: u64, fields: u64, columns: usize) -> String {
    if bytes > MAX_ROW_BYTES as u64 {
        format!("malformed row: {bytes} bytes, longer than the {MAX_ROW_BYTES}-byte limit")
    } else {
        format!("malformed row: {fields} fields where the header has {columns}")
    }
}

/// The row's fields as one text, checked as UTF-8 once (no copy, no allocation). The fields together can
/// be valid where one alone is not — a character split by a delimiter — and each field starts where the
/// one before it ends, so checking the ends is enough.
fn utf8(fields: Fields<'_>) -> Result<&str, String> {
    let split = |text: &str| (0..fields.len()).any(|i| !text.is_char_boundary(fields.range(i).end));
    match std::str::from_utf8(fields.bytes()) {
        Ok(text) if !split(text) => Ok(text),
        _ => {
            let field = fields.iter().position(|f| std::str::from_utf8(f).is_err()).unwrap_or_default() + 1;
            Err(format!("malformed row: field {field} is not valid UTF-8"))
        }
    }
}

/// Rows, each with its line; a [`ReadError`] ends them.
impl<R: Read> Iterator for CsvRows<R> {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_with(|line, view| Row { line, record: view.map(|v| v.to_record()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use acsgen::encode::form_encode_into;

    fn rows(csv: &str) -> Vec<Row> {
        csv_rows(csv.as_bytes()).unwrap().map(Result::unwrap).collect()
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
                let (fast, record) = result.unwrap().unwrap();
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
        let rows: Vec<Row> = csv_rows(input).unwrap().map(Result::unwrap).collect();
        assert_eq!(rows[0].record, Err("malformed row: field 2 is not valid UTF-8".into()));
        assert_eq!(rows[1].record.as_ref().unwrap().variables["name"], "中");
    }

    #[test]
    fn rows_without_an_out_id_column_are_written_as_serde_writes_them() {
        let input = "z,calleeNumber,a\n1,138 0000 0000,\"x, \"\"y\"\"\"\n,2,\n";
        let mut rows = csv_rows(input.as_bytes()).unwrap();
        let mut compared = 0;
        while let Some(Ok((fast, record))) = rows.next_with(|_, view| {
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
        let rows: Vec<Row> = csv_rows(&input[..]).unwrap().map(Result::unwrap).collect();
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
        assert!(err("calleeNumber,na\u{feff}me\n").contains("column 2 holds a control character or a byte-order mark"));
        assert!(err("calleeNumber,a\u{0}\n").contains("column 2 holds a control character"));
        assert!(err(&"x".repeat(MAX_HEADER_BYTES + 1)).contains("the header row is too long"));
    }

    /// The repeated-name check takes a look per column, not a comparison with every other one.
    #[test]
    fn a_header_of_200000_columns_is_read() {
        let header: Vec<String> = (0..200_000).map(|i| format!("c{i}")).collect();
        let input = format!("calleeNumber,{}\n1,{}\n", header.join(","), ",".repeat(199_999));
        let rows: Vec<Row> = csv_rows(input.as_bytes()).unwrap().map(Result::unwrap).collect();
        assert_eq!(rows[0].record.as_ref().unwrap().variables.len(), 200_000);
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
        let lines: Vec<u64> = csv_rows(Trickle(input.as_bytes())).unwrap().map(|r| r.unwrap().line).collect();
        assert_eq!(lines, [2, 6, 9, 11]);
        let whole: Vec<u64> = csv_rows(input.as_bytes()).unwrap().map(|r| r.unwrap().line).collect();
        assert_eq!(whole, lines);
    }

    /// Input that breaks part-way ends the rows with the error and the line it broke on; nothing after.
    #[test]
    fn a_read_error_ends_the_rows() {
        let input = "calleeNumber,name\n1,a\n2,b\n3,c";
        let mut rows = csv_rows(crate::source::FailsAfter(&input.as_bytes()[..input.len() - 2])).unwrap();
        let lines: Vec<u64> = rows.by_ref().map_while(Result::ok).map(|r| r.line).collect();
        assert_eq!(lines, [2, 3]);
        let mut rows = csv_rows(crate::source::FailsAfter(&input.as_bytes()[..input.len() - 2])).unwrap();
        let error = rows.nth(2).unwrap().unwrap_err();
        assert_eq!(error.to_string(), "line 4: cannot read the input: device gone");
        assert!(rows.next().is_none());
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
                csv_rows(reader).unwrap().map(|r| r.unwrap().line).collect()
            }
            proptest::prop_assert_eq!(lines(Chunked(input.as_bytes(), read_size)), expected.clone());
            proptest::prop_assert_eq!(lines(input.as_bytes()), expected);
        }
    }
}
