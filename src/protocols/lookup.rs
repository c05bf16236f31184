//! tlookup by logUp: every looked-up pair `(x_i, y_i)` is a row of a public
//! table `{(t_j, f(t_j))}` iff, for random `α, β`,
//! `Σ_i 1/(β − x_i − α·y_i) = Σ_j m_j/(β − t_j − α·f(t_j))`,
//! where `m_j` counts how often row `j` is used. Range checks are the
//! single-column case. Both sums are proven by [`super::logup`]'s GKR, so
//! only the multiplicities `m` are committed — no inverse tensors.
//!
//! All tensors checked against one table share one table-side tree (and one
//! multiplicity vector). Padding entries of an input (past its real length)
//! are excluded by the numerator `p_i = [i < len]`, whose MLE the verifier
//! computes; the table's input column MLE is closed-form and its output
//! column is evaluated by the verifier from the public function.
//!
//! # Soundness
//! Before calling [`prove`]/[`verify`], the caller must have absorbed the
//! commitments to every looked-up tensor and to the multiplicities: `α` and
//! `β` are drawn here, and must not be predictable when those are fixed.
//! The returned claims on the inputs, outputs and multiplicities must then
//! be discharged by openings of those commitments.

use super::linear::prefix_indicator;
use super::logup::{prove_fraction_tree, verify_fraction_tree, FractionTreeProof};
use super::tables::LookupTable;
use super::ProtocolError;
use crate::backend::Backend;
use crate::field::{from_i64, Fr};
use crate::sumcheck::EvaluationClaim;
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};

const GADGET: &str = "lookup";

/// The public shape of one looked-up tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LookupShape {
    /// Variables of the (padded) tensor.
    pub num_vars: usize,
    /// Real entries; entries past `len` are padding and are not looked up.
    pub len: usize,
}

/// One looked-up tensor on the prover's side: inputs and, for a function
/// table, outputs (padded tables of `2^num_vars` entries).
pub struct LookupWitness<'a> {
    pub len: usize,
    pub x: &'a [Fr],
    pub y: Option<&'a [Fr]>,
}

/// The values a looked-up tensor takes at the tree's leaf point.
#[derive(Clone, Debug, PartialEq)]
pub struct InputProof {
    /// `x̃(ρ)` and, for a function table, `ỹ(ρ)` (ρ restricted to the tensor's variables).
    pub x_value: Fr,
    pub y_value: Fr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LookupProof {
    /// One fraction tree over every looked-up tensor, laid end to end.
    pub tree: FractionTreeProof,
    pub inputs: Vec<InputProof>,
    pub table: FractionTreeProof,
}

impl Wire for InputProof {
    const MIN_BYTES: usize = 64;
    fn write(&self, w: &mut Writer) {
        w.put(&self.x_value);
        w.put(&self.y_value);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            x_value: r.get()?,
            y_value: r.get()?,
        })
    }
}

impl Wire for LookupProof {
    const MIN_BYTES: usize = 4 + 2 * <FractionTreeProof as Wire>::MIN_BYTES;
    fn write(&self, w: &mut Writer) {
        self.tree.write(w);
        w.put_seq(&self.inputs);
        self.table.write(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            tree: r.get()?,
            inputs: r.get_seq("lookup inputs")?,
            table: r.get()?,
        })
    }
}

/// Where each looked-up tensor sits among the leaves of the one input-side
/// tree: sorted by size (largest first) and laid end to end, so every block
/// starts at a multiple of its own size; the leaves past the last block are
/// padding with `p = 0, q = 1`. Derived from the public shapes alone.
struct LeafLayout {
    vars: usize,
    offsets: Vec<usize>,
}

fn leaf_layout(shapes: &[LookupShape]) -> LeafLayout {
    let mut order: Vec<usize> = (0..shapes.len()).collect();
    order.sort_by(|&a, &b| shapes[b].num_vars.cmp(&shapes[a].num_vars));
    let mut offsets = vec![0; shapes.len()];
    let mut end = 0usize;
    for &k in &order {
        offsets[k] = end;
        end += 1 << shapes[k].num_vars;
    }
    LeafLayout {
        vars: end.max(1).next_power_of_two().trailing_zeros() as usize,
        offsets,
    }
}

/// `eq` of the leaf point's high variables with the block of tensor `k`:
/// the weight of that tensor's MLE in the leaves' MLE.
fn block_weight(point: &[Fr], num_vars: usize, offset: usize) -> Fr {
    super::linear::eq_index(&point[num_vars..], offset >> num_vars)
}

/// Claims left for the caller: per input `x` (and `y`), and the multiplicities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupClaims {
    pub x: Vec<EvaluationClaim>,
    /// Empty for a range table.
    pub y: Vec<EvaluationClaim>,
    pub multiplicities: EvaluationClaim,
}

/// Counts how often each table row is used, checking every entry is in the
/// table (with the right output). Errors name the input and position.
pub fn multiplicities(
    table: &LookupTable,
    inputs: &[(&[i64], Option<&[i64]>)],
) -> Result<Vec<i64>, ProtocolError> {
    let mut m = vec![0i64; table.len()];
    for (k, (x, y)) in inputs.iter().enumerate() {
        for (i, &v) in x.iter().enumerate() {
            if !table.contains(v) {
                return Err(ProtocolError::Witness {
                    gadget: GADGET,
                    what: format!(
                        "input {k}, position {i}: value {v} is outside the table [{}, {})",
                        table.lo,
                        table.lo + table.len() as i64
                    ),
                });
            }
            if let Some(y) = y {
                let want = table.output(v);
                if y[i] != want {
                    return Err(ProtocolError::Witness {
                        gadget: GADGET,
                        what: format!(
                            "input {k}, position {i}: output {} is not f({v}) = {want}",
                            y[i]
                        ),
                    });
                }
            }
            m[(v - table.lo) as usize] += 1;
        }
    }
    Ok(m)
}

fn challenges(t: &mut Transcript, table: &LookupTable, shapes: &[LookupShape]) -> (Fr, Fr) {
    t.append_bytes(b"gadget", GADGET.as_bytes());
    t.append_bytes(b"lookup-table", &table.descriptor());
    t.append_u64(b"lookup-inputs", shapes.len() as u64);
    for s in shapes {
        t.append_u64(b"lookup-vars", s.num_vars as u64);
        t.append_u64(b"lookup-len", s.len as u64);
    }
    let alpha = if table.is_function() {
        t.challenge_scalar(b"lookup-alpha")
    } else {
        Fr::from(0u64)
    };
    (alpha, t.challenge_scalar(b"lookup-beta"))
}

/// Proves that every `(x, y)` of `inputs` is a row of `table`; `m` are the
/// multiplicities from [`multiplicities`] as field elements (padded to the table).
pub fn prove(
    backend: &dyn Backend,
    table: &LookupTable,
    inputs: &[LookupWitness<'_>],
    m: &[Fr],
    transcript: &mut Transcript,
) -> (LookupProof, LookupClaims) {
    assert_eq!(m.len(), table.len());
    assert!(inputs.iter().all(|w| w.y.is_some() == table.is_function()));
    let shapes: Vec<LookupShape> = inputs
        .iter()
        .map(|w| LookupShape {
            num_vars: w.x.len().trailing_zeros() as usize,
            len: w.len,
        })
        .collect();
    let (alpha, beta) = challenges(transcript, table, &shapes);
    let layout = leaf_layout(&shapes);
    let mut p = vec![Fr::from(0u64); 1 << layout.vars];
    let mut q = vec![Fr::from(1u64); 1 << layout.vars];
    for (w, &off) in inputs.iter().zip(&layout.offsets) {
        for i in 0..w.x.len() {
            p[off + i] = Fr::from((i < w.len) as u64);
            q[off + i] = match w.y {
                Some(y) => beta - w.x[i] - alpha * y[i],
                None => beta - w.x[i],
            };
        }
    }
    let (tree, leaf) = prove_fraction_tree(backend, p, q, transcript);
    let mut claims = LookupClaims {
        x: vec![],
        y: vec![],
        multiplicities: EvaluationClaim {
            point: vec![],
            value: Fr::from(0u64),
        },
    };
    let mut values = Vec::with_capacity(inputs.len());
    for (w, s) in inputs.iter().zip(&shapes) {
        let point = leaf.point[..s.num_vars].to_vec();
        let x_value = backend.evaluate(w.x, &point);
        let y_value = w.y.map(|y| backend.evaluate(y, &point)).unwrap_or_default();
        claims.x.push(EvaluationClaim {
            point: point.clone(),
            value: x_value,
        });
        if w.y.is_some() {
            claims.y.push(EvaluationClaim {
                point,
                value: y_value,
            });
        }
        values.push(InputProof { x_value, y_value });
    }
    for v in &values {
        absorb_values(transcript, &v.x_value, &v.y_value);
    }
    let t_q: Vec<Fr> = match &table.func {
        Some(_) => table
            .outputs()
            .iter()
            .enumerate()
            .map(|(j, f)| beta - from_i64(table.lo + j as i64) - alpha * f)
            .collect(),
        None => (0..table.len())
            .map(|j| beta - from_i64(table.lo + j as i64))
            .collect(),
    };
    let (table_tree, leaf) = prove_fraction_tree(backend, m.to_vec(), t_q, transcript);
    claims.multiplicities = EvaluationClaim {
        point: leaf.point,
        value: leaf.leaf_p,
    };
    (
        LookupProof {
            tree,
            inputs: values,
            table: table_tree,
        },
        claims,
    )
}

fn absorb_values(t: &mut Transcript, x: &Fr, y: &Fr) {
    t.append_scalar(b"lookup-x", x);
    t.append_scalar(b"lookup-y", y);
}

/// Verifies a batched lookup against `table` for tensors of `shapes`.
pub fn verify(
    table: &LookupTable,
    shapes: &[LookupShape],
    proof: &LookupProof,
    transcript: &mut Transcript,
) -> Result<LookupClaims, ProtocolError> {
    if proof.inputs.len() != shapes.len() {
        return Err(ProtocolError::Malformed {
            gadget: GADGET,
            what: "wrong number of looked-up tensors",
        });
    }
    for s in shapes {
        assert!(s.len <= 1 << s.num_vars, "lookup length exceeds the tensor");
    }
    let (alpha, beta) = challenges(transcript, table, shapes);
    let mut claims = LookupClaims {
        x: vec![],
        y: vec![],
        multiplicities: EvaluationClaim {
            point: vec![],
            value: Fr::from(0u64),
        },
    };
    let layout = leaf_layout(shapes);
    let inputs_leaf = verify_fraction_tree(layout.vars, &proof.tree, transcript)?;
    for v in &proof.inputs {
        absorb_values(transcript, &v.x_value, &v.y_value);
    }
    // The leaves' MLE is the sum of the blocks' MLEs (weighted by where they
    // sit) plus the padding (p = 0, q = 1).
    let (mut p_expected, mut q_expected, mut covered) =
        (Fr::from(0u64), Fr::from(0u64), Fr::from(0u64));
    for ((s, v), &off) in shapes.iter().zip(&proof.inputs).zip(&layout.offsets) {
        let point = &inputs_leaf.point[..s.num_vars];
        let weight = block_weight(&inputs_leaf.point, s.num_vars, off);
        let y = if table.is_function() {
            v.y_value
        } else {
            Fr::from(0u64)
        };
        p_expected += weight * prefix_indicator(point, s.len);
        q_expected += weight * (beta - v.x_value - alpha * y);
        covered += weight;
        claims.x.push(EvaluationClaim {
            point: point.to_vec(),
            value: v.x_value,
        });
        if table.is_function() {
            claims.y.push(EvaluationClaim {
                point: point.to_vec(),
                value: v.y_value,
            });
        }
    }
    q_expected += Fr::from(1u64) - covered;
    if inputs_leaf.leaf_p != p_expected {
        return Err(ProtocolError::Rejected {
            gadget: GADGET,
            what: "numerators are not the padding indicator",
        });
    }
    if inputs_leaf.leaf_q != q_expected {
        return Err(ProtocolError::Rejected {
            gadget: GADGET,
            what: "denominators do not match the looked-up values",
        });
    }
    let (num, den) = (inputs_leaf.root_p, inputs_leaf.root_q);
    let leaf = verify_fraction_tree(table.log_size as usize, &proof.table, transcript)?;
    let t_in = table.input_mle(&leaf.point);
    let t_out = if table.is_function() {
        let eq = crate::poly::eq_table(&leaf.point);
        table.outputs().iter().zip(&eq).map(|(f, e)| *f * e).sum()
    } else {
        Fr::from(0u64)
    };
    if leaf.leaf_q != beta - t_in - alpha * t_out {
        return Err(ProtocolError::Rejected {
            gadget: GADGET,
            what: "table denominators do not match the public table",
        });
    }
    use ark_ff::Zero;
    if den.is_zero() || leaf.root_q.is_zero() {
        return Err(ProtocolError::Rejected {
            gadget: GADGET,
            what: "a denominator is zero",
        });
    }
    if num * leaf.root_q != leaf.root_p * den {
        return Err(ProtocolError::Rejected {
            gadget: GADGET,
            what: "looked-up values are not in the table (logUp sums differ)",
        });
    }
    claims.multiplicities = EvaluationClaim {
        point: leaf.point,
        value: leaf.leaf_p,
    };
    Ok(claims)
}
