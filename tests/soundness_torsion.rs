//! Points outside the prime-order subgroup.
//!
//! A proof's points are decoded with an on-curve check only (the subgroup
//! check is two thirds of decoding a point, and decoding was most of loading
//! a proof); keys' points keep the full check. `wire::PointCheck` gives the
//! argument: every use of a proof point is an equation that holds only if
//! its G1 part holds, and the G1 part is the equation for the projected
//! point. These tests pin the parts of that argument: the two readers
//! decode as they say, and a torsion component on a prover message is
//! rejected by the equation it enters, whose G1 part is the honest one.

use ark_bls12_381::Fq;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField, UniformRand, Zero};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkllm::commit::Generators;
use zkllm::field::{Fr, G1Affine, G1Projective};
use zkllm::transcript::Transcript;
use zkllm::wire::{Reader, Wire};
use zkllm::zk::sigma::{product_accepts, verify_product, ProductProof};
use zkllm::zk::{Checks, Lc, Pedersen, Secret};

/// `k·p` by double-and-add over the curve's group law. (The library's
/// scalar multiplication uses the GLV endomorphism, which is `k·p` only on
/// the subgroup.)
fn mul_raw(p: G1Affine, k: &[u64]) -> G1Projective {
    let mut acc = G1Projective::zero();
    for i in (0..64 * k.len()).rev() {
        acc.double_in_place();
        if (k[i / 64] >> (i % 64)) & 1 == 1 {
            acc += p;
        }
    }
    acc
}

/// Curve points from successive x, lexicographically smaller y.
fn curve_points() -> impl Iterator<Item = G1Affine> {
    (1u64..).filter_map(|x| G1Affine::get_point_from_x_unchecked(Fq::from(x), false))
}

/// A curve point of order dividing the cofactor, and of order large enough
/// (not dividing 3·11²) that a random multiple of it is zero only with
/// negligible probability.
fn torsion_point() -> G1Affine {
    let r = Fr::MODULUS.0;
    curve_points()
        .map(|p| mul_raw(p, &r).into_affine())
        .find(|t| !t.is_zero() && !mul_raw(*t, &[363]).is_zero())
        .expect("the cofactor is not 363")
}

/// A compressed encoding whose x has no point on the curve.
fn off_curve_bytes() -> Vec<u8> {
    let x = (1u64..)
        .map(Fq::from)
        .find(|x| (*x * x * x + Fq::from(4u64)).sqrt().is_none())
        .unwrap();
    let mut bytes = x.into_bigint().to_bytes_be();
    bytes[0] |= 0x80; // the compressed flag
    bytes
}

#[test]
fn torsion_point_is_on_the_curve_and_outside_the_subgroup() {
    let t = torsion_point();
    assert!(t.is_on_curve());
    assert!(!t.is_in_correct_subgroup_assuming_on_curve());
    let p = (G1Affine::generator() + t).into_affine();
    assert!(p.is_on_curve() && !p.is_in_correct_subgroup_assuming_on_curve());
}

#[test]
fn key_readers_refuse_torsion_and_proof_readers_take_it() {
    let g = G1Affine::generator();
    let bad = (g + torsion_point()).into_affine();
    let points = vec![vec![g, bad], vec![], vec![bad, g, g]];
    let bytes = points.to_bytes();
    // Keys (and every other `from_bytes`): the full check, inline or parallel.
    assert!(G1Affine::from_bytes(&bad.to_bytes()).is_err());
    let e = Vec::<Vec<G1Affine>>::from_bytes(&bytes).unwrap_err();
    assert!(e.to_string().contains("subgroup"), "{e}");
    assert!(Reader::new(&bytes).get::<Vec<Vec<G1Affine>>>().is_err());
    // Proofs: on the curve suffices, and the two-pass parallel read gives
    // what the inline read gives.
    let inline: Vec<Vec<G1Affine>> = Reader::for_proof(&bytes).get().unwrap();
    let mut r = Reader::for_proof(&bytes);
    let parallel: Vec<Vec<G1Affine>> = r.get_parallel().unwrap();
    r.finish().unwrap();
    assert_eq!(inline, points);
    assert_eq!(parallel, points);
}

#[test]
fn off_curve_points_are_refused_by_both_readers() {
    let g = G1Affine::generator();
    let mut bytes = vec![g, g, g].to_bytes();
    let off = off_curve_bytes();
    bytes[4 + 48..4 + 96].copy_from_slice(&off);
    for parallel in [false, true] {
        for proof in [false, true] {
            let mut r = if proof {
                Reader::for_proof(&bytes)
            } else {
                Reader::new(&bytes)
            };
            let got = if parallel {
                r.get_parallel::<Vec<G1Affine>>()
            } else {
                r.get::<Vec<G1Affine>>()
            };
            let e = got.expect_err("an x with no curve point");
            assert!(e.to_string().contains("G1 point"), "{e}");
        }
    }
}

/// An honest product proof for a true statement `z = x·y`, except that the
/// prover adds `torsion` to its first message α. Transcript-consistent: the
/// challenge is drawn after absorbing the message as sent, and the
/// responses are the honest ones for that challenge.
fn product_with_torsion(
    ped: &Pedersen,
    [x, y, z]: [&Secret; 3],
    torsion: G1Affine,
    t: &mut Transcript,
    rng: &mut StdRng,
) -> (ProductProof, Fr) {
    let b: [Fr; 5] = std::array::from_fn(|_| Fr::rand(rng));
    let x_com = ped.commit(x);
    let pts = G1Projective::normalize_batch(&[
        ped.u * b[0] + ped.h * b[1] + torsion,
        ped.u * b[2] + ped.h * b[3],
        x_com * b[2] + ped.h * b[4],
    ]);
    let mut proof = ProductProof {
        alpha: pts[0],
        beta: pts[1],
        delta: pts[2],
        z: [Fr::zero(); 5],
    };
    // The verifier's absorption, as in `zk::sigma`.
    t.append_point(b"product-alpha", &proof.alpha);
    t.append_point(b"product-beta", &proof.beta);
    t.append_point(b"product-delta", &proof.delta);
    let c = t.challenge_scalar(b"product-challenge");
    proof.z = [
        b[0] + c * x.value,
        b[1] + c * x.blind,
        b[2] + c * y.value,
        b[3] + c * y.blind,
        b[4] + c * (z.blind - x.blind * y.value),
    ];
    (proof, c)
}

#[test]
fn torsion_on_a_prover_message_is_rejected_by_its_equation() {
    let ped = Pedersen::new(&Generators::new("torsion", 1));
    let mut rng = StdRng::seed_from_u64(3);
    let x = Secret::fresh(Fr::from(6u64), &mut rng);
    let y = Secret::fresh(Fr::from(7u64), &mut rng);
    let z = Secret::fresh(Fr::from(42u64), &mut rng);
    let coms = [&x, &y, &z].map(|s| ped.commit(s));
    let lcs = coms.map(|c| Lc::point(c.into_affine()));
    let verify = |proof: &ProductProof, seed: u64| {
        let mut t = Transcript::new(b"torsion-product");
        let mut checks = Checks::new();
        verify_product(
            &ped,
            [&lcs[0], &lcs[1], &lcs[2]],
            proof,
            &mut t,
            &mut checks,
        );
        checks.verify(&mut StdRng::seed_from_u64(seed))
    };

    // Honest: accepted (so the rejection below is the torsion's doing).
    let mut t = Transcript::new(b"torsion-product");
    let honest = zkllm::zk::sigma::prove_product(&ped, &x, &y, &z, &mut t, &mut rng);
    assert_eq!(verify(&honest, 1), Ok(()));

    // The statement is true and every response honest, but α carries torsion:
    // the batched check and the equation it names both refuse it, under
    // several choices of the verifier's batching weights.
    let tor = torsion_point();
    let mut t = Transcript::new(b"torsion-product");
    let (forged, c) = product_with_torsion(&ped, [&x, &y, &z], tor, &mut t, &mut rng);
    assert!(!forged.alpha.is_in_correct_subgroup_assuming_on_curve());
    let bytes = forged.to_bytes();
    let decoded: ProductProof = Reader::for_proof(&bytes).get_parallel().unwrap();
    for seed in 0..8 {
        assert_eq!(verify(&decoded, seed), Err("proof of product"));
    }

    // Its G1 part is the honest proof: with the torsion taken off α, the
    // same responses satisfy the equations for the same challenge. Torsion
    // changed nothing the soundness argument looks at.
    assert!(!product_accepts(&ped, coms, &forged, c));
    let projected = ProductProof {
        alpha: (forged.alpha.into_group() - tor).into_affine(),
        ..forged.clone()
    };
    assert!(projected.alpha.is_in_correct_subgroup_assuming_on_curve());
    assert!(product_accepts(&ped, coms, &projected, c));

    // A false statement (z = 43) gains nothing from torsion either.
    let z_false = Secret::fresh(Fr::from(43u64), &mut rng);
    let lz = Lc::point(ped.commit(&z_false).into_affine());
    let mut t = Transcript::new(b"torsion-product");
    let (forged, _) = product_with_torsion(&ped, [&x, &y, &z_false], tor, &mut t, &mut rng);
    let mut t = Transcript::new(b"torsion-product");
    let mut checks = Checks::new();
    verify_product(&ped, [&lcs[0], &lcs[1], &lz], &forged, &mut t, &mut checks);
    assert_eq!(checks.verify(&mut rng), Err("proof of product"));
}
