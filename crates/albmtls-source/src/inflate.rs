//! Raw deflate decoding of one gzip member at a time, for [`crate::gzip`]: flate2 on
//! zlib-rs (pure Rust, the default), or Intel's ISA-L behind the `isal` feature (the
//! system's libisal, `apt-get install libisal-dev`), which inflates faster on x86-64.

/// What one step of inflating did.
pub(crate) struct Step {
    /// Input bytes taken (the inflater may hold some of them until the next step).
    pub consumed: usize,
    pub produced: usize,
    /// The deflate stream ended: what follows it in the input is not deflate data.
    pub ended: bool,
    /// Bytes after the end of the stream that the inflater took in an earlier step (so
    /// they can no longer be left in the input): they come before the unconsumed input.
    pub read_ahead: ReadAhead,
}

/// At most eight bytes read past the end of a deflate stream.
#[derive(Default)]
pub(crate) struct ReadAhead {
    pub bytes: [u8; 8],
    pub len: usize,
}

impl ReadAhead {
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

#[cfg(not(feature = "isal"))]
pub(crate) mod flate2 {
    use flate2::{Decompress, FlushDecompress, Status};

    use super::{ReadAhead, Step};

    pub(crate) struct Inflater(Decompress);

    impl Inflater {
        pub(crate) fn new() -> Inflater {
            Inflater(Decompress::new(false))
        }

        /// Gets ready for the next stream.
        pub(crate) fn reset(&mut self) {
            self.0.reset(false);
        }

        pub(crate) fn step(&mut self, input: &[u8], out: &mut [u8]) -> Result<Step, String> {
            let (in_before, out_before) = (self.0.total_in(), self.0.total_out());
            let status = self.0.decompress(input, out, FlushDecompress::None).map_err(|err| err.to_string())?;
            Ok(Step {
                consumed: (self.0.total_in() - in_before) as usize,
                produced: (self.0.total_out() - out_before) as usize,
                ended: status == Status::StreamEnd,
                read_ahead: ReadAhead::default(),
            })
        }
    }
}

#[cfg(feature = "isal")]
pub(crate) mod isal {
    use isal::isal_sys::igzip_lib as ffi;

    use super::{ReadAhead, Step};

    /// ISA-L's inflate state (tens of kilobytes: boxed).
    pub(crate) struct Inflater(Box<ffi::inflate_state>);

    // SAFETY: the state holds pointers only into the buffers of the current `step` call,
    // which are set afresh on every call; nothing in it is tied to a thread.
    unsafe impl Send for Inflater {}

    impl Inflater {
        pub(crate) fn new() -> Inflater {
            let mut state = Box::<ffi::inflate_state>::new_uninit();
            // SAFETY: isal_inflate_init initialises every field of the state it is given.
            let mut state = unsafe {
                ffi::isal_inflate_init(state.as_mut_ptr());
                state.assume_init()
            };
            state.crc_flag = ffi::ISAL_DEFLATE;
            Inflater(state)
        }

        /// Gets ready for the next stream.
        pub(crate) fn reset(&mut self) {
            // SAFETY: the state was initialised by isal_inflate_init.
            unsafe { ffi::isal_inflate_reset(&mut *self.0) };
            self.0.crc_flag = ffi::ISAL_DEFLATE;
        }

        pub(crate) fn step(&mut self, input: &[u8], out: &mut [u8]) -> Result<Step, String> {
            let state = &mut *self.0;
            let avail_in = u32::try_from(input.len()).unwrap_or(u32::MAX);
            let avail_out = u32::try_from(out.len()).unwrap_or(u32::MAX);
            // ISA-L only reads through next_in; the pointer is mutable in its C header only.
            state.next_in = input.as_ptr().cast_mut();
            state.avail_in = avail_in;
            state.next_out = out.as_mut_ptr();
            state.avail_out = avail_out;
            // SAFETY: next_in/avail_in and next_out/avail_out describe live buffers of at
            // least those lengths for the duration of the call.
            let code = unsafe { ffi::isal_inflate(state) };
            // Pointers into this call's buffers must not outlive it.
            state.next_in = std::ptr::null_mut();
            state.next_out = std::ptr::null_mut();
            if code != ffi::ISAL_DECOMP_OK as i32 {
                return Err(describe(code));
            }
            let mut consumed = (avail_in - state.avail_in) as usize;
            let produced = (avail_out - state.avail_out) as usize;
            let ended = state.block_state == ffi::isal_block_state_ISAL_BLOCK_FINISH;
            let mut read_ahead = ReadAhead::default();
            if ended {
                // ISA-L reads input eight bytes at a time into a bit buffer and keeps what
                // follows the stream there: the bits left past the last byte's padding are
                // whole bytes of the trailer. Those taken in this step go back to the
                // input; older ones (taken in an earlier step) are handed over.
                let bits = u32::try_from(state.read_in_length).unwrap_or(0);
                let (padding, whole) = ((bits % 8) as usize, (bits / 8) as usize);
                let older = whole.saturating_sub(consumed);
                consumed -= whole - older;
                for (i, byte) in read_ahead.bytes.iter_mut().take(older).enumerate() {
                    *byte = (state.read_in >> (padding + 8 * i)) as u8;
                }
                read_ahead.len = older;
                state.read_in = 0;
                state.read_in_length = 0;
            }
            Ok(Step { consumed, produced, ended, read_ahead })
        }
    }

    fn describe(code: i32) -> String {
        let what = match code {
            ffi::ISAL_INVALID_BLOCK => "invalid block",
            ffi::ISAL_INVALID_SYMBOL => "invalid symbol",
            ffi::ISAL_INVALID_LOOKBACK => "invalid distance too far back",
            _ => "inflate error",
        };
        format!("{what} (ISA-L code {code})")
    }
}
