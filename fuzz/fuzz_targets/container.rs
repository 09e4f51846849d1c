//! The container reader (`spec/format.md` §3, checks 1–14) on arbitrary bytes, with
//! libFuzzer's own byte mutator: every rejection carries a code, nothing panics, and an
//! accepted file re-encodes and views all its tensors.
#![no_main]

use amber_codec::Reader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match Reader::default().read(data) {
        Ok(container) => {
            for i in 0..container.manifest().tensors.len() {
                if let Err(e) = container.tensor_by_index(i) {
                    assert!(e.code().starts_with("E_"), "{e}");
                }
            }
            if let Err(e) = container.reencode() {
                assert!(e.code().starts_with("E_"), "{e}");
            }
        }
        Err(e) => assert!(e.code().starts_with("E_"), "{e}"),
    }
});
