//! Whole-model forgeries on a real fixture (LLaMA, seq 8): each test proves
//! a false statement with a prover that is honest except for the one thing
//! it forges, so the Fiat–Shamir transcript is the prover's own and every
//! other check holds, then asserts which check rejects it (the node and
//! relation, the lookup table, or the openings). Each has a control: the
//! same path without the forgery verifies. Every test runs twice: in the
//! clear, and with zero knowledge, where most relations are recorded and
//! settled together at the end (one zero proof, one batched group check),
//! so the rejection is asserted and its reason printed.

mod common;

use std::sync::OnceLock;

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkllm::artifacts::ProvingKey;
use zkllm::backend::default_backend;
use zkllm::circuit::plan::{RescalePlan, TensorRef, LIMB_BITS};
use zkllm::circuit::{self, layout, AnyProof, CircuitError, Plan, Statement};
use zkllm::commit::{Hyrax, HyraxCommitment, HyraxHint};
use zkllm::ir::{Data, Graph, NodeId, Op};
use zkllm::protocols::tables::LookupTable;
use zkllm::witness::{self, Witness};
use zkllm::{pipeline, witness::generate_with_override};

/// One set-up model shared by the tests of a binary.
struct Fixture {
    pk: ProvingKey,
    plan: Plan,
    pcs: Hyrax,
    digest: [u8; 32],
    ids: Vec<i64>,
    position: usize,
    /// Prove with zero knowledge.
    zk: bool,
}

fn fixture_at(seq: usize, zk: bool) -> Fixture {
    fixture_with(seq, zk, &pipeline::default_quant_config(false))
}

fn fixture_with(seq: usize, zk: bool, cfg: &zkllm::quant::QuantConfig) -> Fixture {
    let path =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/llama_dynamo.onnx");
    let g = pipeline::quantized_graph_with(&path, seq, None, cfg).expect("fixture quantizes");
    let pk = pipeline::setup(g, &|_, _, _| {}).expect("setup");
    let plan = Plan::new(&pk.graph).unwrap();
    let pcs = Hyrax::setup(&pk.vk.generator_seed, pk.vk.max_vars);
    let digest = pk.vk.digest();
    let prompt = [3, 1, 4, 1, 5, 9, 2, 6];
    let (ids, position) = pipeline::statement_ids(&pk.graph, &prompt[..seq]).unwrap();
    Fixture {
        pk,
        plan,
        pcs,
        digest,
        ids,
        position,
        zk,
    }
}

/// LLaMA at seq 8: every shape is a power of two (nothing pads).
fn llama() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| fixture_at(8, false))
}

/// [`llama`], proving with zero knowledge.
fn llama_zk() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| fixture_at(8, true))
}

/// LLaMA at seq 6: the sequence axis pads from 6 to 8.
fn llama_padded() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| fixture_at(6, false))
}

/// [`llama_padded`], proving with zero knowledge.
fn llama_padded_zk() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| fixture_at(6, true))
}

/// LLaMA at seq 8 with 24-bit weights and residual stream: a norm's
/// sum-of-squares rescale shifts by more than 28 bits, so its remainder is
/// range-checked in three limbs.
fn llama_wide(zk: bool) -> &'static Fixture {
    static F: [OnceLock<Fixture>; 2] = [OnceLock::new(), OnceLock::new()];
    F[zk as usize].get_or_init(|| {
        let cfg = zkllm::quant::QuantConfig {
            weight_bits: 24,
            residual_bits: 24,
            ..pipeline::default_quant_config(false)
        };
        fixture_with(8, zk, &cfg)
    })
}

impl Fixture {
    fn g(&self) -> &Graph {
        &self.pk.graph
    }

    fn weights(&self) -> Vec<(HyraxCommitment, HyraxHint)> {
        self.pk
            .vk
            .weights
            .iter()
            .cloned()
            .zip(self.pk.weight_hints.iter().cloned())
            .collect()
    }

    fn witness(&self) -> Witness<'_> {
        witness::generate(self.g(), &self.ids).unwrap()
    }

    /// The witness with node `id`'s output replaced and every later node
    /// recomputed from it.
    fn witness_with(&self, id: NodeId, values: Vec<i64>) -> Witness<'_> {
        generate_with_override(self.g(), &self.ids, id, values).unwrap()
    }

    /// The statement publishing `wit`'s logits at the prompt's last position.
    fn statement(&self, wit: &Witness<'_>) -> Statement {
        let vocab = pipeline::logits_width(self.g());
        let p = self.position;
        Statement {
            ids: self.ids.clone(),
            position: p,
            all_positions: false,
            logits: wit.node(self.g().output)[p * vocab..(p + 1) * vocab].to_vec(),
            next_token: None,
        }
    }

    /// The honest prover on `wit` (which may be forged) and `stmt`.
    fn prove(&self, wit: &Witness<'_>, stmt: &Statement) -> AnyProof {
        self.prove_forgery(self.g(), wit, stmt, circuit::Forgery::default(), 7)
    }

    /// The prover committing `values` in place of the committed tensors.
    fn prove_values(&self, wit: &Witness<'_>, stmt: &Statement, values: Vec<Vec<i64>>) -> AnyProof {
        let forgery = circuit::Forgery {
            values: Some(values),
            ..Default::default()
        };
        self.prove_forgery(self.g(), wit, stmt, forgery, 8)
    }

    /// A prover honest but for `forgery`, on `graph` (the key's, or a
    /// substituted one), in this fixture's mode.
    fn prove_forgery(
        &self,
        graph: &Graph,
        wit: &Witness<'_>,
        stmt: &Statement,
        forgery: circuit::Forgery,
        seed: u64,
    ) -> AnyProof {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        macro_rules! prove_as {
            ($m:ty) => {
                circuit::prove_forgery_in::<$m, _>(
                    default_backend(),
                    &self.pcs,
                    graph,
                    &self.plan,
                    &self.weights(),
                    &self.digest,
                    wit,
                    stmt,
                    forgery,
                    &mut rng,
                )
                .expect("the prover runs")
            };
        }
        if self.zk {
            AnyProof::Hidden(prove_as!(zkllm::zk::Hidden))
        } else {
            AnyProof::Clear(prove_as!(zkllm::zk::Clear))
        }
    }

    /// Verifies against the verifying key (no weight data, the setup's commitments).
    fn verify(&self, stmt: &Statement, proof: &AnyProof) -> Result<(), CircuitError> {
        assert_eq!(proof.zero_knowledge(), self.zk);
        let vk = &self.pk.vk;
        let r = circuit::verify_any(
            default_backend(),
            &self.pcs,
            &vk.graph,
            &self.plan,
            &vk.weights,
            &self.digest,
            stmt,
            proof,
        );
        if let Err(e) = &r {
            let kind = if self.zk { "zk" } else { "clear" };
            println!("{kind}: rejected: {e}");
        }
        r
    }

    fn slot(&self, t: TensorRef) -> usize {
        self.plan
            .committed_tensors()
            .iter()
            .position(|x| *x == t)
            .expect("a committed tensor")
    }

    /// The lookup table that reads `x`.
    fn table_of(&self, x: TensorRef) -> usize {
        self.plan
            .lookups
            .iter()
            .find(|u| u.x == x)
            .expect("looked up")
            .table
    }

    fn table_index(&self, t: &LookupTable) -> usize {
        self.plan
            .tables
            .iter()
            .position(|x| x == t)
            .expect("a table of the plan")
    }

    /// Rescale nodes with their plan and shift.
    fn rescales(&self) -> impl Iterator<Item = (NodeId, RescalePlan, u32)> + '_ {
        self.g().nodes.iter().filter_map(|n| match n.op {
            Op::Rescale { shift } => Some((n.id, self.plan.rescale[n.id].clone()?, shift)),
            _ => None,
        })
    }

    fn first(&self, op: fn(&Op) -> bool) -> NodeId {
        self.g()
            .nodes
            .iter()
            .find(|n| op(&n.op))
            .expect("the fixture has the op")
            .id
    }
}

/// In a zero-knowledge proof a relation is recorded, not checked, where it
/// arises: a forgery is rejected by the batched settlement at the end (or,
/// for a false opening, by the openings). Asserts that, and prints why.
fn rejected_in_zk(r: Result<(), CircuitError>) -> String {
    match r {
        Err(CircuitError::Invalid(e)) | Err(CircuitError::Rejected { why: e, .. }) => e,
        other => panic!("expected the zero-knowledge proof to be rejected, got {other:?}"),
    }
}

/// Asserts a rejection in the walk at node `id`, returning its reason.
fn rejected_at(f: &Fixture, r: Result<(), CircuitError>, id: NodeId) -> String {
    if f.zk {
        return rejected_in_zk(r);
    }
    let node = &f.g().nodes[id];
    match r {
        Err(CircuitError::Rejected {
            node: at,
            name,
            op,
            why,
        }) => {
            assert_eq!(
                (at, name.as_str(), op),
                (id, node.name.as_str(), node.op.kind()),
                "rejected at another node: {why}"
            );
            why
        }
        other => panic!(
            "expected a rejection at node {id} '{}' ({}), got {other:?}",
            node.name,
            node.op.kind()
        ),
    }
}

/// Asserts a rejection by the lookup argument, for committed `values` that
/// leave table `ti` (the argument checks every table at once, so the
/// witness says which table the forgery breaks).
fn rejected_by_lookup(f: &Fixture, r: Result<(), CircuitError>, ti: usize, values: &[Vec<i64>]) {
    let left = common::tables_left(&f.plan, values);
    assert!(
        left.contains(&ti),
        "the forgery leaves tables {left:?}, not {ti}"
    );
    if f.zk {
        rejected_in_zk(r);
        return;
    }
    match r {
        Err(CircuitError::Invalid(e)) => assert_eq!(e, common::LOOKUP_REJECTED),
        other => panic!("expected the lookup argument to reject, got {other:?}"),
    }
}

/// Asserts a rejection by the batched openings.
fn rejected_by_openings(f: &Fixture, r: Result<(), CircuitError>) {
    if f.zk {
        rejected_in_zk(r);
        return;
    }
    match r {
        Err(CircuitError::Invalid(e)) => {
            assert!(e.starts_with("openings:"), "not the openings: {e}")
        }
        other => panic!("expected the openings to reject, got {other:?}"),
    }
}

#[test]
fn an_honest_proof_verifies() {
    for f in [llama(), llama_zk()] {
        let wit = f.witness();
        let stmt = f.statement(&wit);
        f.verify(&stmt, &f.prove(&wit, &stmt))
            .expect("honest proof verifies");
    }
}

/// Forgery 1: published logits that are not the model's. The output node is a
/// committed Rescale, so the statement's claim on it is an opening claim on
/// the committed `Q`: with the witness left honest (`circuit::prove` with the
/// edited statement), only the openings can see the difference, by design
/// (the walk's relations all start from fresh points on honest tensors).
/// Made consistent through the commitment (the committed `Q` holding the
/// published logits, via the override hook), the output rescale's relation
/// hands a false claim `2^s·Q'(ρ) + R(ρ)` to its input, whose matmul
/// sumcheck rejects it: the first relation below the output.
#[test]
fn published_logits_that_are_not_the_models_are_rejected() {
    for f in [llama(), llama_zk()] {
        let g = f.g();
        let out = g.output;
        assert!(matches!(g.nodes[out].op, Op::Rescale { .. }));
        let vocab = pipeline::logits_width(g);
        let at = f.position * vocab + 5;

        // Control: the same paths, unforged.
        let wit = f.witness();
        let stmt = f.statement(&wit);
        let honest_out = wit.node(out).to_vec();
        let same = f.witness_with(out, honest_out.clone());
        f.verify(&stmt, &f.prove(&same, &stmt))
            .expect("the override hook with honest values verifies");

        // The honest witness under the edited statement: caught by the openings.
        let mut edited = stmt.clone();
        edited.logits[5] += 1;
        rejected_by_openings(f, f.verify(&edited, &f.prove(&wit, &edited)));

        // The committed output holds the edited logits: caught at the matmul below it.
        let mut q = honest_out;
        q[at] += 1;
        let forged = f.witness_with(out, q);
        assert_eq!(f.statement(&forged), edited);
        let below = g.nodes[out].inputs[0];
        assert!(matches!(g.nodes[below].op, Op::EinSum { .. }));
        let why = rejected_at(f, f.verify(&edited, &f.prove(&forged, &edited)), below);
        assert!(f.zk || why.contains("matmul"), "{why}");
    }
}

/// Forgery 2: token ids in the statement that are not the witness's: the embedding
/// check (the verifier's row selector from the statement's ids).
#[test]
fn token_ids_that_are_not_the_witnesss_fail_the_embedding_check() {
    for f in [llama(), llama_zk()] {
        let wit = f.witness();
        let stmt = f.statement(&wit);
        f.verify(&stmt, &f.prove(&wit, &stmt))
            .expect("the statement of the witness verifies");
        let mut edited = stmt.clone();
        edited.ids[2] = 7;
        assert_ne!(edited.ids, f.ids);
        let emb = f.first(|op| matches!(op, Op::Embedding));
        let why = rejected_at(f, f.verify(&edited, &f.prove(&wit, &edited)), emb);
        assert!(
            f.zk || why.contains("embedding rows do not match the claim"),
            "{why}"
        );
    }
}

/// Forgery 3: the model-substitution attack: the prover runs another weight matrix
/// (one real entry changed) under the key's original commitments; the
/// witness, every sumcheck and every lookup are the substituted model's,
/// so only the openings of the weight can catch it.
#[test]
fn weights_that_are_not_the_committed_ones_fail_the_openings() {
    for f in [llama(), llama_zk()] {
        let g = f.g();
        // The first matmul weight (a projection).
        let w = g
            .nodes
            .iter()
            .find_map(|n| match n.op {
                Op::EinSum {
                    weight_operand: Some(k),
                    ..
                } => Some(n.inputs[k]),
                _ => None,
            })
            .expect("a matmul weight");
        let run = |substituted: &Graph| {
            let wit = witness::generate(substituted, &f.ids).unwrap();
            let stmt = f.statement(&wit);
            let tables: Vec<Vec<i64>> = substituted
                .nodes
                .iter()
                .filter(|n| matches!(n.op, Op::Weight { .. }))
                .map(|n| match &n.data {
                    Some(Data::I64(v)) => layout::padded_ints(&n.shape, v),
                    _ => panic!("weight data"),
                })
                .collect();
            let forgery = circuit::Forgery {
                weight_tables: Some(tables),
                ..Default::default()
            };
            let proof = f.prove_forgery(substituted, &wit, &stmt, forgery, 9);
            f.verify(&stmt, &proof)
        };
        run(g).expect("the committed weights verify");
        let mut sub = g.clone();
        let Some(Data::I64(v)) = &mut sub.nodes[w].data else {
            panic!("weight data")
        };
        v[0] += if v[0] < 0 { 1 } else { -1 };
        rejected_by_openings(f, run(&sub));
    }
}

/// A Rescale with neither output nor remainder limbs, and a shift of at least 8.
fn plain_rescale(f: &Fixture) -> (NodeId, RescalePlan, u32) {
    f.rescales()
        .find(|(_, rp, s)| rp.limbs.is_none() && rp.rem.whole().is_some() && *s >= 8)
        .expect("a plain rescale")
}

/// Forgery 4: a rescale quotient one too large: `Q' = Q + 1` with every later node
/// computed from it, and the remainder `R' = X − 2^s·Q' = R − 2^s` so that
/// `X = 2^s·Q' + R'` holds everywhere; `R'` leaves the signed `s`-bit range,
/// which only the remainder's range lookup checks.
#[test]
fn a_forged_rescale_quotient_fails_the_remainder_range_lookup() {
    for f in [llama(), llama_zk()] {
        let (id, rp, shift) = plain_rescale(f);
        let shape = f.g().nodes[id].shape.clone();
        let e = 3;
        let forge = |dq: i64| {
            let mut q = f.witness().node(id).to_vec();
            q[e] += dq;
            let wit = f.witness_with(id, q);
            let stmt = f.statement(&wit);
            let mut v = circuit::committed_values(f.g(), &f.plan, &wit, &stmt).unwrap();
            let rem = rp.rem.whole().unwrap();
            v[f.slot(TensorRef::Aux(rem))][layout::padded_index(&shape, e)] -= dq << shift;
            (f.verify(&stmt, &f.prove_values(&wit, &stmt, v.clone())), v)
        };
        forge(0).0.expect("the unforged path verifies");
        let ti = f.table_index(&LookupTable::signed_range(shift));
        assert_eq!(f.table_of(TensorRef::Aux(rp.rem.whole().unwrap())), ti);
        println!("node {id}: shift {shift}, remainder range table {ti}");
        let (r, v) = forge(1);
        rejected_by_lookup(f, r, ti, &v);
    }
}

/// Forgery 5: the limbs of a wide (20-bit) rescale output, `hi + 1` and
/// `lo − 2^12`: they still recombine to `Q` (the verifier's check), but `lo`
/// leaves `[0, 2^12)`, which only the unsigned 12-bit lookup checks.
#[test]
fn a_forged_limb_fails_the_unsigned_limb_lookup() {
    for f in [llama(), llama_zk()] {
        let (id, rp, _) = f
            .rescales()
            .find(|(_, rp, _)| rp.limbs.is_some() && rp.rem.whole().is_some())
            .expect("a rescale with output limbs");
        let [hi, lo] = rp.limbs.as_deref().unwrap() else {
            panic!("a 20-bit value has two limbs")
        };
        let (hi, lo) = (*hi, *lo);
        assert!(f.g().nodes[id].quant.unwrap().bits > 16);
        let wit = f.witness();
        let stmt = f.statement(&wit);
        let honest = circuit::committed_values(f.g(), &f.plan, &wit, &stmt).unwrap();
        f.verify(&stmt, &f.prove_values(&wit, &stmt, honest.clone()))
            .expect("the unforged path verifies");
        let hi_bits = f.g().nodes[id].quant.unwrap().bits - LIMB_BITS;
        let (sh, sl) = (f.slot(TensorRef::Aux(hi)), f.slot(TensorRef::Aux(lo)));
        // An entry whose hi + 1 stays in its signed range.
        let at = (0..honest[sh].len())
            .find(|&i| honest[sh][i] + 1 < 1 << (hi_bits - 1))
            .unwrap();
        let mut v = honest;
        v[sh][at] += 1;
        v[sl][at] -= 1 << LIMB_BITS;
        let ti = f.table_index(&LookupTable::unsigned_range(LIMB_BITS));
        assert_eq!(f.table_of(TensorRef::Aux(lo)), ti);
        println!("node {id}: limb lo table {ti}");
        let r = f.verify(&stmt, &f.prove_values(&wit, &stmt, v.clone()));
        rejected_by_lookup(f, r, ti, &v);
    }
}

/// A rescale whose remainder has three limbs (shift above 28 bits).
fn three_limb_rescale(f: &Fixture) -> (NodeId, RescalePlan, u32) {
    f.rescales()
        .find(|(_, rp, _)| rp.rem.limbs().is_some_and(|l| l.len() == 3))
        .expect("a rescale with a three-limb remainder")
}

/// Forgery 5b: a rescale shifting by more than 28 bits (24-bit weights),
/// its remainder split `R = 2^24·top + 2^12·mid + lo`. Three forgeries,
/// each transcript-consistent:
/// - the quotient one too large (`Q + 1`, `R − 2^s`, limbs of the new `R`
///   honest): the top limb leaves its signed `s − 24`-bit range, which only
///   its lookup checks;
/// - `mid + 1`, `lo − 2^12`: still recombines, but `lo` leaves `[0, 2^12)`;
/// - `mid + 1` alone: the remainder (the limbs' sum, never committed on its
///   own) is off by `2^12`, so the claim `X = 2^s·Q + R` on the rescale's
///   input is false and a check above the rescale rejects it.
#[test]
fn a_three_limb_remainder_is_checked_limb_by_limb() {
    for f in [llama_wide(false), llama_wide(true)] {
        let (id, rp, shift) = three_limb_rescale(f);
        assert!(shift > 28, "shift {shift}");
        let limbs = rp.rem.limbs().unwrap().clone();
        let shape = f.g().nodes[id].shape.clone();
        let wit = f.witness();
        let stmt = f.statement(&wit);
        let honest = circuit::committed_values(f.g(), &f.plan, &wit, &stmt).unwrap();
        f.verify(&stmt, &f.prove(&wit, &stmt))
            .expect("an honest proof with three-limb remainders verifies");
        println!("node {id}: shift {shift}, remainder limbs {limbs:?}");
        let (top, mid, lo) = (
            f.slot(TensorRef::Aux(limbs[0])),
            f.slot(TensorRef::Aux(limbs[1])),
            f.slot(TensorRef::Aux(limbs[2])),
        );

        // The quotient one too large, every later node computed from it.
        let e = 0;
        let mut q = wit.node(id).to_vec();
        q[e] += 1;
        let forged = f.witness_with(id, q);
        let fstmt = f.statement(&forged);
        let mut v = circuit::committed_values(f.g(), &f.plan, &forged, &fstmt).unwrap();
        let i = layout::padded_index(&shape, e);
        let r = (v[top][i] << (2 * LIMB_BITS)) + (v[mid][i] << LIMB_BITS) + v[lo][i];
        let parts = zkllm::protocols::rescale::limbs::split_n(r - (1 << shift), LIMB_BITS, 3);
        for (slot, p) in [top, mid, lo].into_iter().zip(parts) {
            v[slot][i] = p;
        }
        let ti = f.table_index(&LookupTable::signed_range(shift - 2 * LIMB_BITS));
        assert_eq!(f.table_of(TensorRef::Aux(limbs[0])), ti);
        let proof = f.prove_values(&forged, &fstmt, v.clone());
        rejected_by_lookup(f, f.verify(&fstmt, &proof), ti, &v);

        // mid + 1, lo − 2^12 at an entry whose mid + 1 stays below 2^12.
        let at = (0..honest[mid].len())
            .find(|&i| honest[mid][i] + 1 < 1 << LIMB_BITS)
            .unwrap();
        let mut v = honest.clone();
        v[mid][at] += 1;
        v[lo][at] -= 1 << LIMB_BITS;
        let ti = f.table_index(&LookupTable::unsigned_range(LIMB_BITS));
        assert_eq!(f.table_of(TensorRef::Aux(limbs[2])), ti);
        let r = f.verify(&stmt, &f.prove_values(&wit, &stmt, v.clone()));
        rejected_by_lookup(f, r, ti, &v);

        // mid + 1 alone: in its range, but the remainder (the limbs' sum)
        // is off by 2^12, so the claim `X = 2^s·Q + R` passed to the input
        // is false, and the first check above the rescale rejects it.
        let mut v = honest;
        v[mid][at] += 1;
        match f.verify(&stmt, &f.prove_values(&wit, &stmt, v)) {
            r if f.zk => {
                rejected_in_zk(r);
            }
            Err(CircuitError::Rejected { node, why, .. }) => {
                assert!(node < id, "rejected at node {node}, not above {id}: {why}");
                println!("mid + 1 alone: rejected at node {node}: {why}");
            }
            other => panic!("expected a rejection above node {id}, got {other:?}"),
        }
    }
}

/// Forgery 6: the embedding's output row at one position replaced by another
/// token's row, the rest of the model run on it: the embedding check.
#[test]
fn a_forged_embedding_row_fails_the_embedding_check() {
    for f in [llama(), llama_zk()] {
        let emb = f.first(|op| matches!(op, Op::Embedding));
        let table = f.g().nodes[emb].inputs[0];
        let d = f.g().nodes[table].shape[1];
        let Some(Data::I64(rows)) = &f.g().nodes[table].data else {
            panic!("embedding table data")
        };
        let forge = |token: usize| {
            let mut y = f.witness().node(emb).to_vec();
            let p = 2;
            y[p * d..(p + 1) * d].copy_from_slice(&rows[token * d..(token + 1) * d]);
            let wit = f.witness_with(emb, y);
            let stmt = f.statement(&wit);
            f.verify(&stmt, &f.prove(&wit, &stmt))
        };
        forge(f.ids[2] as usize).expect("the row of the statement's token verifies");
        rejected_at(f, forge(f.ids[2] as usize + 10), emb);
    }
}

/// Forgery 7: a masked-out score given a non-zero softmax output (the exp and δ
/// auxiliaries, computed from the scores, left honest), the rest of the
/// model run on it: the softmax's `y = M∘E∘Δ` sumcheck.
#[test]
fn a_forged_masked_softmax_entry_fails_at_the_softmax() {
    for f in [llama(), llama_zk()] {
        let sm = f.first(|op| matches!(op, Op::Softmax { mask: Some(_), .. }));
        let Op::Softmax { mask: Some(m), .. } = &f.g().nodes[sm].op else {
            unreachable!()
        };
        let shape = f.g().nodes[sm].shape.clone();
        let keep = zkllm::ir::shape_maps::broadcast_index_map(&m.shape, &shape);
        let at = (0..keep.len())
            .find(|&i| !m.keep[keep[i]])
            .expect("a masked-out entry");
        let forge = |dy: i64| {
            let mut y = f.witness().node(sm).to_vec();
            assert_eq!(y[at], 0, "masked out");
            y[at] += dy;
            let wit = f.witness_with(sm, y);
            let stmt = f.statement(&wit);
            f.verify(&stmt, &f.prove(&wit, &stmt))
        };
        forge(0).expect("the unforged path verifies");
        println!("softmax node {sm}: masked entry {at}");
        rejected_at(f, forge(1 << 10), sm);
    }
}

/// Forgery 8: a non-zero value in a padding slot of a committed auxiliary: the
/// remainder `R` of a rescale whose sequence axis pads (seq 6 → 8), in its
/// signed range, so the range lookup passes. The rescale's relation then
/// states `X(ρ) = 2^s·Q(ρ) + R'(ρ)` on its input `X`, an einsum output whose
/// padding the matmul fixes to zero (its operands are zero-padded): the
/// matmul sumcheck at the input rejects it.
#[test]
fn a_non_zero_remainder_padding_fails_at_the_rescales_input() {
    for f in [llama_padded(), llama_padded_zk()] {
        let (id, rp, shift) = f
            .rescales()
            .find(|(id, rp, s)| {
                let x = f.g().nodes[*id].inputs[0];
                rp.limbs.is_none()
                    && rp.rem.whole().is_some()
                    && *s >= 8
                    && matches!(f.g().nodes[x].op, Op::EinSum { .. })
            })
            .expect("a plain rescale of a matmul");
        let shape = f.g().nodes[id].shape.clone();
        let real: std::collections::HashSet<usize> = (0..shape.iter().product())
            .map(|e| layout::padded_index(&shape, e))
            .collect();
        let pad = (0..1usize << layout::num_vars(&shape))
            .find(|i| !real.contains(i))
            .expect("the shape pads");
        println!("node {id} shape {shape:?}: padding slot {pad}");
        let wit = f.witness();
        let stmt = f.statement(&wit);
        let honest = circuit::committed_values(f.g(), &f.plan, &wit, &stmt).unwrap();
        f.verify(&stmt, &f.prove_values(&wit, &stmt, honest.clone()))
            .expect("the unforged path verifies");
        let mut v = honest;
        let r = f.slot(TensorRef::Aux(rp.rem.whole().unwrap()));
        assert_eq!(v[r][pad], 0);
        v[r][pad] = 1 - (1 << (shift - 1)); // in the signed range
        let x = f.g().nodes[id].inputs[0];
        let why = rejected_at(f, f.verify(&stmt, &f.prove_values(&wit, &stmt, v)), x);
        assert!(f.zk || why.contains("matmul"), "{why}");
    }
}

/// The proof's stacks (issue 15's layout): two committed tensors of one
/// size that trade places in the committed stack (the prover honest
/// otherwise) fail the openings, where each claim on them is checked
/// against its own tensor's rows; a proof whose commitments are not the
/// circuit's layout (a stack more, a stack of another size) is refused
/// before any check, naming the layout.
#[test]
fn a_proof_in_another_layout_is_rejected() {
    for f in [llama(), llama_zk()] {
        let wit = f.witness();
        let stmt = f.statement(&wit);
        let honest = circuit::committed_values(f.g(), &f.plan, &wit, &stmt).unwrap();
        let tensors = f.plan.committed_tensors();
        // Two committed nodes' outputs of one size and different values.
        let (a, b) = (0..tensors.len())
            .flat_map(|a| (a + 1..tensors.len()).map(move |b| (a, b)))
            .find(|&(a, b)| {
                matches!(tensors[a], TensorRef::Node(_))
                    && matches!(tensors[b], TensorRef::Node(_))
                    && honest[a].len() == honest[b].len()
                    && honest[a] != honest[b]
            })
            .expect("two committed tensors of one size");
        let mut moved = honest.clone();
        moved.swap(a, b);
        // The claims on the two tensors are checked against the stack: by
        // the first op that reads one of them from its commitment, or by the
        // openings.
        let r = f.verify(&stmt, &f.prove_values(&wit, &stmt, moved));
        if f.zk {
            rejected_in_zk(r);
        } else {
            match r {
                Err(CircuitError::Rejected { .. }) => {}
                Err(CircuitError::Invalid(e)) if e.starts_with("openings:") => {}
                other => panic!("a moved tensor: expected a rejection, got {other:?}"),
            }
        }

        let proof = f.prove(&wit, &stmt);
        let refused = |edit: &dyn Fn(&mut Vec<HyraxCommitment>)| -> String {
            let mut p = proof.clone();
            match &mut p {
                AnyProof::Clear(p) => edit(&mut p.commitments),
                AnyProof::Hidden(p) => edit(&mut p.commitments),
            }
            match f.verify(&stmt, &p) {
                Err(CircuitError::Invalid(e)) => e,
                other => panic!("expected the layout to be refused, got {other:?}"),
            }
        };
        let e = refused(&|c| c.push(c[0].clone()));
        assert!(
            e.contains("the circuit's layout has 1 (one per stack)"),
            "{e}"
        );
        let e = refused(&|c| {
            let (big, _) = f
                .pcs
                .commit_small(
                    default_backend(),
                    &[0; 2],
                    c[0].num_vars + 1,
                    &mut rand_rng(),
                )
                .unwrap();
            c[0] = big;
        });
        assert!(
            e.starts_with("commitments: stack 0: the commitment is of 2^"),
            "{e}"
        );
        // The proof's stack in narrower rows than the widest its layout has.
        let e = refused(&|c| c[0].col_vars -= 1);
        assert!(
            e.starts_with("commitments: stack 0: the commitment has rows of 2^"),
            "{e}"
        );
    }
}

fn rand_rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(99)
}
