//! [`ReadAhead`]: reads (and decompresses) the input on a background thread,
//! so that the thread dissecting never waits for a `read` system call or for
//! gzip, and never pays for copying the file out of the page cache.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

/// Size of one chunk handed from the background thread.
const CHUNK: usize = 1 << 20;
/// Chunks read ahead at most: memory is bounded by `(AHEAD + 2) * CHUNK`.
const AHEAD: usize = 4;

/// A [`Read`] whose bytes are read by a background thread, up to
/// [`AHEAD`] chunks of 1 MiB ahead of the consumer. Chunks are recycled, so
/// a long file costs no allocation per chunk.
pub(crate) struct ReadAhead {
    /// Full chunks: a buffer and how many of its bytes are data.
    chunks: Receiver<io::Result<(Vec<u8>, usize)>>,
    recycle: SyncSender<Vec<u8>>,
    cur: Vec<u8>,
    /// Bytes of data in `cur`.
    len: usize,
    pos: usize,
    /// The input ended (or failed, and the error was returned).
    done: bool,
}

impl ReadAhead {
    /// Starts reading `src` on a new thread. The thread ends at the end of
    /// the input, on an error (passed on after the bytes before it), or when
    /// the `ReadAhead` is dropped.
    pub(crate) fn new(mut src: Box<dyn Read + Send>) -> ReadAhead {
        let (tx, mut chunks) = sync_channel::<io::Result<(Vec<u8>, usize)>>(AHEAD);
        let (recycle, spare) = sync_channel::<Vec<u8>>(AHEAD + 2);
        let spawned = thread::Builder::new()
            .name("sonde-read".into())
            .spawn(move || loop {
                // Buffers keep their length: zeroed once (lazily, by the
                // allocator), never again.
                // One read per chunk: a file fills it, a pipe (a live
                // capture on standard input) hands on what it has at once.
                let mut buf = spare.try_recv().unwrap_or_else(|_| vec![0; CHUNK]);
                let n = loop {
                    match src.read(&mut buf) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        r => break r,
                    }
                };
                match n {
                    Ok(0) => return,
                    Ok(n) => {
                        if tx.send(Ok((buf, n))).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            // No thread: that is the input's error.
            let (tx, failed) = sync_channel(1);
            let _ = tx.send(Err(e));
            chunks = failed;
        }
        ReadAhead {
            chunks,
            recycle,
            cur: Vec::new(),
            len: 0,
            pos: 0,
            done: false,
        }
    }
}

impl ReadAhead {
    /// Consumes the next `n` bytes without copying them when the current
    /// chunk holds them all, returning where they are in [`Self::chunk`]
    /// (valid until the next read). `None` (nothing consumed) otherwise.
    #[inline]
    pub(crate) fn take_contiguous(&mut self, n: usize) -> Option<std::ops::Range<usize>> {
        if self.len - self.pos >= n {
            let r = self.pos..self.pos + n;
            self.pos += n;
            Some(r)
        } else {
            None
        }
    }

    /// The current chunk (see [`Self::take_contiguous`]).
    #[inline]
    pub(crate) fn chunk(&self) -> &[u8] {
        &self.cur[..self.len]
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.len {
            if self.done || out.is_empty() {
                return Ok(0);
            }
            match self.chunks.recv() {
                Ok(Ok((next, len))) => {
                    let old = std::mem::replace(&mut self.cur, next);
                    if !old.is_empty() {
                        let _ = self.recycle.try_send(old);
                    }
                    self.len = len;
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => self.done = true,
            }
        }
        let n = out.len().min(self.len - self.pos);
        out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that gives `len` bytes (byte i is i mod 251) in reads of odd
    /// sizes, then fails if `fail`.
    struct Source {
        at: usize,
        len: usize,
        fail: bool,
    }

    impl Read for Source {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.at == self.len {
                return if self.fail {
                    Err(io::Error::other("disk on fire"))
                } else {
                    Ok(0)
                };
            }
            let n = out.len().min(self.len - self.at).min(77_777);
            for (i, b) in out[..n].iter_mut().enumerate() {
                *b = ((self.at + i) % 251) as u8;
            }
            self.at += n;
            Ok(n)
        }
    }

    fn drain(r: &mut ReadAhead, step: usize) -> (Vec<u8>, Option<io::Error>) {
        let mut all = Vec::new();
        let mut buf = vec![0; step];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (all, None),
                Ok(n) => all.extend_from_slice(&buf[..n]),
                Err(e) => return (all, Some(e)),
            }
        }
    }

    #[test]
    fn passes_every_byte_in_order() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 7 * CHUNK + 12_345] {
            let mut r = ReadAhead::new(Box::new(Source {
                at: 0,
                len,
                fail: false,
            }));
            let (all, err) = drain(&mut r, 4099);
            assert!(err.is_none());
            assert_eq!(all.len(), len);
            assert!(all.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
            assert_eq!(r.read(&mut [0; 8]).unwrap(), 0, "stays at the end");
        }
    }

    #[test]
    fn contiguous_takes_mix_with_reads() {
        let len = 2 * CHUNK + 999;
        let mut r = ReadAhead::new(Box::new(Source {
            at: 0,
            len,
            fail: false,
        }));
        let mut all = Vec::new();
        let mut step = 1usize;
        loop {
            step = step * 7 % 65_521 + 1;
            if let Some(range) = r.take_contiguous(step) {
                all.extend_from_slice(&r.chunk()[range]);
                continue;
            }
            let mut buf = vec![0; step];
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        assert_eq!(all.len(), len);
        assert!(all.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
    }

    #[test]
    fn an_error_comes_after_the_bytes_before_it() {
        let len = 3 * CHUNK + 5;
        let mut r = ReadAhead::new(Box::new(Source {
            at: 0,
            len,
            fail: true,
        }));
        let (all, err) = drain(&mut r, 65_536);
        assert_eq!(all.len(), len);
        assert_eq!(err.unwrap().to_string(), "disk on fire");
    }

    #[test]
    fn dropping_it_early_stops_the_thread() {
        let mut r = ReadAhead::new(Box::new(Source {
            at: 0,
            len: usize::MAX,
            fail: false,
        }));
        let mut b = [0u8; 10];
        assert_eq!(r.read(&mut b).unwrap(), 10);
        drop(r); // the background thread's next send fails and it returns
    }
}
