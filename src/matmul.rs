//! Matrix products, `out[b] = a[b] · b[b]`, on lucid's own thread pool.
//!
//! The arithmetic is the `gemm` crate's (packed, cache-blocked, with AVX-512 or AVX2
//! micro-kernels picked at run time); the threading is lucid's. The output is cut into
//! tiles of [`TILE_ROWS`] × [`TILE_COLS`] elements, a size fixed in advance, and each
//! tile is one sequential `gemm` call that reads whole rows of `a` and whole columns
//! of `b`: the reduction dimension is never split. Which thread runs a tile changes
//! nothing in it, so every output bit is the same for any thread count. Products of
//! fewer than [`SERIAL_WORK`] multiply-adds run tile by tile on the calling thread
//! (waking the pool costs more than they do); larger ones run their tiles on
//! [`crate::par`]'s pool, whose waiting threads sleep rather than spin.

use rayon::prelude::*;

use crate::error::{LucidError, Result};
use crate::storage::Element;

/// Output rows per tile.
pub const TILE_ROWS: usize = 256;
/// Output columns per tile: a multiple of the micro-kernels' widths (16 and 48 floats,
/// 8 and 24 doubles), so only the last tile of a row has a ragged edge. 256 × 192 ran
/// 1024³ as fast as larger tiles and still cuts 256³ in two.
pub const TILE_COLS: usize = 192;
/// Products of fewer multiply-adds than this (m·n·k summed over the batch) run on the
/// calling thread, where waking the pool costs more than it saves: with two threads
/// 256×8·8×384 (0.8 M) ran faster on the calling thread and 256×16·16×384 (1.6 M) on the
/// pool (benches/bench_matmul.py --shapes 256x8x384 256x16x384).
pub const SERIAL_WORK: usize = 1 << 20;

/// The element types of a product: f32 and f64.
pub trait Scalar: Element {
    const ZERO: Self;
    const ONE: Self;
}

impl Scalar for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
}

impl Scalar for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
}

/// A stack of `shape[0]` matrices of `shape[1]` × `shape[2]` elements inside `data`:
/// element (b, i, j) is `data[b·strides[0] + i·strides[1] + j·strides[2]]`. Any
/// non-negative strides are allowed (a transpose swaps the last two; a batch stride of
/// 0 repeats one matrix), and every element is checked to lie inside `data`.
#[derive(Clone, Copy, Debug)]
pub struct Operand<'a, T> {
    data: &'a [T],
    shape: [usize; 3],
    strides: [usize; 3],
}

impl<'a, T: Scalar> Operand<'a, T> {
    /// The stack `shape` with element `strides` in `data`; an element outside `data`
    /// is a ValueError naming `name`.
    pub fn new(data: &'a [T], shape: [usize; 3], strides: [usize; 3], name: &'static str) -> Result<Self> {
        let span = span(shape, strides);
        if span.is_none_or(|s| s > data.len()) {
            return Err(LucidError::value(
                name,
                format!("shape {shape:?} with strides {strides:?} over {} elements", data.len()),
                "a stack of matrices inside its buffer",
            ));
        }
        Ok(Operand { data, shape, strides })
    }

    /// One C-contiguous `rows` × `cols` matrix.
    pub fn matrix(data: &'a [T], rows: usize, cols: usize, name: &'static str) -> Result<Self> {
        Operand::new(data, [1, rows, cols], [0, cols, 1], name)
    }

    /// The same elements read as the transposed matrices.
    pub fn t(self) -> Self {
        let [b, r, c] = self.shape;
        let [sb, sr, sc] = self.strides;
        Operand { data: self.data, shape: [b, c, r], strides: [sb, sc, sr] }
    }

    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }
}

/// One more than the largest offset of an element (0 when there is none); None on overflow.
fn span(shape: [usize; 3], strides: [usize; 3]) -> Option<usize> {
    if shape.contains(&0) {
        return Some(0);
    }
    shape.iter().zip(strides).try_fold(1usize, |acc, (&n, s)| acc.checked_add((n - 1).checked_mul(s)?))
}

/// `out[b] = a[b] · b[b]` for every b: a is (batch or 1) × m × k, b is (batch or 1) ×
/// k × n, out is batch × m × n, C-contiguous. A stack of one matrix is used for every
/// b. The bits do not depend on the thread count (see the module's notes).
pub fn matmul<T: Scalar>(a: Operand<'_, T>, b: Operand<'_, T>, out: &mut [T]) -> Result<()> {
    let plan = Plan::new(&a, &b, out.len())?;
    if plan.k == 0 {
        out.fill(T::ZERO); // an empty sum
        return Ok(());
    }
    let dst = Dst(out.as_mut_ptr());
    let run = |task: usize| {
        // SAFETY: `plan` checked that out holds batch·m·n elements and that a and b
        // hold every element they are read at; each task writes only its own tile, and
        // tiles are disjoint, so no two tasks touch the same element of out.
        unsafe { plan.tile(task, &a, &b, dst) }
    };
    if plan.work() < SERIAL_WORK || plan.tasks() == 1 {
        (0..plan.tasks()).for_each(run);
        return Ok(());
    }
    // Hand each rayon job at least SERIAL_WORK multiply-adds' worth of tiles.
    let group = SERIAL_WORK.div_ceil(plan.work() / plan.tasks()).max(1);
    crate::par::install(|| (0..plan.tasks()).into_par_iter().with_min_len(group).for_each(run))
}

/// The output pointer, shared by the tasks that each write their own tile.
#[derive(Clone, Copy)]
struct Dst<T>(*mut T);
// SAFETY: the tasks write disjoint tiles (see `matmul`).
unsafe impl<T: Send> Send for Dst<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Dst<T> {}

/// The checked sizes of one product and its cut into tiles.
struct Plan {
    batch: usize,
    m: usize,
    n: usize,
    k: usize,
    tile_rows: usize,
    tile_cols: usize,
}

impl Plan {
    fn new<T: Scalar>(a: &Operand<'_, T>, b: &Operand<'_, T>, out_len: usize) -> Result<Plan> {
        let ([ba, m, k], [bb, kb, n]) = (a.shape, b.shape);
        if kb != k {
            return Err(LucidError::value("b", format!("{kb} rows"), format!("{k} rows, as a has columns")));
        }
        if ba != bb && ba != 1 && bb != 1 {
            return Err(LucidError::value(
                "b",
                format!("a batch of {bb}"),
                format!("a batch of {ba} or 1, as a's"),
            ));
        }
        let batch = if ba == 1 { bb } else { ba };
        let numel = [batch, m, n].iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        if numel != Some(out_len) {
            let want = numel.map_or_else(|| "more than fits in memory".into(), |v| v.to_string());
            return Err(LucidError::value("out", format!("{out_len} elements"), format!("{want} elements")));
        }
        Ok(Plan { batch, m, n, k, tile_rows: m.div_ceil(TILE_ROWS), tile_cols: n.div_ceil(TILE_COLS) })
    }

    fn tasks(&self) -> usize {
        self.batch * self.tile_rows * self.tile_cols
    }

    /// Multiply-adds in all (saturating: only compared with thresholds).
    fn work(&self) -> usize {
        self.batch.saturating_mul(self.m).saturating_mul(self.n).saturating_mul(self.k.max(1))
    }

    /// Compute tile `task` (batch item, then tile row, then tile column).
    ///
    /// # Safety
    /// `out` points to batch·m·n writable elements that nothing else reads or writes
    /// except other tasks of this plan, which write other tiles.
    unsafe fn tile<T: Scalar>(&self, task: usize, a: &Operand<'_, T>, b: &Operand<'_, T>, out: Dst<T>) {
        let per_matrix = self.tile_rows * self.tile_cols;
        let (item, tile) = (task / per_matrix, task % per_matrix);
        let row = tile / self.tile_cols * TILE_ROWS;
        let col = tile % self.tile_cols * TILE_COLS;
        let rows = TILE_ROWS.min(self.m - row);
        let cols = TILE_COLS.min(self.n - col);
        let a_at = (if a.shape[0] == 1 { 0 } else { item * a.strides[0] }) + row * a.strides[1];
        let b_at = (if b.shape[0] == 1 { 0 } else { item * b.strides[0] }) + col * b.strides[2];
        let out_at = item * self.m * self.n + row * self.n + col;
        // Strides fit in isize: every offset is below a slice's length.
        let s = |v: usize| v as isize;
        // SAFETY: Operand::new checked that every element of a and b lies in its
        // slice, so these pointers and every element gemm reads from them (rows
        // row..row+rows of a, columns col..col+cols of b, all k) are in bounds; the
        // tile of out is in bounds by the plan's check, and the caller keeps it ours.
        unsafe {
            gemm::gemm(
                rows,
                cols,
                self.k,
                out.0.add(out_at),
                1,
                s(self.n),
                false,
                a.data.as_ptr().add(a_at),
                s(a.strides[2]),
                s(a.strides[1]),
                b.data.as_ptr().add(b_at),
                s(b.strides[2]),
                s(b.strides[1]),
                T::ZERO,
                T::ONE,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }
}
