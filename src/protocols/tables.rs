//! Lookup tables, fixed by the circuit (and so by the verifying key), never
//! chosen by the prover.
//!
//! A table is a contiguous range of signed integer inputs `[lo, lo + 2^k)`
//! and, for a function table, one output per input. Range tables need no
//! storage: the verifier evaluates their MLE in `O(k)`. Function tables
//! quantize a real function: input `x` at `in_frac` fractional bits maps to
//! `clamp(round(f(x / 2^in_frac) · 2^out_frac))` within the output width.
//! Inputs outside the table cannot be proven: the witness reports them
//! rather than clipping silently.

use serde::{Deserialize, Serialize};

use crate::field::{from_i64, Fr};

/// Element-wise non-linearities proven by lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// `x·Φ(x)` with the exact normal CDF (erf form).
    GeluErf,
    /// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
    GeluTanh,
    /// `x·σ(x)`.
    Silu,
    Sigmoid,
    Exp,
    /// `1/x`; the table maps 0 to 0 (keep 0 out of the input range).
    Reciprocal,
    /// `1/√x`; the table maps `x ≤ 0` to 0 (keep it out of the input range).
    Rsqrt,
    Tanh,
}

impl Activation {
    /// The real function, in the pure-software `libm` so that tables are
    /// bit-identical on every platform.
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Activation::GeluErf => 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)),
            Activation::GeluTanh => {
                let c = libm::sqrt(2.0 / std::f64::consts::PI);
                0.5 * x * (1.0 + libm::tanh(c * (x + 0.044715 * x * x * x)))
            }
            Activation::Silu => x / (1.0 + libm::exp(-x)),
            Activation::Sigmoid => 1.0 / (1.0 + libm::exp(-x)),
            Activation::Exp => libm::exp(x),
            Activation::Reciprocal => {
                if x == 0.0 {
                    0.0
                } else {
                    1.0 / x
                }
            }
            Activation::Rsqrt => {
                if x <= 0.0 {
                    0.0
                } else {
                    1.0 / libm::sqrt(x)
                }
            }
            Activation::Tanh => libm::tanh(x),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Activation::GeluErf => "gelu-erf",
            Activation::GeluTanh => "gelu-tanh",
            Activation::Silu => "silu",
            Activation::Sigmoid => "sigmoid",
            Activation::Exp => "exp",
            Activation::Reciprocal => "reciprocal",
            Activation::Rsqrt => "rsqrt",
            Activation::Tanh => "tanh",
        }
    }
}

/// A quantized function: scales and output width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantizedFn {
    pub f: Activation,
    pub in_frac: u32,
    pub out_frac: u32,
    /// Output values are clamped to `[-2^(out_bits-1), 2^(out_bits-1))`.
    pub out_bits: u32,
}

impl QuantizedFn {
    pub fn apply(&self, x: i64) -> i64 {
        let real = x as f64 / (1u64 << self.in_frac) as f64;
        let y = (self.f.eval(real) * (1u64 << self.out_frac) as f64).round();
        let bound = (1i64 << (self.out_bits - 1)) as f64;
        y.clamp(-bound, bound - 1.0) as i64
    }
}

/// The function of a function table, as a public, serialisable description.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TableFn {
    Activation(QuantizedFn),
    /// An element-wise function of the IR, quantized by
    /// [`crate::quant::lookup_value`].
    Ir {
        func: crate::ir::Func,
        f_in: i32,
        f_out: i32,
        out_bits: u32,
    },
    /// The zkAttn exponential [`crate::quant::softmax_exp`].
    SoftmaxExp {
        f_in: i32,
        f_out: i32,
    },
    /// `δ(x = 0)`: 1 at zero, 0 elsewhere.
    IsZero,
}

impl TableFn {
    pub fn apply(&self, x: i64) -> i64 {
        match self {
            TableFn::Activation(q) => q.apply(x),
            TableFn::Ir {
                func,
                f_in,
                f_out,
                out_bits,
            } => crate::quant::lookup_value(func, x, *f_in, *f_out, *out_bits),
            TableFn::SoftmaxExp { f_in, f_out } => crate::quant::softmax_exp(x, *f_in, *f_out),
            TableFn::IsZero => (x == 0) as i64,
        }
    }
}

/// A lookup table: inputs `[lo, lo + 2^log_size)`, with outputs for a function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LookupTable {
    pub lo: i64,
    pub log_size: u32,
    pub func: Option<TableFn>,
}

impl LookupTable {
    /// Signed range `[-2^(bits-1), 2^(bits-1))`.
    pub fn signed_range(bits: u32) -> Self {
        Self {
            lo: -(1i64 << (bits - 1)),
            log_size: bits,
            func: None,
        }
    }

    /// Unsigned range `[0, 2^bits)`.
    pub fn unsigned_range(bits: u32) -> Self {
        Self {
            lo: 0,
            log_size: bits,
            func: None,
        }
    }

    pub fn function(f: QuantizedFn, lo: i64, log_size: u32) -> Self {
        Self {
            lo,
            log_size,
            func: Some(TableFn::Activation(f)),
        }
    }

    pub fn len(&self) -> usize {
        1 << self.log_size
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn contains(&self, x: i64) -> bool {
        x >= self.lo && x - self.lo < self.len() as i64
    }

    /// Output for `x` (the identity for a range table).
    pub fn output(&self, x: i64) -> i64 {
        match &self.func {
            Some(f) => f.apply(x),
            None => x,
        }
    }

    pub fn is_function(&self) -> bool {
        self.func.is_some()
    }

    /// Outputs of every entry, in table order (function tables only).
    pub fn outputs(&self) -> Vec<Fr> {
        use rayon::prelude::*;
        (0..self.len() as i64)
            .into_par_iter()
            .map(|j| from_i64(self.output(self.lo + j)))
            .collect()
    }

    /// MLE of the inputs `lo + j` at `r`: `lo + Σ_b 2^b·r_b`, in `O(k)`.
    pub fn input_mle(&self, r: &[Fr]) -> Fr {
        assert_eq!(r.len(), self.log_size as usize);
        let mut acc = from_i64(self.lo);
        let mut pow = Fr::from(1u64);
        for rb in r {
            acc += pow * rb;
            pow.double_in_place();
        }
        acc
    }

    /// A stable byte description absorbed into transcripts.
    pub fn descriptor(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("tables serialise")
    }
}

use ark_ff::AdditiveGroup;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poly::DenseMle;

    #[test]
    fn range_mle_closed_form() {
        let t = LookupTable::signed_range(4);
        let inputs: Vec<Fr> = (0..16).map(|j| from_i64(t.lo + j)).collect();
        let r: Vec<Fr> = (0..4).map(|i| Fr::from(7 * i as u64 + 3)).collect();
        assert_eq!(DenseMle::new(inputs).evaluate(&r), t.input_mle(&r));
    }

    #[test]
    fn quantized_functions() {
        let q = QuantizedFn {
            f: Activation::Exp,
            in_frac: 8,
            out_frac: 12,
            out_bits: 16,
        };
        assert_eq!(q.apply(0), 4096);
        assert_eq!(q.apply(-256), (4096.0 * (-1f64).exp()).round() as i64);
        let sat = QuantizedFn { out_bits: 8, ..q };
        assert_eq!(sat.apply(0), 127, "clamped to the output width");
        assert!((Activation::GeluErf.eval(1.0) - 0.841344746).abs() < 1e-8);
        assert!((Activation::GeluTanh.eval(1.0) - 0.841191990).abs() < 1e-6);
    }
}
