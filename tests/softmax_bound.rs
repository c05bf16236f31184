//! zkAttn's error bound, measured. For a row of `n` scores at `f_in`
//! fractional bits and outputs at `f_out`:
//! - the honest witness has `|y_j − 2^f_out·p_j| ≤ 2^f_out·p_j·(e^{2^{−f_in−1}} − 1) + 1/2`
//!   (the shift is the log-sum-exp rounded to the score grid; each output rounds once);
//! - any row the verifier accepts sums to `[2^f_out − tol, 2^f_out + tol]` (both
//!   ends range-checked), which bounds a cheating shift:
//!   `|y_j − 2^f_out·p_j| ≤ p_j·(tol + n/2) + 1/2`, and the circuit refuses
//!   `32·tol > 2^f_out`, so that is within 1/32 of every probability plus the
//!   rounding. Both bounds are checked on random and adversarial rows, and on
//!   rows of 2048 and 4096 entries a shift just past the band is out of it in
//!   each direction.

use zkllm::quant::{softmax_exp, zkattn_row, ZkAttnParams};

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

/// What the circuit accepts for a row with a kept entry: `S' = S − (2^f − tol)`
/// and `U = 2·tol − S'`, each in `[0, 2^sum_bits)`.
fn in_band(total: i64, p: &ZkAttnParams) -> bool {
    let s_prime = total - p.sum_lo();
    let u = 2 * p.tolerance - s_prime;
    let fits = |v: i64| (0..1i64 << p.sum_bits).contains(&v);
    let accepted = fits(s_prime) && fits(u);
    assert_eq!(accepted, (p.sum_lo()..=p.sum_hi()).contains(&total));
    accepted
}

fn check(z: &[i64], keep: &[bool], p: &ZkAttnParams) -> f64 {
    let (_, y) = zkattn_row(z, Some(keep), p);
    let probs = exact_softmax(z, keep, p.f_in);
    let scale = 2f64.powi(p.f_out);
    let honest = (0.5 / 2f64.powi(p.f_in)).exp() - 1.0;
    let proven = p.tolerance as f64 + z.len() as f64 / 2.0;
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
    assert!(
        in_band(total, p),
        "row sum {total} outside the accepted band [{}, {}]",
        p.sum_lo(),
        p.sum_hi()
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

/// The output fractional bits quantization gives a softmax over rows of `n`
/// (16-bit outputs): `max(14, ceil(log2 n) + 6)`.
fn f_out_for(n: usize) -> i32 {
    14.max(n.next_power_of_two().trailing_zeros() as i32 + 6)
}

/// The row sum when the shift `ẑ` of [`zkattn_row`] moves by `k` steps.
fn shifted_sum(z: &[i64], p: &ZkAttnParams, k: i64) -> i64 {
    let (shift, _) = zkattn_row(z, None, p);
    let top = p.lo_bits + p.hi_bits;
    z.iter()
        .map(|&zj| {
            let d = shift + k - zj;
            if d < 0 || d >= 1i64 << top {
                panic!("shifted score {d} out of the digit range");
            }
            let (lo, hi) = (d & ((1 << p.lo_bits) - 1), d >> p.lo_bits);
            softmax_exp(lo, p.f_in, p.f_out) * (hi == 0) as i64
        })
        .sum()
}

#[test]
fn long_rows_lie_in_the_band_and_a_shift_past_it_leaves_it_either_way() {
    let mut seed = 7u64;
    for n in [2048usize, 4096] {
        let p = ZkAttnParams::new(n, 16, 8, f_out_for(n));
        assert!(!p.band_too_wide(), "{n}: {p:?}");
        for spread in [512i64, 4096, 16384] {
            let z: Vec<i64> = (0..n)
                .map(|_| lcg(&mut seed) % spread - spread / 2)
                .collect();
            let all = vec![true; n];
            // (a) the honest row lies in the band (and within the error bounds).
            check(&z, &all, &p);
            // (b) the smallest shift whose sum leaves the band, each way.
            let up = (1..512)
                .find(|&k| !in_band(shifted_sum(&z, &p, k), &p))
                .unwrap();
            let (shift, _) = zkattn_row(&z, None, &p);
            let room = shift - z.iter().max().unwrap();
            let down = (1..=room)
                .map(|k| -k)
                .find(|&k| !in_band(shifted_sum(&z, &p, k), &p))
                .unwrap_or_else(|| panic!("{n}/{spread}: no downward shift leaves the band"));
            assert!(shifted_sum(&z, &p, up) < p.sum_lo());
            assert!(shifted_sum(&z, &p, down) > p.sum_hi());
            // Everything nearer is tolerated: a band of ±1/32 allows at most
            // about 2^f_in·ln(1 + 1/32) + 1 ≈ 9 steps each way.
            for k in down + 1..up {
                assert!(in_band(shifted_sum(&z, &p, k), &p), "{n}: shift {k}");
            }
            assert!(
                up <= 12 && down >= -12,
                "{n}/{spread}: shifts {down}..{up} tolerated"
            );
            println!(
                "n = {n}, spread {spread}: tolerance {} of 2^{}, shifts {}..={} tolerated",
                p.tolerance,
                p.f_out,
                down + 1,
                up - 1
            );
        }
    }
}

/// The parameters the circuit now refuses: a long row at 14 output
/// fractional bits, where a shift of −44 steps on 2048 entries (a row sum
/// 1.19× the honest one) used to be accepted, and where an all-zero row fits
/// a band of half-width ≥ 2^f_out.
#[test]
fn wide_bands_are_refused_and_the_old_forgery_is_out_of_the_new_band() {
    let old = ZkAttnParams::new(2048, 16, 8, 14);
    assert!(old.band_too_wide());
    assert!(ZkAttnParams::new(1 << 15, 16, 8, 14).band_too_wide());
    assert!(!ZkAttnParams::new(256, 16, 8, 14).band_too_wide());
    let p = ZkAttnParams::new(2048, 16, 8, f_out_for(2048));
    let mut seed = 3u64;
    let z: Vec<i64> = (0..2048).map(|_| lcg(&mut seed) % 4096 - 2048).collect();
    assert!(in_band(shifted_sum(&z, &p, 0), &p));
    assert!(!in_band(shifted_sum(&z, &p, -44), &p));
    assert!(!in_band(0, &p), "an all-zero valid row");
}
