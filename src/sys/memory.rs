//! The process's memory as the benchmarks measure it: the peak resident
//! set, reset between phases, and free memory handed back to the system
//! first, so one phase's leftovers do not count toward the next one's peak;
//! and how soon the allocator hands freed memory back.

/// Gives memory the allocator holds free back to the system: glibc's (it
/// keeps each thread's freed memory in its arena, still resident), and
/// mimalloc's for the calling thread (each thread has a heap of its own,
/// so a caller with worker threads calls this on each of them).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's own
    // arenas; it touches no memory in use.
    unsafe {
        libc::malloc_trim(0);
    }
    // SAFETY: mi_collect frees only what this thread's heap holds unused.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Starts a new peak: Linux resets the high-water mark of the resident
/// set when `5` is written to `/proc/self/clear_refs`; elsewhere this does
/// nothing.
pub fn reset_peak_rss() {
    release_free_memory();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The resident set's high-water mark since the last reset, in MB, where
/// the platform reports it (Linux).
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// `mi_option_purge_delay`: its place in mimalloc's option list (the list
/// keeps retired options in place, so it does not move).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory goes back to the system after 1 ms instead of mimalloc's
/// default 10: a scan frees a file's tree as it takes the next, and with
/// the longer delay its peak on the cargo registry ran up to 183 MB where
/// 1 ms kept it at 141 MB, in about the same time. For the binaries that
/// allocate with mimalloc (`patchwright`, `cargo bench`).
pub fn return_freed_memory_promptly() {
    // SAFETY: sets one of mimalloc's options; any value is valid for it.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 1) }
}
