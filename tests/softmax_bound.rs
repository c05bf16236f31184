//! zkAttn's error bound, measured. For a row of `n` scores at `f_in`
//! fractional bits and outputs at `f_out`:
//! - the honest witness has `|y_j − 2^f_out·p_j| ≤ 2^f_out·p_j·(e^{2^{−f_in−1}} − 1) + 1/2`
//!   (the shift is the log-sum-exp rounded to the score grid; each output rounds once);
//! - any row the verifier accepts sums to `[2^f_out − tol, 2^f_out − tol + 2^sum_bits)`,
//!   which bounds a cheating shift: `|y_j − 2^f_out·p_j| ≤ p_j·(2^sum_bits + n/2) + 1/2`.
//!   Both bounds are checked on random and adversarial rows.

use zkllm::quant::{zkattn_row, ZkAttnParams};

fn exact_softmax(z: &[i64], keep: &[bool], f_in: i32) -> Vec<f64> {
    let s = 2f64.powi(f_in);
    let m = z
        .iter()
        .zip(keep)
        .filter(|(_, &k)| k)
        .map(|(&v, _)| v)
        .max()
        .unwrap();
    let e: Vec<f64> = z
        .iter()
        .zip(keep)
        .map(|(&v, &k)| if k { ((v - m) as f64 / s).exp() } else { 0.0 })
        .collect();
    let t: f64 = e.iter().sum();
    e.iter().map(|x| x / t).collect()
}

fn check(z: &[i64], keep: &[bool], p: &ZkAttnParams) -> f64 {
    let (_, y) = zkattn_row(z, Some(keep), p);
    let probs = exact_softmax(z, keep, p.f_in);
    let scale = 2f64.powi(p.f_out);
    let honest = (0.5 / 2f64.powi(p.f_in)).exp() - 1.0;
    let proven = (1u64 << p.sum_bits) as f64 + z.len() as f64 / 2.0;
    let mut worst = 0.0f64;
    for (j, (&yj, &pj)) in y.iter().zip(&probs).enumerate() {
        let err = (yj as f64 - scale * pj).abs();
        assert!(
            err <= scale * pj * honest + 0.5 + 1e-9,
            "entry {j}: error {err} over the honest bound"
        );
        assert!(
            err <= pj * proven + 0.5,
            "entry {j}: error {err} over the proven bound"
        );
        if !keep[j] {
            assert_eq!(yj, 0, "masked entry {j} is not zero");
        }
        worst = worst.max(err / scale);
    }
    let total: i64 = y.iter().sum();
    let lo = (1i64 << p.f_out) - p.tolerance;
    assert!(
        total >= lo && total < lo + (1i64 << p.sum_bits),
        "row sum {total} outside the accepted band"
    );
    worst
}

fn lcg(seed: &mut u64) -> i64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*seed >> 33) as i64
}

#[test]
fn random_and_adversarial_rows_stay_within_the_bound() {
    let n = 64;
    let p = ZkAttnParams::new(n, 16, 8, 14);
    let all = vec![true; n];
    let mut seed = 1u64;
    let mut worst = 0.0f64;
    for _ in 0..200 {
        let z: Vec<i64> = (0..n).map(|_| lcg(&mut seed) % 4096 - 2048).collect();
        worst = worst.max(check(&z, &all, &p));
    }
    // Large spread: one huge score, the rest far below (beyond the exp table).
    let mut z = vec![-30000i64; n];
    z[7] = 30000;
    worst = worst.max(check(&z, &all, &p));
    // Near ties.
    let z: Vec<i64> = (0..n as i64).map(|j| 1000 + (j % 2)).collect();
    worst = worst.max(check(&z, &all, &p));
    // Fully masked but one (the first row of a causal mask).
    let mut keep = vec![false; n];
    keep[0] = true;
    let z: Vec<i64> = (0..n).map(|_| lcg(&mut seed) % 60000 - 30000).collect();
    worst = worst.max(check(&z, &keep, &p));
    // Causal rows of every length.
    for len in 1..=n {
        let keep: Vec<bool> = (0..n).map(|j| j < len).collect();
        let z: Vec<i64> = (0..n).map(|_| lcg(&mut seed) % 8192 - 4096).collect();
        worst = worst.max(check(&z, &keep, &p));
    }
    println!(
        "max |y/2^f − p| = {worst:.2e} (tolerance {} of 2^{})",
        p.tolerance, p.f_out
    );
    // A fully masked row is all zeros (and exempt from the row-sum check).
    let (_, y) = zkattn_row(&[1, 2, 3], Some(&[false, false, false]), &p);
    assert_eq!(y, vec![0, 0, 0]);
}
