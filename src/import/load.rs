//! Loading an ONNX file into a typed, decluttered tract model with the
//! sequence length fixed, and tract's own float inference as the reference.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use tract_onnx::pb::tensor_shape_proto::dimension::Value as DimValue;
use tract_onnx::pb::type_proto::Value as TypeValue;
use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;

use super::{ImportError, ImportOptions};

/// One graph input as the file declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelInput {
    pub name: String,
    /// Each dimension: a number or a symbol name.
    pub dims: Vec<String>,
    /// ONNX element type code (1 float, 6 int32, 7 int64, 9 bool).
    pub elem_type: i32,
}

/// What the file declares, before any typing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelDescription {
    pub producer: String,
    pub opset: i64,
    pub inputs: Vec<ModelInput>,
    pub outputs: Vec<String>,
    /// Every symbolic dimension of the inputs.
    pub symbols: Vec<String>,
    /// The symbol of `input_ids`' sequence axis, if symbolic.
    pub seq_symbol: Option<String>,
    /// Longest sequence the position-embedding table allows, if it has one.
    pub position_limit: Option<usize>,
    pub node_count: usize,
    pub initializers: usize,
}

const KV_MARKERS: [&str; 4] = ["past", "key_values", "cache", "present"];

fn read_proto(path: &Path) -> Result<ModelProto, ImportError> {
    let p = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| ImportError::Io {
        path: p.clone(),
        why: e.to_string(),
    })?;
    if !meta.is_file() {
        return Err(ImportError::Io {
            path: p,
            why: "not a file".into(),
        });
    }
    let proto =
        tract_onnx::onnx()
            .proto_model_for_path(path)
            .map_err(|e| ImportError::NotOnnx {
                path: p.clone(),
                why: format!("{e:#}"),
            })?;
    let graph = proto.graph.as_ref().ok_or_else(|| ImportError::NotOnnx {
        path: p.clone(),
        why: "no graph".into(),
    })?;
    if graph.node.is_empty() || graph.output.is_empty() {
        return Err(ImportError::NotOnnx {
            path: p,
            why: "the graph has no nodes or no outputs".into(),
        });
    }
    Ok(proto)
}

fn describe_proto(proto: &ModelProto) -> ModelDescription {
    let graph = proto.graph.as_ref().expect("checked by read_proto");
    let init: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let mut symbols = BTreeSet::new();
    let inputs: Vec<ModelInput> = graph
        .input
        .iter()
        .filter(|i| !init.contains(i.name.as_str()))
        .map(|i| {
            let (elem_type, dims) = match i.r#type.as_ref().and_then(|t| t.value.as_ref()) {
                Some(TypeValue::TensorType(t)) => {
                    let dims = t
                        .shape
                        .as_ref()
                        .map(|s| {
                            s.dim
                                .iter()
                                .map(|d| match &d.value {
                                    Some(DimValue::DimValue(v)) => v.to_string(),
                                    Some(DimValue::DimParam(p)) => {
                                        symbols.insert(p.clone());
                                        p.clone()
                                    }
                                    None => "?".into(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (t.elem_type, dims)
                }
                None => (0, vec![]),
            };
            ModelInput {
                name: i.name.clone(),
                dims,
                elem_type,
            }
        })
        .collect();
    let seq_symbol = inputs
        .iter()
        .find(|i| i.name == "input_ids")
        .and_then(|i| i.dims.get(1))
        .filter(|d| d.parse::<i64>().is_err())
        .cloned();
    let position_limit = graph
        .initializer
        .iter()
        .filter(|t| t.dims.len() == 2)
        .find_map(|t| {
            let n = t.name.to_lowercase();
            if n.contains("wpe") || n.contains("position_embeddings") {
                Some(t.dims[0] as usize)
            } else if n.contains("embed_positions") {
                // OPT's learned positions carry an offset of 2.
                Some((t.dims[0] as usize).saturating_sub(2))
            } else {
                None
            }
        });
    let opset = proto
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map_or(0, |o| o.version);
    ModelDescription {
        producer: format!("{} {}", proto.producer_name, proto.producer_version)
            .trim()
            .to_string(),
        opset,
        inputs,
        outputs: graph.output.iter().map(|o| o.name.clone()).collect(),
        symbols: symbols.into_iter().collect(),
        seq_symbol,
        position_limit,
        node_count: graph.node.len(),
        initializers: graph.initializer.len(),
    }
}

/// Reads the file's inputs, outputs and symbolic dimensions.
pub fn describe(path: &Path) -> Result<ModelDescription, ImportError> {
    Ok(describe_proto(&read_proto(path)?))
}

pub(crate) struct Typed {
    pub model: TypedModel,
    pub initializers: HashSet<String>,
}

fn tract_err(stage: &'static str) -> impl Fn(TractError) -> ImportError {
    move |e| ImportError::Tract {
        stage,
        why: format!("{e:#}"),
    }
}

/// Runs a tract stage that may panic on a model it cannot handle (tract
/// asserts where it meets, say, a gather past the end of a table: a
/// rotary position table shorter than the sequence). The panic becomes an
/// error naming the stage, with a hint at the usual cause.
fn unpanicked<T>(
    stage: &'static str,
    f: impl FnOnce() -> Result<T, ImportError>,
) -> Result<T, ImportError> {
    // The panic hook would print the panic (and a backtrace) before the
    // error, which says it all: once per process, wrap the hook so that it
    // stays quiet on a thread inside this function, and only there.
    thread_local! {
        static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    static WRAP_HOOK: std::sync::Once = std::sync::Once::new();
    WRAP_HOOK.call_once(|| {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                hook(info)
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    caught.unwrap_or_else(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        Err(ImportError::Tract {
            stage,
            why: format!(
                "tract panicked ({msg}); a common cause is a sequence length longer than a table the model indexes by position (a rotary or position-embedding table): try a shorter --seq-len"
            ),
        })
    })
}

fn dt_of(elem_type: i32) -> DatumType {
    match elem_type {
        1 => f32::datum_type(),
        6 => i32::datum_type(),
        9 => bool::datum_type(),
        _ => i64::datum_type(),
    }
}

/// Checks the inputs, binds every symbol, and returns the concrete shape of
/// each input.
fn bind_inputs(
    desc: &ModelDescription,
    opts: &ImportOptions,
) -> Result<Vec<(ModelInput, Vec<usize>)>, ImportError> {
    let names: Vec<String> = desc.inputs.iter().map(|i| i.name.clone()).collect();
    let kv: Vec<String> = names
        .iter()
        .filter(|n| KV_MARKERS.iter().any(|m| n.to_lowercase().contains(m)))
        .cloned()
        .collect();
    if !kv.is_empty() {
        return Err(ImportError::KvCache { inputs: kv });
    }
    if !names.iter().any(|n| n == "input_ids") {
        return Err(ImportError::NoInputIds { inputs: names });
    }
    if let Some(unknown) = names
        .iter()
        .find(|n| !["input_ids", "attention_mask", "position_ids"].contains(&n.as_str()))
    {
        return Err(ImportError::UnknownInput {
            name: unknown.clone(),
        });
    }
    if opts.seq_len == 0 {
        return Err(ImportError::SeqLen {
            seq_len: 0,
            limit: desc.position_limit.unwrap_or(usize::MAX),
            why: "empty sequence".into(),
        });
    }
    if let Some(limit) = desc.position_limit {
        if opts.seq_len > limit {
            return Err(ImportError::SeqLen {
                seq_len: opts.seq_len,
                limit,
                why: "position-embedding table size".into(),
            });
        }
    }
    let mut values: BTreeMap<String, i64> = opts.dims.clone();
    if let Some(s) = &desc.seq_symbol {
        values.insert(s.clone(), opts.seq_len as i64);
    }
    let mut missing = BTreeSet::new();
    let mut out = Vec::new();
    for input in &desc.inputs {
        let mut shape = Vec::new();
        for (axis, d) in input.dims.iter().enumerate() {
            let v = match d.parse::<i64>() {
                Ok(v) => Some(v),
                Err(_) => values.get(d).copied().or(match axis {
                    // [batch, seq] inputs: a single unpadded sequence.
                    0 => Some(1),
                    1 => Some(opts.seq_len as i64),
                    _ => None,
                }),
            };
            match v {
                Some(v) if v > 0 => shape.push(v as usize),
                _ => {
                    missing.insert(d.clone());
                }
            }
        }
        if input.name == "input_ids"
            && missing.is_empty()
            && (shape.len() != 2 || shape[0] != 1 || shape[1] != opts.seq_len)
        {
            return Err(ImportError::SeqLen {
                seq_len: opts.seq_len,
                limit: shape.get(1).copied().unwrap_or(0),
                why: format!("input_ids has the fixed shape {:?}", input.dims),
            });
        }
        out.push((input.clone(), shape));
    }
    if !missing.is_empty() {
        return Err(ImportError::UnboundDims {
            missing: missing.into_iter().collect(),
        });
    }
    Ok(out)
}

/// Loads, fixes the input shapes, binds `attention_mask` to ones and
/// `position_ids` to `0..seq`, keeps only the `logits` output, types and
/// declutters.
pub(crate) fn load_typed(path: &Path, opts: &ImportOptions) -> Result<Typed, ImportError> {
    let proto = read_proto(path)?;
    let desc = describe_proto(&proto);
    let bound = bind_inputs(&desc, opts)?;
    let graph = proto.graph.as_ref().expect("checked");
    let initializers: HashSet<String> = graph.initializer.iter().map(|t| t.name.clone()).collect();

    let mut onnx = tract_onnx::onnx();
    onnx.op_register.insert("CumSum", super::cumsum::cumsum);
    onnx.ignore_value_info = true;
    let dir = path.parent().and_then(|p| p.to_str());
    let parsed = onnx.parse(&proto, dir).map_err(tract_err("parse"))?;
    if !parsed.unresolved_inputs.is_empty() {
        return Err(ImportError::Tract {
            stage: "parse",
            why: format!("unresolved inputs {:?}", parsed.unresolved_inputs),
        });
    }
    let mut model = parsed.model;
    let outputs = model.output_outlets().map_err(tract_err("parse"))?.to_vec();
    let logits = outputs
        .iter()
        .find(|o| model.outlet_label(**o) == Some("logits") || model.node(o.node).name == "logits")
        .or(if outputs.len() == 1 {
            outputs.first()
        } else {
            None
        })
        .copied()
        .ok_or(ImportError::NoLogits)?;
    model
        .select_output_outlets(&[logits])
        .map_err(tract_err("parse"))?;
    let input_outlets = model.input_outlets().map_err(tract_err("parse"))?.to_vec();
    let mut consts = Vec::new();
    for (i, outlet) in input_outlets.iter().enumerate() {
        let name = model.node(outlet.node).name.clone();
        let (input, shape) = bound
            .iter()
            .find(|(inp, _)| inp.name == name)
            .ok_or_else(|| ImportError::UnknownInput { name: name.clone() })?;
        let dt = dt_of(input.elem_type);
        model
            .set_input_fact(i, InferenceFact::dt_shape(dt, shape.clone()))
            .map_err(tract_err("type"))?;
        if name != "input_ids" {
            let n: usize = shape.iter().product();
            let values: Vec<i64> = match name.as_str() {
                "position_ids" => (0..n as i64).map(|k| k % opts.seq_len as i64).collect(),
                _ => vec![1; n],
            };
            let t = Tensor::from_shape(shape, &values).map_err(tract_err("type"))?;
            let t = t.cast_to_dt(dt).map_err(tract_err("type"))?.into_owned();
            consts.push((name, t));
        }
    }
    let mut typed = unpanicked("type", || model.into_typed().map_err(tract_err("type")))?;
    for (name, t) in consts {
        let outlet = typed
            .input_outlets()
            .map_err(tract_err("type"))?
            .iter()
            .copied()
            .find(|o| typed.node(o.node).name == name)
            .ok_or_else(|| ImportError::UnknownInput { name: name.clone() })?;
        let arc = t.into_arc_tensor();
        let op = tract_onnx::tract_core::ops::konst::Const::new(arc.clone())
            .map_err(tract_err("type"))?;
        typed.node_mut(outlet.node).op = Box::new(op);
        typed
            .set_outlet_fact(outlet, TypedFact::try_from(arc).map_err(tract_err("type"))?)
            .map_err(tract_err("type"))?;
        typed.inputs.retain(|o| *o != outlet);
    }
    let model = unpanicked("declutter", || {
        typed.into_decluttered().map_err(tract_err("declutter"))
    })?;
    Ok(Typed {
        model,
        initializers,
    })
}

/// tract's float inference of the file on `ids` (the reference the quantized
/// witness is compared with): logits `[1, seq, vocab]` flattened.
pub fn tract_logits(
    path: &Path,
    opts: &ImportOptions,
    ids: &[i64],
) -> Result<Vec<f32>, ImportError> {
    let typed = load_typed(path, opts)?;
    let runnable = typed.model.into_runnable().map_err(tract_err("plan"))?;
    let input = Tensor::from_shape(&[1, ids.len()], ids).map_err(tract_err("run"))?;
    let out = unpanicked("run", || {
        runnable.run(tvec!(input.into())).map_err(tract_err("run"))
    })?;
    let logits = out[0].cast_to::<f32>().map_err(tract_err("run"))?;
    Ok(logits
        .to_plain_array_view::<f32>()
        .map_err(tract_err("run"))?
        .iter()
        .copied()
        .collect())
}

/// Mean wall time of tract's optimized float inference of the file on `ids`
/// over `reps` runs (model loading excluded): the baseline the end-to-end
/// benchmark compares proving with.
pub fn tract_run_seconds(
    path: &Path,
    opts: &ImportOptions,
    ids: &[i64],
    reps: usize,
) -> Result<f64, ImportError> {
    let typed = load_typed(path, opts)?;
    let runnable = typed
        .model
        .into_optimized()
        .map_err(tract_err("optimize"))?
        .into_runnable()
        .map_err(tract_err("plan"))?;
    let input: TValue = Tensor::from_shape(&[1, ids.len()], ids)
        .map_err(tract_err("run"))?
        .into();
    runnable
        .run(tvec!(input.clone()))
        .map_err(tract_err("run"))?;
    let start = std::time::Instant::now();
    for _ in 0..reps.max(1) {
        runnable
            .run(tvec!(input.clone()))
            .map_err(tract_err("run"))?;
    }
    Ok(start.elapsed().as_secs_f64() / reps.max(1) as f64)
}
