//! The element-wise activations of the core's table (`crate::activation`) for Python:
//! `activation_forward(name, x, params)` and `activation_backward(name, x, dy, params)`
//! serve every one, so a new activation needs nothing here. Forward takes a
//! C-contiguous float array x, backward x and dy of the same dtype, dy of x's length or
//! of one element that stands for all (the gradient of a sum); each returns a new
//! Storage of that dtype, computed with the GIL released.

use pyo3::prelude::*;

use super::convert::{array_like, contiguous, float_array, guarded, Params};
use super::storage::PyStorage;
use crate::activation::{self, Activation};
use crate::par::Chunk;
use crate::simd::Float;
use crate::storage::Storage;

/// out = act(x), element-wise, into a new Storage.
fn forward<T: Float>(py: Python<'_>, xs: &[T], act: Activation) -> PyResult<PyStorage> {
    let out = py.detach(|| -> crate::Result<Storage> {
        let mut out = Storage::for_overwrite(T::DTYPE, xs.len())?;
        activation::forward(xs, out.as_mut_slice::<T>()?, act, Chunk::for_len(xs.len()))?;
        Ok(out)
    })?;
    Ok(PyStorage::new(out))
}

/// dx = dy · act'(x), element-wise, into a new Storage; dy must have x's dtype.
fn backward<T: Float + numpy::Element>(
    py: Python<'_>,
    xs: &[T],
    dy: &Bound<'_, PyAny>,
    act: Activation,
) -> PyResult<PyStorage> {
    let dy = array_like::<T>(dy, "dy", "x")?;
    let gs = contiguous(&dy, "dy")?;
    let out = py.detach(|| -> crate::Result<Storage> {
        let mut out = Storage::for_overwrite(T::DTYPE, xs.len())?;
        activation::backward(xs, gs, out.as_mut_slice::<T>()?, act, Chunk::for_len(xs.len()))?;
        Ok(out)
    })?;
    Ok(PyStorage::new(out))
}

/// The activation `name` ("elu", "selu", "gelu", "gelu_tanh") of x, element-wise.
#[pyfunction]
#[pyo3(signature = (name, x, params = Params::default()), text_signature = "(name, x, params=())")]
pub fn activation_forward(
    py: Python<'_>,
    name: &str,
    x: &Bound<'_, PyAny>,
    params: Params,
) -> PyResult<PyStorage> {
    guarded(|| {
        let act = Activation::parse(name, &params.0)?;
        float_array!(x, "x", |xs| forward(py, xs, act))
    })
}

/// dy · act'(x) element-wise for the activation `name`.
#[pyfunction]
#[pyo3(signature = (name, x, dy, params = Params::default()), text_signature = "(name, x, dy, params=())")]
pub fn activation_backward(
    py: Python<'_>,
    name: &str,
    x: &Bound<'_, PyAny>,
    dy: &Bound<'_, PyAny>,
    params: Params,
) -> PyResult<PyStorage> {
    guarded(|| {
        let act = Activation::parse(name, &params.0)?;
        float_array!(x, "x", |xs| backward(py, xs, dy, act))
    })
}
