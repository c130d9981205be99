//! `Storage`: an owned, 64-byte-aligned, typed, contiguous buffer. Every tensor's
//! values live in one; Python views it through the buffer protocol without copying.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{LucidError, Result};

/// Alignment of every buffer: a cache line, and enough for any SIMD load.
pub const ALIGN: usize = 64;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

/// Bytes held by all live storages of this process.
pub fn allocated_bytes() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    F32,
    F64,
    I64,
    Bool,
}

impl DType {
    pub const ALL: [DType; 4] = [DType::F32, DType::F64, DType::I64, DType::Bool];

    pub fn itemsize(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 | DType::I64 => 8,
            DType::Bool => 1,
        }
    }

    /// The name numpy uses for this dtype.
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::I64 => "int64",
            DType::Bool => "bool",
        }
    }

    pub fn parse(name: &str) -> Result<DType> {
        DType::ALL
            .into_iter()
            .find(|d| d.name() == name)
            .ok_or_else(|| {
                LucidError::dtype(
                    "dtype",
                    format!("{name:?}"),
                    "one of float32, float64, int64, bool",
                )
            })
    }
}

/// Rust element types that a storage can be viewed as. `bool` is viewed as `u8`
/// (0 or 1) so that a stray byte written from Python can never be an invalid `bool`.
pub trait Element: Copy + Send + Sync + 'static {
    const DTYPE: DType;
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
}
impl Element for f64 {
    const DTYPE: DType = DType::F64;
}
impl Element for i64 {
    const DTYPE: DType = DType::I64;
}
impl Element for u8 {
    const DTYPE: DType = DType::Bool;
}

pub struct Storage {
    ptr: NonNull<u8>,
    numel: usize,
    dtype: DType,
}

// SAFETY: Storage uniquely owns its allocation; shared access only reads, and
// mutation needs `&mut self`, so the usual borrow rules make it thread-safe.
unsafe impl Send for Storage {}
// SAFETY: as above; `&Storage` only hands out shared slices.
unsafe impl Sync for Storage {}

impl Storage {
    /// A zero-filled storage of `numel` elements. Large zeroed allocations come
    /// straight from the OS as untouched pages, so this costs no extra pass.
    pub fn zeros(dtype: DType, numel: usize) -> Result<Storage> {
        let nbytes = numel
            .checked_mul(dtype.itemsize())
            .filter(|&b| b <= isize::MAX as usize - ALIGN)
            .ok_or(LucidError::Alloc { bytes: usize::MAX })?;
        let ptr = if nbytes == 0 {
            // A dangling but aligned pointer: valid for zero-length slices.
            NonNull::new(ALIGN as *mut u8).expect("ALIGN is non-zero")
        } else {
            let layout = Layout::from_size_align(nbytes, ALIGN)
                .map_err(|_| LucidError::Alloc { bytes: nbytes })?;
            // SAFETY: layout has a non-zero size.
            let raw = unsafe { alloc_zeroed(layout) };
            NonNull::new(raw).ok_or(LucidError::Alloc { bytes: nbytes })?
        };
        ALLOCATED.fetch_add(nbytes, Ordering::Relaxed);
        Ok(Storage { ptr, numel, dtype })
    }

    /// A storage holding a copy of `values`.
    pub fn from_slice<T: Element>(values: &[T]) -> Result<Storage> {
        let mut s = Storage::zeros(T::DTYPE, values.len())?;
        s.as_mut_slice::<T>()?.copy_from_slice(values);
        Ok(s)
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }

    pub fn numel(&self) -> usize {
        self.numel
    }

    pub fn nbytes(&self) -> usize {
        self.numel * self.dtype.itemsize()
    }

    /// The start of the buffer, for the buffer protocol.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    fn check<T: Element>(&self) -> Result<()> {
        if T::DTYPE == self.dtype {
            Ok(())
        } else {
            Err(LucidError::dtype(
                "storage",
                self.dtype.name(),
                T::DTYPE.name(),
            ))
        }
    }

    pub fn as_slice<T: Element>(&self) -> Result<&[T]> {
        self.check::<T>()?;
        // SAFETY: ptr is aligned to 64 (≥ align_of::<T>), holds numel initialised
        // elements of T (zero-filled at birth, all-zero bits are valid for every
        // Element type), and lives as long as &self.
        Ok(unsafe { std::slice::from_raw_parts(self.ptr.as_ptr() as *const T, self.numel) })
    }

    pub fn as_mut_slice<T: Element>(&mut self) -> Result<&mut [T]> {
        self.check::<T>()?;
        // SAFETY: as in `as_slice`, and `&mut self` makes this the only live reference.
        Ok(unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr() as *mut T, self.numel) })
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        let nbytes = self.nbytes();
        if nbytes > 0 {
            // SAFETY: ptr came from alloc_zeroed with exactly this layout.
            unsafe {
                dealloc(
                    self.ptr.as_ptr(),
                    Layout::from_size_align_unchecked(nbytes, ALIGN),
                )
            };
        }
        ALLOCATED.fetch_sub(nbytes, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("dtype", &self.dtype)
            .field("numel", &self.numel)
            .finish()
    }
}
