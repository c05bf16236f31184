//! A debug recorder of every value the prover commits to, for the tests
//! that check a zero-knowledge proof publishes none of them.
//!
//! While [`recording`] runs, [`Secret::fresh`](super::Secret::fresh) notes
//! each value it hides: claimed evaluations of weight and witness tensors,
//! round-polynomial values, final values and partial products. Off, the
//! cost is one relaxed atomic load per commitment. Values committed by
//! other threads during a recording are noted too, which can only make a
//! test that asserts "none of these is published" stricter.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::field::Fr;

static ON: AtomicBool = AtomicBool::new(false);
static VALUES: Mutex<Vec<Fr>> = Mutex::new(Vec::new());
/// One recording at a time.
static SESSION: Mutex<()> = Mutex::new(());

/// Runs `f` and returns what it returned with every value committed under
/// [`Secret::fresh`](super::Secret::fresh) meanwhile.
pub fn recording<T>(f: impl FnOnce() -> T) -> (T, Vec<Fr>) {
    let _one = SESSION.lock().unwrap_or_else(|e| e.into_inner());
    VALUES.lock().unwrap_or_else(|e| e.into_inner()).clear();
    ON.store(true, Ordering::SeqCst);
    let out = f();
    ON.store(false, Ordering::SeqCst);
    let values = std::mem::take(&mut *VALUES.lock().unwrap_or_else(|e| e.into_inner()));
    (out, values)
}

/// Notes `v` when a recording is on.
#[inline]
pub(crate) fn note(v: Fr) {
    if ON.load(Ordering::Relaxed) {
        VALUES.lock().unwrap_or_else(|e| e.into_inner()).push(v);
    }
}
