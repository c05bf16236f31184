//! `Embedding`: the selected rows of the table by a one-hot sumcheck over
//! the vocabulary, against the public token ids.

use crate::circuit::layout;
use crate::circuit::prover::Walk as Prover;
use crate::circuit::verifier::Walk as Verifier;
use crate::circuit::CircuitError;
use crate::field::Fr;
use crate::poly::{eq_table, SumOfProducts};
use crate::protocols::index_map::SplitEq;
use crate::sumcheck::EvaluationClaim;
use crate::zk::Mode;

impl<M: Mode> Prover<'_, M> {
    pub(in crate::circuit) fn embedding(
        &mut self,
        id: usize,
        c: EvaluationClaim<M::Known>,
    ) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let (w_id, ids_id) = (node.inputs[0], node.inputs[1]);
        let ws = self.graph.nodes[w_id].shape.clone();
        let (v, d) = (ws[0], ws[1]);
        let ld = crate::poly::num_vars_for(d);
        let (u_d, u_t) = c.point.split_at(ld);
        let vp = 1usize << crate::poly::num_vars_for(v);
        // e_d[v] = W̃(u_d, v): a weight folded from its integers.
        let eq_d = self.be.eq_table(u_d);
        let e_d = match self.key_tensors(w_id) {
            Some((tensors, slot)) => layout::fold_ints(tensors, slot, &ws, &[0, 1], 0, &eq_d),
            None => self.be.fold_axis(&self.table(w_id), vp, 1 << ld, 1, &eq_d),
        };
        let ids = self.values(ids_id);
        let ids_shape = self.graph.nodes[ids_id].shape.clone();
        let eq_t = eq_table(u_t);
        let mut gsel = vec![Fr::from(0u64); vp];
        for (e, &tok) in ids.iter().enumerate() {
            gsel[tok as usize] += eq_t[layout::padded_index(&ids_shape, e)];
        }
        let mut point = u_d.to_vec();
        let (r, vals) = self.instance(
            vec![e_d, gsel],
            &SumOfProducts::product(2),
            c.value,
            &[false, true],
        );
        point.extend_from_slice(&r);
        self.claim(
            w_id,
            EvaluationClaim {
                point,
                value: vals[0],
            },
        );
        Ok(())
    }
}

impl<M: Mode> Verifier<'_, M> {
    pub(in crate::circuit) fn embedding(
        &mut self,
        id: usize,
        c: EvaluationClaim<M::Value>,
    ) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let (w_id, ids_id) = (node.inputs[0], node.inputs[1]);
        let ws = self.graph.nodes[w_id].shape.clone();
        let ld = crate::poly::num_vars_for(ws[1]);
        let lv = crate::poly::num_vars_for(ws[0]);
        let (u_d, u_t) = c.point.split_at(ld);
        let ids = self.public_values(ids_id)?.to_vec();
        if let Some(&tok) = ids.iter().find(|&&t| t < 0 || t as usize >= ws[0]) {
            return Err(self.reject(id, format!("token id {tok} outside the vocabulary")));
        }
        let ids_shape = self.graph.nodes[ids_id].shape.clone();
        let eq_t = SplitEq::new(u_t);
        // The selector Σ_k eq(u_t, k)·eq(r, ids[k]) is the verifier's own.
        let gsel = |r: &[Fr]| {
            let eq_v = SplitEq::new(r);
            let mut g = Fr::from(0u64);
            for (k, &tok) in ids.iter().enumerate() {
                g += eq_t.get(layout::padded_index(&ids_shape, k)) * eq_v.get(tok as usize);
            }
            vec![None, Some(g)]
        };
        let (r, vals) = self.instance(
            id,
            lv,
            &SumOfProducts::product(2),
            c.value.clone(),
            gsel,
            "embedding rows do not match the claim",
        )?;
        let mut point = u_d.to_vec();
        point.extend_from_slice(&r);
        self.claim(
            w_id,
            EvaluationClaim {
                point,
                value: vals[0].clone(),
            },
        );
        Ok(())
    }
}
