//! The conversions every binding shares: float arrays (`float_array!`, `contiguous`)
//! and integer, probability and real arguments. pyo3's own conversion raises OverflowError for a
//! negative or huge int and names the argument only in a note; these raise a TypeError
//! for the wrong type and a ValueError for a value out of range, each naming the
//! argument and its value, as the package's checks in Python do.

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBool;

fn describe(obj: &Bound<'_, PyAny>) -> String {
    let ty = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
    let repr = obj.repr().map(|r| r.to_string()).unwrap_or_default();
    format!("{ty} {repr}")
}

fn not_an_int(obj: &Bound<'_, PyAny>, name: &str) -> PyErr {
    PyTypeError::new_err(format!("{name} must be an int, got {}", describe(obj)))
}

fn out_of_range(obj: &Bound<'_, PyAny>, name: &str, expected: &str) -> PyErr {
    let repr = obj.repr().map(|r| r.to_string()).unwrap_or_default();
    PyValueError::new_err(format!("{name} must be {expected}, got {repr}"))
}

/// An int (or numpy integer; not a bool) in [0, 2**64).
pub fn unsigned(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<u64> {
    if obj.is_instance_of::<PyBool>() {
        return Err(not_an_int(obj, name));
    }
    match obj.extract::<u64>() {
        Ok(v) => Ok(v),
        Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => {
            Err(out_of_range(obj, name, "in [0, 2**64)"))
        }
        Err(_) => Err(not_an_int(obj, name)),
    }
}

/// `Generator`'s stream, an argument with a default (0), which a `&Bound` cannot have.
pub struct Stream(pub u64);

impl<'a, 'py> FromPyObject<'a, 'py> for Stream {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Stream> {
        unsigned(&obj, "stream").map(Stream)
    }
}

/// A count of elements (numel, row, chunk).
pub fn size(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<usize> {
    usize::try_from(unsigned(obj, name)?).map_err(|_| out_of_range(obj, name, "in [0, usize::MAX]"))
}

pub fn opt_size(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<usize>> {
    obj.filter(|o| !o.is_none()).map(|o| size(o, name)).transpose()
}

/// A seed: an int in [-2**63, 2**64); negatives wrap to their 64 bits, as
/// `lucid.random.seed` and PyTorch's `manual_seed` take them.
pub fn seed(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<u64> {
    match unsigned(obj, name) {
        Err(e) if e.is_instance_of::<PyValueError>(obj.py()) => match obj.extract::<i64>() {
            Ok(v) => Ok(v as u64),
            Err(_) => Err(out_of_range(obj, name, "in [-2**63, 2**64)")),
        },
        other => other,
    }
}

/// The drop probability p as a float; whether it lies in [0, 1] is the core's check.
pub fn probability(obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    let not_a_number =
        || PyTypeError::new_err(format!("p must be a number in [0, 1], got {}", describe(obj)));
    if obj.is_instance_of::<PyBool>() {
        return Err(not_a_number());
    }
    match obj.extract::<f64>() {
        Ok(p) => Ok(p),
        Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => {
            Err(out_of_range(obj, "p", "a probability in [0, 1]"))
        }
        Err(_) => Err(not_a_number()),
    }
}

/// A finite real number (an int or float, numpy's too; not a bool).
pub fn finite(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<f64> {
    let not_a_number =
        || PyTypeError::new_err(format!("{name} must be a real number, got {}", describe(obj)));
    if obj.is_instance_of::<PyBool>() {
        return Err(not_a_number());
    }
    match obj.extract::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(out_of_range(obj, name, "finite")),
        Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => Err(out_of_range(obj, name, "finite")),
        Err(_) => Err(not_a_number()),
    }
}

/// Run `$body` with `$slice` bound to the contiguous float32 or float64 data of the
/// numpy array `$arr`; any other dtype is a TypeError naming `$name`.
macro_rules! float_array {
    ($arr:expr, $name:expr, |$slice:ident| $body:expr) => {{
        use numpy::{PyReadonlyArrayDyn, PyUntypedArrayMethods};
        let arr = $arr;
        if let Ok(a) = arr.extract::<PyReadonlyArrayDyn<'_, f32>>() {
            let $slice: &[f32] = $crate::python::convert::contiguous(&a, $name)?;
            $body
        } else if let Ok(a) = arr.extract::<PyReadonlyArrayDyn<'_, f64>>() {
            let $slice: &[f64] = $crate::python::convert::contiguous(&a, $name)?;
            $body
        } else {
            let dtype = match arr.cast::<numpy::PyUntypedArray>() {
                Ok(u) => u.dtype().to_string(),
                Err(_) => format!("{} (not a numpy array)", arr.get_type().name()?),
            };
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "{} must be a float32 or float64 array, got {}",
                $name, dtype
            )));
        }
    }};
}
pub(crate) use float_array;

/// The elements of `a` in C order. `as_slice` alone would also take a Fortran-ordered
/// array and hand over its elements in memory order, which is not the array's order.
pub(crate) fn contiguous<'a, T: numpy::Element>(
    a: &'a numpy::PyReadonlyArrayDyn<'_, T>,
    name: &str,
) -> PyResult<&'a [T]> {
    use numpy::PyUntypedArrayMethods;
    let slice = if a.is_c_contiguous() { a.as_slice().ok() } else { None };
    slice.ok_or_else(|| {
        let what = if a.is_c_contiguous() { "a misaligned" } else { "a non-C-contiguous" };
        PyValueError::new_err(format!(
            "{name} must be a C-contiguous, aligned array, got {what} one (shape {:?}, strides {:?})",
            a.shape(),
            a.strides()
        ))
    })
}
