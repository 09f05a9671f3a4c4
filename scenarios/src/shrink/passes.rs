//! The shrink passes, each a way to make the current failing plan smaller, tried in rounds
//! until a whole round finds nothing (or the budget runs out):
//!
//! 1. `faults`: ddmin over the fault windows (a start and its heal), then over single faults.
//! 2. `nodes`: fewer voters, fewer spares (faults fixed up to name only the nodes left).
//! 3. `clients`, `mix`, `keys`: fewer clients, op kinds switched off, fewer keys.
//! 4. `duration`: a shorter workload and the earliest heal the plan allows.
//! 5. `probes`: one probe write and one probe read in the liveness phase.
//! 6. `think`: longer pauses between operations, kept only when the history gets shorter.
//! 7. `windows`: each fault window halved (its end moved towards its start).
//! 8. `schedule`: the whole schedule moved earlier, then each gap between faults halved.
//! 9. `fault-args`: torn power cuts made clean.
//!
//! Every candidate is a real run; a pass adopts the first of its candidates that still fails
//! with the property. Passes that can only lose the failure come before those that can only
//! tidy it, so the budget goes first where it shrinks most.
//!
//! What "smaller" means: fewer faults first. Dropping faults may lengthen the run (operations
//! that failed under a fault now succeed), and is adopted anyway; every other pass must also
//! not make the run's history or its simulated time longer (by more than a tenth), so a plan
//! with fewer nodes or clients never buys its failure with a run that is harder to read. The
//! `think` pass, which only makes the history shorter, must make it strictly shorter.

use faultline_sim::plan::{Fault, Plan};

use super::ddmin::{Round, ddmin};
use super::oracle::{Oracle, Probe, Runner, Stop};
use super::reduce::{fewer_nodes, sort_faults, tightened, window_pairs, windows, with_faults};
use super::{Size, Step};

/// The state of one shrink: the smallest failing plan so far and how it got there.
pub(crate) struct Search<'o, 'r, R: Runner> {
    pub(crate) oracle: &'o mut Oracle<'r, R>,
    pub(crate) current: Plan,
    pub(crate) probe: Probe,
    pub(crate) steps: Vec<Step>,
    /// Every adopted plan, oldest first (the original included).
    pub(crate) accepted: Vec<Plan>,
    pub(crate) on_step: Option<&'o (dyn Fn(&Step) + Sync)>,
}

/// Longest think time the `think` pass goes to, in ms.
const MAX_THINK_MS: u64 = 2_000;

/// Shortest workload the `duration` pass goes to, in ms.
const MIN_DURATION_MS: u64 = 50;

impl<R: Runner> Search<'_, '_, R> {
    fn adopt(&mut self, pass: &str, change: String, plan: Plan, probe: Probe) {
        self.current = plan;
        self.probe = probe;
        self.accepted.push(self.current.clone());
        let step = Step {
            pass: pass.to_string(),
            change,
            runs: self.oracle.runs,
            size: Size::of(&self.current, &self.probe),
        };
        if let Some(f) = self.on_step {
            f(&step);
        }
        self.steps.push(step);
    }

    /// Whether a failing candidate's run is small enough to adopt (see the module doc).
    fn small_enough(&self, probe: &Probe, need_fewer_ops: bool) -> bool {
        let (ops, sim) = (self.probe.ops, self.probe.sim_ms);
        let not_longer = probe.ops <= ops + ops / 10 && probe.sim_ms <= sim + sim / 10;
        not_longer && (!need_fewer_ops || probe.ops < ops)
    }

    /// Adopts the first of `candidates` that still fails and is small enough (with
    /// `need_fewer_ops`, has a shorter history). `Ok(true)` if one was adopted.
    fn adopt_first(
        &mut self,
        pass: &str,
        candidates: Vec<(String, Plan)>,
        need_fewer_ops: bool,
    ) -> Result<bool, Stop> {
        let candidates: Vec<(String, Plan)> = candidates
            .into_iter()
            .filter(|(_, p)| *p != self.current)
            .collect();
        if candidates.is_empty() {
            return Ok(false);
        }
        let plans: Vec<Plan> = candidates.iter().map(|(_, p)| p.clone()).collect();
        let mut from = 0;
        while from < plans.len() {
            let Some((i, probe)) = self.oracle.first_failing(&plans[from..])? else {
                return Ok(false);
            };
            let i = from + i;
            if self.small_enough(&probe, need_fewer_ops) {
                let (change, plan) = candidates[i].clone();
                self.adopt(pass, change, plan, probe);
                return Ok(true);
            }
            from = i + 1;
        }
        Ok(false)
    }

    /// Repeats `adopt_first` with fresh candidates until none is adopted.
    fn repeat(
        &mut self,
        pass: &str,
        need_fewer_ops: bool,
        candidates: impl Fn(&Plan) -> Vec<(String, Plan)>,
    ) -> Result<bool, Stop> {
        let mut any = false;
        while self.adopt_first(pass, candidates(&self.current), need_fewer_ops)? {
            any = true;
        }
        Ok(any)
    }

    /// One round of every pass; `Ok(true)` if anything got smaller.
    pub(crate) fn round(&mut self) -> Result<bool, Stop> {
        let mut progress = false;
        progress |= self.faults()?;
        progress |= self.repeat("nodes", false, fewer_nodes)?;
        progress |= self.repeat("clients", false, fewer_clients)?;
        progress |= self.repeat("mix", false, narrower_mix)?;
        progress |= self.repeat("keys", false, fewer_keys)?;
        progress |= self.repeat("duration", false, shorter_run)?;
        progress |= self.repeat("probes", false, fewer_probes)?;
        progress |= self.repeat("think", true, longer_think)?;
        progress |= self.repeat("windows", false, shorter_windows)?;
        progress |= self.repeat("schedule", false, earlier_schedule)?;
        progress |= self.repeat("fault-args", false, simpler_faults)?;
        Ok(progress)
    }

    /// ddmin over the windows, then over single faults.
    fn faults(&mut self) -> Result<bool, Stop> {
        let mut progress = false;
        for by_window in [true, false] {
            let base = self.current.clone();
            let groups: Vec<Vec<usize>> = if by_window {
                windows(&base)
            } else {
                (0..base.faults.len()).map(|i| vec![i]).collect()
            };
            if groups.len() <= 1 && !by_window {
                // A single fault was already tried against none by the window pass.
                continue;
            }
            let build = |subset: &[usize]| -> Plan {
                let keep: Vec<usize> = subset.iter().flat_map(|g| groups[*g].clone()).collect();
                with_faults(&base, &keep)
            };
            let mut found: Option<(Vec<usize>, Probe)> = None;
            let oracle = &mut *self.oracle;
            let (kept, stop) = ddmin(groups.len(), |round: &Round| {
                let plans: Vec<Plan> = round.iter().map(|s| build(s)).collect();
                let hit = oracle.first_failing(&plans)?;
                Ok(hit.map(|(i, probe)| {
                    found = Some((round[i].clone(), probe));
                    i
                }))
            });
            if kept.len() < groups.len()
                && let Some((subset, probe)) = found
                && subset == kept
            {
                let plan = build(&kept);
                let change = format!(
                    "kept {} of {} {}",
                    kept.len(),
                    groups.len(),
                    if by_window { "fault windows" } else { "faults" }
                );
                self.adopt("faults", change, plan, probe);
                progress = true;
            }
            if let Some(stop) = stop {
                return Err(stop);
            }
        }
        Ok(progress)
    }
}

fn fewer_clients(p: &Plan) -> Vec<(String, Plan)> {
    let c = p.workload.clients;
    let mut out = Vec::new();
    for n in [1, c / 2, c.saturating_sub(1)] {
        if n >= 1
            && n < c
            && !out
                .iter()
                .any(|(_, q): &(String, Plan)| q.workload.clients == n)
        {
            let mut q = p.clone();
            q.workload.clients = n;
            out.push((format!("{c} -> {n} clients"), q));
        }
    }
    out
}

fn fewer_keys(p: &Plan) -> Vec<(String, Plan)> {
    let k = p.workload.keys;
    let mut out = Vec::new();
    for n in [1, k / 2, k.saturating_sub(1)] {
        if n >= 1
            && n < k
            && !out
                .iter()
                .any(|(_, q): &(String, Plan)| q.workload.keys == n)
        {
            let mut q = p.clone();
            q.workload.keys = n;
            out.push((format!("{k} -> {n} keys"), q));
        }
    }
    out
}

fn narrower_mix(p: &Plan) -> Vec<(String, Plan)> {
    let m = &p.workload.mix;
    let weights = [
        ("search", m.search),
        ("create", m.create),
        ("delete", m.delete),
        ("read", m.read),
        ("upsert", m.upsert),
    ];
    weights
        .iter()
        .filter(|(_, w)| *w > 0)
        .map(|(name, _)| {
            let mut q = p.clone();
            let mix = &mut q.workload.mix;
            match *name {
                "search" => mix.search = 0,
                "create" => mix.create = 0,
                "delete" => mix.delete = 0,
                "read" => mix.read = 0,
                _ => mix.upsert = 0,
            }
            (format!("no {name} operations"), q)
        })
        .collect()
}

fn shorter_run(p: &Plan) -> Vec<(String, Plan)> {
    let d = p.workload.duration_ms;
    let mut out = Vec::new();
    for n in [d / 2, d * 3 / 4] {
        let n = n.max(MIN_DURATION_MS);
        if n < d {
            let mut q = p.clone();
            q.workload.duration_ms = n;
            out.push((format!("workload {d} -> {n} ms"), tightened(&q)));
        }
    }
    let t = tightened(p);
    if t.liveness.heal_at_ms < p.liveness.heal_at_ms {
        out.push((
            format!(
                "heal at {} -> {} ms",
                p.liveness.heal_at_ms, t.liveness.heal_at_ms
            ),
            t,
        ));
    }
    out
}

fn fewer_probes(p: &Plan) -> Vec<(String, Plan)> {
    let l = &p.liveness;
    if l.probe_writes <= 1 && l.probe_reads <= 1 {
        return Vec::new();
    }
    let mut q = p.clone();
    q.liveness.probe_writes = 1;
    q.liveness.probe_reads = 1;
    vec![(
        format!(
            "{} + {} -> 1 + 1 liveness probes",
            l.probe_writes, l.probe_reads
        ),
        q,
    )]
}

fn longer_think(p: &Plan) -> Vec<(String, Plan)> {
    let w = &p.workload;
    if w.think_max_ms >= MAX_THINK_MS {
        return Vec::new();
    }
    let mut q = p.clone();
    q.workload.think_min_ms = (w.think_min_ms.max(1) * 2).min(MAX_THINK_MS);
    q.workload.think_max_ms = (w.think_max_ms.max(1) * 2).min(MAX_THINK_MS);
    vec![(
        format!(
            "think {}..{} -> {}..{} ms",
            w.think_min_ms, w.think_max_ms, q.workload.think_min_ms, q.workload.think_max_ms
        ),
        q,
    )]
}

fn shorter_windows(p: &Plan) -> Vec<(String, Plan)> {
    window_pairs(p)
        .into_iter()
        .filter_map(|(start, end)| {
            let (a, b) = (p.faults[start].at_ms, p.faults[end].at_ms);
            let len = b.saturating_sub(a);
            if len < 2 {
                return None;
            }
            let mut q = p.clone();
            q.faults[end].at_ms = a + len / 2;
            sort_faults(&mut q);
            Some((
                format!(
                    "{} window at {a} ms: {len} -> {} ms",
                    p.faults[start].fault.name(),
                    len / 2
                ),
                q,
            ))
        })
        .collect()
}

fn earlier_schedule(p: &Plan) -> Vec<(String, Plan)> {
    let mut out = Vec::new();
    let Some(first) = p.faults.first().map(|f| f.at_ms) else {
        return out;
    };
    for shift in [first, first / 2] {
        if shift == 0 {
            continue;
        }
        let mut q = p.clone();
        for f in &mut q.faults {
            f.at_ms -= shift;
        }
        out.push((format!("every fault {shift} ms earlier"), q));
    }
    for i in 1..p.faults.len() {
        let gap = p.faults[i].at_ms - p.faults[i - 1].at_ms;
        if gap < 2 {
            continue;
        }
        let mut q = p.clone();
        for f in &mut q.faults[i..] {
            f.at_ms -= gap / 2;
        }
        out.push((
            format!(
                "gap before fault {i} ({}): {gap} -> {} ms",
                p.faults[i].fault.name(),
                gap - gap / 2
            ),
            q,
        ));
    }
    out
}

fn simpler_faults(p: &Plan) -> Vec<(String, Plan)> {
    p.faults
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match &f.fault {
            Fault::Kill { node, torn: true } => {
                let mut q = p.clone();
                q.faults[i].fault = Fault::Kill {
                    node: *node,
                    torn: false,
                };
                Some((format!("kill at {} ms: torn -> clean", f.at_ms), q))
            }
            _ => None,
        })
        .collect()
}
