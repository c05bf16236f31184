use super::codec::{Plain, RoundCodec};
use crate::field::Fr;
use crate::wire::{Reader, Wire, WireError, Writer};

/// A round polynomial given by its values at `0, 1, …, d`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundPoly(pub Vec<Fr>);

impl Wire for RoundPoly {
    const MIN_BYTES: usize = 4;

    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.0);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let evals = r.get_seq("sumcheck round polynomial")?;
        if evals.len() > super::MAX_DEGREE + 1 {
            return Err(WireError::Invalid {
                what: "sumcheck round polynomial (degree too high)",
            });
        }
        Ok(RoundPoly(evals))
    }
}

/// The prover's messages: one per variable.
#[derive(Clone, Debug, PartialEq)]
pub struct SumcheckProof<C: RoundCodec = Plain> {
    pub rounds: Vec<C::Round>,
}

impl<C: RoundCodec> Wire for SumcheckProof<C> {
    const MIN_BYTES: usize = 4;

    fn write(&self, w: &mut Writer) {
        w.put_seq(&self.rounds);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            rounds: r.get_seq("sumcheck rounds")?,
        })
    }
}
