//! Where a capture reader gets its bytes: a slice already in memory (a file
//! the caller read or memory-mapped) or any `std::io::Read`, buffered.

use std::io::{self, Read};

/// A forward-only window over an input, as the capture readers consume it.
pub trait Source {
    /// Returns the unconsumed bytes, at least `want` of them unless the input
    /// ends first (fewer bytes than `want` means end of input).
    fn fill(&mut self, want: usize) -> io::Result<&[u8]>;
    /// Marks `n` bytes as consumed (at most what the last `fill` returned).
    fn consume(&mut self, n: usize);
    /// Bytes consumed so far: the offset of the next unconsumed byte.
    fn offset(&self) -> u64;
}

/// A source over a byte slice: every `fill` returns the whole rest, no copies.
///
/// Walking a capture is pointer chasing: where the next record starts is
/// only known once the current header is read, so each header that is not
/// in cache costs a full memory latency, one after the other. The source
/// therefore reads one byte per cache line a few kilobytes ahead of the
/// reader; those loads do not depend on each other, overlap freely, and
/// leave the next records' headers in cache (and, for a memory-mapped file,
/// their pages faulted in) by the time the reader gets there.
#[derive(Debug, Clone)]
pub struct SliceSource<'a> {
    data: &'a [u8],
    pos: usize,
    /// Everything before this offset has been touched.
    touched: usize,
}

/// How far ahead of the reader lines are touched.
const TOUCH_AHEAD: usize = 16 * 1024;
const CACHE_LINE: usize = 64;

impl<'a> SliceSource<'a> {
    /// A source reading `data` from its start.
    pub fn new(data: &'a [u8]) -> Self {
        SliceSource {
            data,
            pos: 0,
            touched: 0,
        }
    }
}

impl Source for SliceSource<'_> {
    fn fill(&mut self, _want: usize) -> io::Result<&[u8]> {
        Ok(self.data.get(self.pos..).unwrap_or_default())
    }

    fn consume(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.data.len());
        let horizon = (self.pos + TOUCH_AHEAD).min(self.data.len());
        while self.touched < horizon {
            std::hint::black_box(self.data[self.touched]);
            self.touched += CACHE_LINE;
        }
    }

    fn offset(&self) -> u64 {
        self.pos as u64
    }
}

/// A source over a reader, through a buffer that grows to the largest record
/// asked for and is compacted as it is consumed.
#[derive(Debug)]
pub struct ReadSource<R> {
    reader: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    offset: u64,
}

/// Bytes asked of the reader at a time, so small records do not mean small reads.
const CHUNK: usize = 1 << 20;

impl<R: Read> ReadSource<R> {
    /// A source reading `reader` from its current position.
    pub fn new(reader: R) -> Self {
        ReadSource {
            reader,
            buf: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
        }
    }
}

impl<R: Read> Source for ReadSource<R> {
    fn fill(&mut self, want: usize) -> io::Result<&[u8]> {
        if self.end - self.start < want && !self.eof {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let capacity = want.max(CHUNK);
            if self.buf.len() < capacity {
                self.buf.resize(capacity, 0);
            }
            while self.end < want && !self.eof {
                match self.reader.read(&mut self.buf[self.end..]) {
                    Ok(0) => self.eof = true,
                    Ok(n) => self.end += n,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(error) => return Err(error),
                }
            }
        }
        Ok(&self.buf[self.start..self.end])
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }

    fn offset(&self) -> u64 {
        self.offset
    }
}
