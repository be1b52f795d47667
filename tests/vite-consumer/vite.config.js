// Module workers: the package's store-worker.js imports the wasm glue as an ES module.
export default {
  worker: { format: 'es' },
  build: { target: 'es2022' },
};
