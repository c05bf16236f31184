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
            let nv = shapes[batch[0]].0;
            let rho = self.t.challenge_scalars(b"saturation-point", nv);
            let lambda = self.t.challenge_scalar(b"saturation-lambda");
            let mu = self.t.challenge_scalar(b"saturation-batch");
            let mut tables = vec![self.be.eq_table(&rho)];
            let mut weights = Vec::with_capacity(batch.len());
            let mut bits = Vec::with_capacity(batch.len());
            let mut counts = Vec::with_capacity(batch.len());
            for &k in &batch {
                let (p, sp) = (&pending[k], &plans[k]);
                let node = &self.graph.nodes[p.id];
                let y = crate::circuit::layout::padded_table(&node.shape, &self.values(p.id));
                tables.push(self.be.eq_table(&p.point));
                tables.push(self.openings.table(self.aux_tensor[sp.sign]).into_owned());
                for &a in sp.excess.parts() {
                    tables.push(self.openings.table(self.aux_tensor[a]).into_owned());
                }
                tables.push(y);
                weights.push(sp.excess.weights());
                bits.push(node.quant.map_or(1, |q| q.bits));
                counts.push(self.clamp_counts[sp.index]);
            }
            let sop = saturation::batched_sumcheck(lambda, mu, &weights, &bits);
            let (ds, constant) = saturation::batched_claim(lambda, mu, &counts);
            let mut terms: Vec<_> = (ds.into_iter().zip(&batch))
                .map(|(c, &k)| (c, pending[k].d))
                .collect();
            terms.push((constant, M::public_known(Fr::from(1u64))));
            let claim = self.lin(&terms);
            let parts: Vec<usize> = weights.iter().map(Vec::len).collect();
            let mut public = vec![false; sop.num_tables()];
            public[0] = true;
            for &b in &saturation::batch_offsets(&parts) {
                public[b] = true;
            }
            let (r, vals) = self.instance(tables, &sop, claim, &public);
            // Per clamp: S, E's parts, Y.
            let mut at = 0;
            for (&k, &m) in batch.iter().zip(&parts) {
                let (p, sp) = (&pending[k], &plans[k]);
                let v = &vals[at..at + 2 + m];
                at += 2 + m;
                let nv = num_vars(&self.graph.nodes[p.id].shape);
                let yv = v[1 + m];
                let sign = self.aux_tensor[sp.sign];
                let ids = std::iter::once(sp.sign).chain(sp.excess.parts().iter().copied());
                for (j, a) in ids.enumerate() {
                    let tid = self.aux_tensor[a];
                    self.openings.claim(
                        tid,
                        EvaluationClaim {
                            point: r.clone(),
                            value: v[j],
                        },
                    );
                }
                let ytid = self.tensor_id(TensorRef::Node(p.id));
                self.openings.claim(
                    ytid,
                    EvaluationClaim {
                        point: r.clone(),
                        value: yv,
                    },
                );
                let counts = self.clamp_counts[sp.index];
                let cc =
                    crate::circuit::prover::public_claim::<M>(saturation::count_claim(nv, counts));
                self.openings.claim(sign, cc);
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
            let nv = shapes[batch[0]].0;
            let first = pending[batch[0]].id;
            let rho = self.t.challenge_scalars(b"saturation-point", nv);
            let lambda = self.t.challenge_scalar(b"saturation-lambda");
            let mu = self.t.challenge_scalar(b"saturation-batch");
            let mut counts = Vec::with_capacity(batch.len());
            for &k in &batch {
                let c = self.clamp_counts.get(plans[k].index).copied();
                counts.push(c.ok_or_else(|| self.reject(pending[k].id, "no clamp count"))?);
            }
            let weights: Vec<Vec<Fr>> = batch.iter().map(|&k| plans[k].excess.weights()).collect();
            let bits: Vec<u32> = (batch.iter())
                .map(|&k| self.graph.nodes[pending[k].id].quant.map_or(1, |q| q.bits))
                .collect();
            let parts: Vec<usize> = weights.iter().map(Vec::len).collect();
            let sop = saturation::batched_sumcheck(lambda, mu, &weights, &bits);
            let (ds, constant) = saturation::batched_claim(lambda, mu, &counts);
            let mut terms: Vec<_> = (ds.into_iter().zip(&batch))
                .map(|(c, &k)| (c, pending[k].d.clone()))
                .collect();
            terms.push((constant, self.public(Fr::from(1u64))));
            let claim = self.lin(&terms);
            let offsets = saturation::batch_offsets(&parts);
            let n_tables = sop.num_tables();
            let points: Vec<&[Fr]> = batch.iter().map(|&k| pending[k].point.as_slice()).collect();
            let ids: Vec<usize> = batch.iter().map(|&k| pending[k].id).collect();
            let what =
                format!("the clamps of nodes {ids:?} are not proven (saturation zero-check)");
            let (r, vals) = self.instance(
                first,
                nv,
                &sop,
                claim,
                |r| {
                    let mut p = vec![None; n_tables];
                    p[0] = Some(eq_eval(&rho, r));
                    for (&b, c) in offsets.iter().zip(&points) {
                        p[b] = Some(eq_eval(c, r));
                    }
                    p
                },
                &what,
            )?;
            let mut at = 0;
            for (i, (&k, &m)) in batch.iter().zip(&parts).enumerate() {
                let (p, sp) = (&pending[k], &plans[k]);
                let v = &vals[at..at + 2 + m];
                at += 2 + m;
                let nv = num_vars(&self.graph.nodes[p.id].shape);
                let yv = v[1 + m].clone();
                let sign = self.aux_tensor[sp.sign];
                let ids = std::iter::once(sp.sign).chain(sp.excess.parts().iter().copied());
                for (j, a) in ids.enumerate() {
                    let tid = self.aux_tensor[a];
                    self.openings.claim(
                        tid,
                        EvaluationClaim {
                            point: r.clone(),
                            value: v[j].clone(),
                        },
                    );
                }
                let ytid = self.tensor_id(TensorRef::Node(p.id))?;
                self.openings.claim(
                    ytid,
                    EvaluationClaim {
                        point: r.clone(),
                        value: yv,
                    },
                );
                let cc = crate::circuit::verifier::public_claim::<M>(
                    &self.ctx.ped,
                    saturation::count_claim(nv, counts[i]),
                );
                self.openings.claim(sign, cc);
            }
        }
        Ok(())
    }
}
