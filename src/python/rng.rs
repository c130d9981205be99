//! `Generator` for Python (the core's `rng`). The state sits behind a mutex so threads
//! can share one generator: a call reserves its words under the lock, then samples
//! without it.

use std::sync::Mutex;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};

use super::convert::guarded;
use super::convert::{self, float_array};
use super::storage::PyStorage;
use crate::par::Chunk;
use crate::rng::{self, Draw, Generator};
use crate::storage::{DType, Storage};

#[pyclass(name = "Generator", module = "lucid._C", frozen)]
pub struct PyGenerator {
    state: Mutex<Generator>,
}

impl PyGenerator {
    /// Reserve `words` words; the lock is held only for the bookkeeping.
    pub fn reserve(&self, words: u64) -> PyResult<Draw> {
        Ok(self.lock().reserve(words)?)
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut Generator) -> R) -> R {
        f(&mut self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generator> {
        // A poisoned lock can only come from a panic while holding it, and no code
        // that holds it can panic; recover the state rather than poison Python.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn float_dtype(dtype: &str) -> PyResult<DType> {
    match DType::parse(dtype)? {
        d @ (DType::F32 | DType::F64) => Ok(d),
        d => Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "dtype must be float32 or float64, got {}",
            d.name()
        ))),
    }
}

#[pymethods]
impl PyGenerator {
    #[new]
    #[pyo3(signature = (seed, stream = convert::Stream(0)), text_signature = "(seed, stream=0)")]
    fn py_new(seed: &Bound<'_, PyAny>, stream: convert::Stream) -> PyResult<PyGenerator> {
        guarded(|| {
            let seed = convert::seed(seed, "seed")?;
            Ok(PyGenerator { state: Mutex::new(Generator::new(seed, stream.0)) })
        })
    }

    #[getter]
    fn seed(&self) -> u64 {
        self.lock().seed()
    }

    #[getter]
    fn stream(&self) -> u64 {
        self.lock().stream()
    }

    #[getter]
    fn offset(&self) -> u64 {
        self.lock().offset()
    }

    /// (seed, stream, offset).
    fn get_state(&self) -> (u64, u64, u64) {
        self.lock().state()
    }

    /// Restore a state from `get_state()`: a sequence of three non-negative integers.
    fn set_state(&self, state: &Bound<'_, PyAny>) -> PyResult<()> {
        guarded(|| {
            let repr = || state.repr().map(|r| r.to_string()).unwrap_or_default();
            let malformed = || {
                PyValueError::new_err(format!(
                    "state must be a (seed, stream, offset) tuple of non-negative integers, got {}",
                    repr()
                ))
            };
            // bytes and bytearray are sequences of small integers to pyo3: b"abc" would
            // silently become (97, 98, 99).
            if state.is_instance_of::<PyBytes>() || state.is_instance_of::<PyByteArray>() {
                return Err(malformed());
            }
            let parts: Vec<u64> = state.extract().map_err(|_| malformed())?;
            let [seed, stream, offset] = parts[..] else {
                return Err(PyValueError::new_err(format!(
                    "state must have 3 entries (seed, stream, offset), got {}: {}",
                    parts.len(),
                    repr()
                )));
            };
            *self.lock() = Generator::from_state(seed, stream, offset);
            Ok(())
        })
    }

    /// Start again from `seed` on the same stream.
    fn manual_seed(&self, seed: &Bound<'_, PyAny>) -> PyResult<()> {
        guarded(|| {
            let seed = convert::seed(seed, "seed")?;
            let mut state = self.lock();
            *state = Generator::new(seed, state.stream());
            Ok(())
        })
    }

    /// Pickling (and so copies and multiprocessing queues): `Generator(seed, stream)`,
    /// then `__setstate__` with the whole state, so the copy continues with exactly the
    /// original's next words and is independent of it afterwards.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, pyo3::types::PyType>, (u64, u64), (u64, u64, u64))> {
        let (seed, stream, offset) = slf.get().lock().state();
        Ok((slf.get_type(), (seed, stream), (seed, stream, offset)))
    }

    /// Restore a pickled state: the same as `set_state`.
    fn __setstate__(&self, state: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_state(state)
    }

    fn __repr__(&self) -> String {
        let (seed, stream, offset) = self.lock().state();
        format!("Generator(seed={seed}, stream={stream}, offset={offset})")
    }

    /// `numel` uniforms in [0, 1) as a new Storage of `dtype`.
    fn rand(&self, py: Python<'_>, numel: &Bound<'_, PyAny>, dtype: &str) -> PyResult<PyStorage> {
        guarded(|| {
            let numel = convert::size(numel, "numel")?;
            let dtype = float_dtype(dtype)?;
            // Every sampler allocates and starts the thread pool before it reserves words,
            // so a call that fails leaves the generator as it was; and numel · 4 or 8 bytes
            // exist, so no count overflows.
            let mut s = py.detach(|| Storage::for_overwrite(dtype, numel))?;
            py.detach(|| crate::par::ensure_for(numel, Chunk::for_len(numel)))?;
            let draw = self.reserve(numel as u64 * if dtype == DType::F32 { 1 } else { 2 })?;
            let out = py.detach(|| -> crate::Result<Storage> {
                match dtype {
                    DType::F32 => rng::uniform_from::<f32>(&draw, s.as_mut_slice()?, Chunk::for_len(numel))?,
                    _ => rng::uniform_from::<f64>(&draw, s.as_mut_slice()?, Chunk::for_len(numel))?,
                }
                Ok(s)
            })?;
            Ok(PyStorage::new(out))
        })
    }

    /// `numel` standard normals (Box–Muller) as a new Storage of `dtype`.
    fn randn(&self, py: Python<'_>, numel: &Bound<'_, PyAny>, dtype: &str) -> PyResult<PyStorage> {
        guarded(|| {
            let numel = convert::size(numel, "numel")?;
            let dtype = float_dtype(dtype)?;
            let mut s = py.detach(|| Storage::for_overwrite(dtype, numel))?;
            py.detach(|| crate::par::ensure_for(numel, Chunk::for_len(numel)))?;
            let draw = self.reserve(rng::normal_words(numel))?;
            let out = py.detach(|| -> crate::Result<Storage> {
                match dtype {
                    DType::F32 => rng::normal_from::<f32>(&draw, s.as_mut_slice()?, Chunk::for_len(numel))?,
                    _ => rng::normal_from::<f64>(&draw, s.as_mut_slice()?, Chunk::for_len(numel))?,
                }
                Ok(s)
            })?;
            Ok(PyStorage::new(out))
        })
    }

    /// A bool Storage with element i set with probability probs[i]; `probs` is a
    /// C-contiguous float32 or float64 array with values in [0, 1].
    fn bernoulli(&self, py: Python<'_>, probs: &Bound<'_, PyAny>) -> PyResult<PyStorage> {
        guarded(|| {
            let out = float_array!(probs, "probs", |ps| {
                py.detach(|| rng::check_probs(ps))?;
                let mut s = py.detach(|| Storage::for_overwrite(DType::Bool, ps.len()))?;
                py.detach(|| crate::par::ensure_for(ps.len(), Chunk::for_len(ps.len())))?;
                let draw = self.reserve(ps.len() as u64)?;
                py.detach(|| -> crate::Result<Storage> {
                    rng::bernoulli_from(&draw, ps, s.as_mut_slice()?, Chunk::for_len(ps.len()))?;
                    Ok(s)
                })?
            });
            Ok(PyStorage::new(out))
        })
    }
}
