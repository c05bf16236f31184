//! Transformer gadgets inside the whole-model circuit, on graphs built in
//! code (random weights, no ONNX needed):
//!
//! - `softmax/12x128x128`: zkAttn softmax of 12 heads × 128 × 128 causal scores;
//! - `rmsnorm/128x4096`: RMSNorm (with gain) of 128 rows of 4096;
//! - `gpt2_block/32`: one GPT-2-small-shaped block (hidden 768, 12 heads,
//!   fused QKV, MLP 3072, LayerNorms, residuals) with a 512-token vocabulary, at 32 tokens.
//!
//! Each graph is token ids → embedding → the gadget → public output, so the
//! figures include the embedding and the quantization rescales around the
//! gadget, as in a real model. Prints proof bytes once per graph.
//!
//! ```sh
//! cargo bench --bench blocks            # all three
//! cargo bench --bench blocks -- softmax # one ('softmax|rmsnorm' for two)
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use zkllm::artifacts::ProvingKey;
use zkllm::ir::{Data, EinsumSpec, Func, Graph, Mask, NodeId, NormKind, Op};
use zkllm::pipeline;

/// Criterion's name filter (an argument not starting with `-`; `a|b` for
/// several): whether to
/// build `name`'s keys at all (setup of the big graphs takes a while).
fn wanted(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    filters.is_empty()
        || filters
            .iter()
            .flat_map(|f| f.split('|'))
            .any(|f| name.contains(f))
}

/// A float graph under construction, with deterministic random weights.
struct Builder {
    g: Graph,
    rng: ChaCha20Rng,
}

impl Builder {
    /// Token ids `[1, seq]` and their embedding `[1, seq, hidden]`.
    fn new(seq: usize, vocab: usize, hidden: usize) -> (Self, NodeId) {
        let mut b = Builder {
            g: Graph {
                seq_len: seq,
                ..Graph::default()
            },
            rng: ChaCha20Rng::seed_from_u64(7),
        };
        let ids = b.g.push(
            "input_ids",
            Op::Input {
                name: "input_ids".into(),
            },
            vec![],
            vec![1, seq],
        );
        b.g.input = ids;
        let table = b.weight("wte", vec![vocab, hidden], 1.0);
        let x = b.push(
            "embed",
            Op::Embedding,
            vec![table, ids],
            vec![1, seq, hidden],
        );
        (b, x)
    }

    fn push(&mut self, name: &str, op: Op, inputs: Vec<NodeId>, shape: Vec<usize>) -> NodeId {
        self.g.push(name, op, inputs, shape)
    }

    /// Uniform in `[-scale, scale)` (around 1 when `gain`).
    fn weight_with(&mut self, name: &str, shape: Vec<usize>, scale: f32, gain: bool) -> NodeId {
        let n: usize = shape.iter().product();
        let data: Vec<f32> = (0..n)
            .map(|_| {
                let u = (self.rng.next_u32() as f32 / u32::MAX as f32) * 2.0 - 1.0;
                u * scale + if gain { 1.0 } else { 0.0 }
            })
            .collect();
        let id = self.push(
            name,
            Op::Weight {
                name: name.into(),
                initializer: true,
            },
            vec![],
            shape,
        );
        self.g.nodes[id].data = Some(Data::F32(data));
        id
    }

    fn weight(&mut self, name: &str, shape: Vec<usize>, scale: f32) -> NodeId {
        self.weight_with(name, shape, scale, false)
    }

    fn shape(&self, id: NodeId) -> Vec<usize> {
        self.g.nodes[id].shape.clone()
    }

    /// `x·W + b` over the last axis of `x` (`[1, seq, k]` → `[1, seq, n]`).
    fn linear(&mut self, name: &str, x: NodeId, n: usize) -> NodeId {
        let s = self.shape(x);
        let k = s[2];
        let w = self.weight(&format!("{name}.w"), vec![k, n], 1.0 / (k as f32).sqrt());
        let spec = EinsumSpec {
            a: vec!['a', 'm', 'k'],
            b: vec!['k', 'n'],
            out: vec!['a', 'm', 'n'],
        };
        let y = self.push(
            name,
            Op::EinSum {
                spec,
                weight_operand: Some(1),
            },
            vec![x, w],
            vec![1, s[1], n],
        );
        let b = self.weight(&format!("{name}.b"), vec![1, 1, n], 0.1);
        self.push(
            &format!("{name}.bias"),
            Op::Add,
            vec![y, b],
            vec![1, s[1], n],
        )
    }

    /// RMSNorm over the last axis, times a gain.
    fn rms_norm(&mut self, name: &str, x: NodeId) -> NodeId {
        let s = self.shape(x);
        let d = *s.last().unwrap();
        let n = self.push(
            name,
            Op::Norm {
                kind: NormKind::Rms,
                axis: s.len() - 1,
                eps: 1e-5,
            },
            vec![x],
            s.clone(),
        );
        let gain = self.weight_with(&format!("{name}.g"), vec![1, 1, d], 0.3, true);
        self.push(&format!("{name}.gain"), Op::Hadamard, vec![n, gain], s)
    }

    /// LayerNorm as tract delivers it: mean subtraction, RMS norm, gain, bias.
    fn layer_norm(&mut self, name: &str, x: NodeId) -> NodeId {
        let s = self.shape(x);
        let d = s[2];
        let sum = self.push(
            &format!("{name}.sum"),
            Op::Sum { axis: 2 },
            vec![x],
            vec![1, s[1], 1],
        );
        let mean = self.push(
            &format!("{name}.mean"),
            Op::MulConst {
                value: 1.0 / d as f64,
                q: 0,
                frac_bits: 0,
            },
            vec![sum],
            vec![1, s[1], 1],
        );
        let c = self.push(&format!("{name}.center"), Op::Sub, vec![x, mean], s.clone());
        let y = self.rms_norm(name, c);
        let b = self.weight(&format!("{name}.b"), vec![1, 1, d], 0.1);
        self.push(&format!("{name}.bias"), Op::Add, vec![y, b], s)
    }

    fn causal_mask(seq: usize) -> Mask {
        Mask {
            shape: vec![1, seq, seq],
            keep: (0..seq * seq).map(|i| i % seq <= i / seq).collect(),
        }
    }

    fn softmax(&mut self, name: &str, scores: NodeId) -> NodeId {
        let s = self.shape(scores);
        let mask = Some(Self::causal_mask(s[1]));
        self.push(
            name,
            Op::Softmax {
                mask,
                exp_frac_bits: None,
            },
            vec![scores],
            s,
        )
    }

    fn finish(mut self, out: NodeId) -> Graph {
        self.g.output = out;
        self.g
    }
}

/// Softmax of `heads × seq × seq` causal scores taken from the embedding.
fn softmax_graph(heads: usize, seq: usize) -> Graph {
    let (mut b, x) = Builder::new(seq, 256, heads * seq);
    let r = b.push("split", Op::Reshape, vec![x], vec![seq, heads, seq]);
    let scores = b.push(
        "heads",
        Op::Permute {
            perm: vec![1, 0, 2],
        },
        vec![r],
        vec![heads, seq, seq],
    );
    let p = b.softmax("softmax", scores);
    let back = b.push(
        "merge",
        Op::Permute {
            perm: vec![1, 0, 2],
        },
        vec![p],
        vec![seq, heads, seq],
    );
    let out = b.push("out", Op::Reshape, vec![back], vec![1, seq, heads * seq]);
    b.finish(out)
}

fn rmsnorm_graph(rows: usize, d: usize) -> Graph {
    let (mut b, x) = Builder::new(rows, 64, d);
    let y = b.rms_norm("norm", x);
    b.finish(y)
}

/// One GPT-2 block (pre-LN attention and GELU MLP, residuals), final
/// LayerNorm and LM head.
fn gpt2_block_graph(seq: usize, hidden: usize, heads: usize, vocab: usize) -> Graph {
    let hd = hidden / heads;
    let (mut b, e) = Builder::new(seq, vocab, hidden);
    let wpe = b.weight("wpe", vec![1, seq, hidden], 0.5);
    let x = b.push("pos", Op::Add, vec![e, wpe], vec![1, seq, hidden]);
    let h = b.layer_norm("ln_1", x);
    let qkv = b.linear("c_attn", h, 3 * hidden);
    let part = |b: &mut Builder, i: usize, name: &str| {
        let s = b.push(
            name,
            Op::Slice {
                axis: 2,
                start: i * hidden,
                end: (i + 1) * hidden,
                step: 1,
            },
            vec![qkv],
            vec![1, seq, hidden],
        );
        b.push(
            &format!("{name}.heads"),
            Op::Reshape,
            vec![s],
            vec![1, seq, heads, hd],
        )
    };
    let (q, k, v) = (
        part(&mut b, 0, "q"),
        part(&mut b, 1, "k"),
        part(&mut b, 2, "v"),
    );
    let qk = EinsumSpec {
        a: vec!['a', 'm', 'b', 'k'],
        b: vec!['a', 'n', 'b', 'k'],
        out: vec!['b', 'm', 'n'],
    };
    let s = b.push(
        "scores",
        Op::EinSum {
            spec: qk,
            weight_operand: None,
        },
        vec![q, k],
        vec![heads, seq, seq],
    );
    let scale = 1.0 / (hd as f64).sqrt();
    let s = b.push(
        "scaled",
        Op::MulConst {
            value: scale,
            q: 0,
            frac_bits: 0,
        },
        vec![s],
        vec![heads, seq, seq],
    );
    let p = b.softmax("softmax", s);
    let v = b.push("v.flat", Op::Reshape, vec![v], vec![seq, heads, hd]);
    let av = EinsumSpec {
        a: vec!['b', 'm', 'k'],
        b: vec!['k', 'b', 'n'],
        out: vec!['m', 'b', 'n'],
    };
    let a = b.push(
        "attn",
        Op::EinSum {
            spec: av,
            weight_operand: None,
        },
        vec![p, v],
        vec![seq, heads, hd],
    );
    let a = b.push("attn.merge", Op::Reshape, vec![a], vec![1, seq, hidden]);
    let a = b.linear("c_proj", a, hidden);
    let x = b.push("res_1", Op::Add, vec![x, a], vec![1, seq, hidden]);
    let h = b.layer_norm("ln_2", x);
    let m = b.linear("c_fc", h, 4 * hidden);
    let m = b.push(
        "gelu",
        Op::Lookup {
            func: Func::GeluTanh,
            table: None,
        },
        vec![m],
        vec![1, seq, 4 * hidden],
    );
    let m = b.linear("mlp.c_proj", m, hidden);
    let x = b.push("res_2", Op::Add, vec![x, m], vec![1, seq, hidden]);
    let h = b.layer_norm("ln_f", x);
    let logits = b.linear("lm_head", h, vocab);
    b.finish(logits)
}

fn keys(graph: &Graph) -> ProvingKey {
    let q = pipeline::quantize_float_graph(graph, None, &pipeline::default_quant_config(false))
        .expect("quantize");
    pipeline::setup(q, &|_, _, _| {}).expect("setup")
}

fn bench_graph(c: &mut Criterion, name: &str, graph: impl FnOnce() -> Graph) {
    if !wanted(name) {
        return;
    }
    let graph = graph();
    let pk = keys(&graph);
    let vocab = pipeline::vocab_size(&graph).min(64);
    let ids: Vec<i64> = (0..graph.seq_len)
        .map(|i| ((i * 7 + 3) % vocab) as i64)
        .collect();
    let proof = pipeline::prove(&pk, &ids, Some(1), &|_, _, _| {}).expect("prove");
    pipeline::verify(&pk.vk, &proof, Some(&ids)).expect("verify");
    println!(
        "{name}: {} parameters, proof {} bytes",
        pk.graph.parameter_count(),
        proof.to_bytes().len()
    );
    let mut g = c.benchmark_group(name);
    g.sample_size(10);
    g.bench_function("prove", |b| {
        b.iter(|| pipeline::prove(&pk, &ids, None, &|_, _, _| {}).unwrap())
    });
    g.bench_function("verify", |b| {
        b.iter(|| pipeline::verify(&pk.vk, &proof, Some(&ids)).unwrap())
    });
    g.finish();
}

fn softmax(c: &mut Criterion) {
    bench_graph(c, "softmax/12x128x128", || softmax_graph(12, 128));
}

fn rmsnorm(c: &mut Criterion) {
    bench_graph(c, "rmsnorm/128x4096", || rmsnorm_graph(128, 4096));
}

fn gpt2_block(c: &mut Criterion) {
    bench_graph(c, "gpt2_block/32", || gpt2_block_graph(32, 768, 12, 512));
}

criterion_group!(benches, softmax, rmsnorm, gpt2_block);
criterion_main!(benches);
