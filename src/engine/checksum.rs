//! CRC-32C of a record (the log's and the snapshot's frames).
//!
//! The `crc32c` crate computes it, except for the short records that make
//! up nearly all of a log (about 20 bytes an event) on x86-64 with SSE 4.2:
//! there the crate first walks bytes one at a time up to an 8-byte
//! boundary and then sets up its three-lane loop, about 150 instructions
//! for 20 bytes, where unaligned 8-, 4-, 2- and 1-byte steps of the same
//! instruction take about 40 with the call (callgrind; replay spent a tenth
//! of its instructions in the crate). Same polynomial, same value: tested against the crate at
//! every length.

/// Records shorter than this take the short path.
#[cfg(target_arch = "x86_64")]
const SHORT: usize = 64;

/// The CRC-32C (Castagnoli) of `bytes`, as `crc32c::crc32c` computes it.
#[inline]
pub fn crc32c(bytes: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        if bytes.len() < SHORT && std::arch::is_x86_feature_detected!("sse4.2") {
            // SAFETY: the CPU has SSE 4.2, checked just above.
            return unsafe { short_sse42(bytes) };
        }
    }
    crc32c::crc32c(bytes)
}

/// CRC-32C of a short input with the SSE 4.2 instruction, in unaligned
/// steps of 8 bytes, then 4, 2 and 1.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.2")]
unsafe fn short_sse42(bytes: &[u8]) -> u32 {
    use std::arch::x86_64::{_mm_crc32_u16, _mm_crc32_u32, _mm_crc32_u64, _mm_crc32_u8};
    let mut crc = u64::from(!0u32);
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        crc = _mm_crc32_u64(crc, u64::from_le_bytes(w.try_into().expect("8 bytes")));
    }
    let mut crc = crc as u32;
    let mut rest = words.remainder();
    if rest.len() >= 4 {
        crc = _mm_crc32_u32(
            crc,
            u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")),
        );
        rest = &rest[4..];
    }
    if rest.len() >= 2 {
        crc = _mm_crc32_u16(
            crc,
            u16::from_le_bytes(rest[..2].try_into().expect("2 bytes")),
        );
        rest = &rest[2..];
    }
    if let Some(&b) = rest.first() {
        crc = _mm_crc32_u8(crc, b);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length either side of the short path's limit, at every
    /// alignment, on bytes that are not all alike: the crate's value.
    #[test]
    fn agrees_with_the_crate_at_every_length_and_alignment() {
        let data: Vec<u8> = (0..300u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for start in 0..8 {
            for len in 0..200 {
                let b = &data[start..start + len];
                assert_eq!(crc32c(b), crc32c::crc32c(b), "start {start}, length {len}");
            }
        }
    }

    /// The standard check value of CRC-32C ("123456789" → e3069283).
    #[test]
    fn check_value() {
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
    }
}
