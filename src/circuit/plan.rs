//! What the proof of a quantized graph commits to and looks up, derived the
//! same way by prover and verifier from the graph alone.
//!
//! Committed in the proof (beyond the weights, committed at setup): every
//! tensor a lookup reads — rescale outputs `Q` and remainders `R` (a value
//! wider than one lookup only as its limbs), lookup inputs and outputs, the
//! zkAttn auxiliaries, a saturating rescale's sign and excess — and one
//! multiplicity vector per distinct table. Lookups cover whole padded
//! tensors, so padding is constrained like every other entry.

use super::CircuitError;
use crate::ir::{Graph, NodeId, Op};
use crate::protocols::lookup::LookupShape;
use crate::protocols::tables::{LookupTable, TableFn};
use crate::quant::ZkAttnParams;

/// A committed tensor: a graph node or an auxiliary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TensorRef {
    Node(NodeId),
    Aux(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuxKind {
    /// `R = X − 2^s·Q` of a rescale node (committed only when it fits one
    /// lookup; wider, only its limbs are).
    RescaleRem,
    /// Limbs of a wide range-checked value, most significant first.
    LimbHi,
    LimbLo,
    /// zkAttn: the row shift ẑ, digits `lo`/`hi` of `d = ẑ − z`, `E = exp(lo)`,
    /// `Δ = δ(hi = 0)`, the shifted row sums `S' = S − (2^f − tol)·v` and
    /// their complements `U = 2·tol·v − S'` (`v` the row-valid indicator):
    /// both in `[0, 2^sum_bits)`, so `S ∈ [2^f − tol, 2^f + tol]`.
    SmShift,
    SmLo,
    SmHi,
    SmExp,
    SmDelta,
    SmSum,
    SmSumHi,
    /// Saturation of a rescale (`Q` the quotient before the clamp, `Y` the
    /// output, `D = Q − Y`): the sign `S ∈ {−1, 0, 1}` of `D` and the excess
    /// `E = |D| − |S|` (committed only when it fits one lookup; wider, only
    /// its limbs are), see [`super::saturation`].
    SatSign,
    SatExcess,
    /// Hidden logits (only the next token public): the last position's
    /// logits row `L`, and the gaps `G_j = L_t − L_j − [j < t]` (zero in the
    /// padding), range-checked to be non-negative.
    ArgmaxLogits,
    ArgmaxGap,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AuxSpec {
    pub owner: NodeId,
    pub kind: AuxKind,
    pub shape: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LookupUse {
    pub table: usize,
    pub x: TensorRef,
    pub y: Option<TensorRef>,
}

/// Low bits of a limb split.
pub const LIMB_BITS: u32 = 12;
/// Widest range check: up to two unsigned 12-bit limbs below a top limb of
/// at most 16 bits (a rescale's remainder, a clamp's excess).
pub const MAX_RANGE_BITS: u32 = 2 * LIMB_BITS + 16;

/// The limbs of a range-checked value, most significant first (aux
/// indices): `t = Σ_k limb_k·2^((n−1−k)·12)`, every limb but the first in
/// `[0, 2^12)`, the first in the range of the remaining `bits − 12·(n−1)`.
pub type Limbs = Vec<usize>;

/// The number of limbs of a `bits`-wide range check: one up to 16 bits, then
/// one more per 12 bits.
pub fn limb_count(bits: u32) -> usize {
    if bits <= 16 {
        1
    } else {
        1 + (bits - 16).div_ceil(LIMB_BITS) as usize
    }
}

/// The range table of a `bits`-wide value.
fn range_table(bits: u32, signed: bool) -> LookupTable {
    if signed {
        LookupTable::signed_range(bits)
    } else {
        LookupTable::unsigned_range(bits)
    }
}

/// Largest lookup table (entries `2^MAX_TABLE_BITS`).
pub const MAX_TABLE_BITS: u32 = 22;

/// A range-checked auxiliary value. Up to 16 bits it is committed and
/// looked up itself; wider, only its limbs are committed and looked up, and
/// the value is their weighted sum: a claim on it is the claims on its
/// limbs at the same point, so the value is never committed on its own.
#[derive(Clone, Debug, PartialEq)]
pub enum Ranged {
    Whole(usize),
    Limbs(Limbs),
}

impl Ranged {
    /// The committed auxiliaries that make up the value, most significant
    /// first.
    pub fn parts(&self) -> &[usize] {
        match self {
            Ranged::Whole(a) => std::slice::from_ref(a),
            Ranged::Limbs(l) => l,
        }
    }

    /// The value's weight on each of [`Ranged::parts`]: 1, or the limbs'
    /// powers of two.
    pub fn weights(&self) -> Vec<crate::field::Fr> {
        let n = self.parts().len();
        (0..n).map(|k| limb_weight(k, n)).collect()
    }

    /// The auxiliary itself, where it is committed whole.
    pub fn whole(&self) -> Option<usize> {
        match self {
            Ranged::Whole(a) => Some(*a),
            Ranged::Limbs(_) => None,
        }
    }

    /// The limbs, where it is split.
    pub fn limbs(&self) -> Option<&Limbs> {
        match self {
            Ranged::Whole(_) => None,
            Ranged::Limbs(l) => Some(l),
        }
    }
}

/// The weight `2^((n−1−k)·12)` of limb `k` of `n` (most significant first).
pub fn limb_weight(k: usize, n: usize) -> crate::field::Fr {
    super::pow2(LIMB_BITS * (n - 1 - k) as u32)
}

#[derive(Clone, Debug, PartialEq)]
pub struct RescalePlan {
    /// The remainder `R`, range-checked in the signed `s`-bit range.
    pub rem: Ranged,
    /// Limbs of an output wider than 16 bits (the output is committed
    /// itself: the ops that read it claim on it).
    pub limbs: Option<Limbs>,
    /// The clamp of a saturating graph's rescale.
    pub sat: Option<SatPlan>,
}

impl RescalePlan {
    /// The auxiliaries whose values the prover states at a claim on the
    /// rescale's output, in proof order: the remainder's parts, then the
    /// output's limbs. (A saturating rescale then states `D(point)`, see
    /// [`super::saturation`].) Prover and verifier both read it.
    pub fn stated(&self) -> Vec<usize> {
        let mut v = self.rem.parts().to_vec();
        v.extend(self.limbs.clone().unwrap_or_default());
        v
    }
}

/// The auxiliaries of a saturating rescale (aux indices).
#[derive(Clone, Debug, PartialEq)]
pub struct SatPlan {
    /// `S`, in `{−1, 0, 1}` by the zero-check.
    pub sign: usize,
    /// `E`, range-checked in `[0, 2^excess_bits)`.
    pub excess: Ranged,
    pub excess_bits: u32,
    /// Index among the saturating rescales (its entry of the clamp counts).
    pub index: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SoftmaxPlan {
    pub params: ZkAttnParams,
    pub shift: usize,
    pub lo: usize,
    pub hi: usize,
    pub exp: usize,
    pub delta: usize,
    pub sum: usize,
    /// `U = 2·tol·v − S'`, the upper side of the row-sum band.
    pub sum_hi: usize,
}

/// The argmax of a proof that publishes only the next token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgmaxPlan {
    pub logits: usize,
    pub gap: usize,
    pub vocab: usize,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Graph nodes committed in the proof.
    pub committed: Vec<bool>,
    pub aux: Vec<AuxSpec>,
    pub tables: Vec<LookupTable>,
    pub lookups: Vec<LookupUse>,
    pub rescale: Vec<Option<RescalePlan>>,
    pub softmax: Vec<Option<SoftmaxPlan>>,
    /// Padding value of each node's committed tensor: for a lookup node the
    /// raw output's `f(p)`, `p` the padding of its input (so a lookup that
    /// reads another lookup's raw output looks up `(p, f(p))` in its
    /// padding); 0 for every other node.
    pub raw_pad: Vec<i64>,
    /// Lookup nodes whose raw committed output has a non-zero padding
    /// ([`Plan::raw_pad`]), masked off by a Hadamard with the real-entry
    /// indicator.
    pub masked_output: Vec<bool>,
    /// Set when the logits stay hidden and the next token is proven.
    pub argmax: Option<ArgmaxPlan>,
    /// The saturating rescale nodes, in node order (the clamp counts' order).
    pub saturating: Vec<NodeId>,
}

impl Plan {
    fn table(&mut self, t: LookupTable) -> usize {
        if let Some(i) = self.tables.iter().position(|x| *x == t) {
            return i;
        }
        self.tables.push(t);
        self.tables.len() - 1
    }

    fn aux(&mut self, owner: NodeId, kind: AuxKind, shape: Vec<usize>) -> usize {
        self.aux.push(AuxSpec { owner, kind, shape });
        self.aux.len() - 1
    }

    fn lookup(&mut self, table: LookupTable, x: TensorRef, y: Option<TensorRef>) {
        let table = self.table(table);
        self.lookups.push(LookupUse { table, x, y });
    }

    /// A range check of tensor `t` (of `shape`) in `[-2^(bits−1), 2^(bits−1))`
    /// (`signed`) or `[0, 2^bits)`: one lookup up to 16 bits, else
    /// [`Limbs`] (returned, committed auxiliaries of `owner`), the top one in
    /// the range of `bits − 12·(n−1)` bits (at most 16) and the others in
    /// `[0, 2^12)`. Their sum with its powers of two is then exactly in
    /// `t`'s range, so the check is the recombination plus the lookups.
    fn range_check(
        &mut self,
        owner: NodeId,
        t: TensorRef,
        shape: &[usize],
        bits: u32,
        signed: bool,
    ) -> Option<Limbs> {
        if limb_count(bits) == 1 {
            self.lookup(range_table(bits, signed), t, None);
            return None;
        }
        Some(self.limbs(owner, shape, bits, signed))
    }

    /// The committed, looked-up limbs of a `bits`-wide value (at least two).
    fn limbs(&mut self, owner: NodeId, shape: &[usize], bits: u32, signed: bool) -> Limbs {
        debug_assert!(bits <= MAX_RANGE_BITS, "checked by Plan::new");
        let n = limb_count(bits);
        debug_assert!(n > 1);
        let top = self.aux(owner, AuxKind::LimbHi, shape.to_vec());
        let low: Vec<usize> = (1..n)
            .map(|_| self.aux(owner, AuxKind::LimbLo, shape.to_vec()))
            .collect();
        self.lookup(
            range_table(bits - LIMB_BITS * (n as u32 - 1), signed),
            TensorRef::Aux(top),
            None,
        );
        for &l in &low {
            self.lookup(
                LookupTable::unsigned_range(LIMB_BITS),
                TensorRef::Aux(l),
                None,
            );
        }
        let mut limbs = vec![top];
        limbs.extend(low);
        limbs
    }

    /// A range-checked auxiliary of `owner` ([`Ranged`]): committed whole
    /// as `kind` up to 16 bits, else as limbs only.
    fn ranged(
        &mut self,
        owner: NodeId,
        kind: AuxKind,
        shape: &[usize],
        bits: u32,
        signed: bool,
    ) -> Ranged {
        if limb_count(bits) == 1 {
            let a = self.aux(owner, kind, shape.to_vec());
            self.lookup(range_table(bits, signed), TensorRef::Aux(a), None);
            return Ranged::Whole(a);
        }
        Ranged::Limbs(self.limbs(owner, shape, bits, signed))
    }

    /// The auxiliaries and range checks of a saturating rescale of an
    /// `xbits`-wide input by `shift`: the input may exceed its width by the
    /// witness's slack, so the excess over the output's edge is below
    /// `2^(xbits + slack − shift + 1)` (capped at [`MAX_RANGE_BITS`]).
    /// The bound only serves completeness; soundness needs any bound far
    /// below the field's size.
    fn saturation(&mut self, node: &crate::ir::Node, xbits: u32, shift: u32) -> SatPlan {
        let slack = crate::witness::SATURATION_SLACK_BITS;
        let excess_bits = ((xbits + slack).saturating_sub(shift) + 1).clamp(1, MAX_RANGE_BITS);
        let sign = self.aux(node.id, AuxKind::SatSign, node.shape.clone());
        let excess = self.ranged(node.id, AuxKind::SatExcess, &node.shape, excess_bits, false);
        let index = self.saturating.len();
        self.saturating.push(node.id);
        SatPlan {
            sign,
            excess,
            excess_bits,
            index,
        }
    }

    /// Committed tensors in commitment order: nodes, then auxiliaries.
    pub fn committed_tensors(&self) -> Vec<TensorRef> {
        let mut v: Vec<TensorRef> = (0..self.committed.len())
            .filter(|&i| self.committed[i])
            .map(TensorRef::Node)
            .collect();
        v.extend((0..self.aux.len()).map(TensorRef::Aux));
        v
    }

    /// The lookups into each table (plan order), in plan order.
    pub fn uses_by_table(&self) -> Vec<Vec<&LookupUse>> {
        (0..self.tables.len())
            .map(|ti| self.lookups.iter().filter(|u| u.table == ti).collect())
            .collect()
    }

    /// The public shapes of the tensors looked up in each table (plan
    /// order): whole padded tensors, padding included.
    pub fn lookup_shapes(&self, graph: &Graph) -> Vec<Vec<LookupShape>> {
        (self.uses_by_table().iter())
            .map(|us| {
                us.iter()
                    .map(|u| {
                        let nv = super::layout::num_vars(self.shape(graph, u.x));
                        LookupShape {
                            num_vars: nv,
                            len: 1 << nv,
                        }
                    })
                    .collect()
            })
            .collect()
    }

    pub fn shape<'a>(&'a self, graph: &'a Graph, t: TensorRef) -> &'a [usize] {
        match t {
            TensorRef::Node(n) => &graph.nodes[n].shape,
            TensorRef::Aux(a) => &self.aux[a].shape,
        }
    }

    /// The plan of a statement: [`Plan::new`], plus the argmax tensors when
    /// only the next token is public.
    pub fn for_statement(graph: &Graph, next_token_only: bool) -> Result<Plan, CircuitError> {
        let mut plan = Plan::new(graph)?;
        if next_token_only {
            plan.add_argmax(graph)?;
        }
        Ok(plan)
    }

    /// Commits the last position's logits and their gaps to the claimed
    /// token, and range-checks the gaps into `[0, 2^bits)`: with logits of
    /// `bits` bits an honest gap is below `2^bits`, and a token that is not
    /// the first maximum has a negative gap, which is no such field element.
    fn add_argmax(&mut self, graph: &Graph) -> Result<(), CircuitError> {
        let out = &graph.nodes[graph.output];
        let vocab = *out.shape.last().unwrap_or(&1);
        let bits = out.quant.map(|q| q.bits).unwrap_or(0);
        if bits == 0 || bits > MAX_TABLE_BITS {
            return Err(CircuitError::unsupported(
                out,
                &format!("next-token proof for {bits}-bit logits"),
            ));
        }
        let logits = self.aux(graph.output, AuxKind::ArgmaxLogits, vec![vocab]);
        let gap = self.aux(graph.output, AuxKind::ArgmaxGap, vec![vocab]);
        self.lookup(LookupTable::unsigned_range(bits), TensorRef::Aux(gap), None);
        self.argmax = Some(ArgmaxPlan { logits, gap, vocab });
        Ok(())
    }

    pub fn new(graph: &Graph) -> Result<Plan, CircuitError> {
        let n = graph.nodes.len();
        let mut plan = Plan {
            committed: vec![false; n],
            rescale: vec![None; n],
            softmax: vec![None; n],
            raw_pad: vec![0; n],
            masked_output: vec![false; n],
            ..Default::default()
        };
        for node in &graph.nodes {
            let q = node
                .quant
                .ok_or_else(|| CircuitError::unsupported(node, "graph is not quantized"))?;
            let unsupported = |why: &str| CircuitError::unsupported(node, why);
            match &node.op {
                Op::Rescale { shift } => {
                    if *shift > MAX_RANGE_BITS {
                        return Err(unsupported(&format!(
                            "rescale shift above {MAX_RANGE_BITS} bits (its remainder's range check)"
                        )));
                    }
                    if q.bits > MAX_RANGE_BITS {
                        return Err(unsupported(&format!(
                            "rescale output wider than {MAX_RANGE_BITS} bits"
                        )));
                    }
                    if *shift == 0 {
                        // Its remainder would have no range to be checked in.
                        return Err(unsupported("rescale shift 0"));
                    }
                    plan.committed[node.id] = true;
                    let shape = node.shape.clone();
                    let rem = plan.ranged(node.id, AuxKind::RescaleRem, &shape, *shift, true);
                    let limbs =
                        plan.range_check(node.id, TensorRef::Node(node.id), &shape, q.bits, true);
                    let sat = if graph.saturating {
                        let xbits = graph.nodes[node.inputs[0]].quant.map_or(q.bits, |q| q.bits);
                        Some(plan.saturation(node, xbits, *shift))
                    } else {
                        None
                    };
                    plan.rescale[node.id] = Some(RescalePlan { rem, limbs, sat });
                }
                Op::Lookup { func, table } => {
                    let range = table.ok_or_else(|| unsupported("lookup without a table range"))?;
                    if range.log_size > MAX_TABLE_BITS {
                        return Err(unsupported("lookup table above 2^22 entries"));
                    }
                    let input = node.inputs[0];
                    let qi = graph.nodes[input].quant.expect("quantized");
                    let f = TableFn::Ir {
                        func: func.clone(),
                        f_in: qi.frac_bits,
                        f_out: q.frac_bits,
                        out_bits: q.bits,
                    };
                    let t = LookupTable {
                        lo: range.lo,
                        log_size: range.log_size,
                        func: Some(f),
                    };
                    // The input's committed padding: 0, or f₁(p) of a lookup it reads.
                    let pad_in = plan.raw_pad[input];
                    if !t.contains(pad_in) {
                        return Err(unsupported(&format!(
                            "lookup table range [{}, {}) excludes its input's padding value {pad_in}",
                            t.lo,
                            t.lo + t.len() as i64
                        )));
                    }
                    let pad = t.output(pad_in);
                    plan.raw_pad[node.id] = pad;
                    plan.masked_output[node.id] = pad != 0;
                    plan.committed[input] = true;
                    plan.committed[node.id] = true;
                    plan.lookup(t, TensorRef::Node(input), Some(TensorRef::Node(node.id)));
                }
                Op::Softmax { .. } => {
                    let input = node.inputs[0];
                    let qi = graph.nodes[input].quant.expect("quantized");
                    let cols = *node.shape.last().unwrap_or(&1);
                    let params = ZkAttnParams::new(cols, qi.bits, qi.frac_bits, q.frac_bits);
                    if params.band_too_wide() {
                        return Err(unsupported(&format!(
                            "softmax row-sum tolerance {} is over 1/32 of 2^f_out = 2^{} \
                             (rows of {cols} entries, f_in {}): the output needs more \
                             fractional bits",
                            params.tolerance, params.f_out, params.f_in
                        )));
                    }
                    if params.lo_bits > MAX_TABLE_BITS || params.sum_bits > MAX_TABLE_BITS {
                        return Err(unsupported("softmax tables above 2^22 entries"));
                    }
                    let mut rows = node.shape.clone();
                    if let Some(l) = rows.last_mut() {
                        *l = 1;
                    }
                    let shift = plan.aux(node.id, AuxKind::SmShift, rows.clone());
                    let lo = plan.aux(node.id, AuxKind::SmLo, node.shape.clone());
                    let hi = plan.aux(node.id, AuxKind::SmHi, node.shape.clone());
                    let exp = plan.aux(node.id, AuxKind::SmExp, node.shape.clone());
                    let delta = plan.aux(node.id, AuxKind::SmDelta, node.shape.clone());
                    let sum = plan.aux(node.id, AuxKind::SmSum, rows.clone());
                    let sum_hi = plan.aux(node.id, AuxKind::SmSumHi, rows);
                    let exp_table = LookupTable {
                        lo: 0,
                        log_size: params.lo_bits,
                        func: Some(TableFn::SoftmaxExp {
                            f_in: params.f_in,
                            f_out: params.f_out,
                        }),
                    };
                    let delta_table = LookupTable {
                        lo: 0,
                        log_size: params.hi_bits,
                        func: Some(TableFn::IsZero),
                    };
                    plan.lookup(exp_table, TensorRef::Aux(lo), Some(TensorRef::Aux(exp)));
                    plan.lookup(delta_table, TensorRef::Aux(hi), Some(TensorRef::Aux(delta)));
                    for a in [sum, sum_hi] {
                        plan.lookup(
                            LookupTable::unsigned_range(params.sum_bits),
                            TensorRef::Aux(a),
                            None,
                        );
                    }
                    plan.softmax[node.id] = Some(SoftmaxPlan {
                        params,
                        shift,
                        lo,
                        hi,
                        exp,
                        delta,
                        sum,
                        sum_hi,
                    });
                }
                Op::Norm { .. } | Op::Mask(_) => {
                    return Err(unsupported("float-only op in a quantized graph"))
                }
                Op::EinSum { spec, .. } => {
                    let (sa, sb) = (
                        &graph.nodes[node.inputs[0]].shape,
                        &graph.nodes[node.inputs[1]].shape,
                    );
                    let lone = |ops: &[char], other: &[char], shape: &[usize]| {
                        ops.iter()
                            .zip(shape)
                            .any(|(c, &d)| d > 1 && !other.contains(c) && !spec.out.contains(c))
                    };
                    let only_one = lone(&spec.a, &spec.b, sa) || lone(&spec.b, &spec.a, sb);
                    if only_one {
                        return Err(unsupported("einsum sums an axis of only one operand"));
                    }
                }
                _ => {}
            }
        }
        // Weights are committed at setup, never again in the proof.
        for node in &graph.nodes {
            if matches!(node.op, Op::Weight { .. } | Op::Input { .. } | Op::Constant)
                && plan.committed[node.id]
            {
                return Err(CircuitError::unsupported(
                    node,
                    "a lookup reads a weight, constant or input directly",
                ));
            }
        }
        Ok(plan)
    }
}
