//! MD5 (RFC 1321) with a compression function that can run eight messages at
//! once in the lanes of 256-bit registers (AVX2, or AVX-512VL where the CPU
//! has it).
//!
//! One MD5 is a chain of dependent steps: a core runs it at a fraction of its
//! width. Eight independent files hashed in lockstep fill that width, which
//! is how a BE hashes the many tablet files of a BACKUP or RESTORE several
//! times faster per core ([`crate::hasher`] groups them). The scalar path is
//! used alone for a single message and on CPUs without AVX2; all are checked
//! against the `md-5` crate.

/// Bytes in one MD5 block.
pub const BLOCK: usize = 64;

/// Lanes of [`compress_lanes`].
pub const LANES: usize = 8;

/// The chaining value of an unfinished MD5.
pub type State = [u32; 4];

/// The chaining value before the first block.
pub const INITIAL: State = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// Additive constants: the integer part of 2^32 × |sin(i + 1)|.
const K: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

/// Left rotations, four per round.
const ROTATE: [[u32; 4]; 4] = [[7, 12, 17, 22], [5, 9, 14, 20], [4, 11, 16, 23], [6, 10, 15, 21]];

/// The message word step `i` adds.
const fn word(i: usize) -> usize {
    match i / 16 {
        0 => i,
        1 => (5 * i + 1) % 16,
        2 => (3 * i + 5) % 16,
        _ => (7 * i) % 16,
    }
}

/// Runs the compression function over whole blocks of `data`.
pub fn compress(state: &mut State, data: &[u8]) {
    for block in data.chunks_exact(BLOCK) {
        let mut m = [0u32; 16];
        for (w, bytes) in m.iter_mut().zip(block.chunks_exact(4)) {
            *w = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        let mut w = *state;
        round::<0>(&mut w, &m);
        round::<1>(&mut w, &m);
        round::<2>(&mut w, &m);
        round::<3>(&mut w, &m);
        let [a, b, c, d] = w;
        for (s, v) in state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }
}

/// The 16 steps of round `R` (0..4) on the working state `w`. Rounds are
/// separate functions so each `while` is short enough to be unrolled into
/// steps with constant indices.
#[inline(always)]
fn round<const R: usize>(w: &mut State, m: &[u32; 16]) {
    let [mut a, mut b, mut c, mut d] = *w;
    let mut j = 0;
    while j < 16 {
        let i = R * 16 + j;
        // What does not depend on `b`, the newest word, is added first: the
        // chain of dependent operations per step gets shorter.
        let early = a.wrapping_add(K[i]).wrapping_add(m[word(i)]);
        let sum = match R {
            0 => early.wrapping_add(d ^ (b & (c ^ d))),
            // (b & d) | (c & !d): the halves never overlap, so + is |.
            1 => early.wrapping_add(c & !d).wrapping_add(b & d),
            2 => early.wrapping_add(b ^ c ^ d),
            _ => early.wrapping_add(c ^ (b | !d)),
        };
        let next = b.wrapping_add(sum.rotate_left(ROTATE[R][j % 4]));
        (a, b, c, d) = (d, next, b, c);
        j += 1;
    }
    *w = [a, b, c, d];
}

/// Runs the compression function over the first `blocks` blocks of each of
/// [`LANES`] messages at once. Every slice must hold at least that many
/// blocks. Uses AVX-512 (on 256-bit registers) or AVX2 when the CPU has it,
/// the scalar path otherwise.
pub fn compress_lanes(states: &mut [State; LANES], data: [&[u8]; LANES], blocks: usize) {
    assert!(
        data.iter().all(|d| d.len() >= blocks * BLOCK),
        "a lane is short of blocks"
    );
    #[cfg(target_arch = "x86_64")]
    {
        if simd::has_avx512() {
            // SAFETY: the CPU has the features (checked) and every lane holds
            // `blocks` blocks (asserted above).
            unsafe { simd::compress_avx512(states, data, blocks) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above, for AVX2.
            unsafe { simd::compress_avx2(states, data, blocks) };
            return;
        }
    }
    for (state, lane) in states.iter_mut().zip(data) {
        compress(state, &lane[..blocks * BLOCK]);
    }
}

/// Pads the `tail` (fewer than [`BLOCK`] bytes) of a `total`-byte message,
/// compresses it and returns the lowercase hex digest.
pub fn finish(mut state: State, tail: &[u8], total: u64) -> String {
    debug_assert!(tail.len() < BLOCK);
    let mut last = [0u8; 2 * BLOCK];
    last[..tail.len()].copy_from_slice(tail);
    last[tail.len()] = 0x80;
    let len = if tail.len() < BLOCK - 8 { BLOCK } else { 2 * BLOCK };
    last[len - 8..len].copy_from_slice(&total.wrapping_mul(8).to_le_bytes());
    compress(&mut state, &last[..len]);
    state
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(target_arch = "x86_64")]
mod simd {
    //! Eight lanes in 256-bit registers. The step is written once over
    //! [`Ops`]; AVX2 builds the round functions and rotations from basic
    //! operations, AVX-512VL has one instruction for each.

    use std::arch::x86_64::*;

    use super::{BLOCK, K, LANES, ROTATE, State, word};

    pub(super) fn has_avx512() -> bool {
        std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vl")
    }

    /// The operations that differ between instruction sets.
    trait Ops {
        /// The round function of round `R` (0..4) on `b`, `c`, `d`.
        unsafe fn f<const R: usize>(b: __m256i, c: __m256i, d: __m256i) -> __m256i;
        /// `x` rotated left by `r`, one of MD5's rotation amounts.
        unsafe fn rol(x: __m256i, r: u32) -> __m256i;
    }

    struct Avx2;

    impl Ops for Avx2 {
        #[inline(always)]
        unsafe fn f<const R: usize>(b: __m256i, c: __m256i, d: __m256i) -> __m256i {
            // SAFETY (all blocks here): only called from `compress_avx2`,
            // which runs with AVX2 enabled.
            unsafe {
                match R {
                    0 => _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d))),
                    // (b & d) | (c & !d): the halves never overlap, so + is |,
                    // and the half without `b` can start earlier.
                    1 => _mm256_add_epi32(_mm256_andnot_si256(d, c), _mm256_and_si256(b, d)),
                    2 => _mm256_xor_si256(b, _mm256_xor_si256(c, d)),
                    _ => _mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, _mm256_set1_epi32(-1)))),
                }
            }
        }

        #[inline(always)]
        unsafe fn rol(x: __m256i, r: u32) -> __m256i {
            // SAFETY: see `f`.
            unsafe {
                _mm256_or_si256(
                    _mm256_sll_epi32(x, _mm_cvtsi32_si128(r as i32)),
                    _mm256_srl_epi32(x, _mm_cvtsi32_si128(32 - r as i32)),
                )
            }
        }
    }

    struct Avx512;

    impl Ops for Avx512 {
        #[inline(always)]
        unsafe fn f<const R: usize>(b: __m256i, c: __m256i, d: __m256i) -> __m256i {
            // SAFETY (all blocks here): only called from `compress_avx512`,
            // which runs with AVX-512F and VL enabled. The immediates are the
            // truth tables of the three inputs: 0xca is "first ? second :
            // third", 0x96 a three-way xor, 0x39 is c ^ (b | !d).
            unsafe {
                match R {
                    0 => _mm256_ternarylogic_epi32::<0xca>(b, c, d),
                    1 => _mm256_ternarylogic_epi32::<0xca>(d, b, c),
                    2 => _mm256_ternarylogic_epi32::<0x96>(b, c, d),
                    _ => _mm256_ternarylogic_epi32::<0x39>(b, c, d),
                }
            }
        }

        #[inline(always)]
        unsafe fn rol(x: __m256i, r: u32) -> __m256i {
            // SAFETY: see `f`. After unrolling `r` is a constant and the match folds.
            unsafe {
                match r {
                    4 => _mm256_rol_epi32::<4>(x),
                    5 => _mm256_rol_epi32::<5>(x),
                    6 => _mm256_rol_epi32::<6>(x),
                    7 => _mm256_rol_epi32::<7>(x),
                    9 => _mm256_rol_epi32::<9>(x),
                    10 => _mm256_rol_epi32::<10>(x),
                    11 => _mm256_rol_epi32::<11>(x),
                    12 => _mm256_rol_epi32::<12>(x),
                    14 => _mm256_rol_epi32::<14>(x),
                    15 => _mm256_rol_epi32::<15>(x),
                    16 => _mm256_rol_epi32::<16>(x),
                    17 => _mm256_rol_epi32::<17>(x),
                    20 => _mm256_rol_epi32::<20>(x),
                    21 => _mm256_rol_epi32::<21>(x),
                    22 => _mm256_rol_epi32::<22>(x),
                    _ => _mm256_rol_epi32::<23>(x),
                }
            }
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and every slice must hold `blocks` blocks.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn compress_avx2(states: &mut [State; LANES], data: [&[u8]; LANES], blocks: usize) {
        // SAFETY: the caller's guarantees are this function's.
        unsafe { compress::<Avx2>(states, data, blocks) }
    }

    /// # Safety
    /// The CPU must support AVX2, AVX-512F and AVX-512VL, and every slice
    /// must hold `blocks` blocks.
    #[target_feature(enable = "avx2,avx512f,avx512vl")]
    pub(super) unsafe fn compress_avx512(states: &mut [State; LANES], data: [&[u8]; LANES], blocks: usize) {
        // SAFETY: the caller's guarantees are this function's.
        unsafe { compress::<Avx512>(states, data, blocks) }
    }

    /// Lane `l` of every vector belongs to message `l`. Inlined into the
    /// callers above, so it runs with their instruction sets.
    #[inline(always)]
    unsafe fn compress<O: Ops>(states: &mut [State; LANES], data: [&[u8]; LANES], blocks: usize) {
        // SAFETY (all blocks here): AVX2 is enabled in every caller; loads
        // stay inside `data[l][block * BLOCK..][..BLOCK]`, which the caller
        // guarantees exists; unaligned loads and stores have no alignment needs.
        unsafe {
            let lane = |s: usize| {
                _mm256_setr_epi32(
                    states[0][s] as i32,
                    states[1][s] as i32,
                    states[2][s] as i32,
                    states[3][s] as i32,
                    states[4][s] as i32,
                    states[5][s] as i32,
                    states[6][s] as i32,
                    states[7][s] as i32,
                )
            };
            let mut v = [lane(0), lane(1), lane(2), lane(3)];
            for block in 0..blocks {
                let rows = |half: usize| -> [__m256i; LANES] {
                    std::array::from_fn(|l| {
                        let bytes = &data[l][block * BLOCK + half * 32..][..32];
                        _mm256_loadu_si256(bytes.as_ptr().cast())
                    })
                };
                // Words 0..8 and 8..16 of every lane, one vector per word.
                let (low, high) = (transpose(rows(0)), transpose(rows(1)));
                let m: [__m256i; 16] = std::array::from_fn(|w| if w < 8 { low[w] } else { high[w - 8] });
                let mut w = v;
                round::<O, 0>(&mut w, &m);
                round::<O, 1>(&mut w, &m);
                round::<O, 2>(&mut w, &m);
                round::<O, 3>(&mut w, &m);
                let [a, b, c, d] = w;
                v = [
                    _mm256_add_epi32(v[0], a),
                    _mm256_add_epi32(v[1], b),
                    _mm256_add_epi32(v[2], c),
                    _mm256_add_epi32(v[3], d),
                ];
            }
            for (s, vector) in v.iter().enumerate() {
                let mut out = [0i32; LANES];
                _mm256_storeu_si256(out.as_mut_ptr().cast(), *vector);
                for (state, value) in states.iter_mut().zip(out) {
                    state[s] = value as u32;
                }
            }
        }
    }

    /// The 16 steps of round `R` on the working vectors `w` (see the scalar
    /// [`super::round`]).
    #[inline(always)]
    unsafe fn round<O: Ops, const R: usize>(w: &mut [__m256i; 4], m: &[__m256i; 16]) {
        // SAFETY: AVX2 is enabled in every caller (see `compress`).
        unsafe {
            let [mut a, mut b, mut c, mut d] = *w;
            let mut j = 0;
            while j < 16 {
                let i = R * 16 + j;
                let early = _mm256_add_epi32(a, _mm256_add_epi32(_mm256_set1_epi32(K[i] as i32), m[word(i)]));
                let sum = _mm256_add_epi32(early, O::f::<R>(b, c, d));
                let next = _mm256_add_epi32(b, O::rol(sum, ROTATE[R][j % 4]));
                (a, b, c, d) = (d, next, b, c);
                j += 1;
            }
            *w = [a, b, c, d];
        }
    }

    /// Transposes an 8×8 matrix of 32-bit words held one row per vector.
    #[inline(always)]
    unsafe fn transpose(r: [__m256i; 8]) -> [__m256i; 8] {
        // SAFETY: AVX2 is enabled in every caller (see `compress`).
        unsafe {
            let pairs_lo = |x, y| _mm256_unpacklo_epi32(x, y);
            let pairs_hi = |x, y| _mm256_unpackhi_epi32(x, y);
            let t = [
                pairs_lo(r[0], r[1]),
                pairs_hi(r[0], r[1]),
                pairs_lo(r[2], r[3]),
                pairs_hi(r[2], r[3]),
                pairs_lo(r[4], r[5]),
                pairs_hi(r[4], r[5]),
                pairs_lo(r[6], r[7]),
                pairs_hi(r[6], r[7]),
            ];
            let u = [
                _mm256_unpacklo_epi64(t[0], t[2]),
                _mm256_unpackhi_epi64(t[0], t[2]),
                _mm256_unpacklo_epi64(t[1], t[3]),
                _mm256_unpackhi_epi64(t[1], t[3]),
                _mm256_unpacklo_epi64(t[4], t[6]),
                _mm256_unpackhi_epi64(t[4], t[6]),
                _mm256_unpacklo_epi64(t[5], t[7]),
                _mm256_unpackhi_epi64(t[5], t[7]),
            ];
            [
                _mm256_permute2x128_si256::<0x20>(u[0], u[4]),
                _mm256_permute2x128_si256::<0x20>(u[1], u[5]),
                _mm256_permute2x128_si256::<0x20>(u[2], u[6]),
                _mm256_permute2x128_si256::<0x20>(u[3], u[7]),
                _mm256_permute2x128_si256::<0x31>(u[0], u[4]),
                _mm256_permute2x128_si256::<0x31>(u[1], u[5]),
                _mm256_permute2x128_si256::<0x31>(u[2], u[6]),
                _mm256_permute2x128_si256::<0x31>(u[3], u[7]),
            ]
        }
    }

    /// A lane kernel, with the safety requirements of the functions above.
    #[cfg(test)]
    pub(super) type Kernel = unsafe fn(&mut [State; LANES], [&[u8]; LANES], usize);

    /// The kernels this CPU can run, for tests that check each one.
    #[cfg(test)]
    pub(super) fn kernels() -> Vec<(&'static str, Kernel)> {
        let mut found: Vec<(&'static str, Kernel)> = Vec::new();
        if std::arch::is_x86_feature_detected!("avx2") {
            found.push(("avx2", compress_avx2));
        }
        if has_avx512() {
            found.push(("avx512", compress_avx512));
        }
        found
    }
}

/// Reference digests and test data shared by the MD5 tests.
#[cfg(test)]
pub(crate) mod testing {
    use md5::Digest;

    /// The `md-5` crate's digest, lowercase hex.
    pub(crate) fn reference(data: &[u8]) -> String {
        md5::Md5::digest(data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// `len` pseudo-random bytes from `seed` (xorshift).
    pub(crate) fn bytes(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{bytes, reference};
    use super::*;

    fn digest(data: &[u8]) -> String {
        let whole = data.len() / BLOCK * BLOCK;
        let mut state = INITIAL;
        compress(&mut state, &data[..whole]);
        finish(state, &data[whole..], data.len() as u64)
    }

    #[test]
    fn scalar_matches_the_reference_at_every_padding_boundary() {
        assert_eq!(digest(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(digest(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        for len in (0..200).chain([1000, 4096, 65_535, 65_536, 1 << 20]) {
            let data = bytes(len, len as u64);
            assert_eq!(digest(&data), reference(&data), "length {len}");
        }
    }

    /// Two passes over eight different messages, checked lane by lane.
    fn check_lanes(name: &str, kernel: impl Fn(&mut [State; LANES], [&[u8]; LANES], usize)) {
        let messages: Vec<Vec<u8>> = (0..LANES).map(|l| bytes(BLOCK * 37, l as u64 + 100)).collect();
        let mut states = [INITIAL; LANES];
        let data: [&[u8]; LANES] = std::array::from_fn(|l| messages[l].as_slice());
        kernel(&mut states, data, 20);
        kernel(
            &mut states,
            std::array::from_fn(|l| &messages[l][20 * BLOCK..]),
            17,
        );
        for (l, message) in messages.iter().enumerate() {
            assert_eq!(
                finish(states[l], &[], message.len() as u64),
                reference(message),
                "{name}, lane {l}"
            );
        }
    }

    #[test]
    fn lanes_match_the_reference_for_eight_different_messages() {
        check_lanes("dispatch", compress_lanes);
        #[cfg(target_arch = "x86_64")]
        for (name, kernel) in super::simd::kernels() {
            // SAFETY: `kernels` lists only what this CPU supports; every lane
            // of `check_lanes` holds the blocks asked for.
            check_lanes(name, |s, d, b| unsafe { kernel(s, d, b) });
        }
    }
}
