//! Saturating rescales (`src/circuit/saturation.rs`): a key whose ranges
//! are too tight for the prompt (calibrated at half the float range) still
//! proves and verifies, with the clamp counts public and proven; `--strict`
//! refuses the prompt instead; and each way of not clamping honestly is a
//! transcript-consistent forgery rejected by the check that names it.

mod common;

use std::sync::OnceLock;

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkllm::artifacts::ProvingKey;
use zkllm::backend::default_backend;
use zkllm::circuit::plan::{Ranged, SatPlan, TensorRef};
use zkllm::circuit::{self, layout, Plan, Statement};
use zkllm::commit::Hyrax;
use zkllm::import::{import, ImportOptions};
use zkllm::ir::Op;
use zkllm::pipeline::{self, Publish};
use zkllm::witness::{self, generate_with_override, Witness};

struct Fixture {
    pk: ProvingKey,
    plan: Plan,
    pcs: Hyrax,
    ids: Vec<i64>,
    position: usize,
}

const PROMPT: [i64; 8] = [3, 1, 4, 1, 5, 9, 2, 6];

/// LLaMA at seq 8, its ranges half of what the float runs saw.
fn tight() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let path =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/llama_dynamo.onnx");
        let float = import(
            &path,
            &ImportOptions {
                seq_len: 8,
                ..Default::default()
            },
        )
        .unwrap();
        let cfg = zkllm::quant::QuantConfig {
            headroom: 0.5,
            ..pipeline::default_quant_config(false)
        };
        let g = pipeline::quantize_float_graph(&float, None, &cfg).unwrap();
        assert!(g.saturating, "saturation is the default");
        let pk = pipeline::setup(g, &|_, _, _| {}).unwrap();
        let plan = Plan::new(&pk.graph).unwrap();
        let pcs = Hyrax::setup(&pk.vk.generator_seed, pk.vk.max_vars);
        let (ids, position) = pipeline::statement_ids(&pk.graph, &PROMPT).unwrap();
        Fixture {
            pk,
            plan,
            pcs,
            ids,
            position,
        }
    })
}

impl Fixture {
    fn statement(&self, wit: &Witness<'_>) -> Statement {
        let g = &self.pk.graph;
        let vocab = pipeline::logits_width(g);
        Statement {
            ids: self.ids.clone(),
            position: self.position,
            all_positions: false,
            logits: wit.node(g.output)[self.position * vocab..(self.position + 1) * vocab].to_vec(),
            next_token: None,
        }
    }

    /// Proves with the forging prover (committed `values`, stated `counts`)
    /// and verifies against the key: the error, or `Ok`.
    fn run(
        &self,
        wit: &Witness<'_>,
        values: Vec<Vec<i64>>,
        counts: Option<Vec<[u64; 2]>>,
    ) -> Result<(), String> {
        let stmt = self.statement(wit);
        let weights: Vec<_> = self
            .pk
            .vk
            .weights
            .iter()
            .cloned()
            .zip(self.pk.weight_hints.iter().cloned())
            .collect();
        let digest = self.pk.vk.digest();
        let be = default_backend();
        let g = &self.pk.graph;
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let counts = counts.unwrap_or_else(|| honest_counts(&self.plan, &values));
        let forgery = circuit::Forgery {
            values: Some(values),
            clamp_counts: Some(counts),
            ..Default::default()
        };
        let proof = circuit::prove_forgery(
            be, &self.pcs, g, &self.plan, &weights, &digest, wit, &stmt, forgery, &mut rng,
        )
        .map_err(|e| format!("prover: {e}"))?;
        circuit::verify(
            be,
            &self.pcs,
            &self.pk.vk.graph,
            &self.plan,
            &self.pk.vk.weights,
            &digest,
            &stmt,
            &proof,
        )
        .map_err(|e| e.to_string())
    }

    /// A saturating rescale none of whose consumers is a lookup (so a
    /// changed output stays in every table downstream), with an entry whose
    /// quotient `Q` satisfies `pred(Q, top)`: the node, its plan, the entry
    /// and `Q` there.
    fn entry_where(
        &self,
        wit: &Witness<'_>,
        pred: impl Fn(i64, i64) -> bool,
    ) -> (usize, SatPlan, usize, i64) {
        let g = &self.pk.graph;
        let consumers = g.consumers();
        for &id in &self.plan.saturating {
            let node = &g.nodes[id];
            if consumers[id]
                .iter()
                .any(|&k| matches!(g.nodes[k].op, Op::Lookup { .. }))
            {
                continue;
            }
            let Op::Rescale { shift } = node.op else {
                continue;
            };
            let top = (1i64 << (node.quant.unwrap().bits - 1)) - 1;
            let x = wit.node(node.inputs[0]);
            if let Some(e) = x
                .iter()
                .position(|&v| pred(zkllm::quant::rescale(v, shift), top))
            {
                let sp = self.plan.rescale[id].clone().unwrap().sat.unwrap();
                return (id, sp, e, zkllm::quant::rescale(x[e], shift));
            }
        }
        panic!("no saturating rescale has such an entry");
    }

    /// An entry clamped from above by at least 3.
    fn clamped_entry(&self, wit: &Witness<'_>) -> (usize, SatPlan, usize, i64) {
        self.entry_where(wit, |q, top| q >= top + 3)
    }

    /// The model run with `node`'s output entry `e` set to `y` (every later
    /// node computed from it), that run's committed values (the sign and
    /// excess still those of the unchanged input), and `e`'s padded index.
    fn with_output(
        &self,
        wit: &Witness<'_>,
        node: usize,
        e: usize,
        y: i64,
    ) -> (Witness<'_>, Vec<Vec<i64>>, usize) {
        let g = &self.pk.graph;
        let mut out = wit.node(node).to_vec();
        out[e] = y;
        let forged = generate_with_override(g, &self.ids, node, out).unwrap();
        let stmt = self.statement(&forged);
        let values = circuit::committed_values(g, &self.plan, &forged, &stmt).unwrap();
        (
            forged,
            values,
            layout::padded_index(&g.nodes[node].shape, e),
        )
    }

    /// Sets the excess `E` at padded index `i` (itself, or its limbs).
    fn set_excess(&self, values: &mut [Vec<i64>], sp: &SatPlan, i: usize, v: i64) {
        match &sp.excess {
            Ranged::Whole(a) => values[self.slot(*a)][i] = v,
            Ranged::Limbs(limbs) => {
                let parts = zkllm::protocols::rescale::limbs::split_n(
                    v,
                    zkllm::circuit::plan::LIMB_BITS,
                    limbs.len(),
                );
                for (&a, p) in limbs.iter().zip(parts) {
                    values[self.slot(a)][i] = p;
                }
            }
        }
    }

    /// The excess `E` at padded index `i`.
    fn excess(&self, values: &[Vec<i64>], sp: &SatPlan, i: usize) -> i64 {
        let parts = sp.excess.parts();
        (parts.iter()).fold(0, |acc, &a| {
            (acc << zkllm::circuit::plan::LIMB_BITS) + values[self.slot(a)][i]
        })
    }

    /// The committed-values slot of auxiliary `aux`.
    fn slot(&self, aux: usize) -> usize {
        self.plan
            .committed_tensors()
            .iter()
            .position(|t| *t == TensorRef::Aux(aux))
            .unwrap()
    }
}

/// Whether `e` is the clamp sumcheck's rejection of a batch that holds
/// `node` (the clamps are proven after the walk, a batch per size, and a
/// failed batch names all its rescales).
fn names_clamp(e: &str, node: usize) -> bool {
    let Some(list) = e
        .split("the clamps of nodes [")
        .nth(1)
        .and_then(|r| r.split(']').next())
    else {
        return false;
    };
    e.contains("saturation zero-check") && list.split(", ").any(|n| n.parse::<usize>() == Ok(node))
}

/// `[#{S = 1}, #{S = −1}]` of each saturating rescale's committed sign.
fn honest_counts(plan: &Plan, values: &[Vec<i64>]) -> Vec<[u64; 2]> {
    let tensors = plan.committed_tensors();
    let count = |a: usize, v: i64| {
        let k = tensors
            .iter()
            .position(|t| *t == TensorRef::Aux(a))
            .unwrap();
        values[k].iter().filter(|&&x| x == v).count() as u64
    };
    plan.saturating
        .iter()
        .map(|&id| {
            let sp = plan.rescale[id].as_ref().unwrap().sat.as_ref().unwrap();
            [count(sp.sign, 1), count(sp.sign, -1)]
        })
        .collect()
}

#[test]
fn a_prompt_past_the_ranges_proves_with_proven_clamp_counts() {
    let f = tight();
    let wit = witness::generate(&f.pk.graph, &f.ids).unwrap();
    assert!(!wit.clamped.is_empty(), "the tight key clamps this prompt");
    let proof = pipeline::prove(&f.pk, &PROMPT, Some(1), &|_, _, _| {}).unwrap();
    pipeline::verify(&f.pk.vk, &proof, Some(&PROMPT)).expect("a clamped prompt verifies");
    let total: usize = wit.clamped.iter().map(|c| c.above + c.below).sum();
    let proven: u64 = proof.proof.clamp_counts().iter().map(|[a, b]| a + b).sum();
    assert_eq!(
        proven, total as u64,
        "the proof states the witness's clamps"
    );
    let out = pipeline::public_output(&f.pk.vk.graph, &proof, None);
    assert_eq!(out["saturating"], true);
    assert_eq!(out["clamped_values"], total);
    let named = out["clamped"].as_object().unwrap();
    assert_eq!(named.len(), wit.clamped.len());
    for c in &wit.clamped {
        let e = &named[&f.pk.graph.nodes[c.node].name];
        assert_eq!(
            (e["above"].as_u64(), e["below"].as_u64()),
            (Some(c.above as u64), Some(c.below as u64))
        );
    }
    eprintln!(
        "clamped {total} values in {} tensors; proof of {} bytes",
        wit.clamped.len(),
        proof.to_bytes().len()
    );
}

#[test]
fn strict_refuses_a_prompt_that_would_clamp() {
    let f = tight();
    let opts = pipeline::ProveOptions {
        publish: Publish::LastLogits,
        strict: true,
        seed: Some(1),
        ..Default::default()
    };
    let e = pipeline::prove_opts(&f.pk, &PROMPT, &opts, &|_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("--strict"), "{e}");
    let wit = witness::generate(&f.pk.graph, &f.ids).unwrap();
    let first = &f.pk.graph.nodes[wit.clamped[0].node].name;
    assert!(e.contains(first.as_str()), "names the clamped tensor: {e}");
}

/// The honest forging path verifies (control for the forgeries below).
#[test]
fn the_forging_prover_is_honest_by_default() {
    let f = tight();
    let wit = witness::generate(&f.pk.graph, &f.ids).unwrap();
    let stmt = f.statement(&wit);
    let values = circuit::committed_values(&f.pk.graph, &f.plan, &wit, &stmt).unwrap();
    f.run(&wit, values, None).expect("honest values verify");
}

/// Clamp counts moved by one from below to above, everything else
/// honest: `Σ S²` (their sum) still holds, so only the sign's opening at
/// `(½, …, ½)` (their difference) can catch it.
#[test]
fn a_wrong_clamp_count_is_caught_by_its_opening() {
    let f = tight();
    let wit = witness::generate(&f.pk.graph, &f.ids).unwrap();
    let stmt = f.statement(&wit);
    let values = circuit::committed_values(&f.pk.graph, &f.plan, &wit, &stmt).unwrap();
    let mut counts = honest_counts(&f.plan, &values);
    let k = counts.iter().position(|c| c[1] > 0).unwrap();
    counts[k][0] += 1;
    counts[k][1] -= 1;
    let e = f.run(&wit, values, Some(counts)).unwrap_err();
    assert!(e.contains("openings"), "{e}");
}

/// Both clamp counts one too many, everything else honest: their
/// difference (the sign's opening) still holds, so only the sumcheck's
/// `Σ S² = C_P + C_N` can catch it.
#[test]
fn a_wrong_clamp_total_is_caught_by_the_sumcheck() {
    let f = tight();
    let wit = witness::generate(&f.pk.graph, &f.ids).unwrap();
    let stmt = f.statement(&wit);
    let values = circuit::committed_values(&f.pk.graph, &f.plan, &wit, &stmt).unwrap();
    let mut counts = honest_counts(&f.plan, &values);
    let k = 0;
    counts[k][0] += 1;
    counts[k][1] += 1;
    let node = f.plan.saturating[k];
    let e = f.run(&wit, values, Some(counts)).unwrap_err();
    assert!(names_clamp(&e, node), "{e}");
}

/// The output one below the edge for a quotient above it, the excess grown
/// by one so that `X = 2^s·(Y + S·(E + 1)) + R` still holds and every range
/// check passes: only the zero-check's `(S² + S)·(top − Y) = 0` can catch
/// it.
#[test]
fn an_output_below_the_edge_with_an_excess_is_caught_by_the_zero_check() {
    let f = tight();
    let g = &f.pk.graph;
    let wit = witness::generate(g, &f.ids).unwrap();
    let (node, sp, e, _) = f.clamped_entry(&wit);
    let (forged, mut values, i) = f.with_output(&wit, node, e, wit.node(node)[e] - 1);
    let x = f.excess(&values, &sp, i);
    f.set_excess(&mut values, &sp, i, x + 1);
    assert!(common::tables_left(&f.plan, &values).is_empty());
    let e = f.run(&forged, values, None).unwrap_err();
    assert!(names_clamp(&e, node), "{e}");
}

/// A sign of 2 with the excess halved (`D = 2·(E′ + 1)` unchanged), and the
/// counts moved so that `Σ S` and `Σ S²` both still hold: the relation,
/// the ranges and the counts pass; `S³ − S = 0` catches it.
#[test]
fn a_sign_outside_minus_one_to_one_is_caught_by_the_zero_check() {
    let f = tight();
    let g = &f.pk.graph;
    let wit = witness::generate(g, &f.ids).unwrap();
    let (node, sp, e, q) = f.entry_where(&wit, |q, top| q > top + 1 && (q - top) % 2 == 0);
    let stmt = f.statement(&wit);
    let mut values = circuit::committed_values(g, &f.plan, &wit, &stmt).unwrap();
    let i = layout::padded_index(&g.nodes[node].shape, e);
    let top = wit.node(node)[e];
    assert_eq!(values[f.slot(sp.sign)][i], 1);
    values[f.slot(sp.sign)][i] = 2;
    f.set_excess(&mut values, &sp, i, (q - top) / 2 - 1);
    let mut counts = honest_counts(&f.plan, &values);
    counts[sp.index][0] += 3;
    counts[sp.index][1] += 1;
    assert!(common::tables_left(&f.plan, &values).is_empty());
    let e = f.run(&wit, values, Some(counts)).unwrap_err();
    assert!(names_clamp(&e, node), "{e}");
}

/// An in-range value shown clamped: the output set to the top edge with
/// sign 1, the excess `Q − top − 1` (negative) so that the relation and
/// the zero-check hold: only the excess's range check can catch it.
#[test]
fn an_in_range_value_shown_clamped_is_caught_by_the_excess_range_check() {
    let f = tight();
    let g = &f.pk.graph;
    let wit = witness::generate(g, &f.ids).unwrap();
    let (node, sp, e, q) = f.entry_where(&wit, |q, top| q < top - 2 && q > 0);
    let top = (1i64 << (g.nodes[node].quant.unwrap().bits - 1)) - 1;
    assert_eq!(wit.node(node)[e], q, "in range");
    let (forged, mut values, i) = f.with_output(&wit, node, e, top);
    values[f.slot(sp.sign)][i] = 1;
    f.set_excess(&mut values, &sp, i, q - top - 1);
    let left = common::tables_left(&f.plan, &values);
    assert!(!left.is_empty(), "the negative excess leaves its range");
    let e = f.run(&forged, values, None).unwrap_err();
    assert!(e.contains(common::LOOKUP_REJECTED), "{e}");
}

/// No clamp at all: the output is the raw quotient (past the width) with no
/// sign or excess. The relation holds; the output's own range check
/// catches it.
#[test]
fn an_unclamped_output_is_caught_by_its_range_check() {
    let f = tight();
    let g = &f.pk.graph;
    let wit = witness::generate(g, &f.ids).unwrap();
    let (node, sp, e, q) = f.clamped_entry(&wit);
    let (forged, mut values, i) = f.with_output(&wit, node, e, q);
    f.set_excess(&mut values, &sp, i, 0);
    values[f.slot(sp.sign)][i] = 0;
    let left = common::tables_left(&f.plan, &values);
    assert!(
        !left.is_empty(),
        "the unclamped output leaves its range table"
    );
    let e = f.run(&forged, values, None).unwrap_err();
    assert!(e.contains(common::LOOKUP_REJECTED), "{e}");
}
