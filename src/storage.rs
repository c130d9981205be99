//! `Storage`: an owned, 64-byte-aligned, typed, contiguous buffer, and the element
//! types it holds (`DType`, `Element`). Every tensor's values live in one; Python views
//! it through the buffer protocol without copying.
//!
//! Large buffers (≥ 64 KiB) are kept in a small pool when freed and handed out again
//! for the same size: a fresh buffer costs a page fault per 4 KiB on first touch,
//! which for a cache-resident tensor is several times the work of the kernel itself.
//! A few freed small ones (1 KiB to 64 KiB, at most 4 MiB of them) are kept too, so the
//! result of a small op reuses the buffer its input just gave back instead of zeroing
//! a new one.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::{LucidError, Result};

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
        DType::ALL.into_iter().find(|d| d.name() == name).ok_or_else(|| {
            LucidError::dtype("dtype", format!("{name:?}"), "one of float32, float64, int64, bool")
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

/// Alignment of every buffer: a cache line, and enough for any SIMD load.
pub const ALIGN: usize = 64;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

/// Bytes held by all live storages of this process.
pub fn allocated_bytes() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}

/// Buffers smaller than this go straight back to the system allocator.
pub const POOL_MIN_BYTES: usize = 64 << 10;
/// The pool holds at most this many bytes of freed buffers.
pub const POOL_MAX_BYTES: usize = 1 << 31;

/// Freed buffers of at least this many bytes, and below POOL_MIN_BYTES, are kept in the
/// small pool; smaller ones cost little to zero.
pub const SMALL_MIN_BYTES: usize = 1 << 10;
/// The small pool holds at most this many bytes (so at most 4096 buffers: its scans
/// stay short), not counted in `cached_bytes`.
pub const SMALL_MAX_BYTES: usize = 4 << 20;

struct Pool {
    /// Freed buffers, oldest first: (bytes, pointer).
    free: Vec<(usize, usize)>,
    bytes: usize,
    /// Freed small buffers, oldest first, and their bytes.
    small: Vec<(usize, usize)>,
    small_bytes: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool { free: Vec::new(), bytes: 0, small: Vec::new(), small_bytes: 0 });

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    // Nothing that holds the lock can panic; recover the data if it ever was poisoned.
    POOL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The pool's lock, held by the forking thread across `fork()` (see `crate::fork`).
pub(crate) struct ForkGuard(#[allow(dead_code)] std::sync::MutexGuard<'static, Pool>);

pub(crate) fn lock_for_fork() -> ForkGuard {
    ForkGuard(POOL.lock().unwrap_or_else(|e| e.into_inner()))
}

/// Bytes of freed large buffers kept for reuse.
pub fn cached_bytes() -> usize {
    pool().bytes
}

/// Bytes of freed small buffers kept for reuse (at most SMALL_MAX_BYTES).
pub fn small_cached_bytes() -> usize {
    pool().small_bytes
}

/// Give every pooled buffer, large and small, back to the system.
pub fn empty_cache() {
    let freed = {
        let mut p = pool();
        p.bytes = 0;
        p.small_bytes = 0;
        let mut all = std::mem::take(&mut p.free);
        all.append(&mut p.small);
        all
    };
    for (nbytes, ptr) in freed {
        // SAFETY: pooled pointers came from system::zeroed(nbytes) and are owned by nobody.
        unsafe { system::release(ptr as *mut u8, nbytes) };
    }
}

fn is_small(nbytes: usize) -> bool {
    (SMALL_MIN_BYTES..POOL_MIN_BYTES).contains(&nbytes)
}

/// A pooled buffer of exactly `nbytes`, most recently freed first.
fn take_pooled(nbytes: usize) -> Option<NonNull<u8>> {
    let mut p = pool();
    let small = is_small(nbytes);
    let list = if small { &mut p.small } else { &mut p.free };
    let at = list.iter().rposition(|&(b, _)| b == nbytes)?;
    let (_, ptr) = list.remove(at);
    if small {
        p.small_bytes -= nbytes;
    } else {
        p.bytes -= nbytes;
    }
    NonNull::new(ptr as *mut u8)
}

/// Keep a freed buffer for reuse, evicting the oldest beyond the limit; returns the
/// buffers to give back to the system.
fn give_back(nbytes: usize, ptr: NonNull<u8>) -> Vec<(usize, usize)> {
    let small = is_small(nbytes);
    if !small && !(POOL_MIN_BYTES..=POOL_MAX_BYTES).contains(&nbytes) {
        return vec![(nbytes, ptr.as_ptr() as usize)];
    }
    let mut p = pool();
    let p = &mut *p;
    let (list, bytes, limit) = if small {
        (&mut p.small, &mut p.small_bytes, SMALL_MAX_BYTES)
    } else {
        (&mut p.free, &mut p.bytes, POOL_MAX_BYTES)
    };
    list.push((nbytes, ptr.as_ptr() as usize));
    *bytes += nbytes;
    let mut evicted = Vec::new();
    while *bytes > limit {
        let (b, q) = list.remove(0);
        *bytes -= b;
        evicted.push((b, q));
    }
    evicted
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
    /// A zero-filled storage of `numel` elements.
    pub fn zeros(dtype: DType, numel: usize) -> Result<Storage> {
        let (s, reused) = Storage::allocate(dtype, numel)?;
        if reused {
            // SAFETY: the buffer holds s.nbytes() bytes that this storage owns alone.
            unsafe { s.ptr.as_ptr().write_bytes(0, s.nbytes()) };
        }
        Ok(s)
    }

    /// A storage whose values are unspecified (zeros, or a freed buffer's old values):
    /// for outputs that a kernel overwrites completely. Every bit pattern is a valid
    /// value of every dtype, so reading it is safe, only meaningless.
    pub fn for_overwrite(dtype: DType, numel: usize) -> Result<Storage> {
        Ok(Storage::allocate(dtype, numel)?.0)
    }

    /// The buffer, and whether it came from the pool (and so is not zeroed).
    fn allocate(dtype: DType, numel: usize) -> Result<(Storage, bool)> {
        let nbytes = numel
            .checked_mul(dtype.itemsize())
            .filter(|&b| b <= isize::MAX as usize - ALIGN)
            .ok_or(LucidError::Alloc { bytes: numel as u128 * dtype.itemsize() as u128 })?;
        let pooled = if nbytes >= SMALL_MIN_BYTES { take_pooled(nbytes) } else { None };
        let reused = pooled.is_some();
        let ptr = if let Some(ptr) = pooled {
            ptr
        } else if nbytes == 0 {
            // A dangling but aligned pointer: valid for zero-length slices.
            NonNull::new(ALIGN as *mut u8).expect("ALIGN is non-zero")
        } else {
            system::zeroed(nbytes).ok_or(LucidError::Alloc { bytes: nbytes as u128 })?
        };
        ALLOCATED.fetch_add(nbytes, Ordering::Relaxed);
        Ok((Storage { ptr, numel, dtype }, reused))
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
            Err(LucidError::dtype("storage", self.dtype.name(), T::DTYPE.name()))
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
        ALLOCATED.fetch_sub(nbytes, Ordering::Relaxed);
        if nbytes == 0 {
            return;
        }
        for (b, ptr) in give_back(nbytes, self.ptr) {
            // SAFETY: each pointer came from system::zeroed(b), and neither this
            // storage nor the pool uses it any more.
            unsafe { system::release(ptr as *mut u8, b) };
        }
    }
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").field("dtype", &self.dtype).field("numel", &self.numel).finish()
    }
}

/// Memory from the system. Buffers of 2 MiB and more are mapped straight from the
/// kernel (zero-filled by it) and marked for transparent huge pages, so first touching
/// them takes one page fault per 2 MiB instead of per 4 KiB; smaller ones come from
/// the global allocator.
mod system {
    use std::alloc::{alloc_zeroed, dealloc, Layout};
    use std::ptr::NonNull;

    use super::ALIGN;

    /// Buffers this large or larger are mapped.
    pub const MAP_MIN_BYTES: usize = 2 << 20;

    /// `nbytes` (> 0) zero bytes aligned to at least ALIGN.
    pub fn zeroed(nbytes: usize) -> Option<NonNull<u8>> {
        #[cfg(target_os = "linux")]
        if nbytes >= MAP_MIN_BYTES {
            // SAFETY: an anonymous private mapping touches no existing memory; the
            // result is checked for MAP_FAILED before use.
            let ptr = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    nbytes,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            if ptr == libc::MAP_FAILED {
                return None;
            }
            // A hint only: without huge pages the mapping still works.
            // SAFETY: the range is exactly the mapping just made.
            unsafe { libc::madvise(ptr, nbytes, libc::MADV_HUGEPAGE) };
            return NonNull::new(ptr as *mut u8); // page-aligned, so ALIGN-aligned
        }
        let layout = Layout::from_size_align(nbytes, ALIGN).ok()?;
        // SAFETY: layout has a non-zero size.
        NonNull::new(unsafe { alloc_zeroed(layout) })
    }

    /// Give back a buffer from `zeroed(nbytes)`.
    ///
    /// # Safety
    /// `ptr` came from `zeroed(nbytes)` with this `nbytes` and is not used afterwards.
    pub unsafe fn release(ptr: *mut u8, nbytes: usize) {
        #[cfg(target_os = "linux")]
        if nbytes >= MAP_MIN_BYTES {
            // SAFETY: per the contract, ptr..ptr + nbytes is one mapping of ours.
            unsafe { libc::munmap(ptr as *mut libc::c_void, nbytes) };
            return;
        }
        // SAFETY: per the contract, ptr came from alloc_zeroed with this layout.
        unsafe { dealloc(ptr, Layout::from_size_align_unchecked(nbytes, ALIGN)) };
    }
}
