// The baseline: a Worker that only loads and instantiates the store's wasm (the glue's init streams and
// compiles it from the HTTP cache), then says so.
import init from './pkg/mls_web_store.js';

await init();
postMessage('ready');
