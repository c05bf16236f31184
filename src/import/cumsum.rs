//! A `CumSum` op builder that works on tract's symbolic-dimension integers.
//!
//! tract maps ONNX `Cast(to=INT64)` to a cast to its dimension type, so the
//! attention-mask code's `CumSum` over a cast boolean mask receives symbolic
//! values and fails ("TDim is not a number"). This builder casts such an
//! input to i64, sums, and casts back.

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_core;
use tract_onnx::tract_hir::internal::*;

pub fn cumsum(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let reverse = node.get_attr_opt::<i64>("reverse")? == Some(1);
    let exclusive = node.get_attr_opt::<i64>("exclusive")? == Some(1);
    Ok((expand(CumSumI64 { reverse, exclusive }), vec![]))
}

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
struct CumSumI64 {
    reverse: bool,
    exclusive: bool,
}

impl Expansion for CumSumI64 {
    fn name(&self) -> StaticName {
        "CumSum".into()
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let axis = model
            .outlet_fact(inputs[1])?
            .konst
            .as_ref()
            .context("CumSum axis must be a constant")?;
        let axis = axis.cast_to_scalar::<i64>()?;
        let rank = model.outlet_fact(inputs[0])?.rank() as i64;
        let axis = if axis < 0 { axis + rank } else { axis } as usize;
        let dt = model.outlet_fact(inputs[0])?.datum_type;
        let op = tract_core::ops::array::CumSum {
            axis,
            exclusive: self.exclusive,
            reverse: self.reverse,
        };
        if dt == TDim::datum_type() {
            let x = model.wire_node(
                format!("{prefix}.to_i64"),
                tract_core::ops::cast::cast(i64::datum_type()),
                &[inputs[0]],
            )?;
            let s = model.wire_node(format!("{prefix}.cumsum"), op, &x)?;
            model.wire_node(
                format!("{prefix}.to_dim"),
                tract_core::ops::cast::cast(dt),
                &s,
            )
        } else {
            model.wire_node(prefix, op, &[inputs[0]])
        }
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 2)?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].datum_type, &outputs[0].datum_type)?;
        s.equals(&inputs[0].shape, &outputs[0].shape)?;
        s.equals(&inputs[1].rank, 0)?;
        Ok(())
    }
}
