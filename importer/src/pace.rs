//! Keeping to a request rate: each send takes the next free slot, slots `1/rate` apart.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Spaces request starts at least `interval` apart.
#[derive(Debug)]
pub struct Pace {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pace {
    /// `rate` requests per second; `None` or 0 for no limit.
    pub fn new(rate: Option<f64>) -> Self {
        let interval = match rate {
            Some(r) if r > 0.0 && r.is_finite() => Duration::from_secs_f64(1.0 / r),
            _ => Duration::ZERO,
        };
        Self { interval, next: Mutex::new(Instant::now()) }
    }

    /// Takes a slot if one is free at this instant.
    pub fn try_now(&self) -> bool {
        if self.interval.is_zero() {
            return true;
        }
        let Ok(mut next) = self.next.try_lock() else { return false };
        let now = Instant::now();
        if *next > now {
            return false;
        }
        *next = now + self.interval;
        true
    }

    /// Waits for the next slot.
    pub async fn wait(&self) {
        if self.interval.is_zero() {
            return;
        }
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_spaced() {
        let pace = Pace::new(Some(10.0));
        let start = Instant::now();
        for _ in 0..5 {
            pace.wait().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        assert!(!pace.try_now(), "the next slot is 100 ms away");
        tokio::time::advance(Duration::from_millis(100)).await;
        assert!(pace.try_now());
        assert!(!pace.try_now());
        assert!(Pace::new(None).try_now());
    }
}
