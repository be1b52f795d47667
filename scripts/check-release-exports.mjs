// The shipped package carries no test hook: no export of the release wasm, and no method of its JS glue,
// is named like one. Run after scripts/build-www.sh. Usage: node scripts/check-release-exports.mjs [pkg dir]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'www/pkg';
const HOOK = /debug|for_?tests?|simulate|test_?hook/i;
const wasm = new WebAssembly.Module(readFileSync(join(dir, 'mls_web_store_bg.wasm')));
const exports = WebAssembly.Module.exports(wasm).map((e) => e.name);
const glue = readFileSync(join(dir, 'mls_web_store.js'), 'utf8');
const methods = [...glue.matchAll(/^\s{4}(?:async\s+)?([A-Za-z_$][\w$]*)\s*\(/gm)].map((m) => m[1]);
const hooks = [...exports.filter((n) => HOOK.test(n)), ...methods.filter((n) => HOOK.test(n))];
console.log(JSON.stringify({ wasm_exports: exports.length, glue_methods: methods.length, test_hooks: hooks }));
if (exports.length === 0 || methods.length === 0) {
  console.error('found no exports or methods: is this the package?');
  process.exit(1);
}
if (hooks.length > 0) {
  console.error(`the release package exports test hooks: ${hooks.join(', ')}`);
  process.exit(1);
}
