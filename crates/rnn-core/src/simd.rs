//! The vectors of the crate's vectorised loops.
//!
//! - [`Lanes`], the vector of the element-wise loops (activations, the LSTM
//!   cell updates): two `f64` lanes in the shipped wasm build (one SIMD128
//!   register), eight in native builds (one AVX-512 register, or two AVX2
//!   ones, inside [`wide`]).
//! - [`F64x2`], two lanes: the unit of the wasm GEMM tile (`gemm/kernel.rs`)
//!   and of the roofline probe.
//! - [`F32x4`], four `f32` lanes: the unit of the float32 wasm GEMM tile.
//!
//! On wasm32 built with `simd128` (the shipped module), [`F64x2`] wraps one
//! `v128` and each method is one SIMD128 instruction (`f64x2.add`,
//! `v128.load64_splat`, ...); [`Lanes`] is that type. Everywhere else both
//! are `F64s<N>`, `N` `f64` computed lane by lane with the same IEEE-754
//! operations in the same order, which the compiler turns into vector
//! instructions as wide as the function allows. Each lane computes what a
//! wasm lane computes, bit for bit, whatever the width: neither form fuses a
//! multiply and an add (a product and a sum round separately).
//!
//! The one exception is `mul_add` ([`F64x2::mul_add`], [`F32x4::mul_add`]):
//! in a wasm build with `relaxed-simd` it is `f64x2.relaxed_madd` /
//! `f32x4.relaxed_madd`, which the engine may compute fused (one rounding,
//! where the CPU has FMA) or as a multiply then an add; everywhere else it is
//! a multiply then an add, bit for bit `self.mul(b).add(c)`. Code that must
//! give the same bits on every engine uses `mul` and `add`.
//!
//! With `relaxed-simd` enabled LLVM turns `f64x2.pmin` / `f64x2.pmax` into
//! `f64x2.relaxed_min` / `relaxed_max`, whose result for a NaN (and for ±0) is
//! the engine's choice: V8 on x64 drops the NaN, so `sigmoid(NaN)` came out 0.
//! The relaxed build therefore writes [`F64x2::pmin`] and [`F64x2::pmax`] as a
//! compare and a `v128.bitselect`, which LLVM leaves alone: the same lanes as
//! `pmin` / `pmax` for every input.
//!
//! Loads and stores go through slices, so no `unsafe` is needed: LLVM merges
//! the two adjacent lane reads of [`F64x2::load`] into one `v128.load`.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::{
        f32x4, f32x4_add, f32x4_extract_lane, f32x4_mul, f32x4_splat, f64x2, f64x2_abs, f64x2_add,
        f64x2_div, f64x2_extract_lane, f64x2_floor, f64x2_gt, f64x2_max, f64x2_mul, f64x2_nearest,
        f64x2_splat, f64x2_sub, i64x2_add, i64x2_shl, i64x2_splat, v128, v128_andnot,
        v128_bitselect,
    };
    #[cfg(target_feature = "relaxed-simd")]
    use core::arch::wasm32::{f32x4_relaxed_madd, f64x2_lt, f64x2_relaxed_madd};
    #[cfg(not(target_feature = "relaxed-simd"))]
    use core::arch::wasm32::{f64x2_pmax, f64x2_pmin};

    /// Two `f64` lanes in one SIMD128 register.
    #[derive(Clone, Copy, Debug)]
    pub struct F64x2(v128);

    impl F64x2 {
        /// Both lanes `v`.
        #[inline(always)]
        pub fn splat(v: f64) -> Self {
            Self(f64x2_splat(v))
        }

        /// Lanes `[lo, hi]`.
        #[inline(always)]
        pub fn new(lo: f64, hi: f64) -> Self {
            Self(f64x2(lo, hi))
        }

        /// Lane `i` (0 or 1).
        #[inline(always)]
        pub fn lane(self, i: usize) -> f64 {
            if i == 0 {
                f64x2_extract_lane::<0>(self.0)
            } else {
                f64x2_extract_lane::<1>(self.0)
            }
        }

        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            Self(f64x2_add(self.0, o.0))
        }

        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            Self(f64x2_sub(self.0, o.0))
        }

        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            Self(f64x2_mul(self.0, o.0))
        }

        #[inline(always)]
        pub fn div(self, o: Self) -> Self {
            Self(f64x2_div(self.0, o.0))
        }

        /// `self · b + c`: `f64x2.relaxed_madd` in the relaxed-SIMD build
        /// (fused or not, as the engine chooses), else a multiply then an add.
        #[inline(always)]
        pub fn mul_add(self, b: Self, c: Self) -> Self {
            #[cfg(target_feature = "relaxed-simd")]
            return Self(f64x2_relaxed_madd(self.0, b.0, c.0));
            #[cfg(not(target_feature = "relaxed-simd"))]
            return self.mul(b).add(c);
        }

        /// `f64x2.pmin`: `if o < self { o } else { self }`, so a NaN in
        /// `self` is kept.
        #[inline(always)]
        pub fn pmin(self, o: Self) -> Self {
            #[cfg(not(target_feature = "relaxed-simd"))]
            return Self(f64x2_pmin(self.0, o.0));
            #[cfg(target_feature = "relaxed-simd")]
            return Self(v128_bitselect(o.0, self.0, f64x2_lt(o.0, self.0)));
        }

        /// `f64x2.pmax`: `if self < o { o } else { self }`, so a NaN in
        /// `self` is kept.
        #[inline(always)]
        pub fn pmax(self, o: Self) -> Self {
            #[cfg(not(target_feature = "relaxed-simd"))]
            return Self(f64x2_pmax(self.0, o.0));
            #[cfg(target_feature = "relaxed-simd")]
            return Self(v128_bitselect(o.0, self.0, f64x2_lt(self.0, o.0)));
        }

        /// Maximum that is NaN when either lane value is NaN.
        #[inline(always)]
        pub fn max_nan(self, o: Self) -> Self {
            Self(f64x2_max(self.0, o.0))
        }

        /// `+0` in the lanes where `x > limit`, else `self` (a NaN `x` keeps `self`).
        #[inline(always)]
        pub fn zero_where_gt(self, x: Self, limit: Self) -> Self {
            Self(v128_andnot(self.0, f64x2_gt(x.0, limit.0)))
        }

        /// Round to nearest, ties to even.
        #[inline(always)]
        pub fn nearest(self) -> Self {
            Self(f64x2_nearest(self.0))
        }

        #[inline(always)]
        pub fn floor(self) -> Self {
            Self(f64x2_floor(self.0))
        }

        #[inline(always)]
        pub fn abs(self) -> Self {
            Self(f64x2_abs(self.0))
        }

        /// The magnitude of `self` with the sign bit of `sign`.
        #[inline(always)]
        pub fn copysign(self, sign: Self) -> Self {
            let mask = f64x2_splat(-0.0);
            Self(v128_bitselect(sign.0, self.0, mask))
        }

        /// `2^k` for lanes holding integers in `[-1022, 1023]`.
        ///
        /// Adding `1.5·2^52` leaves `k` as a two's complement integer in the
        /// low mantissa bits; adding the exponent bias there and shifting it
        /// into the exponent field builds the power of two.
        #[inline(always)]
        pub fn pow2i(self) -> Self {
            let biased = f64x2_add(self.0, f64x2_splat(super::ROUND_MAGIC));
            Self(i64x2_shl(i64x2_add(biased, i64x2_splat(1023)), 52))
        }
    }

    /// Four `f32` lanes in one SIMD128 register.
    #[derive(Clone, Copy, Debug)]
    pub struct F32x4(v128);

    impl F32x4 {
        /// Every lane `v`.
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            Self(f32x4_splat(v))
        }

        /// Every lane zero.
        #[inline(always)]
        pub fn zero() -> Self {
            Self::splat(0.0)
        }

        /// Lanes `s[0..4]`; `s` must hold at least four elements. LLVM merges
        /// the four lane reads into one `v128.load`.
        #[inline(always)]
        pub fn load(s: &[f32]) -> Self {
            let s = &s[..4];
            Self(f32x4(s[0], s[1], s[2], s[3]))
        }

        /// Writes the lanes to `s[0..4]`.
        #[inline(always)]
        pub fn store(self, s: &mut [f32]) {
            let s = &mut s[..4];
            s[0] = f32x4_extract_lane::<0>(self.0);
            s[1] = f32x4_extract_lane::<1>(self.0);
            s[2] = f32x4_extract_lane::<2>(self.0);
            s[3] = f32x4_extract_lane::<3>(self.0);
        }

        /// Lane `i` (`i < 4`).
        #[allow(dead_code)] // for tests and debugging; the tiles store whole vectors
        #[inline(always)]
        pub fn lane(self, i: usize) -> f32 {
            match i {
                0 => f32x4_extract_lane::<0>(self.0),
                1 => f32x4_extract_lane::<1>(self.0),
                2 => f32x4_extract_lane::<2>(self.0),
                _ => f32x4_extract_lane::<3>(self.0),
            }
        }

        // The relaxed build's mul_add is one instruction, leaving add and mul unused.
        #[cfg_attr(target_feature = "relaxed-simd", allow(dead_code))]
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            Self(f32x4_add(self.0, o.0))
        }

        #[cfg_attr(target_feature = "relaxed-simd", allow(dead_code))]
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            Self(f32x4_mul(self.0, o.0))
        }

        /// `self · b + c`: `f32x4.relaxed_madd` in the relaxed-SIMD build
        /// (fused or not, as the engine chooses), else a multiply then an add.
        #[inline(always)]
        pub fn mul_add(self, b: Self, c: Self) -> Self {
            #[cfg(target_feature = "relaxed-simd")]
            return Self(f32x4_relaxed_madd(self.0, b.0, c.0));
            #[cfg(not(target_feature = "relaxed-simd"))]
            return self.mul(b).add(c);
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    /// `N` `f64` lanes, computed one after the other. Each method is a loop
    /// over the lanes, which the compiler turns into vector instructions as
    /// wide as the function it is inlined into allows (see [`super::wide`]).
    #[derive(Clone, Copy, Debug)]
    pub struct F64s<const N: usize>([f64; N]);

    /// The two-lane form, for the code written for the wasm GEMM tile.
    pub type F64x2 = F64s<2>;

    impl<const N: usize> F64s<N> {
        #[inline(always)]
        fn map(self, f: impl Fn(f64) -> f64) -> Self {
            let mut out = self.0;
            for v in &mut out {
                *v = f(*v);
            }
            Self(out)
        }

        #[inline(always)]
        fn zip(self, o: Self, f: impl Fn(f64, f64) -> f64) -> Self {
            let mut out = self.0;
            for (v, &w) in out.iter_mut().zip(&o.0) {
                *v = f(*v, w);
            }
            Self(out)
        }

        /// Every lane `v`.
        #[inline(always)]
        pub fn splat(v: f64) -> Self {
            Self([v; N])
        }

        /// Every lane zero.
        #[inline(always)]
        pub fn zero() -> Self {
            Self([0.0; N])
        }

        /// Lanes `s[0..N]`; `s` must hold at least `N` elements.
        #[inline(always)]
        pub fn load(s: &[f64]) -> Self {
            let mut out = [0.0; N];
            out.copy_from_slice(&s[..N]);
            Self(out)
        }

        /// Writes the lanes to `s[0..N]`.
        #[inline(always)]
        pub fn store(self, s: &mut [f64]) {
            s[..N].copy_from_slice(&self.0);
        }

        /// Lane `i` (`i < N`).
        #[inline(always)]
        pub fn lane(self, i: usize) -> f64 {
            self.0[i % N]
        }

        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            self.zip(o, |a, b| a + b)
        }

        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            self.zip(o, |a, b| a - b)
        }

        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            self.zip(o, |a, b| a * b)
        }

        #[inline(always)]
        pub fn div(self, o: Self) -> Self {
            self.zip(o, |a, b| a / b)
        }

        /// `self · b + c` as a multiply then an add (two roundings), the
        /// same bits as the SIMD128 wasm build.
        // The wasm GEMM tiles use it; native builds take theirs from rnn-x86.
        #[allow(dead_code)]
        #[inline(always)]
        pub fn mul_add(self, b: Self, c: Self) -> Self {
            self.mul(b).add(c)
        }

        /// `if o < self { o } else { self }`, so a NaN in `self` is kept.
        #[inline(always)]
        pub fn pmin(self, o: Self) -> Self {
            self.zip(o, |a, b| if b < a { b } else { a })
        }

        /// `if self < o { o } else { self }`, so a NaN in `self` is kept.
        #[inline(always)]
        pub fn pmax(self, o: Self) -> Self {
            self.zip(o, |a, b| if a < b { b } else { a })
        }

        /// Maximum that is NaN when either lane value is NaN.
        #[inline(always)]
        pub fn max_nan(self, o: Self) -> Self {
            self.zip(o, |a, b| {
                if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else if a < b || (a == b && a.is_sign_negative()) {
                    b
                } else {
                    a
                }
            })
        }

        /// `+0` in the lanes where `x > limit`, else `self` (a NaN `x` keeps `self`).
        #[inline(always)]
        pub fn zero_where_gt(self, x: Self, limit: Self) -> Self {
            let mut out = self.0;
            for ((v, &x), &l) in out.iter_mut().zip(&x.0).zip(&limit.0) {
                if x > l {
                    *v = 0.0;
                }
            }
            Self(out)
        }

        /// Round to nearest, ties to even. Inside `wide` (and its SSE4.1
        /// fallback) this is one `roundpd`-family instruction per vector;
        /// only a CPU without SSE4.1 calls libm per lane.
        #[inline(always)]
        pub fn nearest(self) -> Self {
            self.map(f64::round_ties_even)
        }

        /// Round down (see [`F64s::nearest`]).
        #[inline(always)]
        pub fn floor(self) -> Self {
            self.map(f64::floor)
        }

        #[inline(always)]
        pub fn abs(self) -> Self {
            self.map(f64::abs)
        }

        /// The magnitude of `self` with the sign bit of `sign`.
        #[inline(always)]
        pub fn copysign(self, sign: Self) -> Self {
            self.zip(sign, f64::copysign)
        }

        /// `2^k` for lanes holding integers in `[-1022, 1023]`, built from
        /// the bits exactly as the SIMD128 version does.
        #[inline(always)]
        pub fn pow2i(self) -> Self {
            self.map(|k| {
                let biased = (k + super::ROUND_MAGIC).to_bits();
                f64::from_bits(biased.wrapping_add(1023) << 52)
            })
        }
    }

    /// Four `f32` lanes, computed one after the other (as [`F64s`] does),
    /// each lane as a SIMD128 wasm lane computes it. The float32 wasm GEMM
    /// tile is written with it; native builds take their tiles from rnn-x86,
    /// so here only tests and lane-by-lane fallbacks use it.
    #[derive(Clone, Copy, Debug)]
    #[allow(dead_code)]
    pub struct F32x4([f32; 4]);

    #[allow(dead_code)]
    impl F32x4 {
        #[inline(always)]
        fn zip(self, o: Self, f: impl Fn(f32, f32) -> f32) -> Self {
            let mut out = self.0;
            for (v, &w) in out.iter_mut().zip(&o.0) {
                *v = f(*v, w);
            }
            Self(out)
        }

        /// Every lane `v`.
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            Self([v; 4])
        }

        /// Every lane zero.
        #[inline(always)]
        pub fn zero() -> Self {
            Self([0.0; 4])
        }

        /// Lanes `s[0..4]`; `s` must hold at least four elements.
        #[inline(always)]
        pub fn load(s: &[f32]) -> Self {
            let mut out = [0.0; 4];
            out.copy_from_slice(&s[..4]);
            Self(out)
        }

        /// Writes the lanes to `s[0..4]`.
        #[inline(always)]
        pub fn store(self, s: &mut [f32]) {
            s[..4].copy_from_slice(&self.0);
        }

        /// Lane `i` (`i < 4`).
        #[inline(always)]
        pub fn lane(self, i: usize) -> f32 {
            self.0[i % 4]
        }

        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            self.zip(o, |a, b| a + b)
        }

        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            self.zip(o, |a, b| a * b)
        }

        /// `self · b + c` as a multiply then an add (two roundings), the
        /// same bits as the SIMD128 wasm build.
        #[inline(always)]
        pub fn mul_add(self, b: Self, c: Self) -> Self {
            self.mul(b).add(c)
        }
    }
}

#[allow(unused_imports)] // natively only tests use it
pub(crate) use imp::F32x4;
pub(crate) use imp::F64x2;

/// The vector of the element-wise loops (activations, cell updates): on
/// wasm one SIMD128 register (2 lanes), natively 8 lanes, one AVX-512
/// register (or two AVX2 ones) inside [`wide`].
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) type Lanes = F64x2;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub(crate) type Lanes = imp::F64s<8>;

/// Lanes in a [`Lanes`].
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) const LANES: usize = 2;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub(crate) const LANES: usize = 8;

/// `1.5·2^52`: adding it to a small integral `f64` puts the integer in the
/// low mantissa bits.
const ROUND_MAGIC: f64 = 6_755_399_441_055_744.0;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl F64x2 {
    /// Lanes `s[0]`, `s[1]`; `s` must hold at least two elements.
    #[inline(always)]
    pub(crate) fn load(s: &[f64]) -> Self {
        Self::new(s[0], s[1])
    }

    /// Writes the lanes to `s[0]`, `s[1]`.
    #[inline(always)]
    pub(crate) fn store(self, s: &mut [f64]) {
        s[0] = self.lane(0);
        s[1] = self.lane(1);
    }

    /// Both lanes zero.
    #[inline(always)]
    pub(crate) fn zero() -> Self {
        Self::splat(0.0)
    }
}

/// Loads `W` lanes ([`LANES`] or 1, then in every lane) of `s` at `e`.
#[inline(always)]
pub(crate) fn ld<const W: usize>(s: &[f64], e: usize) -> Lanes {
    if W == LANES {
        Lanes::load(&s[e..e + LANES])
    } else {
        Lanes::splat(s[e])
    }
}

/// Stores `W` lanes ([`LANES`] or 1) of `v` to `s` at `e`.
#[inline(always)]
pub(crate) fn st<const W: usize>(v: Lanes, s: &mut [f64], e: usize) {
    if W == LANES {
        v.store(&mut s[e..e + LANES]);
    } else {
        s[e] = v.lane(0);
    }
}

/// Runs `f`, on x86-64 compiled for the CPU's widest vectors (see
/// `rnn_x86::wide`), so that the [`Lanes`] arithmetic inlined into `f` runs
/// 8 (AVX-512) or 4 (AVX2) lanes per instruction, with the same results.
#[inline(always)]
pub(crate) fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    return rnn_x86::wide(f);
    #[cfg(not(target_arch = "x86_64"))]
    return f();
}

/// Keeps the loop it is called in from being vectorised by LLVM (native
/// builds; on wasm it is nothing): for loops whose passes each compute whole
/// [`Lanes`] vectors already. LLVM's loop vectoriser runs before the
/// vectoriser that forms those vectors and would otherwise vectorise such a
/// loop a second time, 8 passes at once with their lanes gathered and
/// scattered (the LSTM cell loop had 40 gathers and 48 scatters). A call it
/// must keep in every pass stops it.
#[inline(always)]
pub(crate) fn keep_loop_unvectorised() {
    #[cfg(not(target_arch = "wasm32"))]
    core::hint::black_box(());
}

/// Runs the body with `W = LANES` for each full group of [`LANES`]
/// elements of `0..n` (starting at `e`), then with `W = 1` for each element
/// left over.
macro_rules! for_lanes {
    ($n:expr, |$e:ident, $w:ident| $body:block) => {{
        let n = $n;
        let mut $e = 0;
        while $e + $crate::simd::LANES <= n {
            const $w: usize = $crate::simd::LANES;
            $body
            $crate::simd::keep_loop_unvectorised();
            $e += $crate::simd::LANES;
        }
        while $e < n {
            const $w: usize = 1;
            $body
            $e += 1;
        }
    }};
}
pub(crate) use for_lanes;

#[cfg(test)]
mod tests {
    use super::{F32x4, F64x2};

    #[test]
    fn pow2i_covers_the_normal_range() {
        for k in -1022..=1023 {
            let v = F64x2::splat(f64::from(k)).pow2i();
            assert_eq!(v.lane(0), 2f64.powi(k), "2^{k}");
        }
    }

    #[test]
    fn pmin_pmax_keep_nan_on_the_left() {
        let nan = F64x2::splat(f64::NAN);
        let one = F64x2::splat(1.0);
        assert!(nan.pmin(one).lane(0).is_nan());
        assert!(nan.pmax(one).lane(0).is_nan());
        assert_eq!(F64x2::splat(3.0).pmin(one).lane(1), 1.0);
        assert!(one.max_nan(nan).lane(0).is_nan());
    }

    #[test]
    fn mul_add_is_a_product_then_a_sum_outside_relaxed_simd() {
        // 1 + 2^-30 squared is 1 + 2^-29 + 2^-60: a fused multiply-add
        // keeps the 2^-60, a product rounded first loses it.
        let x = 1.0 + 2f64.powi(-30);
        let v = F64x2::splat(x).mul_add(F64x2::splat(x), F64x2::splat(-1.0));
        assert_eq!(v.lane(1), 2f64.powi(-29));
        let y = 1.0 + 2f32.powi(-12);
        let w = F32x4::splat(y).mul_add(F32x4::splat(y), F32x4::splat(-1.0));
        assert_eq!(w.lane(3), 2f32.powi(-11));
    }

    #[test]
    fn f32x4_lanes_round_trip() {
        let s = [1.5f32, -2.0, 3.25, 4.0, 9.0];
        let v = F32x4::load(&s[1..]);
        assert_eq!((v.lane(0), v.lane(3)), (-2.0, 9.0));
        let mut out = [0.0f32; 4];
        v.add(F32x4::splat(1.0))
            .mul(F32x4::zero().add(F32x4::splat(2.0)))
            .store(&mut out);
        assert_eq!(out, [-2.0, 8.5, 10.0, 20.0]);
    }
}
