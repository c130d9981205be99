//! The chunking and the thread pool for Python: `set_num_threads`, `get_num_threads`,
//! `parallel_copy` (the floor the benchmarks compare kernels against), and a probe that
//! panics on a worker, so tests can check that a panic reaches Python as RuntimeError.

use pyo3::prelude::*;

use super::convert::{self, float_array, guarded};
use super::storage::PyStorage;
use crate::par::Chunk;
use crate::storage::{Element, Storage};

/// A new Storage holding a copy of the C-contiguous float array `src`, made with the
/// kernels' chunking and thread pool: the floor the benchmarks compare kernels against.
#[pyfunction]
pub fn parallel_copy(py: Python<'_>, src: &Bound<'_, PyAny>) -> PyResult<PyStorage> {
    guarded(|| {
        fn run<T: Element>(py: Python<'_>, xs: &[T]) -> PyResult<PyStorage> {
            let out = py.detach(|| -> crate::Result<Storage> {
                let mut s = Storage::for_overwrite(T::DTYPE, xs.len())?;
                crate::par::copy(xs, s.as_mut_slice::<T>()?, Chunk::for_len(xs.len()))?;
                Ok(s)
            })?;
            Ok(PyStorage::new(out))
        }
        float_array!(src, "src", |xs| run(py, xs))
    })
}

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
