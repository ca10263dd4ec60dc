// Browser test of `frugal serve`: headless Debian Chromium (never a downloaded browser) driven by
// playwright-core. It opens the annotator page with the access token, gives a name, labels 20
// items with the keyboard (1 and 0), undoes one with u, skips one with s, and checks that the
// dashboard, open in a second tab, goes from 0 to 19 labelled items, and that the store agrees
// (/api/status). Screenshots of both pages go to OUT_DIR.
//   node annotate_test.mjs URL_WITH_TOKEN OUT_DIR
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import path from "node:path";

const [url, outDir] = process.argv.slice(2);
assert.ok(url && outDir, "usage: node annotate_test.mjs URL_WITH_TOKEN OUT_DIR");
const origin = new URL(url).origin;
const token = new URL(url).searchParams.get("token");

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  // Without the background-networking flags Chromium keeps trying to reach Google's hosts.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const pageErrors = [];
try {
  const context = await browser.newContext();
  const annotator = await context.newPage();
  annotator.on("pageerror", (error) => pageErrors.push(error.message));
  await annotator.goto(url);  // the server answers ?token= with the session cookie

  const dashboard = await context.newPage();
  dashboard.on("pageerror", (error) => pageErrors.push(error.message));
  await dashboard.goto(origin + "/dashboard");
  await dashboard.waitForFunction(() => document.getElementById("summary").dataset.labelled === "0");
  const rowsBefore = await dashboard.locator("#sets tr").count();
  assert.ok(rowsBefore >= 2, `the dashboard lists the sets (${rowsBefore} rows)`);

  await annotator.bringToFront();
  await annotator.fill("#name-input", "ada");
  await annotator.click("#name-form button[type=submit]");
  const currentId = () => annotator.locator("#item-id").textContent();
  // The page ignores keys while a request is on its way (body[data-busy="1"]): wait for a new
  // item and for the page to be idle before the next key.
  const idleWithNewItem = (previous) =>
    annotator.waitForFunction(
        (old) => document.body.dataset.busy === "0" &&
                 document.getElementById("item-id").textContent !== old, previous);
  await idleWithNewItem("");
  const seen = new Set();
  let lastLabelled = "";
  for (let i = 0; i < 20; ++i) {
    const before = await currentId();
    assert.ok(!seen.has(before), `item ${before} offered twice`);
    seen.add(before);
    lastLabelled = before;
    await annotator.keyboard.press(i % 3 === 0 ? "0" : "1");
    await idleWithNewItem(before);
  }
  // Undo the 20th label: the item comes back first (it is needed again).
  await annotator.keyboard.press("u");
  await annotator.waitForFunction(
      () => document.body.dataset.busy === "0" &&
            document.getElementById("message").textContent.startsWith("Undone"));
  assert.equal(await currentId(), lastLabelled, "after undo the undone item is shown again");
  // Skip one item: another one is shown and nothing is stored.
  const skipped = await currentId();
  await annotator.keyboard.press("s");
  await idleWithNewItem(skipped);
  await annotator.screenshot({ path: path.join(outDir, "annotate.png"), fullPage: true });

  await dashboard.bringToFront();
  await dashboard.waitForFunction(
      () => document.getElementById("summary").dataset.labelled === "19", null, { timeout: 15000 });
  await dashboard.screenshot({ path: path.join(outDir, "dashboard.png"), fullPage: true });

  const response = await fetch(origin + "/api/status", { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  const status = await response.json();
  assert.equal(status.distinct_labelled, 19, "19 items labelled in the store");
  assert.equal(status.label_records, 19, "19 label records in the store");
  assert.deepEqual(pageErrors, [], "no script errors on the pages");
  console.log(`browser test: 20 labels, 1 undo, 1 skip; dashboard and store show 19; screenshots in ${outDir}`);
} finally {
  await browser.close();
}
