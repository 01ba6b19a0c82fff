//! Remembering which `outId`s an input has used, in memory that does not grow with the input.
//!
//! Each ID is reduced to a 64-bit fingerprint (XXH3: the same in every run and on every machine), held in
//! a table of at most [`RECENT`] entries: fingerprints only, eight to a cache line, so a lookup touches one
//! line, which the caller can request ahead ([`SeenIds::prefetch`]) so that several lookups' memory reads
//! overlap (at a few hundred thousand IDs the table outgrows the CPU's nearer caches; the importer looks up
//! a batch's IDs in one pass, each requested a few rows ahead). An input with more distinct IDs
//! than the table holds moves them, sorted, to a file in the scratch directory (unnamed, deleted when the
//! import ends), read back a 4 KiB page at a time through an in-memory index of each page's first
//! fingerprint (8 bytes per 512 IDs), and from then on a blocked Bloom filter of fixed size
//! ([`FILTER_BYTES`]) answers "certainly new" for almost every new ID with one cache line touched. Only an
//! ID the filter cannot rule out — a repeat, or a false alarm (about 1 in 1,000 at two million IDs, more
//! past ten million) — costs a look at the table and at most one page read.
//!
//! Memory: 2 MiB for the table and, once the file is in use, 4 MiB for the filter, whatever the input's
//! size. Two different IDs share a fingerprint with odds of about 1 in 10^7 for a file of two
//! million; the later one would then be reported as a repeat (rejected with its line, never lost silently).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Size of the Bloom filter.
pub const FILTER_BYTES: usize = 4 << 20;
/// Fingerprints held in the in-memory table before they are merged into the sorted file: seven eighths of
/// its slots.
pub const RECENT: usize = SLOTS / 8 * 7;

const BLOCKS: usize = FILTER_BYTES / 64; // 512 bits each: one cache line
const PROBES: u32 = 7;
const PAGE: usize = 512; // fingerprints per page of the sorted file

/// A set of `outId` fingerprints of bounded memory.
#[derive(Debug)]
pub struct SeenIds {
    /// One cache line per block.
    filter: Vec<Bucket>,
    recent: Table,
    spilled: Option<Spilled>,
    scratch: PathBuf,
}

/// The sorted file and its page index.
#[derive(Debug)]
struct Spilled {
    file: File,
    entries: u64,
    /// The first fingerprint of each page.
    index: Vec<u64>,
}

/// Slots of the in-memory table: a power of two, eight to a bucket.
const SLOTS: usize = 1 << 18;
const BUCKETS: usize = SLOTS / 8;

/// Eight fingerprints, one cache line; 0 marks a free slot.
#[derive(Clone, Copy, Debug, Default)]
#[repr(align(64))]
struct Bucket([u64; 8]);

/// A set of fingerprints of fixed capacity ([`RECENT`], seven eighths of its slots): open addressing over
/// buckets of one cache line, the bucket chosen by the fingerprint's low bits (the filter uses the high
/// ones), the next bucket when one is full. Fingerprints are hashes already, so nothing is hashed again.
#[derive(Debug)]
struct Table {
    buckets: Vec<Bucket>,
    len: usize,
    /// The fingerprint 0, which cannot be stored in a slot, is remembered here.
    has_zero: bool,
}

impl Table {
    fn new() -> Self {
        Self { buckets: vec![Bucket::default(); BUCKETS], len: 0, has_zero: false }
    }

    fn home(fp: u64) -> usize {
        fp as usize & (BUCKETS - 1)
    }

    /// Asks the CPU to start loading `fp`'s bucket; a hint only.
    fn prefetch(&self, fp: u64) {
        prefetch_line(&self.buckets[Self::home(fp)]);
    }

    /// Where `fp` is, or the free slot (bucket, index) where it would go. The caller keeps `len` below
    /// the number of slots, so a free slot is always found.
    fn probe(&self, fp: u64) -> Result<(), (usize, usize)> {
        let mut b = Self::home(fp);
        loop {
            // All eight slots compared at once, without a branch per slot (how many are filled varies
            // from bucket to bucket, which a loop stopping at the first empty one mispredicts). Slots fill
            // from the front and are never emptied, so `fp` cannot sit after an empty slot.
            let (mut found, mut empty) = (0u32, 0u32);
            for (i, slot) in self.buckets[b].0.iter().enumerate() {
                found |= u32::from(*slot == fp) << i;
                empty |= u32::from(*slot == 0) << i;
            }
            if found != 0 {
                return Ok(());
            }
            if empty != 0 {
                return Err((b, empty.trailing_zeros() as usize));
            }
            b = (b + 1) & (BUCKETS - 1);
        }
    }

    /// Adds `fp`; false when it was there already.
    fn insert(&mut self, fp: u64) -> bool {
        if fp == 0 {
            let new = !self.has_zero;
            self.has_zero = true;
            self.len += usize::from(new);
            return new;
        }
        match self.probe(fp) {
            Ok(()) => false,
            Err((b, i)) => {
                self.buckets[b].0[i] = fp;
                self.len += 1;
                true
            }
        }
    }

    fn contains(&self, fp: u64) -> bool {
        if fp == 0 { self.has_zero } else { self.probe(fp).is_ok() }
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Every fingerprint, in no particular order.
    fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let zero = self.has_zero.then_some(0);
        zero.into_iter().chain(self.buckets.iter().flat_map(|b| b.0).filter(|fp| *fp != 0))
    }

    fn clear(&mut self) {
        self.buckets.fill(Bucket::default());
        self.len = 0;
        self.has_zero = false;
    }
}

/// Starts loading the cache line holding `bucket` into the nearest cache and returns at once (x86-64;
/// elsewhere it does nothing). A plain read would do the same but hold up everything after it until the
/// line arrives.
#[inline]
fn prefetch_line(bucket: &Bucket) {
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    // SAFETY: a prefetch instruction reads nothing into the program and cannot fault, whatever the
    // address; this one comes from a live reference. SSE, which it needs, is part of every x86-64 CPU.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(bucket).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bucket;
}

/// The fingerprint of an ID.
pub fn fingerprint(id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes())
}

impl SeenIds {
    /// An empty set whose overflow file, when one is needed, goes in `scratch` (a directory).
    pub fn new(scratch: impl Into<PathBuf>) -> Self {
        Self { filter: Vec::new(), recent: Table::new(), spilled: None, scratch: scratch.into() }
    }

    /// Starts loading what [`insert_fingerprint`](Self::insert_fingerprint) will look at for `fp`, so
    /// that work done in between overlaps the wait for memory.
    pub fn prefetch(&self, fp: u64) {
        if self.spilled.is_some() {
            prefetch_line(&self.filter[filter_block(fp)]);
        } else {
            self.recent.prefetch(fp);
        }
    }

    /// Records the ID whose [`fingerprint`] is `fp`; `Ok(false)` when it was seen before. Fails only when
    /// the overflow file cannot be written or read.
    pub fn insert_fingerprint(&mut self, fp: u64) -> io::Result<bool> {
        if self.spilled.is_none() {
            if !self.recent.insert(fp) {
                return Ok(false);
            }
        } else if filter_insert(&mut self.filter, fp) && (self.recent.contains(fp) || self.in_spilled(fp)?) {
            return Ok(false);
        } else {
            self.recent.insert(fp);
        }
        if self.recent.len() >= RECENT {
            self.spill()?;
        }
        Ok(true)
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
        let mut recent: Vec<u64> = self.recent.iter().collect();
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
            self.filter = vec![Bucket::default(); BLOCKS];
            for fp in self.recent.iter() {
                filter_insert(&mut self.filter, fp);
            }
        }
        self.spilled = Some(Spilled { file, entries, index });
        self.recent.clear();
        Ok(())
    }
}

/// Sets `fp`'s bits in the filter; true when they were all set already (it may have been seen).
fn filter_insert(filter: &mut [Bucket], fp: u64) -> bool {
    let words = &mut filter[filter_block(fp)].0;
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

/// `fp`'s block in the filter.
fn filter_block(fp: u64) -> usize {
    (fp >> 48) as usize % BLOCKS
}

fn scratch_error(dir: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot create a scratch file in {} for the outId check: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    impl SeenIds {
        fn insert(&mut self, id: &str) -> io::Result<bool> {
            self.insert_fingerprint(fingerprint(id))
        }

        /// How many IDs are remembered.
        fn len(&self) -> u64 {
            self.recent.len() as u64 + self.spilled.as_ref().map_or(0, |s| s.entries)
        }
    }

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
    fn the_table_finds_what_it_holds_when_buckets_overflow() {
        let mut table = Table::new();
        // A hundred fingerprints with the same home bucket fill it and a dozen after it; the last bucket's
        // neighbour is the first.
        let crowded: Vec<u64> = (0..100u64).map(|i| (i + 1) << 20 | (BUCKETS as u64 - 2)).collect();
        for fp in crowded.iter().copied().chain([0, 1, u64::MAX]) {
            assert!(!table.contains(fp));
            assert!(table.insert(fp), "{fp:#x} is new");
        }
        for fp in crowded.iter().copied().chain([0, 1, u64::MAX]) {
            assert!(table.contains(fp));
            assert!(!table.insert(fp), "{fp:#x} is a repeat");
        }
        assert_eq!(table.len(), 103);
        assert!(!table.contains(5 << 20 | 7));
        let mut all: Vec<u64> = table.iter().collect();
        all.sort_unstable();
        let mut expected = [crowded, vec![0, 1, u64::MAX]].concat();
        expected.sort_unstable();
        assert_eq!(all, expected);
        table.clear();
        assert_eq!((table.len(), table.iter().count(), table.contains(0)), (0, 0, false));
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
        seen.filter = vec![Bucket::default(); BLOCKS];
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
