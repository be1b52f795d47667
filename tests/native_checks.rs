//! Checks of the source tree itself, run natively by `cargo test`: the layering of the crate's modules, the
//! conformance suite's registration, and the error codes every other place restates (the TypeScript
//! declaration, the JS client's literals, the README's tables) against the one `ErrorCode` list.
//!
//! `UPDATE_GENERATED=1 cargo test --test native_checks` rewrites the generated TypeScript manifest
//! (`pkg-templates/src/manifest.ts`: error codes, the store's methods, backend and lock names).
#![cfg(not(target_family = "wasm"))]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use mls_web_store::api_manifest::{self, Namespace, STORE_METHODS};
use mls_web_store::backend::{Backend, BackendChoice, INDEXED_DB_DATABASE_PREFIX};
use mls_web_store::ErrorCode;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Identifiers following `prefix` in `text` (`crate::chat::..` gives `chat` for prefix `crate::`), including
/// those in a `use crate::{a::.., b::..}` group.
fn referenced_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in text.match_indices(prefix) {
        let rest = &text[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name = ident(item.trim());
                if item.trim().starts_with(&format!("{name}::")) || item.trim() == name {
                    found.insert(name);
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found.remove("");
    found
}

/// Code only: test modules (`#[cfg(test)]` to the end of the file) and comments are left out.
fn code_of(path: &Path) -> String {
    let text = fs::read_to_string(path).expect("read source");
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => &text[..],
    };
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Edges between the crate's top-level modules.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src");
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("file name")
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" {
            continue;
        }
        let used = referenced_after(&code_of(&file), "crate::");
        let edges = graph.entry(top.clone()).or_default();
        edges.extend(used.into_iter().filter(|m| *m != top));
    }
    graph
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}

/// The layers, top down. A module may use modules of lower layers only (and, within its layer, ones that do
/// not use it back: the cycle check catches that).
const LAYERS: &[&[&str]] = &[
    &["js"],
    &["store"],
    // Composes two domains (MLS processing, chat storage) in one transaction.
    &["catch_up"],
    &["chat", "mls", "kv", "backup"],
    &["sql", "archive"],
    &["vfs"],
    &[
        "backend",
        "schema",
        "platform",
        "hex",
        "error_code",
        "api_manifest",
    ],
];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|layer| layer.contains(&module))
        .unwrap_or_else(|| panic!("module {module} is in no layer: add it to LAYERS"))
}

#[test]
fn modules_use_only_lower_layers_and_form_no_cycle() {
    let graph = module_graph();
    assert!(graph.contains_key("store") && graph.contains_key("chat"));
    for (module, uses) in &graph {
        for used in uses {
            assert!(
                layer_of(used) >= layer_of(module),
                "{module} uses {used}, a layer above it"
            );
        }
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
    // The domains know nothing of the store that assembles them.
    for domain in ["catch_up", "chat", "mls", "kv", "backup", "sql", "vfs"] {
        assert!(
            !graph[domain].contains("store"),
            "{domain} uses store: {:?}",
            graph[domain]
        );
    }
}

#[test]
fn files_within_a_module_form_no_cycle() {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graphs: BTreeMap<PathBuf, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in files {
        let stem = file.file_stem().and_then(|s| s.to_str()).expect("stem");
        if stem == "mod" || stem == "lib" || stem == "tests" {
            continue;
        }
        let dir = file.parent().expect("parent").to_path_buf();
        let uses = referenced_after(&code_of(&file), "super::");
        graphs.entry(dir).or_default().insert(
            stem.to_owned(),
            uses.into_iter().filter(|u| u != stem).collect(),
        );
    }
    for (dir, graph) in graphs {
        // Only siblings count: `super::Thing` names the parent module's own items.
        let siblings: BTreeSet<String> = graph.keys().cloned().collect();
        let graph: BTreeMap<String, BTreeSet<String>> = graph
            .into_iter()
            .map(|(file, uses)| (file, uses.intersection(&siblings).cloned().collect()))
            .collect();
        let graph = without_allowed_pairs(graph);
        if let Some(cycle) = find_cycle(&graph) {
            panic!(
                "cycle between files of {}: {}",
                dir.display(),
                cycle.join(" -> ")
            );
        }
    }
}

/// File pairs that are one concern split for size, each with the reason. A statement and a transaction
/// borrow the connection that makes them (a statement returns itself to the connection's cache and reads the
/// connection's error message; a transaction commits on it), as in rusqlite; the rest of `sql` depends one
/// way.
const ALLOWED_PAIRS: &[(&str, &str)] =
    &[("statement", "connection"), ("transaction", "connection")];

fn without_allowed_pairs(
    mut graph: BTreeMap<String, BTreeSet<String>>,
) -> BTreeMap<String, BTreeSet<String>> {
    for (from, to) in ALLOWED_PAIRS {
        if let Some(uses) = graph.get_mut(*from) {
            uses.remove(*to);
        }
    }
    graph
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_owned(), ["b".to_owned()].into()),
        ("b".to_owned(), ["c".to_owned()].into()),
        ("c".to_owned(), ["a".to_owned()].into()),
    ]
    .into();
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        referenced_after(
            "use crate::{chat::Chat, sql};\nlet x = crate::vfs::y;",
            "crate::"
        ),
        ["chat", "sql", "vfs"].map(String::from).into()
    );
}

#[test]
fn every_suite_test_is_registered() {
    let common = root().join("tests/common");
    let mut files = Vec::new();
    rust_files(&common, &mut files);
    let mut written = BTreeSet::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("read test");
        for (at, _) in text.match_indices("pub async fn ") {
            let rest = &text[at + "pub async fn ".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let signature = &rest[name.len()..rest.find('{').unwrap_or(rest.len())];
            if signature.trim() == "(choice: BackendChoice)" {
                written.insert(name);
            }
        }
    }
    let suite = fs::read_to_string(common.join("mod.rs")).expect("read suite");
    let list = suite
        .split("($choice:expr) => {")
        .nth(1)
        .expect("the suite macro's list");
    let registered: BTreeSet<String> = list
        .lines()
        .map(|line| line.trim().trim_end_matches(','))
        .filter(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_owned)
        .collect();
    let missing: Vec<_> = written.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "suite tests (pub async fn name(choice: BackendChoice) in tests/common) not in \
         store_conformance_suite!: {missing:?}; helpers with that signature must not be `pub`"
    );
    let unknown: Vec<_> = registered.difference(&written).collect();
    assert!(
        unknown.is_empty(),
        "registered but not written: {unknown:?}"
    );
}

fn quoted(items: impl IntoIterator<Item = impl std::fmt::Display>) -> String {
    items
        .into_iter()
        .map(|item| format!("'{item}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The TypeScript every piece of the package (client, Worker, loader) takes these facts from.
fn manifest_module() -> String {
    let mut text = String::from(
        "// Generated from src/api_manifest.rs, src/error_code.rs and src/backend/mod.rs by\n\
         // tests/native_checks.rs (UPDATE_GENERATED=1 cargo test --test native_checks). Do not edit.\n\n\
         /** Every `code` an error of this package can carry. */\n\
         export type ErrorCode =\n",
    );
    for code in ErrorCode::ALL {
        text.push_str(&format!("  | '{code}'\n"));
    }
    text.pop();
    text.push_str(";\n\n");
    text.push_str(&format!(
        "export const ERROR_CODES: readonly ErrorCode[] = [{}];\n\n",
        quoted(ErrorCode::ALL.iter().map(|code| code.as_str()))
    ));
    text.push_str(
        "/** read: asked again of the next owner when the owning tab goes away before answering; write and\n\
         * stream: answered OWNER_CHANGED then (a write may or may not have been applied; a stream's caller\n\
         * already has pieces). */\n\
         export type Access = 'read' | 'write' | 'stream';\n\n\
         /** Every call an app makes on a store, by the name it carries across the Worker protocol, with the\n\
         * wasm `Store` export that runs it. */\n\
         export const METHODS = {\n",
    );
    for method in STORE_METHODS {
        text.push_str(&format!(
            "  '{}': {{ wasm: '{}', access: '{}' }},\n",
            method.qualified_name(),
            method.wasm_name,
            method.access.as_str()
        ));
    }
    text.push_str(
        "} as const satisfies Record<string, { wasm: string; access: Access }>;\n\n\
         export type MethodName = keyof typeof METHODS;\n\n",
    );
    text.push_str(&format!(
        "/** The store's properties that group its methods (`store.chat.page(...)`). */\n\
         export const NAMESPACES = [{}] as const;\n\
         export type NamespaceName = (typeof NAMESPACES)[number];\n\n",
        quoted(Namespace::NESTED.iter().map(|n| n.as_str()))
    ));
    let backends = [Backend::Opfs, Backend::IndexedDb, Backend::Memory];
    text.push_str(&format!(
        "export type BackendChoice = {};\n\
         export type Backend = {};\n\n\
         /** The backends a store opened with each choice can end up on. */\n\
         export const BACKEND_CANDIDATES: {{ readonly [C in BackendChoice]: readonly Backend[] }} = {{\n",
        BackendChoice::ALL
            .iter()
            .map(|c| format!("'{}'", c.as_str()))
            .collect::<Vec<_>>()
            .join(" | "),
        backends
            .iter()
            .map(|b| format!("'{}'", b.as_str()))
            .collect::<Vec<_>>()
            .join(" | "),
    ));
    for choice in BackendChoice::ALL {
        text.push_str(&format!(
            "  {}: [{}],\n",
            choice.as_str(),
            quoted(choice.candidates().iter().map(|b| b.as_str()))
        ));
    }
    text.push_str("};\n\n");
    text.push_str(&format!(
        "/** A store's Web Lock and BroadcastChannel are named this prefix + the store's name. */\n\
         export const LOCK_PREFIX = '{}';\n\
         export const lockName = (store: string): string => `${{LOCK_PREFIX}}${{store}}`;\n\n\
         /** The IndexedDB database holding store `name`'s pages is named this prefix + `name`. */\n\
         export const INDEXED_DB_DATABASE_PREFIX = '{}';\n",
        api_manifest::LOCK_PREFIX,
        INDEXED_DB_DATABASE_PREFIX
    ));
    // A string continuation drops the space that opens each line of a doc comment.
    text.replace("\n*", "\n *")
}

#[test]
fn typescript_manifest_is_generated_from_rust() {
    let path = root().join("pkg-templates/src/manifest.ts");
    let expected = manifest_module();
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        fs::write(&path, &expected).expect("write manifest.ts");
    }
    let actual = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "pkg-templates/src/manifest.ts is stale: run UPDATE_GENERATED=1 cargo test --test native_checks"
    );
    assert_eq!(api_manifest::lock_name("a"), "mls-web-store:a");
}

/// The package's TypeScript sources, for the checks below.
fn typescript_sources() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for dir in ["pkg-templates/src"] {
        for entry in fs::read_dir(root().join(dir)).expect("pkg-templates/src") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|ext| ext == "ts") && !path.ends_with("manifest.ts") {
                let text = fs::read_to_string(&path).expect("read ts");
                out.push((path, text));
            }
        }
    }
    out
}

#[test]
fn typescript_restates_no_manifest_fact() {
    // The lock name and the read/write split come from manifest.ts only.
    for (path, text) in typescript_sources() {
        for prefix in [api_manifest::LOCK_PREFIX, INDEXED_DB_DATABASE_PREFIX] {
            // As a string, or a template literal's start (`'mls-web-store/direct'` names the loader, not a
            // database).
            for written in [
                format!("'{prefix}'"),
                format!("\"{prefix}\""),
                format!("`{prefix}${{"),
            ] {
                assert!(
                    !text.contains(&written),
                    "{} restates {prefix}, which manifest.ts exports",
                    path.display()
                );
            }
        }
        for method in STORE_METHODS
            .iter()
            .filter(|m| m.namespace != Namespace::Store)
        {
            assert!(
                !text.contains(&format!("'{}'", method.wasm_name)),
                "{} names the wasm export {}: go through METHODS",
                path.display(),
                method.wasm_name
            );
        }
    }
}

#[test]
fn js_client_and_readme_use_only_known_codes_and_document_all() {
    let known: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    for (path, text) in typescript_sources() {
        for (at, _) in text.match_indices('\'') {
            let rest = &text[at + 1..];
            let literal: String = rest
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            let code_like = literal.len() > 3
                && literal.contains('_')
                && rest[literal.len()..].starts_with('\'');
            assert!(
                !code_like || known.contains(literal.as_str()),
                "{} uses code {literal}, which is not in ErrorCode",
                path.display()
            );
        }
    }
    let readme = fs::read_to_string(root().join("README.md")).expect("README");
    let undocumented: Vec<_> = known
        .iter()
        .filter(|code| !readme.contains(&format!("`{code}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "codes missing from the README's tables: {undocumented:?}"
    );
}
