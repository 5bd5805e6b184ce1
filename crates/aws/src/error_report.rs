//! `Debug` for the errors a Lambda's `main` returns: the runtime prints a returned error with
//! `{:?}`, so these print their message and causes rather than their fields.

use std::error::Error;
use std::fmt;

pub(crate) fn fmt_report(error: &dyn Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{error}")?;
    let mut source = error.source();
    while let Some(cause) = source {
        write!(f, "\n  caused by: {cause}")?;
        source = cause.source();
    }
    Ok(())
}
