//! How a computed tile lands in `C`: `C ← α·tile + β·C`, the one rule every
//! GEMM path stores by.
//!
//! The rule, per value `v` of the tile and cell `c` of `C`:
//! - `α = 1` does not scale `v`; otherwise `v·α`;
//! - `β = 0` gives that, without reading `c` (NaN or garbage in `C` never
//!   reaches the result);
//! - `β = 1` gives `c + v`; otherwise `c·β + v`.
//!
//! Skipping a factor of 1 changes no bits, so this is the plain expression
//! `α·v + β·c` (with `β = 0` overwriting), one rounding per multiply and one
//! for the add, whichever path computed the tile.
//!
//! [`Rule::apply`] writes it once for every representation ([`Value`]: one
//! `f64`, or two SIMD128 lanes in the wasm tile store). The x86-64 kernels
//! store whole tiles straight from their registers; `rnn-x86`'s
//! `store_tile!` is the same rule in AVX intrinsics, with the branches on
//! `α` and `β` hoisted out of the unrolled store (an update per vector kept
//! the accumulators in memory). So that those kernels and this crate
//! describe an update with one type, [`Update`] is `rnn-x86`'s on x86-64;
//! `rnn-x86` is built for x86-64 only (and sits below this crate), so other
//! targets declare the same two fields here.

use crate::simd::F64x2;

#[cfg(target_arch = "x86_64")]
pub(crate) use rnn_x86::Update;

/// The factors of an update: `C ← α·tile + β·C`.
#[cfg(not(target_arch = "x86_64"))]
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Update {
    /// Scales the computed tile.
    pub alpha: f64,
    /// Scales what `C` held; 0 overwrites it unread.
    pub beta: f64,
}

/// A value the rule applies to: one `f64` or a vector of lanes.
pub(crate) trait Value: Copy {
    /// Every lane `v`.
    fn splat(v: f64) -> Self;
    /// Lane-wise `self + o`.
    fn add(self, o: Self) -> Self;
    /// Lane-wise `self · o`.
    fn mul(self, o: Self) -> Self;
}

impl Value for f64 {
    #[inline(always)]
    fn splat(v: f64) -> Self {
        v
    }

    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self + o
    }

    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self * o
    }
}

impl Value for F64x2 {
    #[inline(always)]
    fn splat(v: f64) -> Self {
        F64x2::splat(v)
    }

    #[inline(always)]
    fn add(self, o: Self) -> Self {
        F64x2::add(self, o)
    }

    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        F64x2::mul(self, o)
    }
}

/// The update rule (see the module doc), for [`Update`].
pub(crate) trait Rule: Copy {
    /// `α·v + β·c`, reading `c` only when `β ≠ 0`.
    fn apply<V: Value>(self, v: V, c: impl FnOnce() -> V) -> V;

    /// `β·c` alone, with `β = 0` giving 0 whatever `c` holds: `C`'s part of
    /// the update, for loops that then add the product into `C` in place.
    fn keep<V: Value>(self, c: V) -> V;

    /// [`Rule::apply`] on one value.
    #[inline(always)]
    fn combine(self, v: f64, c: f64) -> f64 {
        self.apply(v, || c)
    }
}

impl Rule for Update {
    #[inline(always)]
    fn apply<V: Value>(self, v: V, c: impl FnOnce() -> V) -> V {
        let v = if self.alpha == 1.0 {
            v
        } else {
            v.mul(V::splat(self.alpha))
        };
        // Each case ends in its own add, not `keep(c()).add(v)`: LLVM makes
        // that `keep` a `select` that computes `β·c` whatever `β`, V8 then
        // compiles the packed loop nest around the wasm tile store
        // differently, and the wasm GEMM measured 3–5 % slower.
        if self.beta == 0.0 {
            v
        } else if self.beta == 1.0 {
            c().add(v)
        } else {
            c().mul(V::splat(self.beta)).add(v)
        }
    }

    #[inline(always)]
    fn keep<V: Value>(self, c: V) -> V {
        if self.beta == 0.0 {
            V::splat(0.0)
        } else {
            // `β·c + (−0)` is `β·c` bit for bit (`x + (−0) = x` for every
            // `x`, `+0` and NaN included), so the rule gives `C`'s part
            // alone; LLVM folds the addition away.
            let up = Update {
                alpha: 1.0,
                beta: self.beta,
            };
            up.apply(V::splat(-0.0), || c)
        }
    }
}
