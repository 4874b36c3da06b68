//! The UI's types for everything the shell sends are generated from the core's Rust types;
//! this fails when the checked-in module is stale. Regenerate:
//! `HERALD_BLESS=1 cargo test -p herald-core --test typescript`.

use std::path::PathBuf;

#[test]
fn generated_typescript_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/generated/core.ts");
    let fresh = herald_core::ts::typescript_module();
    if std::env::var_os("HERALD_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write the generated module");
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == fresh,
        "{} is stale: run HERALD_BLESS=1 cargo test -p herald-core --test typescript",
        path.display()
    );
}
