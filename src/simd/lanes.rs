//! The floats every kernel is generic over ([`Float`]: f32 and f64), with their
//! per-dtype hooks: conversion from and to f64, the arithmetic the loops' formulas are
//! written in ([`Arith`]), and the AVX-512 vector of them that the streamed loops use,
//! with its loads and its streaming store. The formulas are written once, over
//! [`Arith`], for one float and for one vector alike.

use std::ops::{Add, Mul};

use crate::storage::Element;

/// The arithmetic of the loops' formulas: one float, or one vector of them.
pub trait Arith: Copy {
    /// Which values are kept: a bool for one float, a lane mask for a vector.
    type Keep: Copy;
    fn mul(self, other: Self) -> Self;
    fn add(self, other: Self) -> Self;
    /// `kept` where `keep` says so, `dropped` elsewhere.
    fn select(keep: Self::Keep, kept: Self, dropped: Self) -> Self;
}

/// a·x + b: a multiply, then an add (never fused).
#[inline(always)]
pub fn affine_of<A: Arith>(x: A, a: A, b: A) -> A {
    a.mul(x).add(b)
}

/// a·x + b where kept, d where dropped.
#[inline(always)]
pub(super) fn masked_affine_of<A: Arith>(x: A, keep: A::Keep, a: A, b: A, d: A) -> A {
    A::select(keep, affine_of(x, a, b), d)
}

/// g·(s or 0): a multiply by zero, so NaN in g stays NaN where dropped.
#[inline(always)]
pub(super) fn masked_scale_of<A: Arith>(g: A, keep: A::Keep, s: A, zero: A) -> A {
    g.mul(A::select(keep, s, zero))
}

/// The element trait of every kernel, with its per-dtype hooks.
pub trait Float: Element + Arith<Keep = bool> + Mul<Output = Self> + Add<Output = Self> {
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    /// Elements in one AVX-512 vector.
    const LANES: usize;
    /// One AVX-512 vector of these floats.
    #[cfg(target_arch = "x86_64")]
    type Vector: Arith;

    /// `v` in every lane.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[cfg(target_arch = "x86_64")]
    unsafe fn splat(v: Self) -> Self::Vector;

    /// The LANES values at `p`.
    ///
    /// # Safety
    /// The CPU has AVX-512F; `p` is valid for reading LANES values (any alignment).
    #[cfg(target_arch = "x86_64")]
    unsafe fn load(p: *const Self) -> Self::Vector;

    /// Write `v` to `p` with a streaming (non-temporal) store.
    ///
    /// # Safety
    /// The CPU has AVX-512F; `p` is 64-byte aligned and valid for writing LANES values.
    #[cfg(target_arch = "x86_64")]
    unsafe fn stream(p: *mut Self, v: Self::Vector);

    /// The lane mask of the low LANES bits of `bits`.
    #[cfg(target_arch = "x86_64")]
    fn lanes(bits: u64) -> <Self::Vector as Arith>::Keep;
}

macro_rules! float {
    ($t:ty, $lanes:expr, $vector:ident, $raw:ident, $mask:ty, $set1:ident, $loadu:ident, $stream:ident, $mul:ident, $add:ident, $blend:ident) => {
        impl Arith for $t {
            type Keep = bool;
            #[inline(always)]
            fn mul(self, other: $t) -> $t {
                self * other
            }
            #[inline(always)]
            fn add(self, other: $t) -> $t {
                self + other
            }
            #[inline(always)]
            fn select(keep: bool, kept: $t, dropped: $t) -> $t {
                if keep {
                    kept
                } else {
                    dropped
                }
            }
        }

        /// An AVX-512 vector; one exists only where the CPU has AVX-512F (it is made by
        /// [`Float::splat`] and [`Float::load`], whose callers promise that).
        #[cfg(target_arch = "x86_64")]
        #[derive(Clone, Copy)]
        pub struct $vector(pub(super) std::arch::x86_64::$raw);

        #[cfg(target_arch = "x86_64")]
        impl Arith for $vector {
            type Keep = $mask;
            #[inline(always)]
            fn mul(self, other: $vector) -> $vector {
                // SAFETY: a vector exists only where the CPU has AVX-512F (see the type).
                $vector(unsafe { std::arch::x86_64::$mul(self.0, other.0) })
            }
            #[inline(always)]
            fn add(self, other: $vector) -> $vector {
                // SAFETY: as in `mul`.
                $vector(unsafe { std::arch::x86_64::$add(self.0, other.0) })
            }
            #[inline(always)]
            fn select(keep: $mask, kept: $vector, dropped: $vector) -> $vector {
                // SAFETY: as in `mul`; lane i of the blend is its third argument's
                // where bit i of `keep` is set.
                $vector(unsafe { std::arch::x86_64::$blend(keep, dropped.0, kept.0) })
            }
        }

        impl Float for $t {
            const LANES: usize = $lanes;
            #[cfg(target_arch = "x86_64")]
            type Vector = $vector;

            #[inline(always)]
            fn from_f64(v: f64) -> $t {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }

            #[cfg(target_arch = "x86_64")]
            #[inline(always)]
            unsafe fn splat(v: $t) -> $vector {
                // SAFETY: the caller promises AVX-512F.
                $vector(unsafe { std::arch::x86_64::$set1(v) })
            }

            #[cfg(target_arch = "x86_64")]
            #[inline(always)]
            unsafe fn load(p: *const $t) -> $vector {
                // SAFETY: the caller promises AVX-512F and LANES readable values at p.
                $vector(unsafe { std::arch::x86_64::$loadu(p as *const _) })
            }

            #[cfg(target_arch = "x86_64")]
            #[inline(always)]
            unsafe fn stream(p: *mut $t, v: $vector) {
                // SAFETY: the caller promises AVX-512F and an aligned, writable p.
                unsafe { std::arch::x86_64::$stream(p as *mut _, v.0) }
            }

            #[cfg(target_arch = "x86_64")]
            #[inline(always)]
            fn lanes(bits: u64) -> $mask {
                bits as $mask
            }
        }
    };
}

float!(
    f32,
    16,
    F32x16,
    __m512,
    u16,
    _mm512_set1_ps,
    _mm512_loadu_ps,
    _mm512_stream_ps,
    _mm512_mul_ps,
    _mm512_add_ps,
    _mm512_mask_blend_ps
);
float!(
    f64,
    8,
    F64x8,
    __m512d,
    u8,
    _mm512_set1_pd,
    _mm512_loadu_pd,
    _mm512_stream_pd,
    _mm512_mul_pd,
    _mm512_add_pd,
    _mm512_mask_blend_pd
);
