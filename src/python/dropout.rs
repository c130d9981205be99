//! The dropout family for Python: a forward returns the output Storage and a `Mask`
//! (the bits, n / 8 bytes, with the coefficients); backward takes the upstream
//! gradient and that mask. `kind` is "alpha" or "standard".

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::args;
use super::generator::PyGenerator;
use super::storage::PyStorage;
use crate::dropout::{self, alpha, channel, standard, Coefficients};
use crate::mask::BitMask;
use crate::par::chunk_for;
use crate::storage::{DType, Storage};

/// Run `$body` with `$slice` bound to the contiguous float32 or float64 data of the
/// numpy array `$arr`; any other dtype is a TypeError naming `$name`.
macro_rules! float_array {
    ($arr:expr, $name:expr, |$slice:ident| $body:expr) => {{
        use numpy::{PyReadonlyArrayDyn, PyUntypedArrayMethods};
        let arr = $arr;
        if let Ok(a) = arr.extract::<PyReadonlyArrayDyn<'_, f32>>() {
            let $slice: &[f32] = $crate::python::dropout::contiguous(&a, $name)?;
            $body
        } else if let Ok(a) = arr.extract::<PyReadonlyArrayDyn<'_, f64>>() {
            let $slice: &[f64] = $crate::python::dropout::contiguous(&a, $name)?;
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

/// The kept / dropped bits of one forward call, with the scale backward needs.
#[pyclass(name = "Mask", module = "lucid._C", frozen)]
pub struct PyMask {
    bits: BitMask,
    coef: Coefficients,
}

#[pymethods]
impl PyMask {
    fn __len__(&self) -> usize {
        self.bits.len()
    }

    /// Scale of kept values and of the gradient.
    #[getter]
    fn a(&self) -> f64 {
        self.coef.a
    }

    /// Shift of kept values.
    #[getter]
    fn b(&self) -> f64 {
        self.coef.b
    }

    /// The value of dropped elements.
    #[getter]
    fn dropped(&self) -> f64 {
        self.coef.dropped
    }

    /// Bytes the bits take.
    #[getter]
    fn nbytes(&self) -> usize {
        self.bits.nbytes()
    }

    /// How many elements were kept.
    fn count_ones(&self) -> usize {
        self.bits.count_ones()
    }

    /// The mask as a new Storage of 0 / 1 values of `dtype`.
    #[pyo3(signature = (dtype = "float32"))]
    fn to_storage(&self, py: Python<'_>, dtype: &str) -> PyResult<PyStorage> {
        let dtype = DType::parse(dtype)?;
        let bits = &self.bits;
        let out = py.detach(|| -> crate::Result<Storage> {
            let mut s = Storage::for_overwrite(dtype, bits.len())?;
            match dtype {
                DType::F32 => bits.unpack_into(s.as_mut_slice::<f32>()?, 0.0, 1.0),
                DType::F64 => bits.unpack_into(s.as_mut_slice::<f64>()?, 0.0, 1.0),
                DType::I64 => bits.unpack_into(s.as_mut_slice::<i64>()?, 0, 1),
                DType::Bool => bits.unpack_into(s.as_mut_slice::<u8>()?, 0, 1),
            }
            Ok(s)
        })?;
        Ok(PyStorage::new(out))
    }

    fn __repr__(&self) -> String {
        format!("Mask(len={}, kept={}, a={})", self.bits.len(), self.bits.count_ones(), self.coef.a)
    }
}

fn coefficients(kind: &str, p: f64) -> PyResult<Coefficients> {
    match kind {
        "alpha" => Ok(alpha::coefficients(p)?),
        "standard" => Ok(standard::coefficients(p)?),
        _ => Err(PyValueError::new_err(format!("kind must be 'alpha' or 'standard', got {kind:?}"))),
    }
}

/// (A, B, dropped value) of dropout `kind` with drop probability p.
#[pyfunction]
#[pyo3(signature = (p, kind = "alpha"))]
pub fn dropout_coefficients(p: &Bound<'_, PyAny>, kind: &str) -> PyResult<(f64, f64, f64)> {
    let c = coefficients(kind, args::probability(p)?)?;
    Ok((c.a, c.b, c.dropped))
}

fn storage_dtype<T: crate::storage::Element>(_: &[T]) -> DType {
    T::DTYPE
}

/// Training-mode dropout of the C-contiguous float array `x`, one decision per
/// element: (y, mask).
#[pyfunction]
#[pyo3(signature = (x, p, generator, kind = "alpha", chunk = None))]
pub fn dropout_forward(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    p: &Bound<'_, PyAny>,
    generator: &PyGenerator,
    kind: &str,
    chunk: Option<&Bound<'_, PyAny>>,
) -> PyResult<(PyStorage, PyMask)> {
    let coef = coefficients(kind, args::probability(p)?)?;
    let chunk = args::opt_size(chunk, "chunk")?;
    float_array!(x, "x", |xs| {
        let chunk = chunk.unwrap_or_else(|| chunk_for(xs.len()));
        // Checked and allocated before any words are reserved, so a rejected call
        // leaves the generator as it was.
        dropout::keep::check_chunk(chunk)?;
        let mut y = py.detach(|| Storage::for_overwrite(storage_dtype(xs), xs.len()))?;
        let mut bits = BitMask::try_zeros(xs.len())?;
        let plan = generator.with(|g| dropout::plan(coef, xs.len(), g))?;
        let (y, bits) = py.detach(|| -> crate::Result<(Storage, BitMask)> {
            dropout::forward(xs, y.as_mut_slice()?, &mut bits, &plan, chunk)?;
            Ok((y, bits))
        })?;
        Ok((PyStorage::new(y), PyMask { bits, coef }))
    })
}

/// The keep decisions alone: a Mask of `numel` bits drawn as `dropout_forward` would
/// draw them for an input of `numel` elements (the channel and noise-shape masks).
#[pyfunction]
#[pyo3(signature = (numel, p, generator, kind = "alpha", chunk = None))]
pub fn dropout_mask(
    py: Python<'_>,
    numel: &Bound<'_, PyAny>,
    p: &Bound<'_, PyAny>,
    generator: &PyGenerator,
    kind: &str,
    chunk: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyMask> {
    let numel = args::size(numel, "numel")?;
    let coef = coefficients(kind, args::probability(p)?)?;
    let chunk = args::opt_size(chunk, "chunk")?.unwrap_or_else(|| chunk_for(numel));
    dropout::keep::check_chunk(chunk)?;
    let mut bits = BitMask::try_zeros(numel)?;
    let plan = generator.with(|g| dropout::plan(coef, numel, g))?;
    let bits = py.detach(|| -> crate::Result<BitMask> {
        dropout::sample(&mut bits, &plan, chunk)?;
        Ok(bits)
    })?;
    Ok(PyMask { bits, coef })
}

fn check_dy(len: usize, want: usize) -> PyResult<()> {
    if len == want || len == 1 {
        return Ok(());
    }
    Err(PyValueError::new_err(format!(
        "dy must have as many elements as the input ({want}) or one, got {len}"
    )))
}

/// dx = A·m·dy for the C-contiguous float array `dy` and the forward's mask; a `dy`
/// of one element is that value for every element.
#[pyfunction]
#[pyo3(signature = (dy, mask, chunk = None))]
pub fn dropout_backward(
    py: Python<'_>,
    dy: &Bound<'_, PyAny>,
    mask: &PyMask,
    chunk: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyStorage> {
    let chunk = args::opt_size(chunk, "chunk")?.unwrap_or_else(|| chunk_for(mask.bits.len()));
    crate::par::check_chunk(chunk)?;
    float_array!(dy, "dy", |gs| {
        check_dy(gs.len(), mask.bits.len())?;
        let dx = py.detach(|| -> crate::Result<Storage> {
            let mut dx = Storage::for_overwrite(storage_dtype(gs), mask.bits.len())?;
            dropout::backward(gs, &mask.bits, mask.coef.a, dx.as_mut_slice()?, chunk)?;
            Ok(dx)
        })?;
        Ok(PyStorage::new(dx))
    })
}

/// y by rows: `x` (C-contiguous float) is len(mask) rows of `row` elements, and row r
/// is kept (A·x + B) or dropped by bit r of `mask`.
#[pyfunction]
#[pyo3(signature = (x, mask, row, chunk = None))]
pub fn dropout_rows_forward(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    mask: &PyMask,
    row: &Bound<'_, PyAny>,
    chunk: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyStorage> {
    let (row, chunk) = (args::size(row, "row")?, args::opt_size(chunk, "chunk")?);
    float_array!(x, "x", |xs| {
        let chunk = chunk.unwrap_or_else(|| chunk_for(xs.len()));
        let y = py.detach(|| -> crate::Result<Storage> {
            let mut y = Storage::for_overwrite(storage_dtype(xs), xs.len())?;
            channel::forward(xs, y.as_mut_slice()?, &mask.bits, row, &mask.coef, chunk)?;
            Ok(y)
        })?;
        Ok(PyStorage::new(y))
    })
}

/// dx = dy·(A or 0) by rows, as `dropout_rows_forward` applied `mask`; a `dy` of one
/// element is that value for every element.
#[pyfunction]
#[pyo3(signature = (dy, mask, row, chunk = None))]
pub fn dropout_rows_backward(
    py: Python<'_>,
    dy: &Bound<'_, PyAny>,
    mask: &PyMask,
    row: &Bound<'_, PyAny>,
    chunk: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyStorage> {
    let (row, chunk) = (args::size(row, "row")?, args::opt_size(chunk, "chunk")?);
    let n = mask.bits.len().checked_mul(row).ok_or_else(|| {
        PyValueError::new_err(format!(
            "row must fit the mask: {} rows of {row} elements overflow",
            mask.bits.len()
        ))
    })?;
    float_array!(dy, "dy", |gs| {
        check_dy(gs.len(), n)?;
        let chunk = chunk.unwrap_or_else(|| chunk_for(n));
        let dx = py.detach(|| -> crate::Result<Storage> {
            let mut dx = Storage::for_overwrite(storage_dtype(gs), n)?;
            channel::backward(gs, &mask.bits, row, mask.coef.a, dx.as_mut_slice()?, chunk)?;
            Ok(dx)
        })?;
        Ok(PyStorage::new(dx))
    })
}
