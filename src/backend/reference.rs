use ark_ff::Zero;

use super::Backend;
use crate::field::{from_i64, Fr, G1Affine, G1Projective};
use crate::poly::{eq_table, DenseMle, SumOfProducts};

/// Sequential kernels written for clarity, not speed: the specification the
/// optimised backends are tested against. Use only at small sizes.
pub struct Reference;

impl Backend for Reference {
    fn name(&self) -> &'static str {
        "reference"
    }

    fn msm(&self, bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
        scalars
            .iter()
            .zip(bases)
            .map(|(s, b)| *b * s)
            .fold(G1Projective::zero(), |a, b| a + b)
    }

    fn msm_small(&self, bases: &[G1Affine], scalars: &[i64]) -> G1Projective {
        let scalars: Vec<Fr> = scalars.iter().map(|&s| from_i64(s)).collect();
        self.msm(bases, &scalars)
    }

    fn msm_rows(&self, bases: &[G1Affine], scalars: &[Fr], row_len: usize) -> Vec<G1Projective> {
        scalars
            .chunks(row_len)
            .map(|row| self.msm(bases, row))
            .collect()
    }

    fn msm_rows_small(
        &self,
        bases: &[G1Affine],
        scalars: &[i64],
        row_len: usize,
    ) -> Vec<G1Projective> {
        scalars
            .chunks(row_len)
            .map(|row| self.msm_small(bases, row))
            .collect()
    }

    fn eq_table(&self, point: &[Fr]) -> Vec<Fr> {
        eq_table(point)
    }

    fn fold_low(&self, table: &mut Vec<Fr>, r: Fr) {
        crate::poly::dense_fold_low(table, r);
    }

    fn evaluate(&self, table: &[Fr], point: &[Fr]) -> Fr {
        DenseMle::new(table.to_vec()).evaluate(point)
    }

    fn inner_product(&self, a: &[Fr], b: &[Fr]) -> Fr {
        assert_eq!(a.len(), b.len());
        a.iter().zip(b).map(|(x, y)| *x * y).sum()
    }

    fn round_evals(&self, tables: &[Vec<Fr>], sop: &SumOfProducts) -> Vec<Fr> {
        let degree = sop.degree();
        let half = tables[0].len() / 2;
        (0..=degree)
            .map(|t| {
                let t = Fr::from(t as u64);
                (0..half)
                    .map(|i| {
                        let values: Vec<Fr> = tables
                            .iter()
                            .map(|f| f[2 * i] + t * (f[2 * i + 1] - f[2 * i]))
                            .collect();
                        sop.evaluate(&values)
                    })
                    .sum()
            })
            .collect()
    }

    fn fold_axis(
        &self,
        table: &[Fr],
        outer: usize,
        mid: usize,
        inner: usize,
        weights: &[Fr],
    ) -> Vec<Fr> {
        assert_eq!(table.len(), outer * mid * inner);
        let mut out = vec![Fr::zero(); outer * inner];
        for o in 0..outer {
            for m in 0..mid {
                for i in 0..inner {
                    out[o * inner + i] += weights[m] * table[(o * mid + m) * inner + i];
                }
            }
        }
        out
    }

    fn batch_inverse(&self, values: &mut [Fr]) {
        for v in values.iter_mut() {
            if !v.is_zero() {
                *v = ark_ff::Field::inverse(v).expect("non-zero");
            }
        }
    }

    fn axpy(&self, y: &mut [Fr], a: Fr, x: &[Fr]) {
        for (y, x) in y.iter_mut().zip(x) {
            *y += a * x;
        }
    }
}
