//! zkAttn inside the circuit: an honest softmax proves; a cheating prover
//! that shifts a row by a wrong ẑ, commits an out-of-range digit, a wrong
//! exp value or a wrong row sum is rejected. A row shifted just out of the
//! two-sided row-sum band, upward or downward, with every other auxiliary
//! recomputed consistently, fails exactly the range check of the band's side
//! (on 4-, 2048- and 4096-entry rows); a band over ±1/32 is refused at plan time.

mod common;

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

/// `input_ids [1,seq]` (unused) and public scores of `shape` (16 bits, 8
/// fractional) → softmax with outputs at `out`, masked by `keep` if given.
fn graph_of(shape: Vec<usize>, keep: Option<Vec<bool>>, scores: Vec<i64>, out: Quant) -> Graph {
    let seq = shape[shape.len() - 2];
    let mut g = Graph::default();
    let input = g.push(
        "input_ids",
        Op::Input {
            name: "input_ids".into(),
        },
        vec![],
        vec![1, seq],
    );
    g.nodes[input].quant = Some(Quant {
        bits: 32,
        frac_bits: 0,
    });
    let z = g.push("scores", Op::Constant, vec![], shape.clone());
    g.nodes[z].quant = Some(Quant {
        bits: 16,
        frac_bits: 8,
    });
    g.nodes[z].data = Some(Data::I64(scores));
    let mask = keep.map(|keep| Mask {
        shape: shape.clone(),
        keep,
    });
    let y = g.push(
        "softmax",
        Op::Softmax {
            mask,
            exp_frac_bits: Some(15),
        },
        vec![z],
        shape,
    );
    g.nodes[y].quant = Some(out);
    g.input = input;
    g.output = y;
    g.seq_len = seq;
    g
}

/// `input_ids [1,4]` (unused) and public scores `[1,4,4]` → causal softmax.
fn graph(scores: Vec<i64>) -> Graph {
    let keep: Vec<bool> = (0..N * N).map(|e| e % N <= e / N).collect();
    graph_of(
        vec![1, N, N],
        Some(keep),
        scores,
        Quant {
            bits: 16,
            frac_bits: 14,
        },
    )
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
    setup_of(graph(scores))
}

fn setup_of(g: Graph) -> Setup {
    let plan = Plan::new(&g).unwrap();
    let pcs = Hyrax::setup(circuit::GENERATOR_SEED, circuit::generator_vars(&g, &plan));
    let shape = &g.nodes[g.output].shape;
    let (seq, vocab) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    let ids = vec![0; seq];
    let wit = witness::generate(&g, &ids).unwrap();
    let logits = wit.node(g.output)[(seq - 1) * vocab..].to_vec();
    let stmt = Statement {
        ids,
        position: seq - 1,
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
    let wit = witness::generate(&s.g, &stmt.ids).unwrap();
    run_with(s, &wit, values, stmt)
}

/// [`run`] on a given (possibly forged) witness.
fn run_with(
    s: &Setup,
    wit: &witness::Witness<'_>,
    values: Vec<Vec<i64>>,
    stmt: &Statement,
) -> Result<(), String> {
    let be = default_backend();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    // The cheating prover always produces a proof: a rejection must come from the verifier.
    let proof = circuit::prove_forged(
        be,
        &s.pcs,
        &s.g,
        &s.plan,
        &[],
        &DIGEST,
        wit,
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

/// The scores and the softmax mask (1 = kept) of the setup's graph.
fn scores_and_keep(s: &Setup) -> (Vec<i64>, Vec<bool>) {
    let z = match &s.g.nodes[1].data {
        Some(Data::I64(z)) => z.clone(),
        _ => unreachable!(),
    };
    let keep = match &s.g.nodes[s.g.output].op {
        Op::Softmax { mask: Some(m), .. } => m.keep.clone(),
        _ => vec![true; z.len()],
    };
    (z, keep)
}

/// Row `r` of the softmax when its shift is moved by `k` score steps: the
/// entries `y_j = exp(lo_j)·δ(hi_j = 0)` of the recomputed digits.
fn shifted_row(s: &Setup, r: usize, k: i64) -> Vec<i64> {
    let sp = s.plan.softmax[s.g.output].clone().unwrap();
    let p = sp.params;
    let cols = *s.g.nodes[s.g.output].shape.last().unwrap();
    let (z, keep) = scores_and_keep(s);
    let shift = s.values[slot(s, sp.shift)][r] + k;
    (0..cols)
        .map(|j| {
            if !keep[r * cols + j] {
                return 0;
            }
            let d = shift - z[r * cols + j];
            let (lo, hi) = (d & ((1 << p.lo_bits) - 1), d >> p.lo_bits);
            softmax_exp(lo, p.f_in, p.f_out) * (hi == 0) as i64
        })
        .collect()
}

/// Shifts row `r` by `k` score steps, recomputing every auxiliary (digits,
/// exp, δ, both row-sum auxiliaries) and the published row consistently
/// from the wrong shift: only the range checks can catch it.
fn shifted(s: &Setup, r: usize, k: i64) -> (Vec<Vec<i64>>, Statement) {
    let sp = s.plan.softmax[s.g.output].clone().unwrap();
    let p = sp.params;
    let shape = s.g.nodes[s.g.output].shape.clone();
    let cols = *shape.last().unwrap();
    let rows = shape.iter().product::<usize>() / cols;
    let (z, keep) = scores_and_keep(s);
    let mut v = s.values.clone();
    let shift = v[slot(s, sp.shift)][r] + k;
    v[slot(s, sp.shift)][r] = shift;
    let mut row = vec![0i64; cols];
    let padded = |e: usize| zkllm::circuit::layout::padded_index(&shape, e);
    for j in (0..cols).filter(|&j| keep[r * cols + j]) {
        let d = shift - z[r * cols + j];
        let (lo, hi) = (d & ((1 << p.lo_bits) - 1), d >> p.lo_bits);
        let (e, delta) = (softmax_exp(lo, p.f_in, p.f_out), (hi == 0) as i64);
        let at = padded(r * cols + j);
        v[slot(s, sp.lo)][at] = lo;
        v[slot(s, sp.hi)][at] = hi;
        v[slot(s, sp.exp)][at] = e;
        v[slot(s, sp.delta)][at] = delta;
        row[j] = e * delta;
    }
    let s_prime = row.iter().sum::<i64>() - p.sum_lo();
    v[slot(s, sp.sum)][r] = s_prime;
    v[slot(s, sp.sum_hi)][r] = 2 * p.tolerance - s_prime;
    let mut stmt = s.stmt.clone();
    if r == rows - 1 {
        stmt.logits = row;
    }
    (v, stmt)
}

#[test]
fn a_wrong_row_shift_is_rejected() {
    let s = setup();
    let sp = s.plan.softmax[s.g.output].clone().unwrap();
    // Everything is recomputed from the wrong shift, so every sumcheck holds:
    // a shift up drops the row sum below the band (the lower sum range), one
    // down makes a shifted score negative (its high digit leaves the δ table,
    // which is checked before the sum ranges, which it may also leave).
    let sum_range = range_table_of(&s, sp.sum);
    let delta = table_with_output(&s, sp.delta);
    for (r, k) in [(3, 256), (3, 64), (3, -128), (2, 256), (0, 512)] {
        let (v, stmt) = shifted(&s, r, k);
        let left = common::tables_left(&s.plan, &v);
        let e = run(&s, v, &stmt).expect_err(&format!("row {r} shifted by {k} accepted"));
        let want = if k > 0 { sum_range } else { delta };
        assert_eq!(
            e,
            format!("proof rejected: {}", common::LOOKUP_REJECTED),
            "row {r} shifted by {k}"
        );
        assert!(
            left.contains(&want),
            "row {r} shifted by {k} leaves tables {left:?}, not {want}"
        );
    }
}

/// The lookup table whose output column is the auxiliary `aux`.
fn table_with_output(s: &Setup, aux: usize) -> usize {
    s.plan
        .lookups
        .iter()
        .find(|u| u.y == Some(TensorRef::Aux(aux)))
        .expect("a lookup output")
        .table
}

/// Each forgery is proven under its own statement (the transcript is the
/// prover's), and each asserts the check that catches it.
#[test]
fn out_of_range_digits_wrong_exp_and_wrong_row_sums_are_rejected() {
    let s = setup();
    let sp = s.plan.softmax[s.g.output].clone().unwrap();
    let b = 1i64 << sp.params.lo_bits;
    let at_softmax = |e: String, why: &str| {
        assert!(
            e.starts_with("proof rejected at node 2 'softmax' (Softmax): ") && e.contains(why),
            "expected the softmax's {why:?}: {e}"
        )
    };
    // Digit out of range with the same recombination: lo + 2^b, hi − 1. The
    // decomposition sumcheck holds; `lo` leaves the exp table's inputs and
    // `hi` (0 here) the δ table's, and the first of the two tables rejects.
    let mut v = s.values.clone();
    let e = N * (N - 1) + 1;
    assert_eq!(v[slot(&s, sp.hi)][e], 0);
    v[slot(&s, sp.lo)][e] += b;
    v[slot(&s, sp.hi)][e] -= 1;
    let left = common::tables_left(&s.plan, &v);
    let err = run(&s, v, &s.stmt).expect_err("out-of-range digit accepted");
    for ti in [
        table_with_output(&s, sp.exp),
        table_with_output(&s, sp.delta),
    ] {
        assert!(
            left.contains(&ti),
            "the digits leave tables {left:?}, not {ti}"
        );
    }
    assert_eq!(err, format!("proof rejected: {}", common::LOOKUP_REJECTED));
    // An exp value that is not exp(lo), with the published row to match but
    // the committed row sum left alone: the row-sum term of the softmax's
    // sumcheck (see the next test for the row sum adjusted too).
    let mut v = s.values.clone();
    v[slot(&s, sp.exp)][e] += 1;
    let mut stmt = s.stmt.clone();
    stmt.logits[1] += 1;
    at_softmax(
        run(&s, v, &stmt).expect_err("wrong exp value accepted"),
        "round 0",
    );
    // A committed row sum that is not the row's sum (its complement left
    // alone): the band identity `S' + U = 2·tol·v`.
    let mut v = s.values.clone();
    v[slot(&s, sp.sum)][2] += 1;
    at_softmax(
        run(&s, v, &s.stmt).expect_err("wrong row sum accepted"),
        "outside the two-sided band",
    );
    // The published row edited alone (proven under the edited statement):
    // the softmax is the output, its sumcheck starts from the false claim.
    let mut stmt = s.stmt.clone();
    stmt.logits[0] += 1;
    at_softmax(
        run(&s, s.values.clone(), &stmt).expect_err("edited output accepted"),
        "round 0",
    );
}

/// One exp value `E = exp(lo)` off by one, with everything that depends on
/// it recomputed: the output `y = E·Δ` (the override hook, so the published
/// row follows), the committed row sum `S'` and its complement `U`, still
/// inside the band. Every sumcheck of the softmax then holds; only the pair
/// `(lo, E')` of the exp table's lookup is wrong.
#[test]
fn a_wrong_exp_digit_with_the_row_sum_adjusted_fails_only_the_exp_lookup() {
    let s = setup();
    let sp = s.plan.softmax[s.g.output].clone().unwrap();
    let shape = s.g.nodes[s.g.output].shape.clone();
    let (r, j) = (N - 1, 1);
    let e = r * N + j;
    let at = zkllm::circuit::layout::padded_index(&shape, e);
    let (_, keep) = scores_and_keep(&s);
    assert!(keep[e], "a kept entry");
    assert_eq!(s.values[slot(&s, sp.delta)][at], 1, "an entry with δ = 1");
    let forge = |d: i64| {
        let mut v = s.values.clone();
        v[slot(&s, sp.exp)][at] += d;
        v[slot(&s, sp.sum)][r] += d;
        v[slot(&s, sp.sum_hi)][r] -= d;
        let honest = witness::generate(&s.g, &s.stmt.ids).unwrap();
        let mut y = honest.node(s.g.output).to_vec();
        y[e] += d;
        let wit = witness::generate_with_override(&s.g, &s.stmt.ids, s.g.output, y).unwrap();
        let mut stmt = s.stmt.clone();
        stmt.logits = wit.node(s.g.output)[r * N..].to_vec();
        (run_with(&s, &wit, v.clone(), &stmt), stmt, v)
    };
    let (r0, _, _) = forge(0);
    r0.expect("the unforged path verifies");
    // The direction that keeps both row-sum auxiliaries in range.
    let d = if s.values[slot(&s, sp.sum_hi)][r] >= 1 {
        1
    } else {
        -1
    };
    let (res, stmt, v) = forge(d);
    assert_ne!(stmt.logits, s.stmt.logits, "the published row follows E");
    let e = res.expect_err("a wrong exp value accepted");
    let ti = s
        .plan
        .lookups
        .iter()
        .find(|u| u.y == Some(TensorRef::Aux(sp.exp)))
        .expect("E is the exp table's output")
        .table;
    assert_eq!(
        e,
        format!("proof rejected: {}", common::LOOKUP_REJECTED),
        "a wrong exp value caught by another check than the lookup argument"
    );
    let left = common::tables_left(&s.plan, &v);
    assert_eq!(
        left,
        vec![ti],
        "a wrong exp value breaks the exp table {ti} alone"
    );
}

fn lcg(seed: &mut u64) -> i64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*seed >> 33) as i64
}

/// The lookup table that range-checks the row-sum auxiliary `aux`.
fn range_table_of(s: &Setup, aux: usize) -> usize {
    s.plan
        .lookups
        .iter()
        .find(|u| u.x == TensorRef::Aux(aux))
        .expect("the row sums are range-checked")
        .table
}

/// A forged proof of a shifted row, asserting it fails in the range check
/// of the row-sum auxiliary `aux` and no other check.
fn assert_rejected_by_sum_range(s: &Setup, r: usize, k: i64, aux: usize) {
    let (v, stmt) = shifted(s, r, k);
    let left = common::tables_left(&s.plan, &v);
    let e = run(s, v, &stmt).expect_err(&format!("row {r} shifted by {k} accepted"));
    let ti = range_table_of(s, aux);
    assert!(
        e.contains(common::LOOKUP_REJECTED),
        "row {r} shifted by {k}: rejected by another check than the lookup argument: {e}"
    );
    assert!(
        left.contains(&ti),
        "row {r} shifted by {k} leaves tables {left:?}, not the sum range {ti}"
    );
    for other in [
        "softmax outputs do not match",
        "digits do not decompose",
        "two-sided band",
    ] {
        assert!(!e.contains(other), "row {r} shifted by {k}: {e}");
    }
}

/// One row of 2048 and one of 4096 scores (outputs at the `ceil(log2 n) + 6`
/// fractional bits quantization gives such rows): the smallest cheating shift
/// that leaves the band in each direction is rejected by the range check of
/// its side of the band, and the shift one step less (inside the band) still
/// verifies, so the band, and nothing else, is what stops it.
#[test]
fn a_long_row_shifted_out_of_the_band_either_way_fails_the_sum_range_check() {
    for (cols, seed) in [(2048usize, 11u64), (4096, 12)] {
        long_row_shifted_out_of_the_band(cols, seed);
    }
}

fn long_row_shifted_out_of_the_band(cols: usize, mut seed: u64) {
    let scores: Vec<i64> = (0..cols).map(|_| lcg(&mut seed) % 4096 - 2048).collect();
    let frac_bits = cols.trailing_zeros() as i32 + 6;
    let g = graph_of(
        vec![1, cols],
        None,
        scores,
        Quant {
            bits: frac_bits as u32 + 2,
            frac_bits,
        },
    );
    let s = setup_of(g);
    let sp = s.plan.softmax[s.g.output].clone().unwrap();
    let p = sp.params;
    let sum = |k: i64| shifted_row(&s, 0, k).iter().sum::<i64>();
    let honest = sum(0);
    assert!((p.sum_lo()..=p.sum_hi()).contains(&honest));
    // Smallest shifts out of the band: up (ẑ larger, the sum drops below) and
    // down (ẑ smaller, the sum rises above).
    let up = (1..1000).find(|&k| sum(k) < p.sum_lo()).unwrap();
    let down = (1..1000)
        .map(|k| -k)
        .find(|&k| sum(k) > p.sum_hi())
        .unwrap();
    println!(
        "{cols}-entry row: honest sum {honest}, band [{}, {}]; leaves it at shifts {up} ({}) and {down} ({})",
        p.sum_lo(),
        p.sum_hi(),
        sum(up),
        sum(down)
    );
    // The downward shift keeps every shifted score non-negative: only the
    // row sum is wrong.
    let (z, _) = scores_and_keep(&s);
    let zhat = s.values[slot(&s, sp.shift)][0];
    assert!(zhat + down >= *z.iter().max().unwrap());
    // Inside the band, one step less: a tolerated (and verified) shift.
    for k in [up - 1, down + 1] {
        let (v, stmt) = shifted(&s, 0, k);
        run(&s, v, &stmt).unwrap_or_else(|e| panic!("a shift of {k} inside the band: {e}"));
    }
    // S' < 0 fails the lower range check, U = 2·tol − S' < 0 the upper one.
    assert_rejected_by_sum_range(&s, 0, up, sp.sum);
    assert_rejected_by_sum_range(&s, 0, down, sp.sum_hi);
}

/// The same on a causal 4×4 softmax: the last row shifted out of the band
/// in each direction.
#[test]
fn a_short_row_shifted_out_of_the_band_either_way_fails_the_sum_range_check() {
    let s = setup();
    let sp = s.plan.softmax[s.g.output].clone().unwrap();
    let p = sp.params;
    let r = N - 1;
    let sum = |k: i64| shifted_row(&s, r, k).iter().sum::<i64>();
    let up = (1..1000).find(|&k| sum(k) < p.sum_lo()).unwrap();
    let down = (1..1000)
        .map(|k| -k)
        .find(|&k| sum(k) > p.sum_hi())
        .unwrap();
    let (z, _) = scores_and_keep(&s);
    let zhat = s.values[slot(&s, sp.shift)][r];
    assert!(zhat + down >= *z[r * N..(r + 1) * N].iter().max().unwrap());
    assert_rejected_by_sum_range(&s, r, up, sp.sum);
    assert_rejected_by_sum_range(&s, r, down, sp.sum_hi);
}

/// A band over ±1/32 of the scale is refused when the circuit is planned
/// (at setup and at verification), naming the tolerance, `f_out` and the row.
#[test]
fn a_softmax_with_a_wide_band_is_refused_at_plan_time() {
    let g = graph_of(
        vec![1, 2048],
        None,
        vec![0; 2048],
        Quant {
            bits: 16,
            frac_bits: 14,
        },
    );
    let e = Plan::new(&g).unwrap_err().to_string();
    println!("{e}");
    let tol = zkllm::quant::ZkAttnParams::new(2048, 16, 8, 14).tolerance;
    for part in [
        &format!("tolerance {tol}"),
        "2^14",
        "2048 entries",
        "more fractional bits",
    ] {
        assert!(e.contains(part), "{part:?} not in {e:?}");
    }
}
