//! Two-operand einsum with batch axes (no repeated axis inside one operand).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// `a,b->out` in einsum notation, one char per axis. An axis in `out` and in
/// both operands is a batch axis; one in both operands but not in `out` is
/// summed; one in a single operand and `out` is a free axis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EinsumSpec {
    pub a: Vec<char>,
    pub b: Vec<char>,
    pub out: Vec<char>,
}

impl std::fmt::Display for EinsumSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |v: &[char]| v.iter().collect::<String>();
        write!(f, "{},{}->{}", s(&self.a), s(&self.b), s(&self.out))
    }
}

impl EinsumSpec {
    /// Parses `"ab,bc->ac"`.
    pub fn parse(s: &str) -> Option<EinsumSpec> {
        let (ins, out) = s.split_once("->")?;
        let (a, b) = ins.split_once(',')?;
        let spec = EinsumSpec {
            a: a.chars().collect(),
            b: b.chars().collect(),
            out: out.chars().collect(),
        };
        spec.validate().then_some(spec)
    }

    /// No axis repeated within an operand and every output axis comes from an
    /// operand. An axis of a single operand that is not in the output is
    /// summed too, and an output axis in neither operand has size 1 (tract
    /// leaves such size-1 axes in matmuls).
    pub fn validate(&self) -> bool {
        let uniq = |v: &[char]| {
            let mut w = v.to_vec();
            w.sort();
            w.dedup();
            w.len() == v.len()
        };
        uniq(&self.a) && uniq(&self.b) && uniq(&self.out)
    }

    /// Summed axes: in an operand, not in the output.
    pub fn summed(&self) -> Vec<char> {
        let mut v: Vec<char> = self
            .a
            .iter()
            .copied()
            .filter(|c| !self.out.contains(c))
            .collect();
        v.extend(
            self.b
                .iter()
                .copied()
                .filter(|c| !self.out.contains(c) && !self.a.contains(c)),
        );
        v
    }

    /// Number of products summed into each output entry.
    pub fn summed_len(&self, a: &[usize], b: &[usize]) -> usize {
        self.summed()
            .iter()
            .map(|&c| self.size_of(c, a, b))
            .product()
    }

    /// Output shape and the size of every axis; `None` on a size mismatch.
    pub fn output_shape(&self, a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
        if a.len() != self.a.len() || b.len() != self.b.len() {
            return None;
        }
        for (i, c) in self.a.iter().enumerate() {
            if let Some(j) = self.b.iter().position(|d| d == c) {
                if a[i] != b[j] {
                    return None;
                }
            }
        }
        Some(self.out.iter().map(|c| self.size_of(*c, a, b)).collect())
    }

    pub(super) fn size_of(&self, c: char, a: &[usize], b: &[usize]) -> usize {
        if let Some(i) = self.a.iter().position(|&d| d == c) {
            a[i]
        } else if let Some(j) = self.b.iter().position(|&d| d == c) {
            b[j]
        } else {
            1
        }
    }

    /// Evaluates the contraction: for each output entry, folds `mac(acc, a, b)`
    /// over the summed axes starting from `zero`, then maps with `fin`.
    /// Errors from `fin` (e.g. an overflow) are returned.
    pub fn eval<T, A, R, E>(
        &self,
        (a, a_shape): (&[T], &[usize]),
        (b, b_shape): (&[T], &[usize]),
        zero: A,
        mac: impl Fn(A, T, T) -> A + Sync,
        fin: impl Fn(A) -> Result<R, E> + Sync,
    ) -> Result<Vec<R>, E>
    where
        T: Copy + Send + Sync,
        A: Copy + Sync,
        R: Send,
        E: Send,
    {
        let out_shape = self
            .output_shape(a_shape, b_shape)
            .expect("einsum shapes checked at import");
        if let Some(r) = super::gemm::eval(
            self,
            (a, a_shape),
            (b, b_shape),
            &out_shape,
            zero,
            &mac,
            &fin,
        ) {
            return r;
        }
        self.eval_strided((a, a_shape), (b, b_shape), &out_shape, zero, mac, fin)
    }

    /// The plain loop: a strided dot product per output entry. Any spec; the
    /// reference the packed path is tested against.
    pub fn eval_strided<T, A, R, E>(
        &self,
        (a, a_shape): (&[T], &[usize]),
        (b, b_shape): (&[T], &[usize]),
        out_shape: &[usize],
        zero: A,
        mac: impl Fn(A, T, T) -> A + Sync,
        fin: impl Fn(A) -> Result<R, E> + Sync,
    ) -> Result<Vec<R>, E>
    where
        T: Copy + Sync,
        A: Copy + Sync,
        R: Send,
        E: Send,
    {
        let out_shape = out_shape.to_vec();
        let sa = super::strides(a_shape);
        let sb = super::strides(b_shape);
        let stride_in = |c: char, spec: &[char], s: &[usize]| {
            spec.iter().position(|&d| d == c).map_or(0, |i| s[i])
        };
        let out_sa: Vec<usize> = self
            .out
            .iter()
            .map(|&c| stride_in(c, &self.a, &sa))
            .collect();
        let out_sb: Vec<usize> = self
            .out
            .iter()
            .map(|&c| stride_in(c, &self.b, &sb))
            .collect();
        let summed = self.summed();
        let sum_sizes: Vec<usize> = summed
            .iter()
            .map(|&c| self.size_of(c, a_shape, b_shape))
            .collect();
        let sum_sa: Vec<usize> = summed.iter().map(|&c| stride_in(c, &self.a, &sa)).collect();
        let sum_sb: Vec<usize> = summed.iter().map(|&c| stride_in(c, &self.b, &sb)).collect();
        let n_sum: usize = sum_sizes.iter().product();
        let out_strides = super::strides(&out_shape);
        let n = super::numel(&out_shape);
        (0..n)
            .into_par_iter()
            .map(|flat| {
                let (mut oa, mut ob) = (0usize, 0usize);
                for ax in 0..out_shape.len() {
                    let i = (flat / out_strides[ax]) % out_shape[ax];
                    oa += i * out_sa[ax];
                    ob += i * out_sb[ax];
                }
                let mut acc = zero;
                if summed.len() == 1 {
                    let (da, db) = (sum_sa[0], sum_sb[0]);
                    for k in 0..sum_sizes[0] {
                        acc = mac(acc, a[oa + k * da], b[ob + k * db]);
                    }
                } else {
                    let mut idx = vec![0usize; summed.len()];
                    for _ in 0..n_sum {
                        let ia: usize =
                            oa + idx.iter().zip(&sum_sa).map(|(i, s)| i * s).sum::<usize>();
                        let ib: usize =
                            ob + idx.iter().zip(&sum_sb).map(|(i, s)| i * s).sum::<usize>();
                        acc = mac(acc, a[ia], b[ib]);
                        for ax in (0..idx.len()).rev() {
                            idx[ax] += 1;
                            if idx[ax] < sum_sizes[ax] {
                                break;
                            }
                            idx[ax] = 0;
                        }
                    }
                }
                fin(acc)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_and_batched() {
        let s = EinsumSpec::parse("mk,kn->mn").unwrap();
        let a = [1i64, 2, 3, 4, 5, 6]; // 2x3
        let b = [1i64, 0, 0, 1, 1, 1]; // 3x2
        let r: Vec<i64> = s
            .eval(
                (&a, &[2, 3]),
                (&b, &[3, 2]),
                0i64,
                |acc, x, y| acc + x * y,
                Ok::<_, ()>,
            )
            .unwrap();
        assert_eq!(r, vec![4, 5, 10, 11]);
        let s = EinsumSpec::parse("bmk,bnk->bmn").unwrap();
        let r: Vec<i64> = s
            .eval(
                (&a, &[1, 2, 3]),
                (&a, &[1, 2, 3]),
                0i64,
                |acc, x, y| acc + x * y,
                Ok::<_, ()>,
            )
            .unwrap();
        assert_eq!(r, vec![14, 32, 32, 77]);
        assert!(EinsumSpec::parse("aa,ab->b").is_none());
        let s = EinsumSpec::parse("amk,kn->mn").unwrap();
        let r: Vec<i64> = s
            .eval(
                (&a, &[1, 2, 3]),
                (&b, &[3, 2]),
                0i64,
                |acc, x, y| acc + x * y,
                Ok::<_, ()>,
            )
            .unwrap();
        assert_eq!(r, vec![4, 5, 10, 11]);
    }

    /// The packed path and the plain loop agree bit for bit, for integers
    /// and floats, on specs with batch axes, several summed axes, permuted
    /// outputs, size-1 axes and row counts that are not multiples of the
    /// blocking.
    #[test]
    fn packed_path_matches_the_strided_loop() {
        let cases: &[(&str, &[usize], &[usize])] = &[
            ("mk,kn->mn", &[7, 13], &[13, 70]),
            ("mk,nk->nm", &[5, 9], &[37, 9]),
            ("bmk,kn->bmn", &[2, 3, 11], &[11, 33]),
            ("bhmk,bhnk->bhmn", &[1, 3, 6, 4], &[1, 3, 6, 4]),
            ("bhmn,bhnk->bmhk", &[2, 2, 5, 5], &[2, 2, 5, 3]),
            ("abk,kbc->cab", &[3, 4, 6], &[6, 4, 9]),
            ("mkj,jkn->nm", &[4, 3, 5], &[5, 3, 66]),
            ("amk,kn->mn", &[1, 2, 3], &[3, 2]),
            ("mk,kn->xmn", &[2, 3], &[3, 41]),
        ];
        for (i, &(spec, sa, sb)) in cases.iter().enumerate() {
            let s = EinsumSpec::parse(spec).unwrap();
            let out = s.output_shape(sa, sb).unwrap();
            let na: usize = sa.iter().product();
            let nb: usize = sb.iter().product();
            let a: Vec<i64> = (0..na)
                .map(|x| ((x * 7919 + i) % 201) as i64 - 100)
                .collect();
            let b: Vec<i64> = (0..nb)
                .map(|x| ((x * 104729 + i) % 301) as i64 - 150)
                .collect();
            let mac = |acc: i128, x: i64, y: i64| acc + x as i128 * y as i128;
            let fin = |acc: i128| i64::try_from(acc).map_err(|_| ());
            let fast = s.eval((&a, sa), (&b, sb), 0i128, mac, fin).unwrap();
            let slow = s
                .eval_strided((&a, sa), (&b, sb), &out, 0i128, mac, fin)
                .unwrap();
            assert_eq!(fast, slow, "{spec}");
            let (af, bf): (Vec<f64>, Vec<f64>) = (
                a.iter().map(|&x| x as f64 / 7.0).collect(),
                b.iter().map(|&x| x as f64 / 3.0).collect(),
            );
            let fmac = |acc: f64, x: f64, y: f64| acc + x * y;
            let fast = s
                .eval((&af, sa), (&bf, sb), 0.0, fmac, Ok::<_, ()>)
                .unwrap();
            let slow = s
                .eval_strided((&af, sa), (&bf, sb), &out, 0.0, fmac, Ok::<_, ()>)
                .unwrap();
            assert_eq!(fast, slow, "{spec} (f64, same fold order)");
        }
    }

    #[test]
    fn packed_path_reports_the_first_failure() {
        let s = EinsumSpec::parse("mk,kn->mn").unwrap();
        let a = [i64::MAX, 1];
        let b = [2i64, 0, 0, 1];
        let r = s.eval(
            (&a, &[1, 2]),
            (&b, &[2, 2]),
            0i128,
            |acc, x, y| acc + x as i128 * y as i128,
            |acc| i64::try_from(acc).map_err(|_| acc),
        );
        assert_eq!(r, Err(2 * i64::MAX as i128));
    }
}
