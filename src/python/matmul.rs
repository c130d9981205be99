//! `matmul(a, b, out=None)`: the core's matrix product (`crate::matmul`) for numpy
//! arrays of float32 or float64, 2-D or 3-D (a batch), C-contiguous or strided
//! (transposed views included), with the GIL released while it runs.

use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use super::convert::guarded;
use super::storage::PyStorage;
use crate::matmul::{Operand, Scalar};
use crate::storage::Storage;

/// `a @ b` for float32 or float64 arrays of one dtype: (m, k) @ (k, n) gives (m, n);
/// with a batch, (B, m, k) @ (B, k, n), or a 2-D operand (or a batch of 1) used for
/// every matrix of the other, gives (B, m, n). Any non-negative, element-aligned
/// strides are read in place (a transposed view is not copied). Without `out` the
/// result is a new Storage; `out` (C-contiguous, writeable, of the result's shape and
/// dtype, sharing no memory with a or b) receives it instead, and None is returned.
#[pyfunction]
#[pyo3(signature = (a, b, out = None))]
pub fn matmul(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    out: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<PyStorage>> {
    guarded(|| {
        let out = out.filter(|o| !o.is_none());
        if let Ok(a) = a.cast::<PyArrayDyn<f32>>() {
            run(py, a, b, out)
        } else if let Ok(a) = a.cast::<PyArrayDyn<f64>>() {
            run(py, a, b, out)
        } else {
            Err(PyTypeError::new_err(format!("a must be a float32 or float64 array, got {}", dtype_of(a)?)))
        }
    })
}

fn dtype_of(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(match obj.cast::<PyUntypedArray>() {
        Ok(u) => u.dtype().to_string(),
        Err(_) => format!("{} (not a numpy array)", obj.get_type().name()?),
    })
}

/// The array `obj` of `a`'s dtype T, or a TypeError naming `name`.
fn same_dtype<'py, T: Scalar + numpy::Element>(
    obj: &Bound<'py, PyAny>,
    name: &str,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    obj.cast::<PyArrayDyn<T>>().cloned().map_err(|_| match dtype_of(obj) {
        Ok(dtype) => {
            PyTypeError::new_err(format!("{name} must be a {} array, as a is, got {dtype}", T::DTYPE.name()))
        }
        Err(e) => e,
    })
}

fn run<T: Scalar + numpy::Element>(
    py: Python<'_>,
    a: &Bound<'_, PyArrayDyn<T>>,
    b: &Bound<'_, PyAny>,
    out: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<PyStorage>> {
    let b = same_dtype::<T>(b, "b")?;
    let (ra, rb) = (readonly(a, "a")?, readonly(&b, "b")?);
    let (oa, span_a) = operand(a, &ra, "a")?;
    let (ob, span_b) = operand(&b, &rb, "b")?;
    let ([ba, m, _], [bb, _, n]) = (oa.shape(), ob.shape());
    let shape: Vec<usize> = if a.ndim() == 2 && b.ndim() == 2 { vec![m, n] } else { vec![ba.max(bb), m, n] };
    let Some(out) = out else {
        let numel = shape.iter().product();
        let s = py.detach(|| -> crate::Result<Storage> {
            let mut s = Storage::for_overwrite(T::DTYPE, numel)?;
            crate::matmul::matmul(oa, ob, s.as_mut_slice::<T>()?)?;
            Ok(s)
        })?;
        return Ok(Some(PyStorage::new(s)));
    };
    let out = same_dtype::<T>(out, "out")?;
    if out.shape() != shape.as_slice() || !out.is_c_contiguous() {
        return Err(PyValueError::new_err(format!(
            "out must be a C-contiguous array of shape {shape:?}, got shape {:?} with strides {:?}",
            out.shape(),
            out.strides()
        )));
    }
    let start = out.data() as usize;
    let end = start + out.len() * std::mem::size_of::<T>();
    if [span_a, span_b].iter().any(|&(s, e)| s < end && start < e) {
        return Err(PyValueError::new_err("out must not share memory with a or b"));
    }
    let mut rw = out.try_readwrite().map_err(|e| PyValueError::new_err(format!("out: {e}")))?;
    let dst = rw.as_slice_mut().map_err(|e| PyValueError::new_err(format!("out: {e}")))?;
    py.detach(|| crate::matmul::matmul(oa, ob, dst))?;
    Ok(None)
}

fn readonly<'py, T: Scalar + numpy::Element>(
    a: &Bound<'py, PyArrayDyn<T>>,
    name: &str,
) -> PyResult<numpy::PyReadonlyArrayDyn<'py, T>> {
    a.try_readonly().map_err(|e| PyValueError::new_err(format!("{name}: {e}")))
}

/// The operand that array `a` (2-D or 3-D, non-negative element strides) is, and the
/// byte range its elements span.
fn operand<'a, T: Scalar + numpy::Element>(
    a: &Bound<'_, PyArrayDyn<T>>,
    _borrow: &'a numpy::PyReadonlyArrayDyn<'_, T>,
    name: &'static str,
) -> PyResult<(Operand<'a, T>, (usize, usize))> {
    let item = std::mem::size_of::<T>() as isize;
    let bad = |what: &str| {
        PyValueError::new_err(format!(
            "{name} must be {what}, got shape {:?} with strides {:?}",
            a.shape(),
            a.strides()
        ))
    };
    if !(2..=3).contains(&a.ndim()) {
        return Err(bad("a 2-D or 3-D array"));
    }
    let ptr = a.data();
    if a.strides().iter().any(|&s| s < 0 || s % item != 0) || !ptr.is_aligned() {
        return Err(bad("an aligned array with non-negative strides"));
    }
    let (mut shape, mut strides) = ([1usize; 3], [0usize; 3]);
    let lead = 3 - a.ndim();
    for (i, (&d, &s)) in a.shape().iter().zip(a.strides()).enumerate() {
        shape[lead + i] = d;
        strides[lead + i] = (s / item) as usize;
    }
    let span = if shape.contains(&0) {
        0
    } else {
        1 + shape.iter().zip(strides).map(|(&d, s)| (d - 1) * s).sum::<usize>()
    };
    let data: &'a [T] = if span == 0 {
        &[]
    } else {
        // SAFETY: numpy places every element of `a` inside one buffer, and with
        // non-negative strides the first element is the lowest address and the element
        // at offset span - 1 the highest, so these span elements lie in that buffer.
        // `_borrow` keeps numpy's borrow of the array (no writer from Rust) for 'a.
        unsafe { std::slice::from_raw_parts(ptr, span) }
    };
    let start = ptr as usize;
    Ok((Operand::new(data, shape, strides, name)?, (start, start + span * item as usize)))
}
