//! The emulator's one notion of now. The system clock by default; in manual
//! timing a virtual clock that moves only when a test advances it.

use std::sync::atomic::{AtomicI64, Ordering};

pub fn system_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

#[derive(Debug)]
pub struct Clock {
    /// `Some` in manual mode: the virtual now, in microseconds.
    virtual_now: Option<AtomicI64>,
}

impl Clock {
    pub fn system() -> Self {
        Clock { virtual_now: None }
    }

    /// A manual clock that starts at `start` and stands still until advanced.
    pub fn manual(start: i64) -> Self {
        Clock {
            virtual_now: Some(AtomicI64::new(start)),
        }
    }

    pub fn is_manual(&self) -> bool {
        self.virtual_now.is_some()
    }

    /// Microseconds since the epoch.
    pub fn now(&self) -> i64 {
        match &self.virtual_now {
            Some(now) => now.load(Ordering::SeqCst),
            None => system_micros(),
        }
    }

    /// Moves a manual clock forward by `micros` (never backward) and returns
    /// the new now; `None` for the system clock, which nobody moves.
    pub fn advance(&self, micros: i64) -> Option<i64> {
        let now = self.virtual_now.as_ref()?;
        let step = micros.max(0);
        Some(now.fetch_add(step, Ordering::SeqCst) + step)
    }

    /// Moves a manual clock forward to `target` if that is later than now.
    pub fn advance_to(&self, target: i64) -> Option<i64> {
        let now = self.virtual_now.as_ref()?;
        Some(now.fetch_max(target, Ordering::SeqCst).max(target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_forward_and_only_when_told() {
        let clock = Clock::manual(1_000);
        assert_eq!(clock.now(), 1_000);
        assert_eq!(clock.advance(500), Some(1_500));
        assert_eq!(clock.advance(-10), Some(1_500));
        assert_eq!(clock.advance_to(1_200), Some(1_500));
        assert_eq!(clock.advance_to(2_000), Some(2_000));
        assert_eq!(clock.now(), 2_000);
        assert_eq!(Clock::system().advance(1), None);
    }
}
