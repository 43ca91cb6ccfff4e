//! The snapshot file's framing: a signature, the content's version, and
//! checksummed records ending in a hash of everything before it.
//!
//! ```text
//! file    = signature version record*
//! signature = 89 46 46 53 4E 50 0D 0A      ("\x89FFSNP\r\n")
//! version = u32 LE                          (the content's version)
//! record  = length:u32 LE  crc:u32 LE  type:u8  payload    (as in the event log)
//! ```
//!
//! The last record (of a type the domain names) holds the xxh3 hash of every
//! byte of the records before it. Every length is checked against [`MAX_RECORD`] before
//! allocating and every checksum is verified. What the records hold is the
//! domain's (see `analysis::snapshot`).

use std::io::{self, Read, Write};

use serde::de::DeserializeOwned;
use serde::Serialize;
use xxhash_rust::xxh3::Xxh3;

use super::checksum;
use super::codec::{self, CodecError};

/// The file signature.
pub const SIGNATURE: [u8; 8] = *b"\x89FFSNP\r\n";
/// The largest record.
pub const MAX_RECORD: u32 = 16 * 1024 * 1024;

/// A snapshot that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A payload would not encode.
    #[error("{0}")]
    Encode(#[from] CodecError),
    /// Not a snapshot, or another version.
    #[error("not a familyflow snapshot of version {version}: {what}")]
    Format {
        /// The version expected.
        version: u32,
        /// What is wrong.
        what: String,
    },
    /// Well formed, but its content is not what this build can continue
    /// (checked by the domain: see `analysis::snapshot`).
    #[error("{0}")]
    Invalid(String),
    /// Cut short or damaged.
    #[error("record {record} at byte {offset}: {what}")]
    Damaged {
        /// Which record, from 0.
        record: u64,
        /// Where it starts.
        offset: u64,
        /// What is wrong.
        what: String,
    },
}

/// Writes a snapshot's records.
pub struct SnapshotWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    hash: Xxh3,
}

impl<W: Write> SnapshotWriter<W> {
    /// Starts a snapshot of content version `version`.
    pub fn new(mut out: W, version: u32) -> Result<Self, SnapshotError> {
        out.write_all(&SIGNATURE)?;
        out.write_all(&version.to_le_bytes())?;
        Ok(SnapshotWriter {
            out,
            buf: Vec::new(),
            hash: Xxh3::new(),
        })
    }

    /// Writes one record of type `ty`.
    pub fn record<T: Serialize>(&mut self, ty: u8, payload: &T) -> Result<(), SnapshotError> {
        self.buf.clear();
        self.buf.extend_from_slice(&[0; 8]);
        self.buf.push(ty);
        codec::encode_into(payload, &mut self.buf)?;
        let len = self.buf.len() - 8;
        if len > MAX_RECORD as usize {
            return Err(CodecError::from(format!(
                "a snapshot record of {len} bytes is over the {MAX_RECORD}-byte limit"
            ))
            .into());
        }
        let crc = checksum::crc32c(&self.buf[8..]);
        self.buf[0..4].copy_from_slice(&(len as u32).to_le_bytes());
        self.buf[4..8].copy_from_slice(&crc.to_le_bytes());
        self.hash.update(&self.buf);
        self.out.write_all(&self.buf)?;
        Ok(())
    }

    /// Writes the end, a record of type `ty` holding the hash of every
    /// record before it; flushes, and returns the output.
    pub fn end(mut self, ty: u8) -> Result<W, SnapshotError> {
        let digest = self.hash.digest();
        self.record(ty, &digest)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Reads and checks a snapshot's records in order.
pub struct SnapshotReader<R: Read> {
    input: R,
    offset: u64,
    record: u64,
    buf: Vec<u8>,
    hash: Xxh3,
}

impl<R: Read> SnapshotReader<R> {
    /// Checks the signature and that the content is of `version`.
    pub fn open(mut input: R, version: u32) -> Result<Self, SnapshotError> {
        let format = |what: &str| SnapshotError::Format {
            version,
            what: what.to_string(),
        };
        let mut pre = [0u8; 12];
        input.read_exact(&mut pre).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => {
                format("the file is shorter than its signature and version (12 bytes)")
            }
            _ => SnapshotError::Io(e),
        })?;
        if pre[..8] != SIGNATURE {
            return Err(format("the signature is wrong"));
        }
        let found = u32::from_le_bytes(pre[8..12].try_into().expect("4 bytes"));
        if found != version {
            return Err(format(&format!("it is version {found}")));
        }
        Ok(SnapshotReader {
            input,
            offset: 12,
            record: 0,
            buf: Vec::new(),
            hash: Xxh3::new(),
        })
    }

    /// An error naming the record being read and where it starts.
    pub fn damaged(&self, what: String) -> SnapshotError {
        SnapshotError::Damaged {
            record: self.record,
            offset: self.offset,
            what,
        }
    }

    /// Reads the next record, which must be of type `ty` (`what` names it
    /// in errors), and decodes it.
    pub fn expect<T: DeserializeOwned>(&mut self, ty: u8, what: &str) -> Result<T, SnapshotError> {
        let mut frame = [0u8; 8];
        let mut got = 0;
        while got < 8 {
            match self.input.read(&mut frame[got..])? {
                0 => {
                    return Err(self.damaged(format!(
                        "the snapshot is cut short before {what} (expected more records)"
                    )))
                }
                n => got += n,
            }
        }
        let len = u32::from_le_bytes(frame[0..4].try_into().expect("4 bytes"));
        let stored = u32::from_le_bytes(frame[4..8].try_into().expect("4 bytes"));
        if len == 0 || len > MAX_RECORD {
            return Err(self.damaged(format!(
                "its length field claims {len} bytes (allowed 1 to {MAX_RECORD})"
            )));
        }
        self.buf.clear();
        self.buf.resize(len as usize, 0);
        self.input
            .read_exact(&mut self.buf)
            .map_err(|_| self.damaged(format!("the snapshot is cut short inside {what}")))?;
        if checksum::crc32c(&self.buf) != stored {
            return Err(self.damaged("checksum mismatch".into()));
        }
        if self.buf[0] != ty {
            return Err(self.damaged(format!(
                "expected {what} (record type {ty}), found type {}",
                self.buf[0]
            )));
        }
        self.hash.update(&frame);
        self.hash.update(&self.buf);
        let value = codec::decode_exact(&self.buf[1..])
            .map_err(|e| self.damaged(format!("{what} does not decode: {e}")))?;
        self.offset += 8 + u64::from(len);
        self.record += 1;
        Ok(value)
    }

    /// Reads the end, a record of type `ty`: its hash must be that of the
    /// records before it, and nothing may follow it.
    pub fn end(mut self, ty: u8) -> Result<(), SnapshotError> {
        let computed = self.hash.digest();
        let stored: u64 = self.expect(ty, "the end")?;
        if stored != computed {
            return Err(self.damaged(format!(
                "the end's hash {stored:016x} is not that of the records before it ({computed:016x})"
            )));
        }
        let mut probe = [0u8; 1];
        if self.input.read(&mut probe)? != 0 {
            return Err(self.damaged("bytes follow the end".into()));
        }
        Ok(())
    }
}
