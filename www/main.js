// The page only displays what the storage worker reports; the store itself lives in worker.js, where OPFS
// sync access handles exist.
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const show = (id, value) => { document.getElementById(id).textContent = String(value); };

worker.addEventListener('message', ({ data }) => {
  if (data.type === 'ready') {
    show('status', 'ready');
    show('backend', data.backend);
    show('persistent', data.persistent);
    show('schema', `${data.schemaVersion} (latest ${data.latestSchemaVersion})`);
    show('visits', data.visits);
    document.body.dataset.state = 'ready';
  } else if (data.type === 'error') {
    const status = document.getElementById('status');
    status.textContent = `${data.code}: ${data.message}`;
    status.className = 'error';
    document.body.dataset.state = 'error';
  }
});
