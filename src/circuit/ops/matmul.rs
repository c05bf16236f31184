//! Contractions (`Op::EinSum`): the operands permuted to a canonical
//! batched matmul, proven by the matmul sumcheck, the claims mapped back
//! to the operands' own axes ([`crate::circuit::claim_maps`]).

use crate::circuit::layout;
use crate::circuit::proof::Step;
use crate::circuit::prover::Walk as Prover;
use crate::circuit::verifier::Walk as Verifier;
use crate::circuit::{einsum_canon, CircuitError};
use crate::ir::EinsumSpec;
use crate::protocols::matmul;
use crate::sumcheck::EvaluationClaim;
use crate::zk::Mode;

impl<M: Mode> Prover<'_, M> {
    pub(in crate::circuit) fn einsum(
        &mut self,
        id: usize,
        spec: &EinsumSpec,
        c: EvaluationClaim<M::Known>,
    ) -> Result<(), CircuitError> {
        let g = self.graph;
        let node = &g.nodes[id];
        let ins = &node.inputs;
        let shape_of = |i: usize| g.nodes[i].shape.clone();
        let (sa, sb) = (shape_of(ins[0]), shape_of(ins[1]));
        let ec = einsum_canon(spec, &sa, &sb);
        let a = layout::permute_table(&self.table(ins[0]), &sa, &ec.a_perm);
        let b = layout::permute_table(&self.table(ins[1]), &sb, &ec.b_perm);
        let cc = crate::circuit::claim_maps::einsum_output(spec, &ec, &node.shape, &c);
        let (proof, mc) =
            matmul::prove_in::<M>(&mut self.ctx, self.be, &ec.shape, &a, &b, &cc, &mut self.t);
        self.steps.push(Step::MatMul(proof));
        let [ca, cb] = crate::circuit::claim_maps::einsum_operands(spec, &ec, &mc);
        self.claim(ins[0], ca);
        self.claim(ins[1], cb);
        Ok(())
    }
}

impl<M: Mode> Verifier<'_, M> {
    pub(in crate::circuit) fn einsum(
        &mut self,
        id: usize,
        spec: &EinsumSpec,
        c: EvaluationClaim<M::Value>,
    ) -> Result<(), CircuitError> {
        let g = self.graph;
        let node = &g.nodes[id];
        let ins = &node.inputs;
        let shape_of = |i: usize| g.nodes[i].shape.clone();
        let ec = einsum_canon(spec, &shape_of(ins[0]), &shape_of(ins[1]));
        let cc = crate::circuit::claim_maps::einsum_output(spec, &ec, &node.shape, &c);
        let proof = match self.next(id)? {
            Step::MatMul(p) => p,
            s => return Err(self.wrong(id, "matmul", s)),
        };
        let mc = matmul::verify_in::<M>(&mut self.ctx, &ec.shape, &cc, proof, &mut self.t)
            .map_err(|e| self.reject(id, e))?;
        let [ca, cb] = crate::circuit::claim_maps::einsum_operands(spec, &ec, &mc);
        self.claim(ins[0], ca);
        self.claim(ins[1], cb);
        Ok(())
    }
}
