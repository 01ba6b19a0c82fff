//! Reading callee rows, streaming, with the input line of every row: CSV ([`csv`](mod@csv): a header row;
//! `calleeNumber` required, `outId` optional, every other column a call variable) and JSON Lines
//! ([`jsonl`]: one object per line). A row that is not a callee becomes a rejected row naming its line;
//! a header that makes the whole input unusable is an error, and so is input that cannot be read on (a
//! [`ReadError`], which stops the import where it is).

use std::io;

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

/// The input could not be read on (a failing disk, a broken pipe): the rows from `line` on are unknown.
/// It stops an import; once the input reads again, a resumed import finishes the job.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: cannot read the input: {error}")]
pub struct ReadError {
    /// The line being read when it failed.
    pub line: u64,
    /// What failed.
    #[source]
    pub error: io::Error,
}

/// An item [`import_rows`](crate::import_rows) takes from its iterator: a [`Row`], or — from a source
/// that can fail, such as [`csv_rows`] and [`jsonl_rows`] — a `Result<Row, ReadError>`, whose error
/// stops the import.
pub trait IntoRow {
    /// The row, or why the input could not be read on.
    fn into_row(self) -> Result<Row, ReadError>;
}

impl IntoRow for Row {
    fn into_row(self) -> Result<Row, ReadError> {
        Ok(self)
    }
}

impl IntoRow for Result<Row, ReadError> {
    fn into_row(self) -> Result<Row, ReadError> {
        self
    }
}

/// A character no callee number, outId or column name may hold: a control character, or the byte-order
/// mark (which a file put together from several can carry in its middle).
pub(crate) fn unprintable(c: char) -> bool {
    c.is_control() || c == '\u{feff}'
}

/// Input that gives its bytes, then fails: a disk or pipe that breaks part-way.
#[cfg(test)]
pub(crate) struct FailsAfter<'a>(pub(crate) &'a [u8]);

#[cfg(test)]
impl io::Read for FailsAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::other("device gone"));
        }
        let n = buf.len().min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}
