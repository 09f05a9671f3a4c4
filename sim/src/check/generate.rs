//! Random histories produced by a real sequential execution, for property tests and
//! benchmarks (they are linearizable by construction).
//!
//! Each process runs operations one after another with random durations; every operation that
//! takes effect gets a linearization point inside its interval (an `info` one anywhere after its
//! invoke, possibly after the client gave up; then its process retires and a fresh one takes
//! over, as in Jepsen). Executing the effects in linearization-point order on the concrete
//! model gives the results. `fail` operations take no effect. Randomness comes from the seed
//! alone (a small SplitMix64), so a spec always produces the same history.

use std::collections::BTreeMap;

use crate::history::{Call, History, Operation, Outcome, Ret, Time};

/// Which built-in model's vocabulary to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenModel {
    Register,
    CasRegister,
    AppendKv,
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenSpec {
    pub model: GenModel,
    pub ops: usize,
    pub processes: usize,
    pub keys: usize,
    /// Percent of operations that fail (no effect).
    pub fail_percent: u32,
    /// Percent of operations with an unknown outcome (half of them take effect).
    pub info_percent: u32,
    /// Longest operation duration, in time units (the shortest is 1).
    pub max_duration: u64,
    pub seed: u64,
}

impl GenSpec {
    pub fn new(model: GenModel, ops: usize, processes: usize, keys: usize, seed: u64) -> Self {
        GenSpec {
            model,
            ops,
            processes,
            keys,
            fail_percent: 2,
            info_percent: 2,
            max_duration: 20,
            seed,
        }
    }
}

/// SplitMix64: tiny, fast, good enough for workloads.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn percent(&mut self, p: u32) -> bool {
        self.below(100) < u64::from(p)
    }
}

/// Generates a history as described in the module doc.
pub fn generate(spec: &GenSpec) -> History {
    let mut rng = Rng(spec.seed);
    let processes = spec.processes.max(1);
    let keys = spec.keys.max(1);
    // Per process slot: current process id and when it is free.
    let mut slots: Vec<(u64, Time)> = (0..processes).map(|p| (p as u64, rng.below(4))).collect();
    let mut next_process = processes as u64;
    let mut counter = 0u64;
    let mut last_written: BTreeMap<usize, String> = BTreeMap::new();
    let mut ops: Vec<Operation> = Vec::with_capacity(spec.ops);
    // (linearization point, op index) of every operation that takes effect.
    let mut effects: Vec<(Time, usize)> = Vec::new();
    for _ in 0..spec.ops {
        let slot = rng.below(processes as u64) as usize;
        let (process, free_at) = slots[slot];
        let key_index = rng.below(keys as u64) as usize;
        let key = Some(format!("k{key_index}"));
        counter += 1;
        let call = random_call(
            &mut rng,
            spec.model,
            key,
            counter,
            last_written.get(&key_index),
        );
        if let Call::Write { value, .. } | Call::Cas { to: value, .. } = &call {
            last_written.insert(key_index, value.clone());
        }
        let invoke = free_at;
        let duration = 1 + rng.below(spec.max_duration.max(1));
        let complete = invoke + duration;
        let index = ops.len();
        let outcome = if rng.percent(spec.fail_percent) {
            Outcome::Fail { complete }
        } else if rng.percent(spec.info_percent) {
            if rng.percent(50) {
                effects.push((invoke + rng.below(3 * duration + 1), index));
            }
            slots[slot].0 = next_process;
            next_process += 1;
            Outcome::Info {
                complete: rng.percent(50).then_some(complete),
            }
        } else {
            effects.push((invoke + rng.below(duration + 1), index));
            // Placeholder result, filled in by the execution below.
            Outcome::Ok {
                complete,
                ret: Ret::Done,
            }
        };
        slots[slot].1 = complete + rng.below(3);
        ops.push(Operation {
            process,
            call,
            invoke,
            outcome,
        });
    }
    effects.sort_unstable();
    let mut state: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (_, index) in effects {
        let op = &mut ops[index];
        let key = op.call.key().unwrap_or_default().to_string();
        let value = state.entry(key).or_default();
        let ret = apply(spec.model, &op.call, value);
        if let Outcome::Ok { ret: slot, .. } = &mut op.outcome {
            *slot = ret;
        }
    }
    ops.sort_by_key(|o| (o.invoke, o.process));
    History::new(ops)
}

fn random_call(
    rng: &mut Rng,
    model: GenModel,
    key: Option<String>,
    n: u64,
    last: Option<&String>,
) -> Call {
    let roll = rng.below(100);
    match model {
        GenModel::Register => match roll {
            0..50 => Call::Read { key },
            50..95 => Call::Write {
                key,
                value: format!("v{n}"),
            },
            _ => Call::Delete { key },
        },
        GenModel::CasRegister => match roll {
            0..40 => Call::Read { key },
            40..60 => Call::Write {
                key,
                value: format!("v{n}"),
            },
            _ => {
                let from = last.cloned().unwrap_or_else(|| "v0".to_string());
                Call::Cas {
                    key,
                    from,
                    to: format!("v{n}"),
                }
            }
        },
        GenModel::AppendKv => match roll {
            0..45 => Call::Read { key },
            45..90 => Call::Append {
                key,
                value: format!("x{n}y"),
            },
            _ => Call::Write {
                key,
                value: format!("p{n}."),
            },
        },
    }
}

/// Runs `call` on one key's concrete value and returns its result.
fn apply(model: GenModel, call: &Call, value: &mut Option<String>) -> Ret {
    match call {
        Call::Read { .. } => match model {
            GenModel::AppendKv => Ret::Read(Some(value.clone().unwrap_or_default())),
            _ => Ret::Read(value.clone()),
        },
        Call::Write { value: v, .. } => {
            *value = Some(v.clone());
            Ret::Done
        }
        Call::Delete { .. } => {
            *value = None;
            Ret::Done
        }
        Call::Append { value: v, .. } => {
            value.get_or_insert_with(String::new).push_str(v);
            Ret::Done
        }
        Call::Cas { from, to, .. } => {
            let applied = value.as_ref() == Some(from);
            if applied {
                *value = Some(to.clone());
            }
            Ret::Cas(applied)
        }
    }
}
