//! Softmax (zkAttn): each row's exponentials from digit lookups, the row
//! sums and the normalised output bound by one sumcheck of the circuit's
//! own; the band check that keeps the output within its rounding.

use crate::circuit::layout::{num_vars, padded_table};
use crate::circuit::prover::Walk as Prover;
use crate::circuit::verifier::Walk as Verifier;
use crate::circuit::{pow2, row_valid, softmax_mask, CircuitError};
use crate::field::{from_i64, Fr};
use crate::poly::{eq_eval, DenseMle, SumOfProducts};
use crate::sumcheck::EvaluationClaim;
use crate::zk::Mode;

impl<M: Mode> Prover<'_, M> {
    /// zkAttn: `y = M∘E∘Δ`, row sums in the tolerance band, and
    /// `M∘(ẑ − z) = lo + 2^b·hi` (see [`crate::quant::zkattn_row`]).
    pub(in crate::circuit) fn softmax(
        &mut self,
        id: usize,
        c: EvaluationClaim<M::Known>,
    ) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let sp = self.plan.softmax[id].clone().expect("planned");
        let p = sp.params;
        let shape = node.shape.clone();
        let cols = *shape.last().unwrap_or(&1);
        let lc = crate::poly::num_vars_for(cols);
        let nv = num_vars(&shape);
        let keep = softmax_mask(node);
        let mask = padded_table(&shape, &keep);
        let aux = self.aux_tensor.clone();
        let tid = |a: usize| aux[a];
        let one = Fr::from(1u64);
        // 1. Row sums at a fresh point w (on the rows): S'(w) and U(w),
        // with S' + U = 2·tol·valid (both range-checked by lookups).
        let w = self.t.challenge_scalars(b"softmax-rows", nv - lc);
        let s_prime = self.state_at(tid(sp.sum), &w, b"softmax-row-sum");
        let u = self.state_at(tid(sp.sum_hi), &w, b"softmax-row-sum");
        let valid = padded_table(&self.plan.aux[sp.sum].shape, &row_valid(&keep, cols));
        let v_w = self.be.evaluate(&valid, &w);
        let band = self.lin(&[(one, s_prime), (one, u)]);
        M::prove_equal(
            &mut self.ctx,
            &band,
            &M::public_known(from_i64(2 * p.tolerance) * v_w),
        );
        let base = from_i64(p.sum_lo());
        // 2. One sumcheck for the claim on y and the row sums.
        let lambda = self.t.challenge_scalar(b"softmax-lambda");
        let eq_u = self.be.eq_table(&c.point);
        let eq_w = self.be.eq_table(&w);
        let gtab: Vec<Fr> = (0..1usize << nv)
            .map(|x| eq_u[x] + lambda * eq_w[x >> lc])
            .collect();
        let e_tab = self.openings.table(tid(sp.exp)).into_owned();
        let d_tab = self.openings.table(tid(sp.delta)).into_owned();
        let claim = self.lin(&[
            (one, c.value),
            (lambda, s_prime),
            (lambda * base * v_w, M::public_known(one)),
        ]);
        let (r, vals) = self.instance(
            vec![gtab, mask.clone(), e_tab, d_tab],
            &SumOfProducts::product(4),
            claim,
            &[true, true, false, false],
        );
        for (a, k) in [(sp.exp, 0), (sp.delta, 1)] {
            self.openings.claim(
                tid(a),
                EvaluationClaim {
                    point: r.clone(),
                    value: vals[k],
                },
            );
        }
        // 3. The digits decompose the masked shifted scores.
        let rho = self.t.challenge_scalars(b"softmax-digits", nv);
        let lo = self.state_at(tid(sp.lo), &rho, b"softmax-digit");
        let hi = self.state_at(tid(sp.hi), &rho, b"softmax-digit");
        let shift_tab = self.openings.table(tid(sp.shift)).into_owned();
        let z = self.table(node.inputs[0]);
        let h: Vec<Fr> = (0..1usize << nv)
            .map(|x| shift_tab[x >> lc] - z[x])
            .collect();
        let claim = self.lin(&[(one, lo), (pow2(p.lo_bits), hi)]);
        let (r, vals) = self.instance(
            vec![self.be.eq_table(&rho), mask, h],
            &SumOfProducts::product(3),
            claim,
            &[true, true, false],
        );
        // h(r) = ẑ(r_rows) − z(r): ẑ is stated, z's claim is the difference.
        let zhat = self.state_at(tid(sp.shift), &r[lc..], b"softmax-shift");
        let zv = self.lin(&[(one, zhat), (-one, vals[0])]);
        self.claim(
            node.inputs[0],
            EvaluationClaim {
                point: r,
                value: zv,
            },
        );
        Ok(())
    }
}

impl<M: Mode> Verifier<'_, M> {
    pub(in crate::circuit) fn softmax(
        &mut self,
        id: usize,
        c: EvaluationClaim<M::Value>,
    ) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let sp = self.plan.softmax[id]
            .clone()
            .ok_or_else(|| self.reject(id, "softmax missing from the plan"))?;
        let p = sp.params;
        let shape = node.shape.clone();
        let cols = *shape.last().unwrap_or(&1);
        let lc = crate::poly::num_vars_for(cols);
        let nv = num_vars(&shape);
        let keep = softmax_mask(node);
        let mask = DenseMle::new(padded_table(&shape, &keep));
        let tid = |a: usize| self.aux_tensor[a];
        let (t_sum, t_sum_hi, t_exp, t_delta, t_lo, t_hi, t_shift) = (
            tid(sp.sum),
            tid(sp.sum_hi),
            tid(sp.exp),
            tid(sp.delta),
            tid(sp.lo),
            tid(sp.hi),
            tid(sp.shift),
        );
        let one = Fr::from(1u64);
        // 1. Row sums at a fresh point: S'(w) and U(w), each opened (and
        // range-checked in [0, 2^sum_bits) by its lookup), with
        // S' + U = 2·tol·valid, so every valid row sums into [2^f − tol, 2^f + tol].
        let w = self.t.challenge_scalars(b"softmax-rows", nv - lc);
        let s_prime = self.value_at(id, t_sum, &w, b"softmax-row-sum")?;
        let u = self.value_at(id, t_sum_hi, &w, b"softmax-row-sum")?;
        let valid = DenseMle::new(padded_table(
            &self.plan.aux[sp.sum].shape,
            &row_valid(&keep, cols),
        ));
        let v_w = valid.evaluate(&w);
        let band = self.lin(&[(one, s_prime.clone()), (one, u)]);
        let want = self.public(from_i64(2 * p.tolerance) * v_w);
        self.require(
            id,
            &band,
            &want,
            "softmax row sums outside the two-sided band",
        )?;
        let base = from_i64(p.sum_lo());
        // 2. y = M∘E∘Δ against the claim and the row sums.
        let lambda = self.t.challenge_scalar(b"softmax-lambda");
        let claim = self.lin(&[
            (one, c.value),
            (lambda, s_prime),
            (lambda * base * v_w, self.public(one)),
        ]);
        let (u_pt, w_pt) = (c.point.clone(), w.clone());
        let mask_ref = &mask;
        let (r, vals) = self.instance(
            id,
            nv,
            &SumOfProducts::product(4),
            claim,
            |r| {
                let g = eq_eval(&u_pt, r) + lambda * eq_eval(&w_pt, &r[lc..]);
                vec![Some(g), Some(mask_ref.evaluate(r)), None, None]
            },
            "softmax outputs do not match exp·δ under the mask",
        )?;
        for (t, k) in [(t_exp, 0), (t_delta, 1)] {
            self.openings.claim(
                t,
                EvaluationClaim {
                    point: r.clone(),
                    value: vals[k].clone(),
                },
            );
        }
        // 3. Digits of the masked shifted scores.
        let rho = self.t.challenge_scalars(b"softmax-digits", nv);
        let lo = self.value_at(id, t_lo, &rho, b"softmax-digit")?;
        let hi = self.value_at(id, t_hi, &rho, b"softmax-digit")?;
        let claim = self.lin(&[(one, lo), (pow2(p.lo_bits), hi)]);
        let rho_pt = rho.clone();
        let (r, vals) = self.instance(
            id,
            nv,
            &SumOfProducts::product(3),
            claim,
            |r| vec![Some(eq_eval(&rho_pt, r)), Some(mask_ref.evaluate(r)), None],
            "digits do not decompose the shifted scores",
        )?;
        let zhat = self.value_at(id, t_shift, &r[lc..], b"softmax-shift")?;
        let zv = self.lin(&[(one, zhat), (-one, vals[0].clone())]);
        self.claim(
            node.inputs[0],
            EvaluationClaim {
                point: r,
                value: zv,
            },
        );
        Ok(())
    }
}
