//! `Rescale`: `X = 2^s·Q + R` at the claim's point, with the remainder
//! (or its limbs) and a wide output's limbs stated and range-checked by
//! lookups; a saturating rescale adds the clamp relation of
//! [`crate::circuit::saturation`] (its construction and why it is sound).

use crate::circuit::layout::num_vars;
use crate::circuit::plan::{limb_weight, Limbs, Ranged, SatPlan, TensorRef};
use crate::circuit::proof::Step;
use crate::circuit::prover::Walk as Prover;
use crate::circuit::saturation;
use crate::circuit::verifier::Walk as Verifier;
use crate::circuit::{pow2, CircuitError};
use crate::field::{from_i64, Fr};
use crate::poly::eq_eval;
use crate::sumcheck::EvaluationClaim;
use crate::zk::Mode;

/// `Σ w_k·v_k` over a [`Ranged`] value's parts, from the stated values.
fn ranged_terms<V: Clone>(r: &Ranged, at: impl Fn(usize) -> Option<V>) -> Option<Vec<(Fr, V)>> {
    (r.weights().into_iter().zip(r.parts()))
        .map(|(w, &a)| at(a).map(|v| (w, v)))
        .collect()
}

/// `Σ_k 2^((n−1−k)·12)·limb_k` from the stated values.
fn limb_terms<V: Clone>(limbs: &Limbs, at: impl Fn(usize) -> Option<V>) -> Option<Vec<(Fr, V)>> {
    (limbs.iter().enumerate())
        .map(|(k, &l)| at(l).map(|v| (limb_weight(k, limbs.len()), v)))
        .collect()
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
        let mut sent = Vec::with_capacity(stated.len() + 1);
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
        // A saturating rescale's clamp difference `D = S·(E + 1)` (from the
        // committed sign and excess) at the point.
        let d = if let Some(sp) = &rp.sat {
            let table = self.clamp_difference(sp);
            let k = M::fresh(&mut self.ctx, self.be.evaluate(&table, &c.point));
            let s = M::send(&self.ctx, &k);
            M::absorb_sent(&mut self.t, b"rescale-value", &s);
            sent.push(s);
            Some(k)
        } else {
            None
        };
        self.steps.push(Step::Values(sent));
        let at = |a: usize| stated.iter().position(|&s| s == a).map(|i| vals[i]);
        if let Some(limbs) = &rp.limbs {
            let rec = self.lin(&limb_terms(limbs, at).expect("stated"));
            M::prove_equal(&mut self.ctx, &rec, &c.value);
        }
        let r = self.lin(&ranged_terms(&rp.rem, at).expect("stated"));
        let one = Fr::from(1u64);
        let q = match (&rp.sat, d) {
            (Some(sp), Some(d)) => {
                self.saturation(id, sp, &c.point, d)?;
                self.lin(&[(one, c.value), (one, d)])
            }
            _ => c.value,
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

    /// `D = S·(E + 1)` entry by entry, from the committed sign and excess.
    fn clamp_difference(&self, sp: &SatPlan) -> Vec<Fr> {
        use rayon::prelude::*;
        let one = Fr::from(1u64);
        let sign = self.openings.table(self.aux_tensor[sp.sign]);
        let mut e = vec![Fr::from(0u64); sign.len()];
        for (w, &a) in sp.excess.weights().into_iter().zip(sp.excess.parts()) {
            let part = self.openings.table(self.aux_tensor[a]);
            e.par_iter_mut()
                .zip(part.par_iter())
                .for_each(|(e, p)| *e += w * p);
        }
        e.par_iter_mut()
            .zip(sign.par_iter())
            .for_each(|(e, s)| *e = *s * (*e + one));
        e
    }

    /// The clamp of a saturating rescale ([`crate::circuit::saturation`]):
    /// one sumcheck for the zero-check at a fresh point, `D` at the claim's
    /// point `c` and `Σ S²`; then the claims on `S`, `E`'s parts and `Y`,
    /// and the sign's opening for the counts.
    pub(in crate::circuit) fn saturation(
        &mut self,
        id: usize,
        sp: &SatPlan,
        c: &[Fr],
        d: M::Known,
    ) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let bits = node.quant.map_or(1, |q| q.bits);
        let nv = num_vars(&node.shape);
        let (top, bot) = saturation::edges(bits);
        let rho = self.t.challenge_scalars(b"saturation-point", nv);
        let lambda = self.t.challenge_scalar(b"saturation-lambda");
        let ytid = self.tensor_id(TensorRef::Node(id));
        let y = crate::circuit::layout::padded_ints(&node.shape, &self.values(id));
        let sign = self.aux_tensor[sp.sign];
        let parts: Vec<_> = sp
            .excess
            .parts()
            .iter()
            .map(|&a| self.aux_tensor[a])
            .collect();
        let mut tables = vec![self.be.eq_table(&rho), self.be.eq_table(c)];
        tables.push(self.openings.table(sign).into_owned());
        tables.extend(parts.iter().map(|&t| self.openings.table(t).into_owned()));
        tables.extend(saturation::edge_tables(&y, bits));
        let sop = saturation::sumcheck(lambda, &sp.excess.weights());
        let counts = self.clamp_counts[sp.index];
        let (cd, c1) = saturation::claimed_sum(lambda, counts);
        let claim = self.lin(&[(cd, d), (c1, M::public_known(Fr::from(1u64)))]);
        let mut public = vec![false; sop.num_tables()];
        public[0] = true;
        public[1] = true;
        let (r, vals) = self.instance(tables, &sop, claim, &public);
        // vals: S, E's parts, top − Y, Y − bot. The last two are one claim
        // on Y: (top − Y) + (Y − bot) = top − bot.
        let m = parts.len();
        let one = Fr::from(1u64);
        let sum = self.lin(&[(one, vals[1 + m]), (one, vals[2 + m])]);
        M::prove_equal(&mut self.ctx, &sum, &M::public_known(from_i64(top - bot)));
        let yv = self.lin(&[(-one, vals[1 + m]), (from_i64(top), M::public_known(one))]);
        for (k, &tid) in std::iter::once(&sign).chain(&parts).enumerate() {
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
        let cc = crate::circuit::prover::public_claim::<M>(saturation::count_claim(nv, counts));
        self.openings.claim(sign, cc);
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
        let n = stated.len() + rp.sat.is_some() as usize;
        let mut vals = self.values(id, n, b"rescale-value")?;
        let d = rp.sat.as_ref().map(|_| vals.pop().expect("counted"));
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
        if let Some(limbs) = &rp.limbs {
            let terms = limb_terms(limbs, at)
                .ok_or_else(|| self.reject(id, "the rescaled value's limbs are not stated"))?;
            let rec = self.lin(&terms);
            self.require(
                id,
                &rec,
                &c.value,
                "limbs do not recombine to the rescaled value",
            )?;
        }
        let terms = ranged_terms(&rp.rem, at)
            .ok_or_else(|| self.reject(id, "the remainder is not stated"))?;
        let r = self.lin(&terms);
        let q = match (&rp.sat, d) {
            (Some(sp), Some(d)) => {
                self.saturation(id, sp, &c.point, d.clone())?;
                self.lin(&[(one, c.value.clone()), (one, d)])
            }
            _ => c.value.clone(),
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
    /// the sumcheck holds at its final point, its two edge values are one
    /// claim on `Y`, and the sign's opening at `(½, …, ½)` fixes the counts'
    /// difference (their sum is in the sumcheck's claim).
    pub(in crate::circuit) fn saturation(
        &mut self,
        id: usize,
        sp: &SatPlan,
        c: &[Fr],
        d: M::Value,
    ) -> Result<(), CircuitError> {
        let node = &self.graph.nodes[id];
        let bits = node.quant.map_or(1, |q| q.bits);
        let nv = num_vars(&node.shape);
        let (top, bot) = saturation::edges(bits);
        let rho = self.t.challenge_scalars(b"saturation-point", nv);
        let lambda = self.t.challenge_scalar(b"saturation-lambda");
        let sop = saturation::sumcheck(lambda, &sp.excess.weights());
        let n_tables = sop.num_tables();
        let counts = *self
            .clamp_counts
            .get(sp.index)
            .ok_or_else(|| self.reject(id, "no clamp count for this rescale"))?;
        let (cd, c1) = saturation::claimed_sum(lambda, counts);
        let claim = self.lin(&[(cd, d), (c1, self.public(Fr::from(1u64)))]);
        let (r, vals) = self.instance(
            id,
            nv,
            &sop,
            claim,
            |r| {
                let mut p = vec![None; n_tables];
                p[0] = Some(eq_eval(&rho, r));
                p[1] = Some(eq_eval(c, r));
                p
            },
            "the clamp is not proven (saturation zero-check)",
        )?;
        let m = sp.excess.parts().len();
        let one = Fr::from(1u64);
        let sum = self.lin(&[(one, vals[1 + m].clone()), (one, vals[2 + m].clone())]);
        let width = self.public(from_i64(top - bot));
        self.require(id, &sum, &width, "the clamp's edge values disagree on Y")?;
        let yv = self.lin(&[
            (-one, vals[1 + m].clone()),
            (from_i64(top), self.public(one)),
        ]);
        let ytid = self.tensor_id(TensorRef::Node(id))?;
        let sign = self.aux_tensor[sp.sign];
        let parts = sp.excess.parts().iter().map(|&a| self.aux_tensor[a]);
        for (k, tid) in std::iter::once(sign).chain(parts).enumerate() {
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
        let cc = crate::circuit::verifier::public_claim::<M>(
            &self.ctx.ped,
            saturation::count_claim(nv, counts),
        );
        self.openings.claim(sign, cc);
        Ok(())
    }
}
