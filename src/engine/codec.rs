//! The payload codec: the one module that knows about `bincode`.
//!
//! `bincode` 2.0.1 is pinned (it is unmaintained upstream). Everything that
//! turns a value into log payload bytes or back goes through here, with the
//! standard configuration (little-endian, variable-length integers) and a
//! decode limit, so a hostile length inside a payload cannot make it allocate
//! more than [`DECODE_LIMIT`] (bincode checks a claimed length against the
//! limit, not against the bytes left; only the header holds strings).

use serde::{de::DeserializeOwned, Serialize};

/// The codec's name and version, recorded in every log header.
pub const CODEC: &str = "bincode-2.0.1/standard-varint";

/// The most bytes one decode may allocate.
pub const DECODE_LIMIT: usize = 16 * 1024 * 1024;

type Config = bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<DECODE_LIMIT>,
>;

const CONFIG: Config = bincode::config::standard().with_limit::<DECODE_LIMIT>();

/// A payload that could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CodecError(String);

impl From<String> for CodecError {
    fn from(message: String) -> Self {
        CodecError(message)
    }
}

struct VecWriter<'a>(&'a mut Vec<u8>);

impl bincode::enc::write::Writer for VecWriter<'_> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), bincode::error::EncodeError> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

/// Appends the encoding of `value` to `out` (no allocation once `out` has grown).
#[inline]
pub fn encode_into<T: Serialize>(value: &T, out: &mut Vec<u8>) -> Result<(), CodecError> {
    bincode::serde::encode_into_writer(value, VecWriter(out), CONFIG)
        .map_err(|e| CodecError(e.to_string()))
}

/// Decodes a value that must fill `bytes` exactly.
pub fn decode_exact<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (value, used) =
        bincode::serde::decode_from_slice(bytes, CONFIG).map_err(|e| CodecError(e.to_string()))?;
    if used != bytes.len() {
        return Err(CodecError(format!(
            "{} bytes left over after the value",
            bytes.len() - used
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_leftovers() {
        let mut buf = Vec::new();
        encode_into(&(7u32, String::from("x")), &mut buf).unwrap();
        assert_eq!(
            decode_exact::<(u32, String)>(&buf).unwrap(),
            (7, "x".into())
        );
        buf.push(0);
        assert!(decode_exact::<(u32, String)>(&buf).is_err());
    }

    #[test]
    fn a_huge_inner_length_is_refused_not_allocated() {
        // A string claiming u64::MAX bytes.
        let bytes = [0xFFu8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        assert!(decode_exact::<String>(&bytes).is_err());
    }
}
