//! The network authority: which simulated links are cut, and how every link behaves.
//!
//! It wraps madsim's `NetSim` and keeps its own record of every link it clogged, so `heal()`
//! undoes exactly the world's faults and the trace names them. Semantics:
//!
//! - `partition(groups)` cuts every server↔server link between different groups, both ways;
//!   a server named in no group is alone. It replaces earlier server↔server cuts. Client links
//!   are untouched (as in Jepsen, clients reach every node unless cut explicitly).
//! - `isolate(node)` adds cuts between `node` and every other server, both ways.
//! - `clog(from, to)` / `unclog(from, to)` cut or restore one direction of one link between any
//!   two hosts (servers or clients).
//! - `set_flaky(from, to, p, period)`: one direction of a link is cut for a random fraction `p`
//!   of `period`-long slots, drawn from the seed. madsim 0.2.34 has no per-link loss or latency
//!   (its `net::Config` is global), and its TCP holds and retransmits what a cut link carries,
//!   so on a stream this is per-link jitter plus loss-as-delay; new connections are refused.
//! - `set_base(latency, loss)`: madsim's global per-message latency range and loss rate.
//! - `heal()` restores every link the world cut and stops every flaky link.
//!
//! A clogged link holds messages and delivers them after unclogging, with madsim's retry
//! backoff (up to 10 s): give a healed cluster that long to resume.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use madsim::net::NetSim;
use madsim::rand::Rng;
use madsim::task::NodeId as SimNodeId;

use super::NodeId;
use super::error::WorldError;
use super::trace::{Event, Trace};

/// An endpoint of a simulated link: a server node or a client machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Host {
    Node(NodeId),
    Client(u32),
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Node(n) => write!(f, "n{n}"),
            Host::Client(c) => write!(f, "c{c}"),
        }
    }
}

type Link = (Host, Host);

#[derive(Default)]
struct State {
    hosts: BTreeMap<Host, SimNodeId>,
    /// Links cut by partition/isolate/clog (one direction each).
    cut: BTreeSet<Link>,
    /// Links currently cut by a flaky-link task (and not by `cut`).
    flapping: BTreeSet<Link>,
    /// The task driving each flaky link.
    flaky: BTreeMap<Link, madsim::task::JoinHandle<()>>,
}

/// The world's network authority. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Network {
    state: Arc<Mutex<State>>,
    trace: Trace,
}

impl Network {
    pub fn new(trace: Trace) -> Self {
        Network {
            state: Arc::default(),
            trace,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes `host` known under its madsim node id. Called by the world when it creates a node.
    pub fn register(&self, host: Host, id: SimNodeId) {
        self.lock().hosts.insert(host, id);
    }

    /// madsim's id of every registered host, servers and clients, in host order.
    pub fn machines(&self) -> Vec<SimNodeId> {
        self.lock().hosts.values().copied().collect()
    }

    /// Every registered server, in id order.
    pub fn servers(&self) -> Vec<NodeId> {
        self.lock()
            .hosts
            .keys()
            .filter_map(|h| match h {
                Host::Node(n) => Some(*n),
                Host::Client(_) => None,
            })
            .collect()
    }

    fn sim_id(state: &State, host: Host) -> Result<SimNodeId, WorldError> {
        state
            .hosts
            .get(&host)
            .copied()
            .ok_or_else(|| WorldError::Network(format!("unknown host {host}")))
    }

    fn apply_clog(state: &State, (from, to): Link, clogged: bool) {
        let (Some(a), Some(b)) = (state.hosts.get(&from), state.hosts.get(&to)) else {
            return;
        };
        let net = NetSim::current();
        if clogged {
            net.clog_link(*a, *b);
        } else {
            net.unclog_link(*a, *b);
        }
    }

    fn cut(state: &mut State, link: Link) {
        if state.cut.insert(link) && !state.flapping.contains(&link) {
            Self::apply_clog(state, link, true);
        }
    }

    fn restore(state: &mut State, link: Link) {
        if state.cut.remove(&link) && !state.flapping.contains(&link) {
            Self::apply_clog(state, link, false);
        }
    }

    /// Splits the servers into `groups` (see the module docs).
    pub fn partition(&self, groups: &[Vec<NodeId>]) -> Result<(), WorldError> {
        let mut state = self.lock();
        let servers: Vec<NodeId> = state
            .hosts
            .keys()
            .filter_map(|h| match h {
                Host::Node(n) => Some(*n),
                Host::Client(_) => None,
            })
            .collect();
        let mut group_of = BTreeMap::new();
        for (g, members) in groups.iter().enumerate() {
            for n in members {
                Self::sim_id(&state, Host::Node(*n))?;
                if group_of.insert(*n, g).is_some() {
                    return Err(WorldError::Network(format!("node {n} is in two groups")));
                }
            }
        }
        // Unlisted servers are each alone: give them group numbers nobody else has.
        let mut alone = groups.len();
        for n in &servers {
            group_of.entry(*n).or_insert_with(|| {
                alone += 1;
                alone
            });
        }
        let server_links: Vec<Link> = state
            .cut
            .iter()
            .filter(|(a, b)| matches!((a, b), (Host::Node(_), Host::Node(_))))
            .copied()
            .collect();
        for link in server_links {
            Self::restore(&mut state, link);
        }
        for a in &servers {
            for b in &servers {
                if group_of[a] != group_of[b] {
                    Self::cut(&mut state, (Host::Node(*a), Host::Node(*b)));
                }
            }
        }
        let mut recorded: Vec<Vec<NodeId>> = groups.to_vec();
        recorded.iter_mut().for_each(|g| g.sort_unstable());
        self.trace.record(Event::Partition { groups: recorded });
        Ok(())
    }

    /// Cuts `node` off from every other server, both ways.
    pub fn isolate(&self, node: NodeId) -> Result<(), WorldError> {
        let mut state = self.lock();
        let me = Host::Node(node);
        Self::sim_id(&state, me)?;
        let others: Vec<Host> = state
            .hosts
            .keys()
            .filter(|h| matches!(h, Host::Node(_)) && **h != me)
            .copied()
            .collect();
        for other in others {
            Self::cut(&mut state, (me, other));
            Self::cut(&mut state, (other, me));
        }
        self.trace.record(Event::Isolate { node });
        Ok(())
    }

    /// Cuts the one-way link `from → to`.
    pub fn clog(&self, from: Host, to: Host) -> Result<(), WorldError> {
        let mut state = self.lock();
        Self::sim_id(&state, from)?;
        Self::sim_id(&state, to)?;
        Self::cut(&mut state, (from, to));
        self.trace.record(Event::Clog {
            from: from.to_string(),
            to: to.to_string(),
        });
        Ok(())
    }

    /// Restores the one-way link `from → to` (if the world had cut it).
    pub fn unclog(&self, from: Host, to: Host) -> Result<(), WorldError> {
        let mut state = self.lock();
        Self::sim_id(&state, from)?;
        Self::sim_id(&state, to)?;
        Self::restore(&mut state, (from, to));
        self.trace.record(Event::Unclog {
            from: from.to_string(),
            to: to.to_string(),
        });
        Ok(())
    }

    /// Whether the world currently holds `from → to` cut (by a fault or a flaky slot).
    pub fn is_cut(&self, from: Host, to: Host) -> bool {
        let state = self.lock();
        state.cut.contains(&(from, to)) || state.flapping.contains(&(from, to))
    }

    /// Makes `from → to` flaky: in each `period`-long slot it is cut with probability `p`.
    /// `p == 0` stops it. Replaces an earlier setting of the same link.
    pub fn set_flaky(
        &self,
        from: Host,
        to: Host,
        p: f64,
        period: Duration,
    ) -> Result<(), WorldError> {
        if !(0.0..=1.0).contains(&p) || period.is_zero() {
            return Err(WorldError::Network(format!(
                "flaky link needs 0 <= p <= 1 and a positive period, got p={p} period={period:?}"
            )));
        }
        let link = (from, to);
        {
            let mut state = self.lock();
            Self::sim_id(&state, from)?;
            Self::sim_id(&state, to)?;
            Self::stop_flaky(&mut state, link);
            if p > 0.0 {
                let this = self.clone();
                let task = madsim::task::spawn(async move {
                    let mut rng = madsim::rand::thread_rng();
                    loop {
                        let down = rng.gen_bool(p);
                        this.set_flapping(link, down);
                        madsim::time::sleep(period).await;
                    }
                });
                state.flaky.insert(link, task);
            }
        }
        self.trace.record(Event::LinkFlaky {
            from: from.to_string(),
            to: to.to_string(),
            clogged_per_mille: (p * 1000.0).round() as u32,
        });
        Ok(())
    }

    fn set_flapping(&self, link: Link, down: bool) {
        let mut state = self.lock();
        let changed = if down {
            state.flapping.insert(link)
        } else {
            state.flapping.remove(&link)
        };
        if changed && !state.cut.contains(&link) {
            Self::apply_clog(&state, link, down);
        }
    }

    fn stop_flaky(state: &mut State, link: Link) {
        if let Some(task) = state.flaky.remove(&link) {
            task.abort();
        }
        if state.flapping.remove(&link) && !state.cut.contains(&link) {
            Self::apply_clog(state, link, false);
        }
    }

    /// Sets madsim's global per-message latency range and loss probability.
    pub fn set_base(
        &self,
        latency: std::ops::Range<Duration>,
        loss: f64,
    ) -> Result<(), WorldError> {
        if latency.is_empty() || !(0.0..1.0).contains(&loss) {
            return Err(WorldError::Network(format!(
                "base needs a non-empty latency range and 0 <= loss < 1, got {latency:?}, {loss}"
            )));
        }
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.trace.record(Event::NetBase {
            latency_us: (micros(latency.start), micros(latency.end)),
            loss_per_million: (loss * 1e6).round() as u64,
        });
        NetSim::current().update_config(|c| {
            c.send_latency = latency;
            c.packet_loss_rate = loss;
        });
        Ok(())
    }

    /// Restores every link the world cut and stops every flaky link.
    pub fn heal(&self) {
        let mut state = self.lock();
        let flaky: Vec<Link> = state.flaky.keys().copied().collect();
        for link in flaky {
            Self::stop_flaky(&mut state, link);
        }
        let cut: Vec<Link> = state.cut.iter().copied().collect();
        for link in cut {
            Self::restore(&mut state, link);
        }
        self.trace.record(Event::Heal);
    }
}
