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

/// An error and its causes on one line: `a: b: c`, for logs and messages.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The store has no space left for a write, so the write was not made: a condition of the
/// machine, not of the request, that clears once space returns.
#[derive(Debug, thiserror::Error)]
#[error("the store has no space left")]
pub struct StorageFull {
    #[source]
    pub cause: BoxError,
}

/// Whether `error`, or any of its causes, is `StorageFull`.
pub fn is_storage_full(error: &(dyn std::error::Error + 'static)) -> bool {
    caused_by::<StorageFull>(error)
}

/// Whether `error`, or any of its causes, is a `T`.
pub fn caused_by<T: std::error::Error + 'static>(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(current) = next {
        if current.is::<T>() {
            return true;
        }
        next = current.source();
    }
    false
}
