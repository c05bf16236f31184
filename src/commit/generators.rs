//! Generators with no known discrete-log relations.
//!
//! Each generator is the IETF hash-to-curve (`BLS12381G1_XMD:SHA-256_SSWU_RO_`)
//! of its label and index under a domain that includes the public seed
//! string, so anyone can recompute them and nobody knows a relation between
//! them: the binding of every commitment rests on that.

use ark_bls12_381::g1::Config as G1Config;
use ark_ec::hashing::curve_maps::wb::WBMap;
use ark_ec::hashing::map_to_curve_hasher::MapToCurveBasedHasher;
use ark_ec::hashing::HashToCurve;
use ark_ff::field_hashers::DefaultFieldHasher;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::field::{G1Affine, G1Projective};

type G1Hasher = MapToCurveBasedHasher<G1Projective, DefaultFieldHasher<Sha256, 128>, WBMap<G1Config>>;

/// Pedersen/Hyrax generators: `g` for vector entries, `h` for blinds, `u` for
/// the inner-product value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generators {
    seed: String,
    pub g: Vec<G1Affine>,
    pub h: G1Affine,
    pub u: G1Affine,
}

impl Generators {
    /// Derives `2^log_len` vector generators (plus `h` and `u`) from `seed`.
    pub fn new(seed: &str, log_len: usize) -> Self {
        let dst = format!("zkllm-v{}-generators-{seed}", crate::PROTOCOL_VERSION);
        let hasher = G1Hasher::new(dst.as_bytes()).expect("valid hash-to-curve parameters");
        let hash = |msg: &[u8]| hasher.hash(msg).expect("hash to curve succeeds");
        let g = (0..1u64 << log_len)
            .into_par_iter()
            .map(|i| hash(&[b"G".as_slice(), &i.to_le_bytes()].concat()))
            .collect();
        Self {
            seed: seed.to_string(),
            g,
            h: hash(b"H"),
            u: hash(b"U"),
        }
    }

    pub fn seed(&self) -> &str {
        &self.seed
    }

    /// Base-2 log of the number of vector generators.
    pub fn log_len(&self) -> usize {
        self.g.len().trailing_zeros() as usize
    }

    /// Digest of the seed and size, which determine every generator.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"zkllm-generators");
        h.update((self.seed.len() as u64).to_le_bytes());
        h.update(self.seed.as_bytes());
        h.update((self.log_len() as u64).to_le_bytes());
        h.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_reproducible_and_distinct() {
        let a = Generators::new("test", 3);
        let b = Generators::new("test", 3);
        assert_eq!(a, b);
        let c = Generators::new("other", 3);
        assert_ne!(a.g[0], c.g[0]);
        let mut all = a.g.clone();
        all.push(a.h);
        all.push(a.u);
        for i in 0..all.len() {
            for j in 0..i {
                assert_ne!(all[i], all[j]);
            }
        }
        assert!(a.g.iter().all(|p| p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve()));
    }
}
