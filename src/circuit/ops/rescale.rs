//! `Rescale`: `X = 2^s·Q + R` at the claim's point, with the remainder and
//! any wide value's limbs stated and range-checked by lookups; a
//! saturating rescale adds the clamp relation of
//! [`crate::circuit::saturation`] (its construction and why it is sound).

use crate::circuit::layout::num_vars;
use crate::circuit::plan::{TensorRef, LIMB_BITS};
use crate::circuit::proof::Step;
use crate::circuit::prover::Walk as Prover;
use crate::circuit::verifier::Walk as Verifier;
use crate::circuit::{pow2, CircuitError};
use crate::field::{from_i64, Fr};
use crate::poly::eq_eval;
use crate::sumcheck::EvaluationClaim;
use crate::zk::Mode;

/// The weight `2^((n−1−k)·12)` of limb `k` of `n` (most significant first).
fn limb_weight(k: usize, n: usize) -> Fr {
    pow2(LIMB_BITS * (n - 1 - k) as u32)
}

impl<M: Mode> Prover<'_, M> {
    pub(in crate::circuit) fn rescale(
        &mut self,
        id: usize,
        shift: u32,
        c: EvaluationClaim<M::Known>,
    ) -> Result<(), CircuitError> {
        let ins = &self.graph.nodes[id].inputs;
        let rp = self.plan.rescale[id].clone().expect("planned");
        let stated = rp.stated();
        let mut vals = Vec::with_capacity(stated.len());
        let mut sent = Vec::with_capacity(stated.len());
        for &a in &stated {
            let tid = self.aux_tensor[a];
            let v = self.be.evaluate(&self.openings.table(tid), &c.point);
            let k = M::fresh(&mut self.ctx, v);
            let s = M::send(&self.ctx, &k);
            M::absorb_sent(&mut self.t, b"rescale-value", &s);
            self.openings.claim(
                tid,
                EvaluationClaim {
                    point: c.point.clone(),
                    value: k,
                },
            );
            vals.push(k);
            sent.push(s);
        }
        self.steps.push(Step::Values(sent));
        let at = |a: usize| vals[stated.iter().position(|&s| s == a).expect("stated")];
        let one = Fr::from(1u64);
        for (limbs, whole, _) in rp.limb_sets() {
            let whole = whole.map_or(c.value, at);
            let terms: Vec<_> = (limbs.iter().enumerate())
                .map(|(k, &l)| (limb_weight(k, limbs.len()), at(l)))
                .collect();
            let rec = self.lin(&terms);
            M::prove_equal(&mut self.ctx, &rec, &whole);
        }
        let r = vals[0];
        let q = match &rp.sat {
            Some(sp) => {
                let [p, ip, n, in_] = [sp.pos, sp.pos_ind, sp.neg, sp.neg_ind].map(at);
                self.lin(&[(one, c.value), (one, p), (one, ip), (-one, n), (-one, in_)])
            }
            None => c.value,
        };
        if let Some(sp) = rp.sat.clone() {
            self.saturation(id, &sp)?;
        }
        // X = 2^s·Q + R at the claim's point.
        let x = self.lin(&[(pow2(shift), q), (one, r)]);
        self.claim(
            ins[0],
            EvaluationClaim {
                point: c.point,
                value: x,
            },
        );
        Ok(())
    }

    /// The clamp of a saturating rescale ([`crate::circuit::saturation`]): the
    /// zero-check at a fresh point, and the clamp counts' openings.
    pub(in crate::circuit) fn saturation(
        &mut self,
        id: usize,
        sp: &crate::circuit::plan::SatPlan,
    ) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let bits = node.quant.map_or(1, |q| q.bits);
        let nv = num_vars(&node.shape);
        let (top, bot) = crate::circuit::saturation::edges(bits);
        let rho = self.t.challenge_scalars(b"saturation-point", nv);
        let lambda = self.t.challenge_scalar(b"saturation-lambda");
        let ytid = self.tensor_id(TensorRef::Node(id));
        let y = self.openings.table(ytid).into_owned();
        let ids = [sp.pos, sp.pos_ind, sp.neg, sp.neg_ind].map(|a| self.aux_tensor[a]);
        let mut tables = vec![self.be.eq_table(&rho)];
        tables.extend(ids.iter().map(|&t| self.openings.table(t).into_owned()));
        tables.push(y.iter().map(|&v| from_i64(top) - v).collect());
        tables.push(y.iter().map(|&v| v - from_i64(bot)).collect());
        let sop = crate::circuit::saturation::zero_check(lambda);
        let zero = M::public_known(Fr::from(0u64));
        let mut public = vec![false; sop.num_tables()];
        public[0] = true;
        let (r, vals) = self.instance(tables, &sop, zero, &public);
        // vals: P', I_P, N', I_N, top − Y, Y − bot. The last two are one
        // claim on Y: (top − Y) + (Y − bot) = top − bot.
        let one = Fr::from(1u64);
        let sum = self.lin(&[(one, vals[4]), (one, vals[5])]);
        M::prove_equal(&mut self.ctx, &sum, &M::public_known(from_i64(top - bot)));
        let yv = self.lin(&[(-one, vals[4]), (from_i64(top), M::public_known(one))]);
        for (k, &tid) in ids.iter().enumerate() {
            self.openings.claim(
                tid,
                EvaluationClaim {
                    point: r.clone(),
                    value: vals[k],
                },
            );
        }
        self.openings.claim(
            ytid,
            EvaluationClaim {
                point: r,
                value: yv,
            },
        );
        let counts = self.clamp_counts[sp.index];
        for (tid, count) in [(ids[1], counts[0]), (ids[3], counts[1])] {
            let cc = crate::circuit::prover::public_claim::<M>(
                crate::circuit::saturation::count_claim(nv, count),
            );
            self.openings.claim(tid, cc);
        }
        Ok(())
    }
}

impl<M: Mode> Verifier<'_, M> {
    pub(in crate::circuit) fn rescale(
        &mut self,
        id: usize,
        shift: u32,
        c: EvaluationClaim<M::Value>,
    ) -> Result<(), CircuitError> {
        let ins = &self.graph.nodes[id].inputs;
        let one = Fr::from(1u64);
        let rp = self.plan.rescale[id]
            .clone()
            .ok_or_else(|| self.reject(id, "rescale missing from the plan"))?;
        let stated = rp.stated();
        let vals = self.values(id, stated.len(), b"rescale-value")?;
        for (&a, v) in stated.iter().zip(&vals) {
            self.openings.claim(
                self.aux_tensor[a],
                EvaluationClaim {
                    point: c.point.clone(),
                    value: v.clone(),
                },
            );
        }
        let at = |a: usize| stated.iter().position(|&s| s == a).map(|i| vals[i].clone());
        let r = vals[0].clone();
        for (limbs, whole, what) in rp.limb_sets() {
            let whole = match whole {
                None => Some(c.value.clone()),
                Some(w) => at(w),
            };
            let terms: Option<Vec<_>> = (limbs.iter().enumerate())
                .map(|(k, &l)| at(l).map(|v| (limb_weight(k, limbs.len()), v)))
                .collect();
            let (Some(terms), Some(whole)) = (terms, whole) else {
                return Err(self.reject(id, format!("the {what}'s limbs are not stated")));
            };
            let rec = self.lin(&terms);
            self.require(
                id,
                &rec,
                &whole,
                &format!("limbs do not recombine to the {what}"),
            )?;
        }
        let q = match &rp.sat {
            Some(sp) => {
                let parts: Option<Vec<M::Value>> = [sp.pos, sp.pos_ind, sp.neg, sp.neg_ind]
                    .map(at)
                    .into_iter()
                    .collect();
                let p = parts.ok_or_else(|| self.reject(id, "the clamp's excess is not stated"))?;
                let q = self.lin(&[
                    (one, c.value.clone()),
                    (one, p[0].clone()),
                    (one, p[1].clone()),
                    (-one, p[2].clone()),
                    (-one, p[3].clone()),
                ]);
                self.saturation(id, sp)?;
                q
            }
            None => c.value.clone(),
        };
        // X = 2^s·Q + R at the claim's point.
        let x = self.lin(&[(pow2(shift), q), (one, r)]);
        self.claim(
            ins[0],
            EvaluationClaim {
                point: c.point,
                value: x,
            },
        );
        Ok(())
    }

    /// The clamp of a saturating rescale (see the prover's `saturation`):
    /// the zero-check holds at the final point, its two edge values are one
    /// claim on `Y`, and each clamp count is an opening of its indicator at
    /// `(½, …, ½)`.
    pub(in crate::circuit) fn saturation(
        &mut self,
        id: usize,
        sp: &crate::circuit::plan::SatPlan,
    ) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let bits = node.quant.map_or(1, |q| q.bits);
        let nv = num_vars(&node.shape);
        let (top, bot) = crate::circuit::saturation::edges(bits);
        let rho = self.t.challenge_scalars(b"saturation-point", nv);
        let lambda = self.t.challenge_scalar(b"saturation-lambda");
        let sop = crate::circuit::saturation::zero_check(lambda);
        let n_tables = sop.num_tables();
        let zero = self.public(Fr::from(0u64));
        let (r, vals) = self.instance(
            id,
            nv,
            &sop,
            zero,
            |r| {
                let mut p = vec![None; n_tables];
                p[0] = Some(eq_eval(&rho, r));
                p
            },
            "the clamp is not proven (saturation zero-check)",
        )?;
        let one = Fr::from(1u64);
        let sum = self.lin(&[(one, vals[4].clone()), (one, vals[5].clone())]);
        let width = self.public(from_i64(top - bot));
        self.require(id, &sum, &width, "the clamp's edge values disagree on Y")?;
        let yv = self.lin(&[(-one, vals[4].clone()), (from_i64(top), self.public(one))]);
        let ytid = self.tensor_id(TensorRef::Node(id))?;
        let ids = [sp.pos, sp.pos_ind, sp.neg, sp.neg_ind].map(|a| self.aux_tensor[a]);
        for (k, &tid) in ids.iter().enumerate() {
            self.openings.claim(
                tid,
                EvaluationClaim {
                    point: r.clone(),
                    value: vals[k].clone(),
                },
            );
        }
        self.openings.claim(
            ytid,
            EvaluationClaim {
                point: r,
                value: yv,
            },
        );
        let counts = *self
            .clamp_counts
            .get(sp.index)
            .ok_or_else(|| self.reject(id, "no clamp count for this rescale"))?;
        for (tid, count) in [(ids[1], counts[0]), (ids[3], counts[1])] {
            let cc = crate::circuit::verifier::public_claim::<M>(
                &self.ctx.ped,
                crate::circuit::saturation::count_claim(nv, count),
            );
            self.openings.claim(tid, cc);
        }
        Ok(())
    }
}
