//! The circuit proof: commitments, the per-op messages in walk order, the
//! lookup arguments and the batched openings.
//!
//! What each part reveals in a zero-knowledge ([`crate::zk::Hidden`]) proof,
//! and why that is safe:
//! - `commitments`: one Hyrax commitment per stack of committed tensors and
//!   multiplicity vectors ([`crate::claims::stack`]; the layout is the
//!   plan's, public), each row under a fresh uniform blind — perfectly
//!   hiding; rows past the stack's last tensor are left out, and their
//!   number is fixed by the public layout;
//! - `steps`: stated values are Pedersen commitments `v·U + ρ·H` with fresh
//!   `ρ`; sumcheck rounds are commitments to the round polynomials'
//!   values (`g(0), g(2), …`), and final values commitments with proofs of product
//!   (Σ-protocols whose responses are masked by fresh nonces);
//! - `lookups`: the logUp-GKR layers' messages, hidden the same way;
//! - `openings`: per group, a hidden reduction and a Hyrax opening that
//!   proves an inner product equal to a committed `y`;
//! - `zero`: one Σ-proof that a random combination of commitments opens to
//!   zero (a masked response);
//! - `clamp_counts`: public by design (see the threat model).
//!
//! A clear proof (`prove --no-zk`) sends the same structure with every
//! value, round polynomial and opening evaluation in the clear.

use crate::claims::{BatchOpeningProof, MultiPointProof};
use crate::commit::HyraxCommitment;
use crate::protocols::hadamard::HadamardProof;
use crate::protocols::index_map::SelectProof;
use crate::protocols::linear::LinearProof;
use crate::protocols::lookup::LookupProof;
use crate::protocols::matmul::MatMulProof;
use crate::wire::{Reader, Wire, WireError, Writer};
use crate::zk::sigma::ZeroProof;
use crate::zk::{Clear, Instance, Mode};

/// One message of the walk, in the order the verifier consumes them. In a
/// [`crate::zk::Hidden`] proof every value is a Pedersen commitment and
/// every sumcheck's rounds and final values are committed (see [`crate::zk`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Step<M: Mode = Clear> {
    /// Several claims on a tensor reduced to one.
    MultiPoint(MultiPointProof<M>),
    /// A committed tensor's value at a fresh random point.
    Value(M::Sent),
    MatMul(MatMulProof<M>),
    Linear(LinearProof<M>),
    Hadamard(HadamardProof<M>),
    Select(SelectProof<M>),
    /// A sumcheck of the circuit's own (softmax, embedding, rotary, clamp),
    /// with its final message.
    Sumcheck(Instance<M>),
    /// Several values stated by the prover.
    Values(Vec<M::Sent>),
}

impl<M: Mode> Step<M> {
    pub fn kind(&self) -> &'static str {
        match self {
            Step::MultiPoint(_) => "multi-point reduction",
            Step::Value(_) => "value",
            Step::MatMul(_) => "matmul",
            Step::Linear(_) => "linear",
            Step::Hadamard(_) => "hadamard",
            Step::Select(_) => "select",
            Step::Sumcheck(_) => "sumcheck",
            Step::Values(_) => "values",
        }
    }
}

impl<M: Mode> Wire for Step<M> {
    const MIN_BYTES: usize = 1;
    fn write(&self, w: &mut Writer) {
        match self {
            Step::MultiPoint(p) => {
                w.put_u8(0);
                p.write(w)
            }
            Step::Value(v) => {
                w.put_u8(1);
                v.write(w)
            }
            Step::MatMul(p) => {
                w.put_u8(2);
                p.write(w)
            }
            Step::Linear(p) => {
                w.put_u8(3);
                p.write(w)
            }
            Step::Hadamard(p) => {
                w.put_u8(4);
                p.write(w)
            }
            Step::Select(p) => {
                w.put_u8(5);
                p.write(w)
            }
            Step::Sumcheck(p) => {
                w.put_u8(6);
                p.write(w)
            }
            Step::Values(v) => {
                w.put_u8(7);
                w.put_seq(v)
            }
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(match r.get_u8("step tag")? {
            0 => Step::MultiPoint(r.get()?),
            1 => Step::Value(r.get()?),
            2 => Step::MatMul(r.get()?),
            3 => Step::Linear(r.get()?),
            4 => Step::Hadamard(r.get()?),
            5 => Step::Select(r.get()?),
            6 => Step::Sumcheck(r.get()?),
            7 => Step::Values(r.get_seq("values")?),
            _ => return Err(WireError::Invalid { what: "step tag" }),
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CircuitProof<M: Mode = Clear> {
    /// One commitment per stack ([`super::proof_stacks`]): the committed
    /// tensors (plan order), then one multiplicity vector per table, placed
    /// in stacks of at most 2^[`super::MAX_STACK_VARS`] entries.
    pub commitments: Vec<HyraxCommitment>,
    pub steps: Vec<Step<M>>,
    /// Every distinct table's lookups (plan order), their trees batched.
    pub lookups: LookupProof<M>,
    pub openings: BatchOpeningProof<M>,
    /// The one zero proof of every equality a hidden proof recorded (none
    /// in the clear).
    pub zero: Option<ZeroProof>,
    /// Per saturating rescale (plan order): how many values were clamped to
    /// the top and to the bottom of its width. Public and proven
    /// ([`super::saturation`]).
    pub clamp_counts: Vec<[u64; 2]>,
}

impl<M: Mode> Wire for CircuitProof<M> {
    const MIN_BYTES: usize = 17;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.commitments);
        w.put_seq(&self.steps);
        self.lookups.write(w);
        self.openings.write(w);
        w.put_option(self.zero.as_ref());
        w.put_u32(self.clamp_counts.len() as u32);
        for [a, b] in &self.clamp_counts {
            w.put_bytes(&a.to_le_bytes());
            w.put_bytes(&b.to_le_bytes());
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let commitments = r.get_seq("commitments")?;
        let steps = r.get_seq("steps")?;
        let lookups = r.get()?;
        let openings = r.get()?;
        let zero = r.get_option("zero proof tag")?;
        let n = r.get_u32("clamp count entries")? as usize;
        if n.saturating_mul(16) > r.remaining() {
            return Err(WireError::LengthTooLarge {
                what: "clamp counts",
                len: n,
                left: r.remaining(),
            });
        }
        let mut clamp_counts = Vec::with_capacity(n);
        for _ in 0..n {
            let mut pair = [0u64; 2];
            for v in &mut pair {
                let b = r.take(8, "clamp count")?;
                *v = u64::from_le_bytes(b.try_into().map_err(|_| WireError::Invalid {
                    what: "clamp count",
                })?);
            }
            clamp_counts.push(pair);
        }
        Ok(Self {
            commitments,
            steps,
            lookups,
            openings,
            zero,
            clamp_counts,
        })
    }
}

/// A proof of either kind, as a proof file carries it: a header byte says
/// which (0: in the clear, `prove --no-zk`; 1: zero-knowledge), and the
/// transcript absorbs the kind before any challenge
/// ([`super::absorb_mode`]), so neither kind verifies as the other.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyProof {
    Clear(CircuitProof<Clear>),
    Hidden(CircuitProof<crate::zk::Hidden>),
}

impl AnyProof {
    pub fn zero_knowledge(&self) -> bool {
        matches!(self, AnyProof::Hidden(_))
    }

    /// The public clamp counts (per saturating rescale: above, below).
    pub fn clamp_counts(&self) -> &[[u64; 2]] {
        match self {
            AnyProof::Clear(p) => &p.clamp_counts,
            AnyProof::Hidden(p) => &p.clamp_counts,
        }
    }
}

impl Wire for AnyProof {
    const MIN_BYTES: usize = 1 + <CircuitProof as Wire>::MIN_BYTES;
    fn write(&self, w: &mut Writer) {
        match self {
            AnyProof::Clear(p) => {
                w.put_u8(0);
                p.write(w)
            }
            AnyProof::Hidden(p) => {
                w.put_u8(1);
                p.write(w)
            }
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(match r.get_u8("proof kind")? {
            0 => AnyProof::Clear(r.get()?),
            1 => AnyProof::Hidden(r.get()?),
            _ => return Err(WireError::Invalid { what: "proof kind" }),
        })
    }
}
