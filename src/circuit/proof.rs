//! The circuit proof: commitments, the per-op messages in walk order, the
//! lookup arguments and the batched openings.

use crate::claims::{BatchOpeningProof, MultiPointProof};
use crate::commit::HyraxCommitment;
use crate::field::Fr;
use crate::protocols::hadamard::HadamardProof;
use crate::protocols::index_map::SelectProof;
use crate::protocols::linear::LinearProof;
use crate::protocols::lookup::LookupProof;
use crate::protocols::matmul::MatMulProof;
use crate::sumcheck::SumcheckProof;
use crate::wire::{Reader, Wire, WireError, Writer};

/// One message of the walk, in the order the verifier consumes them.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Several claims on a tensor reduced to one.
    MultiPoint(MultiPointProof),
    /// A committed tensor's value at a fresh random point.
    Value(Fr),
    MatMul(MatMulProof),
    Linear(LinearProof),
    Hadamard(HadamardProof),
    Select(SelectProof),
    /// A plain sumcheck with the prover's final values.
    Sumcheck(SumcheckProof, Vec<Fr>),
    /// Several scalar values stated by the prover.
    Values(Vec<Fr>),
}

impl Step {
    pub fn kind(&self) -> &'static str {
        match self {
            Step::MultiPoint(_) => "multi-point reduction",
            Step::Value(_) => "value",
            Step::MatMul(_) => "matmul",
            Step::Linear(_) => "linear",
            Step::Hadamard(_) => "hadamard",
            Step::Select(_) => "select",
            Step::Sumcheck(..) => "sumcheck",
            Step::Values(_) => "values",
        }
    }
}

impl Wire for Step {
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
            Step::Sumcheck(p, v) => {
                w.put_u8(6);
                p.write(w);
                w.put_seq(v)
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
            6 => Step::Sumcheck(r.get()?, r.get_seq("sumcheck values")?),
            7 => Step::Values(r.get_seq("values")?),
            _ => return Err(WireError::Invalid { what: "step tag" }),
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CircuitProof {
    /// Committed tensors (plan order), then one multiplicity vector per table.
    pub commitments: Vec<HyraxCommitment>,
    pub steps: Vec<Step>,
    /// One per distinct table, in plan order.
    pub lookups: Vec<LookupProof>,
    pub openings: BatchOpeningProof,
    /// Per saturating rescale (plan order): how many values were clamped to
    /// the top and to the bottom of its width. Public and proven
    /// ([`super::saturation`]).
    pub clamp_counts: Vec<[u64; 2]>,
}

impl Wire for CircuitProof {
    const MIN_BYTES: usize = 16;
    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.commitments);
        w.put_seq(&self.steps);
        w.put_seq(&self.lookups);
        self.openings.write(w);
        w.put_u32(self.clamp_counts.len() as u32);
        for [a, b] in &self.clamp_counts {
            w.put_bytes(&a.to_le_bytes());
            w.put_bytes(&b.to_le_bytes());
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let commitments = r.get_seq("commitments")?;
        let steps = r.get_seq("steps")?;
        let lookups = r.get_seq("lookup proofs")?;
        let openings = r.get()?;
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
            clamp_counts,
        })
    }
}
