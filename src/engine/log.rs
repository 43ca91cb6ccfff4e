//! The event log: an append-only file of framed, checksummed records.
//!
//! ```text
//! file    = signature version record*
//! signature = 89 46 46 4C 4F 47 0D 0A      ("\x89FFLOG\r\n")
//! version = u32 LE                          (FORMAT_VERSION)
//! record  = length:u32 LE  crc:u32 LE  type:u8  payload
//!           length counts type + payload; crc is CRC-32C of type + payload
//! ```
//!
//! The first record is the [`Header`] (type 1), the last the [`Trailer`]
//! (type 4); between them come events (type 2, a [`Timed`]) and, every
//! `checkpoint_every` events, a [`Checkpoint`] (type 3). Payloads are encoded
//! by [`crate::engine::codec`]. The running hash is xxh3-64 over every byte of every
//! event record so far (framing included); checkpoints and the trailer carry
//! it, so a dropped, repeated or reordered record is caught even though each
//! record's own checksum is good.
//!
//! Readers check each length against a cap before allocating, verify every
//! checksum, and report where a log is cut or damaged (byte offset and record
//! number). [`LogReader`] is strict; [`recover`] keeps the intact prefix.
//!
//! Events carry no sequence number of their own: a dropped, repeated or
//! reordered event record is caught at the next checkpoint or the trailer
//! (whose event count and running hash no longer match), or sooner when an
//! event's time goes backwards. Such an error is [`LogError::OutOfSequence`]
//! and says how many events the last good checkpoint vouches for: the break
//! lies somewhere after them, so a recovery keeps only those.
//!
//! The reader also checks what it can without knowing the domain: the header's
//! codec is this build's ([`codec::CODEC`]), the trailer's end is not before
//! its last event, and, once the caller knows the run's end
//! ([`LogReader::limit_times`]), that no time lies at or beyond it.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use super::checksum;
use super::codec::{self, CodecError};
use super::Minute;

/// An event with the minute it happened at: what the log stores. Generic
/// over the domain's event type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timed<E> {
    /// When.
    pub at: Minute,
    /// What.
    pub event: E,
}

/// The file signature.
pub const SIGNATURE: [u8; 8] = *b"\x89FFLOG\r\n";
/// The byte format's version; bumped whenever the bytes of a log would change.
pub const FORMAT_VERSION: u32 = 4;
/// The largest header record (it carries the scenario text).
pub const MAX_HEADER_RECORD: u32 = 16 * 1024 * 1024;
/// The largest record of any other type.
pub const MAX_RECORD: u32 = 64 * 1024;
/// Events between checkpoints, by default.
pub const CHECKPOINT_EVERY: u64 = 65_536;

const PREAMBLE: u64 = 12;
const FRAME: usize = 9;

/// Record types.
mod kind {
    pub const HEADER: u8 = 1;
    pub const EVENT: u8 = 2;
    pub const CHECKPOINT: u8 = 3;
    pub const TRAILER: u8 = 4;
}

/// What a log says about the run that wrote it: enough to replay it alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// familyflow's version.
    pub engine_version: String,
    /// The payload codec (see [`codec::CODEC`]).
    pub codec: String,
    /// The run's seed.
    pub seed: u64,
    /// xxh3-64 of the scenario text.
    pub scenario_hash: u64,
    /// Where the scenario came from (a path, or `<built-in default>`).
    pub scenario_source: String,
    /// The scenario text itself.
    pub scenario: String,
    /// Events between checkpoints.
    pub checkpoint_every: u64,
}

/// A periodic mark: events so far and the running hash over them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Events before this checkpoint.
    pub events: u64,
    /// The time of the last of them.
    pub at: Minute,
    /// Running hash over their records.
    pub running_hash: u64,
}

/// The last record of a log that was closed properly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trailer {
    /// Events in the log.
    pub events: u64,
    /// The minute the run ended at.
    pub end: Minute,
    /// Hash of the final state (`State::hash`).
    pub state_hash: u64,
    /// Running hash over all event records.
    pub running_hash: u64,
    /// True when the run finished; false for a log recovered from a cut one.
    pub clean: bool,
}

/// What went wrong reading a log, and where.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The file could not be read or written.
    #[error("cannot read or write the log: {0}")]
    Io(#[from] io::Error),
    /// The first bytes are not the signature.
    #[error("not a familyflow event log: it does not start with the signature \\x89FFLOG\\r\\n")]
    NotALog,
    /// A version this build does not read.
    #[error("log format version {found} is not supported: this familyflow reads version {FORMAT_VERSION}")]
    UnsupportedVersion {
        /// The version in the file.
        found: u32,
    },
    /// The file ends inside something.
    #[error("the log is cut short: it ends at byte {end}, inside {what}")]
    Truncated {
        /// The file's length.
        end: u64,
        /// What was being read.
        what: String,
        /// Where the intact part ends.
        intact: u64,
    },
    /// A record's framing or content is damaged.
    #[error("record {record} at byte {offset} is damaged: {what}")]
    Damaged {
        /// Record number, counting the header as 0.
        record: u64,
        /// Byte offset at which the record starts.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// The log ends cleanly between records but has no trailer.
    #[error("the log ends at byte {end} after {events} events without its trailer: the run that wrote it did not finish (cut short or stopped)")]
    MissingTrailer {
        /// The file's length.
        end: u64,
        /// Events read.
        events: u64,
    },
    /// Bytes follow the trailer.
    #[error("unexpected bytes after the trailer at byte {offset}")]
    AfterTrailer {
        /// Where they start.
        offset: u64,
    },
    /// A well-formed record breaks the sequence: records before it are
    /// missing, repeated or out of order (its checksum is good).
    #[error("record {record} at byte {offset} is out of sequence: {what}")]
    OutOfSequence {
        /// Record number, counting the header as 0.
        record: u64,
        /// Byte offset at which the record starts.
        offset: u64,
        /// What is wrong.
        what: String,
        /// Events the last good checkpoint vouches for (0 when none did):
        /// the break lies after them.
        vouched: u64,
        /// Where the last good checkpoint ends (or the header, when none did).
        vouched_offset: u64,
    },
    /// A well-formed record whose content cannot be right, found by a check
    /// above the framing (an event that does not fit the state, or that a
    /// re-run of the scenario does not give).
    #[error("record {record} at byte {offset}: {what}")]
    Content {
        /// Record number, counting the header as 0.
        record: u64,
        /// Byte offset at which the record starts.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// An event could not be written.
    #[error("cannot encode an event: {0}")]
    Encode(#[from] CodecError),
}

impl LogError {
    /// Where the intact part of the log ends (for recovery), if known.
    pub fn intact_up_to(&self) -> Option<u64> {
        match self {
            LogError::Truncated { intact, .. } => Some(*intact),
            LogError::Damaged { offset, .. } => Some(*offset),
            LogError::MissingTrailer { end, .. } => Some(*end),
            LogError::AfterTrailer { offset } => Some(*offset),
            LogError::OutOfSequence { vouched_offset, .. } => Some(*vouched_offset),
            LogError::Content { offset, .. } => Some(*offset),
            _ => None,
        }
    }
}

/// Writes a log: header first, then events (with checkpoints), then the trailer.
pub struct LogWriter<W: Write> {
    /// The output; taken by [`LogWriter::finish`].
    out: Option<W>,
    /// Records not yet written to `out`, whole; written in blocks of about
    /// [`WRITE_BLOCK`] bytes.
    buf: Vec<u8>,
    /// `buf[unhashed..]` is event frames (and nothing else) not yet fed to
    /// the running hash: fed in one call per block or checkpoint, not one
    /// per event (xxh3's per-call cost was most of its share).
    unhashed: usize,
    events: u64,
    last_at: Minute,
    running: Xxh3,
    checkpoint_every: u64,
    bytes: u64,
}

impl<W: Write> LogWriter<W> {
    /// Starts a log with `header`.
    pub fn new(mut out: W, header: &Header) -> Result<Self, LogError> {
        out.write_all(&SIGNATURE)?;
        out.write_all(&FORMAT_VERSION.to_le_bytes())?;
        let mut w = LogWriter {
            out: Some(out),
            buf: Vec::with_capacity(WRITE_BLOCK + 256),
            unhashed: 0,
            events: 0,
            last_at: 0,
            running: Xxh3::new(),
            checkpoint_every: header.checkpoint_every.max(1),
            bytes: PREAMBLE,
        };
        w.record(kind::HEADER, header, MAX_HEADER_RECORD)?;
        w.unhashed = w.buf.len();
        Ok(w)
    }

    /// Appends one record to `buf`: its frame, type and payload. A record
    /// over `cap` is an error and leaves nothing behind.
    fn record<T: Serialize>(&mut self, ty: u8, payload: &T, cap: u32) -> Result<(), LogError> {
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0; FRAME - 1]);
        self.buf.push(ty);
        let body = at + FRAME - 1;
        let encoded = codec::encode_into(payload, &mut self.buf);
        let len = self.buf.len() - body;
        if let Err(e) = encoded {
            self.buf.truncate(at);
            return Err(e.into());
        }
        if len > cap as usize {
            self.buf.truncate(at);
            return Err(LogError::Encode(CodecError::from(format!(
                "a record of {len} bytes is over the {cap}-byte limit"
            ))));
        }
        let crc = checksum::crc32c(&self.buf[body..]);
        self.buf[at..at + 4].copy_from_slice(&(len as u32).to_le_bytes());
        self.buf[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
        self.bytes += (FRAME - 1 + len) as u64;
        Ok(())
    }

    /// Feeds the event frames not yet hashed to the running hash.
    fn hash_pending(&mut self) {
        self.running.update(&self.buf[self.unhashed..]);
        self.unhashed = self.buf.len();
    }

    /// Hashes what is pending and writes every whole record to `out`. After
    /// a failed write nothing more is written (not the rest of the block,
    /// nor its beginning again): the output is let go.
    fn write_out(&mut self) -> Result<(), LogError> {
        self.hash_pending();
        let written = match self.out.as_mut() {
            Some(out) => out.write_all(&self.buf),
            None => Err(io::Error::other(LET_GO)),
        };
        self.buf.clear();
        self.unhashed = 0;
        if written.is_err() {
            self.out = None;
        }
        Ok(written?)
    }

    /// Appends one event.
    #[inline]
    pub fn event<E: Serialize>(&mut self, at: Minute, event: &E) -> Result<(), LogError> {
        #[derive(Serialize)]
        struct TimedRef<'a, E> {
            at: Minute,
            event: &'a E,
        }
        self.record(kind::EVENT, &TimedRef { at, event }, MAX_RECORD)?;
        self.events += 1;
        self.last_at = at;
        if self.events.is_multiple_of(self.checkpoint_every) {
            self.hash_pending();
            let cp = Checkpoint {
                events: self.events,
                at,
                running_hash: self.running.digest(),
            };
            self.record(kind::CHECKPOINT, &cp, MAX_RECORD)?;
            self.unhashed = self.buf.len();
        }
        if self.buf.len() >= WRITE_BLOCK {
            self.write_out()?;
        }
        Ok(())
    }

    /// Events written so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Bytes of the log so far (some perhaps not yet written to the output).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Writes the trailer and flushes; returns the output.
    pub fn finish(mut self, end: Minute, state_hash: u64, clean: bool) -> Result<W, LogError> {
        self.hash_pending();
        let trailer = Trailer {
            events: self.events,
            end,
            state_hash,
            running_hash: self.running.digest(),
            clean,
        };
        self.record(kind::TRAILER, &trailer, MAX_RECORD)?;
        self.unhashed = self.buf.len();
        self.write_out()?;
        let mut out = self.out.take().ok_or_else(|| io::Error::other(LET_GO))?;
        out.flush()?;
        Ok(out)
    }
}

/// A log left unfinished (a run that stopped with an error) still gets
/// every whole record written so far, as an unbuffered writer would have
/// written them: its intact prefix can be read and recovered. Not while
/// panicking (a record may be half made, and a second panic would abort).
impl<W: Write> Drop for LogWriter<W> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if self.out.is_some() && !self.buf.is_empty() {
            let _ = self.write_out();
        }
        if let Some(out) = self.out.as_mut() {
            let _ = out.flush();
        }
    }
}

/// One record read from a log, past the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item<E> {
    /// An event.
    Event(Timed<E>),
    /// A checkpoint (already checked against the events before it).
    Checkpoint(Checkpoint),
    /// The trailer (already checked against the events before it).
    Trailer(Trailer),
}

/// A strict, streaming reader: any damage is an error naming where it is.
/// Memory is bounded by the record caps whatever the input.
pub struct LogReader<R: Read> {
    input: Input<R>,
    header: Header,
    offset: u64,
    record: u64,
    /// Where the last record read (type byte and payload) lies in `input`'s
    /// buffer: valid until the next record is read.
    rec: (usize, usize),
    events: u64,
    last_at: Minute,
    trailer: Option<Trailer>,
    checkpoint_due: bool,
    /// Where the last record read starts.
    last_start: u64,
    /// Events the last good checkpoint (or trailer) vouches for, and where it ends.
    vouched: (u64, u64),
    /// No time may be at or after this minute (the run's end), when known.
    limit: Option<Minute>,
}

/// The reader's input with its own buffer, read in large blocks: a record
/// is checked and decoded where it lies, not copied out first (replay
/// spent a tenth of its time copying records out of a `BufReader`).
struct Input<R> {
    inner: R,
    data: Vec<u8>,
    /// Unread bytes are `data[start..end]`.
    start: usize,
    end: usize,
    /// The running hash over the event frames read so far.
    running: Xxh3,
    /// `data[unhashed.0..unhashed.1]`: event frames read, one after
    /// another, not yet fed to `running` (fed in one call when the buffer
    /// moves or the hash is wanted, not one call per event).
    unhashed: (usize, usize),
}

/// The input buffer's usual size; a larger record (a header holding a big
/// scenario, at most [`MAX_HEADER_RECORD`]) grows it.
const INPUT_BLOCK: usize = 64 * 1024;

/// The writer's block: records are written to its output about this many
/// bytes at a time.
const WRITE_BLOCK: usize = 64 * 1024;

/// Why a writer whose output failed writes nothing more.
const LET_GO: &str = "an earlier write to the log failed";

impl<R: Read> Input<R> {
    fn new(inner: R) -> Self {
        Input {
            inner,
            data: vec![0; INPUT_BLOCK],
            start: 0,
            end: 0,
            running: Xxh3::new(),
            unhashed: (0, 0),
        }
    }

    /// Adds the event frame at `data[from..to]` to the running hash.
    #[inline]
    fn hash(&mut self, from: usize, to: usize) {
        if self.unhashed.1 != from {
            self.hash_pending();
            self.unhashed.0 = from;
        }
        self.unhashed.1 = to;
    }

    fn hash_pending(&mut self) {
        let (from, to) = self.unhashed;
        self.running.update(&self.data[from..to]);
        self.unhashed = (0, 0);
    }

    /// The running hash over every event frame read so far.
    fn digest(&mut self) -> u64 {
        self.hash_pending();
        self.running.digest()
    }

    /// Makes `n` bytes available unless the input ends first; returns how
    /// many are (`n` or fewer).
    #[inline]
    fn fill(&mut self, n: usize) -> io::Result<usize> {
        if self.end - self.start >= n {
            return Ok(n);
        }
        self.refill(n)
    }

    #[cold]
    fn refill(&mut self, n: usize) -> io::Result<usize> {
        self.hash_pending();
        self.data.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.data.len() < n {
            self.data.resize(n, 0);
        }
        while self.end < n {
            match self.inner.read(&mut self.data[self.end..]) {
                Ok(0) => break,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end.min(n))
    }

    /// The next `n` available bytes, consumed; their place in `data`.
    #[inline]
    fn take(&mut self, n: usize) -> (usize, usize) {
        let at = self.start;
        self.start += n;
        (at, at + n)
    }
}

/// Reads up to `buf.len()` bytes; returns how many (fewer only at end of input).
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

impl<R: Read> LogReader<R> {
    /// Opens a log: checks the signature and version and reads the header.
    pub fn open(mut input: R) -> Result<Self, LogError> {
        let mut pre = [0u8; PREAMBLE as usize];
        let got = read_full(&mut input, &mut pre)?;
        if got < SIGNATURE.len() && pre[..got] == SIGNATURE[..got] {
            return Err(LogError::Truncated {
                end: got as u64,
                what: "the file signature".into(),
                intact: 0,
            });
        }
        if pre[..SIGNATURE.len()] != SIGNATURE {
            return Err(LogError::NotALog);
        }
        if got < pre.len() {
            return Err(LogError::Truncated {
                end: got as u64,
                what: "the format version".into(),
                intact: 0,
            });
        }
        let version = u32::from_le_bytes(pre[8..12].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(LogError::UnsupportedVersion { found: version });
        }
        let mut reader = LogReader {
            input: Input::new(input),
            header: Header {
                engine_version: String::new(),
                codec: String::new(),
                seed: 0,
                scenario_hash: 0,
                scenario_source: String::new(),
                scenario: String::new(),
                checkpoint_every: 1,
            },
            offset: PREAMBLE,
            record: 0,
            rec: (0, 0),
            events: 0,
            last_at: 0,
            trailer: None,
            checkpoint_due: false,
            last_start: PREAMBLE,
            vouched: (0, PREAMBLE),
            limit: None,
        };
        let start = reader.offset;
        match reader.frame(MAX_HEADER_RECORD)? {
            Some(kind::HEADER) => {}
            Some(ty) => {
                return Err(reader.damaged(
                    start,
                    format!("the first record must be the header (type 1), found type {ty}"),
                ))
            }
            None => {
                return Err(LogError::Truncated {
                    end: start,
                    what: "the header (the file has no records)".into(),
                    intact: 0,
                })
            }
        }
        reader.header = reader.decode(start)?;
        if reader.header.checkpoint_every == 0 {
            return Err(reader.damaged(start, "the header's checkpoint interval is 0".into()));
        }
        if reader.header.codec != codec::CODEC {
            return Err(reader.damaged(
                start,
                format!(
                    "the header says its payloads are encoded with {:?}; this familyflow reads only {:?}",
                    reader.header.codec,
                    codec::CODEC
                ),
            ));
        }
        reader.record += 1;
        reader.vouched = (0, reader.offset);
        Ok(reader)
    }

    /// Refuses, from here on, any event at or after `end` (the run's end,
    /// which the domain knows from the header) and a trailer whose end is
    /// after it: a time the calendar cannot place is an error naming its
    /// record, never a panic further on.
    pub fn limit_times(&mut self, end: Minute) {
        self.limit = Some(end);
    }

    /// The number of the last record read (the header is 0).
    pub fn record_number(&self) -> u64 {
        self.record.saturating_sub(1)
    }

    /// Where the last record read starts.
    pub fn record_start(&self) -> u64 {
        self.last_start
    }

    /// Events the last good checkpoint (or the trailer) vouches for: a
    /// running hash covers them.
    pub fn vouched(&self) -> u64 {
        self.vouched.0
    }

    /// Where the last good checkpoint (or the trailer, or the header when
    /// neither was read) ends.
    pub fn vouched_offset(&self) -> u64 {
        self.vouched.1
    }

    /// The log's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Events read so far.
    pub fn events_read(&self) -> u64 {
        self.events
    }

    /// Byte offset of the end of the last record read.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The trailer, once read.
    pub fn trailer(&self) -> Option<&Trailer> {
        self.trailer.as_ref()
    }

    fn damaged(&self, offset: u64, what: String) -> LogError {
        LogError::Damaged {
            record: self.record,
            offset,
            what,
        }
    }

    fn out_of_sequence(&self, offset: u64, what: String) -> LogError {
        LogError::OutOfSequence {
            record: self.record,
            offset,
            what,
            vouched: self.vouched.0,
            vouched_offset: self.vouched.1,
        }
    }

    /// An error about the content of the last record read, found by the
    /// caller (an event that does not fit the state, say).
    pub fn content_error(&self, what: String) -> LogError {
        LogError::Content {
            record: self.record_number(),
            offset: self.last_start,
            what,
        }
    }

    /// Reads one record's frame and payload into `buf`; returns its type, or
    /// None at the end of input exactly between records.
    fn frame(&mut self, cap: u32) -> Result<Option<u8>, LogError> {
        let start = self.offset;
        let got = self.input.fill(FRAME - 1)?;
        if got == 0 {
            return Ok(None);
        }
        if got < FRAME - 1 {
            return Err(LogError::Truncated {
                end: start + got as u64,
                what: format!(
                    "the length and checksum of record {} (which starts at byte {start})",
                    self.record
                ),
                intact: start,
            });
        }
        // Looked at, not taken: the frame is taken whole below, so that it
        // stays in one piece in the buffer for the running hash.
        let head = &self.input.data[self.input.start..self.input.start + FRAME - 1];
        let len = u32::from_le_bytes(head[0..4].try_into().expect("4 bytes"));
        let stored = u32::from_le_bytes(head[4..8].try_into().expect("4 bytes"));
        if len == 0 {
            return Err(self.damaged(
                start,
                "its length is 0 (a record holds at least its type byte)".into(),
            ));
        }
        if len > cap {
            return Err(self.damaged(
                start,
                format!("its length field claims {len} bytes, over the {cap}-byte limit for a record here"),
            ));
        }
        let got = self.input.fill(FRAME - 1 + len as usize)? - (FRAME - 1);
        if got < len as usize {
            return Err(LogError::Truncated {
                end: start + 8 + got as u64,
                what: format!(
                    "record {} (which starts at byte {start} and needs {} bytes; {} are there)",
                    self.record,
                    8 + len,
                    8 + got
                ),
                intact: start,
            });
        }
        let (at, end) = self.input.take(FRAME - 1 + len as usize);
        self.rec = (at + FRAME - 1, end);
        let computed = checksum::crc32c(self.record_bytes());
        if computed != stored {
            return Err(self.damaged(
                start,
                format!("checksum mismatch (stored {stored:08x}, computed {computed:08x})"),
            ));
        }
        self.offset = start + 8 + u64::from(len);
        Ok(Some(self.record_bytes()[0]))
    }

    /// The last record read: its type byte and payload.
    #[inline]
    fn record_bytes(&self) -> &[u8] {
        &self.input.data[self.rec.0..self.rec.1]
    }

    fn decode<T: serde::de::DeserializeOwned>(&self, start: u64) -> Result<T, LogError> {
        codec::decode_exact(&self.record_bytes()[1..])
            .map_err(|e| self.damaged(start, format!("its payload does not decode: {e}")))
    }

    /// The next record, checked; `Ok(None)` after the trailer at the end of the file.
    pub fn next_item<E: serde::de::DeserializeOwned>(
        &mut self,
    ) -> Result<Option<Item<E>>, LogError> {
        if self.trailer.is_some() {
            return if self.input.fill(1)? == 0 {
                Ok(None)
            } else {
                Err(LogError::AfterTrailer {
                    offset: self.offset,
                })
            };
        }
        let start = self.offset;
        let Some(ty) = self.frame(MAX_RECORD)? else {
            return Err(LogError::MissingTrailer {
                end: start,
                events: self.events,
            });
        };
        self.last_start = start;
        if self.checkpoint_due && ty != kind::CHECKPOINT {
            return Err(self.out_of_sequence(
                start,
                format!(
                    "a checkpoint was due after event {}, but this record is of type {ty}: the checkpoint is missing, or events are",
                    self.events
                ),
            ));
        }
        let item = match ty {
            kind::EVENT => {
                let timed: Timed<E> = self.decode(start)?;
                if timed.at < self.last_at {
                    return Err(self.out_of_sequence(
                        start,
                        format!(
                            "its time (minute {}) is before the previous event's (minute {})",
                            timed.at, self.last_at
                        ),
                    ));
                }
                if let Some(end) = self.limit.filter(|&end| timed.at >= end) {
                    return Err(self.damaged(
                        start,
                        format!(
                            "event {} is at minute {}, at or after the end of the run (minute {end}): no event can happen then",
                            self.events, timed.at
                        ),
                    ));
                }
                self.last_at = timed.at;
                // The whole frame (length, checksum, type and payload), as
                // the writer hashed it: it lies just before the record.
                self.input.hash(self.rec.0 - (FRAME - 1), self.rec.1);
                self.events += 1;
                self.checkpoint_due = self.events.is_multiple_of(self.header.checkpoint_every);
                Item::Event(timed)
            }
            kind::CHECKPOINT => {
                if !self.checkpoint_due {
                    return Err(self.out_of_sequence(
                        start,
                        format!(
                            "a checkpoint where none is due (after event {}, interval {}): repeated or out of place, or events are missing",
                            self.events, self.header.checkpoint_every
                        ),
                    ));
                }
                self.checkpoint_due = false;
                let cp: Checkpoint = self.decode(start)?;
                let expected = self.input.digest();
                if cp.events != self.events || cp.running_hash != expected || cp.at != self.last_at
                {
                    return Err(self.out_of_sequence(
                        start,
                        format!(
                            "checkpoint says {} events with running hash {:016x}, but {} events with hash {expected:016x} precede it: records are missing, repeated or out of order",
                            cp.events, cp.running_hash, self.events
                        ),
                    ));
                }
                self.vouched = (self.events, self.offset);
                Item::Checkpoint(cp)
            }
            kind::TRAILER => {
                let t: Trailer = self.decode(start)?;
                let expected = self.input.digest();
                if t.events != self.events || t.running_hash != expected {
                    return Err(self.out_of_sequence(
                        start,
                        format!(
                            "trailer says {} events with running hash {:016x}, but the log holds {} events with hash {expected:016x}: records are missing, repeated or out of order",
                            t.events, t.running_hash, self.events
                        ),
                    ));
                }
                if t.end < self.last_at {
                    return Err(self.damaged(
                        start,
                        format!(
                            "the trailer says the run ended at minute {}, before its last event (minute {})",
                            t.end, self.last_at
                        ),
                    ));
                }
                if let Some(end) = self.limit.filter(|&end| t.end > end) {
                    return Err(self.damaged(
                        start,
                        format!(
                            "the trailer says the run ended at minute {}, after the end of the run its scenario describes (minute {end})",
                            t.end
                        ),
                    ));
                }
                self.vouched = (self.events, self.offset);
                self.trailer = Some(t);
                Item::Trailer(t)
            }
            kind::HEADER => return Err(self.damaged(start, "a second header".into())),
            other => return Err(self.damaged(start, format!("unknown record type {other}"))),
        };
        self.record += 1;
        Ok(Some(item))
    }

    /// The next event, skipping checkpoints; `Ok(None)` after the trailer at the end of the file.
    pub fn next_event<E: serde::de::DeserializeOwned>(
        &mut self,
    ) -> Result<Option<Timed<E>>, LogError> {
        loop {
            match self.next_item()? {
                Some(Item::Event(e)) => return Ok(Some(e)),
                Some(Item::Checkpoint(_)) | Some(Item::Trailer(_)) => {}
                None => return Ok(None),
            }
        }
    }
}

/// What a recovering read found.
#[derive(Debug)]
pub struct Recovered<E> {
    /// The header, when it was intact.
    pub header: Option<Header>,
    /// The events of the intact prefix, in order.
    pub events: Vec<Timed<E>>,
    /// The trailer, when the log was whole.
    pub trailer: Option<Trailer>,
    /// Where reading stopped, when the log was not whole.
    pub stopped: Option<LogError>,
    /// Bytes of intact records from the start of the file.
    pub intact_bytes: u64,
    /// Events read (each with a good checksum) but not kept, because a
    /// later record showed the sequence broken after the last event a
    /// running hash vouches for.
    pub dropped: u64,
}

/// Reads as much of a log as is intact: every event up to the first
/// damaged or cut record, and where and why it stopped. When a record
/// shows the sequence broken ([`LogError::OutOfSequence`]: a checkpoint or
/// the trailer does not match the events before it, a checkpoint is
/// missing or out of place, a time goes backwards), the break lies
/// somewhere after the last good checkpoint, so only the events that
/// checkpoint vouches for are kept; the others are counted in `dropped`.
/// Events after the last checkpoint of a log that is merely cut are kept:
/// each has its own good checksum and nothing shows a break.
pub fn recover<E: serde::de::DeserializeOwned, R: Read>(input: R) -> Recovered<E> {
    let mut reader = match LogReader::open(input) {
        Ok(r) => r,
        Err(e) => {
            return Recovered {
                header: None,
                events: Vec::new(),
                trailer: None,
                stopped: Some(e),
                intact_bytes: 0,
                dropped: 0,
            }
        }
    };
    let mut events = Vec::new();
    let stopped = loop {
        match reader.next_item() {
            Ok(Some(Item::Event(e))) => events.push(e),
            Ok(Some(_)) => {}
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let mut dropped = 0;
    if let Some(LogError::OutOfSequence { vouched, .. }) = &stopped {
        let keep = usize::try_from(*vouched).map_or(events.len(), |v| v.min(events.len()));
        dropped = (events.len() - keep) as u64;
        events.truncate(keep);
    }
    let intact_bytes = stopped
        .as_ref()
        .and_then(LogError::intact_up_to)
        .unwrap_or(reader.offset());
    Recovered {
        trailer: reader.trailer,
        header: Some(reader.header),
        events,
        stopped,
        intact_bytes,
        dropped,
    }
}
