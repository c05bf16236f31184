//! The Fiat–Shamir transcript shared by every protocol.
//!
//! A thin, typed layer over [`merlin`] (STROBE-128 over Keccak-f\[1600\]),
//! which domain-separates every message by its label and length. Challenges
//! depend on everything absorbed before them and on nothing else; prover and
//! verifier drive the transcript through the same protocol functions, so the
//! order of absorbs cannot drift between them.

use ark_ec::CurveGroup;
use ark_ff::Zero;
use ark_serialize::CanonicalSerialize;

use crate::field::{from_uniform_bytes, Fr, G1Affine, G1Projective};
use crate::PROTOCOL_VERSION;

pub struct Transcript {
    inner: merlin::Transcript,
}

impl Transcript {
    /// Starts a transcript for the protocol named `domain`, absorbing the
    /// protocol version first.
    pub fn new(domain: &'static [u8]) -> Self {
        let mut inner = merlin::Transcript::new(b"zkllm");
        inner.append_message(b"domain", domain);
        inner.append_u64(b"protocol-version", PROTOCOL_VERSION as u64);
        Self { inner }
    }

    pub fn append_bytes(&mut self, label: &'static [u8], bytes: &[u8]) {
        self.inner.append_message(label, bytes);
    }

    pub fn append_u64(&mut self, label: &'static [u8], v: u64) {
        self.inner.append_u64(label, v);
    }

    pub fn append_scalar(&mut self, label: &'static [u8], x: &Fr) {
        tally::note(label, 0, 1);
        let mut buf = [0u8; 32];
        x.serialize_compressed(&mut buf[..])
            .expect("field element fits in 32 bytes");
        self.inner.append_message(label, &buf);
    }

    /// Absorbs a length-prefixed list of scalars under one label.
    pub fn append_scalars(&mut self, label: &'static [u8], xs: &[Fr]) {
        self.inner.append_u64(label, xs.len() as u64);
        for x in xs {
            self.append_scalar(label, x);
        }
    }

    pub fn append_point(&mut self, label: &'static [u8], p: &G1Affine) {
        tally::note(label, 1, 0);
        let mut buf = [0u8; 48];
        p.serialize_compressed(&mut buf[..])
            .expect("compressed G1 point fits in 48 bytes");
        self.inner.append_message(label, &buf);
    }

    pub fn append_projective(&mut self, label: &'static [u8], p: &G1Projective) {
        self.append_point(label, &p.into_affine());
    }

    /// Absorbs a length-prefixed list of points under one label.
    pub fn append_points(&mut self, label: &'static [u8], ps: &[G1Affine]) {
        self.inner.append_u64(label, ps.len() as u64);
        for p in ps {
            self.append_point(label, p);
        }
    }

    /// A uniformly random field element derived from everything absorbed so far.
    pub fn challenge_scalar(&mut self, label: &'static [u8]) -> Fr {
        let mut buf = [0u8; 64];
        self.inner.challenge_bytes(label, &mut buf);
        from_uniform_bytes(&buf)
    }

    /// A challenge that is guaranteed non-zero (needed where it is inverted).
    pub fn challenge_nonzero(&mut self, label: &'static [u8]) -> Fr {
        loop {
            let c = self.challenge_scalar(label);
            if !c.is_zero() {
                return c;
            }
        }
    }

    pub fn challenge_scalars(&mut self, label: &'static [u8], n: usize) -> Vec<Fr> {
        (0..n).map(|_| self.challenge_scalar(label)).collect()
    }

    /// A 32-byte fingerprint of the transcript state (for tests and debugging).
    pub fn fingerprint(&mut self) -> [u8; 32] {
        let mut buf = [0u8; 32];
        self.inner.challenge_bytes(b"fingerprint", &mut buf);
        buf
    }
}

/// A profile of what a protocol run absorbs, by label: the bytes per part
/// of a proof (every message a verifier reads is absorbed under its label).
pub mod tally {
    use std::collections::BTreeMap;

    use crate::tap::Tap;

    /// Per label: points and scalars absorbed.
    pub type Tally = BTreeMap<&'static str, [u64; 2]>;

    static COUNTS: Tap<Tally> = Tap::new(BTreeMap::new());

    /// Runs `f` and returns what every transcript absorbed meanwhile (all
    /// threads), by label.
    pub fn tallying<T>(f: impl FnOnce() -> T) -> (T, Tally) {
        COUNTS.listen(f)
    }

    #[inline]
    pub(super) fn note(label: &'static [u8], points: u64, scalars: u64) {
        COUNTS.feed(|counts| {
            let name = std::str::from_utf8(label).unwrap_or("(binary label)");
            let e = counts.entry(name).or_default();
            e[0] += points;
            e[1] += scalars;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_depend_on_every_absorbed_value() {
        let run = |x: u64, label: &'static [u8]| {
            let mut t = Transcript::new(b"test");
            t.append_scalar(label, &Fr::from(x));
            t.challenge_scalar(b"c")
        };
        assert_eq!(run(1, b"a"), run(1, b"a"));
        assert_ne!(run(1, b"a"), run(2, b"a"));
        assert_ne!(run(1, b"a"), run(1, b"b"));
    }

    #[test]
    fn domains_separate() {
        let mut a = Transcript::new(b"one");
        let mut b = Transcript::new(b"two");
        assert_ne!(a.challenge_scalar(b"c"), b.challenge_scalar(b"c"));
    }
}
