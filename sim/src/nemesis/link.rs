//! Link faults: message loss and latency spikes on every link (madsim 0.2's network config is
//! global), and the return to the plan's base behaviour. madsim's TCP retransmits what it
//! loses, so loss shows up as delay on streams and as refused connections.

use super::FaultResult;
use crate::world::{NetBase, World};

fn set(w: &World, base: NetBase) -> FaultResult {
    w.set_net_base(&base).map_err(|e| e.to_string())?;
    Ok(format!(
        "latency {:?}..{:?}, loss {}",
        base.latency.start, base.latency.end, base.loss
    ))
}

pub(super) fn loss(w: &World, base: &NetBase, rate: f64) -> FaultResult {
    set(
        w,
        NetBase {
            latency: base.latency.clone(),
            loss: rate,
        },
    )
}

pub(super) fn latency(w: &World, base: &NetBase, min_ms: u64, max_ms: u64) -> FaultResult {
    set(
        w,
        NetBase {
            latency: std::time::Duration::from_millis(min_ms)
                ..std::time::Duration::from_millis(max_ms),
            loss: base.loss,
        },
    )
}

pub(super) fn calm(w: &World, base: &NetBase) -> FaultResult {
    set(w, base.clone())
}
