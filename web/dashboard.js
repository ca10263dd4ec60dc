// The dashboard: /api/status every two seconds, drawn as a table with one interval bar per set.
"use strict";

const $ = (id) => document.getElementById(id);
const number = (value) => Number(value).toLocaleString("en-US");

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function intervalBar(set) {
  const td = document.createElement("td");
  const bar = document.createElement("div");
  bar.className = "bar";
  const [lower, upper] = set.interval;
  const range = document.createElement("div");
  range.className = "interval";
  range.style.left = `${(lower * 100).toFixed(2)}%`;
  range.style.width = `${Math.max(0.5, (upper - lower) * 100).toFixed(2)}%`;
  const point = document.createElement("div");
  point.className = "point";
  point.style.left = `${(set.precision * 100).toFixed(2)}%`;
  bar.append(range, point);
  bar.title = `[${lower.toFixed(4)}, ${upper.toFixed(4)}]`;
  td.append(bar);
  return td;
}

function draw(status) {
  const sets = Object.entries(status.sets);
  const finished = sets.filter(([, set]) => set.finished).length;
  $("summary").textContent = `${number(status.distinct_labelled)} items labelled ` +
    `(${number(status.label_records)} labels); ${finished} of ${sets.length} sets finished` +
    (status.finished ? " — the campaign is finished." : ".");
  $("summary").dataset.labelled = status.distinct_labelled;
  $("comparison").textContent = `A fixed-n coordinated plan would label ${number(status.fixed_n_coordinated)}, ` +
    `independent sampling about ${number(Math.round(status.independent_expected))}, ` +
    `labelling each set separately ${number(status.naive_sum)}.`;
  const body = $("sets");
  body.replaceChildren();
  for (const [name, set] of sets) {
    const row = document.createElement("tr");
    row.dataset.set = name;
    row.append(cell(name), cell(number(set.positives), "number"), cell(number(set.labelled), "number"),
               cell(number(set.fixed_sample_size), "number"),
               cell(set.labelled > 0 ? set.precision.toFixed(4) : "-", "number"), intervalBar(set),
               cell(set.positives === 0 ? "no positives" : set.finished ? `finished at ${set.finished_after}` : "labelling",
                    set.finished ? "finished" : "labelling"));
    body.append(row);
  }
  $("legend").textContent = `Bars: the interval on [0, 1] (target ±${status.margin} at ` +
    `${status.confidence * 100}% confidence), the line the estimate.`;
  $("updated").textContent = "updated " + new Date().toLocaleTimeString();
}

async function refresh() {
  try {
    const response = await fetch("/api/status", { credentials: "same-origin" });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    draw(data);
    $("message").textContent = "";
  } catch (error) {
    $("message").textContent = error.message;
    $("message").className = "status-line error";
  }
}

refresh();
setInterval(refresh, 2000);
