//! Reading callee rows from CSV (a header row; `calleeNumber` required, `outId` optional, every other
//! column a call variable) and JSON Lines (one object per line), streaming, with the input line of every
//! row. A row that cannot be read becomes a rejected row naming its line; only a header that makes the
//! whole input unusable is an error.

use std::io::{BufRead, Read};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::ImportError;
use crate::aiccs::CalleeRecord;

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
    lines: Arc<Mutex<Window>>,
    columns: Vec<Column>,
    record: csv::ByteRecord,
    done: bool,
}

/// The input bytes the CSV parser has read but whose rows have not been numbered yet. The csv crate's
/// own line count starts a record at the blank lines and line breaks before it (and counts `\r\n` oddly),
/// so rows are numbered here instead: from the first byte of the row that is not a line break.
#[derive(Debug, Default)]
struct Window {
    /// Input offset of `bytes[0]`.
    base: u64,
    bytes: std::collections::VecDeque<u8>,
    /// Line breaks before `base`.
    lines_before: u64,
}

impl Window {
    /// The line of the row whose parse began at input offset `start`; forgets everything before it.
    fn line_of(&mut self, start: u64) -> u64 {
        let from = usize::try_from(start.saturating_sub(self.base)).unwrap_or(usize::MAX).min(self.bytes.len());
        let skip = self.bytes.range(from..).take_while(|b| **b == b'\n' || **b == b'\r').count();
        let at = from + skip;
        let newlines = self.bytes.drain(..at).filter(|b| *b == b'\n').count() as u64;
        self.lines_before += newlines;
        self.base += at as u64;
        self.lines_before + 1
    }
}

/// The input, copying what passes into the window.
struct Tracked<R> {
    inner: R,
    window: Arc<Mutex<Window>>,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.window.lock().unwrap_or_else(|e| e.into_inner()).bytes.extend(&buf[..n]);
        Ok(n)
    }
}

#[derive(Debug, Clone)]
enum Column {
    Number,
    OutId,
    Variable(String),
}

/// Opens CSV input and reads its header. Fails when the input is empty or the header has no
/// `calleeNumber` column, an empty column name or a repeated one.
pub fn csv_rows<R: Read>(input: R) -> Result<CsvRows<R>, ImportError> {
    let lines = Arc::new(Mutex::new(Window::default()));
    let tracked = Tracked { inner: input, window: lines.clone() };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(tracked);
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
    let columns = names
        .into_iter()
        .map(|n| match n.as_str() {
            "calleeNumber" => Column::Number,
            "outId" => Column::OutId,
            _ => Column::Variable(n),
        })
        .collect();
    lines.lock().unwrap_or_else(|e| e.into_inner()).line_of(header.position().map_or(0, csv::Position::byte));
    Ok(CsvRows { reader, lines, columns, record: csv::ByteRecord::new(), done: false })
}

impl<R: Read> CsvRows<R> {
    fn convert(&self, line: u64) -> Row {
        let bytes: usize = self.record.as_slice().len();
        if bytes > MAX_ROW_BYTES {
            return Row {
                line,
                record: Err(format!("malformed row: {bytes} bytes, longer than the {MAX_ROW_BYTES}-byte limit")),
            };
        }
        if self.record.len() != self.columns.len() {
            return Row {
                line,
                record: Err(format!(
                    "malformed row: {} fields where the header has {}",
                    self.record.len(),
                    self.columns.len()
                )),
            };
        }
        let mut number = String::new();
        let mut out_id = None;
        let mut variables = Vec::new();
        for (i, (field, column)) in self.record.iter().zip(&self.columns).enumerate() {
            let Ok(text) = std::str::from_utf8(field) else {
                return Row { line, record: Err(format!("malformed row: field {} is not valid UTF-8", i + 1)) };
            };
            let text = text.trim();
            match column {
                Column::Number => number = text.to_owned(),
                Column::OutId if !text.is_empty() => out_id = Some(text.to_owned()),
                Column::OutId => {}
                Column::Variable(name) => variables.push((name.clone(), text.to_owned())),
            }
        }
        let mut record = CalleeRecord::new(number);
        record.out_id = out_id;
        record.variables.extend(variables);
        Row { line, record: Ok(record) }
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        if self.done {
            return None;
        }
        loop {
            let start = self.reader.position().byte();
            let result = self.reader.read_byte_record(&mut self.record);
            let start = self.record.position().map_or(start, csv::Position::byte);
            match result {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Ok(true) => {
                    let line = self.lines.lock().unwrap_or_else(|e| e.into_inner()).line_of(start);
                    // A blank line is not a row.
                    if self.record.len() == 1
                        && self.record.get(0).is_some_and(|f| f.iter().all(u8::is_ascii_whitespace))
                    {
                        continue;
                    }
                    return Some(self.convert(line));
                }
                Err(e) => {
                    let line = self.lines.lock().unwrap_or_else(|e| e.into_inner()).line_of(start);
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        self.done = true;
                        return Some(Row { line, record: Err(format!("input stopped: {e}")) });
                    }
                    return Some(Row { line, record: Err(format!("malformed row: {e}")) });
                }
            }
        }
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
            "calleeNumber" => number = variable_text(&key, value)?.unwrap_or_default().trim().to_owned(),
            "outId" => out_id = variable_text(&key, value)?.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
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

    #[test]
    fn csv_line_numbers_with_crlf_and_no_final_newline() {
        let rows = rows("calleeNumber\r\n1\r\n\r\n2\r\n\"3\r\n\"\r\n4");
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4, 5, 7]);
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
