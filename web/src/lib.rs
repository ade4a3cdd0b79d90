//! manabi for the lab page (`web/`): the library's [`Trainer`], data and
//! report code behind a handful of raw WebAssembly exports. No learning
//! code lives here: this crate turns the page's requests into calls of the
//! library and its answers into JSON.
//!
//! The interface is one call, JSON in and JSON out (see `web/engine.js`):
//!
//! | export | does |
//! | --- | --- |
//! | `manabi_alloc(len) -> ptr` | room for a request of `len` bytes |
//! | `manabi_call(ptr, len) -> 0 or 1` | runs the request (and frees it): 0 with the answer, 1 with `{"error": …}` |
//! | `manabi_out_ptr()`, `manabi_out_len()` | where the answer is |
//!
//! A panic leaves `{"panic": message}` where answers go before it traps,
//! so the page can say what went wrong. The requests are those of
//! [`lab::Lab::handle`].
//!
//! [`Trainer`]: manabi::train::Trainer

pub mod lab;

#[cfg(target_arch = "wasm32")]
mod exports {
    use std::cell::RefCell;

    use crate::lab::Lab;

    thread_local! {
        static LAB: RefCell<Option<Lab>> = const { RefCell::new(None) };
        static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }

    fn set_out(bytes: Vec<u8>) {
        OUT.with(|o| *o.borrow_mut() = bytes);
    }

    /// Room for a request of `len` bytes, freed by `manabi_call`.
    #[unsafe(no_mangle)]
    pub extern "C" fn manabi_alloc(len: usize) -> *mut u8 {
        let mut v = Vec::<u8>::with_capacity(len.max(1));
        let p = v.as_mut_ptr();
        std::mem::forget(v);
        p
    }

    /// Runs the JSON request of `len` bytes at `ptr` (from `manabi_alloc`);
    /// 0 when the answer is the result, 1 when it is an error.
    ///
    /// # Safety
    /// `ptr` must come from `manabi_alloc(len)`, with `len` bytes written.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn manabi_call(ptr: *mut u8, len: usize) -> u32 {
        std::panic::set_hook(Box::new(|info| {
            let message = serde_json::json!({ "panic": info.to_string() });
            set_out(message.to_string().into_bytes());
        }));
        // SAFETY: the caller passes what manabi_alloc(len) returned, filled.
        let bytes = unsafe { Vec::from_raw_parts(ptr, len, len.max(1)) };
        let answer = LAB.with(|lab| {
            let mut lab = lab.borrow_mut();
            let lab = lab.get_or_insert_with(Lab::new);
            match serde_json::from_slice(&bytes) {
                Ok(request) => lab.handle(&request),
                Err(e) => Err(format!("not a request: {e}")),
            }
        });
        let (code, value) = match answer {
            Ok(v) => (0, v),
            Err(e) => (1, serde_json::json!({ "error": e })),
        };
        set_out(value.to_string().into_bytes());
        code
    }

    /// Where the last answer starts.
    #[unsafe(no_mangle)]
    pub extern "C" fn manabi_out_ptr() -> *const u8 {
        OUT.with(|o| o.borrow().as_ptr())
    }

    /// The last answer's length in bytes.
    #[unsafe(no_mangle)]
    pub extern "C" fn manabi_out_len() -> usize {
        OUT.with(|o| o.borrow().len())
    }
}
