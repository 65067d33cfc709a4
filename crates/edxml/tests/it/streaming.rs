//! A 50 MB attachment goes through build, parse and verify without being held in memory: it
//! comes from a generator (not a Vec), travels through a pipe, lands in a sink that only
//! counts, and the heap never grows by more than a few MB (counted by this test binary's
//! allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufReader, BufWriter, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use crate::common::*;
use edxml::*;
use sha2::{Digest, Sha256};

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(l.size(), Relaxed) + l.size();
        PEAK.fetch_max(now, Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        CURRENT.fetch_sub(l.size(), Relaxed);
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// The heap counter is process-wide: tests in this file run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

const SIZE: u64 = 50 * 1024 * 1024;

/// Deterministic pseudo-random bytes (xorshift), generated on demand.
struct Generated {
    left: u64,
    state: u64,
}

impl Generated {
    fn new() -> Self {
        Generated { left: SIZE, state: 0x9E37_79B9_7F4A_7C15 }
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.left as usize);
        for b in &mut buf[..n] {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            *b = self.state as u8;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Counts and hashes what it is given, keeps nothing.
#[derive(Default)]
struct Counter {
    bytes: u64,
    largest_write: usize,
}

struct CountingWriter<'a>(&'a mut Counter);
impl Write for CountingWriter<'_> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.bytes += b.len() as u64;
        self.0.largest_write = self.0.largest_write.max(b.len());
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl AttachmentSink for Counter {
    fn begin(&mut self, _: &Reference) -> Result<Box<dyn Write + '_>, EdxmlError> {
        Ok(Box::new(CountingWriter(self)))
    }
}

#[test]
fn fifty_megabyte_attachment_is_streamed_not_buffered() {
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let expected: [u8; 32] = {
        let mut h = Sha256::new();
        std::io::copy(&mut Generated::new(), &mut h).unwrap();
        h.finalize().into()
    };
    let id = issued_now(p256_key(), "Ký số");
    let signer = id.signer();
    let (mut pkg, _) = full();
    pkg.references.truncate(1);
    pkg.references[0].content_id = "big.bin".into();
    pkg.references[0].content_type = "application/octet-stream".into();

    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);

    let (reader, writer) = std::io::pipe().unwrap();
    let writing = std::thread::spawn(move || {
        let mut src = [AttachmentSource { content_id: "big.bin".into(), sha256: expected, reader: Box::new(Generated::new()) }];
        write_package(BufWriter::new(writer), &pkg, &mut src, Some(&signer))
    });
    let mut sink = Counter::default();
    let parsed = read_package(BufReader::new(reader), &mut sink).unwrap();
    writing.join().unwrap().unwrap();

    let grew = PEAK.load(Relaxed) - base;
    eprintln!("heap growth while building + parsing {SIZE} bytes: {grew} bytes");
    assert_eq!(sink.bytes, SIZE);
    assert!(sink.largest_write <= 64 * 1024, "sink got a {} byte write", sink.largest_write);
    assert_eq!(parsed.attachments[0].size, SIZE);
    assert_eq!(parsed.attachments[0].sha256, expected);
    assert!(parsed.signed_part.len() < 16 * 1024, "signed part is {} bytes", parsed.signed_part.len());
    assert!(grew < 1024 * 1024, "heap grew by {grew} bytes while streaming {SIZE} bytes");
    verify(&parsed, &id.trust()).unwrap();
}

#[test]
fn one_huge_text_node_outside_attachments_is_refused_not_buffered() {
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // 20 MB of text in the Subject: more than the skeleton may hold.
    let text = String::from_utf8(fixture("minimal.xml")).unwrap();
    let (head, tail) = text.split_at(text.find("Về việc").unwrap());
    let big = std::io::Read::chain(std::io::Read::chain(head.as_bytes(), std::io::repeat(b'a').take(20 << 20)), tail.as_bytes());
    let e = read_package(BufReader::new(big), &mut DiscardSink).unwrap_err();
    assert!(e.to_string().contains("exceeds"), "{e}");
}
