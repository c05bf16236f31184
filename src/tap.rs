//! Process-wide taps for debugging and profiling: a collector that the
//! library feeds only while a caller is listening.
//!
//! Used by the zero-knowledge tests (every value the prover commits to,
//! [`crate::zk::record`]) and by the benchmark (what a verifier absorbs,
//! [`crate::transcript::tally`]). Off, feeding one costs a relaxed atomic
//! load. Values fed from other threads during a session are collected too.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

pub struct Tap<T> {
    on: AtomicBool,
    data: Mutex<T>,
    /// One session at a time.
    session: Mutex<()>,
}

impl<T: Default> Tap<T> {
    /// A tap that collects into `empty` (a `const` empty collection).
    pub const fn new(empty: T) -> Self {
        Self {
            on: AtomicBool::new(false),
            data: Mutex::new(empty),
            session: Mutex::new(()),
        }
    }

    /// Runs `f` and returns what it returned with what was fed meanwhile.
    pub fn listen<R>(&self, f: impl FnOnce() -> R) -> (R, T) {
        let _one = self.session.lock().unwrap_or_else(|e| e.into_inner());
        *self.data.lock().unwrap_or_else(|e| e.into_inner()) = T::default();
        self.on.store(true, Ordering::SeqCst);
        let out = f();
        self.on.store(false, Ordering::SeqCst);
        let data = std::mem::take(&mut *self.data.lock().unwrap_or_else(|e| e.into_inner()));
        (out, data)
    }

    /// Applies `feed` to the collection when someone is listening.
    #[inline]
    pub fn feed(&self, feed: impl FnOnce(&mut T)) {
        if self.on.load(Ordering::Relaxed) {
            feed(&mut self.data.lock().unwrap_or_else(|e| e.into_inner()));
        }
    }
}
