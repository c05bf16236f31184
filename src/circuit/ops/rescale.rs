//! `Rescale`: `X = 2^s·Q + R` at the claim's point, with the remainder
//! (or its limbs) and a wide output's limbs stated and range-checked by
//! lookups; a saturating rescale adds the clamp relation of
//! [`crate::circuit::saturation`] (its construction and why it is sound).

use crate::circuit::layout::num_vars;
use crate::circuit::plan::{limb_weight, SatPlan, TensorRef};
use crate::circuit::proof::Step;
use crate::circuit::prover::Walk as Prover;
use crate::circuit::saturation;
use crate::circuit::verifier::Walk as Verifier;
use crate::circuit::{pow2, CircuitError};
use crate::field::Fr;
use crate::poly::eq_eval;
use crate::sumcheck::EvaluationClaim;
use crate::zk::Mode;

/// A saturating rescale met in the walk: its claim's point and the stated
/// `D̃(point)`, whose sumcheck comes after the walk.
pub(in crate::circuit) struct PendingClamp<V> {
    pub id: usize,
    pub point: Vec<Fr>,
    pub d: V,
}

/// `Σ_k 2^((n−1−k)·12)·v_k` over `n` parts (a
/// [`Ranged`](crate::circuit::plan::Ranged) value's, or an
/// output's limbs; one part has weight 1), from the stated values.
fn weighted_terms<V: Clone>(
    parts: &[usize],
    at: impl Fn(usize) -> Option<V>,
) -> Option<Vec<(Fr, V)>> {
    (parts.iter().enumerate())
        .map(|(k, &a)| at(a).map(|v| (limb_weight(k, parts.len()), v)))
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
            let rec = self.lin(&weighted_terms(limbs, at).expect("stated"));
            M::prove_equal(&mut self.ctx, &rec, &c.value);
        }
        let r = self.lin(&weighted_terms(rp.rem.parts(), at).expect("stated"));
        let one = Fr::from(1u64);
        let q = match (&rp.sat, d) {
            (Some(_), Some(d)) => {
                self.pending_clamps.push(PendingClamp {
                    id,
                    point: c.point.clone(),
                    d,
                });
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

    /// The clamps of the saturating rescales met in the walk
    /// ([`crate::circuit::saturation`]), one sumcheck per batch: the
    /// zero-check at a fresh point shared by the batch, each `D` at its
    /// claim's point and each `Σ S²`; then per clamp the claims on `S`,
    /// `E`'s parts and `Y`, and the sign's opening for the counts.
    pub(in crate::circuit) fn clamps(&mut self) -> Result<(), CircuitError> {
        let pending = std::mem::take(&mut self.pending_clamps);
        let sat = |p: &PendingClamp<M::Known>| -> SatPlan {
            let rp = self.plan.rescale[p.id].as_ref().expect("planned");
            rp.sat.clone().expect("saturating")
        };
        let plans: Vec<SatPlan> = pending.iter().map(sat).collect();
        let shapes: Vec<(usize, usize)> = (pending.iter().zip(&plans))
            .map(|(p, sp)| (p.point.len(), sp.excess.parts().len()))
            .collect();
        for batch in saturation::batches(&shapes) {
            let weights: Vec<Vec<Fr>> = batch.iter().map(|&k| plans[k].excess.weights()).collect();
            let bits: Vec<u32> = (batch.iter())
                .map(|&k| self.graph.nodes[pending[k].id].quant.map_or(1, |q| q.bits))
                .collect();
            let counts: Vec<[u64; 2]> = (batch.iter())
                .map(|&k| self.clamp_counts[plans[k].index])
                .collect();
            let nv = shapes[batch[0]].0;
            let b = saturation::Batch::draw(&mut self.t, nv, &weights, &bits, &counts);
            let mut tables = vec![self.be.eq_table(&b.rho)];
            for &k in &batch {
                let (p, sp) = (&pending[k], &plans[k]);
                tables.push(self.be.eq_table(&p.point));
                for &a in std::iter::once(&sp.sign).chain(sp.excess.parts()) {
                    tables.push(self.openings.table(self.aux_tensor[a]).into_owned());
                }
                let shape = &self.graph.nodes[p.id].shape;
                tables.push(crate::circuit::layout::padded_table(
                    shape,
                    &self.values(p.id),
                ));
            }
            let mut terms: Vec<_> = (b.d_coeffs.iter().zip(&batch))
                .map(|(&c, &k)| (c, pending[k].d))
                .collect();
            terms.push((b.constant, M::public_known(Fr::from(1u64))));
            let claim = self.lin(&terms);
            let (r, vals) = self.instance(tables, &b.sop, claim, &b.public());
            for (i, &k) in batch.iter().enumerate() {
                let (p, sp) = (&pending[k], &plans[k]);
                // S, E's parts, Y.
                let v = &vals[b.values(i)];
                let parts = std::iter::once(sp.sign).chain(sp.excess.parts().iter().copied());
                for (a, &value) in parts.zip(v) {
                    let point = r.clone();
                    self.openings
                        .claim(self.aux_tensor[a], EvaluationClaim { point, value });
                }
                let ytid = self.tensor_id(TensorRef::Node(p.id));
                let y = EvaluationClaim {
                    point: r.clone(),
                    value: v[v.len() - 1],
                };
                self.openings.claim(ytid, y);
                let nv = num_vars(&self.graph.nodes[p.id].shape);
                let count = saturation::count_claim(nv, counts[i]);
                let cc = crate::circuit::prover::public_claim::<M>(count);
                self.openings.claim(self.aux_tensor[sp.sign], cc);
            }
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
            let terms = weighted_terms(limbs, at)
                .ok_or_else(|| self.reject(id, "the rescaled value's limbs are not stated"))?;
            let rec = self.lin(&terms);
            self.require(
                id,
                &rec,
                &c.value,
                "limbs do not recombine to the rescaled value",
            )?;
        }
        let terms = weighted_terms(rp.rem.parts(), at)
            .ok_or_else(|| self.reject(id, "the remainder is not stated"))?;
        let r = self.lin(&terms);
        let q = match (&rp.sat, d) {
            (Some(_), Some(d)) => {
                self.pending_clamps.push(PendingClamp {
                    id,
                    point: c.point.clone(),
                    d: d.clone(),
                });
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

    /// The clamps of the saturating rescales met in the walk (see the
    /// prover's `clamps`): per batch the sumcheck holds at its final point,
    /// its final values are claims on each clamp's `S`, `E` parts and `Y`, and each
    /// sign's opening at `(½, …, ½)` fixes its counts' difference (their sum
    /// is in the sumcheck's claim). A batch that fails is rejected at its
    /// first rescale, naming all of them.
    pub(in crate::circuit) fn clamps(&mut self) -> Result<(), CircuitError> {
        let pending = std::mem::take(&mut self.pending_clamps);
        let mut plans = Vec::with_capacity(pending.len());
        for p in &pending {
            let sp = (self.plan.rescale[p.id].as_ref()).and_then(|rp| rp.sat.clone());
            plans.push(sp.ok_or_else(|| self.reject(p.id, "not a saturating rescale"))?);
        }
        let shapes: Vec<(usize, usize)> = (pending.iter().zip(&plans))
            .map(|(p, sp)| (p.point.len(), sp.excess.parts().len()))
            .collect();
        for batch in saturation::batches(&shapes) {
            let weights: Vec<Vec<Fr>> = batch.iter().map(|&k| plans[k].excess.weights()).collect();
            let bits: Vec<u32> = (batch.iter())
                .map(|&k| self.graph.nodes[pending[k].id].quant.map_or(1, |q| q.bits))
                .collect();
            let mut counts = Vec::with_capacity(batch.len());
            for &k in &batch {
                let c = self.clamp_counts.get(plans[k].index).copied();
                counts.push(c.ok_or_else(|| self.reject(pending[k].id, "no clamp count"))?);
            }
            let nv = shapes[batch[0]].0;
            let b = saturation::Batch::draw(&mut self.t, nv, &weights, &bits, &counts);
            let mut terms: Vec<_> = (b.d_coeffs.iter().zip(&batch))
                .map(|(&c, &k)| (c, pending[k].d.clone()))
                .collect();
            terms.push((b.constant, self.public(Fr::from(1u64))));
            let claim = self.lin(&terms);
            let ids: Vec<usize> = batch.iter().map(|&k| pending[k].id).collect();
            let what =
                format!("the clamps of nodes {ids:?} are not proven (saturation zero-check)");
            let n_tables = b.sop.num_tables();
            let (r, vals) = self.instance(
                ids[0],
                nv,
                &b.sop,
                claim,
                |r| {
                    let mut p = vec![None; n_tables];
                    p[0] = Some(eq_eval(&b.rho, r));
                    for (&o, &k) in b.offsets.iter().zip(&batch) {
                        p[o] = Some(eq_eval(&pending[k].point, r));
                    }
                    p
                },
                &what,
            )?;
            for (i, &k) in batch.iter().enumerate() {
                let (p, sp) = (&pending[k], &plans[k]);
                // S, E's parts, Y.
                let v = &vals[b.values(i)];
                let parts = std::iter::once(sp.sign).chain(sp.excess.parts().iter().copied());
                for (a, value) in parts.zip(v.iter().cloned()) {
                    let point = r.clone();
                    self.openings
                        .claim(self.aux_tensor[a], EvaluationClaim { point, value });
                }
                let ytid = self.tensor_id(TensorRef::Node(p.id))?;
                let y = EvaluationClaim {
                    point: r.clone(),
                    value: v[v.len() - 1].clone(),
                };
                self.openings.claim(ytid, y);
                let nv = num_vars(&self.graph.nodes[p.id].shape);
                let count = saturation::count_claim(nv, counts[i]);
                let cc = crate::circuit::verifier::public_claim::<M>(&self.ctx.ped, count);
                self.openings.claim(self.aux_tensor[sp.sign], cc);
            }
        }
        Ok(())
    }
}
