//! `Storage` for Python: a frozen wrapper that exposes the buffer protocol, so
//! `numpy.frombuffer(storage, dtype)` views the Rust memory without copying.

use std::ffi::{c_int, CStr};
use std::ptr;

use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;

use super::convert::guarded;

use crate::storage::{allocated_bytes, DType, Storage};

#[pyclass(name = "Storage", module = "lucid._C", frozen)]
pub struct PyStorage {
    inner: Storage,
    // The buffer protocol hands out pointers to these; they live as long as the object.
    shape: [ffi::Py_ssize_t; 1],
    strides: [ffi::Py_ssize_t; 1],
}

impl PyStorage {
    pub fn new(inner: Storage) -> PyStorage {
        let shape = [inner.numel() as ffi::Py_ssize_t];
        let strides = [inner.dtype().itemsize() as ffi::Py_ssize_t];
        PyStorage { inner, shape, strides }
    }
}

fn format_of(dtype: DType) -> &'static CStr {
    match dtype {
        DType::F32 => c"f",
        DType::F64 => c"d",
        DType::I64 => c"q",
        DType::Bool => c"?",
    }
}

#[pymethods]
impl PyStorage {
    /// A storage of `numel` elements of `dtype`: zero-filled, or with `zeroed=False`
    /// unspecified values (a reused buffer's), for results that will be overwritten.
    #[new]
    #[pyo3(signature = (dtype, numel, zeroed = true))]
    fn py_new(py: Python<'_>, dtype: &str, numel: &Bound<'_, PyAny>, zeroed: bool) -> PyResult<PyStorage> {
        guarded(|| {
            let numel = super::convert::size(numel, "numel")?;
            let dtype = DType::parse(dtype)?;
            let storage = py.detach(|| {
                if zeroed {
                    Storage::zeros(dtype, numel)
                } else {
                    Storage::for_overwrite(dtype, numel)
                }
            })?;
            Ok(PyStorage::new(storage))
        })
    }

    #[getter]
    fn dtype(&self) -> &'static str {
        self.inner.dtype().name()
    }

    #[getter]
    fn numel(&self) -> usize {
        self.inner.numel()
    }

    #[getter]
    fn nbytes(&self) -> usize {
        self.inner.nbytes()
    }

    fn __len__(&self) -> usize {
        self.inner.numel()
    }

    fn __repr__(&self) -> String {
        format!("Storage(dtype={}, numel={})", self.inner.dtype().name(), self.inner.numel())
    }

    /// # Safety
    /// Called by CPython with a valid `view` to fill.
    unsafe fn __getbuffer__(slf: Bound<'_, Self>, view: *mut ffi::Py_buffer, flags: c_int) -> PyResult<()> {
        if view.is_null() {
            return Err(PyBufferError::new_err("view is null"));
        }
        let this = slf.get();
        // SAFETY: CPython passes a valid, writable Py_buffer; every pointer stored in it
        // (data, shape, strides, format) points into `this` or static memory, and
        // `obj` holds a strong reference to `this`, so they stay valid until release.
        // The data is never reallocated: Storage has no resize.
        unsafe {
            (*view).buf = this.inner.as_ptr() as *mut std::ffi::c_void;
            (*view).len = this.inner.nbytes() as ffi::Py_ssize_t;
            (*view).readonly = 0;
            (*view).itemsize = this.inner.dtype().itemsize() as ffi::Py_ssize_t;
            (*view).format = if flags & ffi::PyBUF_FORMAT != 0 {
                format_of(this.inner.dtype()).as_ptr() as *mut _
            } else {
                ptr::null_mut()
            };
            (*view).ndim = 1;
            (*view).shape =
                if flags & ffi::PyBUF_ND != 0 { this.shape.as_ptr() as *mut _ } else { ptr::null_mut() };
            (*view).strides = if flags & ffi::PyBUF_STRIDES == ffi::PyBUF_STRIDES {
                this.strides.as_ptr() as *mut _
            } else {
                ptr::null_mut()
            };
            (*view).suboffsets = ptr::null_mut();
            (*view).internal = ptr::null_mut();
            (*view).obj = slf.into_any().into_ptr();
        }
        Ok(())
    }

    /// Nothing to free: the format is static and the shape lives in the object.
    unsafe fn __releasebuffer__(&self, _view: *mut ffi::Py_buffer) {}
}

/// Whether `array`'s memory belongs to a Storage: its chain of numpy `base`s ends at a
/// memoryview whose object is a Storage (as `numpy.asarray(storage)` and every view of
/// it have). Anything else, numpy-owned arrays and non-arrays included, is false.
#[pyfunction]
pub fn is_storage_view(array: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = array.py();
    let mut base = array.clone();
    while base.is_instance_of::<numpy::PyUntypedArray>() {
        let next = base.getattr(pyo3::intern!(py, "base"))?;
        if next.is_none() {
            return Ok(false); // numpy owns the memory
        }
        base = next;
    }
    match base.cast::<pyo3::types::PyMemoryView>() {
        Ok(view) => Ok(view.getattr(pyo3::intern!(py, "obj"))?.is_instance_of::<PyStorage>()),
        Err(_) => Ok(false),
    }
}

/// Bytes held by all live storages now.
#[pyfunction]
pub fn memory_allocated() -> usize {
    allocated_bytes()
}

/// Bytes of freed large buffers kept for reuse.
#[pyfunction]
pub fn memory_cached() -> usize {
    crate::storage::cached_bytes()
}

/// Give every cached buffer back to the system.
#[pyfunction]
pub fn empty_cache() {
    crate::storage::empty_cache()
}
