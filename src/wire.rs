//! Checked binary encoding of proof objects.
//!
//! ark-serialize's `Vec` decoding allocates whatever length the bytes claim,
//! so proofs use this small format instead: little-endian `u32` lengths, field
//! elements as 32 canonical bytes, G1 points compressed (48 bytes) and checked
//! to be on the curve and — except a proof's own messages, see
//! [`PointCheck::OnCurve`] — in the prime-order subgroup. Every length is bounded
//! by the bytes that remain, so malformed input is an error — never a panic
//! and never a large allocation — and trailing bytes are rejected.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use thiserror::Error;

use crate::field::{Fr, G1Affine};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum WireError {
    #[error("unexpected end of input while reading {what} (need {need} bytes, {left} left)")]
    Truncated {
        what: &'static str,
        need: usize,
        left: usize,
    },
    #[error("{what}: length {len} exceeds what the remaining {left} bytes can hold")]
    LengthTooLarge {
        what: &'static str,
        len: usize,
        left: usize,
    },
    #[error("invalid {what} encoding")]
    Invalid { what: &'static str },
    #[error("{0} trailing bytes after the encoded value")]
    TrailingBytes(usize),
    #[error("{what}: {found} of them, at most {limit} allowed")]
    TooMany {
        what: &'static str,
        limit: usize,
        found: usize,
    },
    #[error("{what}: expected {expected}, found {found}")]
    Mismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },
}

/// Appends encoded values to a byte buffer.
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
    /// When recording: every field and group element written, in order.
    elements: Option<Vec<Element>>,
}

/// One field or group element of an encoded message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Element {
    Scalar(Fr),
    Point(G1Affine),
}

/// Every field and group element of `v`, in encoding order: the messages a
/// proof consists of, as its own types write them (tests of what a proof
/// publishes compare these, not bytes).
pub fn elements<T: Wire>(v: &T) -> Vec<Element> {
    let mut w = Writer {
        buf: Vec::new(),
        elements: Some(Vec::new()),
    };
    v.write(&mut w);
    w.elements.unwrap_or_default()
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    fn record(&mut self, e: Element) {
        if let Some(l) = &mut self.elements {
            l.push(e);
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    pub fn put_u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub fn put_u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn put_bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }

    pub fn put<T: Wire>(&mut self, v: &T) {
        v.write(self);
    }

    /// Writes an optional value: a tag byte (0 absent, 1 present), then it.
    pub fn put_option<T: Wire>(&mut self, v: Option<&T>) {
        match v {
            None => self.put_u8(0),
            Some(v) => {
                self.put_u8(1);
                v.write(self);
            }
        }
    }

    /// Writes a length-prefixed sequence.
    pub fn put_seq<T: Wire>(&mut self, items: &[T]) {
        let len = u32::try_from(items.len()).expect("sequence longer than u32::MAX");
        self.put_u32(len);
        for item in items {
            item.write(self);
        }
    }
}

/// Reads encoded values, checking every length against what is left.
pub struct Reader<'a> {
    bytes: &'a [u8],
    points: Points<'a>,
    check: PointCheck,
}

/// What a decoded G1 point is checked to be.
///
/// `E(Fq)` has order `h·r` with the cofactor `h` prime to `r`, so every
/// curve point is uniquely `Q + T` with `Q` in the order-`r` subgroup G1 and
/// `T` of order dividing `h`, and the projection `P ↦ Q` is a homomorphism
/// that commutes with every endomorphism (so with GLV scalar multiplication
/// too).
///
/// * Points the verifier takes *as given* — generators, a key's weight
///   commitments — must be in G1: a torsion component there could change
///   what is committed. They are read with [`PointCheck::Subgroup`].
/// * A proof's messages are only ever used in equations the verifier
///   checks against each other or against the identity (sumcheck round
///   commitments, Σ-protocol and inner-product equations, Hyrax row
///   combinations). Such an equation holds only if its G1 part holds, and
///   the G1 part is exactly the equation for the projected message `Q`. In
///   the interactive protocol the challenges do not depend on the encoding,
///   so a prover sending `Q + T` succeeds no more often than one sending `Q`:
///   torsion buys a cheating prover nothing, and after Fiat–Shamir it is one
///   more way to re-draw challenges, no better than changing a blind. What it
///   allows is malleability (the same true statement with other bytes), which
///   nothing here relies on. So a proof's points are checked to be on the
///   curve only ([`PointCheck::OnCurve`]); that saves the subgroup check,
///   two thirds of decoding a point, and decoding is most of loading a proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointCheck {
    /// On the curve and in the prime-order subgroup.
    Subgroup,
    /// On the curve only: for a proof's own messages.
    OnCurve,
}

/// How a [`Reader`] decodes G1 points. Decoding one (a square root and a
/// subgroup check) costs far more than parsing around it, so
/// [`Reader::get_parallel`] reads in two passes: the first parses the structure
/// and only collects each point's bytes, every point is then decoded in
/// parallel, and the second pass parses again, taking the decoded points in
/// order. No `read` looks at a point's value, so both passes take the same
/// path through the bytes.
enum Points<'a> {
    /// Decode each point where it is read.
    Inline,
    /// Pass one: note the bytes, return a placeholder.
    Collect(Vec<&'a [u8]>),
    /// Pass two: the decoded points, in reading order.
    Decoded(std::vec::IntoIter<G1Affine>),
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            points: Points::Inline,
            check: PointCheck::Subgroup,
        }
    }

    /// A reader for a proof's messages: points checked to be on the curve,
    /// not in the subgroup (see [`PointCheck::OnCurve`] for why that is sound).
    pub fn for_proof(bytes: &'a [u8]) -> Self {
        Self {
            check: PointCheck::OnCurve,
            ..Self::new(bytes)
        }
    }

    /// One compressed G1 point, checked as this reader's [`PointCheck`] says.
    pub fn get_point(&mut self) -> Result<G1Affine, WireError> {
        let bytes = self.take(G1_BYTES, "G1 point")?;
        match &mut self.points {
            Points::Inline => decode_point(bytes, self.check),
            Points::Collect(seen) => {
                seen.push(bytes);
                Ok(G1Affine::identity())
            }
            Points::Decoded(points) => points.next().ok_or(WireError::Invalid {
                what: "G1 point (second pass read more points than the first)",
            }),
        }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        if self.bytes.len() < n {
            return Err(WireError::Truncated {
                what,
                need: n,
                left: self.bytes.len(),
            });
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub fn get_u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.take(1, what)?[0])
    }

    pub fn get_u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn get<T: Wire>(&mut self) -> Result<T, WireError> {
        T::read(self)
    }

    /// Reads what [`Writer::put_option`] wrote; a tag other than 0 or 1 is
    /// an error naming `what`.
    pub fn get_option<T: Wire>(&mut self, what: &'static str) -> Result<Option<T>, WireError> {
        match self.get_u8(what)? {
            0 => Ok(None),
            1 => Ok(Some(self.get()?)),
            _ => Err(WireError::Invalid { what }),
        }
    }

    /// Reads a `T` whose points are decoded in parallel: a first pass
    /// parses the structure and collects the points' bytes, they are
    /// decoded on every core, and a second pass parses again with them
    /// (see [`Points`]). For a proof, where decoding is most of the cost.
    pub fn get_parallel<T: Wire>(&mut self) -> Result<T, WireError> {
        use rayon::prelude::*;
        // Nested inside a two-pass read: the outer passes own the points.
        if !matches!(self.points, Points::Inline) {
            return T::read(self);
        }
        let start = self.bytes;
        let check = self.check;
        let mut first = Reader {
            bytes: start,
            points: Points::Collect(Vec::new()),
            check,
        };
        T::read(&mut first)?;
        let consumed = start.len() - first.bytes.len();
        let Points::Collect(seen) = first.points else {
            unreachable!("the first pass collects");
        };
        let decoded: Vec<G1Affine> = seen
            .par_iter()
            .map(|b| decode_point(b, check))
            .collect::<Result<_, _>>()?;
        let mut second = Reader {
            bytes: &start[..consumed],
            points: Points::Decoded(decoded.into_iter()),
            check,
        };
        let v = T::read(&mut second)?;
        second.finish()?;
        self.bytes = &start[consumed..];
        Ok(v)
    }

    /// Reads a length-prefixed sequence. The length must fit in the remaining
    /// bytes (each item needs at least `T::MIN_BYTES`), so nothing large is
    /// allocated for a lying prefix.
    pub fn get_seq<T: Wire>(&mut self, what: &'static str) -> Result<Vec<T>, WireError> {
        let len = self.get_len(what, T::MIN_BYTES)?;
        (0..len).map(|_| T::read(self)).collect()
    }

    /// A sequence's length prefix, if `len` items of at least `item_bytes`
    /// each fit in the remaining bytes.
    fn get_len(&mut self, what: &'static str, item_bytes: usize) -> Result<usize, WireError> {
        let len = self.get_u32(what)? as usize;
        let left = self.remaining();
        if len.saturating_mul(item_bytes.max(1)) > left {
            return Err(WireError::LengthTooLarge { what, len, left });
        }
        Ok(len)
    }

    /// Like [`Reader::get_seq`], and the length must equal `expected`.
    pub fn get_seq_exact<T: Wire>(
        &mut self,
        what: &'static str,
        expected: usize,
    ) -> Result<Vec<T>, WireError> {
        let items = self.get_seq(what)?;
        if items.len() != expected {
            return Err(WireError::Mismatch {
                what,
                expected,
                found: items.len(),
            });
        }
        Ok(items)
    }

    /// A length-prefixed sequence of exactly `expected` G1 points, decoded in
    /// parallel: decompression (a square root) and the subgroup check are
    /// most of a large proof's verification time.
    pub fn get_points_exact(
        &mut self,
        what: &'static str,
        expected: usize,
    ) -> Result<Vec<G1Affine>, WireError> {
        let len = self.get_len(what, G1_BYTES)?;
        if len != expected {
            return Err(WireError::Mismatch {
                what,
                expected,
                found: len,
            });
        }
        self.get_points_of_len(what, len)
    }

    /// A length-prefixed sequence of at most `limit` points.
    pub fn get_points_at_most(
        &mut self,
        what: &'static str,
        limit: usize,
    ) -> Result<Vec<G1Affine>, WireError> {
        let len = self.get_len(what, G1_BYTES)?;
        if len > limit {
            return Err(WireError::TooMany {
                what,
                limit,
                found: len,
            });
        }
        self.get_points_of_len(what, len)
    }

    fn get_points_of_len(
        &mut self,
        what: &'static str,
        len: usize,
    ) -> Result<Vec<G1Affine>, WireError> {
        use rayon::prelude::*;
        if !matches!(self.points, Points::Inline) {
            return (0..len).map(|_| self.get_point()).collect();
        }
        let bytes = self.take(len * G1_BYTES, what)?;
        let check = self.check;
        bytes
            .par_chunks(G1_BYTES)
            .map(|b| decode_point(b, check))
            .collect()
    }

    /// Fails if any byte is left unread.
    pub fn finish(self) -> Result<(), WireError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(WireError::TrailingBytes(self.bytes.len()))
        }
    }
}

/// A value with a checked binary encoding.
pub trait Wire: Sized {
    /// The fewest bytes any encoding of `Self` takes (bounds sequence lengths).
    const MIN_BYTES: usize;

    fn write(&self, w: &mut Writer);
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError>;

    fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.write(&mut w);
        w.into_bytes()
    }

    /// Decodes a complete value; trailing bytes are an error. Its points
    /// are decoded in parallel ([`Reader::get_parallel`]).
    fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        let v = r.get_parallel()?;
        r.finish()?;
        Ok(v)
    }
}

pub const FR_BYTES: usize = 32;
pub const G1_BYTES: usize = 48;

impl Wire for Fr {
    const MIN_BYTES: usize = FR_BYTES;

    fn write(&self, w: &mut Writer) {
        let mut buf = [0u8; FR_BYTES];
        self.serialize_compressed(&mut buf[..])
            .expect("field element fits in 32 bytes");
        w.record(Element::Scalar(*self));
        w.put_bytes(&buf);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let bytes = r.take(FR_BYTES, "field element")?;
        Fr::deserialize_with_mode(bytes, Compress::Yes, Validate::Yes).map_err(|_| {
            WireError::Invalid {
                what: "field element (not canonical)",
            }
        })
    }
}

impl Wire for G1Affine {
    const MIN_BYTES: usize = G1_BYTES;

    fn write(&self, w: &mut Writer) {
        let mut buf = [0u8; G1_BYTES];
        self.serialize_compressed(&mut buf[..])
            .expect("compressed G1 point fits in 48 bytes");
        w.record(Element::Point(*self));
        w.put_bytes(&buf);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        r.get_point()
    }
}

/// Lower-case hexadecimal, for digests in messages and file names.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A compressed point. Decompressing puts it on the curve (or fails);
/// [`PointCheck::Subgroup`] also checks it is in the prime-order subgroup.
fn decode_point(bytes: &[u8], check: PointCheck) -> Result<G1Affine, WireError> {
    let (validate, what) = match check {
        PointCheck::Subgroup => (
            Validate::Yes,
            "G1 point (not on the curve or not in the subgroup)",
        ),
        PointCheck::OnCurve => (Validate::No, "G1 point (not on the curve)"),
    };
    let p = G1Affine::deserialize_with_mode(bytes, Compress::Yes, validate)
        .map_err(|_| WireError::Invalid { what })?;
    // Without validation, decompression still solves for y, so the point
    // is on the curve; say so rather than rely on it. (`Validate::Yes`
    // checks it already.)
    if check == PointCheck::OnCurve && !p.is_on_curve() {
        return Err(WireError::Invalid { what });
    }
    Ok(p)
}

impl<T: Wire> Wire for Vec<T> {
    const MIN_BYTES: usize = 4;

    fn write(&self, w: &mut Writer) {
        w.put_seq(self);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        r.get_seq("sequence")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::AffineRepr;

    #[test]
    fn round_trips() {
        let v = vec![Fr::from(5u64), -Fr::from(9u64)];
        assert_eq!(Vec::<Fr>::from_bytes(&v.to_bytes()).unwrap(), v);
        let g = G1Affine::generator();
        assert_eq!(G1Affine::from_bytes(&g.to_bytes()).unwrap(), g);
    }

    #[test]
    fn lying_length_is_rejected_without_allocating() {
        let mut bytes = u32::MAX.to_le_bytes().to_vec();
        bytes.extend_from_slice(&[0u8; 64]);
        assert!(matches!(
            Vec::<Fr>::from_bytes(&bytes),
            Err(WireError::LengthTooLarge { .. })
        ));
    }

    #[test]
    fn non_canonical_and_trailing_bytes_are_rejected() {
        assert!(Fr::from_bytes(&[0xff; 32]).is_err());
        let mut bytes = Fr::from(1u64).to_bytes();
        bytes.push(0);
        assert_eq!(Fr::from_bytes(&bytes), Err(WireError::TrailingBytes(1)));
        assert!(G1Affine::from_bytes(&[0x12; 48]).is_err());
    }
}
