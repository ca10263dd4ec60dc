// The annotator's page: one item at a time from /api/next, a label with 1 or 0, undo with u,
// skip with s. The name is asked once and kept in localStorage. Every request carries the
// access token as a cookie, set by the server when the page was opened with ?token=.
"use strict";

const state = { annotator: localStorage.getItem("frugal.annotator") || "", item: null,
                labelled: 0, busy: false, skipped: [] };
const $ = (id) => document.getElementById(id);

async function call(method, path, body) {
  const response = await fetch(path, {
    method, headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined, credentials: "same-origin" });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `${method} ${path}: HTTP ${response.status}`);
  return data;
}

function say(text, isError) {
  $("message").textContent = text;
  $("message").className = "status-line" + (isError ? " error" : "");
}

// The session's count is shown at once; the campaign's numbers at most every two seconds:
// /api/status makes the server evaluate the whole campaign, which need not follow every label.
let campaignSummary = "";
let campaignShownAt = 0;
async function refreshProgress() {
  const show = () => {
    $("progress").textContent = `You labelled ${state.labelled} items this session. ${campaignSummary}`;
  };
  show();
  const now = Date.now();
  if (now - campaignShownAt < 2000) return;
  campaignShownAt = now;
  try {
    const status = await call("GET", "/api/status");
    const sets = Object.values(status.sets);
    const finished = sets.filter((set) => set.finished).length;
    campaignSummary = `Campaign: ${status.distinct_labelled} items labelled, ` +
      `${finished} of ${sets.length} sets finished.`;
    show();
  } catch (error) {
    say(error.message, true);
  }
}

function show(item) {
  state.item = item;
  $("item-card").hidden = !item;
  $("done-card").hidden = !!item;
  if (!item) return;
  $("item-id").textContent = item.id;
  $("item-sets").textContent = (item.sets || []).join(", ") || "-";
  $("item-content").textContent = item.content || "";
  const image = $("item-image");
  image.hidden = !item.image;
  if (item.image) image.src = item.image;
}

async function loadNext() {
  const query = new URLSearchParams({ annotator: state.annotator });
  for (const id of state.skipped) query.append("skip", id);
  const data = await call("GET", "/api/next?" + query.toString());
  show(data.item);
  refreshProgress();  // not awaited: the next key press need not wait for the numbers
}

// While a request is on its way, key presses are ignored (a label must go to the item shown);
// body[data-busy] tells the user's eyes (cursor) and the browser test when it is over.
function setBusy(busy) {
  state.busy = busy;
  document.body.dataset.busy = busy ? "1" : "0";
}

async function act(action) {
  if (state.busy) return;
  setBusy(true);
  try {
    if (action === "undo") {
      const data = await call("POST", "/api/undo", { annotator: state.annotator });
      state.labelled = Math.max(0, state.labelled - 1);
      say(`Undone: ${data.undone}`);
    } else if (action === "skip") {
      if (state.item) state.skipped.push(state.item.id);
      say(`Skipped ${state.item ? state.item.id : ""}`);
    } else if (state.item) {
      const label = action === "yes" ? 1 : 0;
      await call("POST", "/api/label", { annotator: state.annotator, id: state.item.id, label });
      state.labelled += 1;
      say(`${state.item.id}: ${label === 1 ? "belongs" : "does not belong"}`);
    }
    await loadNext();
  } catch (error) {
    say(error.message, true);
  } finally {
    setBusy(false);
  }
}

function start() {
  $("name-card").hidden = true;
  $("who").textContent = state.annotator;
  setBusy(true);
  loadNext()
    .catch((error) => say(error.message, true))
    .finally(() => setBusy(false));
}

$("name-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = $("name-input").value.trim();
  if (!name) return;
  state.annotator = name;
  localStorage.setItem("frugal.annotator", name);
  start();
});
$("yes").addEventListener("click", () => act("yes"));
$("no").addEventListener("click", () => act("no"));
$("undo").addEventListener("click", () => act("undo"));
$("skip").addEventListener("click", () => act("skip"));
document.addEventListener("keydown", (event) => {
  if (!state.annotator || event.target.tagName === "INPUT") return;
  const action = { "1": "yes", "0": "no", "u": "undo", "s": "skip" }[event.key];
  if (action) {
    event.preventDefault();
    act(action);
  }
});

if (state.annotator) start();
else $("name-card").hidden = false;
