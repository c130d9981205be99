//! Alpha dropout for Python: forward returns the output Storage and a `Mask` (the
//! bits, n / 8 bytes); backward takes the upstream gradient and that mask.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::generator::PyGenerator;
use super::storage::PyStorage;
use crate::dropout::alpha;
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
                Err(_) => arr.get_type().name()?.to_string(),
            };
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "{} must be a float32 or float64 array, got {}",
                $name, dtype
            )));
        }
    }};
}
pub(crate) use float_array;

pub(crate) fn contiguous<'a, T: numpy::Element>(
    a: &'a numpy::PyReadonlyArrayDyn<'_, T>,
    name: &str,
) -> PyResult<&'a [T]> {
    a.as_slice().map_err(|_| PyValueError::new_err(format!("{name} must be a C-contiguous array")))
}

/// The kept / dropped bits of one forward call, with the scale backward needs.
#[pyclass(name = "Mask", module = "lucid._C", frozen)]
pub struct PyMask {
    bits: BitMask,
    #[pyo3(get)]
    a: f64,
}

#[pymethods]
impl PyMask {
    fn __len__(&self) -> usize {
        self.bits.len()
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
        format!("Mask(len={}, kept={}, a={})", self.bits.len(), self.bits.count_ones(), self.a)
    }
}

/// (A, B, A·α' + B) for drop probability p.
#[pyfunction]
pub fn alpha_dropout_coefficients(p: f64) -> PyResult<(f64, f64, f64)> {
    let c = alpha::coefficients(p)?;
    Ok((c.a, c.b, c.dropped))
}

/// Training-mode alpha dropout of the C-contiguous float array `x`: (y, mask).
#[pyfunction]
#[pyo3(signature = (x, p, generator, chunk = None))]
pub fn alpha_dropout_forward(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    p: f64,
    generator: &PyGenerator,
    chunk: Option<usize>,
) -> PyResult<(PyStorage, PyMask)> {
    float_array!(x, "x", |xs| {
        let chunk = chunk.unwrap_or_else(|| chunk_for(xs.len()));
        // Checked before any words are reserved, so a rejected call leaves the generator as it was.
        crate::dropout::keep::check_chunk(chunk)?;
        let plan = generator.with(|g| alpha::plan(p, xs.len(), g))?;
        let (y, bits) = py.detach(|| -> crate::Result<(Storage, BitMask)> {
            let mut y = Storage::for_overwrite(storage_dtype(xs), xs.len())?;
            let mut bits = BitMask::zeros(xs.len());
            alpha::forward(xs, y.as_mut_slice()?, &mut bits, &plan, chunk)?;
            Ok((y, bits))
        })?;
        Ok((PyStorage::new(y), PyMask { bits, a: plan.coef.a }))
    })
}

fn storage_dtype<T: crate::storage::Element>(_: &[T]) -> DType {
    T::DTYPE
}

/// dx = A·m·dy for the C-contiguous float array `dy` and the forward's mask; a `dy`
/// of one element is that value for every element.
#[pyfunction]
#[pyo3(signature = (dy, mask, chunk = None))]
pub fn alpha_dropout_backward(
    py: Python<'_>,
    dy: &Bound<'_, PyAny>,
    mask: &PyMask,
    chunk: Option<usize>,
) -> PyResult<PyStorage> {
    let chunk = chunk.unwrap_or_else(|| chunk_for(mask.bits.len()));
    crate::par::check_chunk(chunk)?;
    float_array!(dy, "dy", |gs| {
        if gs.len() != mask.bits.len() && gs.len() != 1 {
            return Err(PyValueError::new_err(format!(
                "dy must have as many elements as the mask ({}) or one, got {}",
                mask.bits.len(),
                gs.len()
            )));
        }
        let dx = py.detach(|| -> crate::Result<Storage> {
            let mut dx = Storage::for_overwrite(storage_dtype(gs), mask.bits.len())?;
            alpha::backward(gs, &mask.bits, mask.a, dx.as_mut_slice()?, chunk)?;
            Ok(dx)
        })?;
        Ok(PyStorage::new(dx))
    })
}
