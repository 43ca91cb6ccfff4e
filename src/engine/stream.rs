//! Random streams addressed by purpose and entity.
//!
//! Every random number in a run comes from a ChaCha8 stream chosen by
//! *what it is for* — never by the order in which the engine happens to ask.
//! The address is `(purpose, entity, occasion)`:
//!
//! * the ChaCha key is the run seed expanded by `ChaCha8Rng::seed_from_u64`;
//! * the ChaCha stream id (64 bits) is `purpose << 56 | entity`, so each
//!   purpose has 2^56 entities (a family id, a staff pool, …);
//! * the word position is `occasion << 32`: the n-th time the same entity
//!   needs the same kind of draw (its n-th referral, say) starts 2^32 words
//!   into the stream, so occasions never overlap.
//!
//! A family therefore gets the same attributes, the same triage draw and the
//! same help outcome draw whatever else happens in the run, which is what
//! makes common random numbers work across scenarios.
//!
//! The purposes themselves are the domain's (a `u8` code each, e.g.
//! `model::purpose::Purpose`); the engine only packs them into addresses.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The factory of a run's streams: the key derived from the seed.
#[derive(Clone, Debug)]
pub struct Streams {
    key: [u32; 8],
}

impl Streams {
    /// The streams of the run with this seed.
    pub fn new(seed: u64) -> Self {
        let bytes = ChaCha8Rng::seed_from_u64(seed).get_seed();
        Streams {
            key: std::array::from_fn(|i| {
                u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4 bytes"))
            }),
        }
    }

    /// The stream for `(purpose, entity, occasion)`: ChaCha8 with the run's
    /// key, stream id `purpose << 56 | entity`, from word `occasion << 32`.
    #[inline]
    pub fn stream(&self, purpose: impl Into<u8>, entity: u64, occasion: u32) -> Stream {
        debug_assert!(
            entity < 1 << 56,
            "entity {entity} does not fit a stream address"
        );
        let id = (u64::from(purpose.into()) << 56) | (entity & ((1 << 56) - 1));
        // Word position occasion << 32 is block occasion << 28, word 0.
        let block = u64::from(occasion) << 28;
        let k = &self.key;
        Stream {
            input: [
                0x6170_7865,
                0x3320_646e,
                0x7962_2d32,
                0x6b20_6574,
                k[0],
                k[1],
                k[2],
                k[3],
                k[4],
                k[5],
                k[6],
                k[7],
                block as u32,
                (block >> 32) as u32,
                id as u32,
                (id >> 32) as u32,
            ],
            out: [0; 16],
            next: 16,
        }
    }
}

/// One addressed stream, with the few variates the model needs. It yields
/// exactly the words `rand_chacha::ChaCha8Rng` would at the same key, stream
/// and word position, but computes one 64-byte block at a time as it is
/// read (a stream is mostly read for one or two numbers), where
/// `ChaCha8Rng` computes four at once. Continuous variates go through
/// `libm`, so they are the same on every platform.
pub struct Stream {
    /// The ChaCha state of the next block.
    input: [u32; 16],
    /// The current block's output words.
    out: [u32; 16],
    /// The next word of `out` to read (16: none left).
    next: usize,
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn quarter(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(16);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(12);
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(8);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(7);
}

/// The ChaCha8 block of state `input`, a word at a time (any target; the
/// reference for [`sse2::block`]).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline]
fn block_portable(input: &[u32; 16]) -> [u32; 16] {
    let mut x = *input;
    for _ in 0..4 {
        quarter(&mut x, 0, 4, 8, 12);
        quarter(&mut x, 1, 5, 9, 13);
        quarter(&mut x, 2, 6, 10, 14);
        quarter(&mut x, 3, 7, 11, 15);
        quarter(&mut x, 0, 5, 10, 15);
        quarter(&mut x, 1, 6, 11, 12);
        quarter(&mut x, 2, 7, 8, 13);
        quarter(&mut x, 3, 4, 9, 14);
    }
    std::array::from_fn(|i| x[i].wrapping_add(input[i]))
}

/// The ChaCha8 block with SSE2: each row of the state in one register, the
/// four quarter rounds of a column (or diagonal) round at once. About half
/// the instructions of [`block_portable`] (issue 18: a block is computed
/// for almost every decision, so this is a third of a run's instructions).
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_cvtsi128_si32, _mm_or_si128, _mm_set_epi32, _mm_shuffle_epi32,
        _mm_slli_epi32, _mm_srli_epi32, _mm_xor_si128,
    };

    #[inline]
    #[target_feature(enable = "sse2")]
    fn rotl<const L: i32, const R: i32>(x: __m128i) -> __m128i {
        _mm_or_si128(_mm_slli_epi32::<L>(x), _mm_srli_epi32::<R>(x))
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn row(w: &[u32; 16], i: usize) -> __m128i {
        _mm_set_epi32(
            w[4 * i + 3] as i32,
            w[4 * i + 2] as i32,
            w[4 * i + 1] as i32,
            w[4 * i] as i32,
        )
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn words(v: __m128i) -> [u32; 4] {
        [
            _mm_cvtsi128_si32(v) as u32,
            _mm_cvtsi128_si32(_mm_shuffle_epi32::<0b01>(v)) as u32,
            _mm_cvtsi128_si32(_mm_shuffle_epi32::<0b10>(v)) as u32,
            _mm_cvtsi128_si32(_mm_shuffle_epi32::<0b11>(v)) as u32,
        ]
    }

    /// The four quarter rounds on the rows' columns.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn quarters(a: &mut __m128i, b: &mut __m128i, c: &mut __m128i, d: &mut __m128i) {
        *a = _mm_add_epi32(*a, *b);
        *d = rotl::<16, 16>(_mm_xor_si128(*d, *a));
        *c = _mm_add_epi32(*c, *d);
        *b = rotl::<12, 20>(_mm_xor_si128(*b, *c));
        *a = _mm_add_epi32(*a, *b);
        *d = rotl::<8, 24>(_mm_xor_si128(*d, *a));
        *c = _mm_add_epi32(*c, *d);
        *b = rotl::<7, 25>(_mm_xor_si128(*b, *c));
    }

    /// The ChaCha8 block of state `input`, as [`super::block_portable`].
    #[target_feature(enable = "sse2")]
    pub(super) fn block(input: &[u32; 16]) -> [u32; 16] {
        let (a0, b0, c0, d0) = (row(input, 0), row(input, 1), row(input, 2), row(input, 3));
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for _ in 0..4 {
            quarters(&mut a, &mut b, &mut c, &mut d);
            // Diagonals to columns: row 1 left by one lane, row 2 by two, row 3 by three.
            b = _mm_shuffle_epi32::<0b00_11_10_01>(b);
            c = _mm_shuffle_epi32::<0b01_00_11_10>(c);
            d = _mm_shuffle_epi32::<0b10_01_00_11>(d);
            quarters(&mut a, &mut b, &mut c, &mut d);
            b = _mm_shuffle_epi32::<0b10_01_00_11>(b);
            c = _mm_shuffle_epi32::<0b01_00_11_10>(c);
            d = _mm_shuffle_epi32::<0b00_11_10_01>(d);
        }
        let mut out = [0; 16];
        for (i, (r, r0)) in [(a, a0), (b, b0), (c, c0), (d, d0)].into_iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&words(_mm_add_epi32(r, r0)));
        }
        out
    }
}

impl Stream {
    /// Computes the next block (ChaCha with 8 rounds) and advances the counter.
    #[inline]
    fn refill(&mut self) {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: SSE2 is part of the x86-64 baseline: every x86-64
            // CPU has it, and `block` needs nothing else.
            self.out = unsafe { sse2::block(&self.input) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self.out = block_portable(&self.input);
        }
        let counter = (u64::from(self.input[13]) << 32 | u64::from(self.input[12])).wrapping_add(1);
        self.input[12] = counter as u32;
        self.input[13] = (counter >> 32) as u32;
        self.next = 0;
    }

    /// Raw 64 bits: the next two words, low first.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        if self.next >= 16 {
            self.refill();
        }
        let v = u64::from(self.out[self.next + 1]) << 32 | u64::from(self.out[self.next]);
        self.next += 2;
        v
    }

    /// Uniform on [0, 1), 53 bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Exponential with the given mean.
    #[inline]
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log1p(-self.uniform())
    }

    /// An exponential duration in whole minutes (at least 1), from a mean in minutes.
    #[inline]
    pub fn exponential_minutes(&mut self, mean_minutes: f64) -> u64 {
        (libm::round(self.exponential(mean_minutes)) as u64).max(1)
    }

    /// Poisson with the given mean (by counting unit exponential gaps; for
    /// the modest means of monthly counts).
    pub fn poisson(&mut self, mean: f64) -> u32 {
        let mut n = 0u32;
        let mut t = self.exponential(1.0);
        while t < mean && n < u32::MAX {
            n += 1;
            t += self.exponential(1.0);
        }
        n
    }

    /// Index drawn with the given weights (which need not sum to 1; at least one positive).
    pub fn pick(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut u = self.uniform() * total;
        for (i, w) in weights.iter().enumerate() {
            if u < *w {
                return i;
            }
            u -= w;
        }
        weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P_ARRIVALS: u8 = 1;
    const P_HELPOUTCOME: u8 = 7;
    const P_TRIAGEDECISION: u8 = 4;
    const P_CARE: u8 = 12;
    const P_FAMILYNETWORK: u8 = 13;
    const P_STAFFTURNOVER: u8 = 14;

    /// The stream is ChaCha8Rng, word for word, at the same address.
    #[test]
    fn streams_are_chacha8rng_at_the_same_address() {
        use rand::{Rng, RngCore};
        for seed in [0u64, 1, 42, u64::MAX] {
            let s = Streams::new(seed);
            for (purpose, entity, occasion) in [
                (P_ARRIVALS, 0u64, 0u32),
                (P_TRIAGEDECISION, 7, 0),
                (P_FAMILYNETWORK, 123_456, 9),
                (P_STAFFTURNOVER, (3 << 32) | 77, 5),
                (P_CARE, (1 << 56) - 1, u32::MAX),
            ] {
                let mut reference = ChaCha8Rng::seed_from_u64(seed);
                reference.set_stream((u64::from(purpose) << 56) | entity);
                reference.set_word_pos(u128::from(occasion) << 32);
                let mut ours = s.stream(purpose, entity, occasion);
                // Across several blocks, through raw words and uniforms.
                for i in 0..40 {
                    if i % 3 == 0 {
                        assert_eq!(ours.uniform(), reference.random::<f64>());
                    } else {
                        assert_eq!(ours.next_u64(), reference.next_u64());
                    }
                }
            }
        }
    }

    /// The SSE2 block is the portable one, word for word, across counters
    /// (including the carry into the high word) and stream ids.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn sse2_block_is_the_portable_block() {
        let s = Streams::new(7);
        for (entity, occasion) in [(0u64, 0u32), (5, 1), ((1 << 56) - 1, u32::MAX)] {
            let mut st = s.stream(P_CARE, entity, occasion);
            for counter in [0u32, 1, u32::MAX] {
                st.input[12] = counter;
                // SAFETY: x86-64 always has SSE2.
                assert_eq!(unsafe { sse2::block(&st.input) }, block_portable(&st.input));
                st.refill();
                assert_eq!(st.input[12], counter.wrapping_add(1));
            }
        }
    }

    #[test]
    fn addresses_are_independent_of_asking_order() {
        let s = Streams::new(42);
        let a1 = s.stream(P_TRIAGEDECISION, 7, 0).next_u64();
        let _ = s.stream(P_TRIAGEDECISION, 8, 0).next_u64();
        let a2 = s.stream(P_TRIAGEDECISION, 7, 0).next_u64();
        assert_eq!(a1, a2);
        assert_ne!(a1, s.stream(P_TRIAGEDECISION, 7, 1).next_u64());
        assert_ne!(a1, s.stream(P_HELPOUTCOME, 7, 0).next_u64());
        assert_ne!(
            a1,
            Streams::new(43).stream(P_TRIAGEDECISION, 7, 0).next_u64()
        );
    }

    #[test]
    fn exponential_has_its_mean() {
        let s = Streams::new(1);
        let mut st = s.stream(P_ARRIVALS, 0, 0);
        let n = 200_000;
        let mean: f64 = (0..n).map(|_| st.exponential(5.0)).sum::<f64>() / n as f64;
        assert!((mean - 5.0).abs() < 0.05, "{mean}");
    }

    #[test]
    fn pick_respects_weights() {
        let s = Streams::new(3);
        let mut st = s.stream(P_ARRIVALS, 1, 0);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[st.pick(&[0.0, 1.0, 3.0])] += 1;
        }
        assert_eq!(counts[0], 0);
        assert!(
            (counts[2] as f64 / counts[1] as f64 - 3.0).abs() < 0.2,
            "{counts:?}"
        );
    }
}
