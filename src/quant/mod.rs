//! Fixed-point rules. The proof gadgets prove exactly these functions.
//!
//! A real value `v` stored with `frac_bits = f` is the signed integer
//! `round(v·2^f)` (half away from zero), which must lie in the tensor's bit
//! width: `[-2^(bits-1), 2^(bits-1))`. Products accumulate exactly (no
//! rounding) at `f_a + f_b` and are brought back by [`rescale`].
//!
//! [`quantize`] turns a float graph into a fixed-point graph from per-tensor
//! ranges ([`Calibration`]) and a [`QuantConfig`].

use serde::{Deserialize, Serialize};

mod calib;
pub mod calibrate;
mod plan;
mod plots;
pub mod report;

pub use calib::{Calibration, NormStats};
pub use plan::{quantize, QuantConfig, QuantError};

use crate::ir::Func;

/// Largest bit width of a range-checked activation or weight.
pub const MAX_BITS: u32 = 26;

/// Width of a norm's `1/√` table output where its rows' `1/rms` are alike.
pub const RSQRT_BITS: u32 = 24;
/// Where rows differ by orders of magnitude (attention sinks), the output is
/// widened, up to this, until the smallest `1/rms` keeps [`RSQRT_SIG_BITS`].
pub const RSQRT_MAX_BITS: u32 = 40;
/// Significant bits a norm's smallest `1/rms` is kept at where it can be.
pub const RSQRT_SIG_BITS: u32 = 20;

/// `round(v·2^f)`, half away from zero, saturating at `i64` bounds.
pub fn quantize_value(v: f64, frac_bits: i32) -> i64 {
    let x = (v * 2f64.powi(frac_bits)).round();
    if x >= i64::MAX as f64 {
        i64::MAX
    } else if x <= i64::MIN as f64 {
        i64::MIN
    } else {
        x as i64
    }
}

/// The real value `q / 2^f` of a fixed-point integer.
pub fn dequantize(q: i64, frac_bits: i32) -> f64 {
    q as f64 * 2f64.powi(-frac_bits)
}

/// Whether `q` lies in the signed range of `bits` bits, `[-2^(bits-1), 2^(bits-1))`.
/// `(top, bottom)`: the largest and smallest `bits`-bit signed integers, the
/// edges a saturating rescale clamps to.
pub fn signed_edges(bits: u32) -> (i64, i64) {
    let h = 1i64 << (bits - 1);
    (h - 1, -h)
}

pub fn fits(q: i64, bits: u32) -> bool {
    if bits >= 64 {
        return true;
    }
    let h = 1i64 << (bits - 1);
    (-h..h).contains(&q)
}

/// Bits needed to hold a signed value of magnitude up to `max_abs`
/// (`max_abs < 2^(bits-1)`).
pub fn bits_for_magnitude(max_abs: u128) -> u32 {
    129 - max_abs.leading_zeros().min(128)
}

/// Rescale by `s` bits: `q = floor((x + 2^(s-1)) / 2^s)` (round half up);
/// `s = 0` is the identity. The remainder [`rescale_remainder`] lies in
/// `[-2^(s-1), 2^(s-1))` and `x = q·2^s + r`.
pub fn rescale(x: i64, shift: u32) -> i64 {
    if shift == 0 {
        return x;
    }
    ((x as i128 + (1i128 << (shift - 1))) >> shift) as i64
}

/// The remainder `x − q·2^s` of [`rescale`], in `[-2^(s-1), 2^(s-1))`.
pub fn rescale_remainder(x: i64, shift: u32) -> i64 {
    (x as i128 - ((rescale(x, shift) as i128) << shift)) as i64
}

/// Largest `frac_bits` such that `round(max_abs·2^f)` fits in `bits` signed
/// bits; `bits - 1` for an all-zero tensor. Clamped to `[-32, 40]`.
pub fn frac_bits_for(max_abs: f64, bits: u32) -> i32 {
    let top = ((1u64 << (bits - 1)) - 1) as f64;
    if max_abs.is_nan() || max_abs <= 0.0 || !max_abs.is_finite() {
        return (bits as i32 - 1).min(40);
    }
    let mut f = (top / max_abs).log2().floor() as i32;
    // Guard against log2 rounding at exact powers of two.
    while f > -32 && (max_abs * 2f64.powi(f)).round() > top {
        f -= 1;
    }
    f.clamp(-32, 40)
}

/// One entry of a lookup table: `clamp(round(2^f_out · func(x / 2^f_in)))`
/// to the output's `out_bits` signed range. The saturation is part of the
/// table's definition (e.g. `1/√(x/n+ε)` near 0); inputs outside the table's
/// range are an error of the witness, never clipped.
pub fn lookup_value(func: &Func, x: i64, f_in: i32, f_out: i32, out_bits: u32) -> i64 {
    let y = quantize_value(func.eval(dequantize(x, f_in)), f_out);
    let h = 1i64 << (out_bits - 1);
    y.clamp(-h, h - 1)
}

/// Result of [`softmax_row`] (the auxiliaries a zkAttn prover needs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoftmaxRow {
    /// Row maximum over kept entries (0 if none is kept).
    pub max: i64,
    /// `e_j`, 0 at masked entries.
    pub exps: Vec<i64>,
    /// `S = Σ e_j`.
    pub sum: i64,
    /// The outputs `y_j`.
    pub out: Vec<i64>,
}

/// Above this estimate [`softmax_exp_domain`] does not search (2^32: ten
/// bits past the largest table).
pub const SOFTMAX_DOMAIN_SEARCH_LIMIT: f64 = 4294967296.0;

/// Smallest `d ≥ 0` with `round(2^f_exp · exp(-d / 2^f_in)) = 0`: the exp
/// table covers `[0, D)` and is 0 beyond (exactly, not by clipping).
pub fn softmax_exp_domain(f_in: i32, f_exp: i32) -> i64 {
    // exp(-d/2^f_in)·2^f_exp < 1/2  ⟺  d > 2^f_in · (f_exp + 1)·ln 2
    let estimate = 2f64.powi(f_in) * (f_exp as f64 + 1.0) * std::f64::consts::LN_2;
    // Far past any table the circuit builds (2^22 entries): return the
    // estimate, which callers refuse by its size, without the exact search
    // (near 2^62 neighbouring integers round to one float, and the search
    // would step through them one by one: a key's scales must not make
    // loading hang).
    if estimate > SOFTMAX_DOMAIN_SEARCH_LIMIT {
        return estimate.min(i64::MAX as f64) as i64;
    }
    let mut d = estimate.floor() as i64;
    d = d.max(0);
    while softmax_exp(d, f_in, f_exp) != 0 {
        d += 1;
    }
    while d > 0 && softmax_exp(d - 1, f_in, f_exp) == 0 {
        d -= 1;
    }
    d
}

/// `round(2^f_exp · exp(-d / 2^f_in))` for a shifted score `d ≥ 0` (`libm::exp`:
/// the table is bit-identical on every platform).
pub fn softmax_exp(d: i64, f_in: i32, f_exp: i32) -> i64 {
    quantize_value(libm::exp(-dequantize(d, f_in)), f_exp)
}

/// The integer softmax of one row (scores `z` at `f_in`, output at `f_out`):
///
/// 1. `m = max_j z_j` over kept entries;
/// 2. `d_j = m − z_j ≥ 0`, `e_j = round(2^f_exp · exp(−d_j / 2^f_in))`
///    ([`softmax_exp`]; 0 for `d_j ≥` [`softmax_exp_domain`] and at masked
///    entries);
/// 3. `S = Σ_j e_j` (≥ `2^f_exp`, the max entry contributes exactly that);
/// 4. `y_j = floor((e_j·2^f_out + floor(S/2)) / S)`, i.e. `e_j·2^f_out =
///    y_j·S + r_j` with `r_j ∈ [−floor(S/2), S − floor(S/2))`.
///
/// A fully masked row gives `S = 0` and `y = 0`.
pub fn softmax_row(
    z: &[i64],
    keep: Option<&[bool]>,
    f_in: i32,
    f_exp: i32,
    f_out: i32,
) -> SoftmaxRow {
    let kept = |j: usize| keep.is_none_or(|k| k[j]);
    let max = (0..z.len()).filter(|&j| kept(j)).map(|j| z[j]).max();
    let Some(m) = max else {
        return SoftmaxRow {
            max: 0,
            exps: vec![0; z.len()],
            sum: 0,
            out: vec![0; z.len()],
        };
    };
    let exps: Vec<i64> = (0..z.len())
        .map(|j| {
            if kept(j) {
                softmax_exp(m - z[j], f_in, f_exp)
            } else {
                0
            }
        })
        .collect();
    let sum: i64 = exps.iter().sum();
    let out = exps
        .iter()
        .map(|&e| (((e as i128) << f_out) + (sum / 2) as i128).div_euclid(sum as i128) as i64)
        .collect();
    SoftmaxRow {
        max: m,
        exps,
        sum,
        out,
    }
}

/// Parameters of the zkAttn softmax of a row of `n` scores at `f_in`
/// fractional bits with outputs at `f_out` (see [`zkattn_row`]).
///
/// The proof accepts a row (with a kept entry) whose sum `S` lies in the band
/// `[2^f_out − tolerance, 2^f_out + tolerance]`, both ends checked: the
/// committed `S' = S − (2^f_out − tolerance)` and `2·tolerance − S'` are each
/// range-checked in `[0, 2^sum_bits)`, `2^sum_bits > 2·tolerance`, and the
/// verifier checks that they add up to `2·tolerance`. A fully masked row must
/// sum to 0. The circuit refuses parameters with `32·tolerance > 2^f_out`
/// (a band wider than ±1/32 of the scale): such outputs need more fractional
/// bits ([`ZkAttnParams::band_too_wide`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZkAttnParams {
    pub f_in: i32,
    pub f_out: i32,
    /// Shifted scores `d` are split as `lo + 2^lo_bits·hi`; `lo` indexes the exp table.
    pub lo_bits: u32,
    /// `hi` must be in `[0, 2^hi_bits)` and only `hi = 0` gives a non-zero output.
    pub hi_bits: u32,
    /// Accepted row sums: `[2^f_out − tolerance, 2^f_out + tolerance]`.
    pub tolerance: i64,
    /// Bits of `2·tolerance`: both shifted sums are range-checked in `[0, 2^sum_bits)`.
    pub sum_bits: u32,
}

impl ZkAttnParams {
    /// Parameters for rows of `n` scores of width `in_bits`.
    pub fn new(n: usize, in_bits: u32, f_in: i32, f_out: i32) -> Self {
        let domain = softmax_exp_domain(f_in, f_out).max(1);
        let lo_bits = (64 - (domain as u64 - 1).leading_zeros()).max(1);
        let hi_bits = (in_bits + 2).saturating_sub(lo_bits).clamp(1, 16);
        // Shift rounding (|ε| ≤ 1/2 step) scales the row by e^{±ε}; each entry rounds by ≤ 1/2.
        let scale = 2f64.powi(f_out);
        let tolerance = (scale * (libm::exp(0.5 / 2f64.powi(f_in)) - 1.0)).ceil() as i64
            + n.div_ceil(2) as i64
            + 1;
        let sum_bits = 64 - (2 * tolerance as u64).leading_zeros();
        Self {
            f_in,
            f_out,
            lo_bits,
            hi_bits,
            tolerance,
            sum_bits,
        }
    }

    /// Lowest accepted row sum, `2^f_out − tolerance`.
    pub fn sum_lo(&self) -> i64 {
        (1i64 << self.f_out) - self.tolerance
    }

    /// Highest accepted row sum, `2^f_out + tolerance`.
    pub fn sum_hi(&self) -> i64 {
        (1i64 << self.f_out) + self.tolerance
    }

    /// Whether the band is wider than ±1/32 of `2^f_out` (`32·tolerance >
    /// 2^f_out`): the circuit refuses such parameters (the output needs more
    /// fractional bits).
    pub fn band_too_wide(&self) -> bool {
        self.f_out < 0 || self.f_out > 100 || 32 * self.tolerance as i128 > 1i128 << self.f_out
    }
}

/// The zkAttn softmax of one row (DESIGN "zkAttn"): no division.
///
/// 1. the row shift `ẑ = m + round(2^f_in · ln Σ_j exp((z_j − m)/2^f_in))`
///    over kept entries (`m` their maximum) — an approximate log-sum-exp;
/// 2. `d_j = ẑ − z_j ≥ 0` and `y_j = round(2^f_out · exp(−d_j/2^f_in))`
///    ([`softmax_exp`], 0 beyond the table), 0 at masked entries.
///
/// The proof checks `y_j` against `d_j` by lookups and that the row sum lies
/// within `tolerance` of `2^f_out`: that pins `ẑ` to the log-sum-exp up to
/// the rounding the tolerance allows. A row with no kept entry gives 0s.
/// Returns `(ẑ, y)`.
pub fn zkattn_row(z: &[i64], keep: Option<&[bool]>, p: &ZkAttnParams) -> (i64, Vec<i64>) {
    let kept = |j: usize| keep.is_none_or(|k| k[j]);
    let Some(m) = (0..z.len()).filter(|&j| kept(j)).map(|j| z[j]).max() else {
        return (0, vec![0; z.len()]);
    };
    let s = 2f64.powi(p.f_in);
    let lse: f64 = (0..z.len())
        .filter(|&j| kept(j))
        .map(|j| libm::exp((z[j] - m) as f64 / s))
        .sum::<f64>();
    let lse = libm::log(lse);
    let shift = m + (lse * s).round() as i64;
    let y = (0..z.len())
        .map(|j| {
            if kept(j) {
                softmax_exp(shift - z[j], p.f_in, p.f_out)
            } else {
                0
            }
        })
        .collect();
    (shift, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescale_rounds_half_up_with_bounded_remainder() {
        for x in -1000i64..1000 {
            for s in 1..6u32 {
                let q = rescale(x, s);
                let r = rescale_remainder(x, s);
                assert_eq!(q * (1 << s) + r, x);
                assert!(r >= -(1 << (s - 1)) && r < (1 << (s - 1)), "{x} {s} {r}");
            }
        }
        assert_eq!(rescale(3, 1), 2);
        assert_eq!(rescale(-3, 1), -1);
        assert_eq!(rescale(7, 0), 7);
    }

    #[test]
    fn frac_bits_fit() {
        for &(m, b) in &[
            (1.0, 16),
            (0.999, 16),
            (27000.0, 16),
            (1e6, 16),
            (3e-4, 16),
            (5.0, 20),
        ] {
            let f = frac_bits_for(m, b);
            assert!(fits(quantize_value(m, f), b), "{m}");
            assert!(
                !fits(quantize_value(m, f + 1), b) || f == 40,
                "{m} not tight"
            );
        }
        assert_eq!(frac_bits_for(0.0, 16), 15);
        assert_eq!(quantize_value(-2.5, 0), -3);
    }

    #[test]
    fn softmax_row_is_normalised() {
        let z = [0i64, 256, -512, 1024, 1024];
        let r = softmax_row(&z, None, 8, 15, 14);
        let total: i64 = r.out.iter().sum();
        assert!((total - (1 << 14)).abs() <= z.len() as i64);
        assert_eq!(r.max, 1024);
        assert_eq!(r.exps[3], 1 << 15);
        let masked = softmax_row(&z, Some(&[false; 5]), 8, 15, 14);
        assert_eq!(masked.out, vec![0; 5]);
        let d = softmax_exp_domain(8, 15);
        assert_eq!(softmax_exp(d, 8, 15), 0);
        assert_ne!(softmax_exp(d - 1, 8, 15), 0);
    }

    #[test]
    fn lookup_saturates_output_not_input() {
        let f = Func::RsqrtMean { n: 4, eps: 1e-6 };
        assert_eq!(lookup_value(&f, 0, 0, 12, 16), (1 << 15) - 1);
    }
}
