//! Index maps (slices, concatenations, permutations that are not a plain
//! pass of the claim): one selection sumcheck over the inputs.

use crate::circuit::proof::Step;
use crate::circuit::prover::Walk as Prover;
use crate::circuit::verifier::Walk as Verifier;
use crate::circuit::CircuitError;
use crate::field::Fr;
use crate::protocols::index_map::{self};
use crate::sumcheck::EvaluationClaim;
use crate::zk::Mode;

impl<M: Mode> Prover<'_, M> {
    pub(in crate::circuit) fn select(
        &mut self,
        id: usize,
        sels: Vec<index_map::Selection>,
        c: EvaluationClaim<M::Known>,
    ) -> Result<(), CircuitError> {
        let ins = self.graph.nodes[id].inputs.clone();
        let tabs: Vec<Vec<Fr>> = ins.iter().map(|&i| self.table(i)).collect();
        let refs: Vec<&[Fr]> = tabs.iter().map(|t| t.as_slice()).collect();
        let (proof, cl) =
            index_map::prove_select_in::<M>(&mut self.ctx, self.be, &sels, &refs, &c, &mut self.t);
        self.steps.push(Step::Select(proof));
        for (i, cc) in ins.into_iter().zip(cl) {
            self.claim(i, cc);
        }
        Ok(())
    }
}

impl<M: Mode> Verifier<'_, M> {
    pub(in crate::circuit) fn select(
        &mut self,
        id: usize,
        sels: Vec<index_map::Selection>,
        c: EvaluationClaim<M::Value>,
    ) -> Result<(), CircuitError> {
        let proof = match self.next(id)? {
            Step::Select(p) => p,
            s => return Err(self.wrong(id, "select", s)),
        };
        let cl = index_map::verify_select_in::<M>(&mut self.ctx, &sels, &c, proof, &mut self.t)
            .map_err(|e| self.reject(id, e))?;
        for (i, cc) in self.graph.nodes[id].inputs.clone().into_iter().zip(cl) {
            self.claim(i, cc);
        }
        Ok(())
    }
}
