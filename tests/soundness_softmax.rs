//! zkAttn inside the circuit: an honest softmax proves; a cheating prover
//! that shifts a row by a wrong ẑ, commits an out-of-range digit, a wrong
//! exp value or a wrong row sum is rejected.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkllm::backend::default_backend;
use zkllm::circuit::plan::TensorRef;
use zkllm::circuit::{self, Plan, Statement};
use zkllm::commit::Hyrax;
use zkllm::ir::{Data, Graph, Mask, Op, Quant};
use zkllm::quant::softmax_exp;
use zkllm::witness;

const N: usize = 4;

/// `input_ids [1,4]` (unused) and public scores `[1,4,4]` → causal softmax.
fn graph(scores: Vec<i64>) -> Graph {
    let mut g = Graph::default();
    let input = g.push(
        "input_ids",
        Op::Input {
            name: "input_ids".into(),
        },
        vec![],
        vec![1, N],
    );
    g.nodes[input].quant = Some(Quant {
        bits: 32,
        frac_bits: 0,
    });
    let z = g.push("scores", Op::Constant, vec![], vec![1, N, N]);
    g.nodes[z].quant = Some(Quant {
        bits: 16,
        frac_bits: 8,
    });
    g.nodes[z].data = Some(Data::I64(scores));
    let keep: Vec<bool> = (0..N * N).map(|e| e % N <= e / N).collect();
    let mask = Mask {
        shape: vec![1, N, N],
        keep,
    };
    let y = g.push(
        "softmax",
        Op::Softmax {
            mask: Some(mask),
            exp_frac_bits: Some(15),
        },
        vec![z],
        vec![1, N, N],
    );
    g.nodes[y].quant = Some(Quant {
        bits: 16,
        frac_bits: 14,
    });
    g.input = input;
    g.output = y;
    g.seq_len = N;
    g
}

struct Setup {
    g: Graph,
    plan: Plan,
    pcs: Hyrax,
    values: Vec<Vec<i64>>,
    stmt: Statement,
}

fn setup() -> Setup {
    let scores = vec![
        300, -200, 50, 7, 1000, 999, -4000, 12, -30, 60, 0, 2500, 100, -100, 800, 640,
    ];
    let g = graph(scores);
    let plan = Plan::new(&g).unwrap();
    let pcs = Hyrax::setup(
        circuit::GENERATOR_SEED,
        circuit::max_committed_vars(&g, &plan),
    );
    let ids = vec![0; N];
    let wit = witness::generate(&g, &ids).unwrap();
    let logits = wit.node(g.output)[(N - 1) * N..].to_vec();
    let stmt = Statement {
        ids,
        position: N - 1,
        all_positions: false,
        next_token: None,
        logits,
    };
    let values = circuit::committed_values(&g, &plan, &wit, &stmt).unwrap();
    Setup {
        g,
        plan,
        pcs,
        values,
        stmt,
    }
}

const DIGEST: [u8; 32] = [3; 32];

/// Proves with (possibly forged) committed values and statement; `Ok` if the verifier accepts.
fn run(s: &Setup, values: Vec<Vec<i64>>, stmt: &Statement) -> Result<(), String> {
    let be = default_backend();
    let wit = witness::generate(&s.g, &stmt.ids).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    // The cheating prover always produces a proof: a rejection must come from the verifier.
    let proof = circuit::prove_forged(
        be,
        &s.pcs,
        &s.g,
        &s.plan,
        &[],
        &DIGEST,
        &wit,
        stmt,
        values,
        &mut rng,
    )
    .expect("the forging prover produces a proof");
    let r = circuit::verify(be, &s.pcs, &s.g, &s.plan, &[], &DIGEST, stmt, &proof)
        .map_err(|e| e.to_string());
    if let Err(e) = &r {
        println!("rejected: {e}");
    }
    r
}

/// Position of an auxiliary of the softmax in the committed-values list.
fn slot(s: &Setup, aux: usize) -> usize {
    s.plan
        .committed_tensors()
        .iter()
        .position(|t| *t == TensorRef::Aux(aux))
        .unwrap()
}

#[test]
fn honest_softmax_verifies() {
    let s = setup();
    run(&s, s.values.clone(), &s.stmt).expect("honest softmax proof verifies");
}

/// Shifts row `r` by `k` score steps, recomputing every auxiliary (and the
/// published row) consistently from the wrong shift.
fn shifted(s: &Setup, r: usize, k: i64) -> (Vec<Vec<i64>>, Statement) {
    let sp = s.plan.softmax[s.g.output].clone().unwrap();
    let p = sp.params;
    let mut v = s.values.clone();
    let z = match &s.g.nodes[1].data {
        Some(Data::I64(z)) => z.clone(),
        _ => unreachable!(),
    };
    let shift = v[slot(s, sp.shift)][r] + k;
    v[slot(s, sp.shift)][r] = shift;
    let mut row = vec![0i64; N];
    for j in 0..=r {
        let d = shift - z[r * N + j];
        let (lo, hi) = (d & ((1 << p.lo_bits) - 1), d >> p.lo_bits);
        let (e, delta) = (softmax_exp(lo, p.f_in, p.f_out), (hi == 0) as i64);
        v[slot(s, sp.lo)][r * N + j] = lo;
        v[slot(s, sp.hi)][r * N + j] = hi;
        v[slot(s, sp.exp)][r * N + j] = e;
        v[slot(s, sp.delta)][r * N + j] = delta;
        row[j] = e * delta;
    }
    let base = (1i64 << p.f_out) - p.tolerance;
    v[slot(s, sp.sum)][r] = row.iter().sum::<i64>() - base;
    let mut stmt = s.stmt.clone();
    if r == N - 1 {
        stmt.logits = row;
    }
    (v, stmt)
}

#[test]
fn a_wrong_row_shift_is_rejected() {
    let s = setup();
    for (r, k) in [(3, 256), (3, 64), (3, -128), (2, 256), (0, 512)] {
        let (v, stmt) = shifted(&s, r, k);
        assert!(
            run(&s, v, &stmt).is_err(),
            "row {r} shifted by {k} accepted"
        );
    }
}

#[test]
fn out_of_range_digits_wrong_exp_and_wrong_row_sums_are_rejected() {
    let s = setup();
    let sp = s.plan.softmax[s.g.output].clone().unwrap();
    let b = 1i64 << sp.params.lo_bits;
    // Digit out of range with the same recombination: lo + 2^b, hi − 1.
    let mut v = s.values.clone();
    let e = N * (N - 1) + 1;
    v[slot(&s, sp.lo)][e] += b;
    v[slot(&s, sp.hi)][e] -= 1;
    assert!(run(&s, v, &s.stmt).is_err(), "out-of-range digit accepted");
    // An exp value that is not exp(lo), with the published row to match.
    let mut v = s.values.clone();
    v[slot(&s, sp.exp)][e] += 1;
    let mut stmt = s.stmt.clone();
    stmt.logits[1] += 1;
    assert!(run(&s, v, &stmt).is_err(), "wrong exp value accepted");
    // A committed row sum that is not the row's sum.
    let mut v = s.values.clone();
    v[slot(&s, sp.sum)][2] += 1;
    assert!(run(&s, v, &s.stmt).is_err(), "wrong row sum accepted");
    // The published row edited alone.
    let mut stmt = s.stmt.clone();
    stmt.logits[0] += 1;
    assert!(
        run(&s, s.values.clone(), &stmt).is_err(),
        "edited output accepted"
    );
}
