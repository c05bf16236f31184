//! Proof-system core kernels: MSM (small vs full scalars), Hyrax commit and
//! open, and sumcheck. `cargo bench --bench core`; figures in BENCHMARKS.md.

use std::time::Duration;

use ark_ff::UniformRand;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zkllm::backend::default_backend;
use zkllm::commit::{Generators, Hyrax};
use zkllm::field::{from_i64, Fr};
use zkllm::poly::SumOfProducts;
use zkllm::sumcheck;
use zkllm::transcript::Transcript;

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(42)
}

fn small_values(rng: &mut ChaCha20Rng, len: usize, bits: u32) -> Vec<i64> {
    let half = 1i64 << (bits - 1);
    (0..len)
        .map(|_| (rng.next_u64() % (2 * half as u64)) as i64 - half)
        .collect()
}

fn msm(c: &mut Criterion) {
    let backend = default_backend();
    let mut group = c.benchmark_group("msm");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    let mut r = rng();
    for log in [16usize, 20] {
        let n = 1usize << log;
        let gens = Generators::new("bench", log);
        let small = small_values(&mut r, n, 16);
        let full: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut r)).collect();
        let small_fr: Vec<Fr> = small.iter().map(|&v| from_i64(v)).collect();
        group.bench_with_input(
            BenchmarkId::new("16-bit small-scalar path", log),
            &log,
            |b, _| b.iter(|| backend.msm_small(&gens.g, &small)),
        );
        group.bench_with_input(
            BenchmarkId::new("16-bit via generic msm", log),
            &log,
            |b, _| b.iter(|| backend.msm(&gens.g, &small_fr)),
        );
        group.bench_with_input(
            BenchmarkId::new("full 255-bit scalars", log),
            &log,
            |b, _| b.iter(|| backend.msm(&gens.g, &full)),
        );
    }
    group.finish();
}

fn hyrax(c: &mut Criterion) {
    let backend = default_backend();
    let mut group = c.benchmark_group("hyrax");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    let log = 20;
    let pcs = Hyrax::setup("bench", log);
    let mut r = rng();
    let values = small_values(&mut r, 1 << log, 16);
    let table: Vec<Fr> = values.iter().map(|&v| from_i64(v)).collect();
    group.bench_function("commit 2^20 16-bit entries", |b| {
        b.iter(|| pcs.commit_small(backend, &values, log, &mut r).unwrap())
    });
    let (com, hint) = pcs.commit_small(backend, &values, log, &mut r).unwrap();
    let point: Vec<Fr> = (0..log).map(|_| Fr::rand(&mut r)).collect();
    group.bench_function("open 2^20 at one point", |b| {
        b.iter(|| {
            let mut t = Transcript::new(b"bench");
            pcs.open(backend, &table, &hint, &com, &point, &mut t, &mut r)
                .unwrap()
        })
    });
    let mut t = Transcript::new(b"bench");
    let (value, proof) = pcs
        .open(backend, &table, &hint, &com, &point, &mut t, &mut r)
        .unwrap();
    group.bench_function("verify opening 2^20", |b| {
        b.iter(|| {
            let mut t = Transcript::new(b"bench");
            pcs.verify(backend, &com, &point, value, &proof, &mut t)
                .unwrap()
        })
    });
    group.finish();
}

fn sumcheck_bench(c: &mut Criterion) {
    let backend = default_backend();
    let mut group = c.benchmark_group("sumcheck");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    let mut r = rng();
    for log in [20usize, 22] {
        let point: Vec<Fr> = (0..log).map(|_| Fr::rand(&mut r)).collect();
        let f: Vec<Fr> = (0..1 << log).map(|_| Fr::rand(&mut r)).collect();
        let g: Vec<Fr> = (0..1 << log).map(|_| Fr::rand(&mut r)).collect();
        let eq = backend.eq_table(&point);
        // Σ eq(r,x)·f(x)·g(x): the Hadamard-product shape (degree 3).
        let sop = SumOfProducts::product(3);
        let claimed: Fr = eq
            .iter()
            .zip(&f)
            .zip(&g)
            .map(|((e, a), b)| *e * a * b)
            .sum();
        group.bench_with_input(BenchmarkId::new("prove eq·f·g", log), &log, |b, _| {
            b.iter(|| {
                let mut t = Transcript::new(b"bench");
                sumcheck::prove(
                    backend,
                    vec![eq.clone(), f.clone(), g.clone()],
                    &sop,
                    claimed,
                    &mut t,
                )
            })
        });
        // Σ f(x)·g(x): the matmul / inner-product shape (degree 2).
        let sop2 = SumOfProducts::product(2);
        let claimed2 = backend.inner_product(&f, &g);
        group.bench_with_input(BenchmarkId::new("prove f·g", log), &log, |b, _| {
            b.iter(|| {
                let mut t = Transcript::new(b"bench");
                sumcheck::prove(backend, vec![f.clone(), g.clone()], &sop2, claimed2, &mut t)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, msm, hyrax, sumcheck_bench);
criterion_main!(benches);
