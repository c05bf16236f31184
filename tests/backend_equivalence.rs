//! Every backend computes exactly what the reference backend computes.
//! A new backend (CUDA, wgpu) is added to `backends()` and runs every test.

mod common;

use common::{random_point, random_small, random_table, rng, small_to_fr};
use zkllm::backend::{Backend, Cpu, Reference};
use zkllm::commit::Generators;
use zkllm::field::Fr;
use zkllm::poly::SumOfProducts;

fn backends() -> Vec<Box<dyn Backend>> {
    vec![Box::new(Cpu)]
}

/// Large enough to take the parallel paths (threshold 2^12).
const N: usize = 13;

#[test]
fn eq_fold_evaluate_inner_product() {
    let reference = Reference;
    let mut r = rng(1);
    let point = random_point(&mut r, N);
    let table = random_table(&mut r, 1 << N);
    let other = random_table(&mut r, 1 << N);
    for b in backends() {
        assert_eq!(
            b.eq_table(&point),
            reference.eq_table(&point),
            "{}",
            b.name()
        );
        assert_eq!(
            b.evaluate(&table, &point),
            reference.evaluate(&table, &point)
        );
        assert_eq!(
            b.inner_product(&table, &other),
            reference.inner_product(&table, &other)
        );
        let (mut x, mut y) = (table.clone(), table.clone());
        b.fold_low(&mut x, point[0]);
        reference.fold_low(&mut y, point[0]);
        assert_eq!(x, y);
        let (mut x, mut y) = (table.clone(), table.clone());
        b.axpy(&mut x, point[1], &other);
        reference.axpy(&mut y, point[1], &other);
        assert_eq!(x, y);
        let mut x = table.clone();
        x[7] = Fr::from(0u64);
        let mut y = x.clone();
        b.batch_inverse(&mut x);
        reference.batch_inverse(&mut y);
        assert_eq!(x, y);
    }
}

#[test]
fn fold_axis_contracts_the_middle_axis() {
    let reference = Reference;
    let mut r = rng(4);
    for (outer, mid, inner) in [
        (1, 32, 1024),
        (4, 8, 256),
        (1024, 64, 1),
        (3, 5, 7),
        (2, 16, 512),
    ] {
        let table = random_table(&mut r, outer * mid * inner);
        let w = random_table(&mut r, mid);
        for b in backends() {
            assert_eq!(
                b.fold_axis(&table, outer, mid, inner, &w),
                reference.fold_axis(&table, outer, mid, inner, &w),
                "{} {outer}x{mid}x{inner}",
                b.name()
            );
        }
    }
}

#[test]
fn round_evaluations() {
    let reference = Reference;
    let mut r = rng(2);
    let tables: Vec<Vec<Fr>> = (0..4).map(|_| random_table(&mut r, 1 << N)).collect();
    let sops = [
        SumOfProducts::product(4),
        SumOfProducts::new(
            4,
            vec![
                (Fr::from(3u64), vec![0, 1]),
                (-Fr::from(1u64), vec![2, 3, 3]),
            ],
        ),
    ];
    for b in backends() {
        for sop in &sops {
            assert_eq!(
                b.round_evals(&tables, sop),
                reference.round_evals(&tables, sop)
            );
        }
        let small: Vec<Vec<Fr>> = tables.iter().map(|t| t[..4].to_vec()).collect();
        assert_eq!(
            b.round_evals(&small, &sops[0]),
            reference.round_evals(&small, &sops[0])
        );
    }
}

#[test]
fn msm_full_and_small_scalars() {
    let reference = Reference;
    let gens = Generators::new("equivalence", 13);
    let mut r = rng(3);
    let full = random_table(&mut r, 1 << 13);
    for b in backends() {
        assert_eq!(
            b.msm(&gens.g, &full[..300]),
            reference.msm(&gens.g, &full[..300])
        );
        for bits in [1u32, 8, 16, 24, 33, 62] {
            let small = random_small(&mut r, 1 << 13, bits);
            let expected = reference.msm(&gens.g, &small_to_fr(&small));
            assert_eq!(b.msm_small(&gens.g, &small), expected, "{} bits", bits);
            assert_eq!(
                b.msm_rows_small(&gens.g, &small, 1 << 6),
                reference.msm_rows(&gens.g, &small_to_fr(&small), 1 << 6)
            );
        }
        let extremes = vec![i64::MAX, i64::MIN + 1, -1, 0, 1];
        assert_eq!(
            b.msm_small(&gens.g, &extremes),
            reference.msm(&gens.g, &small_to_fr(&extremes))
        );
        assert_eq!(
            b.msm_small(&gens.g, &[0; 5]),
            reference.msm(&gens.g, &[Fr::from(0u64); 5])
        );
        assert_eq!(
            b.msm_rows(&gens.g, &full[..1 << 10], 1 << 5),
            reference.msm_rows(&gens.g, &full[..1 << 10], 1 << 5)
        );
    }
}
