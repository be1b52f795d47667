// What an app writes to use the package: open a store, follow its changes, write to it, read back.
import { openStore } from 'mls-web-store';

const store = await openStore({ name: 'vite-app' });
const heard = [];
store.subscribe({ types: ['keyValue'] }, (changes) => heard.push(...changes.map((change) => change.key)));
await store.kv.put('app', 'hello', new TextEncoder().encode('world'));
const back = new TextDecoder().decode(await store.kv.get('app', 'hello'));

document.getElementById('result').textContent = `${store.backend} ${back} v${await store.schemaVersion()} heard:${heard.join(',')}`;
document.body.dataset.state = 'ready';
