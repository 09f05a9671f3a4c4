//! Reads a run's trace (the `trace.log` lines: `<ms>.<ns>ms <event as JSON>`) into what the
//! report draws: per-node lanes (up or down; role, term and leader while up), who led when,
//! the nemesis's fault windows and instant actions, and the run's other notes.
//!
//! Events are read as JSON values, not as the world's typed `Event`, and matched defensively:
//! an event kind this file does not know (more are added as the world grows) is skipped, never
//! an error, so an old report renders with a new build and the other way round.
//!
//! Fault windows come from the nemesis's own notes (`nemesis <fault>: <what it did>`, or
//! `nemesis <fault> skipped: <why>`): a partition lasts until the next `heal`, a link fault
//! until `net-calm`, a kill until the `restart` of that node, a disk fault until the
//! `disk-heal` of that node, and anything still open until the liveness phase heals
//! everything. Faults with no end (snapshots, leadership moves, membership changes, and fault
//! kinds this file does not know) are instants.

use std::collections::BTreeMap;

use serde_json::Value;

use super::view::{FaultView, LeaderSpan, NodeLane, NodeSpan, NoteView};

/// One trace entry: its time in ms and its event.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEntry {
    pub at_ms: f64,
    pub event: Value,
}

/// Parses `trace.log` lines; lines that are not `<time>ms <json>` are skipped.
pub fn parse_lines<S: AsRef<str>>(lines: &[S]) -> Vec<TraceEntry> {
    lines
        .iter()
        .filter_map(|l| parse_line(l.as_ref()))
        .collect()
}

fn parse_line(line: &str) -> Option<TraceEntry> {
    let line = line.trim_start();
    let (time, json) = line.split_once("ms ")?;
    let at_ms: f64 = time.trim().parse().ok()?;
    let event = serde_json::from_str(json).ok()?;
    Some(TraceEntry { at_ms, event })
}

/// An event's kind and body: `{"Kind": body}` or a bare `"Kind"`.
fn kind(event: &Value) -> Option<(&str, &Value)> {
    match event {
        Value::String(s) => Some((s.as_str(), &Value::Null)),
        Value::Object(m) if m.len() == 1 => m.iter().next().map(|(k, v)| (k.as_str(), v)),
        _ => None,
    }
}

fn node_of(body: &Value) -> Option<u64> {
    body.get("node").and_then(Value::as_u64)
}

/// What the trace says, in the report's vocabulary.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Timeline {
    pub nodes: Vec<NodeLane>,
    pub leaders: Vec<LeaderSpan>,
    pub faults: Vec<FaultView>,
    pub notes: Vec<NoteView>,
    /// The last time the trace mentions.
    pub end: f64,
}

#[derive(Debug, Clone)]
struct NodeState {
    since: f64,
    up: bool,
    role: String,
    term: u64,
    leader: Option<u64>,
}

/// Builds the timeline of `entries`; `nodes` lanes exist from the start (more appear as the
/// trace names them); spans still open are closed at `end` (or the last entry).
pub fn timeline(entries: &[TraceEntry], nodes: usize, end: Option<f64>) -> Timeline {
    let mut out = Timeline::default();
    let last = entries.iter().map(|e| e.at_ms).fold(0.0_f64, f64::max);
    let end = end.unwrap_or(last).max(last);
    out.end = end;
    let mut state: BTreeMap<u64, NodeState> = BTreeMap::new();
    let mut spans: BTreeMap<u64, Vec<NodeSpan>> = BTreeMap::new();
    for id in 1..=nodes as u64 {
        spans.insert(id, Vec::new());
    }
    let mut faults = Faults::default();
    for e in entries {
        let Some((k, body)) = kind(&e.event) else {
            continue;
        };
        let at = e.at_ms;
        match k {
            "NodeStarted" | "Restarted" | "Killed" | "NodeStartFailed" | "Raft" => {
                let Some(node) = node_of(body) else {
                    continue;
                };
                let s = state.entry(node).or_insert_with(|| NodeState {
                    since: 0.0,
                    up: false,
                    role: "not started".into(),
                    term: 0,
                    leader: None,
                });
                let lane = spans.entry(node).or_default();
                if at > s.since {
                    lane.push(span(s, at));
                }
                apply(s, k, body);
                s.since = at;
            }
            "Note" => {
                if let Some(text) = body.as_str() {
                    faults.note(at, text, &mut out.notes);
                }
            }
            "Admin" => {
                let action = body.get("action").and_then(Value::as_str).unwrap_or("?");
                let result = body.get("result").and_then(Value::as_str).unwrap_or("");
                let node = node_of(body).map_or_else(String::new, |n| format!("node {n} "));
                out.notes.push(NoteView {
                    at,
                    text: format!("admin: {node}{action}: {result}"),
                });
            }
            _ => {}
        }
    }
    faults.close_all(end);
    out.faults = faults.done;
    for (node, lane) in &mut spans {
        if let Some(s) = state.get(node)
            && end > s.since
        {
            lane.push(span(s, end));
        }
    }
    out.nodes = spans
        .into_iter()
        .map(|(id, spans)| NodeLane {
            id,
            spans: merge(spans),
        })
        .collect();
    out.leaders = leaders(&out.nodes);
    out
}

/// What a node event changes about the node.
fn apply(s: &mut NodeState, kind: &str, body: &Value) {
    match kind {
        "Killed" => {
            s.up = false;
            s.role = "down".into();
            s.leader = None;
        }
        "NodeStartFailed" => {
            s.up = false;
            s.role = "start failed".into();
            s.leader = None;
        }
        "Raft" => {
            s.up = true;
            if let Some(role) = body.get("role").and_then(Value::as_str) {
                s.role = role.to_string();
            }
            if let Some(term) = body.get("term").and_then(Value::as_u64) {
                s.term = term;
            }
            s.leader = body.get("leader").and_then(Value::as_u64);
        }
        // Started or restarted: up, role not reported yet.
        _ => {
            s.up = true;
            s.role.clear();
            s.leader = None;
        }
    }
}

fn span(s: &NodeState, to: f64) -> NodeSpan {
    NodeSpan {
        from: s.since,
        to,
        up: s.up,
        role: s.role.clone(),
        term: s.term,
        leader: s.leader,
    }
}

/// Joins neighbouring spans that show the same thing.
fn merge(spans: Vec<NodeSpan>) -> Vec<NodeSpan> {
    let mut out: Vec<NodeSpan> = Vec::with_capacity(spans.len());
    for s in spans {
        if let Some(prev) = out.last_mut()
            && prev.up == s.up
            && prev.role == s.role
            && prev.term == s.term
            && prev.leader == s.leader
            && prev.to >= s.from
        {
            prev.to = s.to;
            continue;
        }
        out.push(s);
    }
    out
}

/// Who led when: every span of a node in the `Leader` role, one per node and term.
fn leaders(nodes: &[NodeLane]) -> Vec<LeaderSpan> {
    let mut out: Vec<LeaderSpan> = Vec::new();
    for lane in nodes {
        for s in &lane.spans {
            if !s.up || !s.role.eq_ignore_ascii_case("leader") {
                continue;
            }
            match out.last_mut() {
                Some(l) if l.node == lane.id && l.term == s.term && l.to >= s.from => {
                    l.to = s.to;
                }
                _ => out.push(LeaderSpan {
                    node: lane.id,
                    term: s.term,
                    from: s.from,
                    to: s.to,
                }),
            }
        }
    }
    out.sort_by(|a, b| a.from.total_cmp(&b.from).then(a.node.cmp(&b.node)));
    out
}

/// Which family of windows a fault opens or closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Partition,
    Link,
    Kill,
    Disk,
}

fn opens(name: &str) -> Option<Family> {
    match name {
        "partition" | "random-halves" | "isolate-leader" | "majority-minority" | "bridge"
        | "one-way" => Some(Family::Partition),
        "link-loss" | "latency-spike" => Some(Family::Link),
        "kill" => Some(Family::Kill),
        "disk" => Some(Family::Disk),
        _ => None,
    }
}

fn closes(name: &str) -> Option<Family> {
    match name {
        "heal" => Some(Family::Partition),
        "net-calm" => Some(Family::Link),
        "restart" => Some(Family::Kill),
        "disk-heal" => Some(Family::Disk),
        _ => None,
    }
}

/// Node ids a nemesis text names: every `node N`, `leader N`, and the ids of `[a, b] | [c]`
/// groups and `a -> b` links.
fn named_nodes(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == ':')
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        let after_node = i > 0 && matches!(words[i - 1], "node" | "leader");
        let in_group = text.contains(" | ") || text.contains(" -> ");
        let bare = w.trim_matches(|c| c == '[' || c == ']');
        if (after_node || in_group)
            && let Ok(n) = bare.parse::<u64>()
        {
            out.push(n);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The nemesis's notes, paired into windows.
#[derive(Debug, Default)]
struct Faults {
    open: Vec<(Family, FaultView)>,
    done: Vec<FaultView>,
}

impl Faults {
    fn note(&mut self, at: f64, text: &str, notes: &mut Vec<NoteView>) {
        let Some(rest) = text.strip_prefix("nemesis ") else {
            if text.starts_with("liveness: healing") {
                self.close_all(at);
            }
            notes.push(NoteView {
                at,
                text: text.to_string(),
            });
            return;
        };
        let (name, skipped, detail) = match rest.split_once(' ') {
            Some((name, d)) if d.starts_with("skipped: ") => {
                (name, true, d.trim_start_matches("skipped: "))
            }
            _ => match rest.split_once(": ") {
                Some((name, d)) => (name, false, d),
                None => (rest, false, ""),
            },
        };
        let family = match opens(name).or_else(|| closes(name)) {
            Some(Family::Partition) => "partition",
            Some(Family::Link) => "link",
            Some(Family::Kill) => "kill",
            Some(Family::Disk) => "disk",
            None => "other",
        };
        let view = FaultView {
            name: name.to_string(),
            family: family.to_string(),
            from: at,
            to: None,
            text: detail.to_string(),
            nodes: named_nodes(detail),
            skipped,
        };
        if skipped {
            self.done.push(view);
            return;
        }
        if let Some(family) = opens(name) {
            // A new partition replaces the old one; a node killed again ends its last window.
            let replaces = |(f, v): &(Family, FaultView)| {
                *f == family
                    && match family {
                        Family::Partition => true,
                        Family::Kill | Family::Disk => v.nodes == view.nodes,
                        Family::Link => false,
                    }
            };
            self.close_where(at, replaces);
            self.open.push((family, view));
        } else if let Some(family) = closes(name) {
            let nodes = view.nodes.clone();
            let closed = self.close_where(at, |(f, v)| {
                *f == family
                    && match family {
                        Family::Kill | Family::Disk => nodes.is_empty() || v.nodes == nodes,
                        Family::Partition | Family::Link => true,
                    }
            });
            if closed == 0 {
                // An end with nothing open (a heal after an already healed window) is shown
                // as an instant, so nothing the nemesis did goes missing.
                self.done.push(view);
            }
        } else {
            self.done.push(view);
        }
    }

    fn close_where(&mut self, at: f64, pred: impl Fn(&(Family, FaultView)) -> bool) -> usize {
        let mut closed = 0;
        let mut keep = Vec::with_capacity(self.open.len());
        for entry in self.open.drain(..) {
            if pred(&entry) {
                let (_, mut v) = entry;
                v.to = Some(at.max(v.from));
                self.done.push(v);
                closed += 1;
            } else {
                keep.push(entry);
            }
        }
        self.open = keep;
        closed
    }

    fn close_all(&mut self, at: f64) {
        self.close_where(at, |_| true);
        self.done.sort_by(|a, b| a.from.total_cmp(&b.from));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(lines: &[&str]) -> Vec<TraceEntry> {
        parse_lines(lines)
    }

    #[test]
    fn lines_parse_and_junk_is_skipped() {
        let e = entries(&[
            "       1.000128ms {\"NodeStarted\":{\"node\":1,\"incarnation\":1}}",
            "not a trace line",
            "      20.5ms \"Heal\"",
        ]);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].at_ms, 1.000128);
        assert_eq!(e[1].event, Value::String("Heal".into()));
    }

    #[test]
    fn node_lanes_follow_start_role_kill_and_restart() {
        let e = entries(&[
            "1.0ms {\"NodeStarted\":{\"node\":1,\"incarnation\":1}}",
            "2.0ms {\"Raft\":{\"node\":1,\"term\":1,\"leader\":1,\"role\":\"Leader\"}}",
            "5.0ms {\"Killed\":{\"node\":1,\"lost_writes\":0,\"torn\":false}}",
            "7.0ms {\"Restarted\":{\"node\":1}}",
            "7.5ms {\"SomethingNew\":{\"node\":1,\"whatever\":[1,2]}}",
            "8.0ms {\"Raft\":{\"node\":1,\"term\":2,\"leader\":2,\"role\":\"Follower\"}}",
        ]);
        let t = timeline(&e, 2, Some(10.0));
        assert_eq!(t.nodes.len(), 2);
        let roles: Vec<(&str, bool, f64, f64)> = t.nodes[0]
            .spans
            .iter()
            .map(|s| (s.role.as_str(), s.up, s.from, s.to))
            .collect();
        assert_eq!(
            roles,
            vec![
                ("not started", false, 0.0, 1.0),
                ("", true, 1.0, 2.0),
                ("Leader", true, 2.0, 5.0),
                ("down", false, 5.0, 7.0),
                ("", true, 7.0, 8.0),
                ("Follower", true, 8.0, 10.0),
            ]
        );
        assert!(t.nodes[1].spans.is_empty());
        assert_eq!(
            t.leaders,
            vec![LeaderSpan {
                node: 1,
                term: 1,
                from: 2.0,
                to: 5.0
            }]
        );
    }

    #[test]
    fn nemesis_notes_pair_into_windows() {
        let e = entries(&[
            "10ms {\"Note\":\"nemesis partition: groups [1, 2] | [3]\"}",
            "20ms {\"Note\":\"nemesis heal: every link restored\"}",
            "30ms {\"Note\":\"nemesis kill: node 2 lost power\"}",
            "31ms {\"Note\":\"nemesis snapshot: node 1 snapshot at index 7\"}",
            "32ms {\"Note\":\"nemesis add-voter skipped: no spare\"}",
            "33ms {\"Note\":\"nemesis flood: something new\"}",
            "40ms {\"Note\":\"nemesis restart: node 2 restarted\"}",
            "45ms {\"Note\":\"nemesis link-loss: latency 2ms..7ms, loss 0.08\"}",
            "50ms {\"Note\":\"liveness: healing every fault\"}",
            "60ms {\"Note\":\"run finished\"}",
        ]);
        let t = timeline(&e, 3, None);
        type Row<'a> = (&'a str, f64, Option<f64>, bool, Vec<u64>);
        let got: Vec<Row> = t
            .faults
            .iter()
            .map(|f| (f.name.as_str(), f.from, f.to, f.skipped, f.nodes.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("partition", 10.0, Some(20.0), false, vec![1, 2, 3]),
                ("kill", 30.0, Some(40.0), false, vec![2]),
                ("snapshot", 31.0, None, false, vec![1]),
                ("add-voter", 32.0, None, true, vec![]),
                ("flood", 33.0, None, false, vec![]),
                ("link-loss", 45.0, Some(50.0), false, vec![]),
            ]
        );
        let notes: Vec<&str> = t.notes.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(notes, vec!["liveness: healing every fault", "run finished"]);
        assert_eq!(t.end, 60.0);
    }
}
