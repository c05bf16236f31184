use crate::field::Fr;

/// A sum of products of tables, `Σ_t coeff_t · Π_{k ∈ factors_t} f_k(x)`:
/// the shape of every sumcheck in the crate (an eq factor, when present, is
/// simply one more table in each term). The shape is part of the statement,
/// fixed by the verifier, never read from a proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumOfProducts {
    num_tables: usize,
    terms: Vec<(Fr, Vec<usize>)>,
}

impl SumOfProducts {
    /// # Panics
    /// If a factor index is out of range or a term is empty.
    pub fn new(num_tables: usize, terms: Vec<(Fr, Vec<usize>)>) -> Self {
        for (_, factors) in &terms {
            assert!(!factors.is_empty(), "empty product term");
            assert!(
                factors.iter().all(|&k| k < num_tables),
                "factor index out of range"
            );
        }
        assert!(!terms.is_empty(), "sum of no terms");
        Self { num_tables, terms }
    }

    /// The single product `Π_k f_k` of all `num_tables` tables.
    pub fn product(num_tables: usize) -> Self {
        Self::new(num_tables, vec![(Fr::from(1u64), (0..num_tables).collect())])
    }

    pub fn num_tables(&self) -> usize {
        self.num_tables
    }

    pub fn terms(&self) -> &[(Fr, Vec<usize>)] {
        &self.terms
    }

    /// Degree in each variable: the largest number of factors in a term.
    pub fn degree(&self) -> usize {
        self.terms.iter().map(|(_, f)| f.len()).max().unwrap_or(0)
    }

    /// Evaluates the expression given one value per table.
    pub fn evaluate(&self, values: &[Fr]) -> Fr {
        assert_eq!(values.len(), self.num_tables);
        self.terms
            .iter()
            .map(|(c, f)| *c * f.iter().map(|&k| values[k]).product::<Fr>())
            .sum()
    }
}
