//! Every table kind's contents, pinned by SHA-256 at a few parameter sets.
//!
//! The verifier recomputes every function table from the circuit, so a
//! table must come out bit-identical on every platform and build: the
//! functions use the pure-software `libm`, never std's platform `exp`,
//! `tanh`, `powf`. Any change of a table's bits (a different rounding, a
//! different libm, a changed formula) fails here; if the change is meant,
//! the keys and proofs made before it no longer verify, and the digests
//! below are updated with it.

use sha2::{Digest, Sha256};
use zkllm::ir::Func;
use zkllm::protocols::tables::{Activation, LookupTable, QuantizedFn, TableFn};
use zkllm::quant::{lookup_value, softmax_exp_domain, ZkAttnParams};

/// SHA-256 of `lo`, `log_size` and every entry's output, little-endian `i64`s.
fn digest(t: &LookupTable) -> String {
    let mut h = Sha256::new();
    h.update(t.lo.to_le_bytes());
    h.update((t.log_size as i64).to_le_bytes());
    for j in 0..t.len() as i64 {
        h.update(t.output(t.lo + j).to_le_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn ir(func: Func, f_in: i32, f_out: i32, out_bits: u32, lo: i64, log_size: u32) -> LookupTable {
    LookupTable {
        lo,
        log_size,
        func: Some(TableFn::Ir {
            func,
            f_in,
            f_out,
            out_bits,
        }),
    }
}

fn act(f: Activation, in_frac: u32, out_frac: u32, lo: i64, log_size: u32) -> LookupTable {
    let q = QuantizedFn {
        f,
        in_frac,
        out_frac,
        out_bits: 16,
    };
    LookupTable::function(q, lo, log_size)
}

fn softmax_exp(n: usize, f_in: i32, f_out: i32) -> LookupTable {
    let p = ZkAttnParams::new(n, 16, f_in, f_out);
    LookupTable {
        lo: 0,
        log_size: p.lo_bits,
        func: Some(TableFn::SoftmaxExp { f_in, f_out }),
    }
}

fn tables() -> Vec<(String, LookupTable)> {
    let mut v: Vec<(String, LookupTable)> = Vec::new();
    let signed = [(8, 12, 16, -(1 << 15), 16), (4, 14, 16, -(1 << 11), 12)];
    let funcs = [
        Func::Gelu,
        Func::GeluTanh,
        Func::Silu,
        Func::Sigmoid,
        Func::Tanh,
        Func::Exp,
        Func::Erf,
        Func::Relu,
        Func::Reciprocal,
        Func::Pow { exponent: 3.0 },
    ];
    for f in &funcs {
        for &(fi, fo, ob, lo, k) in &signed {
            v.push((
                format!("{} {fi}/{fo}/{ob} [{lo}; 2^{k}]", f.name()),
                ir(f.clone(), fi, fo, ob, lo, k),
            ));
        }
    }
    let unsigned = [(8, 12, 16, 0, 16), (0, 14, 16, 0, 14)];
    let positive = [
        Func::Rsqrt,
        Func::Sqrt,
        Func::Pow { exponent: 0.5 },
        Func::Pow { exponent: -1.5 },
        Func::RsqrtMean { n: 64, eps: 1e-5 },
        Func::RsqrtMean { n: 768, eps: 1e-6 },
    ];
    for f in &positive {
        for &(fi, fo, ob, lo, k) in &unsigned {
            v.push((
                format!("{} {fi}/{fo}/{ob} [{lo}; 2^{k}]", f.name()),
                ir(f.clone(), fi, fo, ob, lo, k),
            ));
        }
    }
    for a in [
        Activation::GeluErf,
        Activation::GeluTanh,
        Activation::Silu,
        Activation::Sigmoid,
        Activation::Exp,
        Activation::Tanh,
    ] {
        v.push((format!("{} 8/12", a.name()), act(a, 8, 12, -(1 << 15), 16)));
    }
    for a in [Activation::Reciprocal, Activation::Rsqrt] {
        v.push((format!("{} 8/12", a.name()), act(a, 8, 12, 0, 16)));
    }
    for (n, fi, fo) in [(64, 8, 14), (2048, 8, 17), (256, 10, 14), (4096, 6, 18)] {
        v.push((
            format!("softmax-exp n={n} {fi}/{fo}"),
            softmax_exp(n, fi, fo),
        ));
    }
    v.push((
        "is-zero 2^6".into(),
        LookupTable {
            lo: 0,
            log_size: 6,
            func: Some(TableFn::IsZero),
        },
    ));
    v.push(("signed-range 8".into(), LookupTable::signed_range(8)));
    v.push(("unsigned-range 12".into(), LookupTable::unsigned_range(12)));
    v
}

/// Computed once (x86-64 Linux, libm 0.2); see the module doc.
const EXPECTED: &[&str] = &[
    // Gelu 8/12/16 [-32768; 2^16]
    "9c94f963be98ba807b21ec5f295cf71cbdf1a3a8e17ec662c26861d8c6a19d04",
    // Gelu 4/14/16 [-2048; 2^12]
    "3b628fb721042f22274b69bbeb6b43ad84b020d787ec5ce4216ea6f2004ffc76",
    // GeluTanh 8/12/16 [-32768; 2^16]
    "24296245154d0cade1981c33a4bdae6396f9c7ac8ce2c7991ea4ceed3feaba71",
    // GeluTanh 4/14/16 [-2048; 2^12]
    "f064e3e4ca889c61fae8bcd80022a14b5d8028ca1d46aada30b507c2fd0ea855",
    // Silu 8/12/16 [-32768; 2^16]
    "c077c124f62bb028f3a3a69c5db5dbc0aaf311cd7fbda76b3c151ad00b32baa3",
    // Silu 4/14/16 [-2048; 2^12]
    "37e31f8a0f80ce46d464779dd31637193194c8bae164972b80813879a3185f42",
    // Sigmoid 8/12/16 [-32768; 2^16]
    "d39f1bd299ca920f9676494cccac57aaa63cb5cc651df4088647cd0ad1817e15",
    // Sigmoid 4/14/16 [-2048; 2^12]
    "97da03bb0e7408a6aee4e231d402b302c1e50918922baca848af1d026affeb47",
    // Tanh 8/12/16 [-32768; 2^16]
    "37ae0a8856b4335a03798e4c33dc5f3fa91b32f764c0c3c09816b082ccbb84ca",
    // Tanh 4/14/16 [-2048; 2^12]
    "967712c6b838bc6f1f84a2a607b9116673303948ba9fc391455ed38c4a7f2e01",
    // Exp 8/12/16 [-32768; 2^16]
    "cdb8acf9a11b3e370d921c9e8d3b41a702cf70d68446ff8413540bb00bee8510",
    // Exp 4/14/16 [-2048; 2^12]
    "1820c3f11615629a7dcc0a812791839522edeae9030b490e0882a3d7b3c06178",
    // Erf 8/12/16 [-32768; 2^16]
    "4da5bbd6b2315d798f264a16c819685fa0cbb578001bb4ff1fedeb2f95b34868",
    // Erf 4/14/16 [-2048; 2^12]
    "0aa025cb3152e3e24225207ec811a7222b2d898a25fb642b3de23027400098eb",
    // Relu 8/12/16 [-32768; 2^16]
    "37c85569d36f3d5f40b0c73833e942e7aa2c7fe65da0bbe9d566d838c0193b73",
    // Relu 4/14/16 [-2048; 2^12]
    "70013ddf105fbdc11fa16ef3e41d5fd06be82b7a5d2a305c5bbfe259c39f7683",
    // Reciprocal 8/12/16 [-32768; 2^16]
    "6bb0bf52983d3af4a1c282a3cbbf86b7017d5e45d235ffac73788a597dd66d03",
    // Reciprocal 4/14/16 [-2048; 2^12]
    "1d31b0debe2c0f926313786076573013ef71ae686bf65fe8155918da4636d80f",
    // Pow(3) 8/12/16 [-32768; 2^16]
    "0b498e8307a311789a2eeb3bca8b605e5db2f6de474daa022fafd0b779bbf62e",
    // Pow(3) 4/14/16 [-2048; 2^12]
    "ff2c3e4b6da88fe2c3f712bc81a04319ca2e1f8e040f4419beb3b6ac9ae84d50",
    // Rsqrt 8/12/16 [0; 2^16]
    "e4ec497279bf1b7174d527d0f4b9f4a9b2c98767b31e31aa227f2bf244c5af91",
    // Rsqrt 0/14/16 [0; 2^14]
    "bcb5fd59e8ccbfc0202b4b9239c65207862517e21cc6341c29eff47d7f71bc69",
    // Sqrt 8/12/16 [0; 2^16]
    "defd89a80ce6a961bfd32c1401046039bf265f35462fec442c1eac2f07f89b50",
    // Sqrt 0/14/16 [0; 2^14]
    "114af2c624b018000928e7a7a7fdbafe9fe319597d4794e6ccd9f584845dcff2",
    // Pow(0.5) 8/12/16 [0; 2^16]
    "defd89a80ce6a961bfd32c1401046039bf265f35462fec442c1eac2f07f89b50",
    // Pow(0.5) 0/14/16 [0; 2^14]
    "114af2c624b018000928e7a7a7fdbafe9fe319597d4794e6ccd9f584845dcff2",
    // Pow(-1.5) 8/12/16 [0; 2^16]
    "93bc368b3ea8b5d389e0475cd1829f8e8301a7811531cba2324ede234201c130",
    // Pow(-1.5) 0/14/16 [0; 2^14]
    "84908aead78cc46f4fcdd66275d17260f0715240a0cd08200271f82d2070755c",
    // RsqrtMean(n=64,eps=1e-5) 8/12/16 [0; 2^16]
    "3c314228a3fa16269784b0f3b31858e834c73c9994870f24003d693d9d8583be",
    // RsqrtMean(n=64,eps=1e-5) 0/14/16 [0; 2^14]
    "422c6ecc43b264da8aaa62f806db2e67f08e1bf066b8644c7d75dec572f7a72c",
    // RsqrtMean(n=768,eps=1e-6) 8/12/16 [0; 2^16]
    "27aa2353172fed09c0e4284df492c348a2174af0802b8c0fdf24cb4606766fac",
    // RsqrtMean(n=768,eps=1e-6) 0/14/16 [0; 2^14]
    "1f07c99f1a2bbf3a6cabe890854e41441df354c8f91129882fcc4cd38c357733",
    // gelu-erf 8/12
    "9c94f963be98ba807b21ec5f295cf71cbdf1a3a8e17ec662c26861d8c6a19d04",
    // gelu-tanh 8/12
    "24296245154d0cade1981c33a4bdae6396f9c7ac8ce2c7991ea4ceed3feaba71",
    // silu 8/12
    "c077c124f62bb028f3a3a69c5db5dbc0aaf311cd7fbda76b3c151ad00b32baa3",
    // sigmoid 8/12
    "d39f1bd299ca920f9676494cccac57aaa63cb5cc651df4088647cd0ad1817e15",
    // exp 8/12
    "cdb8acf9a11b3e370d921c9e8d3b41a702cf70d68446ff8413540bb00bee8510",
    // tanh 8/12
    "37ae0a8856b4335a03798e4c33dc5f3fa91b32f764c0c3c09816b082ccbb84ca",
    // reciprocal 8/12
    "33970a479fbc367779d1d199404ddf0dcd5c6bcaba16e169848ae4da7e2f4799",
    // rsqrt 8/12
    "e4ec497279bf1b7174d527d0f4b9f4a9b2c98767b31e31aa227f2bf244c5af91",
    // softmax-exp n=64 8/14
    "5c52d7a7e89411763720405dc87421d1788f1d7f75458832437deecea197284c",
    // softmax-exp n=2048 8/17
    "d9e2a58740d21f23fee9eea851528d3cc8d24e1c6ceee5df5e2e8ab7a4c072e8",
    // softmax-exp n=256 10/14
    "c924f59d9bf9463e2ccf422f9b0016cbae29f45440903d79328adfbc2091e4ef",
    // softmax-exp n=4096 6/18
    "5410aaf5249edbe8b81a4641ab8dfe166b1e77cf8faf9131add73e957f2aba18",
    // is-zero 2^6
    "8b780d16be4a577cbd83e5cf0cfa1de1478ebc42a76710ebdcb4e1e029161b6e",
    // signed-range 8
    "5d1e37d380f45cd163fc4b5644e49c77be7d776e495cb3d8e67aec6e236e5e76",
    // unsigned-range 12
    "b7e505397d4d488ca2b05e44403b2aeedf0ca846d1faadab90bc31a9031a3a9f",
];

#[test]
fn table_contents_are_pinned() {
    let tables = tables();
    let got: Vec<String> = tables.iter().map(|(_, t)| digest(t)).collect();
    let mismatches: Vec<String> = tables
        .iter()
        .zip(&got)
        .enumerate()
        .filter(|(i, (_, d))| EXPECTED.get(*i) != Some(&d.as_str()))
        .map(|(i, ((name, _), d))| format!("{i} {name}: {d}"))
        .collect();
    if !mismatches.is_empty() {
        println!("actual digests:");
        for ((name, _), d) in tables.iter().zip(&got) {
            println!("    // {name}\n    \"{d}\",");
        }
    }
    assert_eq!(EXPECTED.len(), got.len(), "one digest per table");
    assert!(mismatches.is_empty(), "tables changed: {mismatches:#?}");
}

/// A few entries by value, so a digest mismatch has a readable neighbour.
#[test]
fn a_few_table_entries() {
    assert_eq!(lookup_value(&Func::Exp, 0, 8, 12, 16), 4096);
    assert_eq!(lookup_value(&Func::Exp, -256, 8, 12, 16), 1507); // 4096/e
    assert_eq!(lookup_value(&Func::Sigmoid, 0, 8, 8, 10), 128);
    assert_eq!(lookup_value(&Func::Tanh, 256, 8, 12, 16), 3119); // tanh(1)·4096
    assert_eq!(lookup_value(&Func::Gelu, 256, 8, 12, 16), 3446); // Φ(1)·4096
    assert_eq!(softmax_exp_domain(8, 14), 2662);
}
