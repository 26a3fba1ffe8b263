//! The FFI edge: turning C pointers into Rust references and back. Every
//! `unsafe` of the C API's own code is here; the `extern "C"` functions
//! call these once, at their top, under the contract `mfs.h` states for
//! every pointer argument (NULL, or valid for its documented use and size
//! for the duration of the call, not aliased by another argument).

use core::marker::PhantomData;
use std::ffi::{CStr, c_char};

use crate::error::{Fail, mfs_error, mfs_rc};

/// `p` as a shared reference; `None` for NULL.
///
/// # Safety
/// `p` is NULL or points to a valid, initialised `T` that nothing
/// mutates for `'a`.
pub(crate) unsafe fn get<'a, T>(p: *const T) -> Option<&'a T> {
    // SAFETY: per this function's contract.
    unsafe { p.as_ref() }
}

/// `p` as an exclusive reference; `None` for NULL.
///
/// # Safety
/// `p` is NULL or points to a valid, initialised `T` that nothing else
/// accesses for `'a`.
pub(crate) unsafe fn get_mut<'a, T>(p: *mut T) -> Option<&'a mut T> {
    // SAFETY: per this function's contract.
    unsafe { p.as_mut() }
}

/// Where a result goes: a C output argument, possibly uninitialised, that
/// is only ever written (never read, never referenced).
pub(crate) struct Out<'a, T>(*mut T, PhantomData<&'a mut T>);

impl<'a, T> Out<'a, T> {
    /// `None` for NULL.
    ///
    /// # Safety
    /// `p` is NULL or valid for writes of a `T` (aligned; initialised or
    /// not) that nothing else accesses for `'a`.
    pub(crate) unsafe fn new(p: *mut T) -> Option<Out<'a, T>> {
        (!p.is_null()).then_some(Out(p, PhantomData))
    }

    /// Stores `value` (the old contents are not dropped: plain C data).
    pub(crate) fn set(&mut self, value: T) {
        // SAFETY: `new`'s contract: not NULL, valid for writes for `'a`,
        // not accessed by anything else.
        unsafe { self.0.write(value) }
    }
}

/// `len` bytes at `p`; `None` for NULL or a length over `isize::MAX` (an
/// empty slice when `len` is 0, whatever `p`).
///
/// # Safety
/// `p` is NULL or valid for reads of `len` bytes for `'a`.
pub(crate) unsafe fn bytes<'a>(p: *const u8, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    // No object is larger than isize::MAX bytes: such a length is a
    // caller's bug, refused rather than turned into a slice.
    if p.is_null() || isize::try_from(len).is_err() {
        return None;
    }
    // SAFETY: per this function's contract; `p` is not NULL.
    Some(unsafe { core::slice::from_raw_parts(p, len) })
}

/// `len` bytes at `p`, or `None` for NULL whatever `len` (an optional
/// input such as a challenge not to check).
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn optional_bytes<'a>(p: *const u8, len: usize) -> Option<&'a [u8]> {
    if p.is_null() {
        return None;
    }
    // SAFETY: per this function's contract.
    unsafe { bytes(p, len) }
}

/// `len` writable bytes at `p`; `None` for NULL or a length over
/// `isize::MAX` (empty when `len` is 0).
///
/// # Safety
/// `p` is NULL or valid for reads and writes of `len` bytes for `'a`,
/// and nothing else accesses them meanwhile.
pub(crate) unsafe fn bytes_mut<'a>(p: *mut u8, len: usize) -> Option<&'a mut [u8]> {
    if len == 0 {
        return Some(&mut []);
    }
    if p.is_null() || isize::try_from(len).is_err() {
        return None;
    }
    // SAFETY: per this function's contract; `p` is not NULL.
    Some(unsafe { core::slice::from_raw_parts_mut(p, len) })
}

/// A NUL-terminated C string; `None` for NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid and
/// unchanged for `'a`.
pub(crate) unsafe fn text<'a>(p: *const c_char) -> Option<&'a CStr> {
    if p.is_null() {
        return None;
    }
    // SAFETY: per this function's contract; `p` is not NULL.
    Some(unsafe { CStr::from_ptr(p) })
}

/// `len` writable C characters at `p`, for text output.
///
/// # Safety
/// As [`bytes_mut`].
pub(crate) unsafe fn chars_mut<'a>(p: *mut c_char, len: usize) -> Option<&'a mut [u8]> {
    // SAFETY: `c_char` and `u8` have the same size and alignment; the rest
    // per this function's contract.
    unsafe { bytes_mut(p.cast::<u8>(), len) }
}

/// Takes back ownership of a handle made by [`into_handle`].
///
/// # Safety
/// `p` is NULL or a pointer [`into_handle`] returned and that has not been
/// freed since.
pub(crate) unsafe fn from_handle<T>(p: *mut T) -> Option<Box<T>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: per this function's contract, `p` came from `Box::into_raw`
    // and is freed only now.
    Some(unsafe { Box::from_raw(p) })
}

/// Gives a value to C as a handle (freed with [`from_handle`]).
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Ends a call: fills `err` (if given) and returns the result code.
pub(crate) fn finish(err: Option<Out<'_, mfs_error>>, result: Result<(), Fail>) -> mfs_rc {
    let e = match &result {
        Ok(()) => mfs_error::ok(),
        Err(f) => mfs_error::from_fail(f),
    };
    if let Some(mut slot) = err {
        slot.set(e);
    }
    e.rc
}
