//! Embeds every `libraries/*.toml` into the binary, so the shipped threat libraries are there
//! whatever directory the program runs from and however it was installed. The list is generated
//! (rather than written out in the source) so that adding a library file needs no code change.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let dir = manifest.join("libraries");
    println!("cargo::rerun-if-changed=libraries");

    let mut files: Vec<(String, String)> = Vec::new();
    if let Ok(read) = std::fs::read_dir(&dir) {
        for item in read.flatten() {
            let path = item.path();
            if path.extension().is_none_or(|e| e != "toml") || !path.is_file() {
                continue;
            }
            match (path.file_name().and_then(|n| n.to_str()), path.to_str()) {
                (Some(name), Some(full)) => files.push((name.to_string(), full.to_string())),
                _ => println!(
                    "cargo::warning=skipping library file with a non-UTF-8 path: {}",
                    path.display()
                ),
            }
        }
    }
    // Sorted, so the embedded order (and everything derived from it) never depends on the file
    // system's directory order.
    files.sort();

    let mut code = String::from(
        "/// Library files compiled into the binary: (file name, contents), sorted by file name.\n\
         pub(crate) static SHIPPED: &[(&str, &str)] = &[\n",
    );
    for (name, full) in &files {
        let _ = writeln!(code, "    ({name:?}, include_str!({full:?})),");
    }
    code.push_str("];\n");

    let out = std::env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    if let Err(e) = std::fs::write(out.join("shipped_libraries.rs"), code) {
        println!("cargo::error=cannot write shipped_libraries.rs: {e}");
    }
}
