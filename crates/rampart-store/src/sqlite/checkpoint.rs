//! Checkpointing from a thread of its own.
//!
//! In WAL mode a commit appends pages to the `-wal` file, and a checkpoint later copies them into
//! the database and syncs both files. SQLite normally checkpoints inside the commit that crosses
//! `wal_autocheckpoint`, so every few batches one writer's commit waits for the copy and two
//! fsyncs: on a scan that was a third of insert time. Here the writer only nudges this thread
//! after each commit, and keeps a high `wal_autocheckpoint` as a safety net should this thread
//! fall behind or fail. Checkpoints are PASSIVE: they never block the writer or readers.

use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

#[derive(Default)]
struct State {
    pending: bool,
    stop: bool,
}

type Shared = Arc<(Mutex<State>, Condvar)>;

pub(super) struct Checkpointer {
    shared: Shared,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread with its own connection to `path`; `None` if either fails (the writer's
    /// own automatic checkpoints then do the work, as SQLite does by default).
    pub(super) fn start(path: &Path) -> Option<Checkpointer> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).ok()?;
        conn.busy_timeout(std::time::Duration::from_secs(1)).ok()?;
        let shared: Shared = Arc::default();
        let theirs = shared.clone();
        let thread = std::thread::Builder::new()
            .name("rampart-store-checkpoint".into())
            .spawn(move || run(conn, theirs))
            .ok()?;
        Some(Checkpointer {
            shared,
            thread: Some(thread),
        })
    }

    /// There are new frames in the WAL.
    pub(super) fn nudge(&self) {
        let (lock, wake) = &*self.shared;
        if let Ok(mut state) = lock.lock() {
            state.pending = true;
            wake.notify_one();
        }
    }
}

fn run(conn: Connection, shared: Shared) {
    let (lock, wake) = &*shared;
    loop {
        {
            let Ok(mut state) = lock.lock() else { return };
            while !state.pending && !state.stop {
                state = match wake.wait(state) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            }
            if state.stop {
                return;
            }
            state.pending = false;
        }
        // Errors (busy, I/O) leave the frames for the next nudge or the writer's safety net.
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (lock, wake) = &*self.shared;
        if let Ok(mut state) = lock.lock() {
            state.stop = true;
            wake.notify_one();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
