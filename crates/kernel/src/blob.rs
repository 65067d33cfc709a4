//! The blob store: files named by their SHA-256 under one directory (`ab/abcdef...`), written
//! through a temporary file and renamed, so a reader never sees half a file and the same
//! content is stored once. Components check types and sizes before they store.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{Error, Result};

#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
}

/// A file being written to the store; [`BlobWriter::finish`] names it by its hash.
pub struct BlobWriter {
    dir: PathBuf,
    tmp: PathBuf,
    file: std::io::BufWriter<std::fs::File>,
    hash: Sha256,
    size: u64,
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl BlobWriter {
    /// Moves the written file to its place; returns its SHA-256 (hex) and size.
    pub fn finish(mut self) -> Result<(String, u64)> {
        self.file.flush().map_err(Error::internal)?;
        let sha = hex(&self.hash.clone().finalize());
        let path = path_of(&self.dir, &sha);
        if path.exists() {
            let _ = std::fs::remove_file(&self.tmp);
        } else {
            std::fs::create_dir_all(path.parent().unwrap_or(&self.dir)).map_err(Error::internal)?;
            std::fs::rename(&self.tmp, &path).map_err(Error::internal)?;
        }
        Ok((sha, self.size))
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        // After `finish` the file is gone from here already; otherwise drop the half-written one.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

fn path_of(dir: &Path, sha: &str) -> PathBuf {
    dir.join(sha.get(..2).unwrap_or("00")).join(sha)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl BlobStore {
    pub fn new(dir: impl Into<PathBuf>) -> BlobStore {
        BlobStore { dir: dir.into() }
    }

    /// Where the blob with this hash lives (it may not exist).
    pub fn path(&self, sha: &str) -> PathBuf {
        path_of(&self.dir, sha)
    }

    pub fn exists(&self, sha: &str) -> bool {
        is_sha(sha) && self.path(sha).exists()
    }

    /// A writer for a new blob (blocking I/O: use from `spawn_blocking` for big files).
    pub fn writer(&self) -> Result<BlobWriter> {
        std::fs::create_dir_all(&self.dir).map_err(Error::internal)?;
        let tmp = self.dir.join(format!(".tmp-{}", crate::id::new_id()));
        let file = std::fs::File::create(&tmp).map_err(Error::internal)?;
        Ok(BlobWriter {
            dir: self.dir.clone(),
            tmp,
            file: std::io::BufWriter::with_capacity(64 * 1024, file),
            hash: Sha256::new(),
            size: 0,
        })
    }

    /// Stores bytes held in memory; returns the SHA-256 (hex).
    pub async fn put(&self, bytes: &[u8]) -> Result<String> {
        let sha = hex(&Sha256::digest(bytes));
        let path = self.path(&sha);
        if !path.exists() {
            let dir = path.parent().ok_or_else(|| Error::internal("blob path"))?;
            tokio::fs::create_dir_all(dir).await.map_err(Error::internal)?;
            let tmp = dir.join(format!(".{sha}.{}", crate::id::new_id()));
            tokio::fs::write(&tmp, bytes).await.map_err(Error::internal)?;
            tokio::fs::rename(&tmp, &path).await.map_err(Error::internal)?;
        }
        Ok(sha)
    }

    pub async fn read(&self, sha: &str) -> Result<Vec<u8>> {
        if !is_sha(sha) {
            return Err(Error::internal(format!("not a blob hash: {sha}")));
        }
        tokio::fs::read(self.path(sha)).await.map_err(|e| Error::internal(format!("blob {sha}: {e}")))
    }

    /// Opens a blob for reading (blocking I/O).
    pub fn open(&self, sha: &str) -> Result<std::fs::File> {
        if !is_sha(sha) {
            return Err(Error::internal(format!("not a blob hash: {sha}")));
        }
        std::fs::File::open(self.path(sha)).map_err(|e| Error::internal(format!("blob {sha}: {e}")))
    }
}

fn is_sha(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_is_named_by_its_hash_and_stored_once() {
        let dir = std::env::temp_dir().join(format!("tinhso-blob-{}", crate::id::new_id()));
        let store = BlobStore::new(&dir);
        let mut w = store.writer().unwrap();
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        let (sha, size) = w.finish().unwrap();
        assert_eq!(sha, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
        assert_eq!(size, 11);
        assert_eq!(std::fs::read(store.path(&sha)).unwrap(), b"hello world");
        let mut again = store.writer().unwrap();
        again.write_all(b"hello world").unwrap();
        assert_eq!(again.finish().unwrap().0, sha);
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "temporary files are cleaned up");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
