//! The SIMD layer: which instruction set the kernels use and from which output size
//! they stream their stores (one [`Config`], read from the environment and settable
//! in-process), the element trait every kernel is generic over with its per-dtype
//! vector hooks ([`Float`], `lanes.rs`), the element-wise loops of the kernels
//! (`loops.rs`), float32 eˣ, eˣ − 1 and erfc in float32 (`mathf.rs`, over the lane
//! arithmetic of `lanes32.rs`), and prefetching ([`Ahead`]).
//!
//! The loops are written so the compiler vectorises them, and compiled twice on x86_64:
//! for the baseline (SSE2) and for AVX2 (with FMA), picked at run time; outputs of
//! [`Config::stream_bytes`] and more are written with AVX-512 streaming stores. Every
//! version computes the same IEEE operations in the same order (the loops here a
//! multiply, then an add, never fused; the float32 math of `mathf.rs` fused
//! multiply-adds at every level, libm's correctly rounded `fmaf` in the baseline
//! build), so results do not depend on the CPU or the configuration.

mod lanes;
mod lanes32;
mod loops;
pub mod mathf;

#[cfg(target_arch = "x86_64")]
pub use lanes::F32x16;
pub use lanes::{affine_of, Arith, Float};
pub use loops::{
    affine, compare_bytes, copy, fence, masked_affine, masked_fill, masked_scale, scale, select_affine,
    streams, Store,
};

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::error::{LucidError, Result};

/// The widest instruction set the kernels use on this CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Scalar,
    /// AVX2 and FMA.
    Avx2,
    /// AVX-512 F and BW.
    Avx512,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Scalar, Level::Avx2, Level::Avx512];

    /// Its name in [`LEVEL_VAR`] and `lucid._C.set_simd`: "scalar", "avx2" or "avx512".
    pub fn name(self) -> &'static str {
        match self {
            Level::Scalar => "scalar",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    /// The level named `name`; anything else is an error naming `arg` and the value.
    pub fn parse(arg: &'static str, name: &str) -> Result<Level> {
        Level::ALL.into_iter().find(|l| l.name() == name).ok_or_else(|| {
            LucidError::value(arg, format!("{name:?}"), "one of \"scalar\", \"avx2\", \"avx512\"")
        })
    }

    /// The widest level this CPU supports.
    pub fn supported() -> Level {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw") {
                return Level::Avx512;
            }
            // The AVX2 build fuses multiply-adds (every AVX2 CPU shipped has FMA).
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Level::Avx2;
            }
        }
        Level::Scalar
    }

    fn code(self) -> u8 {
        self as u8 + 1
    }

    fn from_code(code: u8) -> Level {
        Level::ALL[code as usize - 1]
    }
}

/// Caps the level: `scalar`, `avx2` or `avx512` (a level above the CPU's means the
/// CPU's); unset or empty, the CPU's own. Any other value is an error at first use.
pub const LEVEL_VAR: &str = "LUCID_SIMD";
/// Outputs of this many bytes and more are written with streaming stores: a decimal
/// number of bytes; unset or empty, [`STREAM_BYTES`]. Any other value is an error at
/// first use.
pub const STREAM_BYTES_VAR: &str = "LUCID_STREAM_BYTES";
/// Outputs of this many bytes and more are written with streaming stores by default:
/// 64 MiB is more than most CPUs' last-level cache, so the output would be written
/// back to memory anyway.
pub const STREAM_BYTES: usize = 64 << 20;

/// How the kernels run: the widest instruction set they use, and the output size from
/// which they stream their stores (on CPUs with AVX-512; see [`streams`]). Results are
/// identical for every configuration; only speed differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub level: Level,
    pub stream_bytes: usize,
}

struct Settings {
    config: Config,
    /// A bad value of [`LEVEL_VAR`] and of [`STREAM_BYTES_VAR`], until set in-process.
    errors: [Option<LucidError>; 2],
}

/// The settings, read from the environment at first use (None until then).
static SETTINGS: Mutex<Option<Settings>> = Mutex::new(None);
/// Copies of the settled values for the kernels' hot paths; LEVEL is 0 until settled.
static LEVEL: AtomicU8 = AtomicU8::new(0);
static STREAM: AtomicUsize = AtomicUsize::new(STREAM_BYTES);
/// Whether a setting holds an error (so [`config`] must take the lock to report it).
static SPOILED: AtomicBool = AtomicBool::new(false);

impl Config {
    /// The configuration the values of [`LEVEL_VAR`] and [`STREAM_BYTES_VAR`] give
    /// (None or empty: unset), or the error of the first bad one.
    pub fn from_vars(level: Option<&str>, stream_bytes: Option<&str>) -> Result<Config> {
        let s = Settings::from_vars(level, stream_bytes);
        match s.errors.into_iter().flatten().next() {
            Some(err) => Err(err),
            None => Ok(s.config),
        }
    }
}

impl Settings {
    fn from_vars(level: Option<&str>, stream_bytes: Option<&str>) -> Settings {
        let supported = Level::supported();
        let mut errors = [None, None];
        let level = match level.filter(|v| !v.is_empty()) {
            None => supported,
            Some(v) => Level::parse(LEVEL_VAR, v).unwrap_or_else(|e| {
                errors[0] = Some(e);
                supported
            }),
        };
        let stream_bytes = match stream_bytes.filter(|v| !v.is_empty()) {
            None => STREAM_BYTES,
            Some(v) => v.parse().unwrap_or_else(|_| {
                errors[1] = Some(LucidError::value(STREAM_BYTES_VAR, format!("{v:?}"), "a number of bytes"));
                STREAM_BYTES
            }),
        };
        Settings { config: Config { level: level.min(supported), stream_bytes }, errors }
    }

    fn from_env() -> Settings {
        let var = |name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
        Settings::from_vars(var(LEVEL_VAR).as_deref(), var(STREAM_BYTES_VAR).as_deref())
    }
}

/// The settings' lock, with the settings read from the environment if they were not yet.
fn settled() -> MutexGuard<'static, Option<Settings>> {
    // No code that holds the lock can panic; recover the data if it ever was poisoned.
    let mut s = SETTINGS.lock().unwrap_or_else(|e| e.into_inner());
    if s.is_none() {
        let fresh = Settings::from_env();
        publish(&fresh);
        *s = Some(fresh);
    }
    s
}

fn publish(s: &Settings) {
    SPOILED.store(s.errors.iter().any(Option::is_some), Ordering::Relaxed);
    STREAM.store(s.config.stream_bytes, Ordering::Relaxed);
    LEVEL.store(s.config.level.code(), Ordering::Release);
}

/// The configuration, or the error of a bad [`LEVEL_VAR`] or [`STREAM_BYTES_VAR`]
/// (until the setting it spoils is set in-process). Every kernel that runs over chunks
/// checks it first (`crate::par`).
pub fn config() -> Result<Config> {
    let code = LEVEL.load(Ordering::Acquire);
    if code != 0 && !SPOILED.load(Ordering::Relaxed) {
        return Ok(Config { level: Level::from_code(code), stream_bytes: STREAM.load(Ordering::Relaxed) });
    }
    let s = settled();
    let s = s.as_ref().expect("settled");
    match s.errors.iter().flatten().next() {
        Some(err) => Err(err.clone()),
        None => Ok(s.config),
    }
}

/// Set the level, the streaming threshold or both (None leaves one as it is). A level
/// above what this CPU supports is an error naming it, and changes nothing.
pub fn set_config(level: Option<Level>, stream_bytes: Option<usize>) -> Result<()> {
    let supported = Level::supported();
    if let Some(l) = level.filter(|&l| l > supported) {
        let names: Vec<&str> = Level::ALL.iter().filter(|&&k| k <= supported).map(|k| k.name()).collect();
        let expected = format!("a level this CPU supports ({})", names.join(", "));
        return Err(LucidError::value("level", format!("{:?}", l.name()), expected));
    }
    let mut guard = settled();
    let s = guard.as_mut().expect("settled");
    if let Some(l) = level {
        s.config.level = l;
        s.errors[0] = None;
    }
    if let Some(b) = stream_bytes {
        s.config.stream_bytes = b;
        s.errors[1] = None;
    }
    publish(s);
    Ok(())
}

/// Run the kernels at `level` from now on (see [`set_config`]).
pub fn set_level(level: Level) -> Result<()> {
    set_config(Some(level), None)
}

/// Stream outputs of `bytes` bytes and more from now on (see [`set_config`]).
pub fn set_stream_bytes(bytes: usize) -> Result<()> {
    set_config(None, Some(bytes))
}

/// The level the kernels run at. A bad [`LEVEL_VAR`] runs them at the CPU's level
/// (and [`config`] reports it); no result depends on the level.
#[inline]
pub fn level() -> Level {
    match LEVEL.load(Ordering::Acquire) {
        0 => settled().as_ref().expect("settled").config.level,
        code => Level::from_code(code),
    }
}

/// The output size in bytes from which stores are streamed.
#[inline]
pub fn stream_bytes() -> usize {
    if LEVEL.load(Ordering::Acquire) == 0 {
        drop(settled());
    }
    STREAM.load(Ordering::Relaxed)
}

/// The settings' lock, held by the forking thread across `fork()` (see `crate::fork`),
/// with the settings read first so a child never sees them half-read.
pub(crate) struct ForkGuard(#[allow(dead_code)] MutexGuard<'static, Option<Settings>>);

pub(crate) fn lock_for_fork() -> ForkGuard {
    ForkGuard(settled())
}

/// Memory a kernel is about to read, handed to a compute-heavy step (the keystream)
/// so the step can prefetch it in slices between its rounds: the loads are then in
/// flight while the core computes, instead of starting after it. Prefetching never
/// changes a result. The AVX2 and AVX-512 keystreams prefetch it; the scalar one does not.
#[derive(Clone, Copy, Debug)]
pub struct Ahead<'a> {
    start: *const u8,
    len: usize,
    elem: usize,
    _data: PhantomData<&'a [u8]>,
}

impl<'a> Ahead<'a> {
    /// Nothing to prefetch.
    pub const NONE: Ahead<'static> = Ahead { start: std::ptr::null(), len: 0, elem: 1, _data: PhantomData };

    /// All of `data`.
    pub fn of<T>(data: &'a [T]) -> Ahead<'a> {
        let elem = std::mem::size_of::<T>().max(1);
        Ahead {
            start: data.as_ptr() as *const u8,
            len: std::mem::size_of_val(data),
            elem,
            _data: PhantomData,
        }
    }

    /// Elements `first .. first + count` of it (clipped to its end).
    pub fn elements(self, first: usize, count: usize) -> Ahead<'a> {
        let from = first.saturating_mul(self.elem).min(self.len);
        let to = first.saturating_add(count).saturating_mul(self.elem).min(self.len);
        Ahead { start: self.start.wrapping_add(from), len: to - from, ..self }
    }

    /// Part `k` of `parts` equal parts, in bytes, rounded out to whole cache lines.
    pub fn part(self, k: usize, parts: usize) -> Ahead<'a> {
        let step = self.len.div_ceil(parts.max(1)).next_multiple_of(64);
        let from = (k * step).min(self.len);
        let to = ((k + 1) * step).min(self.len);
        Ahead { start: self.start.wrapping_add(from), len: to - from, elem: 1, ..self }
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Ask for every cache line of it to be brought into L1.
    #[inline(always)]
    pub fn prefetch(self) {
        #[cfg(target_arch = "x86_64")]
        for offset in (0..self.len).step_by(64) {
            // SAFETY: SSE is part of the x86_64 baseline; a prefetch is a hint that
            // never faults or writes, and the address lies inside the borrowed slice.
            unsafe {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
                _mm_prefetch::<_MM_HINT_T0>(self.start.add(offset) as *const i8)
            };
        }
    }
}
