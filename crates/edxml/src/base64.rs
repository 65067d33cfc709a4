//! Streaming base64 for `ContentTransferEncoded`: the encoder reads an attachment in fixed chunks
//! and writes 76-character lines; the decoder takes text in pieces of any size (split anywhere,
//! with whitespace) and keeps fewer than 4 characters between pieces.

use std::io::{self, Read, Write};

use data_encoding::BASE64;
use sha2::{Digest, Sha256};

/// 57 input bytes make one 76-character line.
const LINE_IN: usize = 57;
const LINES_PER_CHUNK: usize = 144;

/// What the encoder saw of an attachment.
pub struct Encoded {
    pub sha256: [u8; 32],
}

/// Encodes everything `src` yields as base64 lines to `out`, hashing it on the way.
pub fn encode_stream(src: &mut dyn Read, out: &mut dyn Write) -> io::Result<Encoded> {
    let mut inbuf = vec![0u8; LINE_IN * LINES_PER_CHUNK];
    let mut outbuf = Vec::with_capacity(LINES_PER_CHUNK * 77);
    let mut hasher = Sha256::new();
    loop {
        // Fill the chunk completely (short reads happen) so that only the last line is short.
        let mut filled = 0;
        while filled < inbuf.len() {
            match src.read(&mut inbuf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if filled == 0 {
            break;
        }
        hasher.update(&inbuf[..filled]);
        outbuf.clear();
        for line in inbuf[..filled].chunks(LINE_IN) {
            let start = outbuf.len();
            outbuf.resize(start + BASE64.encode_len(line.len()), 0);
            BASE64.encode_mut(line, &mut outbuf[start..]);
            outbuf.push(b'\n');
        }
        out.write_all(&outbuf)?;
        if filled < inbuf.len() {
            break;
        }
    }
    Ok(Encoded { sha256: hasher.finalize().into() })
}

/// Incremental decoder; `feed` text as it arrives, then `finish`.
pub struct Decoder {
    /// Cleaned base64 characters not yet decoded (always < 4 between calls).
    pending: Vec<u8>,
    out: Vec<u8>,
    /// Number of `=` seen: after padding only more `=` may complete the quantum, then nothing.
    padding: usize,
    /// Characters accepted so far, for error messages.
    seen: u64,
    finished_quantum: bool,
}

const BLOCK: usize = 4 * 2048;

/// Bytes of the base64 alphabet (without `=`).
const ALPHABET: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
        i += 1;
    }
    t
};

impl Decoder {
    pub fn new() -> Self {
        Decoder { pending: Vec::with_capacity(BLOCK + 4), out: vec![0; BLOCK / 4 * 3], padding: 0, seen: 0, finished_quantum: false }
    }

    /// Decodes `text`, calling `sink` with each decoded piece.
    pub fn feed(&mut self, text: &[u8], sink: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> Result<(), DecodeError> {
        let mut i = 0;
        while i < text.len() {
            // Fast path: copy a run of alphabet characters at once (the common case by far).
            if self.padding == 0 {
                let room = (BLOCK - self.pending.len()).min(text.len() - i);
                let run = text[i..i + room].iter().position(|b| !ALPHABET[*b as usize]).unwrap_or(room);
                if run > 0 {
                    self.pending.extend_from_slice(&text[i..i + run]);
                    self.seen += run as u64;
                    i += run;
                    if self.pending.len() == BLOCK {
                        self.flush(BLOCK, sink)?;
                    }
                    continue;
                }
            }
            let b = text[i];
            i += 1;
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => continue,
                b'=' if !self.finished_quantum && (self.pending.len() % 4 >= 2 || self.padding > 0) => self.padding += 1,
                _ => {
                    return Err(DecodeError::Bad(if b.is_ascii_graphic() {
                        format!("unexpected character {:?} after {} base64 characters", b as char, self.seen)
                    } else {
                        format!("unexpected byte 0x{b:02X} after {} base64 characters", self.seen)
                    }));
                }
            }
            self.pending.push(b);
            self.seen += 1;
            if self.pending.len().is_multiple_of(4) {
                self.finished_quantum = true;
            }
            if self.pending.len() == BLOCK {
                self.flush(BLOCK, sink)?;
            }
        }
        Ok(())
    }

    fn flush(&mut self, n: usize, sink: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> Result<(), DecodeError> {
        let len = BASE64.decode_len(n).map_err(|e| DecodeError::Bad(e.to_string()))?;
        let written = BASE64.decode_mut(&self.pending[..n], &mut self.out[..len]).map_err(|e| DecodeError::Bad(e.error.to_string()))?;
        sink(&self.out[..written]).map_err(DecodeError::Sink)?;
        self.pending.drain(..n);
        Ok(())
    }

    /// Decodes what is left; the text must end on a whole quantum.
    pub fn finish(mut self, sink: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> Result<(), DecodeError> {
        if !self.pending.len().is_multiple_of(4) {
            return Err(DecodeError::Bad(format!("the text ends in the middle of a 4-character group after {} characters", self.seen)));
        }
        let n = self.pending.len();
        if n > 0 {
            self.flush(n, sink)?;
        }
        Ok(())
    }
}

pub enum DecodeError {
    Bad(String),
    Sink(io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(text: &[u8], piece: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let mut d = Decoder::new();
        let mut sink = |b: &[u8]| {
            out.extend_from_slice(b);
            Ok(())
        };
        for chunk in text.chunks(piece) {
            d.feed(chunk, &mut sink).map_err(|e| match e {
                DecodeError::Bad(m) => m,
                DecodeError::Sink(e) => e.to_string(),
            })?;
        }
        d.finish(&mut sink).map_err(|e| match e {
            DecodeError::Bad(m) => m,
            DecodeError::Sink(e) => e.to_string(),
        })?;
        Ok(out)
    }

    #[test]
    fn decoding_does_not_depend_on_how_the_text_is_split() {
        let data: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for len in [0, 1, 2, 3, 57, 58, 20_000, 50_000] {
            let mut text = Vec::new();
            let e = encode_stream(&mut &data[..len], &mut text).unwrap();
            assert_eq!(e.sha256, <[u8; 32]>::from(Sha256::digest(&data[..len])));
            assert!(text.split(|b| *b == b'\n').all(|l| l.len() <= 76));
            for piece in [1, 3, 4, 5, 77, 10_000] {
                assert_eq!(decode_in_pieces(&text, piece).unwrap(), &data[..len], "len {len} piece {piece}");
            }
        }
    }

    #[test]
    fn bad_base64_is_refused() {
        assert!(decode_in_pieces(b"AAA", 2).is_err());
        assert!(decode_in_pieces(b"AA=A", 2).is_err());
        assert!(decode_in_pieces(b"AA==AAAA", 3).is_err());
        assert!(decode_in_pieces(b"A===", 1).is_err());
        assert!(decode_in_pieces(b"QUJD*", 1).is_err());
        assert_eq!(decode_in_pieces(b"QU\nJD\r\n RA==", 1).unwrap(), b"ABCD");
    }
}
