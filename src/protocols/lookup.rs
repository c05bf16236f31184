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
use super::logup::{prove_fraction_tree_in, verify_fraction_tree_in, FractionTreeProof};
use super::tables::LookupTable;
use super::ProtocolError;
use crate::backend::Backend;
use crate::field::{from_i64, Fr};
use crate::sumcheck::EvaluationClaim;
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};
use crate::zk::{Clear, Mode, ProverCtx, VerifierCtx};

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
pub struct LookupProof<M: Mode = Clear> {
    /// One fraction tree over every looked-up tensor, laid end to end.
    pub tree: FractionTreeProof<M>,
    /// Per looked-up tensor, its `x̃(ρ)` and, for a function table, `ỹ(ρ)`
    /// at the tree's leaf point (ρ restricted to the tensor's variables).
    pub values: Vec<M::Sent>,
    pub table: FractionTreeProof<M>,
    /// `1/Q` of both trees' roots: a denominator is non-zero because it has
    /// an inverse (the products below show `inverse · Q = 1`).
    pub inverses: Vec<M::Sent>,
    /// `inv_in·Q_in`, `inv_tab·Q_tab`, `P_in·Q_tab`, `P_tab·Q_in`.
    pub products: Vec<M::Product>,
}

impl<M: Mode> Wire for LookupProof<M> {
    const MIN_BYTES: usize = 16 + 2 * <FractionTreeProof<M> as Wire>::MIN_BYTES;
    fn write(&self, w: &mut Writer) {
        self.tree.write(w);
        w.put_seq(&self.values);
        self.table.write(w);
        w.put_seq(&self.inverses);
        w.put_seq(&self.products);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            tree: r.get()?,
            values: r.get_seq("lookup input values")?,
            table: r.get()?,
            inverses: r.get_seq("lookup root inverses")?,
            products: r.get_seq("lookup root products")?,
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
pub struct LookupClaims<V = Fr> {
    pub x: Vec<EvaluationClaim<V>>,
    /// Empty for a range table.
    pub y: Vec<EvaluationClaim<V>>,
    pub multiplicities: EvaluationClaim<V>,
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

/// The table side's denominators `β − t_j − α·f(t_j)`.
fn table_denominators(table: &LookupTable, alpha: Fr, beta: Fr) -> Vec<Fr> {
    match &table.func {
        Some(_) => table
            .outputs()
            .iter()
            .enumerate()
            .map(|(j, f)| beta - from_i64(table.lo + j as i64) - alpha * f)
            .collect(),
        None => (0..table.len())
            .map(|j| beta - from_i64(table.lo + j as i64))
            .collect(),
    }
}

fn absorb_values<M: Mode>(t: &mut Transcript, label: &'static [u8], values: &[M::Sent]) {
    t.append_u64(label, values.len() as u64);
    for v in values {
        M::absorb_sent(t, label, v);
    }
}

/// Proves in the clear. See [`prove_in`].
pub fn prove(
    backend: &dyn Backend,
    table: &LookupTable,
    inputs: &[LookupWitness<'_>],
    m: &[Fr],
    transcript: &mut Transcript,
) -> (LookupProof, LookupClaims) {
    prove_in::<Clear>(
        &mut ProverCtx::clear(),
        backend,
        table,
        inputs,
        m,
        transcript,
    )
}

/// Proves that every `(x, y)` of `inputs` is a row of `table`; `m` are the
/// multiplicities from [`multiplicities`] as field elements (padded to the table).
pub fn prove_in<M: Mode>(
    ctx: &mut ProverCtx,
    backend: &dyn Backend,
    table: &LookupTable,
    inputs: &[LookupWitness<'_>],
    m: &[Fr],
    transcript: &mut Transcript,
) -> (LookupProof<M>, LookupClaims<M::Known>) {
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
    let (tree, leaf) = prove_fraction_tree_in::<M>(ctx, backend, p, q, transcript);
    let mut claims = LookupClaims {
        x: vec![],
        y: vec![],
        multiplicities: EvaluationClaim {
            point: vec![],
            value: M::public_known(Fr::from(0u64)),
        },
    };
    let mut known = Vec::new();
    for (w, s) in inputs.iter().zip(&shapes) {
        let point = leaf.point[..s.num_vars].to_vec();
        let x = M::fresh(ctx, backend.evaluate(w.x, &point));
        claims.x.push(EvaluationClaim {
            point: point.clone(),
            value: x,
        });
        known.push(x);
        if let Some(y) = w.y {
            let y = M::fresh(ctx, backend.evaluate(y, &point));
            claims.y.push(EvaluationClaim { point, value: y });
            known.push(y);
        }
    }
    let values: Vec<M::Sent> = known.iter().map(|k| M::send(ctx, k)).collect();
    absorb_values::<M>(transcript, b"lookup-values", &values);
    let t_q = table_denominators(table, alpha, beta);
    let (table_tree, tab) = prove_fraction_tree_in::<M>(ctx, backend, m.to_vec(), t_q, transcript);
    let inv = |k: &M::Known| {
        ark_ff::Field::inverse(&M::scalar(k)).unwrap_or_default() // zero only with negligible probability
    };
    let inverses = [
        M::fresh(ctx, inv(&leaf.root_q)),
        M::fresh(ctx, inv(&tab.root_q)),
    ];
    let inverses_sent: Vec<M::Sent> = inverses.iter().map(|k| M::send(ctx, k)).collect();
    absorb_values::<M>(transcript, b"lookup-inverses", &inverses_sent);
    let (one_in, m0) = M::prove_product(ctx, &inverses[0], &leaf.root_q, transcript);
    let (one_tab, m1) = M::prove_product(ctx, &inverses[1], &tab.root_q, transcript);
    let (lhs, m2) = M::prove_product(ctx, &leaf.root_p, &tab.root_q, transcript);
    let (rhs, m3) = M::prove_product(ctx, &tab.root_p, &leaf.root_q, transcript);
    let one = M::public_known(Fr::from(1u64));
    M::prove_equal(ctx, &one_in, &one);
    M::prove_equal(ctx, &one_tab, &one);
    M::prove_equal(ctx, &lhs, &rhs);
    // The leaf claims' relations to public values (see `verify_in`).
    let pub_p = M::public_known(M::scalar(&leaf.leaf_p));
    M::prove_equal(ctx, &leaf.leaf_p, &pub_p);
    let q_terms = leaf_q_terms::<M::Known>(
        &shapes,
        &layout,
        &leaf.point,
        table,
        alpha,
        beta,
        &known,
        M::public_known,
    );
    M::prove_equal(ctx, &leaf.leaf_q, &M::combine_known(&q_terms));
    let t_pub = M::public_known(M::scalar(&tab.leaf_q));
    M::prove_equal(ctx, &tab.leaf_q, &t_pub);
    claims.multiplicities = EvaluationClaim {
        point: tab.point,
        value: tab.leaf_p,
    };
    (
        LookupProof {
            tree,
            values,
            table: table_tree,
            inverses: inverses_sent,
            products: vec![m0, m1, m2, m3],
        },
        claims,
    )
}

/// `Σ_k w_k·(β − x_k − α·y_k) + (1 − Σ_k w_k)` as `(coefficient, value)`
/// pairs: the leaves' denominators at the leaf point, the blocks' MLEs
/// weighted by where they sit plus the padding (`q = 1`).
#[allow(clippy::too_many_arguments)]
fn leaf_q_terms<V: Clone>(
    shapes: &[LookupShape],
    layout: &LeafLayout,
    point: &[Fr],
    table: &LookupTable,
    alpha: Fr,
    beta: Fr,
    values: &[V],
    public: impl Fn(Fr) -> V,
) -> Vec<(Fr, V)> {
    let mut terms = Vec::new();
    let mut constant = Fr::from(1u64);
    let mut it = values.iter();
    for (s, &off) in shapes.iter().zip(&layout.offsets) {
        let weight = block_weight(point, s.num_vars, off);
        constant += weight * beta - weight;
        terms.push((-weight, it.next().expect("x value").clone()));
        if table.is_function() {
            terms.push((-weight * alpha, it.next().expect("y value").clone()));
        }
    }
    terms.push((Fr::from(1u64), public(constant)));
    terms
}

/// The leaves' numerators at the leaf point: the padding indicators.
fn leaf_p_expected(shapes: &[LookupShape], layout: &LeafLayout, point: &[Fr]) -> Fr {
    shapes
        .iter()
        .zip(&layout.offsets)
        .map(|(s, &off)| {
            block_weight(point, s.num_vars, off) * prefix_indicator(&point[..s.num_vars], s.len)
        })
        .sum()
}

/// The table side's denominator MLE at `point`, from the public table.
fn table_q_expected(table: &LookupTable, point: &[Fr], alpha: Fr, beta: Fr) -> Fr {
    let t_in = table.input_mle(point);
    let t_out = if table.is_function() {
        let eq = crate::poly::eq_table(point);
        table.outputs().iter().zip(&eq).map(|(f, e)| *f * e).sum()
    } else {
        Fr::from(0u64)
    };
    beta - t_in - alpha * t_out
}

/// Verifies in the clear. See [`verify_in`].
pub fn verify(
    table: &LookupTable,
    shapes: &[LookupShape],
    proof: &LookupProof,
    transcript: &mut Transcript,
) -> Result<LookupClaims, ProtocolError> {
    verify_in::<Clear>(&mut VerifierCtx::clear(), table, shapes, proof, transcript)
}

/// Verifies a batched lookup against `table` for tensors of `shapes`.
pub fn verify_in<M: Mode>(
    ctx: &mut VerifierCtx,
    table: &LookupTable,
    shapes: &[LookupShape],
    proof: &LookupProof<M>,
    transcript: &mut Transcript,
) -> Result<LookupClaims<M::Value>, ProtocolError> {
    let per_input = if table.is_function() { 2 } else { 1 };
    if proof.values.len() != shapes.len() * per_input
        || proof.inverses.len() != 2
        || proof.products.len() != 4
    {
        return Err(ProtocolError::Malformed {
            gadget: GADGET,
            what: "wrong number of looked-up values, inverses or products",
        });
    }
    for s in shapes {
        assert!(s.len <= 1 << s.num_vars, "lookup length exceeds the tensor");
    }
    let (alpha, beta) = challenges(transcript, table, shapes);
    let layout = leaf_layout(shapes);
    let leaf = verify_fraction_tree_in::<M>(ctx, layout.vars, &proof.tree, transcript)?;
    absorb_values::<M>(transcript, b"lookup-values", &proof.values);
    let values: Vec<M::Value> = proof.values.iter().map(M::received).collect();
    let mut claims = LookupClaims {
        x: vec![],
        y: vec![],
        multiplicities: EvaluationClaim {
            point: vec![],
            value: M::public(&ctx.ped, Fr::from(0u64)),
        },
    };
    let mut it = values.iter();
    for s in shapes {
        let point = leaf.point[..s.num_vars].to_vec();
        claims.x.push(EvaluationClaim {
            point: point.clone(),
            value: it.next().expect("counted").clone(),
        });
        if table.is_function() {
            claims.y.push(EvaluationClaim {
                point,
                value: it.next().expect("counted").clone(),
            });
        }
    }
    let tab = verify_fraction_tree_in::<M>(ctx, table.log_size as usize, &proof.table, transcript)?;
    absorb_values::<M>(transcript, b"lookup-inverses", &proof.inverses);
    let inverses: Vec<M::Value> = proof.inverses.iter().map(M::received).collect();
    let pr = &proof.products;
    let one_in = M::verify_product(ctx, &inverses[0], &leaf.root_q, &pr[0], transcript);
    let one_tab = M::verify_product(ctx, &inverses[1], &tab.root_q, &pr[1], transcript);
    let lhs = M::verify_product(ctx, &leaf.root_p, &tab.root_q, &pr[2], transcript);
    let rhs = M::verify_product(ctx, &tab.root_p, &leaf.root_q, &pr[3], transcript);
    let ped = ctx.ped;
    let one = M::public(&ped, Fr::from(1u64));
    let reject = |what| ProtocolError::Rejected {
        gadget: GADGET,
        what,
    };
    if !M::require_equal(ctx, &one_in, &one) || !M::require_equal(ctx, &one_tab, &one) {
        return Err(reject("a denominator is zero"));
    }
    if !M::require_equal(ctx, &lhs, &rhs) {
        return Err(reject(
            "looked-up values are not in the table (logUp sums differ)",
        ));
    }
    let p_expected = M::public(&ped, leaf_p_expected(shapes, &layout, &leaf.point));
    if !M::require_equal(ctx, &leaf.leaf_p, &p_expected) {
        return Err(reject("numerators are not the padding indicator"));
    }
    let q_terms = leaf_q_terms(
        shapes,
        &layout,
        &leaf.point,
        table,
        alpha,
        beta,
        &values,
        |v| M::public(&ped, v),
    );
    if !M::require_equal(ctx, &leaf.leaf_q, &M::combine(&q_terms)) {
        return Err(reject("denominators do not match the looked-up values"));
    }
    let t_expected = M::public(&ped, table_q_expected(table, &tab.point, alpha, beta));
    if !M::require_equal(ctx, &tab.leaf_q, &t_expected) {
        return Err(reject("table denominators do not match the public table"));
    }
    claims.multiplicities = EvaluationClaim {
        point: tab.point,
        value: tab.leaf_p,
    };
    Ok(claims)
}
