use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Caps the requests being worked on at once: past the cap a service answers at once (204/503)
/// instead of queueing work that would finish after the caller's deadline.
#[derive(Debug, Clone)]
pub struct InFlight {
    current: Arc<AtomicUsize>,
    max: usize,
}

/// Releases its slot when dropped.
#[derive(Debug)]
pub struct InFlightGuard(Arc<AtomicUsize>);

impl InFlight {
    pub fn new(max: usize) -> Self {
        InFlight {
            current: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }

    pub fn try_acquire(&self) -> Option<InFlightGuard> {
        let prev = self.current.fetch_add(1, Ordering::AcqRel);
        if prev >= self.max {
            self.current.fetch_sub(1, Ordering::AcqRel);
            None
        } else {
            Some(InFlightGuard(self.current.clone()))
        }
    }

    pub fn current(&self) -> usize {
        self.current.load(Ordering::Relaxed)
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_cap_and_frees_on_drop() {
        let f = InFlight::new(2);
        let a = f.try_acquire().unwrap();
        let _b = f.try_acquire().unwrap();
        assert!(f.try_acquire().is_none());
        drop(a);
        assert!(f.try_acquire().is_some());
        assert_eq!(f.current(), 1);
    }
}
