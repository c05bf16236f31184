//! tlookup by logUp: every looked-up pair `(x_i, y_i)` is a row of a public
//! table `{(t_j, f(t_j))}` iff, for random `α, β`,
//! `Σ_i 1/(β − x_i − α·y_i) = Σ_j m_j/(β − t_j − α·f(t_j))`,
//! where `m_j` counts how often row `j` is used. Range checks are the
//! single-column case. The sum is proven by [`super::logup`]'s GKR, so only
//! the multiplicities `m` are committed — no inverse tensors.
//!
//! Every table of a proof is checked at once, as one lookup into the union
//! of the tables tagged by their index `τ`: each denominator carries
//! `− γ·τ`, and one set of fraction-tree leaves holds every looked-up tensor
//! (numerator `p_i = [i < len]`, which excludes padding entries) and every
//! table's rows (numerator `−m_j`), so the lookups are valid iff the leaves'
//! fractions sum to `0/Q` with `Q ≠ 0`. The leaves are cut into at most four
//! trees of power-of-two sizes (so little of them is padding), proven as
//! one batch, whose roots are added as fractions. The tag keeps a value in one table from counting as
//! a row of another (a lookup into `{(τ, t, f(t))}`, three columns combined
//! by `α, γ`: a false statement survives with probability about
//! `(entries + rows)·3/|F|`). A few trees instead of two per table: one
//! sumcheck per depth for the whole proof and one root relation.
//!
//! The verifier computes the numerators' padding indicators, each table's
//! input column MLE (closed form) and its output column from the public
//! function; the rest of the leaf claims are linear in the inputs', outputs'
//! and multiplicities' values at the leaf point, which the prover sends (as
//! commitments in a hidden proof) and the caller's openings discharge.
//!
//! # Soundness
//! Before calling [`prove_in`]/[`verify_in`], the caller must have absorbed the
//! commitments to every looked-up tensor and to the multiplicities: `α`, `β`
//! and `γ` are drawn here, and must not be predictable when those are fixed.
//! The returned claims on the inputs, outputs and multiplicities must then
//! be discharged by openings of those commitments.

use super::linear::prefix_indicator;
use super::logup::{prove_fraction_trees_in, verify_fraction_trees_in, FractionTreesProof};
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
#[derive(Clone, Copy)]
pub struct LookupWitness<'a> {
    pub len: usize,
    pub x: &'a [Fr],
    pub y: Option<&'a [Fr]>,
}

/// One table's lookups on the prover's side: the looked-up tensors and the
/// multiplicities (field elements, padded to the table).
pub struct TableLookups<'a> {
    pub table: &'a LookupTable,
    pub inputs: Vec<LookupWitness<'a>>,
    pub m: &'a [Fr],
}

/// Every table's lookups in one argument.
#[derive(Clone, Debug, PartialEq)]
pub struct LookupProof<M: Mode = Clear> {
    /// The fraction trees over every table's inputs and rows.
    pub tree: FractionTreesProof<M>,
    /// At each block's tree's leaf point (restricted to its variables),
    /// per table in order: each looked-up tensor's `x̃` (and, for a function
    /// table, `ỹ`), then the multiplicities' `m̃`.
    pub values: Vec<M::Sent>,
    /// `1/Q` of the roots' sum `P/Q`: the denominators are non-zero
    /// because their product has an inverse.
    pub inverse: M::Sent,
    /// Per tree after the first, the three products of adding its root to
    /// the sum so far (`P·Q_t`, `P_t·Q`, `Q·Q_t`); then `inverse · Q` (shown
    /// equal to 1).
    pub products: Vec<M::Product>,
}

impl<M: Mode> Wire for LookupProof<M> {
    const MIN_BYTES: usize = 4 + <FractionTreesProof<M> as Wire>::MIN_BYTES;
    fn write(&self, w: &mut Writer) {
        self.tree.write(w);
        w.put_seq(&self.values);
        self.inverse.write(w);
        w.put_seq(&self.products);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            tree: r.get()?,
            values: r.get_seq("lookup values")?,
            inverse: r.get()?,
            products: r.get_seq("lookup root product")?,
        })
    }
}

/// Claims left for the caller, per table: per input `x` (and `y`), and the
/// multiplicities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupClaims<V = Fr> {
    pub x: Vec<EvaluationClaim<V>>,
    /// Empty for a range table.
    pub y: Vec<EvaluationClaim<V>>,
    pub multiplicities: EvaluationClaim<V>,
}

/// A block of the tree's leaves: a looked-up tensor of table `tag`, or that
/// table's rows.
#[derive(Clone, Copy)]
enum Block {
    Input { tag: usize, shape: LookupShape },
    Rows { tag: usize, num_vars: usize },
}

impl Block {
    fn num_vars(&self) -> usize {
        match *self {
            Block::Input { shape, .. } => shape.num_vars,
            Block::Rows { num_vars, .. } => num_vars,
        }
    }
}

/// The most trees the leaves are split into (see [`leaf_layout`]).
const MAX_TREES: usize = 4;

/// Where every block sits among the trees' leaves: per table its inputs,
/// then its rows; sorted by size (largest first, ties in that order) and
/// laid end to end, so every block starts at a multiple of its own size.
/// The leaves are cut into trees of the sizes of the total's highest bits
/// (sorted powers of two fill each exactly), at most [`MAX_TREES`]; the
/// last tree takes the rest, padded with `p = 0, q = 1` to a power of two.
/// One tree padded to a power of two could hold up to twice the real
/// leaves; this holds at most `1 + 2^{1−MAX_TREES}` times them. Derived
/// from the public shapes alone.
struct LeafLayout {
    /// Variables of each tree.
    trees: Vec<usize>,
    blocks: Vec<Block>,
    /// Per block: its tree and its offset in that tree's leaves.
    tree_of: Vec<usize>,
    offsets: Vec<usize>,
}

fn leaf_layout(lookups: &[(&LookupTable, &[LookupShape])]) -> LeafLayout {
    let mut blocks = Vec::new();
    for (tag, (table, shapes)) in lookups.iter().enumerate() {
        blocks.extend(shapes.iter().map(|&shape| Block::Input { tag, shape }));
        blocks.push(Block::Rows {
            tag,
            num_vars: table.log_size as usize,
        });
    }
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.sort_by(|&a, &b| blocks[b].num_vars().cmp(&blocks[a].num_vars()));
    let mut left: usize = blocks.iter().map(|b| 1usize << b.num_vars()).sum();
    let mut trees = Vec::new();
    let (mut tree_of, mut offsets) = (vec![0; blocks.len()], vec![0; blocks.len()]);
    let (mut size, mut end) = (0usize, 0usize);
    for &k in &order {
        if end == size {
            // A new tree: the highest bit of what is left, or all of it.
            size = if trees.len() + 1 < MAX_TREES {
                1 << (usize::BITS - 1 - left.leading_zeros())
            } else {
                left.next_power_of_two()
            };
            trees.push(size.trailing_zeros() as usize);
            end = 0;
        }
        let len = 1usize << blocks[k].num_vars();
        tree_of[k] = trees.len() - 1;
        offsets[k] = end;
        end += len;
        left -= len;
    }
    if trees.is_empty() {
        trees.push(0);
    }
    LeafLayout {
        trees,
        blocks,
        tree_of,
        offsets,
    }
}

/// The leaves of the fraction trees a proof of `lookups` holds (padding
/// included): what the prover's lookup stage keeps in memory.
pub fn leaf_count(lookups: &[(&LookupTable, &[LookupShape])]) -> usize {
    leaf_layout(lookups)
        .trees
        .iter()
        .map(|&n| 1usize << n)
        .sum()
}

/// `eq` of the leaf point's high variables with a block: the weight of
/// that block's MLE in the leaves' MLE.
fn block_weight(point: &[Fr], num_vars: usize, offset: usize) -> Fr {
    super::linear::eq_index(&point[num_vars..], offset >> num_vars)
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

/// The challenges `α` (output column), `β` (shift) and `γ` (table tag).
struct Challenges {
    alpha: Fr,
    beta: Fr,
    gamma: Fr,
}

fn challenges(t: &mut Transcript, lookups: &[(&LookupTable, &[LookupShape])]) -> Challenges {
    t.append_bytes(b"gadget", GADGET.as_bytes());
    t.append_u64(b"lookup-tables", lookups.len() as u64);
    for (table, shapes) in lookups {
        t.append_bytes(b"lookup-table", &table.descriptor());
        t.append_u64(b"lookup-inputs", shapes.len() as u64);
        for s in shapes.iter() {
            t.append_u64(b"lookup-vars", s.num_vars as u64);
            t.append_u64(b"lookup-len", s.len as u64);
        }
    }
    Challenges {
        alpha: t.challenge_scalar(b"lookup-alpha"),
        beta: t.challenge_scalar(b"lookup-beta"),
        gamma: t.challenge_scalar(b"lookup-gamma"),
    }
}

/// Table `tag`'s rows' denominators `β − γ·τ − t_j − α·f(t_j)`.
fn table_denominators(table: &LookupTable, tag: usize, c: &Challenges) -> Vec<Fr> {
    let shift = c.beta - c.gamma * Fr::from(tag as u64);
    match &table.func {
        Some(_) => table
            .outputs()
            .iter()
            .enumerate()
            .map(|(j, f)| shift - from_i64(table.lo + j as i64) - c.alpha * f)
            .collect(),
        None => (0..table.len())
            .map(|j| shift - from_i64(table.lo + j as i64))
            .collect(),
    }
}

fn absorb_values<M: Mode>(t: &mut Transcript, label: &'static [u8], values: &[M::Sent]) {
    t.append_u64(label, values.len() as u64);
    for v in values {
        M::absorb_sent(t, label, v);
    }
}

/// Proves one table's lookups in the clear. See [`prove_in`].
pub fn prove(
    backend: &dyn Backend,
    table: &LookupTable,
    inputs: &[LookupWitness<'_>],
    m: &[Fr],
    transcript: &mut Transcript,
) -> (LookupProof, LookupClaims) {
    let lookups = [TableLookups {
        table,
        inputs: inputs.to_vec(),
        m,
    }];
    let (proof, mut claims) =
        prove_in::<Clear>(&mut ProverCtx::clear(), backend, &lookups, transcript);
    (proof, claims.pop().expect("one table"))
}

fn shapes_of(l: &TableLookups<'_>) -> Vec<LookupShape> {
    (l.inputs.iter())
        .map(|w| LookupShape {
            num_vars: w.x.len().trailing_zeros() as usize,
            len: w.len,
        })
        .collect()
}

/// Proves, for every table of `lookups`, that every `(x, y)` of its inputs
/// is a row of it; each `m` holds the multiplicities from
/// [`multiplicities`] as field elements (padded to the table). Returns one
/// set of claims per table, in order.
pub fn prove_in<M: Mode>(
    ctx: &mut ProverCtx,
    backend: &dyn Backend,
    lookups: &[TableLookups<'_>],
    transcript: &mut Transcript,
) -> (LookupProof<M>, Vec<LookupClaims<M::Known>>) {
    for l in lookups {
        assert_eq!(l.m.len(), l.table.len());
        assert!(l
            .inputs
            .iter()
            .all(|w| w.y.is_some() == l.table.is_function()));
    }
    let shapes: Vec<Vec<LookupShape>> = lookups.iter().map(shapes_of).collect();
    let public: Vec<(&LookupTable, &[LookupShape])> = (lookups.iter().zip(&shapes))
        .map(|(l, s)| (l.table, s.as_slice()))
        .collect();
    let c = challenges(transcript, &public);
    let layout = leaf_layout(&public);
    let one = Fr::from(1u64);

    // The leaves: each block's numerators and denominators, in its tree.
    let mut leaves: Vec<(Vec<Fr>, Vec<Fr>)> = (layout.trees.iter())
        .map(|&n| (vec![Fr::from(0u64); 1 << n], vec![Fr::from(1u64); 1 << n]))
        .collect();
    let mut inputs = lookups.iter().flat_map(|l| l.inputs.iter());
    for (k, block) in layout.blocks.iter().enumerate() {
        let (p, q) = &mut leaves[layout.tree_of[k]];
        let off = layout.offsets[k];
        match *block {
            Block::Input { tag, .. } => {
                let w = inputs.next().expect("an input per block");
                let shift = c.beta - c.gamma * Fr::from(tag as u64);
                for i in 0..w.x.len() {
                    p[off + i] = Fr::from((i < w.len) as u64);
                    q[off + i] = match w.y {
                        Some(y) => shift - w.x[i] - c.alpha * y[i],
                        None => shift - w.x[i],
                    };
                }
            }
            Block::Rows { tag, .. } => {
                let rows = table_denominators(lookups[tag].table, tag, &c);
                for (j, (m, d)) in lookups[tag].m.iter().zip(rows).enumerate() {
                    p[off + j] = -*m;
                    q[off + j] = d;
                }
            }
        }
    }
    let (tree, leaf) = prove_fraction_trees_in::<M>(ctx, backend, leaves, transcript);
    let points: Vec<&[Fr]> = block_points(&layout, leaf.iter().map(|l| l.point.as_slice()));

    // The values at the leaf point that the leaf claims are linear in.
    let mut known = Vec::new();
    let mut all_claims = Vec::with_capacity(lookups.len());
    let mut block_points = points.iter();
    for (l, shapes) in lookups.iter().zip(&shapes) {
        let mut claims = LookupClaims {
            x: vec![],
            y: vec![],
            multiplicities: EvaluationClaim {
                point: vec![],
                value: M::public_known(Fr::from(0u64)),
            },
        };
        for (w, s) in l.inputs.iter().zip(shapes) {
            let point = block_points.next().expect("a block per input")[..s.num_vars].to_vec();
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
        let point =
            block_points.next().expect("a block per table")[..l.table.log_size as usize].to_vec();
        let m = M::fresh(ctx, backend.evaluate(l.m, &point));
        claims.multiplicities = EvaluationClaim { point, value: m };
        known.push(m);
        all_claims.push(claims);
    }
    let values: Vec<M::Sent> = known.iter().map(|k| M::send(ctx, k)).collect();
    absorb_values::<M>(transcript, b"lookup-values", &values);

    // The trees' roots summed as one fraction P/Q, which is 0/Q with Q
    // invertible.
    let (mut root_p, mut root_q) = (leaf[0].root_p, leaf[0].root_q);
    let mut products = Vec::with_capacity(3 * leaf.len() - 2);
    for l in &leaf[1..] {
        let (a, m0) = M::prove_product(ctx, &root_p, &l.root_q, transcript);
        let (b, m1) = M::prove_product(ctx, &l.root_p, &root_q, transcript);
        let (q, m2) = M::prove_product(ctx, &root_q, &l.root_q, transcript);
        (root_p, root_q) = (M::combine_known(&[(one, a), (one, b)]), q);
        products.extend([m0, m1, m2]);
    }
    let inv = ark_ff::Field::inverse(&M::scalar(&root_q)).unwrap_or_default(); // zero only with negligible probability
    let inverse = M::fresh(ctx, inv);
    let inverse_sent = M::send(ctx, &inverse);
    M::absorb_sent(transcript, b"lookup-inverse", &inverse_sent);
    let (unit, product) = M::prove_product(ctx, &inverse, &root_q, transcript);
    products.push(product);
    M::prove_equal(ctx, &unit, &M::public_known(one));
    M::prove_equal(ctx, &root_p, &M::public_known(Fr::from(0u64)));

    // Each tree's leaf claims against the values and the public parts (see
    // `verify_in`).
    let terms = leaf_terms::<M::Known>(&public, &layout, &points, &c, &known, M::public_known);
    for (l, (p_terms, q_terms)) in leaf.iter().zip(terms) {
        M::prove_equal(ctx, &l.leaf_p, &M::combine_known(&p_terms));
        M::prove_equal(ctx, &l.leaf_q, &M::combine_known(&q_terms));
    }
    let proof = LookupProof {
        tree,
        values,
        inverse: inverse_sent,
        products,
    };
    (proof, all_claims)
}

/// Values sent per looked-up tensor of `table`: `x̃`, and `ỹ` for a
/// function table.
fn values_per_input(table: &LookupTable) -> usize {
    if table.is_function() {
        2
    } else {
        1
    }
}

/// A linear combination: `(coefficient, value)` pairs.
type Terms<V> = Vec<(Fr, V)>;

/// Each block's tree's leaf point (in block order).
fn block_points<'a>(layout: &LeafLayout, trees: impl Iterator<Item = &'a [Fr]>) -> Vec<&'a [Fr]> {
    let trees: Vec<&[Fr]> = trees.collect();
    layout.tree_of.iter().map(|&t| trees[t]).collect()
}

/// Per tree, its leaves' numerator and denominator MLEs at its leaf point
/// (`points`: each block's) as `(coefficient, value)` pairs over the sent
/// `values` and public constants: per block its weight times the padding
/// indicator or `−m̃` (numerators), `β − γ·τ − x̃ − α·ỹ` or the table's
/// public `β − γ·τ − t̃ − α·f̃` (denominators), plus the padding (`q = 1`).
fn leaf_terms<V: Clone>(
    lookups: &[(&LookupTable, &[LookupShape])],
    layout: &LeafLayout,
    points: &[&[Fr]],
    c: &Challenges,
    values: &[V],
    public: impl Fn(Fr) -> V,
) -> Vec<(Terms<V>, Terms<V>)> {
    // Where each table's values start in `values`: its inputs' x (and y),
    // then its m.
    let mut starts = Vec::with_capacity(lookups.len());
    let mut at = 0;
    for (table, shapes) in lookups {
        starts.push(at);
        at += shapes.len() * values_per_input(table) + 1;
    }
    let trees = layout.trees.len();
    let mut terms: Vec<(Terms<V>, Terms<V>)> = vec![(Vec::new(), Vec::new()); trees];
    let (mut p_const, mut q_const) = (vec![Fr::from(0u64); trees], vec![Fr::from(1u64); trees]);
    let mut input_index = vec![0usize; lookups.len()];
    for (k, block) in layout.blocks.iter().enumerate() {
        let (t, point) = (layout.tree_of[k], points[k]);
        let (p_terms, q_terms) = &mut terms[t];
        let weight = block_weight(point, block.num_vars(), layout.offsets[k]);
        q_const[t] -= weight;
        match *block {
            Block::Input { tag, shape } => {
                let per = values_per_input(lookups[tag].0);
                let k = starts[tag] + per * input_index[tag];
                input_index[tag] += 1;
                p_const[t] += weight * prefix_indicator(&point[..shape.num_vars], shape.len);
                q_const[t] += weight * (c.beta - c.gamma * Fr::from(tag as u64));
                q_terms.push((-weight, values[k].clone()));
                if per == 2 {
                    q_terms.push((-weight * c.alpha, values[k + 1].clone()));
                }
            }
            Block::Rows { tag, num_vars } => {
                let table = lookups[tag].0;
                let m_index = starts[tag] + lookups[tag].1.len() * values_per_input(table);
                p_terms.push((-weight, values[m_index].clone()));
                let shift = c.beta - c.gamma * Fr::from(tag as u64);
                q_const[t] += weight * table_q_expected(table, &point[..num_vars], c.alpha, shift);
            }
        }
    }
    for (t, (p_terms, q_terms)) in terms.iter_mut().enumerate() {
        p_terms.push((Fr::from(1u64), public(p_const[t])));
        q_terms.push((Fr::from(1u64), public(q_const[t])));
    }
    terms
}

/// A table's rows' denominator MLE at `point` (`shift = β − γ·τ`), from
/// the public table.
fn table_q_expected(table: &LookupTable, point: &[Fr], alpha: Fr, shift: Fr) -> Fr {
    let t_in = table.input_mle(point);
    let t_out = if table.is_function() {
        let eq = crate::poly::eq_table(point);
        table.outputs().iter().zip(&eq).map(|(f, e)| *f * e).sum()
    } else {
        Fr::from(0u64)
    };
    shift - t_in - alpha * t_out
}

/// Verifies one table's lookups in the clear. See [`verify_in`].
pub fn verify(
    table: &LookupTable,
    shapes: &[LookupShape],
    proof: &LookupProof,
    transcript: &mut Transcript,
) -> Result<LookupClaims, ProtocolError> {
    let mut claims = verify_in::<Clear>(
        &mut VerifierCtx::clear(),
        &[(table, shapes)],
        proof,
        transcript,
    )?;
    Ok(claims.pop().expect("one table"))
}

/// Verifies the lookups of `lookups` (each table and the shapes of the
/// tensors looked up in it, in the prover's order); returns one set of
/// claims per table.
pub fn verify_in<M: Mode>(
    ctx: &mut VerifierCtx,
    lookups: &[(&LookupTable, &[LookupShape])],
    proof: &LookupProof<M>,
    transcript: &mut Transcript,
) -> Result<Vec<LookupClaims<M::Value>>, ProtocolError> {
    let count: usize = (lookups.iter())
        .map(|(t, s)| s.len() * values_per_input(t) + 1)
        .sum();
    if proof.values.len() != count {
        return Err(ProtocolError::Malformed {
            gadget: GADGET,
            what: "wrong number of looked-up values",
        });
    }
    for (_, shapes) in lookups {
        for s in shapes.iter() {
            assert!(s.len <= 1 << s.num_vars, "lookup length exceeds the tensor");
        }
    }
    let c = challenges(transcript, lookups);
    let layout = leaf_layout(lookups);
    if proof.products.len() != 3 * layout.trees.len() - 2 {
        return Err(ProtocolError::Malformed {
            gadget: GADGET,
            what: "wrong number of root products",
        });
    }
    let leaf = verify_fraction_trees_in::<M>(ctx, &layout.trees, &proof.tree, transcript)?;
    let points: Vec<&[Fr]> = block_points(&layout, leaf.iter().map(|l| l.point.as_slice()));
    let mut block_points = points.iter();
    absorb_values::<M>(transcript, b"lookup-values", &proof.values);
    let values: Vec<M::Value> = proof.values.iter().map(M::received).collect();
    let mut all_claims = Vec::with_capacity(lookups.len());
    let mut it = values.iter();
    for (table, shapes) in lookups {
        let mut claims = LookupClaims {
            x: vec![],
            y: vec![],
            multiplicities: EvaluationClaim {
                point: vec![],
                value: M::public(&ctx.ped, Fr::from(0u64)),
            },
        };
        for s in shapes.iter() {
            let point = block_points.next().expect("a block per input")[..s.num_vars].to_vec();
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
        claims.multiplicities = EvaluationClaim {
            point: block_points.next().expect("a block per table")[..table.log_size as usize]
                .to_vec(),
            value: it.next().expect("counted").clone(),
        };
        all_claims.push(claims);
    }
    let one = Fr::from(1u64);
    let (mut root_p, mut root_q) = (leaf[0].root_p.clone(), leaf[0].root_q.clone());
    let mut products = proof.products.iter();
    for l in &leaf[1..] {
        let mut next = || products.next().expect("counted");
        let a = M::verify_product(ctx, &root_p, &l.root_q, next(), transcript);
        let b = M::verify_product(ctx, &l.root_p, &root_q, next(), transcript);
        let q = M::verify_product(ctx, &root_q, &l.root_q, next(), transcript);
        (root_p, root_q) = (M::combine(&[(one, a), (one, b)]), q);
    }
    M::absorb_sent(transcript, b"lookup-inverse", &proof.inverse);
    let inverse = M::received(&proof.inverse);
    let last = products.next().expect("counted");
    let unit = M::verify_product(ctx, &inverse, &root_q, last, transcript);
    let ped = ctx.ped;
    let reject = |what| ProtocolError::Rejected {
        gadget: GADGET,
        what,
    };
    if !M::require_equal(ctx, &unit, &M::public(&ped, one)) {
        return Err(reject("a denominator is zero"));
    }
    if !M::require_equal(ctx, &root_p, &M::public(&ped, Fr::from(0u64))) {
        return Err(reject(
            "looked-up values are not rows of their tables (the logUp sum is not zero)",
        ));
    }
    let terms = leaf_terms(lookups, &layout, &points, &c, &values, |v| {
        M::public(&ped, v)
    });
    for (l, (p_terms, q_terms)) in leaf.iter().zip(terms) {
        if !M::require_equal(ctx, &l.leaf_p, &M::combine(&p_terms)) {
            return Err(reject(
                "numerators are not the padding indicators and multiplicities",
            ));
        }
        if !M::require_equal(ctx, &l.leaf_q, &M::combine(&q_terms)) {
            return Err(reject(
                "denominators do not match the looked-up values and the public tables",
            ));
        }
    }
    Ok(all_claims)
}
