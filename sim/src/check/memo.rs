//! Lowe's memoisation for the Wing–Gong search: the set of linearized operations (a bitset)
//! and the table of configurations (linearized set, model state) already explored and found
//! to have no completion.
//!
//! A configuration's key stores the linearized set by its complement below the deadline: no
//! operation invoked after the current deadline can be linearized yet, and below it almost
//! every operation is, so the key is the callable bound `end` plus the few positions below it
//! still unlinearized (the callable window and any `info` operations left open). That stays
//! small however long the history is, where a bitset would grow with it. The table is exact
//! (no hash-only keys), so a hit is always a true repeat. It is only probed and filled, never iterated, so a fast unseeded
//! hasher is fine and keeps runs reproducible.

use std::hash::Hash;
use std::mem::size_of;

use hashbrown::HashSet;
use rustc_hash::FxBuildHasher;

/// Which operations of a partition are linearized. A second level marks the words that are
/// all ones, so finding the next unlinearized operation skips long linearized stretches (an
/// `info` operation left open early would otherwise make every scan start far back).
#[derive(Debug, Clone)]
pub(crate) struct Bits {
    words: Vec<u64>,
    full: Vec<u64>,
}

impl Bits {
    pub fn new(len: usize) -> Self {
        let words = len.div_ceil(64);
        Bits {
            words: vec![0; words],
            full: vec![0; words.div_ceil(64)],
        }
    }

    #[inline]
    pub fn get(&self, i: usize) -> bool {
        self.words[i / 64] & (1 << (i % 64)) != 0
    }

    #[inline]
    pub fn set(&mut self, i: usize) {
        let w = i / 64;
        self.words[w] |= 1 << (i % 64);
        if self.words[w] == u64::MAX {
            self.full[w / 64] |= 1 << (w % 64);
        }
    }

    #[inline]
    pub fn clear(&mut self, i: usize) {
        let w = i / 64;
        self.words[w] &= !(1 << (i % 64));
        self.full[w / 64] &= !(1 << (w % 64));
    }

    /// The first word index at or after `w` that is not all ones (or `words.len()`).
    #[inline]
    fn next_open_word(&self, w: usize) -> usize {
        let mut s = w / 64;
        if s >= self.full.len() {
            return self.words.len();
        }
        let mut open = !self.full[s] & (u64::MAX << (w % 64));
        loop {
            if open != 0 {
                return (s * 64 + open.trailing_zeros() as usize).min(self.words.len());
            }
            s += 1;
            if s >= self.full.len() {
                return self.words.len();
            }
            open = !self.full[s];
        }
    }

    /// The first position in `from..end` that is not set.
    #[inline]
    pub fn next_zero(&self, from: usize, end: usize) -> Option<usize> {
        if from >= end {
            return None;
        }
        let mut w = from / 64;
        let mut free = !self.words[w] & (u64::MAX << (from % 64));
        loop {
            if free != 0 {
                let i = w * 64 + free.trailing_zeros() as usize;
                return (i < end).then_some(i);
            }
            w = self.next_open_word(w + 1);
            if w * 64 >= end {
                return None;
            }
            free = !self.words[w];
        }
    }
}

type Key<S> = (u32, Box<[u32]>, S);

/// Explored configurations.
pub(crate) struct Memo<S> {
    table: HashSet<Key<S>, FxBuildHasher>,
    /// Heap bytes owned by stored keys and states (the table's own slots are counted from its
    /// capacity).
    heap: usize,
}

impl<S: Eq + Hash> Memo<S> {
    pub fn new() -> Self {
        Memo {
            table: HashSet::with_hasher(FxBuildHasher),
            heap: 0,
        }
    }

    /// Records the configuration where the positions in `open` (sorted) are the only ones
    /// below `end` not yet linearized, and none at or above `end` is linearized. Returns false
    /// if it was already recorded.
    pub fn insert(&mut self, open: &[u32], end: usize, state: S, state_heap: usize) -> bool {
        let fresh = self.table.insert((end as u32, open.into(), state));
        if fresh {
            self.heap += std::mem::size_of_val(open) + state_heap;
        }
        fresh
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Approximate bytes in use: the table's slots (entry plus one control byte each) and the
    /// heap its keys and states own.
    pub fn bytes(&self) -> usize {
        self.table.capacity() * (size_of::<Key<S>>() + 1) + self.heap
    }
}
