//! Pedersen commitments to single field elements, `v·U + ρ·H`, with the
//! key's `U` and `H` (the generators the inner-product argument binds its
//! value with, so a committed value can be the `y` of an opening).

use std::sync::{Arc, RwLock};

use ark_ec::scalar_mul::BatchMulPreprocessing;
use ark_ff::{BigInteger, PrimeField, UniformRand};
use ark_std::rand::{CryptoRng, RngCore};

use crate::commit::Generators;
use crate::field::{Fr, G1Affine, G1Projective};

/// Fixed-base tables of `U` and `H` (8-bit windows): a value commitment is
/// then about 64 point additions instead of two 255-bit scalar
/// multiplications, and a zero-knowledge proof makes hundreds of thousands.
struct FixedBase {
    key: (G1Affine, G1Affine),
    u: BatchMulPreprocessing<G1Projective>,
    h: BatchMulPreprocessing<G1Projective>,
}

/// The tables of the last generators used (every proof of a key uses one pair).
static FIXED_BASE: RwLock<Option<Arc<FixedBase>>> = RwLock::new(None);

/// `Σ_windows table[w][digit_w(s)]`.
fn windowed_mul(pre: &BatchMulPreprocessing<G1Projective>, s: &Fr) -> G1Projective {
    let bits = s.into_bigint().to_bits_le();
    let mut acc = G1Projective::default();
    for (outer, row) in pre.table.iter().enumerate() {
        let mut digit = 0usize;
        for i in 0..pre.window {
            if bits.get(outer * pre.window + i).copied().unwrap_or(false) {
                digit |= 1 << i;
            }
        }
        if digit != 0 {
            acc += &row[digit];
        }
    }
    acc
}

fn fixed_base(u: G1Affine, h: G1Affine) -> Arc<FixedBase> {
    if let Some(fb) = FIXED_BASE.read().ok().and_then(|g| g.clone()) {
        if fb.key == (u, h) {
            return fb;
        }
    }
    // About 3,000 scalars gives 8-bit windows (32 rows of 256 points each).
    let build = |g: G1Affine| {
        BatchMulPreprocessing::with_num_scalars_and_scalar_size(
            G1Projective::from(g),
            3000,
            Fr::MODULUS_BIT_SIZE as usize,
        )
    };
    let fb = Arc::new(FixedBase {
        key: (u, h),
        u: build(u),
        h: build(h),
    });
    if let Ok(mut g) = FIXED_BASE.write() {
        *g = Some(fb.clone());
    }
    fb
}

/// The two generators of a value commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pedersen {
    pub u: G1Affine,
    pub h: G1Affine,
}

impl Pedersen {
    pub fn new(gens: &Generators) -> Self {
        Self {
            u: gens.u,
            h: gens.h,
        }
    }

    /// Identity generators, for contexts of clear proofs that never commit
    /// (a hidden proof refuses such a context).
    pub fn unusable() -> Self {
        Self {
            u: G1Affine::identity(),
            h: G1Affine::identity(),
        }
    }

    pub fn commit(&self, s: &Secret) -> G1Projective {
        let fb = fixed_base(self.u, self.h);
        windowed_mul(&fb.u, &s.value) + windowed_mul(&fb.h, &s.blind)
    }

    /// A commitment to a public value with blind 0: what the verifier
    /// compares a commitment with when the value is known to it.
    pub fn public(&self, v: Fr) -> G1Projective {
        self.u * v
    }
}

/// The prover's side of a committed value: the value and its blind. Linear
/// combinations of commitments are commitments to the same combinations of
/// secrets, so the prover tracks derived commitments without new blinds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Secret {
    pub value: Fr,
    pub blind: Fr,
}

impl Secret {
    /// `value` under a fresh uniform blind: perfectly hiding.
    pub fn fresh<R: RngCore + CryptoRng>(value: Fr, rng: &mut R) -> Self {
        super::record::note(value);
        Self {
            value,
            blind: Fr::rand(rng),
        }
    }

    /// A public value (blind 0).
    pub fn public(value: Fr) -> Self {
        Self {
            value,
            blind: Fr::from(0u64),
        }
    }

    pub fn scale(&self, c: Fr) -> Self {
        Self {
            value: self.value * c,
            blind: self.blind * c,
        }
    }
}

impl std::ops::Add for Secret {
    type Output = Secret;
    fn add(self, o: Secret) -> Secret {
        Secret {
            value: self.value + o.value,
            blind: self.blind + o.blind,
        }
    }
}

impl std::ops::Sub for Secret {
    type Output = Secret;
    fn sub(self, o: Secret) -> Secret {
        Secret {
            value: self.value - o.value,
            blind: self.blind - o.blind,
        }
    }
}

/// `Σ c_i·s_i` over secrets.
pub fn combine(terms: &[(Fr, Secret)]) -> Secret {
    terms
        .iter()
        .fold(Secret::default(), |acc, (c, s)| acc + s.scale(*c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::AffineRepr;
    use ark_std::rand::SeedableRng;

    /// The fixed-base tables give the same commitment as scalar
    /// multiplication, for edge scalars and random ones, and follow a change
    /// of generators.
    #[test]
    fn fixed_base_commitments_equal_scalar_multiplication() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        for seed in [1u64, 2] {
            let u = (G1Affine::generator() * Fr::from(seed + 10)).into();
            let h = (G1Affine::generator() * Fr::from(seed + 77)).into();
            let ped = Pedersen { u, h };
            let mut cases = vec![
                Secret::default(),
                Secret::public(Fr::from(1u64)),
                Secret::public(-Fr::from(1u64)),
            ];
            cases.extend((0..20).map(|_| Secret::fresh(Fr::rand(&mut rng), &mut rng)));
            for s in cases {
                assert_eq!(ped.commit(&s), u * s.value + h * s.blind);
            }
        }
    }
}
