//! How long the network may take in one run: each connection, each wait
//! for bytes, and all requests together. A server that accepts and never
//! answers costs one read timeout per attempt, and every attempt of the run
//! draws on one total, so a slow or dead API ends the run with one sentence
//! instead of holding it for minutes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The run's network budget. Clones share what has been spent.
#[derive(Debug, Clone)]
pub struct NetworkBudget {
    connect: Duration,
    read: Duration,
    total: Duration,
    spent: Arc<Mutex<Duration>>,
}

impl Default for NetworkBudget {
    fn default() -> Self {
        Self::new(
            Duration::from_secs(10),
            Duration::from_secs(30),
            Duration::from_secs(15 * 60),
        )
    }
}

impl NetworkBudget {
    pub fn new(connect: Duration, read: Duration, total: Duration) -> Self {
        Self {
            connect,
            read,
            total,
            spent: Arc::new(Mutex::new(Duration::ZERO)),
        }
    }

    /// The longest a connection may take to open.
    pub fn connect_timeout(&self) -> Duration {
        self.connect
    }

    /// The longest to wait for the next bytes of an answer.
    pub fn read_timeout(&self) -> Duration {
        self.read
    }

    pub fn total(&self) -> Duration {
        self.total
    }

    /// What is left of the total; `None` once it is spent.
    pub fn remaining(&self) -> Option<Duration> {
        self.total
            .checked_sub(self.spent())
            .filter(|left| !left.is_zero())
    }

    pub fn spent(&self) -> Duration {
        *self.spent.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts time spent on the network (requests, and waits between them).
    pub fn charge(&self, elapsed: Duration) {
        let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        *spent = spent.saturating_add(elapsed);
    }

    /// Runs `operation` and charges the time it took.
    pub fn metered<T>(&self, operation: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let result = operation();
        self.charge(start.elapsed());
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_draw_on_one_total() {
        let budget = NetworkBudget::new(
            Duration::from_secs(1),
            Duration::from_secs(2),
            Duration::from_secs(10),
        );
        let other = budget.clone();
        other.charge(Duration::from_secs(4));
        budget.charge(Duration::from_secs(4));
        assert_eq!(budget.remaining(), Some(Duration::from_secs(2)));
        other.charge(Duration::from_secs(2));
        assert_eq!(budget.remaining(), None);
        assert_eq!(other.spent(), Duration::from_secs(10));
        assert_eq!(budget.metered(|| 7), 7);
    }
}
