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
    /// The real function. Tables are recomputed by the verifier, so every
    /// transcendental comes from the pure-software `libm` (bit-identical on
    /// every platform), never from std's platform `exp`/`tanh`/`powf`.
    pub fn eval(&self, x: f64) -> f64 {
        match *self {
            Func::Gelu => 0.5 * x * (1.0 + erf(x / std::f64::consts::SQRT_2)),
            Func::GeluTanh => {
                let c = libm::sqrt(2.0 / std::f64::consts::PI);
                0.5 * x * (1.0 + libm::tanh(c * (x + 0.044715 * x * x * x)))
            }
            Func::Silu => x / (1.0 + libm::exp(-x)),
            Func::Sigmoid => 1.0 / (1.0 + libm::exp(-x)),
            Func::Tanh => libm::tanh(x),
            Func::Exp => libm::exp(x),
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
                    1.0 / libm::sqrt(x)
                }
            }
            Func::Sqrt => libm::sqrt(x.max(0.0)),
            Func::Relu => x.max(0.0),
            Func::Erf => erf(x),
            Func::Pow { exponent } => libm::pow(x, exponent),
            Func::RsqrtMean { n, eps } => 1.0 / libm::sqrt(x.max(0.0) / n as f64 + eps),
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

/// The error function, `libm::erf` (pure software, bit-identical on every
/// platform; accurate to about 1 ulp).
pub fn erf(x: f64) -> f64 {
    libm::erf(x)
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
