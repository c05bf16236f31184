use ark_ec::VariableBaseMSM;
use ark_ff::{One, Zero};
use rayon::prelude::*;

use super::msm::{msm_small_parallel, msm_small_pippenger};
use super::Backend;
use crate::field::{Fr, G1Affine, G1Projective};
use crate::poly::SumOfProducts;

/// Parallel CPU kernels (rayon, ark-ff Montgomery arithmetic).
pub struct Cpu;

/// Below this many entries the sequential loop beats rayon's overhead.
const PAR_THRESHOLD: usize = 1 << 12;

impl Backend for Cpu {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn msm(&self, bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
        let n = scalars.len().min(bases.len());
        G1Projective::msm_unchecked(&bases[..n], &scalars[..n])
    }

    fn msm_small(&self, bases: &[G1Affine], scalars: &[i64]) -> G1Projective {
        msm_small_parallel(bases, scalars)
    }

    fn msm_rows(&self, bases: &[G1Affine], scalars: &[Fr], row_len: usize) -> Vec<G1Projective> {
        scalars
            .par_chunks(row_len)
            .map(|row| G1Projective::msm_unchecked(&bases[..row.len()], row))
            .collect()
    }

    fn msm_rows_small(
        &self,
        bases: &[G1Affine],
        scalars: &[i64],
        row_len: usize,
    ) -> Vec<G1Projective> {
        let rows = scalars.len().div_ceil(row_len.max(1));
        if rows < rayon::current_num_threads() {
            // Few long rows: parallelise inside each MSM instead.
            return scalars
                .chunks(row_len)
                .map(|row| msm_small_parallel(bases, row))
                .collect();
        }
        scalars
            .par_chunks(row_len)
            .map(|row| msm_small_pippenger(bases, row))
            .collect()
    }

    fn eq_table(&self, point: &[Fr]) -> Vec<Fr> {
        let mut table = vec![Fr::zero(); 1 << point.len()];
        table[0] = Fr::one();
        for (j, r) in point.iter().enumerate() {
            let size = 1 << j;
            let (lo, hi) = table[..2 * size].split_at_mut(size);
            let step = |(l, h): (&mut Fr, &mut Fr)| {
                *h = *l * r;
                *l -= *h;
            };
            if size >= PAR_THRESHOLD {
                lo.par_iter_mut().zip(hi.par_iter_mut()).for_each(step);
            } else {
                lo.iter_mut().zip(hi.iter_mut()).for_each(step);
            }
        }
        table
    }

    fn fold_low(&self, table: &mut Vec<Fr>, r: Fr) {
        let half = table.len() / 2;
        if half < PAR_THRESHOLD {
            crate::poly::dense_fold_low(table, r);
            return;
        }
        let folded: Vec<Fr> = table
            .par_chunks_exact(2)
            .map(|p| p[0] + r * (p[1] - p[0]))
            .collect();
        *table = folded;
    }

    fn evaluate(&self, table: &[Fr], point: &[Fr]) -> Fr {
        assert_eq!(table.len(), 1 << point.len(), "point has the wrong dimension");
        let eq = self.eq_table(point);
        self.inner_product(table, &eq)
    }

    fn inner_product(&self, a: &[Fr], b: &[Fr]) -> Fr {
        assert_eq!(a.len(), b.len());
        if a.len() < PAR_THRESHOLD {
            return a.iter().zip(b).map(|(x, y)| *x * y).sum();
        }
        a.par_iter().zip(b.par_iter()).map(|(x, y)| *x * y).sum()
    }

    fn round_evals(&self, tables: &[Vec<Fr>], sop: &SumOfProducts) -> Vec<Fr> {
        let points = sop.degree() + 1;
        let half = tables[0].len() / 2;
        let terms = sop.terms();
        let num_tables = tables.len();
        // Per worker: the values of every table at t = 0..=d, and one
        // accumulator per (term, t); coefficients are applied once at the end.
        let init = || {
            (
                vec![Fr::zero(); terms.len() * points],
                vec![Fr::zero(); num_tables * points],
            )
        };
        let step = |(mut acc, mut vals): (Vec<Fr>, Vec<Fr>), i: usize| {
            for (k, f) in tables.iter().enumerate() {
                let (a, b) = (f[2 * i], f[2 * i + 1]);
                let diff = b - a;
                let row = &mut vals[k * points..(k + 1) * points];
                row[0] = a;
                for t in 1..points {
                    row[t] = row[t - 1] + diff;
                }
            }
            for (ti, (_, factors)) in terms.iter().enumerate() {
                for t in 0..points {
                    let mut p = vals[factors[0] * points + t];
                    for &k in &factors[1..] {
                        p *= vals[k * points + t];
                    }
                    acc[ti * points + t] += p;
                }
            }
            (acc, vals)
        };
        let acc = if half < PAR_THRESHOLD {
            (0..half).fold(init(), step).0
        } else {
            (0..half)
                .into_par_iter()
                .with_min_len(1024)
                .fold(init, step)
                .map(|(acc, _)| acc)
                .reduce(
                    || vec![Fr::zero(); terms.len() * points],
                    |mut a, b| {
                        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                        a
                    },
                )
        };
        (0..points)
            .map(|t| {
                terms
                    .iter()
                    .enumerate()
                    .map(|(ti, (c, _))| *c * acc[ti * points + t])
                    .sum()
            })
            .collect()
    }

    fn batch_inverse(&self, values: &mut [Fr]) {
        if values.len() < PAR_THRESHOLD {
            crate::field::batch_inverse(values);
            return;
        }
        let chunk = values.len().div_ceil(rayon::current_num_threads());
        values
            .par_chunks_mut(chunk)
            .for_each(crate::field::batch_inverse);
    }

    fn axpy(&self, y: &mut [Fr], a: Fr, x: &[Fr]) {
        y.par_iter_mut()
            .zip(x.par_iter())
            .with_min_len(1024)
            .for_each(|(y, x)| *y += a * x);
    }
}
