//! Storage: alignment, typing, zero-copy access and the allocation counter.

use std::sync::Mutex;

use lucid::storage::{allocated_bytes, DType, Storage, ALIGN};

// The allocation counter is process-wide: the tests of this binary take turns so
// that the counter test sees only its own storage.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn buffers_are_aligned_zeroed_and_typed() {
    let _turn = serial();
    for dtype in DType::ALL {
        for numel in [1usize, 3, 1000] {
            let s = Storage::zeros(dtype, numel).unwrap();
            assert_eq!(s.as_ptr() as usize % ALIGN, 0, "{dtype:?} x {numel}");
            assert_eq!(s.nbytes(), numel * dtype.itemsize());
        }
    }
    let s = Storage::zeros(DType::F64, 5).unwrap();
    assert_eq!(s.as_slice::<f64>().unwrap(), &[0.0; 5]);
    let err = s.as_slice::<f32>().unwrap_err();
    assert_eq!(err.to_string(), "storage must be float32, got float64");
}

#[test]
fn empty_storage_is_valid() {
    let _turn = serial();
    let s = Storage::zeros(DType::F32, 0).unwrap();
    assert_eq!(s.as_slice::<f32>().unwrap().len(), 0);
    assert_eq!(s.nbytes(), 0);
}

#[test]
fn values_round_trip_and_dtype_names_parse() {
    let _turn = serial();
    let mut s = Storage::from_slice(&[1i64, -2, 3]).unwrap();
    s.as_mut_slice::<i64>().unwrap()[1] = 7;
    assert_eq!(s.as_slice::<i64>().unwrap(), &[1, 7, 3]);
    for d in DType::ALL {
        assert_eq!(DType::parse(d.name()).unwrap(), d);
    }
    assert!(DType::parse("complex64").unwrap_err().to_string().contains("\"complex64\""));
}

#[test]
fn impossible_sizes_are_errors_not_aborts() {
    let _turn = serial();
    assert!(Storage::zeros(DType::F64, usize::MAX / 4).is_err());
}

#[test]
fn allocation_counter_tracks_live_storages() {
    let _turn = serial();
    let before = allocated_bytes();
    let a = Storage::zeros(DType::F64, 1000).unwrap();
    let b = Storage::zeros(DType::Bool, 7).unwrap();
    let empty = Storage::zeros(DType::F32, 0).unwrap();
    assert_eq!(allocated_bytes(), before + 8000 + 7);
    drop(a);
    assert_eq!(allocated_bytes(), before + 7);
    drop((b, empty));
    assert_eq!(allocated_bytes(), before);
}

#[test]
fn large_buffers_are_reused_and_zeros_are_zeroed_again() {
    let _turn = serial();
    lucid::storage::empty_cache();
    let n = (lucid::storage::POOL_MIN_BYTES / 4) + 17;
    let mut first = Storage::zeros(DType::F32, n).unwrap();
    first.as_mut_slice::<f32>().unwrap().fill(7.0);
    let ptr = first.as_ptr();
    drop(first);
    assert_eq!(lucid::storage::cached_bytes(), n * 4);
    let again = Storage::zeros(DType::F32, n).unwrap();
    assert_eq!(again.as_ptr(), ptr, "the freed buffer is handed out again");
    assert!(again.as_slice::<f32>().unwrap().iter().all(|&v| v == 0.0));
    assert_eq!(lucid::storage::cached_bytes(), 0);
    drop(again);
    let reused = Storage::for_overwrite(DType::I64, n / 2).unwrap(); // other size: fresh
    assert_ne!(reused.as_ptr(), std::ptr::null_mut());
    lucid::storage::empty_cache();
    assert_eq!(lucid::storage::cached_bytes(), 0);
}

#[test]
fn small_buffers_are_reused_zeroed_again_and_bounded() {
    let _turn = serial();
    use lucid::storage::{small_cached_bytes, SMALL_MAX_BYTES, SMALL_MIN_BYTES};
    let n = 3001; // 12004 bytes: small, and a size no other test uses
    assert!((SMALL_MIN_BYTES..lucid::storage::POOL_MIN_BYTES).contains(&(n * 4)));
    let mut first = Storage::zeros(DType::F32, n).unwrap();
    first.as_mut_slice::<f32>().unwrap().fill(7.0);
    let ptr = first.as_ptr();
    drop(first);
    let again = Storage::zeros(DType::F32, n).unwrap();
    assert_eq!(again.as_ptr(), ptr, "the freed small buffer is handed out again");
    assert!(again.as_slice::<f32>().unwrap().iter().all(|&v| v == 0.0));
    drop(again);
    let kept = Storage::for_overwrite(DType::F32, n).unwrap();
    assert_eq!(kept.as_ptr(), ptr, "for_overwrite reuses it too");
    drop(kept);
    // Many more than the small pool holds: it keeps at most SMALL_MAX_BYTES.
    let many: Vec<Storage> =
        (0..2 * SMALL_MAX_BYTES / 12004).map(|_| Storage::zeros(DType::F32, n).unwrap()).collect();
    drop(many);
    assert!(small_cached_bytes() <= SMALL_MAX_BYTES, "{}", small_cached_bytes());
    lucid::storage::empty_cache();
    assert_eq!(small_cached_bytes(), 0);
}

#[test]
fn bit_masks_that_cannot_be_allocated_are_errors_not_aborts() {
    use lucid::mask::BitMask;
    for len in [0usize, 1, 64, 65, 100_000] {
        let m = BitMask::try_zeros(len).unwrap();
        assert_eq!((m.len(), m.count_ones()), (len, 0), "len={len}");
        assert_eq!(m, BitMask::zeros(len));
    }
    // 2**62 bits are 2**59 bytes: no machine has them.
    let err = BitMask::try_zeros(1 << 62).unwrap_err();
    assert!(matches!(err, lucid::LucidError::Alloc { bytes } if bytes == 1 << 59), "{err:?}");
}
