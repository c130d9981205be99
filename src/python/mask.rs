//! `Mask` for Python: the bits of one dropout forward (`crate::mask::BitMask`, n / 8
//! bytes) with the coefficients backward needs; it unpacks to a Storage, broadcasts
//! from a noise shape to an input's shape, and pickles.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::convert::{self, guarded};
use super::storage::PyStorage;
use crate::dropout::{Coefficients, Kind};
use crate::mask::BitMask;
use crate::storage::{DType, Storage};

/// The kept / dropped bits of one forward call, with the scale backward needs.
#[pyclass(name = "Mask", module = "lucid._C", frozen)]
pub struct PyMask {
    pub(super) bits: BitMask,
    pub(super) coef: Coefficients,
    /// With `coef.p` it gives `coef` back when unpickled.
    pub(super) kind: Kind,
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

    /// The rows `rows` of this mask read as rows of `row` bits, in that order: the
    /// bits a process holding those rows of the batch needs. The kind, p and
    /// coefficients stay.
    fn rows(&self, py: Python<'_>, rows: Vec<usize>, row: usize) -> PyResult<PyMask> {
        guarded(|| {
            let bits = py.detach(|| self.bits.rows(&rows, row))?;
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
