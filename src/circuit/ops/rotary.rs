//! `Rotary`: `y = x∘cos + rot(x)∘sin` by one sumcheck; `rot` is a signed
//! selection of `x` (half-split or interleaved).

use crate::circuit::layout::{self, num_vars};
use crate::circuit::proof::Step;
use crate::circuit::prover::Walk as Prover;
use crate::circuit::verifier::Walk as Verifier;
use crate::circuit::CircuitError;
use crate::field::Fr;
use crate::poly::eq_eval;
use crate::protocols::index_map::{self};
use crate::sumcheck::EvaluationClaim;
use crate::zk::Mode;

impl<M: Mode> Prover<'_, M> {
    /// Rotary: `y = x∘C + rotate_half(x)∘S` by one eq-weighted sumcheck; the
    /// rotated operand is a signed selection of `x`.
    pub(in crate::circuit) fn rotary(
        &mut self,
        id: usize,
        half: usize,
        interleaved: bool,
        c: EvaluationClaim<M::Known>,
    ) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let shape = node.shape.clone();
        let ins = node.inputs.clone();
        let x = self.table(ins[0]);
        let sel = crate::circuit::rotary_selection(&shape, half, interleaved);
        let mut xr = vec![Fr::from(0u64); x.len()];
        sel.apply(&x, &mut xr);
        let cs = layout::broadcast_table(
            &self.graph.nodes[ins[1]].shape,
            &shape,
            &self.values(ins[1]),
        );
        let sn = layout::broadcast_table(
            &self.graph.nodes[ins[2]].shape,
            &shape,
            &self.values(ins[2]),
        );
        let tables = vec![self.be.eq_table(&c.point), x.clone(), cs, xr, sn];
        let (r, vals) = self.instance(
            tables,
            &crate::circuit::rotary_sop(),
            c.value,
            &[true, false, false, false, false],
        );
        let at = |k: usize| EvaluationClaim {
            point: r.clone(),
            value: vals[k],
        };
        self.claim(ins[0], at(0));
        self.unbroadcast(ins[1], id, &at(1))?;
        self.unbroadcast(ins[2], id, &at(3))?;
        // The rotated operand: a selection of x.
        let (proof, cl) = index_map::prove_select_in::<M>(
            &mut self.ctx,
            self.be,
            &[sel],
            &[&x],
            &at(2),
            &mut self.t,
        );
        self.steps.push(Step::Select(proof));
        self.claim(ins[0], cl[0].clone());
        Ok(())
    }
}

impl<M: Mode> Verifier<'_, M> {
    pub(in crate::circuit) fn rotary(
        &mut self,
        id: usize,
        half: usize,
        interleaved: bool,
        c: EvaluationClaim<M::Value>,
    ) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let shape = node.shape.clone();
        let ins = node.inputs.clone();
        let u = c.point.clone();
        let (r, vals) = self.instance(
            id,
            num_vars(&shape),
            &crate::circuit::rotary_sop(),
            c.value,
            |r| vec![Some(eq_eval(&u, r)), None, None, None, None],
            "rotary outputs do not match x·cos + rot(x)·sin",
        )?;
        let at = |k: usize| EvaluationClaim {
            point: r.clone(),
            value: vals[k].clone(),
        };
        self.claim(ins[0], at(0));
        self.unbroadcast(ins[1], id, &at(1))?;
        self.unbroadcast(ins[2], id, &at(3))?;
        let sel = crate::circuit::rotary_selection(&shape, half, interleaved);
        let proof = match self.next(id)? {
            Step::Select(p) => p,
            s => return Err(self.wrong(id, "select", s)),
        };
        let cl =
            index_map::verify_select_in::<M>(&mut self.ctx, &[sel], &at(2), proof, &mut self.t)
                .map_err(|e| self.reject(id, e))?;
        self.claim(ins[0], cl[0].clone());
        Ok(())
    }
}
