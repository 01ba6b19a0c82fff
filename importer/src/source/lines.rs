//! Numbering CSV rows by the line they start on, as the input is read.

use std::collections::VecDeque;
use std::io::Read;

use super::MAX_ROW_BYTES;

/// What numbering rows needs of the most recent input. The csv crate numbers a row by the line where its
/// parse began, which is the first of any blank lines it skipped before the row; the row's own line is
/// that plus the line breaks at the start of its parse. A parse begins right after a line break, so it
/// begins at one only where a blank line starts (a `\n` right after a `\n`): the recent reads are kept as
/// offsets, with their bytes only when they hold such a place — for most input, no copy at all.
#[derive(Debug)]
struct Lines {
    /// Recent reads, oldest first, covering up to the longest row allowed.
    chunks: VecDeque<Chunk>,
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
        Self { chunks: VecDeque::new(), kept: 0, after_break: true }
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
pub(super) struct Tracked<R> {
    inner: R,
    offset: u64,
    lines: Lines,
}

impl<R> Tracked<R> {
    pub(super) fn new(inner: R) -> Self {
        Self { inner, offset: 0, lines: Lines::default() }
    }

    /// The line of the row whose parse began at input offset `start`, on csv's line `csv_line`.
    pub(super) fn line_of(&self, start: u64, csv_line: u64) -> u64 {
        self.lines.line_of(start, csv_line)
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.lines.keep(self.offset, &buf[..n]);
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Row, csv_rows};
    use super::*;

    fn rows(csv: &str) -> Vec<Row> {
        csv_rows(csv.as_bytes()).unwrap().collect()
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
}
