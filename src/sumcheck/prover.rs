use super::codec::{Plain, RoundCodec};
use super::proof::SumcheckProof;
use super::{absorb_statement, round_challenge, MAX_DEGREE};
use crate::backend::Backend;
use crate::field::Fr;
use crate::poly::SumOfProducts;
use crate::transcript::Transcript;

/// What the prover knows at the end: the random point and every table's
/// value there (the caller proves or opens these).
#[derive(Clone, Debug)]
pub struct ProverOutput {
    pub point: Vec<Fr>,
    pub final_values: Vec<Fr>,
}

/// Proves `Σ_x sop(tables(x)) = claimed_sum` with round messages in the clear.
/// See [`prove_with`].
pub fn prove(
    backend: &dyn Backend,
    tables: Vec<Vec<Fr>>,
    sop: &SumOfProducts,
    claimed_sum: Fr,
    transcript: &mut Transcript,
) -> (SumcheckProof, ProverOutput) {
    prove_with(&mut Plain, backend, tables, sop, claimed_sum, transcript)
}

/// Proves `Σ_x sop(tables(x)) = claimed_sum`. All tables have `2^n` entries.
/// Prover work is `O(2^n · degree · #tables)`: each round evaluates the round
/// polynomial and folds every table in half.
///
/// # Panics
/// On tables of unequal or non-power-of-two length, a shape that does not
/// match `tables`, or a degree above [`MAX_DEGREE`] — caller bugs, not
/// adversarial input.
pub fn prove_with<C: RoundCodec>(
    codec: &mut C,
    backend: &dyn Backend,
    mut tables: Vec<Vec<Fr>>,
    sop: &SumOfProducts,
    claimed_sum: Fr,
    transcript: &mut Transcript,
) -> (SumcheckProof<C>, ProverOutput) {
    assert_eq!(tables.len(), sop.num_tables(), "table count != shape");
    assert!(sop.degree() <= MAX_DEGREE, "sumcheck degree too high");
    let len = tables[0].len();
    assert!(len.is_power_of_two(), "table length not a power of two");
    assert!(
        tables.iter().all(|t| t.len() == len),
        "tables differ in length"
    );
    let num_vars = len.trailing_zeros() as usize;

    absorb_statement(transcript, num_vars, sop);
    let claim = codec.claim(claimed_sum);
    C::absorb_claim(&claim, transcript);
    let mut rounds = Vec::with_capacity(num_vars);
    let mut point = Vec::with_capacity(num_vars);
    for _ in 0..num_vars {
        let evals = backend.round_evals(&tables, sop);
        rounds.push(codec.send(&evals, transcript));
        let r = round_challenge(transcript);
        codec.bind(r);
        for t in tables.iter_mut() {
            backend.fold_low(t, r);
        }
        point.push(r);
    }
    let final_values = tables.iter().map(|t| t[0]).collect();
    (
        SumcheckProof { rounds },
        ProverOutput {
            point,
            final_values,
        },
    )
}
