//! GELU for Python: the value or the derivative of a C-contiguous float array, as a
//! new Storage of its dtype, computed with the GIL released.

use pyo3::prelude::*;

use super::dropout::float_array;
use super::storage::PyStorage;
use crate::activation::{self, Gelu};
use crate::par::chunk_for;
use crate::storage::Storage;

/// GELU(x) element-wise, or GELU'(x) when `derivative`; `approximate` is "none"
/// (exact, from erfc) or "tanh".
#[pyfunction]
#[pyo3(signature = (x, approximate = "none", derivative = false))]
pub fn gelu(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    approximate: &str,
    derivative: bool,
) -> PyResult<PyStorage> {
    let form = Gelu::parse(approximate)?;
    fn run<T: crate::rng::Float>(
        py: Python<'_>,
        xs: &[T],
        form: Gelu,
        derivative: bool,
    ) -> PyResult<PyStorage> {
        let out = py.detach(|| -> crate::Result<Storage> {
            let mut out = Storage::for_overwrite(T::DTYPE, xs.len())?;
            activation::gelu(xs, out.as_mut_slice::<T>()?, form, derivative, chunk_for(xs.len()))?;
            Ok(out)
        })?;
        Ok(PyStorage::new(out))
    }
    float_array!(x, "x", |xs| run(py, xs, form, derivative))
}
