//! SQLite's memory from the process's own allocator (mimalloc in the server) rather than the C
//! library's `malloc`: the message log's writer spent about a fifth of its time allocating,
//! much of it inside SQLite binding and stepping its inserts, and glibc's allocator is the
//! slower of the two on these paths. SQLite does not keep a block's size (its methods must tell
//! it back), so every block carries its size in an 8-byte head, which also keeps the 8-byte
//! alignment SQLite needs; sizes are rounded up to 8 bytes, as SQLite's own methods round them.

use std::alloc::{Layout, alloc, dealloc, realloc};
use std::ffi::{c_int, c_void};
use std::ptr::null_mut;

use rusqlite::ffi;

const HEAD: usize = 8;

/// The size given for a request of `n` bytes: `n` rounded up to a multiple of 8, as SQLite's
/// own methods do (SQLite compares a block's size with a rounded request to tell whether a
/// reallocation is needed), or None for a request that cannot be met.
fn rounded(n: c_int) -> Option<usize> {
    let n = usize::try_from(n).ok().filter(|n| *n > 0)?;
    Some(n.checked_add(7)? & !7).filter(|r| *r <= c_int::MAX as usize)
}

fn layout(n: usize) -> Option<Layout> {
    Layout::from_size_align(n.checked_add(HEAD)?, HEAD).ok()
}

/// The block's start (its head) and the size SQLite asked for.
///
/// # Safety
/// `p` was given out by [`x_malloc`] or [`x_realloc`] and not freed.
unsafe fn head(p: *mut c_void) -> (*mut u8, usize) {
    // SAFETY: the caller's promise: `p` is HEAD bytes into a block whose head holds the size.
    unsafe {
        let base = p.cast::<u8>().sub(HEAD);
        (base, base.cast::<u64>().read() as usize)
    }
}

unsafe extern "C" fn x_malloc(n: c_int) -> *mut c_void {
    let Some((n, l)) = rounded(n).and_then(|n| Some((n, layout(n)?))) else { return null_mut() };
    // SAFETY: the layout's size is at least HEAD; a null answer is passed on as SQLite expects.
    unsafe {
        let base = alloc(l);
        if base.is_null() {
            return null_mut();
        }
        base.cast::<u64>().write(n as u64);
        base.add(HEAD).cast()
    }
}

unsafe extern "C" fn x_free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // SAFETY: SQLite frees only what these methods gave it, once; the layout is the one used.
    unsafe {
        let (base, n) = head(p);
        dealloc(base, Layout::from_size_align_unchecked(n + HEAD, HEAD));
    }
}

unsafe extern "C" fn x_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    if p.is_null() {
        // SAFETY: as for a new block.
        return unsafe { x_malloc(n) };
    }
    let Some((n, new)) = rounded(n).and_then(|n| Some((n, layout(n)?))) else { return null_mut() };
    // SAFETY: `p` is a live block of ours; on failure it stays as it was, as SQLite expects.
    unsafe {
        let (base, old) = head(p);
        let moved = realloc(base, Layout::from_size_align_unchecked(old + HEAD, HEAD), new.size());
        if moved.is_null() {
            return null_mut();
        }
        moved.cast::<u64>().write(n as u64);
        moved.add(HEAD).cast()
    }
}

unsafe extern "C" fn x_size(p: *mut c_void) -> c_int {
    if p.is_null() {
        return 0;
    }
    // SAFETY: a live block of ours.
    unsafe { head(p).1 as c_int }
}

unsafe extern "C" fn x_roundup(n: c_int) -> c_int {
    // 0 tells SQLite the request cannot be met.
    n.checked_add(7).map_or(0, |m| m & !7)
}

unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_shutdown(_: *mut c_void) {}

/// Gives SQLite these methods; to be called before its first connection (SQLite copies the
/// table). Returns SQLite's answer: `SQLITE_MISUSE` once it is initialised.
pub(super) fn install() -> c_int {
    let methods = ffi::sqlite3_mem_methods {
        xMalloc: Some(x_malloc),
        xFree: Some(x_free),
        xRealloc: Some(x_realloc),
        xSize: Some(x_size),
        xRoundup: Some(x_roundup),
        xInit: Some(x_init),
        xShutdown: Some(x_shutdown),
        pAppData: null_mut(),
    };
    // SAFETY: SQLITE_CONFIG_MALLOC takes a pointer to the table, which SQLite copies before
    // returning; the functions above keep SQLite's rules (8-byte alignment, sizes told back).
    unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MALLOC, &methods as *const ffi::sqlite3_mem_methods) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_their_size_and_contents_through_growth() {
        unsafe {
            let p = x_malloc(13).cast::<u8>();
            assert!(!p.is_null() && (p as usize).is_multiple_of(8));
            assert_eq!(x_size(p.cast()), 16, "the size given, rounded as x_roundup rounds");
            for i in 0..13 {
                p.add(i).write(i as u8);
            }
            let q = x_realloc(p.cast(), 4000).cast::<u8>();
            assert_eq!(x_size(q.cast()), 4000);
            assert!((0..13).all(|i| q.add(i).read() == i as u8));
            x_free(q.cast());
            assert!(x_malloc(0).is_null() && x_malloc(-1).is_null());
            assert_eq!((x_roundup(1), x_roundup(8), x_roundup(9), x_roundup(c_int::MAX)), (8, 8, 16, 0));
            let r = x_realloc(null_mut(), 5);
            assert_eq!(x_size(r), 8);
            x_free(r);
            x_free(null_mut());
        }
    }
}
