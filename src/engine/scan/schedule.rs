//! Which file each scan thread takes next. Largest first, so no big file is
//! left for the end while the other threads idle; and one big file at a
//! time, because a parsed file takes about 130 times its size in memory
//! and two big trees at once would double the scan's peak. A thread that
//! cannot take a big file meanwhile takes small ones instead of waiting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Runs `work` on every index of `order` (largest first) on the current
/// rayon pool's threads, never on two `big` ones at once. Results come
/// back unordered, each with its index.
pub(super) fn run_all<T: Send>(
    order: &[usize],
    big: impl Fn(usize) -> bool + Sync,
    work: impl Fn(usize) -> T + Sync,
) -> Vec<(usize, T)> {
    let (bigs, smalls): (Vec<usize>, Vec<usize>) = order.iter().partition(|&&i| big(i));
    let queues = Queues {
        bigs: Queue::new(bigs),
        smalls: Queue::new(smalls),
        big_turn: Mutex::new(()),
    };
    let done = Mutex::new(Vec::with_capacity(order.len()));
    rayon::scope(|scope| {
        for _ in 0..rayon::current_num_threads().max(1) {
            scope.spawn(|_| {
                let mut mine = Vec::new();
                while let Some((i, turn)) = queues.next() {
                    mine.push((i, work(i)));
                    drop(turn);
                }
                done.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend(mine);
            });
        }
    });
    done.into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct Queue {
    items: Vec<usize>,
    next: AtomicUsize,
}

impl Queue {
    fn new(items: Vec<usize>) -> Self {
        Self {
            items,
            next: AtomicUsize::new(0),
        }
    }

    fn take(&self) -> Option<usize> {
        self.items
            .get(self.next.fetch_add(1, Ordering::Relaxed))
            .copied()
    }
}

struct Queues {
    bigs: Queue,
    smalls: Queue,
    /// Held while a big file is worked on.
    big_turn: Mutex<()>,
}

impl Queues {
    /// The next file, with the big-file turn when it is a big one; `None`
    /// when every file is taken.
    fn next(&self) -> Option<(usize, Option<MutexGuard<'_, ()>>)> {
        if let Ok(turn) = self.big_turn.try_lock()
            && let Some(i) = self.bigs.take()
        {
            return Some((i, Some(turn)));
        }
        if let Some(i) = self.smalls.take() {
            return Some((i, None));
        }
        // Only big files are left: wait for the turn.
        let turn = self
            .big_turn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Some((self.bigs.take()?, Some(turn)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn every_file_once_and_never_two_big_ones_at_a_time() {
        let order: Vec<usize> = (0..200).rev().collect();
        let in_big = AtomicBool::new(false);
        let overlapped = AtomicBool::new(false);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let mut done = pool.install(|| {
            run_all(
                &order,
                |i| i >= 150,
                |i| {
                    if i >= 150 {
                        overlapped.fetch_or(in_big.swap(true, Ordering::SeqCst), Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(1));
                        in_big.store(false, Ordering::SeqCst);
                    }
                    i * 2
                },
            )
        });
        done.sort_unstable();
        assert_eq!(done, (0..200).map(|i| (i, i * 2)).collect::<Vec<_>>());
        assert!(!overlapped.load(Ordering::SeqCst));
    }
}
