use ark_ff::Zero;

use crate::field::Fr;

/// A multilinear polynomial in `num_vars` variables, stored as its `2^num_vars`
/// evaluations on the Boolean hypercube (see the module docs for the order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenseMle {
    num_vars: usize,
    evals: Vec<Fr>,
}

/// Zero-pads `values` to the next power of two (at least one entry).
pub fn pad_to_power_of_two(mut values: Vec<Fr>) -> Vec<Fr> {
    let len = values.len().max(1).next_power_of_two();
    values.resize(len, Fr::zero());
    values
}

impl DenseMle {
    /// Wraps a table whose length is a power of two.
    ///
    /// # Panics
    /// If `evals.len()` is not a power of two. Use [`DenseMle::from_padded`]
    /// for arbitrary lengths.
    pub fn new(evals: Vec<Fr>) -> Self {
        assert!(
            evals.len().is_power_of_two(),
            "MLE table length {} is not a power of two",
            evals.len()
        );
        let num_vars = evals.len().trailing_zeros() as usize;
        Self { num_vars, evals }
    }

    /// Zero-pads `values` to a power of two and wraps them.
    pub fn from_padded(values: Vec<Fr>) -> Self {
        Self::new(pad_to_power_of_two(values))
    }

    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    pub fn evals(&self) -> &[Fr] {
        &self.evals
    }

    pub fn into_evals(self) -> Vec<Fr> {
        self.evals
    }

    /// Evaluates at `point` (`point[j]` is the value of `x_j`) by folding.
    pub fn evaluate(&self, point: &[Fr]) -> Fr {
        assert_eq!(point.len(), self.num_vars, "point has the wrong dimension");
        let mut table = self.evals.clone();
        for &r in point {
            fold_low_in_place(&mut table, r);
        }
        table[0]
    }

    /// Binds the low variable `x_0` to `r`: the result has `num_vars - 1` variables.
    pub fn fix_low_variable(&mut self, r: Fr) {
        assert!(self.num_vars > 0, "no variable left to fix");
        fold_low_in_place(&mut self.evals, r);
        self.num_vars -= 1;
    }

    /// Binds the high variable `x_{n-1}` to `r`.
    pub fn fix_high_variable(&mut self, r: Fr) {
        assert!(self.num_vars > 0, "no variable left to fix");
        let half = self.evals.len() / 2;
        let (lo, hi) = self.evals.split_at_mut(half);
        for (l, h) in lo.iter_mut().zip(hi.iter()) {
            *l += r * (*h - *l);
        }
        self.evals.truncate(half);
        self.num_vars -= 1;
    }
}

/// `table[i] ← table[2i] + r·(table[2i+1] − table[2i])`, halving the table.
pub fn fold_low_in_place(table: &mut Vec<Fr>, r: Fr) {
    let half = table.len() / 2;
    for i in 0..half {
        let (a, b) = (table[2 * i], table[2 * i + 1]);
        table[i] = a + r * (b - a);
    }
    table.truncate(half.max(1));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::from_i64;

    fn brute_eval(evals: &[Fr], point: &[Fr]) -> Fr {
        // Σ_i evals[i]·Π_j (x_j ? r_j : 1−r_j)
        let mut acc = Fr::zero();
        for (i, e) in evals.iter().enumerate() {
            let mut w = Fr::from(1u64);
            for (j, r) in point.iter().enumerate() {
                w *= if (i >> j) & 1 == 1 { *r } else { Fr::from(1u64) - r };
            }
            acc += w * e;
        }
        acc
    }

    #[test]
    fn evaluate_matches_definition_and_hypercube() {
        let evals: Vec<Fr> = (0..8).map(|i| from_i64(i * i - 5)).collect();
        let mle = DenseMle::new(evals.clone());
        for i in 0..8usize {
            let point: Vec<Fr> = (0..3).map(|j| Fr::from(((i >> j) & 1) as u64)).collect();
            assert_eq!(mle.evaluate(&point), evals[i]);
        }
        let point = [Fr::from(5u64), from_i64(-3), Fr::from(11u64)];
        assert_eq!(mle.evaluate(&point), brute_eval(&evals, &point));
    }

    #[test]
    fn fixing_low_or_high_variables_agrees_with_evaluate() {
        let evals: Vec<Fr> = (0..16).map(|i| from_i64(3 * i - 7)).collect();
        let point = [Fr::from(2u64), Fr::from(9u64), from_i64(-4), Fr::from(13u64)];
        let mut low = DenseMle::new(evals.clone());
        for r in point {
            low.fix_low_variable(r);
        }
        let mut high = DenseMle::new(evals.clone());
        for r in point.iter().rev() {
            high.fix_high_variable(*r);
        }
        let expected = brute_eval(&evals, &point);
        assert_eq!(low.evals()[0], expected);
        assert_eq!(high.evals()[0], expected);
    }

    #[test]
    fn padding_is_zero_extension() {
        let mle = DenseMle::from_padded(vec![from_i64(1), from_i64(2), from_i64(3)]);
        assert_eq!(mle.num_vars(), 2);
        assert_eq!(mle.evals()[3], Fr::zero());
        assert_eq!(DenseMle::from_padded(vec![]).num_vars(), 0);
    }
}
