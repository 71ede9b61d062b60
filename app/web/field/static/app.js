/* The field app's page: sign-in, the offline copy of institutions and officers, 新建检查 into the outbox,
 * 我的检查 / 需处理, sending (sync.js) and the service worker's update path.
 * Rules: the page is rendered from IndexedDB only, so it works with no network; the update banner reloads only
 * when the form holds no unsaved input. */
import * as store from "./store.js";
import { syncOnce } from "./sync.js";
import { certifiedOn, whyNot, today } from "./rules.js";
import { resize } from "./photos.js";

const $ = (id) => document.getElementById(id);
const MAX_BYTES = Number(document.body.dataset.evidenceMaxBytes);
const CATEGORIES = [["fire_safety", "消防安全"], ["building", "建筑安全"], ["electrical", "用电安全"], ["gas", "燃气安全"],
  ["food", "食品安全"], ["medical", "医疗卫生"], ["service", "服务质量"], ["management", "内部管理"], ["license", "证照资质"], ["other", "其他"]];
const STATE = { pending: "待同步", synced: "已同步", failed: "需处理" };
let session = null;
let dirty = false;
let hazardSeq = 0;
const photos = new Map(); // hazard element id → [Blob]
let backoff = 2000;
let timer = null;

function say(text) { $("message").textContent = text; }

/* The count is the signed-in user's waiting items; signed out, the last user's (they wait for that user's next
 * sign-in), never another user's. */
async function refreshCount() {
  const items = session && session.user_id ? await store.itemsOf(session.user_id) : [];
  document.querySelector("[data-outbox-count]").textContent = String(items.filter((i) => i.state === "pending").length);
}

async function show() {
  session = await store.getSession();
  const signedIn = !!(session && session.token);
  $("login").hidden = signedIn;
  $("main").hidden = !signedIn;
  $("user-actions").hidden = !signedIn;
  $("who").textContent = signedIn ? session.username : "";
  $("net").textContent = navigator.onLine ? "" : "(离线)";
  if (signedIn) { await fillForm(); await renderLists(); }
  await refreshCount();
}

/* ---- sign-in and data download ---- */
async function fetchAll(token, path) {
  const rows = [];
  let cursor = null;
  do {
    const url = "/api/v1" + path + "?limit=500" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
    const r = await fetch(url, { headers: { Authorization: "Bearer " + token } });
    if (!r.ok) throw new Error("HTTP " + r.status);
    const body = await r.json();
    rows.push(...body.items);
    cursor = body.next_cursor;
  } while (cursor);
  return rows;
}

async function download() {
  if (!session || !session.token || !navigator.onLine) return;
  try {
    const [institutions, officers] = await Promise.all([fetchAll(session.token, "/institutions"), fetchAll(session.token, "/officers")]);
    await store.replaceAll("institutions", institutions);
    await store.replaceAll("officers", officers);
    if (!dirty) await fillForm();
  } catch (e) { /* keep the offline copy */ }
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  const body = new URLSearchParams({ username: $("username").value, password: $("password").value });
  let r;
  try { r = await fetch("/api/v1/auth/token", { method: "POST", body }); } catch (e) {
    $("login-error").textContent = "无网络,联网后才能登录"; return;
  }
  if (r.status === 401) { $("login-error").textContent = "用户名或密码错误"; return; }
  if (r.status === 429) { $("login-error").textContent = "登录失败次数过多,请稍后再试"; return; }
  if (!r.ok) { $("login-error").textContent = "登录失败,请稍后再试"; return; }
  const token = (await r.json()).access_token;
  const me = await (await fetch("/api/v1/users/me", { headers: { Authorization: "Bearer " + token } })).json();
  session = { user_id: me.id, username: me.username, officer_id: me.officer_id || null, token };
  await store.setSession(session);
  $("password").value = "";
  await download();
  await show();
  kick();
});

$("logout").addEventListener("click", async () => {
  const token = session && session.token;
  await store.setSession({ ...session, token: null }); // the outbox stays
  if (token && navigator.onLine) {
    fetch("/api/v1/users/me/revoke-sessions", { method: "POST", headers: { Authorization: "Bearer " + token } }).catch(() => {});
  }
  say("已退出,未同步的记录保留在本机,下次登录后发送");
  await show();
});

/* ---- the form ---- */
async function fillForm() {
  const select = $("f-institution");
  const chosen = select.value;
  const institutions = (await store.all("institutions")).filter((i) => i.status !== "closed");
  institutions.sort((a, b) => a.name.localeCompare(b.name, "zh-CN"));
  select.replaceChildren(new Option("请选择机构", ""), ...institutions.map((i) => new Option(i.name, i.id)));
  select.value = chosen;
  if (!$("f-date").value) $("f-date").value = today();
  await fillOfficers();
}

async function fillOfficers() {
  const day = $("f-date").value || today();
  const checked = new Set([...document.querySelectorAll("#officer-list input:checked")].map((c) => c.value));
  const officers = await store.all("officers");
  officers.sort((a, b) => a.name.localeCompare(b.name, "zh-CN"));
  const row = (o) => {
    const li = document.createElement("li");
    const ok = certifiedOn(o, day);
    const input = Object.assign(document.createElement("input"), { type: "checkbox", value: o.id, id: "o-" + o.id, disabled: !ok });
    // The inspector takes part in what they record (API rule): their own officer is ticked to start with.
    input.checked = ok && (checked.has(o.id) || (checked.size === 0 && !dirty && session && o.id === session.officer_id));
    input.dataset.certified = String(ok);
    const label = Object.assign(document.createElement("label"), { htmlFor: input.id });
    label.textContent = o.name + (o.certificate_no ? "(" + o.certificate_no + ")" : "") + (ok ? "" : " — " + whyNot(o, day));
    li.append(input, label);
    return li;
  };
  /* Officers certified on the date come first; the others are folded away, shown disabled with the reason. */
  const valid = officers.filter((o) => certifiedOn(o, day));
  const invalid = officers.filter((o) => !certifiedOn(o, day));
  $("officer-list").replaceChildren(...valid.map(row));
  $("officer-invalid").replaceChildren(...invalid.map(row));
  $("others-count").textContent = String(invalid.length);
  $("officer-others").hidden = invalid.length === 0;
  $("no-officers").hidden = valid.length > 0;
}

function hazardBlock() {
  const n = hazardSeq++;
  const box = document.createElement("fieldset");
  box.className = "hazard";
  box.dataset.hazard = String(n);
  box.dataset.id = crypto.randomUUID();
  const field = (label, el) => {
    el.id = "h" + n + "-" + label;
    const l = Object.assign(document.createElement("label"), { htmlFor: el.id, textContent: label });
    box.append(l, el);
    return el;
  };
  box.append(Object.assign(document.createElement("legend"), { textContent: "隐患 " + (n + 1) }));
  const cat = field("类别", document.createElement("select"));
  CATEGORIES.forEach(([v, t]) => cat.append(new Option(t, v)));
  const sev = field("等级", document.createElement("select"));
  sev.append(new Option("一般", "general"), new Option("重大", "major"));
  field("描述", document.createElement("textarea")).rows = 2;
  field("整改期限", Object.assign(document.createElement("input"), { type: "date" }));
  const file = field("照片", Object.assign(document.createElement("input"), { type: "file", accept: "image/*", multiple: true }));
  const err = Object.assign(document.createElement("p"), { className: "error" });
  const thumbs = Object.assign(document.createElement("div"), { className: "thumbs" });
  box.append(err, thumbs);
  photos.set(box.dataset.id, []);
  file.addEventListener("change", async () => {
    for (const f of file.files) {
      try {
        const blob = await resize(f, MAX_BYTES);
        photos.get(box.dataset.id).push(blob);
        thumbs.append(Object.assign(document.createElement("img"), { src: URL.createObjectURL(blob), alt: "照片" }));
      } catch (e) { err.textContent = "照片无法读取:" + f.name; }
    }
    file.value = "";
  });
  $("hazards").append(box);
}

$("add-hazard").addEventListener("click", () => { dirty = true; hazardBlock(); });
$("f-date").addEventListener("change", fillOfficers);
$("f-type").addEventListener("change", () => { $("campaign-row").hidden = $("f-type").value !== "special"; });
$("inspection-form").addEventListener("input", () => { dirty = true; });

function clearForm() {
  $("inspection-form").reset();
  $("hazards").replaceChildren();
  hazardSeq = 0; // the next form's hazards are 隐患 1, 2 … again
  photos.clear();
  $("campaign-row").hidden = true;
  $("f-date").value = today();
  document.querySelectorAll("#inspection-form .error").forEach((e) => { e.textContent = ""; });
  dirty = false;
  fillOfficers();
}

$("inspection-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  document.querySelectorAll("#inspection-form .error").forEach((e) => { e.textContent = ""; });
  const day = $("f-date").value;
  const officerIds = [...document.querySelectorAll("#officer-list input:checked")].map((c) => c.value);
  let bad = false;
  if (!$("f-institution").value) { $("e-institution").textContent = "请选择机构"; bad = true; }
  if (!day) { $("e-date").textContent = "请填写检查日期"; bad = true; } else if (day > today()) { $("e-date").textContent = "检查日期不能晚于今天"; bad = true; }
  if (officerIds.length < 2) { $("e-officers").textContent = "至少选择两名在检查日期持有效执法证的执法人员"; bad = true; }
  const hazards = [];
  const itemPhotos = [];
  for (const box of document.querySelectorAll("#hazards fieldset")) {
    const n = box.dataset.hazard;
    const description = $("h" + n + "-描述").value.trim();
    const due = $("h" + n + "-整改期限").value;
    const err = box.querySelector(".error");
    if (!description) { err.textContent = "请填写描述"; bad = true; }
    else if (due && day && due < day) { err.textContent = "整改期限不能早于检查日期"; bad = true; }
    const hazard = { id: box.dataset.id, category: $("h" + n + "-类别").value, severity: $("h" + n + "-等级").value, description };
    if (due) hazard.due_on = due;
    hazards.push(hazard);
    for (const blob of photos.get(box.dataset.id) || []) itemPhotos.push({ id: crypto.randomUUID(), hazard_id: box.dataset.id, blob, uploaded: false });
  }
  if (bad) { say("请按提示修改后再保存"); return; }
  const payload = { id: crypto.randomUUID(), institution_id: $("f-institution").value, inspected_on: day, type: $("f-type").value, officer_ids: officerIds, hazards };
  if (payload.type === "special" && $("f-campaign").value.trim()) payload.campaign = $("f-campaign").value.trim();
  if ($("f-summary").value.trim()) payload.summary = $("f-summary").value.trim();
  const label = $("f-institution").selectedOptions[0].textContent;
  await store.putItem({ id: payload.id, user_id: session.user_id, state: "pending", created_at: new Date().toISOString(), label, payload, photos: itemPhotos, sent: false, detail: "", explanation: "" });
  clearForm();
  say("已保存到本机,联网后自动同步");
  await renderLists();
  await refreshCount();
  kick();
});

/* ---- lists ---- */
async function renderLists() {
  if (!session) return;
  const items = (await store.itemsOf(session.user_id)).sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  const row = (item) => {
    const li = document.createElement("li");
    li.dataset.id = item.id;
    li.dataset.state = item.state;
    const head = document.createElement("p");
    head.textContent = item.payload.inspected_on + " " + item.label + " · 隐患 " + item.payload.hazards.length + " · ";
    const badge = Object.assign(document.createElement("span"), { className: "badge " + item.state, textContent: STATE[item.state] });
    head.append(badge);
    li.append(head);
    if (item.state === "failed") {
      li.append(Object.assign(document.createElement("p"), { className: "detail", textContent: item.detail }));
      li.append(Object.assign(document.createElement("p"), { className: "explain", textContent: item.explanation }));
    }
    return li;
  };
  const failed = items.filter((i) => i.state === "failed");
  $("mine").replaceChildren(...items.map(row));
  $("failed").replaceChildren(...failed.map(row));
  $("mine-empty").hidden = items.length > 0;
  $("failed-empty").hidden = failed.length > 0;
  const badge = document.querySelector("[data-failed-count]");
  badge.textContent = String(failed.length);
  badge.hidden = failed.length === 0;
}

document.querySelectorAll("[data-tab]").forEach((b) => b.addEventListener("click", () => {
  for (const t of ["new", "mine", "failed"]) $("tab-" + t).hidden = t !== b.dataset.tab;
  document.querySelectorAll("[data-tab]").forEach((other) => other.setAttribute("aria-selected", String(other === b)));
}));

/* ---- sending ---- */
async function runSync() {
  clearTimeout(timer);
  const run = async () => {
    const result = await syncOnce();
    await renderLists();
    if (result === "signed-out") { await show(); if (session && !session.token) say("登录已失效,请重新登录;未同步的记录保留在本机"); return; }
    await refreshCount();
    if (result === "retry") { timer = setTimeout(runSync, backoff); backoff = Math.min(backoff * 2, 60000); }
    else backoff = 2000;
  };
  if (navigator.locks) await navigator.locks.request("field-sync", run); else await run();
}
function kick() { backoff = 2000; runSync(); }
$("sync").addEventListener("click", () => { kick(); download(); });
window.addEventListener("online", () => { $("net").textContent = ""; kick(); download(); });
window.addEventListener("offline", () => { $("net").textContent = "(离线)"; });

/* ---- service worker and its update path ---- */
async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const reg = await navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" });
  const offer = () => { if (reg.waiting && navigator.serviceWorker.controller) $("update").hidden = false; };
  offer();
  reg.addEventListener("updatefound", () => {
    const next = reg.installing;
    if (next) next.addEventListener("statechange", offer);
  });
  $("update-now").addEventListener("click", () => {
    if (dirty) { $("update-msg").textContent = "请先保存当前表单再更新"; return; }
    if (reg.waiting) reg.waiting.postMessage({ type: "skip-waiting" });
  });
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!reloading && !dirty && !$("update").hidden) { reloading = true; location.reload(); }
  });
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") reg.update().catch(() => {}); });
}

await show();
registerWorker();
download();
kick();
