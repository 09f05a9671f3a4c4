//! raft-io's values in serde form: messages, entries, snapshots and hard state as they cross our
//! wire and reach our disk, and the command bytes a normal entry carries.
//!
//! raft-io 1.0 derives no serde (its own `framing` feature pulls in another codec), so every type
//! that leaves the process has a mirror here with a lossless conversion both ways. The encoding
//! is postcard, as everywhere else in the crate. A frame from an unknown `Message` variant (the
//! enum is `non_exhaustive`) is refused when sending rather than silently dropped.

use raft_io::{
    AppendEntries, AppendEntriesReply, EntryKind, HardState, InstallSnapshot, InstallSnapshotReply,
    LogEntry, Message, PreVote, PreVoteReply, ReadProbe, ReadProbeReply, RequestVote,
    RequestVoteReply, Snapshot, TimeoutNow,
};
use serde::{Deserialize, Serialize};

use crate::type_config::{Command, NodeId};

/// Why a value could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("cannot encode: {0}")]
    Encode(String),
    #[error("cannot decode: {0}")]
    Decode(String),
    #[error("raft-io message variant unknown to this build: {0}")]
    UnknownVariant(String),
}

/// A log entry: term, index, whether it is a configuration entry, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireEntry {
    pub term: u64,
    pub index: u64,
    pub config: bool,
    #[serde(with = "serde_bytes")]
    pub command: Vec<u8>,
}

impl From<&LogEntry> for WireEntry {
    fn from(e: &LogEntry) -> WireEntry {
        WireEntry {
            term: e.term,
            index: e.index,
            config: e.kind == EntryKind::Config,
            command: e.command.clone(),
        }
    }
}

impl From<WireEntry> for LogEntry {
    fn from(e: WireEntry) -> LogEntry {
        LogEntry {
            term: e.term,
            index: e.index,
            kind: if e.config {
                EntryKind::Config
            } else {
                EntryKind::Normal
            },
            command: e.command,
        }
    }
}

/// A snapshot: the last entry it covers, the configuration in effect there (raft-io's packed
/// voters/learners vector), and the application's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSnapshot {
    pub index: u64,
    pub term: u64,
    pub config: Vec<NodeId>,
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

impl From<&Snapshot> for WireSnapshot {
    fn from(s: &Snapshot) -> WireSnapshot {
        WireSnapshot {
            index: s.index,
            term: s.term,
            config: s.config.clone(),
            data: s.data.clone(),
        }
    }
}

impl From<WireSnapshot> for Snapshot {
    fn from(s: WireSnapshot) -> Snapshot {
        Snapshot::with_config(s.index, s.term, s.config, s.data)
    }
}

/// The hard state raft-io persists: current term and vote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireHardState {
    pub term: u64,
    pub voted_for: Option<NodeId>,
}

impl From<HardState> for WireHardState {
    fn from(h: HardState) -> WireHardState {
        WireHardState {
            term: h.term,
            voted_for: h.voted_for,
        }
    }
}

impl From<WireHardState> for HardState {
    fn from(h: WireHardState) -> HardState {
        HardState {
            term: h.term,
            voted_for: h.voted_for,
        }
    }
}

/// Every raft-io RPC and reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireMessage {
    PreVote {
        term: u64,
        candidate: NodeId,
        last_log_index: u64,
        last_log_term: u64,
    },
    PreVoteReply {
        term: u64,
        vote_granted: bool,
        from: NodeId,
    },
    RequestVote {
        term: u64,
        candidate: NodeId,
        last_log_index: u64,
        last_log_term: u64,
        force: bool,
    },
    RequestVoteReply {
        term: u64,
        vote_granted: bool,
        from: NodeId,
    },
    AppendEntries {
        term: u64,
        leader: NodeId,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: Vec<WireEntry>,
        leader_commit: u64,
    },
    AppendEntriesReply {
        term: u64,
        success: bool,
        from: NodeId,
        match_index: u64,
        conflict_index: u64,
        conflict_term: u64,
    },
    InstallSnapshot {
        term: u64,
        leader: NodeId,
        snapshot: WireSnapshot,
    },
    InstallSnapshotReply {
        term: u64,
        from: NodeId,
        last_index: u64,
    },
    TimeoutNow {
        term: u64,
        leader: NodeId,
    },
    ReadProbe {
        term: u64,
        leader: NodeId,
        seq: u64,
    },
    ReadProbeReply {
        term: u64,
        from: NodeId,
        seq: u64,
    },
}

impl TryFrom<&Message> for WireMessage {
    type Error = CodecError;

    fn try_from(m: &Message) -> Result<WireMessage, CodecError> {
        Ok(match m {
            Message::PreVote(m) => WireMessage::PreVote {
                term: m.term,
                candidate: m.candidate,
                last_log_index: m.last_log_index,
                last_log_term: m.last_log_term,
            },
            Message::PreVoteReply(m) => WireMessage::PreVoteReply {
                term: m.term,
                vote_granted: m.vote_granted,
                from: m.from,
            },
            Message::RequestVote(m) => WireMessage::RequestVote {
                term: m.term,
                candidate: m.candidate,
                last_log_index: m.last_log_index,
                last_log_term: m.last_log_term,
                force: m.force,
            },
            Message::RequestVoteReply(m) => WireMessage::RequestVoteReply {
                term: m.term,
                vote_granted: m.vote_granted,
                from: m.from,
            },
            Message::AppendEntries(m) => WireMessage::AppendEntries {
                term: m.term,
                leader: m.leader,
                prev_log_index: m.prev_log_index,
                prev_log_term: m.prev_log_term,
                entries: m.entries.iter().map(WireEntry::from).collect(),
                leader_commit: m.leader_commit,
            },
            Message::AppendEntriesReply(m) => WireMessage::AppendEntriesReply {
                term: m.term,
                success: m.success,
                from: m.from,
                match_index: m.match_index,
                conflict_index: m.conflict_index,
                conflict_term: m.conflict_term,
            },
            Message::InstallSnapshot(m) => WireMessage::InstallSnapshot {
                term: m.term,
                leader: m.leader,
                snapshot: WireSnapshot::from(&m.snapshot),
            },
            Message::InstallSnapshotReply(m) => WireMessage::InstallSnapshotReply {
                term: m.term,
                from: m.from,
                last_index: m.last_index,
            },
            Message::TimeoutNow(m) => WireMessage::TimeoutNow {
                term: m.term,
                leader: m.leader,
            },
            Message::ReadProbe(m) => WireMessage::ReadProbe {
                term: m.term,
                leader: m.leader,
                seq: m.seq,
            },
            Message::ReadProbeReply(m) => WireMessage::ReadProbeReply {
                term: m.term,
                from: m.from,
                seq: m.seq,
            },
            other => return Err(CodecError::UnknownVariant(format!("{other:?}"))),
        })
    }
}

impl From<WireMessage> for Message {
    fn from(m: WireMessage) -> Message {
        match m {
            WireMessage::PreVote {
                term,
                candidate,
                last_log_index,
                last_log_term,
            } => Message::PreVote(PreVote {
                term,
                candidate,
                last_log_index,
                last_log_term,
            }),
            WireMessage::PreVoteReply {
                term,
                vote_granted,
                from,
            } => Message::PreVoteReply(PreVoteReply {
                term,
                vote_granted,
                from,
            }),
            WireMessage::RequestVote {
                term,
                candidate,
                last_log_index,
                last_log_term,
                force,
            } => Message::RequestVote(RequestVote {
                term,
                candidate,
                last_log_index,
                last_log_term,
                force,
            }),
            WireMessage::RequestVoteReply {
                term,
                vote_granted,
                from,
            } => Message::RequestVoteReply(RequestVoteReply {
                term,
                vote_granted,
                from,
            }),
            WireMessage::AppendEntries {
                term,
                leader,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => Message::AppendEntries(AppendEntries {
                term,
                leader,
                prev_log_index,
                prev_log_term,
                entries: entries.into_iter().map(LogEntry::from).collect(),
                leader_commit,
            }),
            WireMessage::AppendEntriesReply {
                term,
                success,
                from,
                match_index,
                conflict_index,
                conflict_term,
            } => Message::AppendEntriesReply(AppendEntriesReply {
                term,
                success,
                from,
                match_index,
                conflict_index,
                conflict_term,
            }),
            WireMessage::InstallSnapshot {
                term,
                leader,
                snapshot,
            } => Message::InstallSnapshot(InstallSnapshot {
                term,
                leader,
                snapshot: snapshot.into(),
            }),
            WireMessage::InstallSnapshotReply {
                term,
                from,
                last_index,
            } => Message::InstallSnapshotReply(InstallSnapshotReply {
                term,
                from,
                last_index,
            }),
            WireMessage::TimeoutNow { term, leader } => {
                Message::TimeoutNow(TimeoutNow { term, leader })
            }
            WireMessage::ReadProbe { term, leader, seq } => {
                Message::ReadProbe(ReadProbe { term, leader, seq })
            }
            WireMessage::ReadProbeReply { term, from, seq } => {
                Message::ReadProbeReply(ReadProbeReply { term, from, seq })
            }
        }
    }
}

/// One peer message on the wire: who sent it, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerFrame {
    pub from: NodeId,
    pub message: WireMessage,
}

/// Encodes a message from `from` into frame bytes.
pub fn encode_message(from: NodeId, message: &Message) -> Result<Vec<u8>, CodecError> {
    let frame = PeerFrame {
        from,
        message: WireMessage::try_from(message)?,
    };
    postcard::to_stdvec(&frame).map_err(|e| CodecError::Encode(e.to_string()))
}

/// Decodes frame bytes into the sender and its message.
pub fn decode_message(bytes: &[u8]) -> Result<(NodeId, Message), CodecError> {
    let frame: PeerFrame =
        postcard::from_bytes(bytes).map_err(|e| CodecError::Decode(e.to_string()))?;
    Ok((frame.from, frame.message.into()))
}

/// The bytes of a normal entry: the client's command.
pub fn encode_command(cmd: &Command) -> Result<Vec<u8>, CodecError> {
    postcard::to_stdvec(cmd).map_err(|e| CodecError::Encode(e.to_string()))
}

/// The command a normal entry's bytes carry.
pub fn decode_command(bytes: &[u8]) -> Result<Command, CodecError> {
    postcard::from_bytes(bytes).map_err(|e| CodecError::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_variant_round_trips() {
        let entries = vec![
            LogEntry::new(2, 5, b"x".to_vec()),
            LogEntry::config_with_learners(2, 6, &[1, 2, 3], &[4]),
        ];
        let msgs = vec![
            Message::PreVote(PreVote {
                term: 3,
                candidate: 2,
                last_log_index: 9,
                last_log_term: 2,
            }),
            Message::PreVoteReply(PreVoteReply {
                term: 3,
                vote_granted: true,
                from: 1,
            }),
            Message::RequestVote(RequestVote {
                term: 3,
                candidate: 2,
                last_log_index: 9,
                last_log_term: 2,
                force: true,
            }),
            Message::RequestVoteReply(RequestVoteReply {
                term: 3,
                vote_granted: false,
                from: 3,
            }),
            Message::AppendEntries(AppendEntries {
                term: 2,
                leader: 1,
                prev_log_index: 4,
                prev_log_term: 1,
                entries,
                leader_commit: 4,
            }),
            Message::AppendEntriesReply(AppendEntriesReply {
                term: 2,
                success: false,
                from: 2,
                match_index: 0,
                conflict_index: 3,
                conflict_term: 1,
            }),
            Message::InstallSnapshot(InstallSnapshot {
                term: 2,
                leader: 1,
                snapshot: Snapshot::with_config(7, 2, vec![1, 2, u64::MAX, 4], vec![9; 40]),
            }),
            Message::InstallSnapshotReply(InstallSnapshotReply {
                term: 2,
                from: 2,
                last_index: 7,
            }),
            Message::TimeoutNow(TimeoutNow { term: 2, leader: 1 }),
            Message::ReadProbe(ReadProbe {
                term: 2,
                leader: 1,
                seq: 11,
            }),
            Message::ReadProbeReply(ReadProbeReply {
                term: 2,
                from: 3,
                seq: 11,
            }),
        ];
        for m in msgs {
            let bytes = encode_message(7, &m).unwrap();
            assert_eq!(decode_message(&bytes).unwrap(), (7, m));
        }
    }

    #[test]
    fn garbage_is_a_decode_error() {
        assert!(matches!(
            decode_message(&[0xff, 0xff, 0xff]),
            Err(CodecError::Decode(_))
        ));
    }
}
