//! The float32 arithmetic `mathf`'s formulas are written in ([`Lanes32`]), for one f32
//! (the baseline build, where a fused multiply-add is libm's correctly rounded `fmaf`,
//! and the AVX2 build, where it is the FMA instruction) and for one AVX-512 vector of
//! 16, with the vector's store.

use super::lanes::Arith;

/// The float32 arithmetic of `mathf`'s formulas, beyond [`Arith`]'s.
pub trait Lanes32: Arith {
    /// `v` in every lane (`self` only vouches for the instruction set).
    fn lane(self, v: f32) -> Self;
    fn sub(self, other: Self) -> Self;
    fn div(self, other: Self) -> Self;
    /// self·b + c, rounded once.
    fn fma(self, b: Self, c: Self) -> Self;
    /// self·b − c, rounded once.
    fn fms(self, b: Self, c: Self) -> Self;
    /// Where self < other (false where either is NaN).
    fn less(self, other: Self) -> Self::Keep;
    /// Where self is NaN.
    fn nan(self) -> Self::Keep;
    /// self < other ? self : other (so `other` where either is NaN).
    fn min(self, other: Self) -> Self;
    /// self > other ? self : other (so `other` where either is NaN).
    fn max(self, other: Self) -> Self;
    fn abs(self) -> Self;
    /// The bits of self and `mask`.
    fn and_bits(self, mask: u32) -> Self;
    /// The float whose bits are self's shifted left by 23: for self = 1.5·2²³ + n, n an
    /// integer in [1, 254], the exponent field gets n and the rest is shifted out, so
    /// this is 2ⁿ⁻¹²⁷ exactly.
    fn exponent(self) -> Self;
}

impl Lanes32 for f32 {
    #[inline(always)]
    fn lane(self, v: f32) -> f32 {
        v
    }
    #[inline(always)]
    fn sub(self, other: f32) -> f32 {
        self - other
    }
    #[inline(always)]
    fn div(self, other: f32) -> f32 {
        self / other
    }
    #[inline(always)]
    fn fma(self, b: f32, c: f32) -> f32 {
        self.mul_add(b, c)
    }
    #[inline(always)]
    fn fms(self, b: f32, c: f32) -> f32 {
        self.mul_add(b, -c)
    }
    #[inline(always)]
    fn less(self, other: f32) -> bool {
        self < other
    }
    #[inline(always)]
    fn nan(self) -> bool {
        self.is_nan()
    }
    #[inline(always)]
    fn min(self, other: f32) -> f32 {
        if self < other {
            self
        } else {
            other
        }
    }
    #[inline(always)]
    fn max(self, other: f32) -> f32 {
        if self > other {
            self
        } else {
            other
        }
    }
    #[inline(always)]
    fn abs(self) -> f32 {
        f32::from_bits(self.to_bits() & 0x7fff_ffff)
    }
    #[inline(always)]
    fn and_bits(self, mask: u32) -> f32 {
        f32::from_bits(self.to_bits() & mask)
    }
    #[inline(always)]
    fn exponent(self) -> f32 {
        f32::from_bits(self.to_bits() << 23)
    }
}

#[cfg(target_arch = "x86_64")]
pub use avx512::store;

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::Lanes32;
    use crate::simd::lanes::F32x16;
    use std::arch::x86_64::*;

    /// Write the 16 lanes of `v` to `p` (a normal store, any alignment).
    ///
    /// # Safety
    /// `p` is valid for writing 16 values.
    #[inline(always)]
    pub unsafe fn store(p: *mut f32, v: F32x16) {
        // SAFETY: a vector exists only where the CPU has AVX-512F; the caller promises p.
        unsafe { _mm512_storeu_ps(p, v.0) }
    }

    // SAFETY (every block below): a vector exists only where the CPU has AVX-512F
    // (see `F32x16`), and these are AVX-512F instructions.
    impl Lanes32 for F32x16 {
        #[inline(always)]
        fn lane(self, v: f32) -> F32x16 {
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_set1_ps(v) })
        }
        #[inline(always)]
        fn sub(self, other: F32x16) -> F32x16 {
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_sub_ps(self.0, other.0) })
        }
        #[inline(always)]
        fn div(self, other: F32x16) -> F32x16 {
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_div_ps(self.0, other.0) })
        }
        #[inline(always)]
        fn fma(self, b: F32x16, c: F32x16) -> F32x16 {
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_fmadd_ps(self.0, b.0, c.0) })
        }
        #[inline(always)]
        fn fms(self, b: F32x16, c: F32x16) -> F32x16 {
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_fmsub_ps(self.0, b.0, c.0) })
        }
        #[inline(always)]
        fn less(self, other: F32x16) -> u16 {
            // SAFETY: AVX-512F, as above.
            unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, other.0) }
        }
        #[inline(always)]
        fn nan(self) -> u16 {
            // SAFETY: AVX-512F, as above.
            unsafe { _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(self.0, self.0) }
        }
        #[inline(always)]
        fn min(self, other: F32x16) -> F32x16 {
            // vminps is a < b ? a : b.
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_min_ps(self.0, other.0) })
        }
        #[inline(always)]
        fn max(self, other: F32x16) -> F32x16 {
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_max_ps(self.0, other.0) })
        }
        #[inline(always)]
        fn abs(self) -> F32x16 {
            self.and_bits(0x7fff_ffff)
        }
        #[inline(always)]
        fn and_bits(self, mask: u32) -> F32x16 {
            let bits =
                // SAFETY: AVX-512F, as above.
                unsafe { _mm512_and_si512(_mm512_castps_si512(self.0), _mm512_set1_epi32(mask as i32)) };
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_castsi512_ps(bits) })
        }
        #[inline(always)]
        fn exponent(self) -> F32x16 {
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_castps_si512(self.0))) })
        }
    }
}
