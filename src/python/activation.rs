//! GELU and ELU/SELU for Python: forward takes a C-contiguous float array x, backward
//! x and dy of the same dtype, dy of x's length or of one element that stands for all
//! (the gradient of a sum); each returns a new Storage of that dtype, computed with the
//! GIL released.

use numpy::{PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use super::convert::{self, contiguous, float_array};
use super::errors::guarded;
use super::storage::PyStorage;
use crate::activation::{self, Elu, Gelu};
use crate::element::Float;
use crate::par::chunk_for;
use crate::storage::Storage;

/// out = f(x), element-wise, into a new Storage.
fn forward<T: Float>(py: Python<'_>, xs: &[T], f: impl Fn(f64) -> f64 + Sync + Send) -> PyResult<PyStorage> {
    let out = py.detach(|| -> crate::Result<Storage> {
        let mut out = Storage::for_overwrite(T::DTYPE, xs.len())?;
        activation::forward(xs, out.as_mut_slice::<T>()?, f, chunk_for(xs.len()))?;
        Ok(out)
    })?;
    Ok(PyStorage::new(out))
}

/// dx = dy · slope(x), element-wise, into a new Storage; dy must have x's dtype.
fn backward<T: Float + numpy::Element>(
    py: Python<'_>,
    xs: &[T],
    dy: &Bound<'_, PyAny>,
    slope: impl Fn(f64) -> f64 + Sync + Send,
) -> PyResult<PyStorage> {
    let dy = dy.extract::<PyReadonlyArrayDyn<'_, T>>().map_err(|_| {
        let got = match dy.cast::<numpy::PyUntypedArray>() {
            Ok(u) => u.dtype().to_string(),
            Err(_) => format!(
                "{} (not a numpy array)",
                dy.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ),
        };
        PyTypeError::new_err(format!("dy must be a {} array like x, got {got}", T::DTYPE.name()))
    })?;
    let gs = contiguous(&dy, "dy")?;
    let out = py.detach(|| -> crate::Result<Storage> {
        let mut out = Storage::for_overwrite(T::DTYPE, xs.len())?;
        activation::backward(xs, gs, out.as_mut_slice::<T>()?, slope, chunk_for(xs.len()))?;
        Ok(out)
    })?;
    Ok(PyStorage::new(out))
}

/// GELU(x) element-wise; `approximate` is "none" (exact, from erfc) or "tanh".
#[pyfunction]
#[pyo3(signature = (x, approximate = "none"))]
pub fn gelu(py: Python<'_>, x: &Bound<'_, PyAny>, approximate: &str) -> PyResult<PyStorage> {
    guarded(|| {
        let form = Gelu::parse(approximate)?;
        float_array!(x, "x", |xs| forward(py, xs, |v| form.value(v)))
    })
}

/// dy · GELU'(x) element-wise.
#[pyfunction]
#[pyo3(signature = (x, dy, approximate = "none"))]
pub fn gelu_backward(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    dy: &Bound<'_, PyAny>,
    approximate: &str,
) -> PyResult<PyStorage> {
    guarded(|| {
        let form = Gelu::parse(approximate)?;
        float_array!(x, "x", |xs| backward(py, xs, dy, |v| form.slope(v)))
    })
}

/// alpha, and scale (1 when not given), each a finite real number.
fn elu_params(alpha: &Bound<'_, PyAny>, scale: Option<&Bound<'_, PyAny>>) -> PyResult<Elu> {
    let scale = scale.map(|s| convert::finite(s, "scale")).transpose()?.unwrap_or(1.0);
    Ok(Elu { alpha: convert::finite(alpha, "alpha")?, scale })
}

/// scale · ELU_alpha(x) element-wise (SELU: alpha = ALPHA, scale = LAMBDA).
#[pyfunction]
#[pyo3(signature = (x, alpha, scale = None))]
pub fn elu(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    alpha: &Bound<'_, PyAny>,
    scale: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyStorage> {
    guarded(|| {
        let elu = elu_params(alpha, scale)?;
        float_array!(x, "x", |xs| forward(py, xs, |v| elu.value(v)))
    })
}

/// dy · (scale · ELU_alpha)'(x) element-wise.
#[pyfunction]
#[pyo3(signature = (x, dy, alpha, scale = None))]
pub fn elu_backward(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    dy: &Bound<'_, PyAny>,
    alpha: &Bound<'_, PyAny>,
    scale: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyStorage> {
    guarded(|| {
        let elu = elu_params(alpha, scale)?;
        float_array!(x, "x", |xs| backward(py, xs, dy, |v| elu.slope(v)))
    })
}
