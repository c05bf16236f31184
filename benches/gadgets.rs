//! Gadget benchmarks: matmul, tlookup, rescale, and the same gadgets in
//! zero-knowledge mode beside the clear ones (`zk/…`: prove and verify time,
//! proof bytes printed once). `cargo bench --bench gadgets` (`-- zk` for the
//! comparison alone).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zkllm::backend::default_backend;
use zkllm::field::{from_i64, Fr};
use zkllm::protocols::lookup::{self, LookupWitness};
use zkllm::protocols::matmul::{self, MatMulShape};
use zkllm::protocols::rescale;
use zkllm::protocols::tables::LookupTable;
use zkllm::sumcheck::EvaluationClaim;
use zkllm::transcript::Transcript;

fn small(rng: &mut ChaCha20Rng, len: usize, bits: u32) -> Vec<i64> {
    let half = 1i64 << (bits - 1);
    (0..len)
        .map(|_| (rng.next_u64() % (2 * half as u64)) as i64 - half)
        .collect()
}

fn to_fr(v: &[i64]) -> Vec<Fr> {
    v.iter().map(|&x| from_i64(x)).collect()
}

fn matmul_bench(c: &mut Criterion) {
    let be = default_backend();
    let mut group = c.benchmark_group("matmul");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    let mut r = ChaCha20Rng::seed_from_u64(1);
    // 768 and 3072 pad to 1024 and 4096.
    let b = to_fr(&small(&mut r, 1024 * 4096, 16));
    for m in [32usize, 128] {
        let a = to_fr(&small(&mut r, m * 1024, 16));
        let shape = MatMulShape {
            log_b: 0,
            log_m: m.trailing_zeros() as usize,
            log_k: 10,
            log_n: 12,
        };
        let point: Vec<Fr> = (0..shape.c_vars())
            .map(|i| Fr::from(i as u64 + 7))
            .collect();
        // C̃(u_j, u_i) = ⟨Ã(u_i, ·), B̃(·, u_j)⟩: the true claim, without forming C.
        let (u_j, u_i) = point.split_at(shape.log_n);
        let a_row = be.fold_axis(&a, 1, m, 1024, &be.eq_table(u_i));
        let b_col = be.fold_axis(&b, 1024, 4096, 1, &be.eq_table(u_j));
        let claim = EvaluationClaim {
            value: be.inner_product(&a_row, &b_col),
            point: point.clone(),
        };
        group.bench_function(format!("prove {m}x768 · 768x3072"), |bench| {
            bench.iter(|| {
                let mut t = Transcript::new(b"bench");
                matmul::prove(be, &shape, &a, &b, &claim, &mut t)
            })
        });
        let mut t = Transcript::new(b"bench");
        let (proof, _) = matmul::prove(be, &shape, &a, &b, &claim, &mut t);
        group.bench_function(format!("verify {m}x768 · 768x3072"), |bench| {
            bench.iter(|| {
                let mut t = Transcript::new(b"bench");
                matmul::verify(&shape, &claim, &proof, &mut t).unwrap()
            })
        });
    }
    group.finish();
}

fn lookup_bench(c: &mut Criterion) {
    let be = default_backend();
    let mut group = c.benchmark_group("lookup");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    let mut r = ChaCha20Rng::seed_from_u64(2);
    let table = LookupTable::signed_range(16);
    let x = small(&mut r, 1 << 20, 16);
    let m: Vec<Fr> = to_fr(&lookup::multiplicities(&table, &[(&x, None)]).unwrap());
    let xf = to_fr(&x);
    group.bench_function("prove 2^20 lookups into a 2^16 table", |bench| {
        bench.iter(|| {
            let mut t = Transcript::new(b"bench");
            let w = [LookupWitness {
                len: x.len(),
                x: &xf,
                y: None,
            }];
            lookup::prove(be, &table, &w, &m, &mut t)
        })
    });
    group.bench_function("multiplicities of 2^20 values", |bench| {
        bench.iter(|| lookup::multiplicities(&table, &[(&x, None)]).unwrap())
    });
    // Rescale by 2^8 of 2^20 accumulated 24-bit values: the quotient and
    // remainder witness plus the range lookups on both.
    let acc = small(&mut r, 1 << 20, 23);
    let shift = 8;
    let rem_table = LookupTable::signed_range(shift);
    group.bench_function(
        "rescale 2^20 elements (witness + both range lookups)",
        |bench| {
            bench.iter(|| {
                let (q, rem): (Vec<i64>, Vec<i64>) =
                    acc.iter().map(|&v| rescale::rescale(v, shift)).unzip();
                let mq = to_fr(&lookup::multiplicities(&table, &[(&q, None)]).unwrap());
                let mr = to_fr(&lookup::multiplicities(&rem_table, &[(&rem, None)]).unwrap());
                let (qf, rf) = (to_fr(&q), to_fr(&rem));
                let mut t = Transcript::new(b"bench");
                let wq = [LookupWitness {
                    len: q.len(),
                    x: &qf,
                    y: None,
                }];
                let wr = [LookupWitness {
                    len: rem.len(),
                    x: &rf,
                    y: None,
                }];
                let a = lookup::prove(be, &table, &wq, &mq, &mut t);
                let b = lookup::prove(be, &rem_table, &wr, &mr, &mut t);
                (a, b)
            })
        },
    );
    group.finish();
}

/// Clear against hidden, same gadget and data: a matmul (32×768 · 768×3072)
/// and a 2^16-value range lookup into a 2^16-entry table. The hidden
/// verifier's time includes settling its context (the zero proof and the
/// batched group check).
fn zk_bench(c: &mut Criterion) {
    use zkllm::commit::Generators;
    use zkllm::wire::Wire;
    use zkllm::zk::{Clear, Hidden, Mode, Pedersen, ProverCtx, VerifierCtx};
    let be = default_backend();
    let ped = Pedersen::new(&Generators::new("bench-zk", 1));
    let mut group = c.benchmark_group("zk");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    let mut r = ChaCha20Rng::seed_from_u64(3);
    let (m, k, n) = (32usize, 1024usize, 4096usize);
    let a = to_fr(&small(&mut r, m * k, 16));
    let b = to_fr(&small(&mut r, k * n, 16));
    let shape = MatMulShape {
        log_b: 0,
        log_m: 5,
        log_k: 10,
        log_n: 12,
    };
    let point: Vec<Fr> = (0..shape.c_vars())
        .map(|i| Fr::from(i as u64 + 3))
        .collect();
    let (u_j, u_i) = point.split_at(shape.log_n);
    let value = be.inner_product(
        &be.fold_axis(&a, 1, m, k, &be.eq_table(u_i)),
        &be.fold_axis(&b, k, n, 1, &be.eq_table(u_j)),
    );
    fn claim<M: Mode>(ctx: &mut ProverCtx, point: &[Fr], v: Fr) -> EvaluationClaim<M::Known> {
        EvaluationClaim {
            point: point.to_vec(),
            value: M::fresh(ctx, v),
        }
    }
    macro_rules! matmul_mode {
        ($mode:ty, $name:literal) => {{
            let prove = || {
                let mut ctx = ProverCtx::new(ped, &mut ChaCha20Rng::seed_from_u64(9));
                let c = claim::<$mode>(&mut ctx, &point, value);
                let mut t = Transcript::new(b"bench");
                let (p, _) = matmul::prove_in::<$mode>(&mut ctx, be, &shape, &a, &b, &c, &mut t);
                let zero = ctx.finish(&mut t);
                (
                    p,
                    zero,
                    <$mode>::value(
                        &ProverCtx::new(ped, &mut ChaCha20Rng::seed_from_u64(1)),
                        &c.value,
                    ),
                )
            };
            let (p, zero, cv) = prove();
            let bytes = p.to_bytes().len() + zero.as_ref().map_or(0, |z| z.to_bytes().len());
            println!("zk/matmul {}: proof {} bytes", $name, bytes);
            group.bench_function(format!("matmul prove {}", $name), |bench| bench.iter(prove));
            let c = EvaluationClaim {
                point: point.clone(),
                value: cv,
            };
            group.bench_function(format!("matmul verify {}", $name), |bench| {
                bench.iter(|| {
                    let mut ctx = VerifierCtx::new(ped);
                    let mut t = Transcript::new(b"bench");
                    matmul::verify_in::<$mode>(&mut ctx, &shape, &c, &p, &mut t).unwrap();
                    ctx.finish(zero.as_ref(), &mut t, &mut ChaCha20Rng::seed_from_u64(2))
                        .unwrap()
                })
            });
        }};
    }
    matmul_mode!(Clear, "clear");
    matmul_mode!(Hidden, "hidden");

    let table = LookupTable::signed_range(16);
    let x = small(&mut r, 1 << 16, 16);
    let xf = to_fr(&x);
    let mult: Vec<Fr> = to_fr(&lookup::multiplicities(&table, &[(&x, None)]).unwrap());
    let shapes = [lookup::LookupShape {
        num_vars: 16,
        len: 1 << 16,
    }];
    macro_rules! lookup_mode {
        ($mode:ty, $name:literal) => {{
            let prove = || {
                let mut ctx = ProverCtx::new(ped, &mut ChaCha20Rng::seed_from_u64(9));
                let mut t = Transcript::new(b"bench");
                let w = [LookupWitness {
                    len: 1 << 16,
                    x: &xf,
                    y: None,
                }];
                let batch = [lookup::TableLookups {
                    table: &table,
                    inputs: w.to_vec(),
                    m: &mult,
                }];
                let (p, _) = lookup::prove_in::<$mode>(&mut ctx, be, &batch, &mut t);
                let zero = ctx.finish(&mut t);
                (p, zero)
            };
            let (p, zero) = prove();
            let bytes = p.to_bytes().len() + zero.as_ref().map_or(0, |z| z.to_bytes().len());
            println!("zk/lookup {}: proof {} bytes", $name, bytes);
            group.bench_function(format!("lookup prove {}", $name), |bench| bench.iter(prove));
            group.bench_function(format!("lookup verify {}", $name), |bench| {
                bench.iter(|| {
                    let mut ctx = VerifierCtx::new(ped);
                    let mut t = Transcript::new(b"bench");
                    lookup::verify_in::<$mode>(&mut ctx, &[(&table, &shapes[..])], &p, &mut t)
                        .unwrap();
                    ctx.finish(zero.as_ref(), &mut t, &mut ChaCha20Rng::seed_from_u64(2))
                        .unwrap()
                })
            });
        }};
    }
    lookup_mode!(Clear, "clear");
    lookup_mode!(Hidden, "hidden");
    group.finish();
}

criterion_group!(benches, matmul_bench, lookup_bench, zk_bench);
criterion_main!(benches);
