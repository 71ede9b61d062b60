/* Sending the outbox through the API's replay rule (API.md "Inspections": resend the same body with the same
 * device-made ids until 201/200; a retried request never creates a second record).
 * Rules:
 * - Only items whose user_id is the signed-in user's are sent, with that user's token.
 * - Per item: POST /inspections (with hazards) → on 201/200 each photo to its hazard's evidence (the same bytes
 *   on the same hazard answer the existing record, so a retry never doubles a photo); each step is stored.
 * - A network error, 5xx or 429 keeps the item 待同步 and a retry follows with backoff (2 s doubling to 60 s),
 *   on `online` and on `同步`. A 401 stops sending, drops the token (the items stay) and asks to sign in.
 * - Any other 4xx (409, 422, 403, 413 …) moves the item to 需处理 with the server's detail verbatim. */
import { itemsOf, putItem, getSession, setSession } from "./store.js";

export class Unauthorized extends Error {}
class Retry extends Error {}

const EXPLAIN = {
  409: "服务器上已有同一编号但内容不同的记录,本条未被采用。请在办公端核对后处理。",
  422: "服务器拒绝了这条记录(例如机构已关闭、执法人员证件失效或日期不符),请核对后在办公端重新录入。",
  403: "您无权提交这条记录(须为参与检查的执法人员,且在您的辖区内)。",
  413: "照片超过服务器允许的大小。",
  415: "照片格式不被服务器接受。",
};

async function call(token, path, init) {
  let response;
  try {
    response = await fetch("/api/v1" + path, { ...init, headers: { ...(init.headers || {}), Authorization: "Bearer " + token } });
  } catch (e) {
    throw new Retry("网络不可用");
  }
  if (response.status === 200 || response.status === 201) return response;
  if (response.status === 401) throw new Unauthorized();
  if (response.status >= 500 || response.status === 429 || response.status === 408) throw new Retry("服务器暂时不可用");
  let detail = "HTTP " + response.status;
  try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
  const err = new Error(detail);
  err.status = response.status;
  throw err;
}

async function sendItem(token, item) {
  if (!item.sent) {
    await call(token, "/inspections", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(item.payload),
    });
    item.sent = true;
    await putItem(item);
  }
  for (const photo of item.photos) {
    if (photo.uploaded) continue;
    const form = new FormData();
    form.append("file", photo.blob, "photo-" + photo.id + ".jpg");
    await call(token, "/hazards/" + photo.hazard_id + "/evidence", { method: "POST", body: form });
    photo.uploaded = true;
    await putItem(item);
  }
  item.state = "synced";
  item.detail = "";
  await putItem(item);
}

/* One pass over the signed-in user's waiting items; resolves to "done", "retry" or "signed-out". */
export async function syncOnce() {
  const session = await getSession();
  if (!session || !session.token) return "signed-out";
  const items = (await itemsOf(session.user_id)).filter((i) => i.state === "pending");
  items.sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
  let retry = false;
  for (const item of items) {
    try {
      await sendItem(session.token, item);
    } catch (e) {
      if (e instanceof Unauthorized) {
        await setSession({ ...session, token: null });
        return "signed-out";
      }
      if (e instanceof Retry) { retry = true; continue; }
      item.state = "failed";
      item.detail = e.message;
      item.explanation = EXPLAIN[e.status] || "服务器拒绝了这条记录,请核对后处理。";
      await putItem(item);
    }
  }
  return retry ? "retry" : "done";
}
