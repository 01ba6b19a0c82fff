//! Remembering which `outId`s an input has used, in memory that does not grow with the input.
//!
//! Each ID is reduced to a 64-bit fingerprint (XXH3: the same in every run and on every machine), held in
//! a hash set of at most [`RECENT`] entries. An input with more distinct IDs than that moves them, sorted,
//! to a file in the scratch directory (unnamed, deleted when the import ends), read back a 4 KiB page at
//! a time through an in-memory index of each page's first fingerprint (8 bytes per 512 IDs), and from
//! then on a blocked Bloom filter of fixed size ([`FILTER_BYTES`]) answers "certainly new" for almost
//! every new ID with one cache line touched. Only an ID the filter cannot rule out — a repeat, or a false
//! alarm (about 1 in 1,000 at two million IDs, more past ten million) — costs a look at the set and at
//! most one page read.
//!
//! Memory: at most about 2.3 MiB for the set and, once the file is in use, 4 MiB for the filter, whatever
//! the input's size. Two different IDs share a fingerprint with odds of about 1 in 10^7 for a file of two
//! million; the later one would then be reported as a repeat (rejected with its line, never lost silently).

use std::collections::HashSet;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Size of the Bloom filter.
pub const FILTER_BYTES: usize = 4 << 20;
/// Fingerprints held in the in-memory set before they are merged into the sorted file: as many as a
/// table of 2^18 slots holds.
pub const RECENT: usize = (1 << 18) / 8 * 7;

const BLOCK_WORDS: usize = 8; // 512 bits: one cache line
const BLOCKS: usize = FILTER_BYTES / 8 / BLOCK_WORDS;
const PROBES: u32 = 7;
const PAGE: usize = 512; // fingerprints per page of the sorted file

/// A set of `outId` fingerprints of bounded memory.
#[derive(Debug)]
pub struct SeenIds {
    filter: Vec<u64>,
    recent: HashSet<u64, BuildHasherDefault<Fingerprinted>>,
    spilled: Option<Spilled>,
    scratch: PathBuf,
    len: u64,
}

/// The sorted file and its page index.
#[derive(Debug)]
struct Spilled {
    file: File,
    entries: u64,
    /// The first fingerprint of each page.
    index: Vec<u64>,
}

/// Fingerprints are hashes already: the set uses them as they are.
#[derive(Debug, Default)]
struct Fingerprinted(u64);

impl Hasher for Fingerprinted {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The fingerprint of an ID.
pub fn fingerprint(id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes())
}

impl SeenIds {
    /// An empty set whose overflow file, when one is needed, goes in `scratch` (a directory).
    pub fn new(scratch: impl Into<PathBuf>) -> Self {
        Self {
            filter: Vec::new(),
            recent: HashSet::with_capacity_and_hasher(RECENT, BuildHasherDefault::default()),
            spilled: None,
            scratch: scratch.into(),
            len: 0,
        }
    }

    /// Records `id`; `Ok(false)` when it was seen before. Fails only when the overflow file cannot be
    /// written or read.
    pub fn insert(&mut self, id: &str) -> io::Result<bool> {
        self.insert_fingerprint(fingerprint(id))
    }

    fn insert_fingerprint(&mut self, fp: u64) -> io::Result<bool> {
        if self.spilled.is_none() {
            if !self.recent.insert(fp) {
                return Ok(false);
            }
        } else if filter_insert(&mut self.filter, fp) && (self.recent.contains(&fp) || self.in_spilled(fp)?) {
            return Ok(false);
        } else {
            self.recent.insert(fp);
        }
        self.len += 1;
        if self.recent.len() >= RECENT {
            self.spill()?;
        }
        Ok(true)
    }

    /// How many IDs are remembered.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn in_spilled(&mut self, fp: u64) -> io::Result<bool> {
        let Some(spilled) = &mut self.spilled else { return Ok(false) };
        let page = spilled.index.partition_point(|first| *first <= fp);
        if page == 0 {
            return Ok(false);
        }
        let start = (page - 1) * PAGE;
        let count = (spilled.entries as usize - start).min(PAGE);
        let mut bytes = [0u8; PAGE * 8];
        spilled.file.seek(SeekFrom::Start(start as u64 * 8))?;
        spilled.file.read_exact(&mut bytes[..count * 8])?;
        let mut page = [0u64; PAGE];
        for (slot, word) in page.iter_mut().zip(bytes[..count * 8].chunks_exact(8)) {
            *slot = u64::from_le_bytes(word.try_into().unwrap_or_default());
        }
        let found = page[..count].binary_search(&fp).is_ok();
        Ok(found)
    }

    /// Merges the recent fingerprints into a new sorted file. On failure nothing is forgotten (and the
    /// import stops).
    fn spill(&mut self) -> io::Result<()> {
        let file = tempfile::tempfile_in(&self.scratch).map_err(|e| scratch_error(&self.scratch, e))?;
        let mut recent: Vec<u64> = self.recent.iter().copied().collect();
        recent.sort_unstable();
        let mut out = BufWriter::with_capacity(64 * 1024, file);
        let mut index = Vec::with_capacity(self.spilled.as_ref().map_or(0, |s| s.index.len()) + RECENT / PAGE + 1);
        let mut entries = 0u64;
        let mut put = |fp: u64, out: &mut BufWriter<File>| -> io::Result<()> {
            if entries.is_multiple_of(PAGE as u64) {
                index.push(fp);
            }
            entries += 1;
            out.write_all(&fp.to_le_bytes())
        };
        let mut fresh = recent.into_iter().peekable();
        if let Some(old) = &mut self.spilled {
            old.file.seek(SeekFrom::Start(0))?;
            let mut old_reader = BufReader::with_capacity(64 * 1024, &mut old.file);
            let mut word = [0u8; 8];
            for _ in 0..old.entries {
                old_reader.read_exact(&mut word)?;
                let kept = u64::from_le_bytes(word);
                while let Some(fp) = fresh.next_if(|fp| *fp < kept) {
                    put(fp, &mut out)?;
                }
                put(kept, &mut out)?;
            }
        }
        for fp in fresh {
            put(fp, &mut out)?;
        }
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        if self.spilled.is_none() {
            // From now on the filter knows every fingerprint.
            self.filter = vec![0; FILTER_BYTES / 8];
            for fp in &self.recent {
                filter_insert(&mut self.filter, *fp);
            }
        }
        self.spilled = Some(Spilled { file, entries, index });
        self.recent.clear();
        Ok(())
    }
}

/// Sets `fp`'s bits in the filter; true when they were all set already (it may have been seen).
fn filter_insert(filter: &mut [u64], fp: u64) -> bool {
    let block = (fp >> 48) as usize % BLOCKS * BLOCK_WORDS;
    let words = &mut filter[block..block + BLOCK_WORDS];
    let mut bits = fp.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut present = true;
    for _ in 0..PROBES {
        let bit = (bits & 511) as usize;
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        present &= words[word] & mask != 0;
        words[word] |= mask;
        bits >>= 9;
    }
    present
}

fn scratch_error(dir: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot create a scratch file in {} for the outId check: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_found_in_every_tier() {
        let dir = std::env::temp_dir();
        let mut seen = SeenIds::new(&dir);
        let n = RECENT as u64 * 3 + 12_345; // three merges and a partly full set
        for i in 0..n {
            assert!(seen.insert(&format!("id-{i}")).unwrap(), "{i} is new");
        }
        assert_eq!(seen.len(), n);
        let spilled = seen.spilled.as_ref().unwrap();
        assert_eq!(spilled.entries, RECENT as u64 * 3);
        for i in (0..n).step_by(997).chain([0, n - 1, RECENT as u64 - 1, RECENT as u64]) {
            assert!(!seen.insert(&format!("id-{i}")).unwrap(), "{i} is a repeat");
        }
        assert_eq!(seen.len(), n);
        assert!(seen.insert("fresh").unwrap());
    }

    #[test]
    fn the_sorted_file_is_sorted_and_complete() {
        let mut seen = SeenIds::new(std::env::temp_dir());
        let mut all: Vec<u64> = (0..RECENT as u64 * 2).map(|i| fingerprint(&i.to_string())).collect();
        for fp in &all {
            assert!(seen.insert_fingerprint(*fp).unwrap());
        }
        all.sort_unstable();
        let spilled = seen.spilled.as_mut().unwrap();
        spilled.file.seek(SeekFrom::Start(0)).unwrap();
        let mut bytes = Vec::new();
        spilled.file.read_to_end(&mut bytes).unwrap();
        let stored: Vec<u64> = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(stored, all);
        assert_eq!(spilled.index.len(), all.len().div_ceil(PAGE));
    }

    #[test]
    fn false_alarms_are_rare_at_two_million() {
        // Fill the filter as two million IDs would, then count how many unseen IDs it cannot rule out.
        let mut seen = SeenIds::new(std::env::temp_dir());
        seen.filter = vec![0; FILTER_BYTES / 8];
        for i in 0..2_000_000u64 {
            filter_insert(&mut seen.filter, fingerprint(&format!("row-{i}")));
        }
        let alarms =
            (0..100_000u64).filter(|i| filter_insert(&mut seen.filter, fingerprint(&format!("other-{i}")))).count();
        assert!(alarms < 300, "{alarms} false alarms in 100,000");
    }

    #[test]
    fn a_scratch_directory_that_cannot_be_used_is_an_error() {
        let mut seen = SeenIds::new("/nonexistent/acsgen-scratch");
        let error = (0..RECENT as u64).map(|i| seen.insert_fingerprint(i)).find_map(Result::err).unwrap();
        assert!(error.to_string().contains("/nonexistent/acsgen-scratch"), "{error}");
    }
}
