//! The SIMD configuration for Python: `set_simd` and `get_simd` over `crate::simd`.

use pyo3::prelude::*;

use super::convert::{self, guarded};
use crate::simd::{self, Level};

/// Run the kernels at `level` ("scalar", "avx2" or "avx512", at most what this CPU
/// supports) and stream outputs of `stream_bytes` bytes and more; None leaves a
/// setting as it is. No result depends on either.
#[pyfunction]
#[pyo3(signature = (level = None, stream_bytes = None))]
pub fn set_simd(level: Option<&str>, stream_bytes: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    guarded(|| {
        let level = level.map(|l| Level::parse("level", l)).transpose()?;
        let bytes = convert::opt_size(stream_bytes, "stream_bytes")?;
        Ok(simd::set_config(level, bytes)?)
    })
}

/// (the level's name, the streaming threshold in bytes); a bad `LUCID_SIMD` or
/// `LUCID_STREAM_BYTES` is a ValueError naming it until the setting is set here.
#[pyfunction]
pub fn get_simd() -> PyResult<(&'static str, usize)> {
    guarded(|| {
        let config = simd::config()?;
        Ok((config.level.name(), config.stream_bytes))
    })
}
