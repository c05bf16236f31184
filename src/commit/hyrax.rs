//! Hyrax polynomial commitments (Wahby et al., S&P 2018) with hiding rows.
//!
//! A table of `2^n` entries is laid out as a `2^row_vars × 2^col_vars` matrix
//! (row-major, so the low `col_vars` variables index the column). Each row
//! gets a hiding Pedersen commitment `C_r = Σ_j M[r][j]·G_j + ρ_r·H`.
//!
//! Rows are as wide as the generators allow (`col_vars = min(n, C)`, where
//! `2^C` generators serve the largest table at its square shape): a proof
//! commits thousands of tensors far smaller than the largest, and a row
//! commitment per `2^C` entries rather than per `√2^n` makes their
//! commitments up to `√2^n` times smaller. The opening argument of a table
//! is `C` rounds long either way for all but the smallest.
//!
//! To open at `u = (u_col, u_row)`, the verifier folds the rows itself,
//! `C* = Σ_r eq(u_row, r)·C_r`, which commits to `t = Σ_r eq(u_row, r)·M[r]`
//! with blind `Σ_r eq(u_row, r)·ρ_r`; the prover then shows
//! `⟨t, eq(u_col)⟩ = y` by the zero-knowledge inner-product argument.
//! Many commitments of one shape opened at one point are batched into a
//! single argument by a random linear combination drawn after every
//! commitment and claimed value is absorbed.
//!
//! A commitment may leave out trailing rows: they are zero rows with zero
//! blinds (a stack's padding past its last tensor, [`crate::claims::stack`]).
//! The table it binds is zero there; its user pins how many rows it has.

use ark_ec::CurveGroup;
use ark_ff::{UniformRand, Zero};
use ark_std::rand::{CryptoRng, RngCore};
use rayon::prelude::*;

use super::error::PcsError;
use super::generators::Generators;
use super::ipa::{self, IpaProof};
use crate::backend::Backend;
use crate::field::{Fr, G1Affine, G1Projective};
use crate::transcript::Transcript;
use crate::wire::{Reader, Wire, WireError, Writer};

/// Largest table (in variables) a commitment may describe; bounds parsing.
pub const MAX_NUM_VARS: usize = 40;

/// Column variables of the square shape of an `n`-variable table (columns
/// take the larger half): what the generators of a key are sized for.
pub fn square_col_vars(num_vars: usize) -> usize {
    num_vars.div_ceil(2)
}

/// How wide a commitment's rows are; a commitment is in one of two layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowWidth {
    /// As wide as the generators (or the whole table when shorter): fewest
    /// row points, for what the verifier decodes with every proof.
    Widest,
    /// The table's square shape (capped by the generators): the shortest
    /// inner-product argument.
    Square,
    /// Rows of `2^c` entries (capped by the table and the generators): one
    /// width for many tables (the key's weight stacks).
    Cols(usize),
}

impl RowWidth {
    /// The column variables of a `num_vars`-variable commitment in rows of
    /// this width under generators of `2^gen_cols`.
    pub fn col_vars(self, num_vars: usize, gen_cols: usize) -> usize {
        match self {
            RowWidth::Widest => num_vars.min(gen_cols),
            RowWidth::Square => square_col_vars(num_vars).min(gen_cols),
            RowWidth::Cols(c) => c.min(num_vars).min(gen_cols),
        }
    }
}

/// The public commitment: one G1 point per row of `2^col_vars` entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HyraxCommitment {
    pub num_vars: usize,
    pub col_vars: usize,
    pub rows: Vec<G1Affine>,
}

/// The prover's secret opening information (one blind per row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HyraxHint {
    pub blinds: Vec<Fr>,
}

/// Evaluation proof for one or a batch of commitments at one point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HyraxOpening {
    pub ipa: IpaProof,
}

impl HyraxCommitment {
    /// Rows of the whole table; the commitment may hold fewer (the rest zero).
    fn full_rows(&self) -> usize {
        1usize << self.num_vars.saturating_sub(self.col_vars)
    }

    fn check_shape(&self) -> Result<(), PcsError> {
        let expected = self.full_rows();
        if self.col_vars > self.num_vars || self.rows.len() > expected {
            return Err(PcsError::WrongRowCount {
                num_vars: self.num_vars,
                expected,
                found: self.rows.len(),
            });
        }
        Ok(())
    }

    pub fn absorb(&self, label: &'static [u8], transcript: &mut Transcript) {
        transcript.append_u64(label, self.num_vars as u64);
        transcript.append_u64(label, self.col_vars as u64);
        transcript.append_points(label, &self.rows);
    }
}

impl Wire for HyraxCommitment {
    const MIN_BYTES: usize = 6;

    fn write(&self, w: &mut Writer) {
        w.put_u8(self.num_vars as u8);
        w.put_u8(self.col_vars as u8);
        w.put_seq(&self.rows);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let num_vars = r.get_u8("commitment variable count")? as usize;
        if num_vars > MAX_NUM_VARS {
            return Err(WireError::Invalid {
                what: "commitment variable count (too large)",
            });
        }
        let col_vars = r.get_u8("commitment column variables")? as usize;
        if col_vars > num_vars {
            return Err(WireError::Invalid {
                what: "commitment column variables (more than its variables)",
            });
        }
        let rows = r.get_points_at_most("commitment rows", 1 << (num_vars - col_vars))?;
        Ok(Self {
            num_vars,
            col_vars,
            rows,
        })
    }
}

impl Wire for HyraxOpening {
    const MIN_BYTES: usize = IpaProof::MIN_BYTES;

    fn write(&self, w: &mut Writer) {
        self.ipa.write(w);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self { ipa: r.get()? })
    }
}

/// Hyrax over a fixed set of generators.
#[derive(Clone, Debug)]
pub struct Hyrax {
    gens: Generators,
}

impl Hyrax {
    /// Generators for rows of a `2^max_num_vars`-entry table at its square
    /// shape; every table uses rows that wide (or its whole length if shorter).
    pub fn setup(seed: &str, max_num_vars: usize) -> Self {
        Self {
            gens: Generators::new(seed, square_col_vars(max_num_vars)),
        }
    }

    /// [`Self::setup`], with the generators written to the cache in `cache`
    /// and returned with the pin a key stores (see [`Generators::derive_cached`]).
    pub fn setup_cached(
        seed: &str,
        max_num_vars: usize,
        cache: Option<&std::path::Path>,
    ) -> (Self, [u8; 32]) {
        let (gens, pin) = Generators::derive_cached(seed, square_col_vars(max_num_vars), cache);
        (Self { gens }, pin)
    }

    /// [`Self::setup`] for a key that pins its generators by `pin`: from
    /// the cache in `cache` when it holds them (see [`Generators::pinned`]).
    pub fn pinned(
        seed: &str,
        max_num_vars: usize,
        pin: &[u8; 32],
        cache: Option<&std::path::Path>,
    ) -> Result<Self, super::generators::GeneratorError> {
        Ok(Self {
            gens: Generators::pinned(seed, square_col_vars(max_num_vars), pin, cache)?,
        })
    }

    pub fn generators(&self) -> &Generators {
        &self.gens
    }

    /// The column variables of a `num_vars`-variable commitment in rows as
    /// wide as these generators ([`RowWidth::Widest`]): `min(n, C)`.
    pub fn col_vars(&self, num_vars: usize) -> usize {
        self.row_vars(num_vars, RowWidth::Widest)
    }

    /// The column variables of a `num_vars`-variable commitment of `width`.
    pub fn row_vars(&self, num_vars: usize, width: RowWidth) -> usize {
        width.col_vars(num_vars, self.gens.log_len())
    }

    /// A commitment's layout is the one these generators prescribe.
    fn check_layout(&self, c: &HyraxCommitment) -> Result<(), PcsError> {
        let cols = 1usize << c.col_vars.min(usize::BITS as usize - 1);
        if cols > self.gens.g.len() {
            return Err(PcsError::NotEnoughGenerators {
                needed: cols,
                available: self.gens.g.len(),
            });
        }
        // One of the two layouts; which one a table must have is its
        // user's to pin (a stack's verifier does).
        let expected = self.col_vars(c.num_vars);
        if c.col_vars != expected && c.col_vars != self.row_vars(c.num_vars, RowWidth::Square) {
            return Err(PcsError::WrongLayout {
                num_vars: c.num_vars,
                expected,
                found: c.col_vars,
            });
        }
        c.check_shape()
    }

    fn finish_commit<R: RngCore + CryptoRng>(
        &self,
        num_vars: usize,
        col_vars: usize,
        mut rows: Vec<G1Projective>,
        rng: &mut R,
    ) -> (HyraxCommitment, HyraxHint) {
        // Rows past the values are left out (zero rows, zero blinds).
        let row_count = rows.len();
        let blinds: Vec<Fr> = (0..row_count).map(|_| Fr::rand(rng)).collect();
        let h = self.gens.h;
        rows.par_iter_mut()
            .zip(blinds.par_iter())
            .for_each(|(c, rho)| *c += h * rho);
        let rows = G1Projective::normalize_batch(&rows);
        (
            HyraxCommitment {
                num_vars,
                col_vars,
                rows,
            },
            HyraxHint { blinds },
        )
    }

    /// Commits to `values` (zero-padded) as an `num_vars`-variable table.
    pub fn commit<R: RngCore + CryptoRng>(
        &self,
        backend: &dyn Backend,
        values: &[Fr],
        num_vars: usize,
        rng: &mut R,
    ) -> Result<(HyraxCommitment, HyraxHint), PcsError> {
        check_len(values.len(), num_vars)?;
        let col_vars = self.col_vars(num_vars);
        let cols = 1usize << col_vars;
        let rows = backend.msm_rows(&self.gens.g[..cols], values, cols);
        Ok(self.finish_commit(num_vars, col_vars, rows, rng))
    }

    /// Commits to small signed integers (quantized tensors): the fast path.
    pub fn commit_small<R: RngCore + CryptoRng>(
        &self,
        backend: &dyn Backend,
        values: &[i64],
        num_vars: usize,
        rng: &mut R,
    ) -> Result<(HyraxCommitment, HyraxHint), PcsError> {
        self.commit_small_in(backend, values, num_vars, RowWidth::Widest, rng)
    }

    /// [`Self::commit_small`] in rows of `width`.
    pub fn commit_small_in<R: RngCore + CryptoRng>(
        &self,
        backend: &dyn Backend,
        values: &[i64],
        num_vars: usize,
        width: RowWidth,
        rng: &mut R,
    ) -> Result<(HyraxCommitment, HyraxHint), PcsError> {
        check_len(values.len(), num_vars)?;
        let col_vars = self.row_vars(num_vars, width);
        let cols = 1usize << col_vars;
        let rows = backend.msm_rows_small(&self.gens.g[..cols], values, cols);
        Ok(self.finish_commit(num_vars, col_vars, rows, rng))
    }

    /// Opens one committed table at `point`; returns the value and the proof.
    #[allow(clippy::too_many_arguments)]
    pub fn open<R: RngCore + CryptoRng>(
        &self,
        backend: &dyn Backend,
        table: &[Fr],
        hint: &HyraxHint,
        commitment: &HyraxCommitment,
        point: &[Fr],
        transcript: &mut Transcript,
        rng: &mut R,
    ) -> Result<(Fr, HyraxOpening), PcsError> {
        let value = evaluate_padded(backend, table, point)?;
        let proof = self.open_batch(
            backend,
            &[table],
            &[hint],
            &[commitment],
            point,
            &[value],
            transcript,
            rng,
        )?;
        Ok((value, proof))
    }

    pub fn verify(
        &self,
        backend: &dyn Backend,
        commitment: &HyraxCommitment,
        point: &[Fr],
        value: Fr,
        proof: &HyraxOpening,
        transcript: &mut Transcript,
    ) -> Result<(), PcsError> {
        self.verify_batch(backend, &[commitment], point, &[value], proof, transcript)
    }

    /// Opens several same-shaped committed tables at one point with one
    /// inner-product argument. `values[i]` must be table `i` at `point`.
    #[allow(clippy::too_many_arguments)]
    pub fn open_batch<R: RngCore + CryptoRng>(
        &self,
        backend: &dyn Backend,
        tables: &[&[Fr]],
        hints: &[&HyraxHint],
        commitments: &[&HyraxCommitment],
        point: &[Fr],
        values: &[Fr],
        transcript: &mut Transcript,
        rng: &mut R,
    ) -> Result<HyraxOpening, PcsError> {
        let blinds = vec![Fr::zero(); values.len()];
        self.open_values(
            backend,
            tables,
            hints,
            commitments,
            point,
            (Values::Public(values), values, &blinds),
            transcript,
            rng,
        )
    }

    /// As [`Self::open_batch`] for values that stay hidden: `values[i]` is
    /// table `i` at `point`, committed as `value_coms[i]` with `blinds[i]`.
    #[allow(clippy::too_many_arguments)]
    pub fn open_batch_hidden<R: RngCore + CryptoRng>(
        &self,
        backend: &dyn Backend,
        tables: &[&[Fr]],
        hints: &[&HyraxHint],
        commitments: &[&HyraxCommitment],
        point: &[Fr],
        values: &[Fr],
        blinds: &[Fr],
        transcript: &mut Transcript,
        rng: &mut R,
    ) -> Result<HyraxOpening, PcsError> {
        assert_eq!(values.len(), blinds.len());
        self.open_values(
            backend,
            tables,
            hints,
            commitments,
            point,
            (Values::Committed(values.len()), values, blinds),
            transcript,
            rng,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn open_values<R: RngCore + CryptoRng>(
        &self,
        backend: &dyn Backend,
        tables: &[&[Fr]],
        hints: &[&HyraxHint],
        commitments: &[&HyraxCommitment],
        point: &[Fr],
        (stated, values, value_blinds): (Values<'_>, &[Fr], &[Fr]),
        transcript: &mut Transcript,
        rng: &mut R,
    ) -> Result<HyraxOpening, PcsError> {
        assert_eq!(tables.len(), commitments.len());
        assert_eq!(hints.len(), commitments.len());
        let (num_vars, col_vars) = check_batch(self, commitments, point, stated.len())?;
        let cols = 1usize << col_vars;
        let alphas = absorb_batch(commitments, point, &stated, transcript);
        let row_eq = backend.eq_table(&point[col_vars..]);

        // t = Σ_i α_i Σ_r eq(u_row, r)·M_i[r], blind likewise.
        let mut t = vec![Fr::zero(); cols];
        let mut blind = Fr::zero();
        for ((table, hint), alpha) in tables.iter().zip(hints).zip(&alphas) {
            check_len(table.len(), num_vars)?;
            let folded = fold_rows(table, &row_eq, cols);
            backend.axpy(&mut t, *alpha, &folded);
            if hint.blinds.len() > row_eq.len() {
                return Err(PcsError::WrongRowCount {
                    num_vars,
                    expected: row_eq.len(),
                    found: hint.blinds.len(),
                });
            }
            blind += *alpha * backend.inner_product(&hint.blinds, &row_eq[..hint.blinds.len()]);
        }
        let combined = combined_commitment(backend, commitments, &alphas, &row_eq);
        let opening = (stated, values, value_blinds);
        let col_point = &point[..col_vars];
        Ok(self.prove_combined(
            backend,
            &combined,
            (t, blind),
            col_point,
            opening,
            &alphas,
            transcript,
            rng,
        ))
    }

    /// The inner-product argument that the combined row `t` (blinded by
    /// `blind`) opens `combined` at `col_point` to `Σ_i α_i·value_i`, in the
    /// clear or as the combination of the value commitments.
    #[allow(clippy::too_many_arguments)]
    fn prove_combined<R: RngCore + CryptoRng>(
        &self,
        backend: &dyn Backend,
        combined: &G1Projective,
        (t, blind): (Vec<Fr>, Fr),
        col_point: &[Fr],
        (stated, values, value_blinds): (Values<'_>, &[Fr], &[Fr]),
        alphas: &[Fr],
        transcript: &mut Transcript,
        rng: &mut R,
    ) -> HyraxOpening {
        let y: Fr = values.iter().zip(alphas).map(|(v, a)| *v * a).sum();
        let y_blind: Fr = value_blinds.iter().zip(alphas).map(|(v, a)| *v * a).sum();
        let claimed = match stated {
            Values::Public(_) => ipa::Claimed::Public(y),
            // The combination's commitment `Σ α_i·Com(y_i)`, in one step.
            Values::Committed(_) => {
                ipa::Claimed::Committed(self.gens.u * y + self.gens.h * y_blind)
            }
        };
        let b = backend.eq_table(col_point);
        let ipa = ipa::prove_claimed(
            backend,
            &self.gens,
            combined,
            t,
            blind,
            b,
            (claimed, y_blind),
            transcript,
            rng,
        );
        HyraxOpening { ipa }
    }

    /// Verifies a batched opening: every `commitments[i]` opens to `values[i]` at `point`.
    pub fn verify_batch(
        &self,
        backend: &dyn Backend,
        commitments: &[&HyraxCommitment],
        point: &[Fr],
        values: &[Fr],
        proof: &HyraxOpening,
        transcript: &mut Transcript,
    ) -> Result<(), PcsError> {
        let (_, col_vars) = check_batch(self, commitments, point, values.len())?;
        let alphas = absorb_batch(commitments, point, &Values::Public(values), transcript);
        let y = values.iter().zip(&alphas).map(|(v, a)| *v * a).sum();
        self.verify_combined(
            backend,
            commitments,
            point,
            col_vars,
            &alphas,
            &ipa::Claimed::Public(y),
            proof,
            transcript,
        )
    }

    /// Verifies a batched opening to `count` hidden values: every
    /// `commitments[i]` opens at `point` to the value that the caller's
    /// `i`-th value commitment commits to. `combine(α)` returns
    /// `Σ_i α_i·Com(y_i)`: the caller combines its commitments (kept
    /// symbolic, see `zk::lc`) in one multi-scalar multiplication rather
    /// than evaluating each.
    #[allow(clippy::too_many_arguments)]
    pub fn verify_batch_hidden(
        &self,
        backend: &dyn Backend,
        commitments: &[&HyraxCommitment],
        point: &[Fr],
        count: usize,
        combine: &dyn Fn(&[Fr]) -> G1Projective,
        proof: &HyraxOpening,
        transcript: &mut Transcript,
    ) -> Result<(), PcsError> {
        let (_, col_vars) = check_batch(self, commitments, point, count)?;
        let alphas = absorb_batch(commitments, point, &Values::Committed(count), transcript);
        let claimed = ipa::Claimed::Committed(combine(&alphas));
        self.verify_combined(
            backend,
            commitments,
            point,
            col_vars,
            &alphas,
            &claimed,
            proof,
            transcript,
        )
    }

    /// The IPA on the commitments combined by `α` against the combined claim.
    #[allow(clippy::too_many_arguments)]
    fn verify_combined(
        &self,
        backend: &dyn Backend,
        commitments: &[&HyraxCommitment],
        point: &[Fr],
        col_vars: usize,
        alphas: &[Fr],
        claimed: &ipa::Claimed,
        proof: &HyraxOpening,
        transcript: &mut Transcript,
    ) -> Result<(), PcsError> {
        let row_eq = backend.eq_table(&point[col_vars..]);
        let combined = combined_commitment(backend, commitments, alphas, &row_eq);
        let b = backend.eq_table(&point[..col_vars]);
        ipa::verify_claimed(
            backend, &self.gens, &combined, &b, claimed, &proof.ipa, transcript,
        )
    }
}

/// One term of a row-fold opening ([`Hyrax::open_folds`]): the rows
/// `first_row ..` of commitment `matrix`, weighted by `row_eq`.
#[derive(Clone, Debug, PartialEq)]
pub struct Fold {
    pub matrix: usize,
    pub first_row: usize,
    pub row_eq: Vec<Fr>,
}

impl Hyrax {
    /// Opens row folds of several commitments at one column point with one
    /// inner-product argument: fold `k` commits to
    /// `t_k = Σ_i row_eq_k[i]·M_{matrix_k}[first_row_k + i]` (the prover's
    /// `folded[k]`), and `values[k]` must be `⟨t_k, eq(col_point)⟩`.
    ///
    /// This is a Hyrax opening at a point per fold whose column part is
    /// shared: the verifier combines the folds' rows itself, as for one
    /// point. The caller must have bound each fold's row weights to the
    /// transcript (they are functions of points it absorbed); the folds'
    /// places and the column point are absorbed here.
    #[allow(clippy::too_many_arguments)]
    pub fn open_folds<R: RngCore + CryptoRng>(
        &self,
        backend: &dyn Backend,
        commitments: &[&HyraxCommitment],
        hints: &[&HyraxHint],
        folds: &[Fold],
        folded: &[Vec<Fr>],
        col_point: &[Fr],
        (stated, values, value_blinds): (Values<'_>, &[Fr], &[Fr]),
        transcript: &mut Transcript,
        rng: &mut R,
    ) -> Result<HyraxOpening, PcsError> {
        assert_eq!(hints.len(), commitments.len());
        assert_eq!(folded.len(), folds.len());
        check_folds(self, commitments, folds, col_point, stated.len())?;
        let alphas = absorb_folds(commitments, folds, col_point, &stated, transcript);
        let cols = 1usize << col_point.len();
        let mut t = vec![Fr::zero(); cols];
        let mut blind = Fr::zero();
        for ((fold, f), alpha) in folds.iter().zip(folded).zip(&alphas) {
            assert_eq!(f.len(), cols, "a fold is one row long");
            backend.axpy(&mut t, *alpha, f);
            let blinds = &hints[fold.matrix].blinds;
            let mut b = Fr::zero();
            for (i, e) in fold.row_eq.iter().enumerate() {
                if let Some(rho) = blinds.get(fold.first_row + i) {
                    b += *rho * e;
                }
            }
            blind += *alpha * b;
        }
        let combined = folds_commitment(backend, commitments, folds, &alphas);
        let opening = (stated, values, value_blinds);
        Ok(self.prove_combined(
            backend,
            &combined,
            (t, blind),
            col_point,
            opening,
            &alphas,
            transcript,
            rng,
        ))
    }

    /// Verifies [`Self::open_folds`]: `claimed(α)` is the claim
    /// `Σ_k α_k·value_k`, in the clear or as a value commitment.
    #[allow(clippy::too_many_arguments)]
    pub fn verify_folds(
        &self,
        backend: &dyn Backend,
        commitments: &[&HyraxCommitment],
        folds: &[Fold],
        col_point: &[Fr],
        stated: Values<'_>,
        claimed: &dyn Fn(&[Fr]) -> ipa::Claimed,
        proof: &HyraxOpening,
        transcript: &mut Transcript,
    ) -> Result<(), PcsError> {
        check_folds(self, commitments, folds, col_point, stated.len())?;
        let alphas = absorb_folds(commitments, folds, col_point, &stated, transcript);
        let combined = folds_commitment(backend, commitments, folds, &alphas);
        let b = backend.eq_table(col_point);
        ipa::verify_claimed(
            backend,
            &self.gens,
            &combined,
            &b,
            &claimed(&alphas),
            &proof.ipa,
            transcript,
        )
    }
}

fn check_folds(
    pcs: &Hyrax,
    commitments: &[&HyraxCommitment],
    folds: &[Fold],
    col_point: &[Fr],
    values: usize,
) -> Result<(), PcsError> {
    assert!(!folds.is_empty(), "empty batch");
    if folds.len() != values {
        return Err(PcsError::BatchLengthMismatch {
            commitments: folds.len(),
            values,
        });
    }
    for c in commitments {
        pcs.check_layout(c)?;
        if c.col_vars != col_point.len() {
            return Err(PcsError::MixedWidths {
                first: col_point.len(),
                other: c.col_vars,
            });
        }
    }
    for f in folds {
        let Some(c) = commitments.get(f.matrix) else {
            return Err(PcsError::FoldOutOfRange {
                matrix: f.matrix,
                first_row: f.first_row,
                rows: f.row_eq.len(),
                full_rows: 0,
            });
        };
        if f.first_row.saturating_add(f.row_eq.len()) > c.full_rows() {
            return Err(PcsError::FoldOutOfRange {
                matrix: f.matrix,
                first_row: f.first_row,
                rows: f.row_eq.len(),
                full_rows: c.full_rows(),
            });
        }
    }
    Ok(())
}

/// Absorbs the commitments, the folds' places, the column point and the
/// values; draws the combination weights `α_0 = 1, α_k = α^k`.
fn absorb_folds(
    commitments: &[&HyraxCommitment],
    folds: &[Fold],
    col_point: &[Fr],
    values: &Values<'_>,
    transcript: &mut Transcript,
) -> Vec<Fr> {
    transcript.append_bytes(b"hyrax-open", b"folds");
    transcript.append_u64(b"hyrax-batch", commitments.len() as u64);
    for c in commitments {
        c.absorb(b"hyrax-commitment", transcript);
    }
    transcript.append_u64(b"hyrax-folds", folds.len() as u64);
    for f in folds {
        transcript.append_u64(b"hyrax-fold-matrix", f.matrix as u64);
        transcript.append_u64(b"hyrax-fold-row", f.first_row as u64);
        transcript.append_u64(b"hyrax-fold-rows", f.row_eq.len() as u64);
    }
    transcript.append_scalars(b"hyrax-point", col_point);
    match values {
        Values::Public(v) => transcript.append_scalars(b"hyrax-values", v),
        Values::Committed(n) => transcript.append_u64(b"hyrax-hidden-values", *n as u64),
    }
    alpha_powers(transcript, folds.len())
}

/// `Σ_k α_k Σ_i row_eq_k[i]·C_{matrix_k, first_row_k + i}` as one MSM over
/// the rows the folds touch (each row once; omitted rows are zero).
fn folds_commitment(
    backend: &dyn Backend,
    commitments: &[&HyraxCommitment],
    folds: &[Fold],
    alphas: &[Fr],
) -> G1Projective {
    let mut scalars: Vec<Vec<Fr>> = commitments.iter().map(|_| Vec::new()).collect();
    for (f, alpha) in folds.iter().zip(alphas) {
        let rows = commitments[f.matrix].rows.len();
        let s = &mut scalars[f.matrix];
        if s.is_empty() {
            *s = vec![Fr::zero(); rows];
        }
        for (i, e) in f.row_eq.iter().enumerate() {
            if let Some(x) = s.get_mut(f.first_row + i) {
                *x += *e * alpha;
            }
        }
    }
    let mut bases = Vec::new();
    let mut flat = Vec::new();
    for (c, s) in commitments.iter().zip(&scalars) {
        for (p, x) in c.rows.iter().zip(s) {
            if !x.is_zero() {
                bases.push(*p);
                flat.push(*x);
            }
        }
    }
    backend.msm(&bases, &flat)
}

fn check_len(len: usize, num_vars: usize) -> Result<(), PcsError> {
    if num_vars > MAX_NUM_VARS || len > 1usize << num_vars {
        return Err(PcsError::TableTooLong { len, num_vars });
    }
    Ok(())
}

/// Evaluates a (possibly short, zero-padded) table at `point`.
pub fn evaluate_padded(backend: &dyn Backend, table: &[Fr], point: &[Fr]) -> Result<Fr, PcsError> {
    check_len(table.len(), point.len())?;
    let eq = backend.eq_table(point);
    Ok(backend.inner_product(table, &eq[..table.len()]))
}

fn check_batch(
    pcs: &Hyrax,
    commitments: &[&HyraxCommitment],
    point: &[Fr],
    values: usize,
) -> Result<(usize, usize), PcsError> {
    assert!(!commitments.is_empty(), "empty batch");
    if commitments.len() != values {
        return Err(PcsError::BatchLengthMismatch {
            commitments: commitments.len(),
            values,
        });
    }
    let (num_vars, col_vars) = (commitments[0].num_vars, commitments[0].col_vars);
    for c in commitments {
        if c.num_vars != num_vars {
            return Err(PcsError::MixedShapes {
                first: num_vars,
                other: c.num_vars,
            });
        }
        pcs.check_layout(c)?;
        if c.col_vars != col_vars {
            return Err(PcsError::MixedWidths {
                first: col_vars,
                other: c.col_vars,
            });
        }
    }
    if point.len() != num_vars {
        return Err(PcsError::WrongPointDimension {
            expected: num_vars,
            found: point.len(),
        });
    }
    Ok((num_vars, col_vars))
}

/// Absorbs the batch (commitments, point, values) and draws the combination
/// weights `α_0 = 1, α_i = α^i`.
fn absorb_batch(
    commitments: &[&HyraxCommitment],
    point: &[Fr],
    values: &Values<'_>,
    transcript: &mut Transcript,
) -> Vec<Fr> {
    transcript.append_bytes(b"hyrax-open", b"begin");
    transcript.append_u64(b"hyrax-batch", commitments.len() as u64);
    for c in commitments {
        c.absorb(b"hyrax-commitment", transcript);
    }
    transcript.append_scalars(b"hyrax-point", point);
    match values {
        Values::Public(v) => transcript.append_scalars(b"hyrax-values", v),
        // Hidden values are not absorbed: each is a commitment the verifier
        // derived from points the transcript already holds and from public
        // challenges, so it is fixed before `α` is drawn.
        Values::Committed(n) => transcript.append_u64(b"hyrax-hidden-values", *n as u64),
    }
    alpha_powers(transcript, values.len())
}

/// Draws `α` and returns `1, α, …, α^(n−1)`.
fn alpha_powers(transcript: &mut Transcript, n: usize) -> Vec<Fr> {
    let alpha = transcript.challenge_scalar(b"hyrax-batch-alpha");
    let mut powers = Vec::with_capacity(n);
    let mut p = Fr::from(1u64);
    for _ in 0..n {
        powers.push(p);
        p *= alpha;
    }
    powers
}

/// The values a batch opening proves: in the clear, or as value commitments
/// `y_i·U + ρ_i·H` (zero knowledge).
#[derive(Clone, Copy, Debug)]
pub enum Values<'a> {
    Public(&'a [Fr]),
    /// This many hidden values.
    Committed(usize),
}

impl Values<'_> {
    fn len(&self) -> usize {
        match self {
            Values::Public(v) => v.len(),
            Values::Committed(n) => *n,
        }
    }
}

/// `Σ_i α_i Σ_r eq(u_row, r)·C_{i,r}` as one MSM.
fn combined_commitment(
    backend: &dyn Backend,
    commitments: &[&HyraxCommitment],
    alphas: &[Fr],
    row_eq: &[Fr],
) -> G1Projective {
    let mut bases = Vec::with_capacity(commitments.len() * row_eq.len());
    let mut scalars = Vec::with_capacity(bases.capacity());
    for (c, alpha) in commitments.iter().zip(alphas) {
        bases.extend_from_slice(&c.rows);
        scalars.extend(row_eq[..c.rows.len()].iter().map(|e| *e * alpha));
    }
    backend.msm(&bases, &scalars)
}

/// `Σ_r row_eq[r]·table[r·cols .. (r+1)·cols]` (missing entries are zero).
fn fold_rows(table: &[Fr], row_eq: &[Fr], cols: usize) -> Vec<Fr> {
    let rows: Vec<&[Fr]> = table.chunks(cols).collect();
    (0..cols)
        .into_par_iter()
        .with_min_len(64)
        .map(|j| {
            rows.iter()
                .zip(row_eq)
                .filter_map(|(row, e)| row.get(j).map(|v| *v * e))
                .sum()
        })
        .collect()
}
