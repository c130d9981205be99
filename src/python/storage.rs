//! `Storage` for Python: a frozen wrapper that exposes the buffer protocol, so
//! `numpy.frombuffer(storage, dtype)` views the Rust memory without copying.

use std::ffi::{c_int, CStr};
use std::ptr;

use numpy::npyffi::{self, npy_intp, PY_ARRAY_API};
use numpy::{PyArrayDescr, PyArrayDescrMethods, PyUntypedArray, PyUntypedArrayMethods};
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

/// Below this, allocating (and zeroing) is too short to be worth releasing the GIL.
const DETACH_MIN_BYTES: usize = 1 << 20;

fn allocate(py: Python<'_>, dtype: DType, numel: usize, zeroed: bool) -> PyResult<Storage> {
    let make = || if zeroed { Storage::zeros(dtype, numel) } else { Storage::for_overwrite(dtype, numel) };
    let small = numel.saturating_mul(dtype.itemsize()) < DETACH_MIN_BYTES;
    Ok(if small { make() } else { py.detach(make) }?)
}

fn descr(py: Python<'_>, dtype: DType) -> Bound<'_, PyArrayDescr> {
    match dtype {
        DType::F32 => numpy::dtype::<f32>(py),
        DType::F64 => numpy::dtype::<f64>(py),
        DType::I64 => numpy::dtype::<i64>(py),
        DType::Bool => numpy::dtype::<bool>(py),
    }
}

/// A new Storage of `dtype` seen as a writable C-contiguous numpy array of `shape`: what
/// `numpy.asarray(Storage(dtype, prod(shape), zeroed)).reshape(shape)` gives, in one call
/// and with the Storage itself as the array's base (no memoryview between them).
#[pyfunction]
#[pyo3(signature = (shape, dtype, zeroed = true))]
pub fn storage_array<'py>(
    py: Python<'py>,
    shape: &Bound<'py, PyAny>,
    dtype: &str,
    zeroed: bool,
) -> PyResult<Bound<'py, PyAny>> {
    guarded(|| {
        let dims = super::convert::shape(shape, "shape")?;
        let dtype = DType::parse(dtype)?;
        let numel = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        let numel = numel.ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "shape {dims:?} has more elements than memory can hold"
            ))
        })?;
        let mut dims: Vec<npy_intp> = dims.iter().map(|&d| d as npy_intp).collect();
        let storage = Bound::new(py, PyStorage::new(allocate(py, dtype, numel, zeroed)?))?;
        let data = storage.get().inner.as_ptr();
        // SAFETY: `data` holds numel elements of the dtype's size, 64-byte aligned, and
        // stays valid while the Storage (the array's base, set below) lives: a Storage
        // never reallocates. dims has one entry per dimension and outlives the call,
        // which copies it; into_dtype_ptr gives a new reference, which NewFromDescr steals.
        let array = unsafe {
            let ptr = PY_ARRAY_API.PyArray_NewFromDescr(
                py,
                npyffi::get_type_object(py, npyffi::NpyTypes::PyArray_Type),
                descr(py, dtype).into_dtype_ptr(),
                dims.len() as c_int,
                dims.as_mut_ptr(),
                ptr::null_mut(),
                data as *mut std::ffi::c_void,
                npyffi::NPY_ARRAY_CARRAY,
                ptr::null_mut(),
            );
            Bound::from_owned_ptr_or_err(py, ptr)?
        };
        // SAFETY: `array` is the new ndarray above and has no base yet; SetBaseObject
        // steals the reference to the Storage (also on failure, -1 with an exception set).
        if unsafe { PY_ARRAY_API.PyArray_SetBaseObject(py, array.as_ptr() as *mut _, storage.into_ptr()) } < 0
        {
            return Err(PyErr::fetch(py));
        }
        Ok(array)
    })
}

/// Whether `array` is what a Tensor may hold: a C-contiguous float32, float64, int64 or
/// bool numpy array over a Storage's memory (`is_storage_view`), checked in one call.
#[pyfunction]
pub fn is_tensor_values(array: &Bound<'_, PyAny>) -> PyResult<bool> {
    let Ok(arr) = array.cast::<PyUntypedArray>() else {
        return Ok(false);
    };
    let dtype = arr.dtype();
    let held = DType::ALL.iter().any(|&d| dtype.is_equiv_to(&descr(array.py(), d)));
    Ok(held && arr.is_c_contiguous() && is_storage_view(array)?)
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
            Ok(PyStorage::new(allocate(py, DType::parse(dtype)?, numel, zeroed)?))
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
/// Storage (as `storage_array`'s arrays and their views have) or at a memoryview whose
/// object is one (as `numpy.asarray(storage)` and its views have). Anything else,
/// numpy-owned arrays and non-arrays included, is false.
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
    if base.is_instance_of::<PyStorage>() {
        return Ok(true);
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
