//! The emulator's one notion of now, and how fast operations progress. The
//! timing can change while the emulator runs: `instant` and `realistic` read
//! the system clock, `manual` a virtual clock that moves only when a test
//! advances it. Now never goes backwards across a switch.

use std::sync::RwLock;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::domain::operation::Timing;
use crate::domain::replication::Pace;

pub fn system_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// The name under which the store keeps a manual clock's now across restarts.
pub const VIRTUAL_NOW: &str = "virtual_now";

#[derive(Debug)]
pub struct Clock {
    mode: RwLock<(Timing, f64)>,
    /// The virtual now of manual timing, in microseconds.
    virtual_now: AtomicI64,
    /// Added to the system clock outside manual timing, so leaving a manual
    /// clock that was advanced past the system's never moves now backwards.
    offset: AtomicI64,
}

impl Clock {
    /// A clock in `timing`; a manual one starts at the system's now.
    pub fn new(timing: Timing, scale: f64) -> Self {
        Clock {
            mode: RwLock::new((timing, scale)),
            virtual_now: AtomicI64::new(system_micros()),
            offset: AtomicI64::new(0),
        }
    }

    pub fn system() -> Self {
        Self::new(Timing::Instant, 1.0)
    }

    /// A manual clock that starts at `start` and stands still until advanced.
    pub fn manual(start: i64) -> Self {
        let clock = Self::new(Timing::Manual, 1.0);
        clock.virtual_now.store(start, Ordering::SeqCst);
        clock
    }

    /// The timing and the time scale of realistic timing.
    pub fn timing(&self) -> (Timing, f64) {
        *self.mode.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Switches timing: entering manual freezes the clock at now; leaving it
    /// carries on from the virtual now or the system's, whichever is later.
    pub fn set_timing(&self, timing: Timing, scale: f64) {
        let mut mode = self.mode.write().unwrap_or_else(|e| e.into_inner());
        let now = self.now_in(mode.0);
        match (mode.0 == Timing::Manual, timing == Timing::Manual) {
            (false, true) => self.virtual_now.store(now, Ordering::SeqCst),
            (true, false) => {
                let behind = (now - system_micros()).max(self.offset.load(Ordering::SeqCst));
                self.offset.store(behind.max(0), Ordering::SeqCst);
            }
            _ => {}
        }
        *mode = (timing, scale);
    }

    pub fn is_manual(&self) -> bool {
        self.timing().0 == Timing::Manual
    }

    /// How operations accepted now progress.
    pub fn pace(&self) -> Pace {
        match self.timing() {
            (Timing::Instant, _) => Pace::Instant,
            (Timing::Realistic | Timing::Manual, scale) => Pace::Scaled(scale),
        }
    }

    /// Microseconds since the epoch.
    pub fn now(&self) -> i64 {
        self.now_in(self.timing().0)
    }

    fn now_in(&self, timing: Timing) -> i64 {
        match timing {
            Timing::Manual => self.virtual_now.load(Ordering::SeqCst),
            _ => system_micros() + self.offset.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward by `micros` (never backward) and returns
    /// the new now; `None` outside manual timing, where nobody moves it.
    pub fn advance(&self, micros: i64) -> Option<i64> {
        if !self.is_manual() {
            return None;
        }
        let step = micros.max(0);
        Some(self.virtual_now.fetch_add(step, Ordering::SeqCst) + step)
    }

    /// Moves a manual clock forward to `target` if that is later than now.
    pub fn advance_to(&self, target: i64) -> Option<i64> {
        if !self.is_manual() {
            return None;
        }
        Some(
            self.virtual_now
                .fetch_max(target, Ordering::SeqCst)
                .max(target),
        )
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

    #[test]
    fn switching_timing_never_moves_now_backwards() {
        let ahead = system_micros() + 3_600_000_000;
        let clock = Clock::manual(ahead);
        assert_eq!(clock.pace(), Pace::Scaled(1.0));
        clock.set_timing(Timing::Realistic, 0.01);
        assert_eq!(clock.pace(), Pace::Scaled(0.01));
        assert!(clock.now() >= ahead, "leaving manual kept the virtual now");
        let before = clock.now();
        clock.set_timing(Timing::Manual, 0.5);
        assert_eq!(clock.pace(), Pace::Scaled(0.5));
        assert!(clock.now() >= before);
        clock.set_timing(Timing::Instant, 1.0);
        assert_eq!(clock.pace(), Pace::Instant);
        assert!(clock.now() >= before);
    }
}
