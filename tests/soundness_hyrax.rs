//! Every tampering with a Hyrax opening is rejected.

mod common;

use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::One;
use common::{random_point, random_table, rng, transcript};
use zkllm::backend::default_backend;
use zkllm::commit::hyrax::evaluate_padded;
use zkllm::commit::{Hyrax, HyraxCommitment, HyraxHint, HyraxOpening, PcsError};
use zkllm::field::Fr;
use zkllm::wire::Wire;

struct Opened {
    pcs: Hyrax,
    table: Vec<Fr>,
    com: HyraxCommitment,
    hint: HyraxHint,
    point: Vec<Fr>,
    value: Fr,
    proof: HyraxOpening,
}

const N: usize = 7;

fn opened() -> Opened {
    let pcs = Hyrax::setup("zkllm-tests", 10);
    let b = default_backend();
    let mut r = rng(21);
    let table = random_table(&mut r, 1 << N);
    let (com, hint) = pcs.commit(b, &table, N, &mut r).unwrap();
    let point = random_point(&mut r, N);
    let (value, proof) = pcs
        .open(
            b,
            &table,
            &hint,
            &com,
            &point,
            &mut transcript(b"ctx"),
            &mut r,
        )
        .unwrap();
    Opened {
        pcs,
        table,
        com,
        hint,
        point,
        value,
        proof,
    }
}

fn check(
    o: &Opened,
    com: &HyraxCommitment,
    point: &[Fr],
    value: Fr,
    proof: &HyraxOpening,
    ctx: &[u8],
) -> Result<(), PcsError> {
    o.pcs.verify(
        default_backend(),
        com,
        point,
        value,
        proof,
        &mut transcript(ctx),
    )
}

#[test]
fn honest_opening_is_accepted() {
    let o = opened();
    check(&o, &o.com, &o.point, o.value, &o.proof, b"ctx").unwrap();
}

#[test]
fn wrong_value_is_rejected() {
    let o = opened();
    assert!(check(&o, &o.com, &o.point, o.value + Fr::one(), &o.proof, b"ctx").is_err());
}

#[test]
fn wrong_point_is_rejected() {
    let o = opened();
    let mut point = o.point.clone();
    point[0] += Fr::one();
    assert!(check(&o, &o.com, &point, o.value, &o.proof, b"ctx").is_err());
    let mut point = o.point.clone();
    point[N - 1] += Fr::one();
    assert!(check(&o, &o.com, &point, o.value, &o.proof, b"ctx").is_err());
}

#[test]
fn commitment_to_a_different_vector_is_rejected() {
    let o = opened();
    let mut other = o.table.clone();
    other[3] += Fr::one();
    let (com, _) = o
        .pcs
        .commit(default_backend(), &other, N, &mut rng(99))
        .unwrap();
    assert!(check(&o, &com, &o.point, o.value, &o.proof, b"ctx").is_err());
    // A prover who opens the other vector honestly still cannot claim the old value.
    let mut swapped = o.com.clone();
    swapped.rows.swap(0, 1);
    assert!(check(&o, &swapped, &o.point, o.value, &o.proof, b"ctx").is_err());
}

#[test]
fn a_lying_prover_cannot_open_to_a_wrong_value() {
    // Open with a wrong table behind an honest commitment.
    let o = opened();
    let b = default_backend();
    let mut wrong = o.table.clone();
    wrong[10] += Fr::one();
    let value = evaluate_padded(b, &wrong, &o.point).unwrap();
    let (_, proof) = o
        .pcs
        .open(
            b,
            &wrong,
            &o.hint,
            &o.com,
            &o.point,
            &mut transcript(b"ctx"),
            &mut rng(5),
        )
        .unwrap();
    assert!(check(&o, &o.com, &o.point, value, &proof, b"ctx").is_err());
}

#[test]
fn every_changed_proof_element_is_rejected() {
    let o = opened();
    let g = zkllm::G1Affine::generator();
    for i in 0..o.proof.ipa.l.len() {
        let mut p = o.proof.clone();
        p.ipa.l[i] = (p.ipa.l[i] + g).into_affine();
        assert!(
            check(&o, &o.com, &o.point, o.value, &p, b"ctx").is_err(),
            "L[{i}]"
        );
        let mut p = o.proof.clone();
        p.ipa.r[i] = (p.ipa.r[i] + g).into_affine();
        assert!(
            check(&o, &o.com, &o.point, o.value, &p, b"ctx").is_err(),
            "R[{i}]"
        );
        let mut p = o.proof.clone();
        p.ipa.l.swap(i, (i + 1) % o.proof.ipa.l.len());
        if o.proof.ipa.l.len() > 1 {
            assert!(
                check(&o, &o.com, &o.point, o.value, &p, b"ctx").is_err(),
                "swap L"
            );
        }
    }
    let mut p = o.proof.clone();
    p.ipa.a = (p.ipa.a + g).into_affine();
    assert!(check(&o, &o.com, &o.point, o.value, &p, b"ctx").is_err());
    let mut p = o.proof.clone();
    p.ipa.z1 += Fr::one();
    assert!(check(&o, &o.com, &o.point, o.value, &p, b"ctx").is_err());
    let mut p = o.proof.clone();
    p.ipa.z2 += Fr::one();
    assert!(check(&o, &o.com, &o.point, o.value, &p, b"ctx").is_err());
    let mut p = o.proof.clone();
    p.ipa.l.pop();
    p.ipa.r.pop();
    assert!(matches!(
        check(&o, &o.com, &o.point, o.value, &p, b"ctx"),
        Err(PcsError::WrongRoundCount { .. })
    ));
}

#[test]
fn replay_under_another_context_is_rejected() {
    let o = opened();
    assert!(check(
        &o,
        &o.com,
        &o.point,
        o.value,
        &o.proof,
        b"another statement"
    )
    .is_err());
}

#[test]
fn batch_with_one_wrong_value_is_rejected() {
    let pcs = Hyrax::setup("zkllm-tests", 10);
    let b = default_backend();
    let mut r = rng(31);
    let tables: Vec<Vec<Fr>> = (0..3).map(|_| random_table(&mut r, 1 << 6)).collect();
    let committed: Vec<_> = tables
        .iter()
        .map(|t| pcs.commit(b, t, 6, &mut r).unwrap())
        .collect();
    let point = random_point(&mut r, 6);
    let mut values: Vec<Fr> = tables
        .iter()
        .map(|t| evaluate_padded(b, t, &point).unwrap())
        .collect();
    let refs: Vec<&[Fr]> = tables.iter().map(|t| t.as_slice()).collect();
    let hints: Vec<_> = committed.iter().map(|c| &c.1).collect();
    let coms: Vec<_> = committed.iter().map(|c| &c.0).collect();
    let proof = pcs
        .open_batch(
            b,
            &refs,
            &hints,
            &coms,
            &point,
            &values,
            &mut transcript(b"c"),
            &mut r,
        )
        .unwrap();
    pcs.verify_batch(b, &coms, &point, &values, &proof, &mut transcript(b"c"))
        .unwrap();
    values[1] += Fr::one();
    assert!(pcs
        .verify_batch(b, &coms, &point, &values, &proof, &mut transcript(b"c"))
        .is_err());
    // Reordering the commitments is a different statement.
    values[1] -= Fr::one();
    let swapped = vec![coms[1], coms[0], coms[2]];
    let vals = vec![values[1], values[0], values[2]];
    assert!(pcs
        .verify_batch(b, &swapped, &point, &vals, &proof, &mut transcript(b"c"))
        .is_err());
}

#[test]
fn shape_mismatches_are_errors() {
    let o = opened();
    assert!(matches!(
        check(&o, &o.com, &o.point[1..], o.value, &o.proof, b"ctx"),
        Err(PcsError::WrongPointDimension { .. })
    ));
    let mut com = o.com.clone();
    com.rows.pop();
    assert!(matches!(
        check(&o, &com, &o.point, o.value, &o.proof, b"ctx"),
        Err(PcsError::WrongRowCount { .. })
    ));
    let small = Hyrax::setup("zkllm-tests", 2);
    assert!(matches!(
        small.verify(
            default_backend(),
            &o.com,
            &o.point,
            o.value,
            &o.proof,
            &mut transcript(b"ctx")
        ),
        Err(PcsError::NotEnoughGenerators { .. })
    ));
}

#[test]
fn generators_from_another_seed_reject() {
    let o = opened();
    let other = Hyrax::setup("another-seed", 10);
    assert!(other
        .verify(
            default_backend(),
            &o.com,
            &o.point,
            o.value,
            &o.proof,
            &mut transcript(b"ctx")
        )
        .is_err());
}

#[test]
fn malformed_bytes_are_errors_not_panics() {
    let o = opened();
    let bytes = o.proof.to_bytes();
    for cut in 0..bytes.len() {
        assert!(
            HyraxOpening::from_bytes(&bytes[..cut]).is_err(),
            "opening cut at {cut}"
        );
    }
    let bytes = o.com.to_bytes();
    for cut in 0..bytes.len() {
        assert!(
            HyraxCommitment::from_bytes(&bytes[..cut]).is_err(),
            "commitment cut at {cut}"
        );
    }
    let bytes = o.proof.to_bytes();
    for i in (0..bytes.len()).step_by(5) {
        let mut b = bytes.clone();
        b[i] ^= 0x21;
        if let Ok(p) = HyraxOpening::from_bytes(&b) {
            assert!(
                check(&o, &o.com, &o.point, o.value, &p, b"ctx").is_err(),
                "flip at {i} accepted"
            );
        }
    }
    let bytes = o.com.to_bytes();
    for i in (0..bytes.len()).step_by(3) {
        let mut b = bytes.clone();
        b[i] ^= 0x21;
        if let Ok(c) = HyraxCommitment::from_bytes(&b) {
            assert!(
                check(&o, &c, &o.point, o.value, &o.proof, b"ctx").is_err(),
                "flip at {i} accepted"
            );
        }
    }
}

#[test]
fn rows_are_as_wide_as_the_generators_and_no_other_layout_verifies() {
    let o = opened();
    // Generators for 10-variable tables have 2^5 columns: a 7-variable table
    // is 4 rows of 32, not its square 8 × 16.
    assert_eq!((o.com.col_vars, o.com.rows.len()), (5, 4));
    check(&o, &o.com, &o.point, o.value, &o.proof, b"ctx").unwrap();

    // The same table committed under narrower generators of the same seed
    // (rows of 2^3): a valid commitment, but not in this key's layout.
    let narrow = Hyrax::setup("zkllm-tests", 6);
    let mut r = rng(5);
    let (other, _) = narrow
        .commit(default_backend(), &o.table, N, &mut r)
        .unwrap();
    assert_eq!((other.col_vars, other.rows.len()), (3, 16));
    assert!(matches!(
        check(&o, &other, &o.point, o.value, &o.proof, b"ctx"),
        Err(PcsError::WrongLayout {
            expected: 5,
            found: 3,
            ..
        })
    ));

    // A commitment relabelled to another row width (rows resized to match).
    let mut relabelled = o.com.clone();
    relabelled.col_vars = 4;
    relabelled.rows.extend(o.com.rows.clone());
    assert!(matches!(
        check(&o, &relabelled, &o.point, o.value, &o.proof, b"ctx"),
        Err(PcsError::WrongLayout { .. })
    ));

    // On the wire, more column variables than variables is malformed.
    let mut bytes = o.com.to_bytes();
    bytes[1] = (N + 1) as u8;
    assert!(HyraxCommitment::from_bytes(&bytes).is_err());
}
