//! Waiting for the disk: the adapter's one place where it lets a disk operation take its time.
//!
//! The engine and the log store keep a synchronous `Vfs` API: a call returns when the data is
//! handed to the disk. On a real disk the call itself blocks until the device is done; a
//! simulated disk returns at once and says how long its device is still busy
//! (`Vfs::busy_for`). So after a group of disk calls, and before anything is acknowledged
//! (to openraft, to a client, to a peer), the adapter waits that long. Other tasks of the node
//! run meanwhile, as they would while a real fsync is in flight. On a real disk the wait is
//! always zero.

use faultline_engine::vfs::Vfs;

/// Waits until every operation issued to `vfs` so far has completed.
pub async fn settle(vfs: &dyn Vfs) {
    let busy = vfs.busy_for();
    if !busy.is_zero() {
        tokio::time::sleep(busy).await;
    }
}
