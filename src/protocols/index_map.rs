//! Index maps: reshape, transpose/permute, slice, concat, split, repeat,
//! rotate_half.
//!
//! Maps that only relabel variables cost nothing: a transpose of padded dims,
//! or a reshape that keeps every element's padded index, turns a claim on the
//! output into a claim on the input at a rearranged point ([`permute_point`],
//! [`reshape_is_free`]). Every other map is a public signed selection
//! `C[x] = ±A[src(x)]` (or 0), proven by [`prove_select`]: with
//! `W_u(y) = Σ_{x: src(x)=y} ±eq(u, x)`, `C̃(u) = Σ_y Ã(y)·W_u(y)`, a degree-2
//! sumcheck, after which the verifier evaluates `W̃_u(r)` itself in
//! `O(|C| + √|A|)`. Several inputs (concat) each get their own sumcheck; the
//! prover states each input's share of the claim, which must add up.

use super::ProtocolError;
use crate::backend::Backend;
use crate::field::Fr;
use crate::poly::{eq_table, SumOfProducts};
use crate::sumcheck::EvaluationClaim;
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};
use crate::zk::{prove_instance, verify_instance, Clear, Instance, Mode, ProverCtx, VerifierCtx};

const GADGET: &str = "index map";

/// Padded log size of a dimension.
pub fn log_dim(d: usize) -> usize {
    crate::poly::num_vars_for(d)
}

/// The point on the input of a permutation of axes. `in_dims` are the
/// input's dims (outermost first); output axis `a` is input axis `perm[a]`.
pub fn permute_point(in_dims: &[usize], perm: &[usize], out_point: &[Fr]) -> Vec<Fr> {
    assert_eq!(in_dims.len(), perm.len());
    let rank = perm.len();
    // Split the output point into per-axis blocks (the last axis is lowest).
    let mut blocks: Vec<&[Fr]> = vec![&[]; rank];
    let mut rest = out_point;
    for a in (0..rank).rev() {
        let (block, tail) = rest.split_at(log_dim(in_dims[perm[a]]));
        blocks[a] = block;
        rest = tail;
    }
    assert!(rest.is_empty(), "point does not match the shape");
    let mut in_point = Vec::with_capacity(out_point.len());
    for d in (0..rank).rev() {
        let a = perm
            .iter()
            .position(|&p| p == d)
            .expect("perm is a permutation");
        in_point.extend_from_slice(blocks[a]);
    }
    in_point
}

/// Whether a reshape leaves every element at the same padded index (then
/// the claim passes through unchanged). True when the two shapes group into
/// runs of equal product in which every axis but the outermost of the run is
/// a power of two.
pub fn reshape_is_free(in_dims: &[usize], out_dims: &[usize]) -> bool {
    let (mut i, mut o) = (0, 0);
    let skip_ones = |dims: &[usize], mut k: usize| {
        while k < dims.len() && dims[k] == 1 {
            k += 1;
        }
        k
    };
    loop {
        i = skip_ones(in_dims, i);
        o = skip_ones(out_dims, o);
        if i == in_dims.len() || o == out_dims.len() {
            return i == in_dims.len() && o == out_dims.len();
        }
        let (mut pi, mut po) = (in_dims[i], out_dims[o]);
        i += 1;
        o += 1;
        while pi != po {
            let (dims, k, p) = if pi < po {
                (in_dims, &mut i, &mut pi)
            } else {
                (out_dims, &mut o, &mut po)
            };
            if *k == dims.len() || !dims[*k].is_power_of_two() {
                return false;
            }
            *p *= dims[*k];
            *k += 1;
        }
        // Inner axes of the run in the other shape must also be powers of two;
        // they were checked as they were multiplied in.
    }
}

/// One output element as a signed copy of an input element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelectEntry {
    pub out: u32,
    pub src: u32,
    pub negate: bool,
}

/// A public selection from one input table into the output table; output
/// indices not listed are zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub in_vars: usize,
    pub out_vars: usize,
    pub entries: Vec<SelectEntry>,
}

impl Selection {
    /// Applies the selection (witness side).
    pub fn apply(&self, input: &[Fr], output: &mut [Fr]) {
        for e in &self.entries {
            let v = input[e.src as usize];
            output[e.out as usize] = if e.negate { -v } else { v };
        }
    }

    fn weights(&self, eq_u: &[Fr]) -> Vec<Fr> {
        let mut w = vec![Fr::from(0u64); 1 << self.in_vars];
        for e in &self.entries {
            let x = eq_u[e.out as usize];
            if e.negate {
                w[e.src as usize] -= x;
            } else {
                w[e.src as usize] += x;
            }
        }
        w
    }

    /// `W̃_u(r) = Σ_entries ±eq(u, out)·eq(r, src)` for the verifier.
    fn weight_at(&self, eq_u: &[Fr], r: &[Fr]) -> Fr {
        let eq_r = SplitEq::new(r);
        self.entries
            .iter()
            .map(|e| {
                let x = eq_u[e.out as usize] * eq_r.get(e.src as usize);
                if e.negate {
                    -x
                } else {
                    x
                }
            })
            .sum()
    }
}

/// `eq(r, i)` for arbitrary `i` from two tables of `√2^n` entries.
pub struct SplitEq {
    low_bits: usize,
    low: Vec<Fr>,
    high: Vec<Fr>,
}

impl SplitEq {
    pub fn new(r: &[Fr]) -> Self {
        let low_bits = r.len() / 2;
        Self {
            low_bits,
            low: eq_table(&r[..low_bits]),
            high: eq_table(&r[low_bits..]),
        }
    }

    pub fn get(&self, i: usize) -> Fr {
        self.low[i & ((1 << self.low_bits) - 1)] * self.high[i >> self.low_bits]
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SelectProof<M: Mode = Clear> {
    /// Each input's share `Σ_y Ã_k(y)·W_{u,k}(y)` of the output claim.
    pub shares: Vec<M::Sent>,
    /// Per input: the sumcheck over `Ã_k·W_{u,k}` and `Ã_k(r_k)`.
    pub sumchecks: Vec<Instance<M>>,
}

impl<M: Mode> Wire for SelectProof<M> {
    const MIN_BYTES: usize = 8;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.shares);
        w.put_seq(&self.sumchecks);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let shares: Vec<M::Sent> = r.get_seq("select shares")?;
        let sumchecks = r.get_seq_exact("select sumchecks", shares.len())?;
        Ok(Self { shares, sumchecks })
    }
}

fn begin<M: Mode>(t: &mut Transcript, sels: &[Selection], shares: &[M::Sent]) {
    t.append_bytes(b"gadget", GADGET.as_bytes());
    t.append_u64(b"select-inputs", sels.len() as u64);
    for s in sels {
        t.append_u64(b"select-in-vars", s.in_vars as u64);
        t.append_u64(b"select-entries", s.entries.len() as u64);
    }
    for v in shares {
        M::absorb_sent(t, b"select-shares", v);
    }
}

/// Proves in the clear. See [`prove_select_in`].
pub fn prove_select(
    backend: &dyn Backend,
    sels: &[Selection],
    inputs: &[&[Fr]],
    c: &EvaluationClaim,
    transcript: &mut Transcript,
) -> (SelectProof, Vec<EvaluationClaim>) {
    prove_select_in::<Clear>(
        &mut ProverCtx::clear(),
        backend,
        sels,
        inputs,
        c,
        transcript,
    )
}

/// Proves the claim `c` on the output of the selections `sels` applied to
/// `inputs` (one selection per input, disjoint outputs).
pub fn prove_select_in<M: Mode>(
    ctx: &mut ProverCtx,
    backend: &dyn Backend,
    sels: &[Selection],
    inputs: &[&[Fr]],
    c: &EvaluationClaim<M::Known>,
    transcript: &mut Transcript,
) -> (SelectProof<M>, Vec<EvaluationClaim<M::Known>>) {
    assert_eq!(sels.len(), inputs.len());
    let eq_u = backend.eq_table(&c.point);
    let weights: Vec<Vec<Fr>> = sels.iter().map(|s| s.weights(&eq_u)).collect();
    let shares: Vec<M::Known> = weights
        .iter()
        .zip(inputs)
        .map(|(w, a)| M::fresh(ctx, backend.inner_product(w, a)))
        .collect();
    let sent: Vec<M::Sent> = shares.iter().map(|k| M::send(ctx, k)).collect();
    begin::<M>(transcript, sels, &sent);
    let one = Fr::from(1u64);
    let total: Vec<(Fr, M::Known)> = shares.iter().map(|k| (one, *k)).collect();
    M::prove_equal(ctx, &M::combine_known(&total), &c.value);
    let sop = SumOfProducts::product(2);
    let (mut sumchecks, mut claims) = (vec![], vec![]);
    for ((w, a), share) in weights.into_iter().zip(inputs).zip(&shares) {
        let (proof, point, values) = prove_instance::<M>(
            ctx,
            backend,
            vec![a.to_vec(), w],
            &sop,
            *share,
            &[false, true],
            transcript,
        );
        claims.push(EvaluationClaim {
            point,
            value: values[0],
        });
        sumchecks.push(proof);
    }
    (
        SelectProof {
            shares: sent,
            sumchecks,
        },
        claims,
    )
}

/// Verifies in the clear. See [`verify_select_in`].
pub fn verify_select(
    sels: &[Selection],
    c: &EvaluationClaim,
    proof: &SelectProof,
    transcript: &mut Transcript,
) -> Result<Vec<EvaluationClaim>, ProtocolError> {
    verify_select_in::<Clear>(&mut VerifierCtx::clear(), sels, c, proof, transcript)
}

/// Verifies; returns one claim per input.
pub fn verify_select_in<M: Mode>(
    ctx: &mut VerifierCtx,
    sels: &[Selection],
    c: &EvaluationClaim<M::Value>,
    proof: &SelectProof<M>,
    transcript: &mut Transcript,
) -> Result<Vec<EvaluationClaim<M::Value>>, ProtocolError> {
    let k = sels.len();
    if proof.shares.len() != k || proof.sumchecks.len() != k {
        return Err(ProtocolError::Malformed {
            gadget: GADGET,
            what: "wrong number of inputs",
        });
    }
    if sels.iter().any(|s| s.out_vars != c.point.len()) {
        return Err(ProtocolError::Malformed {
            gadget: GADGET,
            what: "claim point has the wrong dimension",
        });
    }
    begin::<M>(transcript, sels, &proof.shares);
    let shares: Vec<M::Value> = proof.shares.iter().map(M::received).collect();
    let one = Fr::from(1u64);
    let total: Vec<(Fr, M::Value)> = shares.iter().map(|v| (one, v.clone())).collect();
    if !M::require_equal(ctx, &M::combine(&total), &c.value) {
        return Err(ProtocolError::Rejected {
            gadget: GADGET,
            what: "input shares do not add up to the output claim",
        });
    }
    let eq_u = eq_table(&c.point);
    let sop = SumOfProducts::product(2);
    let mut claims = Vec::with_capacity(k);
    for i in 0..k {
        let sel = &sels[i];
        let public = |r: &[Fr]| vec![None, Some(sel.weight_at(&eq_u, r))];
        let (point, mut values) = verify_instance::<M>(
            ctx,
            sel.in_vars,
            &sop,
            shares[i].clone(),
            public,
            &proof.sumchecks[i],
            transcript,
        )
        .map_err(ProtocolError::instance(GADGET))?;
        claims.push(EvaluationClaim {
            point,
            value: values.pop().expect("one value"),
        });
    }
    Ok(claims)
}

/// The selection of `rotate_half` on the last axis (size `d`, even) of a
/// `[rows, d]` tensor: `y = [−x[d/2..], x[..d/2]]`.
pub fn rotate_half(rows: usize, d: usize) -> Selection {
    assert!(d % 2 == 0, "rotate_half needs an even last axis");
    let (lr, ld) = (log_dim(rows), log_dim(d));
    let half = d / 2;
    let mut entries = Vec::with_capacity(rows * d);
    for i in 0..rows {
        for j in 0..d {
            let (src, negate) = if j < half {
                (j + half, true)
            } else {
                (j - half, false)
            };
            entries.push(SelectEntry {
                out: ((i << ld) + j) as u32,
                src: ((i << ld) + src) as u32,
                negate,
            });
        }
    }
    Selection {
        in_vars: lr + ld,
        out_vars: lr + ld,
        entries,
    }
}

/// The selection of a row-major reshape (works for any shapes).
pub fn reshape(in_dims: &[usize], out_dims: &[usize]) -> Selection {
    let total: usize = in_dims.iter().product();
    assert_eq!(
        total,
        out_dims.iter().product::<usize>(),
        "reshape changes size"
    );
    let entries = (0..total)
        .map(|e| SelectEntry {
            out: padded_index(out_dims, e) as u32,
            src: padded_index(in_dims, e) as u32,
            negate: false,
        })
        .collect();
    Selection {
        in_vars: in_dims.iter().map(|&d| log_dim(d)).sum(),
        out_vars: out_dims.iter().map(|&d| log_dim(d)).sum(),
        entries,
    }
}

/// Slice `[start, start + len)` of axis `axis`.
pub fn slice(in_dims: &[usize], axis: usize, start: usize, len: usize, step: usize) -> Selection {
    assert!(step >= 1 && (len == 0 || start + (len - 1) * step < in_dims[axis]));
    let mut out_dims = in_dims.to_vec();
    out_dims[axis] = len;
    let total: usize = out_dims.iter().product();
    let entries = (0..total)
        .map(|e| {
            let mut idx = unravel(&out_dims, e);
            let out = ravel_padded(&out_dims, &idx);
            idx[axis] = start + idx[axis] * step;
            SelectEntry {
                out: out as u32,
                src: ravel_padded(in_dims, &idx) as u32,
                negate: false,
            }
        })
        .collect();
    Selection {
        in_vars: in_dims.iter().map(|&d| log_dim(d)).sum(),
        out_vars: out_dims.iter().map(|&d| log_dim(d)).sum(),
        entries,
    }
}

/// Concatenation of `inputs` (shapes) along `axis`: one selection per input.
pub fn concat(inputs: &[Vec<usize>], axis: usize) -> Vec<Selection> {
    let mut out_dims = inputs[0].clone();
    out_dims[axis] = inputs.iter().map(|d| d[axis]).sum();
    let out_vars = out_dims.iter().map(|&d| log_dim(d)).sum();
    let mut offset = 0;
    inputs
        .iter()
        .map(|dims| {
            let total: usize = dims.iter().product();
            let entries = (0..total)
                .map(|e| {
                    let mut idx = unravel(dims, e);
                    let src = ravel_padded(dims, &idx);
                    idx[axis] += offset;
                    SelectEntry {
                        out: ravel_padded(&out_dims, &idx) as u32,
                        src: src as u32,
                        negate: false,
                    }
                })
                .collect();
            offset += dims[axis];
            Selection {
                in_vars: dims.iter().map(|&d| log_dim(d)).sum(),
                out_vars,
                entries,
            }
        })
        .collect()
}

fn unravel(dims: &[usize], mut e: usize) -> Vec<usize> {
    let mut idx = vec![0; dims.len()];
    for a in (0..dims.len()).rev() {
        idx[a] = e % dims[a];
        e /= dims[a];
    }
    idx
}

/// Index of a multi-index in the per-axis padded layout.
pub fn ravel_padded(dims: &[usize], idx: &[usize]) -> usize {
    dims.iter()
        .zip(idx)
        .fold(0, |acc, (&d, &i)| (acc << log_dim(d)) + i)
}

/// Padded index of the `e`-th element in row-major logical order.
pub fn padded_index(dims: &[usize], e: usize) -> usize {
    ravel_padded(dims, &unravel(dims, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_reshapes() {
        assert!(reshape_is_free(&[5, 768], &[5, 12, 64]));
        assert!(reshape_is_free(&[5, 12, 64], &[5, 768]));
        assert!(reshape_is_free(&[1, 5, 64], &[5, 64]));
        assert!(!reshape_is_free(&[5, 12, 6], &[5, 72]));
        assert!(!reshape_is_free(&[6, 4], &[4, 6]));
        assert!(reshape_is_free(&[3, 4, 8], &[3, 32]));
        // The claim to check: padded indices agree on every element.
        for (a, b) in [
            (vec![5, 768], vec![5, 12, 64]),
            (vec![3, 4, 8], vec![3, 32]),
        ] {
            let total: usize = a.iter().product();
            for e in 0..total {
                assert_eq!(padded_index(&a, e), padded_index(&b, e));
            }
        }
    }
}
