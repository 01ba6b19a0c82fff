//! CSV records read within a limit: `csv_core` parses the input through a fixed 64 KiB buffer into a
//! record buffer that grows up to the caller's limit, and a record longer than that is read past — parsed
//! to its end, its bytes thrown away — so that no input, however long its lines, makes memory grow past
//! the limit. Rows are numbered by the line they start on: blank lines before a record are skipped here,
//! and the parser counts every line break it reads.

use std::io::{self, BufRead, BufReader, Read};

use csv_core::ReadRecordResult;

/// One record, or what is known of one too long to keep.
pub(super) enum Record<'a> {
    /// A whole record starting on `line`.
    Whole { line: u64, fields: Fields<'a> },
    /// A record starting on `line` that had more than the allowed bytes or fields: read past, not kept.
    TooLong { line: u64, bytes: u64, fields: u64 },
}

/// A record's fields: their bytes one after another, and where each ends.
#[derive(Clone, Copy)]
pub(super) struct Fields<'a> {
    bytes: &'a [u8],
    ends: &'a [usize],
}

impl<'a> Fields<'a> {
    /// How many fields.
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Where field `i` sits in [`bytes`](Self::bytes).
    pub(super) fn range(&self, i: usize) -> std::ops::Range<usize> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        start..self.ends[i]
    }

    /// Field `i`'s bytes.
    pub(super) fn get(&self, i: usize) -> &'a [u8] {
        &self.bytes[self.range(i)]
    }

    /// Every field's bytes, one after another.
    pub(super) fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Each field's bytes.
    pub(super) fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// CSV records of `R`, rows ending at `\n` (a `\r` before it is left in the last field, for the caller to
/// trim).
pub(super) struct Records<R> {
    input: BufReader<R>,
    parser: csv_core::Reader,
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl<R: Read> Records<R> {
    pub(super) fn new(input: R) -> Self {
        let parser = csv_core::ReaderBuilder::new().terminator(csv_core::Terminator::Any(b'\n')).build();
        Self { input: BufReader::with_capacity(64 * 1024, input), parser, bytes: vec![0; 4096], ends: vec![0; 64] }
    }

    /// The next record, keeping at most `max_bytes` of field bytes and `max_fields` fields; `None` at the
    /// end of the input. A longer record is read past to its end, when `read_past`; otherwise reading
    /// stops where it went over (the counts are then what was read of it so far).
    pub(super) fn next(
        &mut self,
        max_bytes: usize,
        max_fields: usize,
        read_past: bool,
    ) -> io::Result<Option<Record<'_>>> {
        self.skip_blank_lines()?;
        let line = self.parser.line();
        // Bytes and fields kept; once over a limit, the record is only counted.
        let (mut kept_bytes, mut kept_fields) = (0, 0);
        let (mut bytes, mut fields, mut over) = (0u64, 0u64, false);
        loop {
            let input = self.input.fill_buf()?;
            // Kept, a record fills its buffers from where it got to, up to the limits; read past, it
            // writes over them from the start.
            // One more than the limit fits, so that a record at the limit ends before its buffer is full
            // (the parser asks for room before it sees the record's end).
            let (bytes_out, ends_out) = if over {
                (&mut self.bytes[..], &mut self.ends[..])
            } else {
                let (bytes_cap, ends_cap) = (self.bytes.len().min(max_bytes + 1), self.ends.len().min(max_fields + 1));
                (&mut self.bytes[kept_bytes..bytes_cap], &mut self.ends[kept_fields..ends_cap])
            };
            let (result, read, nbytes, nfields) = self.parser.read_record(input, bytes_out, ends_out);
            self.input.consume(read);
            (bytes, fields) = (bytes + nbytes as u64, fields + nfields as u64);
            if !over {
                (kept_bytes, kept_fields) = (kept_bytes + nbytes, kept_fields + nfields);
            }
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => over |= !grow(&mut self.bytes, max_bytes + 1),
                ReadRecordResult::OutputEndsFull => over |= !grow(&mut self.ends, max_fields + 1),
                ReadRecordResult::Record if over || kept_bytes > max_bytes || kept_fields > max_fields => {
                    return Ok(Some(Record::TooLong { line, bytes, fields }));
                }
                ReadRecordResult::Record => {
                    let fields = Fields { bytes: &self.bytes[..kept_bytes], ends: &self.ends[..kept_fields] };
                    return Ok(Some(Record::Whole { line, fields }));
                }
                ReadRecordResult::End => return Ok(None),
            }
            if over && !read_past {
                return Ok(Some(Record::TooLong { line, bytes, fields }));
            }
        }
    }

    /// The line the parser is on.
    pub(super) fn line(&self) -> u64 {
        self.parser.line()
    }

    /// Consumes the line breaks before the next record, counting them, so that the record's line is
    /// the parser's when it starts.
    fn skip_blank_lines(&mut self) -> io::Result<()> {
        loop {
            let input = self.input.fill_buf()?;
            let blank = input.iter().take_while(|b| **b == b'\n').count();
            if blank == 0 {
                return Ok(());
            }
            self.input.consume(blank);
            self.parser.set_line(self.parser.line() + blank as u64);
        }
    }
}

/// Doubles `buffer` up to `max` elements; false when it is there already.
fn grow<T: Copy + Default>(buffer: &mut Vec<T>, max: usize) -> bool {
    if buffer.len() >= max {
        return false;
    }
    let len = (buffer.len() * 2).clamp(1, max);
    buffer.resize(len, T::default());
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as a test sees it: its fields, or its bytes and fields when over the limits.
    type Seen = Result<Vec<String>, (u64, u64)>;

    /// Every record of `input`, with its line.
    fn records(input: &[u8], max_bytes: usize, max_fields: usize) -> Vec<(u64, Seen)> {
        let mut records = Records::new(input);
        let mut out = Vec::new();
        while let Some(record) = records.next(max_bytes, max_fields, true).unwrap() {
            out.push(match record {
                Record::Whole { line, fields } => {
                    (line, Ok(fields.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect()))
                }
                Record::TooLong { line, bytes, fields } => (line, Err((bytes, fields))),
            });
        }
        out
    }

    #[test]
    fn records_over_a_limit_are_read_past_and_the_next_ones_read_on() {
        let long = "x".repeat(10_000);
        let input = format!("a,b\n\n1,\"{long}\"\n2,3\n4,5,6,7,8\n\"q\nr\",9");
        let got = records(input.as_bytes(), 5000, 4);
        let ok = |fields: &[&str]| Ok(fields.iter().map(|f| f.to_string()).collect());
        assert_eq!(got[0], (1, ok(&["a", "b"])));
        assert_eq!(got[1], (3, Err((10_001, 2))), "10,001 bytes in two fields, over 5,000");
        assert_eq!(got[2], (4, ok(&["2", "3"])));
        assert_eq!(got[3], (5, Err((5, 5))), "five fields, over four");
        assert_eq!(got[4], (6, ok(&["q\nr", "9"])), "a row spanning lines is numbered by its first");
        assert_eq!(got.len(), 5);
    }

    #[test]
    fn a_record_at_the_limit_is_kept_whole() {
        let input = format!("{},b\n", "y".repeat(4095));
        let got = records(input.as_bytes(), 4096, 2);
        assert_eq!(got, [(1, Ok(vec!["y".repeat(4095), "b".to_owned()]))]);
        assert_eq!(records(input.as_bytes(), 4095, 2), [(1, Err((4096, 2)))]);
    }

    #[test]
    fn without_reading_past_a_record_over_the_limit_ends_the_reading_there() {
        let input = format!("{}\n1\n", "z".repeat(100_000));
        let mut records = Records::new(input.as_bytes());
        let Some(Record::TooLong { line: 1, bytes, .. }) = records.next(10_000, 10, false).unwrap() else {
            panic!("not over the limit")
        };
        assert!((10_001..=16_384).contains(&bytes), "stopped soon after the limit: {bytes} bytes read");
    }
}
