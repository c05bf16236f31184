use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PcsError {
    #[error(
        "commitment has {found} row commitments, a {num_vars}-variable table has at most {expected}"
    )]
    WrongRowCount {
        num_vars: usize,
        expected: usize,
        found: usize,
    },
    #[error("evaluation point has {found} coordinates, the commitment has {expected} variables")]
    WrongPointDimension { expected: usize, found: usize },
    #[error("batched commitments have different shapes ({first} and {other} variables)")]
    MixedShapes { first: usize, other: usize },
    #[error("batched commitments have rows of different widths (2^{first} and 2^{other})")]
    MixedWidths { first: usize, other: usize },
    #[error("{commitments} commitments but {values} claimed values")]
    BatchLengthMismatch { commitments: usize, values: usize },
    #[error("a {num_vars}-variable commitment has rows of 2^{found} entries, these generators lay it out in rows of 2^{expected} (or its square shape)")]
    WrongLayout {
        num_vars: usize,
        expected: usize,
        found: usize,
    },
    #[error("generators support {available} columns, the table needs {needed}")]
    NotEnoughGenerators { needed: usize, available: usize },
    #[error("inner-product argument has {found} rounds, expected {expected}")]
    WrongRoundCount { expected: usize, found: usize },
    #[error("opening proof rejected: the commitment does not open to the claimed value")]
    OpeningRejected,
    #[error(
        "a row fold of matrix {matrix} takes rows {first_row}..+{rows}, the matrix has {full_rows}"
    )]
    FoldOutOfRange {
        matrix: usize,
        first_row: usize,
        rows: usize,
        full_rows: usize,
    },
    #[error("table has {len} entries, more than a {num_vars}-variable commitment holds")]
    TableTooLong { len: usize, num_vars: usize },
}
