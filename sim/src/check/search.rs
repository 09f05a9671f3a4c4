//! The Wing & Gong linearizability search with Lowe's memoisation, over one partition.
//!
//! A configuration is (set of linearized operations, model state). From a configuration, an
//! operation may come next if it is not yet linearized and was invoked no later than the
//! *deadline*: the earliest completion among the `ok` operations not yet linearized (anything
//! invoked after that must follow that operation). Candidates are tried in invocation order
//! (Lowe). The search succeeds once every `ok` operation is linearized — `info` operations may
//! be left out, which is how "it never took effect" is covered — and fails when the root has
//! no candidate left. Three things keep it small without changing its answer:
//!
//! - memoisation: a configuration already explored is not explored again (see `memo`);
//! - read compression: a read-only operation that is callable and leaves the state as it is
//!   is linearized at once, with no alternative tried (it can be moved to the front of any
//!   completion: nothing still pending completed before it was invoked, and it changes no
//!   state);
//! - lookahead: the model may declare that the deadline operation can no longer become legal
//!   from this state using only the callable operations ([`Model::feasible`]);
//! - `info` operations are tried only after the `ok` ones, and only where the model says one
//!   could matter next ([`Model::worth_trying`]).
//!
//! The search is iterative (an explicit stack), so deep histories cannot overflow the thread's
//! stack.

use super::budget::{Halt, Limits};
use super::memo::{Bits, Memo};
use super::model::{Model, Op};
use super::verdict::{SearchStats, StuckReason};

const NONE: u32 = u32::MAX;
/// How many steps pass between checks of the clock and the stop flag.
const CLOCK_EVERY: u64 = 4096;

/// What one partition's search found, in partition positions (indexes into `ops`).
pub(crate) enum Found<S> {
    /// A linearization, in search order (not yet made concrete by the model).
    Linearizable(Vec<usize>),
    Illegal(Deepest<S>),
    Halted(Halt),
}

/// The configuration a failed search reached furthest with (see `record_if_deepest`).
pub(crate) struct Deepest<S> {
    pub path: Vec<usize>,
    pub state: S,
    /// Callable operations there, the deadline operation first.
    pub stuck: Vec<(usize, StuckReason)>,
    /// Its deadline (the earliest completion among the pending `ok` operations).
    pub deadline: u64,
}

struct Frame<S> {
    state: S,
    /// The operation linearized to reach this configuration (`NONE` at the root).
    via: u32,
    /// Next candidate position to try.
    next: u32,
    /// Candidates are tried in two passes: `ok` operations first, then `info` ones (optional
    /// operations are rarely what comes next; trying them last finds linearizations sooner).
    info_pass: bool,
    /// First unlinearized position.
    first: u32,
    /// Position in `by_complete` of the deadline operation.
    dl: u32,
    /// Positions below `end` are callable (invoked no later than the deadline).
    end: u32,
    /// No alternatives to try (explored before, pruned, or reached by read compression).
    done: bool,
}

struct Search<'a, 'h, M: Model> {
    model: &'a M,
    ops: &'a [Op<'h, M::Call, M::Ret>],
    limits: &'a Limits,
    read_only: Vec<bool>,
    info: Vec<bool>,
    /// `ok` operations ordered by completion time.
    by_complete: Vec<u32>,
    invokes: Vec<u64>,
    bits: Bits,
    stack: Vec<Frame<M::State>>,
    memo: Memo<M::State>,
    steps: u64,
    peak_bytes: usize,
    best: Option<Deepest<M::State>>,
    /// How many leading entries of `best.path` equal the current stack's path. Recording a new
    /// best copies only the part after it, so keeping the counterexample costs amortised O(1)
    /// per step instead of a path copy per improvement.
    shared: usize,
    window: Vec<u32>,
    /// Scratch: the unlinearized callable positions of the configuration being opened.
    open_list: Vec<u32>,
    /// Scratch: the same for the configuration whose `info` candidates are being tried.
    callable: Vec<u32>,
}

/// Searches one partition. `ops` must be in invoke order.
pub(crate) fn search<M: Model>(
    model: &M,
    ops: &[Op<'_, M::Call, M::Ret>],
    limits: &Limits,
) -> (Found<M::State>, SearchStats) {
    let mut by_complete: Vec<u32> = (0..ops.len() as u32)
        .filter(|&i| ops[i as usize].is_ok())
        .collect();
    by_complete.sort_by_key(|&i| (ops[i as usize].complete, i));
    let mut s = Search {
        model,
        ops,
        limits,
        read_only: ops
            .iter()
            .map(|o| model.is_read_only(o.call, o.ret))
            .collect(),
        info: ops.iter().map(|o| !o.is_ok()).collect(),
        by_complete,
        invokes: ops.iter().map(|o| o.invoke).collect(),
        bits: Bits::new(ops.len()),
        stack: Vec::new(),
        memo: Memo::new(),
        steps: 0,
        peak_bytes: 0,
        best: None,
        shared: 0,
        window: Vec::new(),
        open_list: Vec::new(),
        callable: Vec::new(),
    };
    let found = match s.run() {
        Ok(found) => found,
        Err(halt) => Found::Halted(halt),
    };
    let stats = SearchStats {
        steps: s.steps,
        memo_entries: s.memo.len() as u64,
        memo_bytes: s.peak_bytes.max(s.memo.bytes()) as u64,
    };
    (found, stats)
}

impl<M: Model> Search<'_, '_, M> {
    fn run(&mut self) -> Result<Found<M::State>, Halt> {
        if self.open(self.model.init(), NONE, 0, 0)? {
            return Ok(Found::Linearizable(self.path()));
        }
        loop {
            let Some(next) = self.next_move()? else {
                // Dead configuration: remember it if it is the deepest, then backtrack.
                self.record_if_deepest();
                let frame = self.stack.pop().expect("stack is never empty here");
                self.shared = self.shared.min(self.stack.len().saturating_sub(1));
                if frame.via != NONE {
                    self.bits.clear(frame.via as usize);
                }
                if self.stack.is_empty() {
                    let best = self
                        .best
                        .take()
                        .expect("the root configuration was recorded");
                    return Ok(Found::Illegal(best));
                }
                continue;
            };
            let (op, state) = next;
            let top = self.stack.last().expect("stack is never empty here");
            let (first, dl) = (top.first, top.dl);
            self.bits.set(op as usize);
            if self.open(state, op, first, dl)? {
                return Ok(Found::Linearizable(self.path()));
            }
        }
    }

    /// The next legal move from the top configuration, if any.
    fn next_move(&mut self) -> Result<Option<(u32, M::State)>, Halt> {
        let top = self.stack.last_mut().expect("stack is never empty here");
        if top.done {
            return Ok(None);
        }
        // The callable operations, for the model's "worth trying" test of `info` operations;
        // gathered lazily, once per call, since deeper configurations reuse the scratch list.
        let mut callable_ready = false;
        loop {
            let Some(i) = self.bits.next_zero(top.next as usize, top.end as usize) else {
                if top.info_pass {
                    break;
                }
                top.info_pass = true;
                top.next = top.first;
                continue;
            };
            let i = i as u32;
            top.next = i + 1;
            if self.info[i as usize] != top.info_pass {
                continue;
            }
            self.steps += 1;
            self.limits.check_step(self.steps, self.memo.bytes())?;
            if self.steps.is_multiple_of(CLOCK_EVERY) {
                self.limits.check_clock()?;
            }
            let Some(state) = self.model.step(self.ops, &top.state, i as usize) else {
                continue;
            };
            if top.info_pass {
                if !callable_ready {
                    self.callable.clear();
                    let mut at = top.first as usize;
                    while let Some(c) = self.bits.next_zero(at, top.end as usize) {
                        self.callable.push(c as u32);
                        at = c + 1;
                    }
                    callable_ready = true;
                }
                if !self.model.worth_trying(
                    self.ops,
                    &top.state,
                    i as usize,
                    &state,
                    &self.callable,
                ) {
                    continue;
                }
            }
            return Ok(Some((i, state)));
        }
        Ok(None)
    }

    /// Pushes the configuration reached by linearizing `via` (already set in `bits`), applying
    /// read compression. Returns true if every `ok` operation is now linearized.
    fn open(
        &mut self,
        state: M::State,
        mut via: u32,
        mut first: u32,
        mut dl: u32,
    ) -> Result<bool, Halt> {
        let n = self.ops.len() as u32;
        loop {
            first = self
                .bits
                .next_zero(first as usize, n as usize)
                .map_or(n, |i| i as u32);
            while (dl as usize) < self.by_complete.len()
                && self.bits.get(self.by_complete[dl as usize] as usize)
            {
                dl += 1;
            }
            if dl as usize == self.by_complete.len() {
                self.push(Frame {
                    state,
                    via,
                    next: n,
                    info_pass: true,
                    first,
                    dl,
                    end: first,
                    done: true,
                });
                return Ok(true);
            }
            let must = self.by_complete[dl as usize];
            let deadline = self.ops[must as usize].complete;
            let end = self.invokes.partition_point(|&t| t <= deadline) as u32;
            // One scan of the unlinearized callable positions serves read compression, the memo
            // key and the lookahead's window.
            self.open_list.clear();
            let mut at = first as usize;
            while let Some(i) = self.bits.next_zero(at, end as usize) {
                self.open_list.push(i as u32);
                at = i + 1;
            }
            if let Some(read) = self.compressible(&state)? {
                self.push(Frame {
                    state: state.clone(),
                    via,
                    next: end,
                    info_pass: true,
                    first,
                    dl,
                    end,
                    done: true,
                });
                self.bits.set(read as usize);
                via = read;
                continue;
            }
            let heap = self.model.state_heap_bytes(&state);
            let fresh = self
                .memo
                .insert(&self.open_list, end as usize, state.clone(), heap);
            self.peak_bytes = self.peak_bytes.max(self.memo.bytes());
            let mut done = !fresh;
            if fresh {
                self.window.clear();
                self.window
                    .extend(self.open_list.iter().copied().filter(|&i| i != must));
                done = !self.model.feasible(
                    self.ops,
                    &state,
                    must as usize,
                    &self.window,
                    end as usize,
                );
            }
            self.push(Frame {
                state,
                via,
                next: first,
                info_pass: false,
                first,
                dl,
                end,
                done,
            });
            return Ok(false);
        }
    }

    /// A callable read-only operation that is legal and leaves `state` unchanged.
    fn compressible(&mut self, state: &M::State) -> Result<Option<u32>, Halt> {
        for k in 0..self.open_list.len() {
            let i = self.open_list[k];
            if !self.read_only[i as usize] {
                continue;
            }
            self.steps += 1;
            self.limits.check_step(self.steps, self.memo.bytes())?;
            if self.model.unchanged_by(self.ops, state, i as usize) {
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    /// Pushes a configuration, keeping `shared` up to date.
    fn push(&mut self, frame: Frame<M::State>) {
        let depth = self.stack.len().saturating_sub(1);
        if frame.via != NONE
            && self.shared == depth
            && self
                .best
                .as_ref()
                .is_some_and(|b| b.path.get(depth) == Some(&(frame.via as usize)))
        {
            self.shared += 1;
        }
        self.stack.push(frame);
    }

    fn path(&self) -> Vec<usize> {
        self.stack
            .iter()
            .filter(|f| f.via != NONE)
            .map(|f| f.via as usize)
            .collect()
    }

    /// Remembers the top configuration if it reaches furthest: the latest deadline (it explains
    /// the history furthest in time), then the most operations linearized. Ranking by time first
    /// makes the counterexample point at the operation that blocks progress, rather than at a
    /// wrong guess that happened to linearize one more operation early on.
    fn record_if_deepest(&mut self) {
        let depth = self.stack.len() - 1;
        let top = self.stack.last().expect("stack is never empty here");
        let deadline = self
            .by_complete
            .get(top.dl as usize)
            .map_or(u64::MAX, |&i| self.ops[i as usize].complete);
        if self
            .best
            .as_ref()
            .is_some_and(|b| (b.deadline, b.path.len()) >= (deadline, depth))
        {
            return;
        }
        let must = self.by_complete.get(top.dl as usize).copied();
        let mut candidates: Vec<u32> = must.into_iter().collect();
        let mut at = top.first as usize;
        while let Some(i) = self.bits.next_zero(at, top.end as usize) {
            if Some(i as u32) != must {
                candidates.push(i as u32);
            }
            at = i + 1;
        }
        let stuck = candidates
            .into_iter()
            .map(|i| {
                let legal = self.model.step(self.ops, &top.state, i as usize).is_some();
                (
                    i as usize,
                    if legal {
                        StuckReason::DeadEnd
                    } else {
                        StuckReason::Illegal
                    },
                )
            })
            .collect();
        let state = top.state.clone();
        let mut path = self.best.take().map(|b| b.path).unwrap_or_default();
        path.truncate(self.shared);
        path.extend(self.stack[self.shared + 1..].iter().map(|f| f.via as usize));
        self.shared = depth;
        self.best = Some(Deepest {
            path,
            state,
            stuck,
            deadline,
        });
    }
}
