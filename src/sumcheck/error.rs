use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SumcheckError {
    #[error("proof has {found} rounds, the statement has {expected} variables")]
    WrongRoundCount { expected: usize, found: usize },
    #[error("round {round}: message has {found} evaluations, degree {degree} needs {}", degree + 1)]
    WrongDegree {
        round: usize,
        degree: usize,
        found: usize,
    },
    #[error("round {round}: g(0) + g(1) does not equal the running claim")]
    RoundSumMismatch { round: usize },
    #[error("final evaluation does not match the claimed values of the factors")]
    FinalEvaluationMismatch,
}
