//! `cargo bench`: scan throughput against bare `syn::parse_file` on a real
//! corpus, with peak memory. The corpus is `PATCHWRIGHT_BENCH_CORPUS` or the
//! cargo registry sources; `patchwright bench [PATH]` runs the same code.

// The allocator the `patchwright` binary uses, so both measure the same.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    patchwright::sys::memory::return_freed_memory_promptly();
    let corpus = std::env::var_os("PATCHWRIGHT_BENCH_CORPUS").map(std::path::PathBuf::from);
    match patchwright::engine::bench::run(corpus.as_deref(), 3) {
        Ok(report) => print!("{}", report.to_text()),
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(2);
        }
    }
}
