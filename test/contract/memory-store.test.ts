import { MemoryStore } from '../../broker/store/memory-store.js';
import { storeContract } from './store.contract.js';

// A memory store loses everything on reopen (persistent: false): the suite
// skips its persistence cases and reads queue state in place with recover().
storeContract('MemoryStore', async () => ({
  store: new MemoryStore(),
  persistent: false,
  reopen: async () => new MemoryStore(),
  recover: (store) => (store as MemoryStore).recover(),
  cleanup: async () => {},
}));
