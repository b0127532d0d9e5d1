//! The global allocator: dlmalloc, as the standard library uses on this target, but
//! asking the host for memory in growing steps.
//!
//! Each `memory.grow` can make V8 collect the JavaScript heap. The standard allocator
//! grows the memory by what one allocation needs, so a document growing to megabytes
//! asked hundreds of times, and loading a large snapshot spent most of its time in
//! garbage collection. Growing by half the memory there is at least asks a logarithmic
//! number of times, for at most half again the memory in use.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;
use core::ptr;

use dlmalloc::{Allocator, Dlmalloc};

const PAGE: usize = 64 * 1024;

/// Memory from the host, in growing steps; never given back (WebAssembly cannot).
struct GrowingMemory;

// SAFETY: the regions returned are fresh pages of the module's memory, owned by
// dlmalloc from then on.
unsafe impl Allocator for GrowingMemory {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        let needed = size.div_ceil(PAGE);
        let step = needed.max(wasm32::memory_size(0) / 2);
        // If the generous step does not fit, the bare need still might.
        for pages in [step, needed] {
            let previous = wasm32::memory_grow(0, pages);
            if previous != usize::MAX {
                return ((previous * PAGE) as *mut u8, pages * PAGE, 0);
            }
        }
        (ptr::null_mut(), 0, 0)
    }

    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        ptr::null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    fn allocates_zeros(&self) -> bool {
        true
    }

    fn page_size(&self) -> usize {
        PAGE
    }
}

struct SingleThreaded(UnsafeCell<Dlmalloc<GrowingMemory>>);

// SAFETY: the module is built without the atomics feature, so it runs on one thread
// and no two calls into the allocator overlap.
unsafe impl Sync for SingleThreaded {}

#[global_allocator]
static ALLOCATOR: SingleThreaded =
    SingleThreaded(UnsafeCell::new(Dlmalloc::new_with_allocator(GrowingMemory)));

// SAFETY: each call has the allocator to itself (see above) and passes dlmalloc the
// layouts the caller gave.
unsafe impl GlobalAlloc for SingleThreaded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.0.get()).malloc(layout.size(), layout.align()) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.0.get()).calloc(layout.size(), layout.align()) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { (*self.0.get()).free(ptr, layout.size(), layout.align()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size) }
    }
}
