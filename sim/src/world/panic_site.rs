//! Where a seed panicked: a process-wide panic hook notes the location of every panic by the
//! thread it happened on, so the seed runner can report a panic inside the system under test
//! (openraft's own assertions included) with its file and line, not just its message. A panic
//! on a seed's thread (named `seed-…`) is a finding the runner reports, so the default hook's
//! message and backtrace are not printed for it; any other panic prints as usual.

use std::collections::BTreeMap;
use std::sync::{Mutex, Once};
use std::thread::ThreadId;

static SITES: Mutex<BTreeMap<ThreadIdKey, String>> = Mutex::new(BTreeMap::new());
static INSTALL: Once = Once::new();

/// The name every seed's thread starts with (see `runner`).
pub const SEED_THREAD_PREFIX: &str = "seed-";

/// `ThreadId` has no order; its debug text is unique per thread and ordered well enough.
type ThreadIdKey = String;

fn key(id: ThreadId) -> ThreadIdKey {
    format!("{id:?}")
}

/// Installs the hook once per process.
pub fn install() {
    INSTALL.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Some(location) = info.location() {
                let site = format!(
                    "{}:{}:{}",
                    location.file(),
                    location.line(),
                    location.column()
                );
                SITES
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key(std::thread::current().id()), site);
            }
            let on_seed = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with(SEED_THREAD_PREFIX));
            if !on_seed {
                default(info);
            }
        }));
    });
}

/// The location of the last panic on thread `id`, forgotten once taken.
pub fn take(id: ThreadId) -> Option<String> {
    SITES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&key(id))
}
