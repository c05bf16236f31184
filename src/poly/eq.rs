use ark_ff::{One, Zero};

use crate::field::Fr;

/// `eq(a, b) = Π_j (a_j·b_j + (1 − a_j)(1 − b_j))`, the multilinear extension
/// of equality on the hypercube.
pub fn eq_eval(a: &[Fr], b: &[Fr]) -> Fr {
    assert_eq!(a.len(), b.len(), "eq of points of different dimension");
    a.iter()
        .zip(b)
        .map(|(x, y)| *x * y + (Fr::one() - x) * (Fr::one() - y))
        .product()
}

/// The table `eq(point, x)` for every Boolean `x`, in the crate's index order
/// (`point[j]` pairs with bit `j`). `2^n` entries for `n = point.len()`.
pub fn eq_table(point: &[Fr]) -> Vec<Fr> {
    let mut table = vec![Fr::zero(); 1 << point.len()];
    table[0] = Fr::one();
    for (j, r) in point.iter().enumerate() {
        let size = 1 << j;
        for i in 0..size {
            let v = table[i];
            table[i + size] = v * r;
            table[i] = v - table[i + size];
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eq_table_entries_are_eq_evals() {
        let point = [Fr::from(3u64), Fr::from(8u64), Fr::from(21u64)];
        let table = eq_table(&point);
        for (i, t) in table.iter().enumerate() {
            let b: Vec<Fr> = (0..3).map(|j| Fr::from(((i >> j) & 1) as u64)).collect();
            assert_eq!(*t, eq_eval(&point, &b));
        }
        assert_eq!(table.iter().sum::<Fr>(), Fr::one());
        assert_eq!(eq_table(&[]), vec![Fr::one()]);
    }
}
