//! Every declared function has its Lambda binary, named as the declaration names it and running
//! that declaration, and there is no binary for a function that is not declared.

use cakeshop_handlers::functions::{Function, Visit, visit_all};
use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn each_declared_function_has_its_binary_and_nothing_else_does() {
    struct Expect(Vec<(&'static str, &'static str)>);
    impl Visit for Expect {
        fn function<F: Function>(&mut self) {
            let type_name = std::any::type_name::<F>();
            let short = type_name.rsplit("::").next().unwrap_or(type_name);
            self.0.push((F::NAME, short));
        }
    }
    let mut expect = Expect(Vec::new());
    visit_all(&mut expect);

    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin");
    let binaries: BTreeSet<String> = std::fs::read_dir(&bin)
        .expect("src/bin is readable")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.strip_suffix(".rs").map(str::to_owned))
        .collect();
    let declared: BTreeSet<String> = expect.0.iter().map(|(name, _)| (*name).to_owned()).collect();
    assert_eq!(binaries, declared, "src/bin holds one file per declared function");

    for (name, declaration) in expect.0 {
        let source = std::fs::read_to_string(bin.join(format!("{name}.rs"))).expect("readable");
        assert!(
            source.contains(&format!("run::<cakeshop_handlers::functions::{declaration}>()")),
            "src/bin/{name}.rs runs {declaration}"
        );
    }
}
