//! Element-wise ops: `Add`/`Sub` (the linear sumcheck), `Hadamard` (the
//! product sumcheck), `MulConst` (a claim scaled by the constant's
//! inverse) and broadcasting (a claim on the smaller input at the kept
//! coordinates, divided by the broadcast axes' indicator).

use crate::circuit::layout;
use crate::circuit::proof::Step;
use crate::circuit::prover::Walk as Prover;
use crate::circuit::verifier::Walk as Verifier;
use crate::circuit::CircuitError;
use crate::field::{from_i64, Fr};
use crate::ir::Op;
use crate::protocols::{hadamard, linear};
use crate::sumcheck::EvaluationClaim;
use crate::zk::Mode;

impl<M: Mode> Prover<'_, M> {
    pub(in crate::circuit) fn add_sub(
        &mut self,
        id: usize,
        c: EvaluationClaim<M::Known>,
    ) -> Result<(), CircuitError> {
        let is_sub = matches!(self.graph.nodes[id].op, Op::Sub);
        let coeffs = crate::circuit::claim_maps::add_sub_coeffs(is_sub);
        let tabs = self.broadcast_inputs(id);
        let (proof, cl) = linear::prove_in::<M>(
            &mut self.ctx,
            self.be,
            &coeffs,
            &[&tabs[0], &tabs[1]],
            &c,
            &mut self.t,
        );
        self.steps.push(Step::Linear(proof));
        self.unbroadcast_inputs(id, &cl)
    }

    pub(in crate::circuit) fn hadamard(
        &mut self,
        id: usize,
        c: EvaluationClaim<M::Known>,
    ) -> Result<(), CircuitError> {
        let tabs = self.broadcast_inputs(id);
        let (proof, cl) = hadamard::prove_in::<M>(
            &mut self.ctx,
            self.be,
            &[&tabs[0], &tabs[1]],
            &c,
            &mut self.t,
        );
        self.steps.push(Step::Hadamard(proof));
        self.unbroadcast_inputs(id, &cl)
    }

    pub(in crate::circuit) fn mul_const(
        &mut self,
        id: usize,
        q: i64,
        c: EvaluationClaim<M::Known>,
    ) -> Result<(), CircuitError> {
        let ins = &self.graph.nodes[id].inputs;
        if q == 0 {
            M::prove_equal(&mut self.ctx, &c.value, &M::public_known(Fr::from(0u64)));
        } else {
            let inv = ark_ff::Field::inverse(&from_i64(q)).expect("non-zero");
            let cl = self.scaled(c.point, &c.value, inv);
            self.claim(ins[0], cl);
        }
        Ok(())
    }

    /// Both inputs' tables broadcast to the node's shape.
    fn broadcast_inputs(&self, id: usize) -> Vec<Vec<Fr>> {
        let node = &self.graph.nodes[id];
        (node.inputs.iter())
            .map(|&i| {
                let shape = &self.graph.nodes[i].shape;
                layout::broadcast_table(shape, &node.shape, &self.values(i))
            })
            .collect()
    }

    /// Each input's claim from its claim on the broadcast table.
    fn unbroadcast_inputs(
        &mut self,
        id: usize,
        claims: &[EvaluationClaim<M::Known>],
    ) -> Result<(), CircuitError> {
        let ins = self.graph.nodes[id].inputs.clone();
        for (i, c) in ins.into_iter().zip(claims) {
            self.unbroadcast(i, id, c)?;
        }
        Ok(())
    }

    pub(in crate::circuit) fn unbroadcast(
        &mut self,
        input: usize,
        out: usize,
        c: &EvaluationClaim<M::Known>,
    ) -> Result<(), CircuitError> {
        let (si, so) = (&self.graph.nodes[input].shape, &self.graph.nodes[out].shape);
        let (p, inv) = layout::unbroadcast_point(si, so, &c.point).ok_or_else(|| {
            CircuitError::rejected(&self.graph.nodes[out], "degenerate broadcast point")
        })?;
        let cl = self.scaled(p, &c.value, inv);
        self.claim(input, cl);
        Ok(())
    }
}

impl<M: Mode> Verifier<'_, M> {
    pub(in crate::circuit) fn add_sub(
        &mut self,
        id: usize,
        c: EvaluationClaim<M::Value>,
    ) -> Result<(), CircuitError> {
        let is_sub = matches!(self.graph.nodes[id].op, Op::Sub);
        let coeffs = crate::circuit::claim_maps::add_sub_coeffs(is_sub);
        let proof = match self.next(id)? {
            Step::Linear(p) => p,
            s => return Err(self.wrong(id, "linear", s)),
        };
        let cl = linear::verify_in::<M>(&mut self.ctx, &coeffs, &c, proof, &mut self.t)
            .map_err(|e| self.reject(id, e))?;
        self.unbroadcast_inputs(id, &cl)
    }

    pub(in crate::circuit) fn hadamard(
        &mut self,
        id: usize,
        c: EvaluationClaim<M::Value>,
    ) -> Result<(), CircuitError> {
        let proof = match self.next(id)? {
            Step::Hadamard(p) => p,
            s => return Err(self.wrong(id, "hadamard", s)),
        };
        let cl = hadamard::verify_in::<M>(&mut self.ctx, 2, &c, proof, &mut self.t)
            .map_err(|e| self.reject(id, e))?;
        self.unbroadcast_inputs(id, &cl)
    }

    pub(in crate::circuit) fn mul_const(
        &mut self,
        id: usize,
        q: i64,
        c: EvaluationClaim<M::Value>,
    ) -> Result<(), CircuitError> {
        let ins = &self.graph.nodes[id].inputs;
        if q == 0 {
            let zero = self.public(Fr::from(0u64));
            self.require(id, &c.value, &zero, "product by zero claimed non-zero")?;
        } else {
            let inv = ark_ff::Field::inverse(&from_i64(q))
                .ok_or_else(|| self.reject(id, "constant is zero mod p"))?;
            let cl = self.scaled(c.point, &c.value, inv);
            self.claim(ins[0], cl);
        }
        Ok(())
    }

    /// Each input's claim from its claim on the broadcast table.
    fn unbroadcast_inputs(
        &mut self,
        id: usize,
        claims: &[EvaluationClaim<M::Value>],
    ) -> Result<(), CircuitError> {
        let ins = self.graph.nodes[id].inputs.clone();
        for (i, c) in ins.into_iter().zip(claims) {
            self.unbroadcast(i, id, c)?;
        }
        Ok(())
    }

    pub(in crate::circuit) fn unbroadcast(
        &mut self,
        input: usize,
        out: usize,
        c: &EvaluationClaim<M::Value>,
    ) -> Result<(), CircuitError> {
        let (si, so) = (&self.graph.nodes[input].shape, &self.graph.nodes[out].shape);
        let (p, inv) = layout::unbroadcast_point(si, so, &c.point)
            .ok_or_else(|| self.reject(out, "degenerate broadcast point"))?;
        let cl = self.scaled(p, &c.value, inv);
        self.claim(input, cl);
        Ok(())
    }
}
