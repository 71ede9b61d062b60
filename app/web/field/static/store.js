/* On-device storage (IndexedDB through idb). Stores:
 * session   — key "current": {user_id, username, token|null}; a dropped token keeps user_id/username.
 * institutions, officers — the signed-in user's offline copy (officers with certificate dates and status).
 * outbox    — one item per saved inspection: {id, user_id, state: pending|synced|failed, payload (the API body,
 *             ids made on the device), photos: [{id, hazard_id, blob, uploaded}], sent, detail, explanation}.
 * Items are never deleted by the app: 退出, a 401 and a reload all keep them. */
import { openDB } from "/static/vendor/idb-8.0.4/index.js";

const dbp = openDB("field", 1, {
  upgrade(db) {
    db.createObjectStore("session");
    db.createObjectStore("institutions", { keyPath: "id" });
    db.createObjectStore("officers", { keyPath: "id" });
    const outbox = db.createObjectStore("outbox", { keyPath: "id" });
    outbox.createIndex("user_id", "user_id");
  },
});

export async function getSession() { return (await (await dbp).get("session", "current")) || null; }
export async function setSession(value) { await (await dbp).put("session", value, "current"); }

export async function replaceAll(store, rows) {
  const tx = (await dbp).transaction(store, "readwrite");
  await tx.store.clear();
  for (const row of rows) await tx.store.put(row);
  await tx.done;
}
export async function all(store) { return (await dbp).getAll(store); }
export async function putItem(item) { await (await dbp).put("outbox", item); }
export async function itemsOf(userId) { return (await dbp).getAllFromIndex("outbox", "user_id", userId); }
