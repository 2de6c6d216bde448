//! A deadline in 8 bytes, as an `Option` too: nanoseconds after a clock origin taken on
//! first use, where an `Instant` takes 16. A process's context keeps its receive and
//! I/O deadlines this way, which keeps the context in a smaller allocation (see
//! `library::Ctx`); the timer still works with `Instant`s.

use std::num::NonZeroU64;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Deadline(NonZeroU64);

/// The clock origin of all deadlines (the first time one is made or read).
fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

impl Deadline {
    /// `at`, to the nanosecond. An instant before the origin counts as just after it
    /// (it has passed either way); one more than 584 years after it counts as 584 years
    /// (it is never reached either way).
    pub(crate) fn new(at: Instant) -> Deadline {
        let nanos = at.saturating_duration_since(origin()).as_nanos();
        let nanos = u64::try_from(nanos).unwrap_or(u64::MAX);
        Deadline(NonZeroU64::new(nanos).unwrap_or(NonZeroU64::MIN))
    }

    /// The instant it stands for.
    pub(crate) fn instant(self) -> Instant {
        origin() + Duration::from_nanos(self.0.get())
    }

    /// Whether it has passed.
    pub(crate) fn passed(self) -> bool {
        Instant::now() >= self.instant()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_after_the_origin_comes_back_exactly() {
        let now = Instant::now();
        let _ = origin();
        for at in [
            now + Duration::from_nanos(1),
            now + Duration::from_secs(3600 * 24 * 365),
        ] {
            if at > origin() {
                assert_eq!(Deadline::new(at).instant(), at);
            }
        }
        assert!(Deadline::new(now).passed());
        assert!(!Deadline::new(Instant::now() + Duration::from_secs(60)).passed());
        assert_eq!(std::mem::size_of::<Option<Deadline>>(), 8);
    }
}
