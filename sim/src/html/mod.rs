//! The HTML report: one self-contained page per run (`index.html` in every report directory)
//! or per checked history (`faultline check --html`), drawing it as a timeline in the manner
//! of Jepsen's `timeline.html` and Porcupine's visualisation.
//!
//! Lanes: the fault windows (shaded across every lane), the leader over time, one lane per node
//! (up or down; role and term while up), and one lane per client process with each operation
//! as a bar from invoke to completion, coloured by outcome (`ok`, `fail`, `info`). A
//! linearizability counterexample is highlighted: its longest linearizable prefix outlined
//! and numbered in linearization order, the operations that cannot follow it in red. Other
//! violations are listed and, when they have a time, marked on the timeline. Hovering shows a
//! record, clicking keeps its full JSON in the page.
//!
//! Files: `view` (the data model the page embeds as JSON), `trace` (trace lines → node lanes,
//! leaders, fault windows, notes), `run` (the view of a run), `page` (the HTML, with the
//! hand-written `assets/report.js` and `assets/report.css`). The page loads nothing from the
//! network.

mod page;
#[cfg(all(feature = "world", madsim))]
mod run;
pub mod trace;
mod view;

pub use page::{escape, render};
#[cfg(all(feature = "world", madsim))]
pub use run::{from_parts, from_run};
pub use view::{
    FaultView, LeaderSpan, NodeLane, NodeSpan, NoteView, OpView, TimeUnit, View, ViolationView,
};
