//! Matrix products against a naive triple loop: exactly on multiples of 1/32 in
//! [-1, 1) (every partial sum is then exact in float32), within the bound γ_k·Σ|a||b|
//! on general values; sizes around the tiles' edges, transposed and batched operands,
//! errors, and the same bits for any thread count.

mod common;

use common::with_threads;
use lucid::matmul::{matmul, Operand, Scalar, SERIAL_WORK, TILE_COLS, TILE_ROWS};

trait Float: Scalar + std::fmt::Debug {
    /// The unit roundoff.
    const U: f64;
    fn of(v: f64) -> Self;
    fn f(self) -> f64;
    fn bits(self) -> u64;
}

impl Float for f32 {
    const U: f64 = f32::EPSILON as f64 / 2.0;
    fn of(v: f64) -> f32 {
        v as f32
    }
    fn f(self) -> f64 {
        self as f64
    }
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
}

impl Float for f64 {
    const U: f64 = f64::EPSILON / 2.0;
    fn of(v: f64) -> f64 {
        v
    }
    fn f(self) -> f64 {
        self
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

/// n deterministic values: multiples of 1/32 in [-1, 1) when `exact`, else values in
/// [-1, 1) with full mantissas.
fn values<T: Float>(n: usize, salt: usize, exact: bool) -> Vec<T> {
    (0..n)
        .map(|i| {
            let h = (i * 7919 + salt * 104_729 + 13) % 2003;
            let v =
                if exact { (h % 64) as f64 / 32.0 - 1.0 } else { (h as f64 * 0.618_034).fract() * 2.0 - 1.0 };
            T::of(v)
        })
        .collect()
}

/// Element (i, j) of a matrix with strides (rs, cs) in `v`, as f64.
fn at<T: Float>(v: &[T], (rs, cs): (usize, usize), i: usize, j: usize) -> f64 {
    v[i * rs + j * cs].f()
}

/// The naive product of a (m × k) and b (k × n) in f64, and Σ|a||b| per element.
fn naive<T: Float>(
    a: (&[T], (usize, usize)),
    b: (&[T], (usize, usize)),
    m: usize,
    k: usize,
    n: usize,
) -> (Vec<f64>, Vec<f64>) {
    let (mut out, mut mag) = (vec![0.0; m * n], vec![0.0; m * n]);
    for i in 0..m {
        for j in 0..n {
            for p in 0..k {
                let xy = at(a.0, a.1, i, p) * at(b.0, b.1, p, j);
                out[i * n + j] += xy;
                mag[i * n + j] += xy.abs();
            }
        }
    }
    (out, mag)
}

/// a (m × k) @ b (k × n), each stored plain or transposed, against the naive loop.
fn check<T: Float>(m: usize, k: usize, n: usize, a_t: bool, b_t: bool, exact: bool) {
    let (a, b) = (values::<T>(m * k, 1, exact), values::<T>(k * n, 2, exact));
    // A transposed operand is stored as its transpose, C-contiguous, and read with .t().
    let a_strides = if a_t { (1, m) } else { (k, 1) };
    let b_strides = if b_t { (1, k) } else { (n, 1) };
    let oa = if a_t {
        Operand::matrix(&a, k, m, "a").unwrap().t()
    } else {
        Operand::matrix(&a, m, k, "a").unwrap()
    };
    let ob = if b_t {
        Operand::matrix(&b, n, k, "b").unwrap().t()
    } else {
        Operand::matrix(&b, k, n, "b").unwrap()
    };
    let mut out = vec![T::of(f64::NAN); m * n];
    matmul(oa, ob, &mut out).unwrap();
    let (want, mag) = naive((&a, a_strides), (&b, b_strides), m, k, n);
    let gamma = k as f64 * T::U / (1.0 - k as f64 * T::U);
    for (idx, (got, (w, s))) in out.iter().zip(want.iter().zip(&mag)).enumerate() {
        let bound = if exact { 0.0 } else { 2.0 * gamma * s };
        assert!(
            (got.f() - w).abs() <= bound,
            "{m}x{k}x{n} a_t={a_t} b_t={b_t} at {idx}: {got:?} vs {w} (bound {bound})"
        );
    }
}

/// Sizes around every edge: 1, odd, the micro-kernels' widths, the tiles' edges.
fn edge_dims() -> Vec<usize> {
    vec![1, 2, 7, 17, 48, 49, TILE_COLS - 1, TILE_COLS + 1, TILE_ROWS + 3]
}

#[test]
fn exact_on_small_multiples_in_every_layout() {
    for &m in &edge_dims() {
        for &(k, n) in &[(1, 5), (33, 3), (64, TILE_COLS + 1), (130, 47)] {
            for (a_t, b_t) in [(false, false), (false, true), (true, false), (true, true)] {
                check::<f32>(m, k, n, a_t, b_t, true);
                check::<f64>(n, k, m, a_t, b_t, true);
            }
        }
    }
}

#[test]
fn within_the_rounding_bound_on_general_values() {
    for &(m, k, n) in &[(3, 1000, 5), (TILE_ROWS + 1, 300, TILE_COLS * 2 + 7), (64, 128, 128), (1, 777, 1)] {
        for (a_t, b_t) in [(false, false), (false, true), (true, true)] {
            check::<f32>(m, k, n, a_t, b_t, false);
            check::<f64>(m, k, n, a_t, b_t, false);
        }
    }
}

#[test]
fn an_empty_sum_is_zero_and_an_empty_output_is_fine() {
    let mut out = vec![f32::NAN; 6];
    matmul(Operand::matrix(&[], 2, 0, "a").unwrap(), Operand::matrix(&[], 0, 3, "b").unwrap(), &mut out)
        .unwrap();
    assert_eq!(out, vec![0.0; 6]);
    let b = values::<f64>(12, 3, true);
    matmul(Operand::matrix(&[], 0, 4, "a").unwrap(), Operand::matrix(&b, 4, 3, "b").unwrap(), &mut [])
        .unwrap();
}

#[test]
fn batches_and_a_matrix_shared_by_a_batch() {
    let (batch, m, k, n) = (5, 19, 23, 29);
    let a = values::<f64>(batch * m * k, 4, true);
    let b = values::<f64>(batch * k * n, 5, true);
    let stack_a = Operand::new(&a, [batch, m, k], [m * k, k, 1], "a").unwrap();
    let stack_b = Operand::new(&b, [batch, k, n], [k * n, n, 1], "b").unwrap();
    // The first matrix of b, as a stack of one and as a stack that repeats it (stride 0).
    let one_b = Operand::new(&b, [1, k, n], [0, n, 1], "b").unwrap();
    let repeated_b = Operand::new(&b, [batch, k, n], [0, n, 1], "b").unwrap();
    let mut out = vec![0.0; batch * m * n];
    let (mut shared, mut repeated) = (out.clone(), out.clone());
    matmul(stack_a, stack_b, &mut out).unwrap();
    matmul(stack_a, one_b, &mut shared).unwrap();
    matmul(stack_a, repeated_b, &mut repeated).unwrap();
    assert_eq!(shared, repeated);
    for i in 0..batch {
        let ai = &a[i * m * k..(i + 1) * m * k];
        let (want, _) = naive((ai, (k, 1)), (&b[i * k * n..], (n, 1)), m, k, n);
        assert_eq!(&out[i * m * n..(i + 1) * m * n], want.as_slice(), "matrix {i}");
        let (want, _) = naive((ai, (k, 1)), (&b, (n, 1)), m, k, n);
        assert_eq!(&shared[i * m * n..(i + 1) * m * n], want.as_slice(), "shared b, matrix {i}");
    }
}

/// The product's bits with `threads` threads.
fn bits<T: Float>(threads: usize, batch: usize, m: usize, k: usize, n: usize, b_t: bool) -> Vec<u64> {
    let (a, b) = (values::<T>(batch * m * k, 6, false), values::<T>(k * n, 7, false));
    let oa = Operand::new(&a, [batch, m, k], [m * k, k, 1], "a").unwrap();
    let ob = if b_t {
        Operand::matrix(&b, n, k, "b").unwrap().t()
    } else {
        Operand::matrix(&b, k, n, "b").unwrap()
    };
    let mut out = vec![T::of(0.0); batch * m * n];
    with_threads(threads, || matmul(oa, ob, &mut out)).unwrap();
    out.iter().map(|v| v.bits()).collect()
}

#[test]
fn the_bits_do_not_depend_on_the_thread_count() {
    let big = (1, 2 * TILE_ROWS + 3, 150, 2 * TILE_COLS + 5); // 12 tiles, ragged edges
    let batched = (12, 40, 64, 50); // one tile a matrix, on the pool as a whole
    for (batch, m, k, n) in [big, batched] {
        assert!(batch * m * k * n >= SERIAL_WORK, "the product runs on the pool");
        for b_t in [false, true] {
            let one = bits::<f32>(1, batch, m, k, n, b_t);
            let one64 = bits::<f64>(1, batch, m, k, n, b_t);
            for threads in [2, 3, 8] {
                assert_eq!(bits::<f32>(threads, batch, m, k, n, b_t), one, "float32, {threads} threads");
                assert_eq!(bits::<f64>(threads, batch, m, k, n, b_t), one64, "float64, {threads} threads");
            }
        }
    }
}

#[test]
fn mismatched_operands_are_errors_that_name_them() {
    let v = vec![1.0f32; 64];
    let a = Operand::matrix(&v, 2, 3, "a").unwrap();
    let err = |r: lucid::Result<()>| r.unwrap_err().to_string();
    let b = Operand::matrix(&v, 4, 2, "b").unwrap();
    assert_eq!(err(matmul(a, b, &mut [0.0; 4])), "b must be 3 rows, as a has columns, got 4 rows");
    let b = Operand::matrix(&v, 3, 2, "b").unwrap();
    assert_eq!(err(matmul(a, b, &mut [0.0; 5])), "out must be 4 elements, got 5 elements");
    let a3 = Operand::new(&v, [2, 2, 3], [6, 3, 1], "a").unwrap();
    let b3 = Operand::new(&v, [3, 3, 2], [6, 2, 1], "b").unwrap();
    assert_eq!(err(matmul(a3, b3, &mut [0.0; 24])), "b must be a batch of 2 or 1, as a's, got a batch of 3");
    let outside = Operand::new(&v, [1, 8, 9], [0, 8, 1], "a").unwrap_err().to_string();
    assert_eq!(
        outside,
        "a must be a stack of matrices inside its buffer, got shape [1, 8, 9] with strides [0, 8, 1] over 64 elements"
    );
    assert!(Operand::new(&v, [1, 2, usize::MAX], [0, 1, usize::MAX], "b").is_err(), "an overflowing span");
}
