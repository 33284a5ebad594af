// The playground: one prompt asked twice at once, of the model as it is and of the model steered
// by the refusal direction, both answers streamed from this server's /v1/chat/completions.
// The query string fills the form (?prompt=...&mode=add&coeff=1.5&layers=3&max_tokens=64), and
// &auto=1 asks at once, so that a link shows a comparison.
"use strict";

const $ = (id) => document.getElementById(id);
let info = null;     // GET /playground/info: the model, its direction, the server's steering, the run
let asking = null;   // the AbortController of the answers being streamed
let heatmap = null;  // the score whose heatmap is shown, and its object URL
let heatmapUrl = null;

async function start() {
  try {
    info = await (await fetch("/playground/info")).json();
  } catch (e) {
    $("model").textContent = "cannot reach the server: " + e.message;
    return;
  }
  $("model").textContent = `model ${info.model}, ${info.layers} layers` + (info.direction
    ? `; refusal direction from layer ${info.direction.layer}, position ${info.direction.position}`
    : "; no direction (serve --direction FILE or --run DIR steers)");
  $("key-label").hidden = !info.auth;
  $("key").value = sessionStorage.getItem("refusal4j-key") ?? "";
  $("key").addEventListener("change", () => heatmap && showHeatmap(heatmap));
  if (!info.direction) {
    for (const o of $("mode").options) o.disabled = o.value !== "none";
  }
  const q = new URLSearchParams(location.search);
  $("mode").value = !info.direction ? "none" : q.get("mode") ?? (info.steering.mode !== "none" ? info.steering.mode : "ablate");
  $("coeff").value = q.get("coeff") ?? info.steering.coeff;
  $("layers").value = q.get("layers") ?? "";
  $("prompt").value = q.get("prompt") ?? "";
  if (q.has("max_tokens")) $("max-tokens").value = q.get("max_tokens");
  controlsChanged();
  for (const id of ["mode", "coeff", "layers"]) $(id).addEventListener("input", controlsChanged);
  $("ask").addEventListener("submit", (e) => { e.preventDefault(); ask(); });
  if (info.run) showRun(info.run);
  if (q.get("auto") === "1" && $("prompt").value.trim()) ask();
}

function controlsChanged() {
  const mode = $("mode").value;
  $("coeff").disabled = mode !== "add" && mode !== "subtract";
  $("coeff-value").textContent = Number($("coeff").value).toFixed(1);
  $("steered-note").textContent = describe(steering());
}

/** The steered request's "refusal4j" field; the server fills in what is left out. */
function steering() {
  const s = { steering: $("mode").value };
  if (s.steering === "add" || s.steering === "subtract") s.coeff = Number($("coeff").value);
  if (s.steering !== "none" && $("layers").value.trim()) s.layers = $("layers").value.trim();
  return s;
}

/** Worded like the server's Steering.describe: "add 1.5 × r at layer 3". */
function describe(s) {
  if (s.steering === "none") return "no steering";
  const d = info.direction.layer, last = info.layers - 1;
  const range = s.layers ?? (s.steering === "ablate" ? `0-${last}` : `${d}`);
  const [from, to = from] = range.split("-");
  const at = from === to ? `layer ${from}` : `layers ${from}-${to}`;
  return s.steering === "ablate" ? `ablate r̂ at ${at}` : `${s.steering} ${s.coeff} × r at ${at}`;
}

function ask() {
  const prompt = $("prompt").value;
  if (!prompt.trim()) return;
  asking?.abort();
  asking = new AbortController();
  sessionStorage.setItem("refusal4j-key", $("key").value);
  const maxTokens = Number($("max-tokens").value) || 128;
  const s = steering();
  // the page's address reproduces this comparison
  const q = new URLSearchParams({ prompt, mode: s.steering, max_tokens: maxTokens });
  if (s.coeff !== undefined) q.set("coeff", s.coeff);
  if (s.layers) q.set("layers", s.layers);
  history.replaceState(null, "", "?" + q);
  stream($("base"), { steering: "none" }, prompt, maxTokens, asking.signal);
  stream($("steered"), s, prompt, maxTokens, asking.signal);
}

function headers() {
  const h = { "Content-Type": "application/json" };
  if ($("key").value) h.Authorization = "Bearer " + $("key").value;
  return h;
}

/** Streams one answer into `box`; box.dataset.state ends as "done", "error" or "stopped". */
async function stream(box, refusal4j, prompt, maxTokens, signal) {
  box.textContent = "";
  box.dataset.state = "streaming";
  const body = { messages: [{ role: "user", content: prompt }], max_tokens: maxTokens, stream: true, refusal4j };
  try {
    const r = await fetch("/v1/chat/completions", { method: "POST", headers: headers(), body: JSON.stringify(body), signal });
    if (!r.ok) throw new Error((await r.json()).error?.message ?? `HTTP ${r.status}`);
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let pending = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the answer stopped before its end");
      pending += value;
      let end;
      while ((end = pending.indexOf("\n\n")) >= 0) {
        const data = pending.slice(0, end).replace(/^data: /, "");
        pending = pending.slice(end + 2);
        if (data === "[DONE]") {
          box.dataset.state = "done";
          return;
        }
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message);
        const piece = chunk.choices[0]?.delta?.content;
        if (piece) box.append(piece);
      }
    }
  } catch (e) {
    if (signal.aborted) {
      box.dataset.state = "stopped";
      return;
    }
    box.dataset.state = "error";
    const p = document.createElement("p");
    p.className = "error";
    p.textContent = e.message;
    box.append(p);
  }
}

function showRun(run) {
  $("run").hidden = false;
  $("run-note").textContent = run.heatmaps.length
    ? `run folder ${run.name}: each cell is a candidate direction (post-instruction position × layer); filtered ones are crossed out, the chosen one outlined`
    : `run folder ${run.name} has no heatmaps yet (refusal4j report ${run.name} draws them)`;
  for (const name of run.heatmaps) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = name;
    b.addEventListener("click", () => showHeatmap(name));
    $("heatmap-tabs").append(b);
  }
  if (run.heatmaps.length) showHeatmap(run.heatmaps[0]);
}

// fetched rather than linked, so that the API key goes with it
async function showHeatmap(name) {
  heatmap = name;
  for (const b of $("heatmap-tabs").children) b.setAttribute("aria-selected", String(b.textContent === name));
  const r = await fetch(`/run/heatmap/${name}.svg`, { headers: headers() });
  if (!r.ok) {
    $("run-note").textContent = (await r.json()).error?.message ?? `HTTP ${r.status}`;
    return;
  }
  if (heatmapUrl) URL.revokeObjectURL(heatmapUrl);
  heatmapUrl = URL.createObjectURL(await r.blob());
  $("heatmap").src = heatmapUrl;
  $("heatmap").alt = `${name} score heatmap of the run`;
}

start();
