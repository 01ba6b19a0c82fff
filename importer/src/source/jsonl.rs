//! JSON Lines input: one object per line, `calleeNumber` and `outId` its fields, every other member a call
//! variable. A line is read into memory only up to [`MAX_ROW_BYTES`]: a longer one is read past and
//! rejected, and the next lines are read on. Values are taken as written: a number's text is kept exactly
//! (a phone number or an ID is never rounded), and a key given twice in one object is refused.

use std::collections::HashSet;
use std::fmt;
use std::io::{self, BufRead};

use acsgen::aiccs::CalleeRecord;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{MAX_ROW_BYTES, ReadError, Row};

/// JSON Lines rows, read lazily: one JSON object per line; blank lines are skipped.
pub struct JsonlRows<R: BufRead> {
    reader: R,
    line: u64,
    /// The line being read: at most [`MAX_ROW_BYTES`] + 1 bytes of it.
    buffer: Vec<u8>,
    done: bool,
}

/// Reads JSON Lines from `input`.
pub fn jsonl_rows<R: BufRead>(input: R) -> JsonlRows<R> {
    JsonlRows { reader: input, line: 0, buffer: Vec::new(), done: false }
}

impl<R: BufRead> JsonlRows<R> {
    /// Reads the next line into `buffer` without its line end (`\n` or `\r\n`), keeping at most
    /// [`MAX_ROW_BYTES`] + 2 bytes of it; gives its whole length without the line end, or `None` at the end
    /// of the input.
    fn read_line(&mut self) -> io::Result<Option<u64>> {
        self.buffer.clear();
        let (mut length, mut ends_in_cr) = (0u64, false);
        loop {
            let input = self.reader.fill_buf()?;
            if input.is_empty() {
                return Ok((length > 0).then_some(length));
            }
            let (content, ends) = match memchr::memchr(b'\n', input) {
                Some(at) => (at, true),
                None => (input.len(), false),
            };
            let room = (MAX_ROW_BYTES + 2).saturating_sub(self.buffer.len());
            self.buffer.extend_from_slice(&input[..content.min(room)]);
            if content > 0 {
                ends_in_cr = input[content - 1] == b'\r';
            }
            self.reader.consume(content + usize::from(ends));
            length += content as u64;
            if ends {
                if ends_in_cr {
                    length -= 1;
                    if self.buffer.last() == Some(&b'\r') {
                        self.buffer.pop();
                    }
                }
                return Ok(Some(length));
            }
        }
    }
}

/// Rows, each with its line; a [`ReadError`] ends them.
impl<R: BufRead> Iterator for JsonlRows<R> {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.line += 1;
            let line = self.line;
            let length = match self.read_line() {
                Ok(Some(length)) => length,
                Ok(None) => break,
                Err(error) => {
                    self.done = true;
                    return Some(Err(ReadError { line, error }));
                }
            };
            if length > MAX_ROW_BYTES as u64 {
                let reason = format!("malformed row: {length} bytes, longer than the {MAX_ROW_BYTES}-byte limit");
                return Some(Ok(Row { line, record: Err(reason) }));
            }
            let Ok(text) = std::str::from_utf8(&self.buffer) else {
                return Some(Ok(Row { line, record: Err("malformed row: not valid UTF-8".into()) }));
            };
            let text = if line == 1 { text.trim_start_matches('\u{feff}') } else { text };
            if text.trim().is_empty() {
                continue;
            }
            return Some(Ok(Row { line, record: record_from_json(text) }));
        }
        self.done = true;
        None
    }
}

/// A JSON object's members as written: each key once, each value's text untouched.
struct Members(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let (mut members, mut seen) = (Vec::new(), HashSet::new());
                while let Some(key) = map.next_key::<String>()? {
                    if !seen.insert(key.clone()) {
                        return Err(serde::de::Error::custom(format!("the key `{key}` is given twice")));
                    }
                    members.push((key, map.next_value()?));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// A member's value as text: a string's contents, a number's or boolean's text exactly as written; `None`
/// for null.
fn value_text(key: &str, value: &RawValue) -> Result<Option<String>, String> {
    let raw = value.get();
    match raw.as_bytes().first() {
        Some(b'"') => serde_json::from_str(raw).map(Some).map_err(|e| format!("malformed row: `{key}`: {e}")),
        Some(b'n') => Ok(None),
        Some(b'[' | b'{') => Err(format!("call variable `{key}` must be text, not a list or object")),
        _ => Ok(Some(raw.to_owned())),
    }
}

fn record_from_json(text: &str) -> Result<CalleeRecord, String> {
    let members = match serde_json::from_str::<Members>(text) {
        Ok(members) => members,
        Err(e) if e.is_data() => return Err(format!("malformed row: a line must hold a JSON object ({e})")),
        Err(e) => return Err(format!("malformed row: invalid JSON: {e}")),
    };
    let mut record = CalleeRecord::new("");
    for (key, value) in members.0 {
        let text = value_text(&key, &value)?;
        match key.as_str() {
            "calleeNumber" => record.callee_number = text.unwrap_or_default().trim_ascii().to_owned(),
            "outId" => record.out_id = text.map(|s| s.trim_ascii().to_owned()).filter(|s| !s.is_empty()),
            _ => {
                if let Some(text) = text {
                    record.variables.insert(key, text);
                }
            }
        }
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_rows_with_variables_and_errors() {
        let input = "{\"calleeNumber\":\"1\",\"outId\":\"a\",\"name\":\"Tom\",\"age\":18,\"vip\":true,\"gone\":null}\n\
                     \n\
                     {\"calleeNumber\":\"2\",\"tags\":[1]}\n\
                     not json\n\
                     [1,2]\n";
        let rows: Vec<Row> = jsonl_rows(input.as_bytes()).map(Result::unwrap).collect();
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

    /// Numbers are sent as written, never through a float: a phone number or an ID is never changed.
    #[test]
    fn numbers_keep_the_text_they_are_written_with() {
        let input = "{\"calleeNumber\":13800000000,\"outId\":123456789012345678901234567890,\"n\":1e3,\"x\":-0.10}\n";
        let rows: Vec<Row> = jsonl_rows(input.as_bytes()).map(Result::unwrap).collect();
        let record = rows[0].record.as_ref().unwrap();
        assert_eq!(record.callee_number, "13800000000");
        assert_eq!(record.out_id.as_deref(), Some("123456789012345678901234567890"));
        assert_eq!((record.variables["n"].as_str(), record.variables["x"].as_str()), ("1e3", "-0.10"));
    }

    #[test]
    fn a_key_given_twice_is_refused() {
        let rows: Vec<Row> =
            jsonl_rows("{\"calleeNumber\":\"1\",\"calleeNumber\":\"2\"}\n".as_bytes()).map(Result::unwrap).collect();
        let reason = rows[0].record.clone().unwrap_err();
        assert!(reason.contains("the key `calleeNumber` is given twice"), "{reason}");
    }

    /// Input that breaks part-way ends the rows with the error and the line it broke on; nothing after.
    #[test]
    fn a_read_error_ends_the_rows() {
        let input = "{\"calleeNumber\":\"1\"}\n\n{\"calleeNumber\":\"2\"}\n{\"calleeNu";
        let mut rows = jsonl_rows(std::io::BufReader::new(crate::source::FailsAfter(input.as_bytes())));
        assert_eq!(rows.next().unwrap().unwrap().line, 1);
        assert_eq!(rows.next().unwrap().unwrap().line, 3);
        let error = rows.next().unwrap().unwrap_err();
        assert_eq!(error.to_string(), "line 4: cannot read the input: device gone");
        assert!(rows.next().is_none());
    }

    /// The limit is on a line's content, whatever ends it: exactly [`MAX_ROW_BYTES`] is read, one more is not.
    #[test]
    fn the_limit_is_the_same_for_every_line_end() {
        let line = |bytes: usize| {
            let head = "{\"calleeNumber\":\"1\",\"x\":\"";
            format!("{head}{}\"}}", "a".repeat(bytes - head.len() - 2))
        };
        for end in ["\n", "\r\n", ""] {
            for (bytes, accepted) in [(MAX_ROW_BYTES, true), (MAX_ROW_BYTES + 1, false)] {
                let input = format!("{}{end}", line(bytes));
                let row = jsonl_rows(input.as_bytes()).next().unwrap().unwrap();
                assert_eq!(row.record.is_ok(), accepted, "{bytes} bytes and {end:?}: {:?}", row.record.err());
            }
        }
    }

    /// A line longer than the limit is rejected without being held in memory, and the next is read on.
    #[test]
    fn a_line_over_the_limit_is_read_past() {
        let mut input = format!("{{\"calleeNumber\":\"{}\"}}\n", "9".repeat(3 * MAX_ROW_BYTES)).into_bytes();
        input.extend_from_slice(b"{\"calleeNumber\":\"2\"}");
        let mut rows = jsonl_rows(input.as_slice());
        let first = rows.next().unwrap().unwrap();
        assert!(first.record.unwrap_err().contains("3145747 bytes, longer than the 1048576-byte limit"));
        assert!(rows.buffer.capacity() <= 2 * MAX_ROW_BYTES + 2, "{} bytes held", rows.buffer.capacity());
        let second = rows.next().unwrap().unwrap();
        assert_eq!((second.line, second.record.unwrap().callee_number.as_str()), (2, "2"));
        assert!(rows.next().is_none());
    }
}
