//! Arbitrary bytes as a capture file: open, drain every frame, touch every
//! field. Must never panic, hang, or allocate from an unchecked length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sonde_capture::CaptureReader;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CaptureReader::from_read(Box::new(std::io::Cursor::new(data.to_vec())))
    else {
        return;
    };
    let mut last = 0u64;
    loop {
        let interface = match reader.next_frame() {
            None => break,
            Some(Ok(f)) => {
                assert_eq!(f.number, last + 1, "frame numbers are dense");
                last = f.number;
                std::hint::black_box((f.ts_ns, f.orig_len, f.link_type, f.data.len(), f.comment));
                f.interface_id
            }
            Some(Err(e)) => {
                std::hint::black_box(e.to_string());
                break;
            }
        };
        // Every frame's interface is described.
        assert!((interface as usize) < reader.interfaces().len());
    }
    assert!(reader.next_frame().is_none(), "None after the end or an error");
    for i in reader.interfaces() {
        std::hint::black_box(i.ticks_to_ns(u64::MAX));
    }
    std::hint::black_box(reader.format());
});
