//! The BLS12-381 scalar field and the encoding of signed fixed-point integers in it.
//!
//! A signed integer `x` is represented as `x mod p`. Values stay in ark-ff's
//! Montgomery form everywhere so a GPU upload is a plain copy of limbs.

use ark_ff::{BigInteger, PrimeField};

pub use ark_bls12_381::{Fr, G1Affine, G1Projective};

/// Encodes a signed integer as a field element (`x mod p`).
#[inline]
pub fn from_i64(x: i64) -> Fr {
    if x >= 0 {
        Fr::from(x as u64)
    } else {
        -Fr::from(x.unsigned_abs())
    }
}

/// Encodes a slice of signed integers.
pub fn from_i64_slice(xs: &[i64]) -> Vec<Fr> {
    use rayon::prelude::*;
    xs.par_iter().map(|&x| from_i64(x)).collect()
}

/// Encodes signed integers into `out` (of the same length).
pub fn from_i64_into(xs: &[i64], out: &mut [Fr]) {
    use rayon::prelude::*;
    assert_eq!(xs.len(), out.len());
    out.par_iter_mut()
        .zip(xs.par_iter())
        .for_each(|(o, &x)| *o = from_i64(x));
}

/// Decodes a field element as a signed integer if it lies in `(-2^63, 2^63)`,
/// i.e. if either it or its negation fits in 63 bits. `None` otherwise.
pub fn to_i64(x: Fr) -> Option<i64> {
    fn small(v: Fr) -> Option<u64> {
        let b = v.into_bigint();
        let limbs = b.as_ref();
        if limbs[1..].iter().all(|&l| l == 0) && limbs[0] < (1u64 << 63) {
            Some(limbs[0])
        } else {
            None
        }
    }
    if let Some(v) = small(x) {
        return Some(v as i64);
    }
    small(-x).map(|v| -(v as i64))
}

/// Number of bits of the canonical (non-Montgomery) representation.
pub fn bit_len(x: Fr) -> u32 {
    x.into_bigint().num_bits()
}

/// Inverts every non-zero entry in place (Montgomery's trick); zeros stay zero.
pub fn batch_inverse(values: &mut [Fr]) {
    ark_ff::batch_inversion(values);
}

/// Reduces 64 uniformly random bytes to a field element (bias ≤ 2^-250).
pub fn from_uniform_bytes(bytes: &[u8; 64]) -> Fr {
    Fr::from_le_bytes_mod_order(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_round_trip() {
        for x in [
            0i64,
            1,
            -1,
            42,
            -42,
            i64::MAX,
            i64::MIN + 1,
            1 << 40,
            -(1 << 40),
        ] {
            assert_eq!(to_i64(from_i64(x)), Some(x), "{x}");
        }
        assert_eq!(from_i64(-5) + from_i64(5), Fr::from(0u64));
    }

    #[test]
    fn large_values_do_not_decode() {
        assert_eq!(to_i64(Fr::from(1u64 << 63)), None);
        assert_eq!(to_i64(-Fr::from(1u64 << 63)), None);
    }

    #[test]
    fn batch_inverse_skips_zero() {
        let mut v = vec![Fr::from(2u64), Fr::from(0u64), Fr::from(7u64)];
        batch_inverse(&mut v);
        assert_eq!(v[0] * Fr::from(2u64), Fr::from(1u64));
        assert_eq!(v[1], Fr::from(0u64));
        assert_eq!(v[2] * Fr::from(7u64), Fr::from(1u64));
    }
}
