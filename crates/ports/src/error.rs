//! The error every port returns when the outside world let it down.

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A port operation that failed, naming what was attempted and keeping the cause.
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed")]
pub struct PortError {
    pub operation: &'static str,
    #[source]
    pub source: BoxError,
}

impl PortError {
    pub fn new(operation: &'static str, source: impl Into<BoxError>) -> PortError {
        PortError {
            operation,
            source: source.into(),
        }
    }
}
