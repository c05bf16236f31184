//! Pedersen commitments to single field elements, `v·U + ρ·H`, with the
//! key's `U` and `H` (the generators the inner-product argument binds its
//! value with, so a committed value can be the `y` of an opening).

use ark_ff::UniformRand;
use ark_std::rand::{CryptoRng, RngCore};

use crate::commit::Generators;
use crate::field::{Fr, G1Affine, G1Projective};

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
        self.u * s.value + self.h * s.blind
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
