//! The message log's journal: where the record of an answered exchange waits for the log's
//! writer, in memory that outlives the process. Each thread that logs holds a ring of its own,
//! a file under `<data_dir>/lgsp-journal` mapped into memory (`MAP_SHARED`): queuing a record
//! is copying its bytes there and moving the ring's head, with no system call and no lock. The
//! writer reads every ring and moves its tail once the records are committed. Should the
//! process die (killed, crashed), the bytes are in the kernel's page cache, and the next start
//! writes what no commit took; should the database be down, the records wait in the rings, and
//! when a ring is full its thread waits for room, so no answered exchange goes unlogged.
//!
//! A ring file: a page of header (a magic, the ring's size, the head and the tail, each a count
//! of bytes ever queued or taken), then the ring. Each entry is its length, the CRC-32 of its
//! bytes, and the record's fields (below), padded to 8 bytes; an entry that would not fit before
//! the ring's end is put at its start, after a mark that says so. Each file is locked (`flock`)
//! by the journal that uses it, so two servers sharing a data directory never share a ring.

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use super::Exchange;

mod codec;
use codec::{decode, encode, encoded_len};

const MAGIC: &[u8; 8] = b"TSLGJRN1";
/// The header's size: the ring starts at the next page.
const HEAD: usize = 4096;
/// The ring's size. A record holds at most 1 MiB of each body, so several fit at any time.
pub const RING: u64 = 8 << 20;
/// An entry's length that says "continued at the ring's start".
const WRAP: u32 = u32::MAX;

/// A ring file mapped into memory.
struct Ring {
    base: *mut u8,
    path: PathBuf,
    /// Held for the `flock`.
    _file: File,
}

// The mapping is shared memory: the head is written by the one thread holding the ring, the
// tail by the writer, each an atomic; the bytes between them by whoever owns that side.
unsafe impl Send for Ring {}
unsafe impl Sync for Ring {}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: `base` is the start of a mapping of HEAD + RING bytes made in `open`.
        unsafe { libc::munmap(self.base.cast(), HEAD + RING as usize) };
    }
}

impl Ring {
    /// Opens and locks a ring file; None when another journal holds it. An error of kind
    /// `InvalidData` says the file is not a sound ring (to be set aside); others are the
    /// system's (tried again at the next start).
    fn open(path: &Path) -> std::io::Result<Option<Ring>> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        if !locked(&file)? {
            return Ok(None);
        }
        if file.metadata()?.len() != HEAD as u64 + RING {
            return Err(damaged(path, "not a journal ring of this size"));
        }
        let ring = Ring::map(file, path)?;
        let header = ring.bytes(0, 16);
        if &header[..8] != MAGIC || header[8..16] != RING.to_le_bytes() {
            return Err(damaged(path, "not a journal ring"));
        }
        // What a power cut or a hand may have left: a tail past the head, more than a ring
        // between them, or either not on an entry's boundary.
        let (head, tail) = (ring.head().load(Ordering::Acquire), ring.tail().load(Ordering::Acquire));
        if tail > head || head - tail > RING || !head.is_multiple_of(8) || !tail.is_multiple_of(8) {
            return Err(damaged(path, "its head and tail do not fit"));
        }
        Ok(Some(ring))
    }

    /// Makes a new ring file at `path`: written and locked under a name of its own first, then
    /// put in place, so that no other server ever finds it half made.
    fn create(path: &Path) -> std::io::Result<Ring> {
        use std::os::unix::fs::OpenOptionsExt;
        let making = path.with_extension(format!("making-{}", std::process::id()));
        // Readable by the platform alone: the records hold bodies when services ask.
        let file = OpenOptions::new().read(true).write(true).create_new(true).mode(0o600).open(&making)?;
        let made = (|| {
            if !locked(&file)? {
                return Err(std::io::Error::other("locked by another"));
            }
            // The blocks allocated now: a write fault that allocates waits on the file
            // system's journal, and on a full disk kills the process (SIGBUS). No ring without
            // them; the record is then written at once instead.
            // SAFETY: fallocate on a descriptor we own.
            if unsafe { libc::fallocate(file.as_raw_fd(), 0, 0, (HEAD as u64 + RING) as libc::off_t) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let ring = Ring::map(file.try_clone()?, path)?;
            let header = ring.bytes(0, 16);
            header[..8].copy_from_slice(MAGIC);
            header[8..16].copy_from_slice(&RING.to_le_bytes());
            if std::fs::hard_link(&making, path).is_err() {
                return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "taken meanwhile"));
            }
            Ok(ring)
        })();
        let _ = std::fs::remove_file(&making);
        made
    }

    fn map(file: File, path: &Path) -> std::io::Result<Ring> {
        // SAFETY: a shared read-write mapping of the whole file, which has that length; its
        // pages read in at once (MAP_POPULATE), so that queuing a record does not fault them in.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                HEAD + RING as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                file.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Ring { base: base.cast(), path: path.to_owned(), _file: file })
    }

    #[allow(clippy::mut_from_ref)] // disjoint parts of shared memory, as the module says
    fn bytes(&self, at: usize, n: usize) -> &mut [u8] {
        assert!(at + n <= HEAD + RING as usize, "a journal ring read out of its bounds");
        // SAFETY: within the mapping; the caller owns this part of it (see the module).
        unsafe { std::slice::from_raw_parts_mut(self.base.add(at), n) }
    }

    fn head(&self) -> &AtomicU64 {
        // SAFETY: 8-aligned (the mapping is page-aligned), within the header.
        unsafe { &*(self.base.add(64) as *const AtomicU64) }
    }

    fn tail(&self) -> &AtomicU64 {
        // SAFETY: as for `head`.
        unsafe { &*(self.base.add(128) as *const AtomicU64) }
    }

    fn pending(&self) -> bool {
        self.head().load(Ordering::Acquire) != self.tail().load(Ordering::Acquire)
    }

    /// Queues `x`, waiting while the ring is full; false when the record is too large for it,
    /// or the ring is full while the server stops.
    fn push(&self, x: &Exchange, journal: &Journal) -> bool {
        let n = encoded_len(x);
        let need = pad(8 + n) as u64;
        if need > RING / 2 {
            return false;
        }
        let mut head = self.head().load(Ordering::Relaxed);
        let left = RING - head % RING;
        let total = if left < need { left + need } else { need };
        let mut waited = 0u32;
        while head + total - self.tail().load(Ordering::Acquire) > RING {
            // Full: the writer is behind (or the database is down). Wait for room.
            if journal.stopping.load(Ordering::Relaxed) {
                return false;
            }
            journal.wake();
            pause(std::time::Duration::from_micros(if waited < 100 { 200 } else { 5_000 }));
            waited = waited.saturating_add(1);
        }
        if left < need {
            self.bytes(HEAD + (head % RING) as usize, 4).copy_from_slice(&WRAP.to_le_bytes());
            head += left;
        }
        let at = HEAD + (head % RING) as usize;
        let entry = self.bytes(at, need as usize);
        encode(x, &mut entry[8..8 + n]);
        let crc = crc32fast::hash(&entry[8..8 + n]);
        entry[..4].copy_from_slice(&(n as u32).to_le_bytes());
        entry[4..8].copy_from_slice(&crc.to_le_bytes());
        self.head().store(head + need, Ordering::Release);
        true
    }

    /// Reads records queued after `from`, at most `max` of them, into `out`; returns where it
    /// stopped. A damaged entry ends the reading with an error naming where it is.
    fn read(&self, from: u64, max: usize, out: &mut Vec<Exchange>) -> Result<u64, String> {
        let end = self.head().load(Ordering::Acquire);
        let mut at = from;
        let mut taken = 0;
        while at < end && taken < max {
            let off = (at % RING) as usize;
            if !off.is_multiple_of(8) {
                return Err(format!("{}: no entry starts at {at}", self.path.display()));
            }
            let len = u32::from_le_bytes(self.bytes(HEAD + off, 4).try_into().unwrap_or_default());
            if len == WRAP {
                at += RING - off as u64;
                if at > end {
                    return Err(format!("{}: a wrap at {} past the head", self.path.display(), at - (RING - off as u64)));
                }
                continue;
            }
            let n = len as usize;
            if 8 + n > RING as usize - off || at + pad(8 + n) as u64 > end {
                return Err(format!("{}: an entry of {n} bytes at {at} does not fit", self.path.display()));
            }
            let entry = self.bytes(HEAD + off, 8 + n);
            let crc = u32::from_le_bytes(entry[4..8].try_into().unwrap_or_default());
            if crc32fast::hash(&entry[8..]) != crc {
                return Err(format!("{}: the entry at {at} is damaged (CRC)", self.path.display()));
            }
            out.push(decode(&entry[8..]).ok_or_else(|| format!("{}: the entry at {at} cannot be read", self.path.display()))?);
            at += pad(8 + n) as u64;
            taken += 1;
        }
        Ok(at)
    }
}

/// Takes the file's lock; false when another journal holds it.
fn locked(file: &File) -> std::io::Result<bool> {
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.kind() == std::io::ErrorKind::WouldBlock { Ok(false) } else { Err(e) }
}

fn damaged(path: &Path, why: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {why}", path.display()))
}

/// Waits while a ring is full. A worker of a multi-threaded runtime hands its other tasks on
/// first (`block_in_place`): if every worker of the application's runtime waited here, nothing
/// would drive the runtime's timers and sockets, which the writer needs to write to the database
/// and make room. (A serving thread has a runtime of its own, which nothing else needs.)
fn pause(d: std::time::Duration) {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(|| std::thread::sleep(d)),
        _ => std::thread::sleep(d),
    }
}

fn pad(n: usize) -> usize {
    (n + 7) & !7
}

/// The journal of one server: its rings, and who holds which.
pub struct Journal {
    id: u64,
    dir: PathBuf,
    /// Every ring, held by a thread or free.
    rings: Mutex<Vec<Arc<Ring>>>,
    free: Mutex<Vec<Arc<Ring>>>,
    /// The writer sleeps (parked) while every ring is empty; a thread queuing a record then wakes it.
    idle: AtomicBool,
    /// The server is stopping: a thread whose ring is full writes its record itself.
    stopping: AtomicBool,
    /// Counts the writer's takes, to start each at another ring.
    turn: std::sync::atomic::AtomicUsize,
    writer: OnceLock<std::thread::Thread>,
}

/// A ring a thread holds, given back to its journal when the thread ends.
struct Held {
    journal: Weak<Journal>,
    id: u64,
    ring: Arc<Ring>,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(j) = self.journal.upgrade() {
            j.free.lock().unwrap_or_else(|e| e.into_inner()).push(self.ring.clone());
        }
    }
}

thread_local! {
    static HELD: RefCell<Vec<Held>> = const { RefCell::new(Vec::new()) };
}

static JOURNALS: AtomicU64 = AtomicU64::new(1);

impl Journal {
    /// Opens the journal in `dir`, taking every ring file there that no other server holds
    /// (with what a stopped or crashed run left in them).
    pub fn open(dir: &Path) -> std::io::Result<Arc<Journal>> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        let mut rings = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "ring") {
                match Ring::open(&path) {
                    Ok(Some(r)) => rings.push(Arc::new(r)),
                    Ok(None) => {}
                    // Set aside, not deleted: it may hold records someone wants to read.
                    Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                        tracing::error!(error = %e, file = %path.display(), "an LGSP journal ring is not sound; set aside as .damaged");
                        let _ = std::fs::rename(&path, path.with_extension("damaged"));
                    }
                    // The system's (no file handles, no memory): left for the next start.
                    Err(e) => tracing::error!(error = %e, file = %path.display(), "an LGSP journal ring cannot be opened now"),
                }
            }
        }
        Ok(Arc::new(Journal {
            id: JOURNALS.fetch_add(1, Ordering::Relaxed),
            dir: dir.to_owned(),
            free: Mutex::new(rings.clone()),
            rings: Mutex::new(rings),
            idle: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            turn: Default::default(),
            writer: OnceLock::new(),
        }))
    }

    /// The thread to wake when records come while it sleeps.
    pub fn set_writer(&self, t: std::thread::Thread) {
        let _ = self.writer.set(t);
    }

    /// Queues the record of an exchange in the calling thread's ring. Returns it when it cannot
    /// be queued (too large for a ring, or no ring could be made), for the caller to write.
    pub fn push(self: &Arc<Journal>, x: Exchange) -> Option<Exchange> {
        let queued = HELD.with(|held| {
            let mut held = held.borrow_mut();
            let i = match held.iter().position(|h| h.id == self.id) {
                Some(i) => i,
                None => {
                    let ring = self.take_ring()?;
                    held.push(Held { journal: Arc::downgrade(self), id: self.id, ring });
                    held.len() - 1
                }
            };
            Some(held[i].ring.push(&x, self))
        });
        if queued != Some(true) {
            return Some(x);
        }
        // Pairs with the fence in `sleep`: either the writer sees this record, or this sees it idle.
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.idle.load(Ordering::Relaxed) {
            self.wake();
        }
        None
    }

    fn wake(&self) {
        if self.idle.swap(false, Ordering::AcqRel)
            && let Some(t) = self.writer.get()
        {
            t.unpark();
        }
    }

    fn take_ring(&self) -> Option<Arc<Ring>> {
        if let Some(r) = self.free.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Some(r);
        }
        for n in 0..10_000 {
            let path = self.dir.join(format!("{n:04}.ring"));
            if path.exists() {
                continue;
            }
            match Ring::create(&path) {
                Ok(r) => {
                    let r = Arc::new(r);
                    self.rings.lock().unwrap_or_else(|e| e.into_inner()).push(r.clone());
                    return Some(r);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    tracing::error!(error = %e, file = %path.display(), "an LGSP journal ring cannot be made; the record is written at once");
                    return None;
                }
            }
        }
        None
    }

    /// Tells the writer to finish: it writes what is queued, then ends.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.idle.store(true, Ordering::SeqCst);
        self.wake();
    }

    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Whether any ring holds records not yet taken.
    pub fn pending(&self) -> bool {
        self.rings.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|r| r.pending())
    }

    /// Sleeps until a record is queued or `timeout` passes (at once when one is waiting).
    pub fn sleep(&self, timeout: std::time::Duration) {
        self.idle.store(true, Ordering::Relaxed);
        std::sync::atomic::fence(Ordering::SeqCst);
        if !self.pending() {
            std::thread::park_timeout(timeout);
        }
        self.idle.store(false, Ordering::Relaxed);
    }

    /// Takes up to `max` queued records from the rings, with where each ring's reading stopped
    /// (to be passed to [`Journal::done`] once they are written). Damaged entries are reported
    /// and passed over, with what follows them in that ring.
    pub fn take(&self, max: usize) -> Taken {
        let mut rings = self.rings.lock().unwrap_or_else(|e| e.into_inner()).clone();
        // Each batch starts at the next ring, so that a busy ring cannot keep the others waiting.
        if !rings.is_empty() {
            let first = self.turn.fetch_add(1, Ordering::Relaxed) % rings.len();
            rings.rotate_left(first);
        }
        let mut taken = Taken { records: Vec::new(), upto: Vec::new() };
        for r in rings {
            if taken.records.len() >= max {
                break;
            }
            let from = r.tail().load(Ordering::Acquire);
            let to = match r.read(from, max - taken.records.len(), &mut taken.records) {
                Ok(to) => to,
                Err(e) => {
                    tracing::error!(problem = %e, "the LGSP journal lost the records after a damaged entry");
                    r.head().load(Ordering::Acquire)
                }
            };
            if to != from {
                taken.upto.push((r, from, to));
            }
        }
        taken
    }

    /// Frees the rings' room for records now written, their bytes wiped first (records hold
    /// bodies when services ask, which the journal is not to keep beyond the log's retention).
    pub fn done(&self, taken: Taken) {
        for (r, from, to) in taken.upto {
            let mut at = from;
            while at < to {
                let off = (at % RING) as usize;
                let n = ((to - at) as usize).min(RING as usize - off);
                r.bytes(HEAD + off, n).fill(0);
                at += n as u64;
            }
            r.tail().store(to, Ordering::Release);
        }
    }
}

/// Records taken from the journal, and where each ring's reading began and stopped.
pub struct Taken {
    pub records: Vec<Exchange>,
    upto: Vec<(Arc<Ring>, u64, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(n: usize, body: usize) -> Exchange {
        Exchange {
            request_id: format!("id-{n}"),
            at: n as i64,
            client: "VN/GOV/000.00.51.H99/motcua".into(),
            service: "VN/GOV/000.00.13.H99/tuphap/persons".into(),
            method: "GET".into(),
            path: format!("/r1/VN/GOV/000.00.13.H99/tuphap/persons/persons/{n}"),
            status: 200,
            error: n.is_multiple_of(3).then(|| "Server.ServerProxy.Timeout".into()),
            request_hash: "a".repeat(88),
            response_hash: "b".repeat(88),
            request_bytes: 0,
            response_bytes: body as i64,
            duration_ms: 3,
            user_id: n.is_multiple_of(2).then(|| "VN123".into()),
            request_body: None,
            response_body: (body > 0).then(|| vec![n as u8; body]),
        }
    }

    fn same(a: &Exchange, b: &Exchange) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    #[test]
    fn a_record_reads_back_as_it_was_written_and_damage_is_told() {
        let x = exchange(6, 10);
        let mut b = vec![0; encoded_len(&x)];
        encode(&x, &mut b);
        assert!(same(&decode(&b).unwrap(), &x));
        assert!(decode(&b[..b.len() - 1]).is_none(), "cut short");
        let mut longer = b.clone();
        longer.push(0);
        assert!(decode(&longer).is_none(), "bytes left over");
    }

    #[test]
    fn rings_go_round_keep_what_is_not_taken_and_are_found_again() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path()).unwrap();
        // Records of 1 MiB and small ones, more than the ring holds in all, taken as they come:
        // the ring goes round several times.
        let mut written = Vec::new();
        let mut read = Vec::new();
        for n in 0..40 {
            let x = exchange(n, if n % 4 == 0 { 1 << 20 } else { 0 });
            written.push(x.clone());
            assert!(j.push(x).is_none());
            if n % 5 == 4 {
                let t = j.take(1000);
                read.extend(t.records.iter().cloned());
                j.done(t);
            }
        }
        assert_eq!(read.len(), 40);
        assert!(written.iter().zip(&read).all(|(a, b)| same(a, b)));
        // Three more, taken but not done (as when the writer dies before its commit), then
        // a run that crashed: a new journal on the same directory reads them again.
        for n in 40..43 {
            assert!(j.push(exchange(n, 0)).is_none());
        }
        let t = j.take(1000);
        assert_eq!(t.records.len(), 3);
        drop(t);
        // A second journal on the directory while the first holds its ring finds nothing.
        assert!(!Journal::open(dir.path()).unwrap().pending());
        drop(j);
        HELD.with(|h| h.borrow_mut().clear());
        let again = Journal::open(dir.path()).unwrap();
        assert!(again.pending());
        let t = again.take(1000);
        assert_eq!(t.records.iter().map(|x| x.request_id.as_str()).collect::<Vec<_>>(), ["id-40", "id-41", "id-42"]);
        again.done(t);
        assert!(!again.pending());
        // A record too large for a ring is handed back to be written at once.
        let huge = Exchange { response_body: Some(vec![0; RING as usize]), ..exchange(99, 0) };
        assert!(again.push(huge).is_some());
    }

    #[test]
    fn a_ring_whose_head_and_tail_do_not_fit_is_set_aside() {
        use std::io::{Seek, SeekFrom, Write};
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path()).unwrap();
        assert!(j.push(exchange(1, 0)).is_none());
        drop(j);
        HELD.with(|h| h.borrow_mut().clear());
        let ring = dir.path().join("0000.ring");
        let mut f = std::fs::OpenOptions::new().write(true).open(&ring).unwrap();
        f.seek(SeekFrom::Start(128)).unwrap();
        f.write_all(&u64::MAX.to_le_bytes()).unwrap();
        drop(f);
        let again = Journal::open(dir.path()).unwrap();
        assert!(!again.pending());
        assert!(dir.path().join("0000.damaged").exists(), "kept for whoever wants to read it");
        use std::os::unix::fs::PermissionsExt;
        assert!(again.push(exchange(2, 0)).is_none(), "a new ring made");
        let mode = std::fs::metadata(dir.path().join("0000.ring")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by the platform alone");
    }

    #[test]
    fn a_damaged_entry_is_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path()).unwrap();
        for n in 0..3 {
            assert!(j.push(exchange(n, 0)).is_none());
        }
        let ring = j.rings.lock().unwrap()[0].clone();
        ring.bytes(HEAD + 20, 1)[0] ^= 0xff;
        let t = j.take(1000);
        assert!(t.records.is_empty(), "nothing read past the damage");
        j.done(t);
        assert!(!j.pending(), "the damaged part is not read again and again");
        assert!(j.push(exchange(3, 0)).is_none());
        assert_eq!(j.take(1000).records.len(), 1);
    }
}
