// What an app writes to use the package: three lines open a store and write to it.
import { openStore } from 'mls-web-store';

const store = await openStore({ name: 'vite-app' });
await store.kv.put('app', 'hello', new TextEncoder().encode('world'));
const back = new TextDecoder().decode(await store.kv.get('app', 'hello'));

document.getElementById('result').textContent = `${store.backend} ${back} v${await store.schemaVersion()}`;
document.body.dataset.state = 'ready';
