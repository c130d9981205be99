//! The dropout family for Python: a forward returns the output Storage and a `Mask`
//! (the bits, n / 8 bytes, with the coefficients); backward takes the upstream
//! gradient and that mask. `kind` is "alpha" or "standard". Every p comes through
//! `convert::probability` and so through the core's one rule, `check_p`.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::convert::{self, float_array, guarded};
use super::generator::PyGenerator;
use super::storage::PyStorage;
use crate::dropout::{self, channel, Coefficients, Kind};
use crate::mask::BitMask;
use crate::par::{self, Chunk};
use crate::storage::{DType, Element, Storage};

/// The kept / dropped bits of one forward call, with the scale backward needs.
#[pyclass(name = "Mask", module = "lucid._C", frozen)]
pub struct PyMask {
    bits: BitMask,
    coef: Coefficients,
    /// With `coef.p` it gives `coef` back when unpickled.
    kind: Kind,
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
        guarded(|| {
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
        })
    }

    /// This mask, drawn over `noise_shape` (C order), expanded to `shape`: the same
    /// rank, each noise dimension equal to the shape's or 1 (Keras' noise shapes).
    /// The kind, p and coefficients stay.
    fn broadcast(
        &self,
        py: Python<'_>,
        noise_shape: &Bound<'_, PyAny>,
        shape: &Bound<'_, PyAny>,
    ) -> PyResult<PyMask> {
        guarded(|| {
            let noise = convert::shape(noise_shape, "noise_shape")?;
            let shape = convert::shape(shape, "shape")?;
            let bits = py.detach(|| self.bits.broadcast(&noise, &shape))?;
            Ok(PyMask { bits, coef: self.coef, kind: self.kind })
        })
    }

    fn __repr__(&self) -> String {
        format!("Mask(len={}, kept={}, a={})", self.bits.len(), self.bits.count_ones(), self.coef.a)
    }

    /// Pickling (and so `copy.copy`, `copy.deepcopy` and multiprocessing queues):
    /// the kind, p, the length and the mask's words as little-endian bytes. The
    /// coefficients are computed again from kind and p, so they are the same bits.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, MaskState<'py>)> {
        let this = slf.get();
        let bytes: Vec<u8> = this.bits.words().iter().flat_map(|w| w.to_le_bytes()).collect();
        let state = (this.kind.name(), this.coef.p, this.bits.len(), PyBytes::new(slf.py(), &bytes));
        Ok((slf.get_type().getattr("_from_state")?, (state,)))
    }

    /// The Mask that `__reduce__` described; a state it could not have written is a
    /// ValueError naming the state (or p, checked as everywhere).
    #[classmethod]
    fn _from_state(_cls: &Bound<'_, pyo3::types::PyType>, state: &Bound<'_, PyAny>) -> PyResult<PyMask> {
        guarded(|| {
            let bad = |why: String| {
                let repr = state.repr().map(|r| r.to_string()).unwrap_or_default();
                PyValueError::new_err(format!("state must be a Mask's pickled state: {why}, got {repr:.200}"))
            };
            let (kind, p, len, bytes) = state
                .extract::<(String, Bound<'_, PyAny>, usize, Bound<'_, PyBytes>)>()
                .map_err(|_| bad("a (kind, p, len, bytes) tuple".into()))?;
            let kind = Kind::parse(&kind)?;
            let coef = kind.coefficients(convert::probability(&p)?)?;
            let bytes = bytes.as_bytes();
            if !bytes.len().is_multiple_of(8) {
                return Err(bad(format!("{} bytes is not a whole number of 64-bit words", bytes.len())));
            }
            let words =
                bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
            let bits = BitMask::from_words(words, len).map_err(|e| bad(e.to_string()))?;
            Ok(PyMask { bits, coef, kind })
        })
    }
}

/// What `Mask.__reduce__` hands to `Mask._from_state`.
type MaskState<'py> = ((&'static str, f64, usize, Bound<'py, PyBytes>),);

/// `generator` as the Generator it must be; the dropout functions check it themselves.
fn generator<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> PyResult<&'a Bound<'py, PyGenerator>> {
    obj.cast::<PyGenerator>().map_err(|_| {
        let ty = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        PyTypeError::new_err(format!("generator must be a lucid.random.Generator, got {ty}"))
    })
}

/// p as a float in [0, 1]: the one rule of p (a bool or a non-real number is a
/// TypeError, anything else outside [0, 1] a ValueError naming p).
#[pyfunction]
pub fn check_p(p: &Bound<'_, PyAny>) -> PyResult<f64> {
    guarded(|| convert::probability(p))
}

/// (A, B, dropped value) of dropout `kind` with drop probability p.
#[pyfunction]
#[pyo3(signature = (p, kind = "alpha"))]
pub fn dropout_coefficients(p: &Bound<'_, PyAny>, kind: &str) -> PyResult<(f64, f64, f64)> {
    guarded(|| {
        let c = Kind::parse(kind)?.coefficients(convert::probability(p)?)?;
        Ok((c.a, c.b, c.dropped))
    })
}

fn storage_dtype<T: Element>(_: &[T]) -> DType {
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
    generator: &Bound<'_, PyAny>,
    kind: &str,
    chunk: Option<&Bound<'_, PyAny>>,
) -> PyResult<(PyStorage, PyMask)> {
    guarded(|| {
        let generator = self::generator(generator)?.get();
        let kind = Kind::parse(kind)?;
        let coef = kind.coefficients(convert::probability(p)?)?;
        let chunk = convert::opt_size(chunk, "chunk")?;
        float_array!(x, "x", |xs| {
            let chunk = chunk.map(Chunk::new).transpose()?.unwrap_or_else(|| Chunk::for_len(xs.len()));
            // Checked, allocated and the thread pool started before any words are
            // reserved, so a refused call leaves the generator as it was.
            let mut y = py.detach(|| Storage::for_overwrite(storage_dtype(xs), xs.len()))?;
            let mut bits = BitMask::try_zeros(xs.len())?;
            py.detach(|| par::ensure_for(xs.len(), chunk))?;
            let plan = generator.with(|g| dropout::plan(coef, xs.len(), g))?;
            let (y, bits) = py.detach(|| -> crate::Result<(Storage, BitMask)> {
                dropout::forward(xs, y.as_mut_slice()?, &mut bits, &plan, chunk)?;
                Ok((y, bits))
            })?;
            Ok((PyStorage::new(y), PyMask { bits, coef, kind }))
        })
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
    generator: &Bound<'_, PyAny>,
    kind: &str,
    chunk: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyMask> {
    guarded(|| {
        let generator = self::generator(generator)?.get();
        let numel = convert::size(numel, "numel")?;
        let kind = Kind::parse(kind)?;
        let coef = kind.coefficients(convert::probability(p)?)?;
        let chunk = convert::chunk(chunk, Chunk::for_len(numel))?;
        let mut bits = BitMask::try_zeros(numel)?;
        py.detach(|| par::ensure_for(numel, chunk))?;
        let plan = generator.with(|g| dropout::plan(coef, numel, g))?;
        let bits = py.detach(|| -> crate::Result<BitMask> {
            dropout::sample(&mut bits, &plan, chunk)?;
            Ok(bits)
        })?;
        Ok(PyMask { bits, coef, kind })
    })
}

/// y = A·x + B where `mask` keeps, the dropped value where not, for the C-contiguous
/// float array `x` of the mask's length (a noise-shape mask broadcast to x, say).
#[pyfunction]
pub fn dropout_apply(py: Python<'_>, x: &Bound<'_, PyAny>, mask: &PyMask) -> PyResult<PyStorage> {
    guarded(|| {
        float_array!(x, "x", |xs| {
            if xs.len() != mask.bits.len() {
                return Err(PyValueError::new_err(format!(
                    "x must have as many elements as the mask ({}), got {}",
                    mask.bits.len(),
                    xs.len()
                )));
            }
            let y = py.detach(|| -> crate::Result<Storage> {
                let mut y = Storage::for_overwrite(storage_dtype(xs), xs.len())?;
                dropout::apply(xs, y.as_mut_slice()?, &mask.bits, &mask.coef, Chunk::for_len(xs.len()))?;
                Ok(y)
            })?;
            Ok(PyStorage::new(y))
        })
    })
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
    guarded(|| {
        let chunk = convert::covering_chunk(chunk)?.unwrap_or_else(|| Chunk::for_len(mask.bits.len()));
        float_array!(dy, "dy", |gs| {
            check_dy(gs.len(), mask.bits.len())?;
            let dx = py.detach(|| -> crate::Result<Storage> {
                let mut dx = Storage::for_overwrite(storage_dtype(gs), mask.bits.len())?;
                dropout::backward(gs, &mask.bits, mask.coef.a, dx.as_mut_slice()?, chunk)?;
                Ok(dx)
            })?;
            Ok(PyStorage::new(dx))
        })
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
    guarded(|| {
        let (row, chunk) = (convert::size(row, "row")?, convert::covering_chunk(chunk)?);
        float_array!(x, "x", |xs| {
            let chunk = chunk.unwrap_or_else(|| Chunk::for_len(xs.len()));
            let y = py.detach(|| -> crate::Result<Storage> {
                let mut y = Storage::for_overwrite(storage_dtype(xs), xs.len())?;
                channel::forward(xs, y.as_mut_slice()?, &mask.bits, row, &mask.coef, chunk)?;
                Ok(y)
            })?;
            Ok(PyStorage::new(y))
        })
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
    guarded(|| {
        let (row, chunk) = (convert::size(row, "row")?, convert::covering_chunk(chunk)?);
        let n = mask.bits.len().checked_mul(row).ok_or_else(|| {
            PyValueError::new_err(format!(
                "row must fit the mask: {} rows of {row} elements overflow",
                mask.bits.len()
            ))
        })?;
        float_array!(dy, "dy", |gs| {
            check_dy(gs.len(), n)?;
            let chunk = chunk.unwrap_or_else(|| Chunk::for_len(n));
            let dx = py.detach(|| -> crate::Result<Storage> {
                let mut dx = Storage::for_overwrite(storage_dtype(gs), n)?;
                channel::backward(gs, &mask.bits, row, mask.coef.a, dx.as_mut_slice()?, chunk)?;
                Ok(dx)
            })?;
            Ok(PyStorage::new(dx))
        })
    })
}
