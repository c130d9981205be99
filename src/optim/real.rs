//! The element trait of the fused optimiser steps and the dispatch of their loops to
//! the widest SIMD build the level allows.

use std::ops::{Add, Div, Mul, Sub};

/// The element types of the fused steps: f32 and f64, with IEEE operations only.
pub trait Real:
    Copy
    + Send
    + Sync
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
{
    /// `v` rounded to nearest, as numpy rounds a Python float next to an array.
    fn of(v: f64) -> Self;
    /// The correctly rounded square root (numpy's `sqrt`).
    fn root(self) -> Self;
    fn nan(self) -> bool;
    fn wide(self) -> f64;
    /// self / d, correctly rounded, where `inv` = 1/d in f64 and self is zero, a
    /// normal number, infinite or NaN, d a positive normal number. f64 divides. f32
    /// multiplies by `inv` in f64 and rounds once (one divider operation fewer per
    /// element): the f64 product is within 2⁻⁵¹ (relative) of self/d, and a quotient of
    /// two f32s (24-bit significands) is never closer than 2⁻⁴⁸ to a point halfway
    /// between two normal f32s, so the product rounds to the same f32 as the quotient.
    fn over(self, d: Self, inv: f64) -> Self;
}

macro_rules! real {
    ($t:ty, |$x:ident, $d:ident, $inv:ident| $over:expr) => {
        impl Real for $t {
            #[inline(always)]
            fn of(v: f64) -> $t {
                v as $t
            }
            #[inline(always)]
            fn root(self) -> $t {
                self.sqrt()
            }
            #[inline(always)]
            fn nan(self) -> bool {
                self.is_nan()
            }
            #[inline(always)]
            fn wide(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn over(self, $d: $t, $inv: f64) -> $t {
                let $x = self;
                $over
            }
        }
    };
}
real!(f32, |x, _d, inv| (x as f64 * inv) as f32);
real!(f64, |x, d, _inv| x / d);

/// Define `$name`, which runs `$body` in its AVX-512, AVX2 or baseline build, the
/// widest the SIMD level allows (the level is never above what the CPU supports).
macro_rules! widest {
    ($name:ident, $avx512:ident, $avx2:ident, $body:ident, ($($arg:ident: $ty:ty),*)) => {
        fn $name<T: $crate::optim::Real>($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                let level = $crate::simd::level();
                if level >= $crate::simd::Level::Avx512 {
                    // SAFETY: the level found AVX-512 on this CPU.
                    return unsafe { $avx512($($arg),*) };
                }
                if level >= $crate::simd::Level::Avx2 {
                    // SAFETY: the level found AVX2 on this CPU.
                    return unsafe { $avx2($($arg),*) };
                }
            }
            $body($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f")]
        unsafe fn $avx512<T: $crate::optim::Real>($($arg: $ty),*) {
            $body($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        unsafe fn $avx2<T: $crate::optim::Real>($($arg: $ty),*) {
            $body($($arg),*)
        }
    };
}
pub(super) use widest;
