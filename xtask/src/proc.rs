//! Running a child process with a time limit, measuring its wall time and peak RSS.

use anyhow::{Context as _, Result};
use std::os::unix::process::CommandExt as _;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How a child process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Exited with this status code.
    Code(i32),
    /// Killed by this signal.
    Signal(i32),
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub exit: Exit,
    /// Killed by us after the time limit.
    pub timed_out: bool,
    /// From spawn to exit.
    pub wall: Duration,
    /// Peak resident set size of the child, KiB (`ru_maxrss`).
    pub max_rss_kib: u64,
    /// User + system CPU time of the child.
    pub cpu: Duration,
}

/// Runs `cmd` to completion (its stdio as configured by the caller — use files, not pipes, for
/// large outputs). With a `timeout`, the child runs in its own process group, which is killed
/// with SIGKILL when the time is up.
pub fn run(cmd: &mut Command, timeout: Option<Duration>) -> Result<Outcome> {
    if timeout.is_some() {
        cmd.process_group(0);
    }
    let started = Instant::now();
    let child = cmd
        .spawn()
        .with_context(|| format!("starting {:?}", cmd.get_program()))?;
    let pid = child.id() as libc::pid_t;

    // The watchdog kills the child when the limit passes. The child is only reaped after the
    // watchdog has stopped, so the pid it may kill cannot have been reused.
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let watchdog = timeout.map(|limit| {
        std::thread::spawn(move || match stop_rx.recv_timeout(limit) {
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // SAFETY: plain syscall on the group led by our own, not yet reaped, child.
                unsafe { libc::kill(-pid, libc::SIGKILL) };
                true
            }
            _ => false,
        })
    });

    // Wait for the exit without reaping (WNOWAIT).
    loop {
        // SAFETY: siginfo_t is plain data; waitid fills it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err).context("waitid");
        }
    }
    let wall = started.elapsed();
    drop(stop_tx);
    let killed = match watchdog {
        Some(w) => w.join().unwrap_or(false),
        None => false,
    };

    // Reap, collecting the resource usage.
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err).context("wait4");
        }
    }
    drop(child);

    let exit = if libc::WIFEXITED(status) {
        Exit::Code(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        Exit::Signal(libc::WTERMSIG(status))
    } else {
        Exit::Code(-1)
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Ok(Outcome {
        exit,
        timed_out: killed && exit == Exit::Signal(libc::SIGKILL),
        wall,
        max_rss_kib: usage.ru_maxrss.max(0) as u64,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
    })
}
