//! Remembering which `outId`s a file has used, in 8 bytes each: a 64-bit fingerprint per ID, kept in one
//! sorted vector (plus a small unsorted front that is merged in place when full), so memory is the
//! fingerprints themselves and never a copy of the IDs. A radix index on the fingerprints' top bits
//! narrows each lookup to a few dozen neighbours, so a lookup costs a cache miss or two, not twenty.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash, Hasher};

const FRONT: usize = 65_536;
const RADIX_BITS: u32 = 14;

/// A set of `outId` fingerprints.
#[derive(Debug, Default)]
pub struct SeenIds {
    sorted: Vec<u64>,
    /// `index[b]..index[b + 1]` is where fingerprints whose top bits are `b` sit in `sorted`.
    index: Vec<u32>,
    front: HashSet<u64, BuildHasherDefault<Fingerprinted>>,
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

fn fingerprint(id: &str) -> u64 {
    // SipHash with fixed keys: the same ID gives the same fingerprint in every run (resume depends on it).
    let mut hasher = std::hash::DefaultHasher::new();
    id.hash(&mut hasher);
    hasher.finish()
}

impl SeenIds {
    /// Records `id`; false when it was seen before.
    pub fn insert(&mut self, id: &str) -> bool {
        let fp = fingerprint(id);
        if self.in_sorted(fp) || !self.front.insert(fp) {
            return false;
        }
        if self.front.len() >= FRONT {
            self.merge();
        }
        true
    }

    /// How many IDs are remembered.
    pub fn len(&self) -> usize {
        self.sorted.len() + self.front.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn in_sorted(&self, fp: u64) -> bool {
        if self.index.is_empty() {
            return false;
        }
        let bucket = (fp >> (64 - RADIX_BITS)) as usize;
        let (start, end) = (self.index[bucket] as usize, self.index[bucket + 1] as usize);
        self.sorted[start..end].binary_search(&fp).is_ok()
    }

    fn rebuild_index(&mut self) {
        self.index.clear();
        self.index.resize((1 << RADIX_BITS) + 1, 0);
        let mut at = 0usize;
        for bucket in 0..(1usize << RADIX_BITS) {
            self.index[bucket] = at as u32;
            while at < self.sorted.len() && (self.sorted[at] >> (64 - RADIX_BITS)) as usize == bucket {
                at += 1;
            }
        }
        self.index[1 << RADIX_BITS] = self.sorted.len() as u32;
    }

    /// Merges the front into the sorted vector, from the back, without a second buffer.
    fn merge(&mut self) {
        let mut front: Vec<u64> = self.front.drain().collect();
        front.sort_unstable();
        let old = self.sorted.len();
        self.sorted.reserve_exact(front.len());
        self.sorted.resize(old + front.len(), 0);
        let (mut i, mut j, mut k) = (old, front.len(), self.sorted.len());
        while j > 0 {
            if i > 0 && self.sorted[i - 1] > front[j - 1] {
                self.sorted[k - 1] = self.sorted[i - 1];
                i -= 1;
            } else {
                self.sorted[k - 1] = front[j - 1];
                j -= 1;
            }
            k -= 1;
        }
        self.rebuild_index();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_found_across_merges() {
        let mut seen = SeenIds::default();
        for i in 0..200_000 {
            assert!(seen.insert(&format!("id-{i}")), "{i}");
        }
        assert_eq!(seen.len(), 200_000);
        assert!(seen.sorted.windows(2).all(|w| w[0] < w[1]));
        for i in (0..200_000).step_by(997) {
            assert!(!seen.insert(&format!("id-{i}")), "{i} is a duplicate");
        }
        assert!(seen.insert("fresh"));
    }
}
