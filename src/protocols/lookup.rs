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

#[derive(Clone, Debug, PartialEq)]
pub struct InputProof {
    pub tree: FractionTreeProof,
    /// `x̃(ρ)` and, for a function table, `ỹ(ρ)` at the tree's leaf point.
    pub x_value: Fr,
    pub y_value: Fr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LookupProof {
    pub inputs: Vec<InputProof>,
    pub table: FractionTreeProof,
}

impl Wire for InputProof {
    const MIN_BYTES: usize = FractionTreeProof::MIN_BYTES + 64;
    fn write(&self, w: &mut Writer) {
        self.tree.write(w);
        w.put(&self.x_value);
        w.put(&self.y_value);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            tree: r.get()?,
            x_value: r.get()?,
            y_value: r.get()?,
        })
    }
}

impl Wire for LookupProof {
    const MIN_BYTES: usize = 4 + FractionTreeProof::MIN_BYTES;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.inputs);
        self.table.write(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            inputs: r.get_seq("lookup inputs")?,
            table: r.get()?,
        })
    }
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
    let mut proofs = Vec::with_capacity(inputs.len());
    let mut claims = LookupClaims {
        x: vec![],
        y: vec![],
        multiplicities: EvaluationClaim {
            point: vec![],
            value: Fr::from(0u64),
        },
    };
    for w in inputs {
        let p: Vec<Fr> = (0..w.x.len())
            .map(|i| Fr::from((i < w.len) as u64))
            .collect();
        let q: Vec<Fr> = match w.y {
            Some(y) => {
                w.x.iter()
                    .zip(y)
                    .map(|(x, y)| beta - x - alpha * y)
                    .collect()
            }
            None => w.x.iter().map(|x| beta - x).collect(),
        };
        let (tree, leaf) = prove_fraction_tree(backend, p, q, transcript);
        let x_value = backend.evaluate(w.x, &leaf.point);
        let y_value =
            w.y.map(|y| backend.evaluate(y, &leaf.point))
                .unwrap_or_default();
        absorb_values(transcript, &x_value, &y_value);
        claims.x.push(EvaluationClaim {
            point: leaf.point.clone(),
            value: x_value,
        });
        if w.y.is_some() {
            claims.y.push(EvaluationClaim {
                point: leaf.point,
                value: y_value,
            });
        }
        proofs.push(InputProof {
            tree,
            x_value,
            y_value,
        });
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
            inputs: proofs,
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
    // Running sum num/den of the input-side fractions.
    let (mut num, mut den) = (Fr::from(0u64), Fr::from(1u64));
    for (s, ip) in shapes.iter().zip(&proof.inputs) {
        let leaf = verify_fraction_tree(s.num_vars, &ip.tree, transcript)?;
        absorb_values(transcript, &ip.x_value, &ip.y_value);
        if leaf.leaf_p != prefix_indicator(&leaf.point, s.len) {
            return Err(ProtocolError::Rejected {
                gadget: GADGET,
                what: "numerators are not the padding indicator",
            });
        }
        let y = if table.is_function() {
            ip.y_value
        } else {
            Fr::from(0u64)
        };
        if leaf.leaf_q != beta - ip.x_value - alpha * y {
            return Err(ProtocolError::Rejected {
                gadget: GADGET,
                what: "denominators do not match the looked-up values",
            });
        }
        claims.x.push(EvaluationClaim {
            point: leaf.point.clone(),
            value: ip.x_value,
        });
        if table.is_function() {
            claims.y.push(EvaluationClaim {
                point: leaf.point,
                value: ip.y_value,
            });
        }
        num = num * leaf.root_q + leaf.root_p * den;
        den *= leaf.root_q;
    }
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
