//! `RNN_WASM_ISA` caps the native kernel (`avx512`, `avx2`, `scalar`), so that
//! CI runs this crate's tests once per kernel on one machine. This checks that
//! the cap took effect, so that such a run cannot silently test the default.

#[test]
fn the_kernel_follows_rnn_wasm_isa() {
    let name = rnn_core::isa_name();
    eprintln!("kernel: {name}");
    let cap = std::env::var("RNN_WASM_ISA");
    match cap.as_deref() {
        Ok("scalar") => assert_eq!(name, "scalar"),
        #[cfg(target_arch = "x86_64")]
        Ok("avx2")
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma") =>
        {
            assert_eq!(name, "avx2+fma")
        }
        #[cfg(target_arch = "x86_64")]
        _ if std::arch::is_x86_feature_detected!("avx512f") && cap.is_err() => {
            assert_eq!(name, "avx512")
        }
        _ => {}
    }
}
