//! The dropout family for Python: a forward returns the output Storage and a `Mask`
//! (`mask.rs`: the bits with the coefficients); backward takes the upstream gradient
//! and that mask. `kind` is "alpha" or "standard". Every p comes through
//! `convert::probability` and so through the core's one rule, `check_p`.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use super::convert::{self, float_array, guarded};
use super::mask::PyMask;
use super::rng::PyGenerator;
use super::storage::PyStorage;
use crate::dropout::{self, channel, fused, Kind};
use crate::mask::BitMask;
use crate::par::{self, Chunk};
use crate::simd::Float;
use crate::storage::{DType, Element, Storage};

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

/// A new Storage of `len` elements of `T`, written in full by `fill` with the GIL
/// released: every kernel's output comes this way.
fn written<T: Element>(
    py: Python<'_>,
    len: usize,
    fill: impl FnOnce(&mut [T]) -> crate::Result<()> + Send,
) -> PyResult<PyStorage> {
    let out = py.detach(|| -> crate::Result<Storage> {
        let mut out = Storage::for_overwrite(T::DTYPE, len)?;
        fill(out.as_mut_slice()?)?;
        Ok(out)
    })?;
    Ok(PyStorage::new(out))
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

/// Training-mode SELU then alpha dropout of the C-contiguous float array `z` in one
/// pass: (y, mask), bit for bit `dropout_forward(activation_forward("selu", z), p,
/// generator)` from the same generator state.
#[pyfunction]
#[pyo3(signature = (z, p, generator, chunk = None))]
pub fn selu_alpha_dropout_forward(
    py: Python<'_>,
    z: &Bound<'_, PyAny>,
    p: &Bound<'_, PyAny>,
    generator: &Bound<'_, PyAny>,
    chunk: Option<&Bound<'_, PyAny>>,
) -> PyResult<(PyStorage, PyMask)> {
    guarded(|| {
        let generator = self::generator(generator)?.get();
        let coef = Kind::Alpha.coefficients(convert::probability(p)?)?;
        let chunk = convert::opt_chunk(chunk)?;
        float_array!(z, "z", |zs| {
            let chunk = chunk.unwrap_or_else(|| Chunk::for_len(zs.len()));
            // As dropout_forward: everything that can fail comes before the words are reserved.
            let mut y = py.detach(|| Storage::for_overwrite(storage_dtype(zs), zs.len()))?;
            let mut bits = BitMask::try_zeros(zs.len())?;
            py.detach(|| par::ensure_for(zs.len(), chunk))?;
            let plan = generator.with(|g| dropout::plan(coef, zs.len(), g))?;
            let (y, bits) = py.detach(|| -> crate::Result<(Storage, BitMask)> {
                fused::forward(zs, y.as_mut_slice()?, &mut bits, &plan, chunk)?;
                Ok((y, bits))
            })?;
            Ok((PyStorage::new(y), PyMask { bits, coef, kind: Kind::Alpha }))
        })
    })
}

/// dz = selu'(z)·A·m·dy for the forward's input `z` and mask and the C-contiguous
/// float array `dy` of z's dtype; a `dy` of one element is that value for every element.
#[pyfunction]
#[pyo3(signature = (z, dy, mask, chunk = None))]
pub fn selu_alpha_dropout_backward(
    py: Python<'_>,
    z: &Bound<'_, PyAny>,
    dy: &Bound<'_, PyAny>,
    mask: &PyMask,
    chunk: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyStorage> {
    guarded(|| {
        let chunk = convert::opt_chunk(chunk)?.unwrap_or_else(|| Chunk::for_len(mask.bits.len()));
        float_array!(z, "z", |zs| {
            if zs.len() != mask.bits.len() {
                return Err(PyValueError::new_err(format!(
                    "z must have as many elements as the mask ({}), got {}",
                    mask.bits.len(),
                    zs.len()
                )));
            }
            fused_backward(py, zs, dy, mask, chunk)
        })
    })
}

/// selu(z) by rows as `dropout_rows_forward` applies `mask`, in one pass.
#[pyfunction]
#[pyo3(signature = (z, mask, row, chunk = None))]
pub fn selu_alpha_dropout_rows_forward(
    py: Python<'_>,
    z: &Bound<'_, PyAny>,
    mask: &PyMask,
    row: &Bound<'_, PyAny>,
    chunk: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyStorage> {
    guarded(|| {
        let (row, chunk) = (convert::size(row, "row")?, convert::opt_chunk(chunk)?);
        float_array!(z, "z", |zs| {
            let chunk = chunk.unwrap_or_else(|| Chunk::for_len(zs.len()));
            written(py, zs.len(), |out| fused::rows_forward(zs, out, &mask.bits, row, &mask.coef, chunk))
        })
    })
}

/// dz = selu'(z)·(dy·(A or 0)) by rows, for `selu_alpha_dropout_rows_forward`'s z and mask.
#[pyfunction]
#[pyo3(signature = (z, dy, mask, row, chunk = None))]
pub fn selu_alpha_dropout_rows_backward(
    py: Python<'_>,
    z: &Bound<'_, PyAny>,
    dy: &Bound<'_, PyAny>,
    mask: &PyMask,
    row: &Bound<'_, PyAny>,
    chunk: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyStorage> {
    guarded(|| {
        let (row, chunk) = (convert::size(row, "row")?, convert::opt_chunk(chunk)?);
        float_array!(z, "z", |zs| {
            let chunk = chunk.unwrap_or_else(|| Chunk::for_len(zs.len()));
            let dy = convert::array_like(dy, "dy", "z")?;
            let gs = convert::contiguous(&dy, "dy")?;
            check_dy(gs.len(), zs.len())?;
            written(py, zs.len(), |out| {
                fused::rows_backward(zs, gs, &mask.bits, row, mask.coef.a, out, chunk)
            })
        })
    })
}

fn fused_backward<T: Float + numpy::Element>(
    py: Python<'_>,
    zs: &[T],
    dy: &Bound<'_, PyAny>,
    mask: &PyMask,
    chunk: Chunk,
) -> PyResult<PyStorage> {
    let dy = convert::array_like::<T>(dy, "dy", "z")?;
    let gs = convert::contiguous(&dy, "dy")?;
    check_dy(gs.len(), mask.bits.len())?;
    written(py, zs.len(), |out| fused::backward(zs, gs, &mask.bits, mask.coef.a, out, chunk))
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
            written(py, xs.len(), |out| {
                dropout::apply(xs, out, &mask.bits, &mask.coef, Chunk::for_len(xs.len()))
            })
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
        let chunk = convert::opt_chunk(chunk)?.unwrap_or_else(|| Chunk::for_len(mask.bits.len()));
        float_array!(dy, "dy", |gs| {
            check_dy(gs.len(), mask.bits.len())?;
            written(py, mask.bits.len(), |out| dropout::backward(gs, &mask.bits, mask.coef.a, out, chunk))
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
        let (row, chunk) = (convert::size(row, "row")?, convert::opt_chunk(chunk)?);
        float_array!(x, "x", |xs| {
            let chunk = chunk.unwrap_or_else(|| Chunk::for_len(xs.len()));
            written(py, xs.len(), |out| channel::forward(xs, out, &mask.bits, row, &mask.coef, chunk))
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
        let (row, chunk) = (convert::size(row, "row")?, convert::opt_chunk(chunk)?);
        let n = mask.bits.len().checked_mul(row).ok_or_else(|| {
            PyValueError::new_err(format!(
                "row must fit the mask: {} rows of {row} elements overflow",
                mask.bits.len()
            ))
        })?;
        float_array!(dy, "dy", |gs| {
            check_dy(gs.len(), n)?;
            let chunk = chunk.unwrap_or_else(|| Chunk::for_len(n));
            written(py, n, |out| channel::backward(gs, &mask.bits, row, mask.coef.a, out, chunk))
        })
    })
}
