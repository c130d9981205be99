//! What every binding shares: conversions in, errors out. In: float arrays
//! (`float_array!`, `contiguous`), counts, shapes, chunks, seeds, p and real numbers.
//! pyo3's own conversion raises OverflowError for a negative or huge int and names the
//! argument only in a note; these raise a TypeError for the wrong type and a ValueError
//! for a value out of range, each naming the argument and its value, as the package's
//! checks in Python do. Out: the one mapping of core errors to Python exceptions, and
//! `guarded`, which turns any panic into a RuntimeError.

use pyo3::exceptions::{PyMemoryError, PyOverflowError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyTuple, PyType};

use crate::error::LucidError;
use crate::par::Chunk;
use crate::storage::Element;

impl From<LucidError> for PyErr {
    fn from(err: LucidError) -> PyErr {
        let msg = err.to_string();
        match err {
            LucidError::Value { .. } => PyValueError::new_err(msg),
            LucidError::Type { .. } => PyTypeError::new_err(msg),
            LucidError::Alloc { .. } => PyMemoryError::new_err(msg),
            LucidError::Runtime(_) => PyRuntimeError::new_err(msg),
        }
    }
}

/// Run a binding's body, turning a panic anywhere in it (the GIL-holding code, a
/// kernel with the GIL released, a worker of the thread pool) into a RuntimeError
/// that `except Exception` catches, instead of pyo3's PanicException, which derives
/// from BaseException. No panic is expected: this is the last line of defence.
pub fn guarded<R>(body: impl FnOnce() -> PyResult<R>) -> PyResult<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string());
        Err(PyRuntimeError::new_err(format!("internal error in lucid's core (please report it): {what}")))
    })
}

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

/// `numbers.Real`, imported once.
fn real_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static REAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    REAL.import(py, "numbers", "Real")
}

/// The drop probability p: a real number (not a bool) whose float lies in [0, 1].
/// The type and the conversion are checked here, the range by the core's one rule
/// ([`crate::dropout::check_p`]); every binding that takes p comes through here.
pub fn probability(obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    if obj.is_instance_of::<PyBool>() || !obj.is_instance(real_type(obj.py())?)? {
        return Err(PyTypeError::new_err(format!("p must be a number in [0, 1], got {}", describe(obj))));
    }
    let p = obj.extract::<f64>().map_err(|e| {
        if e.is_instance_of::<PyOverflowError>(obj.py()) {
            // An int beyond float range, shown as Python's str() shows it.
            let shown = obj.str().map(|s| s.to_string()).unwrap_or_default();
            PyValueError::new_err(format!("p must be a probability in [0, 1], got {shown}"))
        } else {
            e
        }
    })?;
    Ok(crate::dropout::check_p(p)?)
}

/// An optional chunk size (None: `default`), checked by the core's one rule.
pub fn chunk(obj: Option<&Bound<'_, PyAny>>, default: Chunk) -> PyResult<Chunk> {
    Ok(opt_chunk(obj)?.unwrap_or(default))
}

/// `chunk` when given (the one rule, [`Chunk::new`]), for a caller whose default
/// depends on a length it learns later.
pub fn opt_chunk(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Chunk>> {
    opt_size(obj, "chunk")?.map(|n| Chunk::new(n).map_err(PyErr::from)).transpose()
}

/// A shape: a tuple of counts.
pub fn shape(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<usize>> {
    let tuple = obj.cast::<PyTuple>().map_err(|_| {
        PyTypeError::new_err(format!("{name} must be a tuple of ints, got {}", describe(obj)))
    })?;
    tuple.iter().map(|d| size(&d, name)).collect()
}

/// An activation's parameters: a tuple of finite real numbers, `()` by default.
#[derive(Default)]
pub struct Params(pub Vec<f64>);

impl<'a, 'py> FromPyObject<'a, 'py> for Params {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Params> {
        let tuple = obj.cast::<PyTuple>().map_err(|_| {
            PyTypeError::new_err(format!("params must be a tuple of real numbers, got {}", describe(&obj)))
        })?;
        tuple.iter().map(|v| finite(&v, "params")).collect::<PyResult<_>>().map(Params)
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

/// `obj` as an array of T, the dtype of the array named `like` (a TypeError naming
/// `name` and what it got otherwise).
pub(crate) fn array_like<'py, T: Element + numpy::Element>(
    obj: &Bound<'py, PyAny>,
    name: &str,
    like: &str,
) -> PyResult<numpy::PyReadonlyArrayDyn<'py, T>> {
    use numpy::PyUntypedArrayMethods;
    obj.extract::<numpy::PyReadonlyArrayDyn<'py, T>>().map_err(|_| {
        let got = match obj.cast::<numpy::PyUntypedArray>() {
            Ok(u) => u.dtype().to_string(),
            Err(_) => format!(
                "{} (not a numpy array)",
                obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ),
        };
        PyTypeError::new_err(format!("{name} must be a {} array like {like}, got {got}", T::DTYPE.name()))
    })
}
