//! Preparing a history for the search: validate every operation against the model, drop what
//! cannot matter, and split by the model's partition key (P-compositionality: a history is
//! linearizable iff each key's sub-history is, so keys are checked independently).
//!
//! Dropped: `fail` operations (definitely no effect), read-only operations whose outcome is
//! unknown (they constrain nothing), and `info` operations the model calls unobservable
//! ([`Model::unobservable`]). `info` operations get completion time [`NEVER`].

use std::collections::BTreeMap;

use thiserror::Error;

use super::model::{Model, ModelError, NEVER, Op};
use crate::history::{History, Outcome, Time};

/// A history the checker cannot take.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckError {
    /// The message includes the model's, so the model error is not chained as a source too
    /// (chained errors print every cause).
    #[error("operation {index}: {error}")]
    Model { index: usize, error: ModelError },
    #[error("operation {index}: completes at {complete}, before its invoke at {invoke}")]
    TimeReversed {
        index: usize,
        invoke: Time,
        complete: Time,
    },
    #[error("operation {index}: a partition holds more than {max} operations", max = u32::MAX - 1)]
    TooLarge { index: usize },
}

type PartOp<'h, M> = Op<'h, <M as Model>::Call, <M as Model>::Ret>;

/// One key's operations, in invoke order.
pub(crate) struct Part<'h, M: Model> {
    pub key: M::Key,
    pub ops: Vec<Op<'h, M::Call, M::Ret>>,
}

/// Splits `history` into partitions, in key order.
pub(crate) fn partition<'h, M: Model>(
    model: &M,
    history: &'h History<M::Call, M::Ret>,
) -> Result<Vec<Part<'h, M>>, CheckError> {
    let mut parts: BTreeMap<M::Key, Vec<PartOp<'h, M>>> = BTreeMap::new();
    for (index, op) in history.ops.iter().enumerate() {
        let (ret, complete) = match &op.outcome {
            Outcome::Fail { complete } => {
                check_times(index, op.invoke, *complete)?;
                continue;
            }
            Outcome::Ok { complete, ret } => {
                check_times(index, op.invoke, *complete)?;
                (Some(ret), *complete)
            }
            Outcome::Info { complete } => {
                if let Some(c) = complete {
                    check_times(index, op.invoke, *c)?;
                }
                (None, NEVER)
            }
        };
        let key = model
            .partition(&op.call, ret)
            .map_err(|error| CheckError::Model { index, error })?;
        if ret.is_none() && model.is_read_only(&op.call, None) {
            continue;
        }
        let ops = parts.entry(key).or_default();
        if ops.len() >= (u32::MAX - 1) as usize {
            return Err(CheckError::TooLarge { index });
        }
        ops.push(Op {
            call: &op.call,
            ret,
            invoke: op.invoke,
            complete,
            process: op.process,
            index,
        });
    }
    Ok(parts
        .into_iter()
        .map(|(key, mut ops)| {
            ops.sort_by_key(|o| (o.invoke, o.index));
            let drop = model.unobservable(&ops);
            let mut at = 0;
            ops.retain(|o| {
                let keep = o.is_ok() || !drop[at];
                at += 1;
                keep
            });
            Part { key, ops }
        })
        .collect())
}

fn check_times(index: usize, invoke: Time, complete: Time) -> Result<(), CheckError> {
    if complete < invoke {
        return Err(CheckError::TimeReversed {
            index,
            invoke,
            complete,
        });
    }
    Ok(())
}
