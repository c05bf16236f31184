//! tlookup (logUp-GKR), rescale and non-linearities by lookup, run with real
//! commitments: the looked-up tensors and the multiplicities are committed
//! and absorbed before the lookup challenges, and every claim the gadgets
//! leave is settled by the batched opening.

mod common;

use ark_ff::{Field, One};
use common::{eval, padded, random_small, rng, transcript};
use zkllm::backend::default_backend;
use zkllm::claims::{OpeningProver, OpeningVerifier};
use zkllm::commit::{Hyrax, HyraxCommitment};
use zkllm::field::{from_i64, Fr};
use zkllm::protocols::linear;
use zkllm::protocols::lookup::{self, LookupShape, LookupWitness};
use zkllm::protocols::rescale::{self, limbs};
use zkllm::protocols::tables::{Activation, LookupTable, QuantizedFn};
use zkllm::sumcheck::EvaluationClaim;

fn pcs() -> Hyrax {
    Hyrax::setup("lookup-tests", 16)
}

/// One looked-up tensor: padded input/output tables and the real length.
#[derive(Clone)]
struct Looked {
    len: usize,
    x: Vec<Fr>,
    y: Option<Vec<Fr>>,
}

fn looked(table: &LookupTable, x: &[i64]) -> Looked {
    let dims = [x.len()];
    let y: Option<Vec<i64>> = table
        .func
        .as_ref()
        .map(|_| x.iter().map(|&v| table.output(v)).collect());
    Looked {
        len: x.len(),
        x: padded(&dims, x),
        y: y.map(|y| padded(&dims, &y)),
    }
}

fn m_table(table: &LookupTable, inputs: &[Vec<i64>]) -> Vec<Fr> {
    let ins: Vec<(&[i64], Option<&[i64]>)> = inputs.iter().map(|x| (x.as_slice(), None)).collect();
    let m = lookup::multiplicities(table, &ins).expect("honest inputs are in the table");
    m.iter().map(|&v| from_i64(v)).collect()
}

/// Commits every tensor and `m`, proves the lookup, settles the claims;
/// then verifies. `Err` names what the verifier rejected.
fn run(
    table: &LookupTable,
    items: &[Looked],
    m: &[Fr],
    tamper: impl Fn(&mut lookup::LookupProof),
) -> Result<(), String> {
    let be = default_backend();
    let pcs = pcs();
    let mut r = rng(77);
    let commit = |t: &[Fr], r: &mut _| {
        pcs.commit(be, t, t.len().trailing_zeros() as usize, r)
            .unwrap()
    };
    let mut openings = OpeningProver::new();
    let mut ids = vec![];
    let mut t = transcript(b"lookup");
    for it in items {
        let (c, h) = commit(&it.x, &mut r);
        c.absorb(b"x", &mut t);
        let xid = openings.add(it.x.clone(), c, h);
        let yid = it.y.as_ref().map(|y| {
            let (c, h) = commit(y, &mut r);
            c.absorb(b"y", &mut t);
            openings.add(y.clone(), c, h)
        });
        ids.push((xid, yid));
    }
    let (mc, mh) = commit(m, &mut r);
    mc.absorb(b"m", &mut t);
    let mid = openings.add(m.to_vec(), mc, mh);
    let wit: Vec<LookupWitness> = items
        .iter()
        .map(|it| LookupWitness {
            len: it.len,
            x: &it.x,
            y: it.y.as_deref(),
        })
        .collect();
    let (mut proof, claims) = lookup::prove(be, table, &wit, m, &mut t);
    tamper(&mut proof);
    for (k, (xid, yid)) in ids.iter().enumerate() {
        openings.claim(*xid, claims.x[k].clone());
        if let Some(yid) = yid {
            openings.claim(*yid, claims.y[k].clone());
        }
    }
    openings.claim(mid, claims.multiplicities.clone());
    let commitments: Vec<HyraxCommitment> =
        (0..=mid).map(|i| openings.commitment(i).clone()).collect();
    let opening = openings.prove(be, &pcs, &mut t, &mut r).unwrap();

    // Verifier.
    let mut v = OpeningVerifier::new();
    let mut t = transcript(b"lookup");
    let mut idx = 0;
    let mut vids = vec![];
    for it in items {
        commitments[idx].absorb(b"x", &mut t);
        let xid = v.add(commitments[idx].clone());
        idx += 1;
        let yid = it.y.as_ref().map(|_| {
            commitments[idx].absorb(b"y", &mut t);
            idx += 1;
            v.add(commitments[idx - 1].clone())
        });
        vids.push((xid, yid));
    }
    commitments[idx].absorb(b"m", &mut t);
    let mid = v.add(commitments[idx].clone());
    let shapes: Vec<LookupShape> = items
        .iter()
        .map(|it| LookupShape {
            num_vars: it.x.len().trailing_zeros() as usize,
            len: it.len,
        })
        .collect();
    let claims = lookup::verify(table, &shapes, &proof, &mut t).map_err(|e| e.to_string())?;
    for (k, (xid, yid)) in vids.iter().enumerate() {
        v.claim(*xid, claims.x[k].clone());
        if let Some(yid) = yid {
            v.claim(*yid, claims.y[k].clone());
        }
    }
    v.claim(mid, claims.multiplicities);
    v.verify(be, &pcs, &opening, &mut t)
        .map_err(|e| e.to_string())
}

fn exp_table() -> LookupTable {
    let f = QuantizedFn {
        f: Activation::Exp,
        in_frac: 6,
        out_frac: 10,
        out_bits: 16,
    };
    LookupTable::function(f, -512, 10)
}

#[test]
fn range_check_honest_batched_and_padded() {
    let table = LookupTable::signed_range(8);
    let mut r = rng(1);
    let xs = vec![
        random_small(&mut r, 100, 8),
        random_small(&mut r, 7, 8),
        vec![0; 1],
        vec![-128, 127],
    ];
    let items: Vec<Looked> = xs.iter().map(|x| looked(&table, x)).collect();
    let m = m_table(&table, &xs);
    run(&table, &items, &m, |_| {}).expect("honest range check verifies");
    // All tensors share one tree: each stated value is tied to its own block.
    assert!(run(&table, &items, &m, |p| p.values.swap(0, 1)).is_err());
    assert!(run(&table, &items, &m, |p| p.values[2] += Fr::one()).is_err());
    assert!(run(&table, &items, &m, |p| p.values.truncate(3)).is_err());
}

#[test]
fn function_lookup_honest() {
    let table = exp_table();
    let mut r = rng(2);
    let xs: Vec<Vec<i64>> = vec![
        random_small(&mut r, 300, 10)
            .iter()
            .map(|v| v / 2)
            .collect(),
        vec![-512, 0, -1],
    ];
    let items: Vec<Looked> = xs.iter().map(|x| looked(&table, x)).collect();
    run(&table, &items, &m_table(&table, &xs), |_| {}).expect("honest exp lookup verifies");
}

#[test]
fn value_just_outside_the_table_is_rejected() {
    let table = LookupTable::signed_range(8);
    for bad in [128i64, -129] {
        let xs = [vec![1, 2, bad, 3]];
        assert!(
            lookup::multiplicities(&table, &[(&xs[0], None)]).is_err(),
            "witness check names it"
        );
        // A cheating prover counts the bad value as the nearest table entry.
        let clamped = vec![vec![1, 2, bad.clamp(-128, 127), 3]];
        let items = vec![looked(&table, &xs[0])];
        assert!(
            run(&table, &items, &m_table(&table, &clamped), |_| {}).is_err(),
            "{bad} accepted"
        );
    }
}

#[test]
fn wrong_multiplicities_are_rejected() {
    let table = LookupTable::signed_range(6);
    let xs = vec![vec![3, 3, 3, -5, 0]];
    let items = vec![looked(&table, &xs[0])];
    let mut m = m_table(&table, &xs);
    m[0] += Fr::one();
    assert!(run(&table, &items, &m, |_| {}).is_err());
    // [5,5,5,5,5] against multiplicities of [1..5]: the ezkl-audit case.
    let xs = [vec![5, 5, 5, 5, 5]];
    let honest = vec![vec![1, 2, 3, 4, 5]];
    assert!(run(
        &table,
        &[looked(&table, &xs[0])],
        &m_table(&table, &honest),
        |_| {}
    )
    .is_err());
}

#[test]
fn wrong_function_output_is_rejected() {
    let table = exp_table();
    let xs = vec![vec![-10, 0, 5, -300]];
    let mut item = looked(&table, &xs[0]);
    item.y.as_mut().unwrap()[2] += Fr::one();
    assert!(run(&table, &[item], &m_table(&table, &xs), |_| {}).is_err());
    // An identity "activation" (y = x) is not exp.
    let mut item = looked(&table, &xs[0]);
    item.y = Some(item.x.clone());
    assert!(run(&table, &[item], &m_table(&table, &xs), |_| {}).is_err());
}

#[test]
fn changed_prover_messages_are_rejected() {
    let table = exp_table();
    let xs = vec![vec![-10, 0, 5, -300, 7]];
    let items = vec![looked(&table, &xs[0])];
    let m = m_table(&table, &xs);
    run(&table, &items, &m, |_| {}).unwrap();
    type Tamper = Box<dyn Fn(&mut lookup::LookupProof)>;
    let tampers: Vec<Tamper> = vec![
        Box::new(|p| p.values[0] += Fr::one()),
        Box::new(|p| p.values[1] += Fr::one()),
        Box::new(|p| p.inverse += Fr::one()),
        Box::new(|p| p.tree.tops[0].values[0] += Fr::one()),
        Box::new(|p| p.tree.tops[0].values[3] += Fr::one()),
        Box::new(|p| p.tree.layers[0].finals.0[1] += Fr::one()),
        Box::new(|p| p.tree.layers[0].rounds.rounds[0].0[2] += Fr::one()),
        Box::new(|p| p.tree.tops[0].values[2] += Fr::one()),
        Box::new(|p| {
            let f = &mut p.tree.layers[2].finals.0;
            let last = f.len() - 1;
            f[last] += Fr::one()
        }),
    ];
    for (i, t) in tampers.iter().enumerate() {
        assert!(run(&table, &items, &m, t).is_err(), "tamper {i} accepted");
    }
}

/// Rescale of a product: `X = 2^s·Q + R`, with `Q` (16 bits) and `R`
/// range-checked and committed. Returns whether the verifier accepts.
fn rescale_flow(
    x: &[i64],
    q: Vec<Fr>,
    rem: Vec<Fr>,
    m_q: Vec<Fr>,
    m_r: Vec<Fr>,
    shift: u32,
) -> Result<(), String> {
    let be = default_backend();
    let pcs = pcs();
    let mut r = rng(5);
    let n = q.len().trailing_zeros() as usize;
    let (tq, tr) = (
        LookupTable::signed_range(16),
        LookupTable::signed_range(shift),
    );
    let mut m_q = m_q;
    m_q.resize(tq.len(), Fr::from(0u64));
    let xt = padded(&[x.len()], x);
    let u: Vec<Fr> = common::random_point(&mut rng(6), n);
    let q_claim = EvaluationClaim {
        point: u.clone(),
        value: eval(&q, &u),
    };

    let mut t = transcript(b"rescale");
    let mut op = OpeningProver::new();
    let mut coms = vec![];
    for tab in [&q, &rem, &m_q, &m_r] {
        let (c, h) = pcs
            .commit(be, tab, tab.len().trailing_zeros() as usize, &mut r)
            .unwrap();
        c.absorb(b"com", &mut t);
        coms.push(c.clone());
        op.add(tab.clone(), c, h);
    }
    let (r_value, claims) = rescale::prove(be, shift, &rem, &q_claim, &mut t);
    assert_eq!(
        claims.x.value,
        eval(&xt, &u),
        "X claim is what the previous op must prove"
    );
    let (pq, cq) = lookup::prove(
        be,
        &tq,
        &[LookupWitness {
            len: x.len(),
            x: &q,
            y: None,
        }],
        &m_q,
        &mut t,
    );
    let (pr, cr) = lookup::prove(
        be,
        &tr,
        &[LookupWitness {
            len: x.len(),
            x: &rem,
            y: None,
        }],
        &m_r,
        &mut t,
    );
    for (id, c) in [
        (0, claims.q),
        (1, claims.r),
        (0, cq.x[0].clone()),
        (2, cq.multiplicities),
        (1, cr.x[0].clone()),
        (3, cr.multiplicities),
    ] {
        op.claim(id, c);
    }
    let opening = op.prove(be, &pcs, &mut t, &mut r).unwrap();

    let mut t = transcript(b"rescale");
    let mut v = OpeningVerifier::new();
    for c in &coms {
        c.absorb(b"com", &mut t);
        v.add(c.clone());
    }
    let claims = rescale::verify(shift, &q_claim, r_value, &mut t).map_err(|e| e.to_string())?;
    let shape = [LookupShape {
        num_vars: n,
        len: x.len(),
    }];
    let cq = lookup::verify(&tq, &shape, &pq, &mut t).map_err(|e| e.to_string())?;
    let cr = lookup::verify(&tr, &shape, &pr, &mut t).map_err(|e| e.to_string())?;
    if claims.x.value != eval(&xt, &u) {
        return Err("claim on X is false".into());
    }
    for (id, c) in [
        (0, claims.q),
        (1, claims.r),
        (0, cq.x[0].clone()),
        (2, cq.multiplicities),
        (1, cr.x[0].clone()),
        (3, cr.multiplicities),
    ] {
        v.claim(id, c);
    }
    v.verify(be, &pcs, &opening, &mut t)
        .map_err(|e| e.to_string())
}

fn honest_rescale(x: &[i64], shift: u32) -> (Vec<i64>, Vec<i64>) {
    x.iter().map(|&v| rescale::rescale(v, shift)).unzip()
}

fn counts(table: &LookupTable, v: &[i64]) -> Vec<Fr> {
    m_table(table, &[v.to_vec()])
}

#[test]
fn rescale_honest_and_forged_quotient() {
    let shift = 8;
    let x: Vec<i64> = random_small(&mut rng(9), 100, 23);
    let (q, rem) = honest_rescale(&x, shift);
    let (tq, tr) = (
        LookupTable::signed_range(16),
        LookupTable::signed_range(shift),
    );
    let pq = padded(&[100], &q);
    let pr = padded(&[100], &rem);
    rescale_flow(
        &x,
        pq.clone(),
        pr.clone(),
        counts(&tq, &q),
        counts(&tr, &rem),
        shift,
    )
    .expect("honest rescale verifies");

    // R' = R + 1 and Q' = (X − R')/γ in the field: X = γQ' + R' holds mod p,
    // R' is still in range, but Q' is no 16-bit integer: the range check on Q rejects.
    let gamma_inv = from_i64(1 << shift).inverse().unwrap();
    let mut fq = pq.clone();
    let mut fr = pr.clone();
    let i = rem.iter().position(|&v| v < 127).unwrap();
    fr[i] += Fr::one();
    fq[i] = (from_i64(x[i]) - fr[i]) * gamma_inv;
    let mut rem2 = rem.clone();
    rem2[i] += 1;
    let result = rescale_flow(&x, fq, fr, counts(&tq, &q), counts(&tr, &rem2), shift);
    assert!(result.is_err(), "field-only quotient accepted");

    // Remainder out of range (R' = R + γ, Q' = Q − 1): integer-valid but non-canonical.
    let mut fq = pq.clone();
    let mut fr = pr.clone();
    fr[0] += from_i64(1 << shift);
    fq[0] -= Fr::one();
    let mut q2 = q.clone();
    q2[0] -= 1;
    let result = rescale_flow(&x, fq, fr, counts(&tq, &q2), counts(&tr, &rem), shift);
    assert!(result.is_err(), "out-of-range remainder accepted");
}

#[test]
fn wide_values_by_limbs() {
    // A 24-bit value as a signed 12-bit high limb and an unsigned 12-bit low limb.
    let mut r = rng(10);
    let v = random_small(&mut r, 50, 24);
    let (hi, lo): (Vec<i64>, Vec<i64>) = v.iter().map(|&x| limbs::split(x, 12)).unzip();
    let (tv, thi, tlo) = (padded(&[50], &v), padded(&[50], &hi), padded(&[50], &lo));
    let c = common::claim_on(&mut r, &tv);
    let coeffs = limbs::coefficients(12);
    let (proof, _) = linear::prove(
        default_backend(),
        &coeffs,
        &[&thi, &tlo],
        &c,
        &mut transcript(b"limb"),
    );
    let claims = linear::verify(&coeffs, &c, &proof, &mut transcript(b"limb")).unwrap();
    assert_eq!(eval(&thi, &claims[0].point), claims[0].value);
    assert_eq!(eval(&tlo, &claims[1].point), claims[1].value);
    // The limbs are what the range checks cover.
    let (shi, slo) = (
        LookupTable::signed_range(12),
        LookupTable::unsigned_range(12),
    );
    run(
        &shi,
        &[looked(&shi, &hi)],
        &m_table(&shi, std::slice::from_ref(&hi)),
        |_| {},
    )
    .unwrap();
    run(
        &slo,
        &[looked(&slo, &lo)],
        &m_table(&slo, std::slice::from_ref(&lo)),
        |_| {},
    )
    .unwrap();
    // A negative low limb is not canonical and fails its range check.
    assert!(lookup::multiplicities(&slo, &[(&[-1], None)]).is_err());
}

#[test]
fn every_activation_table_proves() {
    let mut r = rng(11);
    for f in [
        Activation::GeluErf,
        Activation::GeluTanh,
        Activation::Silu,
        Activation::Sigmoid,
        Activation::Exp,
        Activation::Reciprocal,
        Activation::Rsqrt,
        Activation::Tanh,
    ] {
        let q = QuantizedFn {
            f,
            in_frac: 8,
            out_frac: 8,
            out_bits: 16,
        };
        let lo = if matches!(f, Activation::Reciprocal | Activation::Rsqrt) {
            1
        } else {
            -1024
        };
        let table = LookupTable::function(q, lo, 11);
        let xs = vec![random_small(&mut r, 64, 11)
            .iter()
            .map(|v| (v + 1024).clamp(0, 2047) + lo)
            .collect::<Vec<_>>()];
        let items = vec![looked(&table, &xs[0])];
        run(&table, &items, &m_table(&table, &xs), |_| {})
            .unwrap_or_else(|e| panic!("{}: {e}", f.name()));
    }
}

/// Several tables in one proof: one fraction tree over every table's
/// inputs and rows, each denominator tagged by its table. Honest: verifies,
/// and each table's claims are the true evaluations. Forged (proven
/// honestly under the false witness): a value that is a row of table 0 but
/// not of table 1, looked up in table 1 and counted on table 0's row
/// (where, without the tag, the logUp sum would balance), is refused by
/// the logUp sum; so is one counted on table 1's nearest row.
#[test]
fn tables_in_one_proof_are_kept_apart() {
    use zkllm::protocols::lookup::TableLookups;
    use zkllm::zk::{Clear, ProverCtx, VerifierCtx};
    let be = default_backend();
    let tables = [LookupTable::signed_range(8), LookupTable::signed_range(3)];
    // `count_on[i]`: the table whose multiplicities count input i's values
    // (each value clamped to that table's range).
    let run = |xs: [&[i64]; 2], count_on: [usize; 2]| -> Result<(), String> {
        let items: Vec<Looked> = (0..2).map(|i| looked(&tables[i], xs[i])).collect();
        let mut ms: Vec<Vec<Fr>> = (0..2)
            .map(|i| vec![Fr::from(0u64); tables[i].len()])
            .collect();
        for i in 0..2 {
            let t = &tables[count_on[i]];
            for &v in xs[i] {
                let v = v.clamp(t.lo, t.lo + t.len() as i64 - 1);
                ms[count_on[i]][(v - t.lo) as usize] += Fr::one();
            }
        }
        let batch: Vec<TableLookups> = (0..2)
            .map(|i| TableLookups {
                table: &tables[i],
                inputs: vec![LookupWitness {
                    len: items[i].len,
                    x: &items[i].x,
                    y: None,
                }],
                m: &ms[i],
            })
            .collect();
        let mut t = transcript(b"two-tables");
        let (proof, claims) =
            lookup::prove_in::<Clear>(&mut ProverCtx::clear(), be, &batch, &mut t);
        for i in 0..2 {
            let c = &claims[i];
            assert_eq!(c.x[0].value, eval(&items[i].x, &c.x[0].point));
            assert_eq!(
                c.multiplicities.value,
                eval(&ms[i], &c.multiplicities.point)
            );
        }
        assert_eq!(
            proof.tree.tops.len(),
            3,
            "leaves 256 + 32 + 8 + 8: three trees"
        );
        let shapes: Vec<[LookupShape; 1]> = (0..2)
            .map(|i| {
                [LookupShape {
                    num_vars: items[i].x.len().trailing_zeros() as usize,
                    len: items[i].len,
                }]
            })
            .collect();
        let mut t = transcript(b"two-tables");
        let got = lookup::verify_in::<Clear>(
            &mut VerifierCtx::clear(),
            &[(&tables[0], &shapes[0][..]), (&tables[1], &shapes[1][..])],
            &proof,
            &mut t,
        )
        .map_err(|e| e.to_string())?;
        assert_eq!(got, claims);
        Ok(())
    };
    let wide: Vec<i64> = (-100..100).step_by(7).collect();
    run([&wide, &[-4, 0, 3, 1, 2]], [0, 1]).expect("honest two-table proof verifies");
    let sum = "lookup: looked-up values are not rows of their tables (the logUp sum is not zero)";
    for (count_on, how) in [([0, 0], "table 0's row"), ([0, 1], "table 1's nearest row")] {
        let e = run([&wide, &[-4, 0, 9, 1, 2]], count_on)
            .expect_err("a value outside table 1 was accepted");
        eprintln!("two tables, 9 looked up in table 1 and counted on {how}: rejected: {e}");
        assert_eq!(e, sum);
    }
}
