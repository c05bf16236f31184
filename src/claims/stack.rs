//! Stacks: many committed tensors in one Hyrax matrix.
//!
//! A proof commits hundreds of tensors; one commitment each costs at least
//! one curve point per tensor in the proof, one decoded point each for the
//! verifier, and one opening per tensor size. A stack lays the tensors'
//! padded tables end to end in one table of `2^N` entries, largest first,
//! so that every tensor of `2^n` entries starts at a multiple of `2^n`. Its
//! multilinear extension `F` then restricts to each tensor on a subcube:
//! with `o` the tensor's offset,
//!
//! `f(u) = F(u, bits(o / 2^n))`
//!
//! (the tensor's own point in the low variables, its position's bits in the
//! high ones). A claim on a tensor is a claim on `F` at a point whose high
//! coordinates are boolean, and every claim on a stack's tensors reduces to
//! one evaluation of `F` ([`super::batch`]). The layout is a function of the
//! tensors' sizes alone: prover and verifier derive it from the circuit, and
//! a commitment of any other size is refused. The rows past the last tensor
//! are zero and left out of the commitment ([`StackLayout::used_rows`]): the
//! padding to a power of two costs no bytes.

use crate::field::Fr;

/// The placement of a stack's tensors, from their sizes (in variables).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackLayout {
    /// Per slot (registration order): its tensor's variables.
    sizes: Vec<usize>,
    /// Per slot: the offset of its table in the stack.
    offsets: Vec<usize>,
    /// Variables of the stack: the padded total's.
    num_vars: usize,
}

impl StackLayout {
    /// Tensors of `2^sizes[i]` entries, placed largest first (ties in slot
    /// order), each at the end of the ones before it.
    pub fn new(sizes: &[usize]) -> Self {
        let mut order: Vec<usize> = (0..sizes.len()).collect();
        order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
        let mut offsets = vec![0usize; sizes.len()];
        let mut end = 0usize;
        for &slot in &order {
            offsets[slot] = end;
            end += 1usize << sizes[slot];
        }
        let num_vars = end.max(1).next_power_of_two().trailing_zeros() as usize;
        Self {
            sizes: sizes.to_vec(),
            offsets,
            num_vars,
        }
    }

    /// Variables of the stacked table.
    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    /// Entries the tensors fill (the rest, up to `2^num_vars`, is zero).
    pub fn used(&self) -> usize {
        self.sizes.iter().map(|&n| 1usize << n).sum()
    }

    /// The row commitments of the stack in rows of `2^col_vars`: the rows
    /// its tensors reach (the zero rows after them are left out).
    pub fn used_rows(&self, col_vars: usize) -> usize {
        self.used().div_ceil(1 << col_vars)
    }

    pub fn len(&self) -> usize {
        self.sizes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }

    /// The slot's tensor's variables.
    pub fn size(&self, slot: usize) -> usize {
        self.sizes[slot]
    }

    /// Where the slot's table starts in the stack.
    pub fn offset(&self, slot: usize) -> usize {
        self.offsets[slot]
    }

    /// The high coordinates of the slot's subcube: the bits of its offset
    /// over its size, lowest first.
    pub fn position_bits(&self, slot: usize) -> Vec<Fr> {
        let n = self.sizes[slot];
        let index = self.offsets[slot] >> n;
        (0..self.num_vars - n)
            .map(|b| Fr::from(((index >> b) & 1) as u64))
            .collect()
    }

    /// The point on the stack of the slot's tensor's `point`.
    pub fn point(&self, slot: usize, point: &[Fr]) -> Vec<Fr> {
        let mut p = point.to_vec();
        p.extend(self.position_bits(slot));
        p
    }

    /// `eq(bits, r_high)`: the weight of the slot's subcube at the stack
    /// point `r` (its low coordinates are the tensor's own).
    pub fn position_weight(&self, slot: usize, r: &[Fr]) -> Fr {
        let n = self.sizes[slot];
        let index = self.offsets[slot] >> n;
        r[n..]
            .iter()
            .enumerate()
            .map(|(b, x)| {
                if (index >> b) & 1 == 1 {
                    *x
                } else {
                    Fr::from(1u64) - x
                }
            })
            .product()
    }

    /// The stacked table of the slots' padded tables.
    pub fn stack<T: Copy + Default>(&self, tables: &[&[T]]) -> Vec<T> {
        assert_eq!(tables.len(), self.sizes.len(), "one table per slot");
        let mut out = vec![T::default(); 1 << self.num_vars];
        for (slot, t) in tables.iter().enumerate() {
            assert_eq!(t.len(), 1 << self.sizes[slot], "table must be padded");
            out[self.offsets[slot]..][..t.len()].copy_from_slice(t);
        }
        out
    }
}

/// Splits tensors (sizes in variables, in registration order) into runs
/// whose padded totals stay within `2^max_vars` entries (a tensor larger
/// than that is a run of its own): the stacks a proof commits.
pub fn runs(sizes: &[usize], max_vars: usize) -> Vec<std::ops::Range<usize>> {
    let cap = 1usize << max_vars;
    let mut out = Vec::new();
    let mut start = 0;
    let mut total = 0usize;
    for (i, &n) in sizes.iter().enumerate() {
        let len = 1usize << n;
        if i > start && total + len > cap {
            out.push(start..i);
            start = i;
            total = 0;
        }
        total += len;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}
