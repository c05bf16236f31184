//! A debug recorder of every value the prover commits to, for the tests
//! that check a zero-knowledge proof publishes none of them.
//!
//! While [`recording`] runs, [`Secret::fresh`](super::Secret::fresh) notes
//! each value it hides: claimed evaluations of weight and witness tensors,
//! round-polynomial values, final values, relation coefficients and
//! products. Off, the
//! cost is one relaxed atomic load per commitment. Values committed by
//! other threads during a recording are noted too, which can only make a
//! test that asserts "none of these is published" stricter.

use crate::field::Fr;
use crate::tap::Tap;

static VALUES: Tap<Vec<Fr>> = Tap::new(Vec::new());

/// Runs `f` and returns what it returned with every value committed under
/// [`Secret::fresh`](super::Secret::fresh) meanwhile.
pub fn recording<T>(f: impl FnOnce() -> T) -> (T, Vec<Fr>) {
    VALUES.listen(f)
}

/// Notes `v` when a recording is on.
#[inline]
pub(crate) fn note(v: Fr) {
    VALUES.feed(|values| values.push(v));
}
