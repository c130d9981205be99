//! Fixed-size chunking. Work is cut into chunks of a size that never depends on the
//! thread count, and each chunk knows its index, so a chunk's random words (and so
//! every output bit) are the same whichever thread runs it.

use rayon::prelude::*;

use crate::error::{LucidError, Result};

/// Elements per chunk: 64 Ki elements, 256 KiB of float32, about an L2 cache.
pub const DEFAULT_CHUNK: usize = 1 << 16;
/// The smallest chunk [`chunk_for`] picks (a whole tie span of the dropout kernels).
pub const MIN_CHUNK: usize = 4096;

/// The chunk size for n elements: inputs up to [`DEFAULT_CHUNK`] run whole on the
/// calling thread; larger ones are cut into at least 8 chunks (so two threads stay
/// balanced) of at most DEFAULT_CHUNK. It depends on n only, never on the thread
/// count, and no result depends on it (rust-tests check several sizes).
pub fn chunk_for(n: usize) -> usize {
    if n <= DEFAULT_CHUNK {
        DEFAULT_CHUNK
    } else {
        (n / 8 / MIN_CHUNK * MIN_CHUNK).clamp(MIN_CHUNK, DEFAULT_CHUNK)
    }
}

/// A chunk must hold whole 64-bit mask words (and so whole ChaCha blocks and pairs).
pub fn check_chunk(chunk: usize) -> Result<()> {
    if chunk == 0 || !chunk.is_multiple_of(64) {
        return Err(LucidError::value("chunk", chunk, "a positive multiple of 64"));
    }
    Ok(())
}

/// Run `f(chunk_index, part)` over `data` cut into chunks; inputs of one chunk run on
/// the calling thread, larger ones on lucid's thread pool ([`crate::pool`]).
pub fn for_each_chunk_mut<T: Send>(
    data: &mut [T],
    chunk: usize,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) -> Result<()> {
    check_chunk(chunk)?;
    if data.len() <= chunk {
        if !data.is_empty() {
            f(0, data);
        }
    } else {
        crate::pool::install(|| data.par_chunks_mut(chunk).enumerate().for_each(|(c, part)| f(c, part)))?;
    }
    Ok(())
}
