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
        let cc = crate::circuit::claim_maps::einsum_output(spec, &ec, &node.shape, &c);
        let (u_j, u_i, _) = ec.shape.split(&cc.point);
        // a_tab[h][s] = Ã(s, u_i, h) over A's [h][m][k]; b_tab[h][s] =
        // B̃(u_j, s, h) over B's [h][k][n].
        let a_tab = self.folded_operand(ins[0], &sa, &ec.a_perm, ec.shape.log_k, u_i);
        let b_tab = self.folded_operand(ins[1], &sb, &ec.b_perm, 0, u_j);
        let (proof, mc) = matmul::prove_folded_in::<M>(
            &mut self.ctx,
            self.be,
            &ec.shape,
            a_tab,
            b_tab,
            &cc,
            &mut self.t,
        );
        self.steps.push(Step::MatMul(proof));
        let [ca, cb] = crate::circuit::claim_maps::einsum_operands(spec, &ec, &mc);
        self.claim(ins[0], ca);
        self.claim(ins[1], cb);
        Ok(())
    }

    /// An operand permuted by `perm` and folded at `u` over the variables
    /// above its `inner` low ones: a weight from its integers where the
    /// key keeps them (no field table of it), any other from its table.
    fn folded_operand(
        &self,
        id: usize,
        shape: &[usize],
        perm: &[usize],
        inner: usize,
        u: &[crate::field::Fr],
    ) -> Vec<crate::field::Fr> {
        let eq = self.be.eq_table(u);
        if let Some((tensors, slot)) = self.key_tensors(id) {
            return layout::fold_ints(tensors, slot, shape, perm, inner, &eq);
        }
        let t = layout::permute_table(&self.table(id), shape, perm);
        let outer = t.len() >> (inner + u.len());
        self.be.fold_axis(&t, outer, eq.len(), 1 << inner, &eq)
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
