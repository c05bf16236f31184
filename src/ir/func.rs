//! Element-wise functions proven by lookup tables.

use serde::{Deserialize, Serialize};

/// A real function applied element-wise; in fixed point it is the table
/// `x ↦ round(2^f_out · f(x / 2^f_in))` (see [`crate::quant::lookup_value`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Func {
    /// `x·Φ(x)` (erf form).
    Gelu,
    /// `0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))`.
    GeluTanh,
    /// `x·σ(x)`.
    Silu,
    Sigmoid,
    Tanh,
    Exp,
    /// `1/x` (0 maps to 0).
    Reciprocal,
    /// `1/√x` (x ≤ 0 maps to 0).
    Rsqrt,
    Sqrt,
    Relu,
    Erf,
    /// `x^exponent`.
    Pow {
        exponent: f64,
    },
    /// `1/√(x/n + eps)`: the RMS-norm denominator from a sum of squares `x`
    /// over `n` entries. `eps` stays a float inside the table, so it never
    /// rounds to zero.
    RsqrtMean {
        n: u64,
        eps: f64,
    },
}

impl Func {
    /// The real function.
    pub fn eval(&self, x: f64) -> f64 {
        match *self {
            Func::Gelu => 0.5 * x * (1.0 + erf(x / std::f64::consts::SQRT_2)),
            Func::GeluTanh => {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * x * (1.0 + (c * (x + 0.044715 * x * x * x)).tanh())
            }
            Func::Silu => x / (1.0 + (-x).exp()),
            Func::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Func::Tanh => x.tanh(),
            Func::Exp => x.exp(),
            Func::Reciprocal => {
                if x == 0.0 {
                    0.0
                } else {
                    1.0 / x
                }
            }
            Func::Rsqrt => {
                if x <= 0.0 {
                    0.0
                } else {
                    1.0 / x.sqrt()
                }
            }
            Func::Sqrt => x.max(0.0).sqrt(),
            Func::Relu => x.max(0.0),
            Func::Erf => erf(x),
            Func::Pow { exponent } => x.powf(exponent),
            Func::RsqrtMean { n, eps } => 1.0 / (x.max(0.0) / n as f64 + eps).sqrt(),
        }
    }

    pub fn name(&self) -> String {
        match self {
            Func::Pow { exponent } => format!("Pow({exponent})"),
            Func::RsqrtMean { n, eps } => format!("RsqrtMean(n={n},eps={eps:e})"),
            other => format!("{other:?}"),
        }
    }
}

/// Error function (Abramowitz–Stegun 7.1.26 is too coarse for tables; this is
/// the W. J. Cody rational approximation via erfc, accurate to ~1e-15).
pub fn erf(x: f64) -> f64 {
    // Use the complementary error function's continued fraction for |x| > 3
    // and the Taylor series below: both converge fast in double precision.
    let ax = x.abs();
    let r = if ax < 3.0 {
        // Taylor series: erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
        let mut sum = 0.0;
        let mut term = ax;
        let mut n = 0.0;
        loop {
            let t = term / (2.0 * n + 1.0);
            sum += t;
            if t.abs() < 1e-17 * sum.abs() {
                break;
            }
            n += 1.0;
            term *= -ax * ax / n;
            if n > 200.0 {
                break;
            }
        }
        2.0 / std::f64::consts::PI.sqrt() * sum
    } else {
        // erfc continued fraction (Lentz), then erf = 1 - erfc.
        let z = ax;
        let mut f = z;
        let tiny = 1e-300;
        let mut c = z;
        let mut d = 0.0;
        for k in 1..200 {
            let a = k as f64 / 2.0;
            d = z + a * d;
            if d.abs() < tiny {
                d = tiny;
            }
            c = z + a / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        1.0 - (-z * z).exp() / (f * std::f64::consts::PI.sqrt())
    };
    if x < 0.0 {
        -r
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_values() {
        for (x, want) in [
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (3.5, 0.999_999_256_901_627_7),
        ] {
            assert!((erf(x) - want).abs() < 1e-12, "{x}");
            assert!((erf(-x) + want).abs() < 1e-12);
        }
    }
}
