//! Every tampering with a Hyrax opening is rejected.

mod common;

use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{One, Zero};
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
    // More rows than the table has is a shape error; fewer is a table
    // whose left-out rows are zero, which this one's last row is not.
    let mut com = o.com.clone();
    com.rows.push(com.rows[0]);
    assert!(matches!(
        check(&o, &com, &o.point, o.value, &o.proof, b"ctx"),
        Err(PcsError::WrongRowCount { .. })
    ));
    let mut com = o.com.clone();
    com.rows.pop();
    assert!(matches!(
        check(&o, &com, &o.point, o.value, &o.proof, b"ctx"),
        Err(PcsError::OpeningRejected)
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
    // Byte flips: a compressed point with a flipped byte is almost never
    // still in the subgroup, so of these only flips in the two scalars (the
    // last 64 bytes) parse; each of those must reach the verifier and be
    // rejected there.
    let bytes = o.proof.to_bytes();
    let scalars = bytes.len() - 64;
    let (mut tried, mut parsed, mut in_scalars) = (0, 0, 0);
    for i in (0..bytes.len()).step_by(5) {
        tried += 1;
        in_scalars += usize::from(i >= scalars);
        let mut b = bytes.clone();
        b[i] ^= 0x21;
        if let Ok(p) = HyraxOpening::from_bytes(&b) {
            parsed += 1;
            assert!(
                check(&o, &o.com, &o.point, o.value, &p, b"ctx").is_err(),
                "flip at {i} accepted"
            );
        }
    }
    println!("{parsed} of {tried} flipped openings parsed ({in_scalars} flips in the scalars)");
    // All but (at most) the scalars' top bytes, where a flip can pass the modulus.
    assert!(
        parsed + 2 >= in_scalars && in_scalars >= 10,
        "{parsed} of {tried} flipped openings parsed, {in_scalars} flips in the scalars"
    );
    // Points' sign bits: negating any point of the opening keeps it a valid
    // encoding, so every one parses and must be rejected by the verifier.
    let k = o.proof.ipa.l.len();
    let points: Vec<(usize, zkllm::G1Affine)> = (0..k)
        .map(|i| (4 + 48 * i, o.proof.ipa.l[i]))
        .chain((0..k).map(|i| (8 + 48 * (k + i), o.proof.ipa.r[i])))
        .chain([(8 + 96 * k, o.proof.ipa.a)])
        .collect();
    let rejected = points
        .iter()
        .map(|&(at, p)| {
            assert_eq!(bytes[at..at + 48], p.to_bytes()[..], "point at {at}");
            let mut b = bytes.clone();
            b[at] ^= SIGN;
            let q = HyraxOpening::from_bytes(&b).expect("a negated point parses");
            assert!(
                check(&o, &o.com, &o.point, o.value, &q, b"ctx").is_err(),
                "negated point at {at} accepted"
            );
        })
        .count();
    assert_eq!(rejected, 2 * k + 1);

    // The commitment: its rows are points, so byte flips parse only where
    // they land on a sign bit; negating each row parses and is rejected.
    let bytes = o.com.to_bytes();
    let (mut tried, mut parsed) = (0, 0);
    for i in (0..bytes.len()).step_by(3) {
        tried += 1;
        let mut b = bytes.clone();
        b[i] ^= 0x21;
        if let Ok(c) = HyraxCommitment::from_bytes(&b) {
            parsed += 1;
            assert!(
                check(&o, &c, &o.point, o.value, &o.proof, b"ctx").is_err(),
                "flip at {i} accepted"
            );
        }
    }
    println!("{parsed} of {tried} flipped commitments parsed");
    let mut negated = 0;
    for (r, row) in o.com.rows.iter().enumerate() {
        let at = 6 + 48 * r;
        assert_eq!(bytes[at..at + 48], row.to_bytes()[..], "row {r}");
        let mut b = bytes.clone();
        b[at] ^= SIGN;
        let c = HyraxCommitment::from_bytes(&b).expect("a negated row parses");
        assert_eq!(c.rows[r], -*row);
        assert!(
            check(&o, &c, &o.point, o.value, &o.proof, b"ctx").is_err(),
            "negated row {r} accepted"
        );
        negated += 1;
    }
    assert_eq!(negated, o.com.rows.len());
}

/// The sign flag of a compressed BLS12-381 point (top bits of its first byte).
const SIGN: u8 = 0x20;

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

    // A commitment relabelled to a row width of neither layout (rows
    // resized to match): not the widest (2^5) nor the square shape (2^4).
    let mut relabelled = o.com.clone();
    relabelled.col_vars = 3;
    for _ in 0..3 {
        relabelled.rows.extend(o.com.rows.clone());
    }
    assert!(matches!(
        check(&o, &relabelled, &o.point, o.value, &o.proof, b"ctx"),
        Err(PcsError::WrongLayout { .. })
    ));
    // Relabelled to the square shape: a layout these generators allow, so
    // the commitment is checked as one, and the opening (of the widest
    // rows) does not fit it.
    let mut square = o.com.clone();
    square.col_vars = 4;
    square.rows.extend(o.com.rows.clone());
    assert!(matches!(
        check(&o, &square, &o.point, o.value, &o.proof, b"ctx"),
        Err(PcsError::WrongRoundCount {
            expected: 4,
            found: 5
        })
    ));

    // On the wire, more column variables than variables is malformed.
    let mut bytes = o.com.to_bytes();
    bytes[1] = (N + 1) as u8;
    assert!(HyraxCommitment::from_bytes(&bytes).is_err());
}

/// `Σ_j row[j]·G_j` for every row of `table` (zero-padded to `2^num_vars`):
/// the commitment the generators exposed by `pcs` give with every blind zero,
/// computed here by hand.
fn zero_blind_rows(pcs: &Hyrax, table: &[Fr], num_vars: usize) -> Vec<zkllm::G1Affine> {
    let cols = 1usize << pcs.col_vars(num_vars);
    let g = &pcs.generators().g[..cols];
    let mut padded = table.to_vec();
    padded.resize(1 << num_vars, Fr::zero());
    padded
        .chunks(cols)
        .map(|row| {
            row.iter()
                .zip(g)
                .map(|(v, gj)| *gj * v)
                .sum::<zkllm::G1Projective>()
                .into_affine()
        })
        .collect()
}

/// Hiding: the same table committed twice with fresh randomness gives
/// commitments with no row in common (and different blinds).
#[test]
fn recommitting_the_same_table_gives_unrelated_rows() {
    let pcs = Hyrax::setup("zkllm-tests", 10);
    let b = default_backend();
    let table = random_table(&mut rng(40), 1 << N);
    let (c1, h1) = pcs.commit(b, &table, N, &mut rng(41)).unwrap();
    let (c2, h2) = pcs.commit(b, &table, N, &mut rng(42)).unwrap();
    assert_eq!(c1.rows.len(), 4);
    assert_eq!((c1.num_vars, c1.col_vars), (c2.num_vars, c2.col_vars));
    for (r, (x, y)) in c1.rows.iter().zip(&c2.rows).enumerate() {
        assert_ne!(x, y, "row {r} is the same in both commitments");
        assert_ne!(h1.blinds[r], h2.blinds[r], "row {r}: the same blind twice");
    }
    // Small-integer tables (the fast path) likewise.
    let small: Vec<i64> = (0..1 << N).map(|i| (i % 17) - 8).collect();
    let (s1, _) = pcs.commit_small(b, &small, N, &mut rng(43)).unwrap();
    let (s2, _) = pcs.commit_small(b, &small, N, &mut rng(44)).unwrap();
    for (r, (x, y)) in s1.rows.iter().zip(&s2.rows).enumerate() {
        assert_ne!(x, y, "small table: row {r} is the same in both commitments");
    }
}

/// Hiding: with every blind zero, a row's commitment is the plain MSM
/// `Σ_j M[r][j]·G_j`, a deterministic function of the row, so equal rows
/// (and all-zero padding rows, which commit to the identity) would show. The
/// honest commitment is that MSM plus `ρ_r·H` with `ρ_r ≠ 0` in every row, so
/// it differs from the zero-blind commitment of the same table in every row,
/// and equal rows get unrelated commitments.
#[test]
fn honest_blinds_are_nonzero_and_hide_equal_rows() {
    let pcs = Hyrax::setup("zkllm-tests", 10);
    let b = default_backend();
    let h = pcs.generators().h;
    // 4 rows of 32: rows 0 and 1 equal, row 2 random, row 3 zero padding
    // (the table is 96 entries long).
    let mut r = rng(50);
    let row = random_table(&mut r, 32);
    let mut table = row.clone();
    table.extend(&row);
    table.extend(random_table(&mut r, 32));
    let zero_blind = zero_blind_rows(&pcs, &table, N);
    assert_eq!(zero_blind.len(), 4);
    assert_eq!(
        zero_blind[0], zero_blind[1],
        "zero blinds reveal equal rows"
    );
    assert!(
        zero_blind[3].is_zero(),
        "a zero row commits to the identity"
    );

    let (com, hint) = pcs.commit(b, &table, N, &mut rng(51)).unwrap();
    // The padding row past the table's end is left out of the commitment
    // (its length is public, the table's size); the three data rows remain.
    assert_eq!(com.rows.len(), 3, "the zero row past the table is left out");
    assert_eq!(hint.blinds.len(), 3);
    for (i, (c, z)) in com.rows.iter().zip(&zero_blind).enumerate() {
        assert!(!hint.blinds[i].is_zero(), "row {i}: zero blind");
        assert_ne!(c, z, "row {i}: the honest commitment is the unblinded MSM");
        assert!(!c.is_zero(), "row {i}: commitment is the identity");
        // C_r = MSM(row) + ρ_r·H: the hint's blind is the one used.
        assert_eq!(*c, (*z + h * hint.blinds[i]).into_affine(), "row {i}");
    }
    assert_ne!(com.rows[0], com.rows[1], "equal rows, equal commitments");

    // The small-integer path adds the same blinding.
    let small: Vec<i64> = (0..96).map(|i| (i % 32) - 16).collect();
    let small_fr: Vec<Fr> = small.iter().map(|&v| zkllm::field::from_i64(v)).collect();
    let zero_blind = zero_blind_rows(&pcs, &small_fr, N);
    assert_eq!(zero_blind[0], zero_blind[1]);
    let (com, hint) = pcs.commit_small(b, &small, N, &mut rng(52)).unwrap();
    for (i, (c, z)) in com.rows.iter().zip(&zero_blind).enumerate() {
        assert!(
            !hint.blinds[i].is_zero(),
            "small table, row {i}: zero blind"
        );
        assert_ne!(c, z, "small table, row {i}: the unblinded MSM");
        assert_eq!(
            *c,
            (*z + h * hint.blinds[i]).into_affine(),
            "small, row {i}"
        );
    }
    assert_ne!(com.rows[0], com.rows[1]);
    assert_ne!(
        com.rows[1], com.rows[2],
        "equal rows 1 and 2, equal commitments"
    );
}
