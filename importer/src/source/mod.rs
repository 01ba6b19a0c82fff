//! Reading callee rows, streaming, with the input line of every row: CSV ([`csv`](mod@csv): a header row;
//! `calleeNumber` required, `outId` optional, every other column a call variable) and JSON Lines
//! ([`jsonl`]: one object per line). A row that cannot be read becomes a rejected row naming its line;
//! only a header that makes the whole input unusable is an error.

mod csv;
mod jsonl;
mod records;

use acsgen::aiccs::CalleeRecord;

pub(crate) use csv::CsvView;
pub use csv::{CsvRows, MAX_HEADER_BYTES, csv_rows};
pub use jsonl::{JsonlRows, jsonl_rows};

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

/// A character no callee number, outId or column name may hold: a control character, or the byte-order
/// mark (which a file put together from several can carry in its middle).
pub(crate) fn unprintable(c: char) -> bool {
    c.is_control() || c == '\u{feff}'
}
