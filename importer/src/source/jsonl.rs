//! JSON Lines input: one object per line, `calleeNumber` and `outId` its fields, every other member a call
//! variable.

use std::io::BufRead;

use acsgen::aiccs::CalleeRecord;
use serde_json::Value;

use super::{MAX_ROW_BYTES, Row};

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
