//! Integer tensors kept in their narrowest little-endian width (2, 4 or 8
//! bytes per entry), read in place: a proving key's weights through a
//! memory map of the key file, never as a full `i64` copy. A model's
//! quantized weights are 16-bit or narrower, so a 124M-parameter key holds
//! 250 MB of them instead of 1 GB.

use std::sync::Arc;

use rayon::prelude::*;

/// Bytes per stored entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntWidth {
    I16,
    I32,
    I64,
}

impl IntWidth {
    pub fn bytes(self) -> usize {
        match self {
            IntWidth::I16 => 2,
            IntWidth::I32 => 4,
            IntWidth::I64 => 8,
        }
    }
    /// The file's tag for the width (its byte count).
    pub fn tag(self) -> u8 {
        self.bytes() as u8
    }
    pub fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            2 => Some(IntWidth::I16),
            4 => Some(IntWidth::I32),
            8 => Some(IntWidth::I64),
            _ => None,
        }
    }
    /// The narrowest width that holds every value.
    pub fn narrowest(values: &[i64]) -> Self {
        let (lo, hi) = values
            .par_iter()
            .fold(|| (0i64, 0i64), |(lo, hi), &v| (lo.min(v), hi.max(v)))
            .reduce(|| (0, 0), |a, b| (a.0.min(b.0), a.1.max(b.1)));
        if lo >= i16::MIN as i64 && hi <= i16::MAX as i64 {
            IntWidth::I16
        } else if lo >= i32::MIN as i64 && hi <= i32::MAX as i64 {
            IntWidth::I32
        } else {
            IntWidth::I64
        }
    }
}

/// The bytes a [`StoredInts`] reads from: a file's memory map or a buffer.
pub enum Backing {
    Map(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Backing {
    fn bytes(&self) -> &[u8] {
        match self {
            Backing::Map(m) => m,
            Backing::Owned(v) => v,
        }
    }
}

/// `len` integers of `width` at `offset` of a shared backing.
#[derive(Clone)]
pub struct StoredInts {
    backing: Arc<Backing>,
    offset: usize,
    len: usize,
    width: IntWidth,
}

impl std::fmt::Debug for StoredInts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoredInts({} × {:?})", self.len, self.width)
    }
}

impl PartialEq for StoredInts {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && (0..self.len.div_ceil(CHUNK))
                .into_par_iter()
                .all(|k| self.chunk(k) == other.chunk(k))
    }
}

const CHUNK: usize = 1 << 14;

impl StoredInts {
    /// A view of `len` entries of `width` at `offset`; `None` if they run
    /// past the backing.
    pub fn new(backing: Arc<Backing>, offset: usize, len: usize, width: IntWidth) -> Option<Self> {
        let end = len.checked_mul(width.bytes())?.checked_add(offset)?;
        (end <= backing.bytes().len()).then_some(Self {
            backing,
            offset,
            len,
            width,
        })
    }

    /// The values in their narrowest width, in a buffer of their own.
    pub fn from_values(values: &[i64]) -> Self {
        let width = IntWidth::narrowest(values);
        let mut bytes = Vec::with_capacity(values.len() * width.bytes());
        write_values(&mut bytes, values, width);
        Self {
            backing: Arc::new(Backing::Owned(bytes)),
            offset: 0,
            len: values.len(),
            width,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn width(&self) -> IntWidth {
        self.width
    }

    /// The stored bytes (`len · width` of them).
    pub fn raw(&self) -> &[u8] {
        &self.backing.bytes()[self.offset..self.offset + self.len * self.width.bytes()]
    }

    /// Entries `start..start + n` into `buf` (cleared first).
    pub fn read(&self, start: usize, n: usize, buf: &mut Vec<i64>) {
        assert!(start + n <= self.len, "read past the stored tensor");
        let w = self.width.bytes();
        let raw = &self.raw()[start * w..(start + n) * w];
        buf.clear();
        buf.reserve(n);
        match self.width {
            IntWidth::I16 => buf.extend(
                raw.chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]) as i64),
            ),
            IntWidth::I32 => buf.extend(
                raw.chunks_exact(4)
                    .map(|b| i32::from_le_bytes(b.try_into().expect("4 bytes")) as i64),
            ),
            IntWidth::I64 => buf.extend(
                raw.chunks_exact(8)
                    .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes"))),
            ),
        }
    }

    fn chunk(&self, k: usize) -> Vec<i64> {
        let mut buf = Vec::new();
        let start = k * CHUNK;
        self.read(start, CHUNK.min(self.len - start), &mut buf);
        buf
    }

    /// Every entry as `i64` (one tensor at a time, where a whole one is needed).
    pub fn to_vec(&self) -> Vec<i64> {
        let mut out = vec![0i64; self.len];
        out.par_chunks_mut(CHUNK).enumerate().for_each(|(k, o)| {
            o.copy_from_slice(&self.chunk(k));
        });
        out
    }

    /// The first entry (in order) outside `[-2^(bits-1), 2^(bits-1))`, and
    /// its value.
    pub fn first_outside(&self, bits: u32) -> Option<(usize, i64)> {
        let half = 1i128 << (bits - 1);
        (0..self.len.div_ceil(CHUNK))
            .into_par_iter()
            .filter_map(|k| {
                let c = self.chunk(k);
                c.iter()
                    .position(|&v| (v as i128) < -half || (v as i128) >= half)
                    .map(|i| (k * CHUNK + i, c[i]))
            })
            .min_by_key(|(i, _)| *i)
    }
}

/// Appends `values` in `width` (each must fit it).
pub fn write_values(out: &mut Vec<u8>, values: &[i64], width: IntWidth) {
    for &v in values {
        match width {
            IntWidth::I16 => out.extend_from_slice(&(v as i16).to_le_bytes()),
            IntWidth::I32 => out.extend_from_slice(&(v as i32).to_le_bytes()),
            IntWidth::I64 => out.extend_from_slice(&v.to_le_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_in_their_narrowest_width() {
        for (values, width) in [
            (vec![0, -32768, 32767, 5], IntWidth::I16),
            (vec![1, -32769], IntWidth::I32),
            (vec![i64::from(i32::MAX) + 1], IntWidth::I64),
        ] {
            let s = StoredInts::from_values(&values);
            assert_eq!(s.width(), width);
            assert_eq!(s.to_vec(), values);
            let mut buf = vec![9];
            s.read(1, values.len() - 1, &mut buf);
            assert_eq!(buf, values[1..]);
        }
        let s = StoredInts::from_values(&[3, -4, 8, 7]);
        assert_eq!(s.first_outside(4), Some((2, 8)));
        assert_eq!(s.first_outside(5), None);
        let b = Arc::new(Backing::Owned(vec![0; 6]));
        assert!(StoredInts::new(b.clone(), 2, 2, IntWidth::I16).is_some());
        assert!(StoredInts::new(b, 2, 3, IntWidth::I16).is_none());
    }
}
