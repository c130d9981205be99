//! The floor copy: `src` into `dst` with the kernels' chunking, thread pool and store
//! policy. It sits above both the chunking ([`crate::par`]) and the store layer
//! ([`crate::stream`]) so that neither imports the other.

use crate::error::{LucidError, Result};
use crate::par::{for_each_chunk_mut, Chunk};
use crate::stream;

/// Copy `src` into `dst` with the kernels' chunking, thread pool and store policy
/// (streaming stores for outputs of [`stream::threshold`] bytes and more): the floor
/// that the benchmarks compare every kernel against (no randomness, same bytes moved).
pub fn copy<T: Copy + Send + Sync>(src: &[T], dst: &mut [T], chunk: Chunk) -> Result<()> {
    if src.len() != dst.len() {
        return Err(LucidError::value("dst", dst.len(), format!("of length {}", src.len())));
    }
    let streamed = stream::streams::<T>(dst.len());
    for_each_chunk_mut(dst, chunk, |c, part| {
        let from = &src[c * chunk.elements()..c * chunk.elements() + part.len()];
        if streamed {
            stream::copy(from, part);
            stream::fence();
        } else {
            part.copy_from_slice(from);
        }
    })
}
