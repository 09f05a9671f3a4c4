//! Correct register executions for property tests: processes run operations one after another
//! with random, overlapping intervals; every operation that takes effect gets a point inside
//! its interval (an `info` one anywhere after its invoke), and executing the effects in that
//! order gives the reads' results and the replicas' final state. Writes carry unique values.

use std::collections::BTreeMap;

use faultline_sim::history::{Call, History, Operation, Outcome, Ret};
use proptest::prelude::*;

/// One operation to generate.
#[derive(Debug, Clone)]
pub struct OpSpec {
    slot: usize,
    key: usize,
    kind: u8,
    duration: u64,
    gap: u64,
    outcome: u8,
    effect_percent: u64,
}

pub fn op_spec() -> impl Strategy<Value = OpSpec> {
    (
        0usize..4,
        0usize..3,
        0u8..10,
        1u64..20,
        0u64..5,
        0u8..12,
        0u64..=100,
    )
        .prop_map(
            |(slot, key, kind, duration, gap, outcome, effect_percent)| OpSpec {
                slot,
                key,
                kind,
                duration,
                gap,
                outcome,
                effect_percent,
            },
        )
}

/// A generated execution: the history and the order its effects took.
#[derive(Debug, Clone)]
pub struct Execution {
    pub history: History,
    /// Indices of the writes and deletes that took effect, in effect order.
    pub effects: Vec<usize>,
}

impl Execution {
    /// The register state after the first `n` effects.
    pub fn state_after(&self, n: usize) -> BTreeMap<String, String> {
        let mut state = BTreeMap::new();
        for &i in self.effects.iter().take(n) {
            match &self.history.ops[i].call {
                Call::Write { key, value } => {
                    state.insert(key.clone().unwrap_or_default(), value.clone());
                }
                Call::Delete { key } => {
                    state.remove(key.as_deref().unwrap_or_default());
                }
                _ => {}
            }
        }
        state
    }

    pub fn final_state(&self) -> BTreeMap<String, String> {
        self.state_after(self.effects.len())
    }
}

pub fn execution(specs: &[OpSpec]) -> Execution {
    // Per slot: the process running there and when it is next free.
    let mut slots: Vec<(u64, u64)> = (0..4).map(|p| (p, 0)).collect();
    let mut next_process = 4;
    let mut ops: Vec<Operation> = Vec::new();
    let mut points: Vec<(u64, usize)> = Vec::new();
    for (n, s) in specs.iter().enumerate() {
        let (process, free_at) = slots[s.slot];
        let key = Some(format!("k{}", s.key));
        let call = match s.kind {
            0..4 => Call::Read { key },
            4..9 => Call::Write {
                key,
                value: format!("v{n}"),
            },
            _ => Call::Delete { key },
        };
        let invoke = free_at + s.gap;
        let complete = invoke + s.duration;
        let index = ops.len();
        let outcome = match s.outcome {
            0 => Outcome::Fail { complete },
            1..4 => {
                // An unknown outcome: it may take effect long after the client gave up, or
                // never; its process retires, as a Jepsen client does.
                if s.outcome != 2 {
                    points.push((invoke + s.effect_percent * 3 * s.duration / 100, index));
                }
                slots[s.slot].0 = next_process;
                next_process += 1;
                Outcome::Info {
                    complete: (s.outcome == 1).then_some(complete),
                }
            }
            _ => {
                points.push((invoke + s.effect_percent * s.duration / 100, index));
                Outcome::Ok {
                    complete,
                    ret: Ret::Done,
                }
            }
        };
        slots[s.slot].1 = complete;
        ops.push(Operation {
            process,
            call,
            invoke,
            outcome,
        });
    }
    points.sort_unstable();
    let mut state: BTreeMap<String, String> = BTreeMap::new();
    let mut effects = Vec::new();
    for (_, i) in points {
        let op = &mut ops[i];
        let key = op.call.key().unwrap_or_default().to_string();
        match &op.call {
            Call::Read { .. } => {
                if let Outcome::Ok { ret, .. } = &mut op.outcome {
                    *ret = Ret::Read(state.get(&key).cloned());
                }
            }
            Call::Write { value, .. } => {
                state.insert(key, value.clone());
                effects.push(i);
            }
            Call::Delete { .. } => {
                state.remove(&key);
                effects.push(i);
            }
            _ => {}
        }
    }
    Execution {
        history: History::new(ops),
        effects,
    }
}
