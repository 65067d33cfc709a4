//! Replays the fuzz corpus (`fuzz/corpus/edxml_parse/`) and the regression inputs found by fuzzing
//! (`tests/fixtures/fuzz/`) through the parsers, so CI checks them without cargo-fuzz: each
//! input returns Ok or Err, never panics, and what parses round-trips.

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect()).unwrap_or_default();
    v.sort();
    v
}

#[test]
fn every_fuzz_corpus_input_parses_or_fails_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = files(&root.join("../../fuzz/corpus/edxml_parse"));
    assert!(!corpus.is_empty(), "the fuzz corpus is missing");
    let mut inputs = corpus;
    inputs.extend(files(&root.join("tests/fixtures/fuzz")));
    for sub in ["", "bad", "status"] {
        inputs.extend(files(&root.join("tests/fixtures").join(sub)).into_iter().filter(|p| p.extension().is_some_and(|e| e == "xml")));
    }
    for path in &inputs {
        let data = std::fs::read(path).unwrap();
        if std::panic::catch_unwind(|| edxml::fuzzing::exercise(&data)).is_err() {
            panic!("{} made the parser panic", path.display());
        }
    }
}
