//! Hidden logits (`--public token`): the published token is the argmax of
//! the last row, by a stated gap `G = L_t − L ≥ 0` range-checked and tied
//! to the logits at a random point; nothing else about the logits is
//! stated in the clear.

use crate::circuit::plan::ArgmaxPlan;
use crate::circuit::proof::Step;
use crate::circuit::prover::Walk as Prover;
use crate::circuit::verifier::Walk as Verifier;
use crate::circuit::{argmax_gap_coeffs, argmax_points, CircuitError, Statement};
use crate::field::Fr;
use crate::sumcheck::EvaluationClaim;
use crate::zk::Mode;

impl<M: Mode> Prover<'_, M> {
    /// Hidden logits: states `L(u)` (the output claim), `G(r)`, `L_t` and
    /// `L(r)`; the verifier ties `G` to `L` at `r` and `L` to the output at `u`.
    pub(in crate::circuit) fn argmax_output(
        &mut self,
        ap: ArgmaxPlan,
        token: usize,
        stmt: &Statement,
    ) -> Result<EvaluationClaim<M::Known>, CircuitError> {
        let pts = argmax_points(self.graph, stmt, token, &mut self.t)?;
        let mut vals = Vec::with_capacity(4);
        let mut sent = Vec::with_capacity(4);
        for &(aux, point) in pts.value_points(ap).iter() {
            let table = self.openings.table(self.aux_tensor[aux]).into_owned();
            let v = crate::poly::DenseMle::new(table).evaluate(point);
            let k = M::fresh(&mut self.ctx, v);
            let s = M::send(&self.ctx, &k);
            M::absorb_sent(&mut self.t, b"argmax-value", &s);
            vals.push(k);
            sent.push(s);
        }
        self.steps.push(Step::Values(sent));
        let (pv, pt) = argmax_gap_coeffs(ap.vocab, token, &pts.r);
        let one = Fr::from(1u64);
        let gap = self.lin(&[(pv, vals[2]), (-one, vals[3]), (-pt, M::public_known(one))]);
        M::prove_equal(&mut self.ctx, &vals[1], &gap);
        let (openings, output) = pts.claims(ap, &vals);
        for (aux, c) in openings {
            self.openings.claim(self.aux_tensor[aux], c);
        }
        Ok(output)
    }
}

impl<M: Mode> Verifier<'_, M> {
    /// Hidden logits (see the prover's `argmax_output`): `G(r)` must equal
    /// `L_t·[j < vocab](r) − L(r) − [j < t](r)`; every stated value becomes an
    /// opening claim on the committed `L` or `G`, and `L(u)` the output claim.
    pub(in crate::circuit) fn argmax_output(
        &mut self,
        ap: ArgmaxPlan,
        token: usize,
    ) -> Result<EvaluationClaim<M::Value>, CircuitError> {
        let out = self.graph.output;
        let pts = argmax_points(self.graph, self.stmt, token, &mut self.t)?;
        let vals = self.values(out, 4, b"argmax-value")?;
        let (pv, pt) = argmax_gap_coeffs(ap.vocab, token, &pts.r);
        let one = Fr::from(1u64);
        let gap = self.lin(&[
            (pv, vals[2].clone()),
            (-one, vals[3].clone()),
            (-pt, self.public(one)),
        ]);
        self.require(
            out,
            &vals[1],
            &gap,
            "the argmax gaps do not match the logits",
        )?;
        let (openings, output) = pts.claims(ap, &vals);
        for (aux, c) in openings {
            self.openings.claim(self.aux_tensor[aux], c);
        }
        Ok(output)
    }
}
