//! The thread pool for Python: `set_num_threads`, `get_num_threads`, and a probe that
//! panics on a worker, so tests can check that a panic reaches Python as RuntimeError.

use pyo3::prelude::*;

use super::convert;
use super::convert::guarded;

/// Run the kernels on `n` threads from now on.
#[pyfunction]
pub fn set_num_threads(py: Python<'_>, n: &Bound<'_, PyAny>) -> PyResult<()> {
    guarded(|| {
        let n = convert::size(n, "n")?;
        Ok(py.detach(|| crate::par::set_num_threads(n))?)
    })
}

/// How many threads the kernels run on.
#[pyfunction]
pub fn get_num_threads(py: Python<'_>) -> PyResult<usize> {
    guarded(|| Ok(py.detach(crate::par::num_threads)?))
}

/// Panic with `message` on one of the pool's workers (a test of the boundary).
#[pyfunction]
pub fn _panic_in_pool(py: Python<'_>, message: String) -> PyResult<()> {
    guarded(|| {
        py.detach(|| crate::par::install(|| rayon::join(|| (), || panic!("{message}"))))?;
        Ok(())
    })
}
