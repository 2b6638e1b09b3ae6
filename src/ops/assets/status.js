// The sluice status page: polls /api/status every second, draws /api/graph once.
// Plain DOM and canvas, no dependencies; every value is set as text, never as HTML.
"use strict";

const HISTORY = 300;  // points kept in the charts (5 minutes at one per second)
const rateSeries = [];
const lagSeries = [];
let previous = null;

function $(id) { return document.getElementById(id); }

function number(n) {
  if (n === null || n === undefined) return "-";
  if (Math.abs(n) >= 1e9) return (n / 1e9).toFixed(2) + " G";
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(2) + " M";
  if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(1) + " k";
  return String(Math.round(n));
}

function bytes(n) {
  if (n === null || n === undefined) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "-";
  const s = Math.max(0, seconds);
  if (s < 120) return s.toFixed(1) + " s";
  if (s < 7200) return (s / 60).toFixed(1) + " min";
  if (s < 172800) return (s / 3600).toFixed(1) + " h";
  return (s / 86400).toFixed(1) + " d";
}

function row(cells, classes) {
  const tr = document.createElement("tr");
  cells.forEach((cell, i) => {
    const td = document.createElement("td");
    if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell;
    if (classes && classes[i]) td.className = classes[i];
    tr.appendChild(td);
  });
  return tr;
}

function fill(tableId, rows) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren(...rows);
}

function svg(tag, attributes, text) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attributes || {})) element.setAttribute(k, v);
  if (text !== undefined) element.textContent = text;
  return element;
}

// Lays the graph out in columns: the main chain left to right, outputs stacked in the
// last column, dead letter and late below the node they come from.
function drawGraph(graph) {
  const target = $("graph");
  target.replaceChildren();
  const outputs = graph.nodes.filter((n) => n.id.startsWith("output:"));
  const side = graph.nodes.filter((n) => n.kind === "dead_letter" || n.kind === "late");
  const chain = graph.nodes.filter((n) => !outputs.includes(n) && !side.includes(n));
  const w = 150, h = 46, gapX = 40, gapY = 14;
  const position = {};
  chain.forEach((n, i) => { position[n.id] = { x: 10 + i * (w + gapX), y: 10 }; });
  const outX = 10 + chain.length * (w + gapX);
  outputs.forEach((n, i) => { position[n.id] = { x: outX, y: 10 + i * (h + gapY) }; });
  side.forEach((n) => {
    const from = graph.edges.find((e) => e.to === n.id);
    const anchor = from && position[from.from] ? position[from.from] : { x: 10, y: 10 };
    const x = n.kind === "late" ? outX + w + gapX : anchor.x;
    position[n.id] = { x: x, y: 10 + Math.max(outputs.length, 1) * (h + gapY) + 10 };
  });
  let width = 0, height = 0;
  for (const p of Object.values(position)) { width = Math.max(width, p.x + w + 10); height = Math.max(height, p.y + h + 10); }
  target.setAttribute("viewBox", `0 0 ${width} ${height}`);
  target.style.height = Math.min(height, 420) + "px";
  for (const e of graph.edges) {
    const a = position[e.from], b = position[e.to];
    if (!a || !b) continue;
    let d;
    if (b.y > a.y + h && Math.abs(b.x - a.x) < w) {
      d = `M${a.x + w / 2},${a.y + h} L${b.x + w / 2},${b.y}`;
    } else {
      const x1 = a.x + w, y1 = a.y + h / 2, x2 = b.x, y2 = b.y + h / 2;
      d = `M${x1},${y1} C${x1 + gapX / 2},${y1} ${x2 - gapX / 2},${y2} ${x2},${y2}`;
    }
    target.appendChild(svg("path", { d: d, class: "edge" + (e.rejected ? " rejected" : "") }));
  }
  for (const n of graph.nodes) {
    const p = position[n.id];
    const g = svg("g", { class: "node " + n.kind, "data-id": n.id, transform: `translate(${p.x},${p.y})` });
    g.appendChild(svg("rect", { width: w, height: h }));
    const title = n.label.length > 22 ? n.label.slice(0, 21) + "…" : n.label;
    g.appendChild(svg("text", { x: 8, y: 19 }, title));
    const sub = n.detail && n.detail.window ? n.detail.window : n.kind.replace("_", " ");
    g.appendChild(svg("text", { x: 8, y: 36, class: "sub" }, sub.length > 24 ? sub.slice(0, 23) + "…" : sub));
    g.appendChild(svg("title", {}, n.label));
    target.appendChild(g);
  }
}

function drawChart(canvas, series, color) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width, height = canvas.clientHeight || canvas.height;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const c = canvas.getContext("2d");
  c.scale(ratio, ratio);
  c.clearRect(0, 0, width, height);
  const left = 56, bottom = height - 18;
  const max = Math.max(1, ...series.map((p) => p.v));
  c.strokeStyle = "#2a3a4a";
  c.fillStyle = "#8a9bab";
  c.font = "11px system-ui, sans-serif";
  for (let i = 0; i <= 4; i++) {
    const y = bottom - (bottom - 8) * i / 4;
    c.beginPath(); c.moveTo(left, y); c.lineTo(width - 4, y); c.stroke();
    c.fillText(number(max * i / 4), 4, y + 4);
  }
  if (series.length < 2) return;
  const t0 = series[0].t, t1 = series[series.length - 1].t;
  const span = Math.max(1, t1 - t0);
  c.strokeStyle = color;
  c.lineWidth = 1.5;
  c.beginPath();
  series.forEach((p, i) => {
    const x = left + (width - 4 - left) * (p.t - t0) / span;
    const y = bottom - (bottom - 8) * p.v / max;
    if (i === 0) c.moveTo(x, y); else c.lineTo(x, y);
  });
  c.stroke();
  c.fillText(duration(span / 1000) + " ago", left, height - 4);
}

function push(series, point) {
  series.push(point);
  while (series.length > HISTORY) series.shift();
}

function render(status) {
  $("pipeline").textContent = status.pipeline || "";
  const phase = $("phase");
  phase.textContent = status.phase + (status.ready ? " · ready" : "") + (status.phase_detail ? " · " + status.phase_detail : "");
  phase.className = "phase " + String(status.phase).split(" ")[0];
  $("run").textContent = "run " + (status.run_id || "-");
  $("uptime").textContent = duration(status.uptime_seconds);
  $("triggers").textContent = status.triggers;

  const now = Date.now();
  let rate = null;
  if (previous && status.records_read !== undefined) {
    const seconds = (now - previous.t) / 1000;
    if (seconds > 0) rate = Math.max(0, (status.records_read - previous.records) / seconds);
  }
  previous = { t: now, records: status.records_read };
  if (rate !== null) push(rateSeries, { t: now, v: rate });
  const partitions = status.partitions || [];
  const lags = partitions.filter((p) => p.lag !== null);
  const lag = lags.length ? lags.reduce((sum, p) => sum + p.lag, 0) : null;
  if (lag !== null) push(lagSeries, { t: now, v: lag });

  $("rate").textContent = rate === null ? "-" : number(rate);
  $("read").textContent = number(status.records_read);
  $("rejected").textContent = number(status.rejected);
  $("late").textContent = number(status.late);
  $("lag").textContent = lag === null ? "-" : number(lag);
  $("delay").textContent = duration(status.watermark_delay_seconds);
  $("files").textContent = number(status.files_written);
  $("open").textContent = number(status.open_windows);
  drawChart($("rate-chart"), rateSeries, "#4fb3ff");
  drawChart($("lag-chart"), lagSeries, "#f2b84b");

  const maxDelay = Math.max(1, ...partitions.map((p) => p.watermark_delay_seconds || 0));
  fill("partitions", partitions.map((p) => {
    const bar = document.createElement("div");
    bar.className = "bar" + (p.idle ? " idle" : "");
    bar.style.width = (p.watermark_delay_seconds === null ? 0 : 120 * p.watermark_delay_seconds / maxDelay) + "px";
    const name = p.topic + "[" + p.partition + "]" + (p.idle ? " idle" : "") + (p.replaying ? " replaying" : "");
    return row([name, number(p.records), number(p.rejected), p.position === null ? "-" : p.position,
                p.lag === null ? "-" : number(p.lag), p.watermark || "-", duration(p.watermark_delay_seconds), bar]);
  }));
  fill("outputs", (status.outputs || []).map((o) => row(
    [o.name, o.kind, number(o.rows), number(o.files), bytes(o.bytes),
     o.kind === "aggregation" ? number(o.open_groups) : "", o.kind === "aggregation" ? bytes(o.state_bytes) : "", o.path],
    [null, null, null, null, null, null, null, "path"])));
  fill("rejections", (status.rejections || []).map((r) => row([r.stage, r.check || "-", number(r.records), r.last_position])));
  fill("files-table", (status.recent_files || []).slice(-12).reverse().map((f) => row(
    [f.time.replace("T", " ").replace(/\.\d+Z$/, "Z"), f.output, number(f.rows), bytes(f.bytes), f.path],
    [null, null, null, null, "path"])));

  const checkpoint = $("checkpoint");
  const entries = status.checkpoint ? [
    ["location", status.checkpoint.location],
    ["committed", number(status.checkpoint.completed)],
    ["last epoch", status.checkpoint.last_epoch],
    ["size", bytes(status.checkpoint.last_bytes)],
    ["took", status.checkpoint.last_duration_ms.toFixed(1) + " ms"],
    ["age", duration(status.checkpoint.age_seconds)],
    ["state entries", number(status.checkpoint.open_groups)],
  ] : [["status", "none (at least once across crashes)"]];
  checkpoint.replaceChildren(...entries.flatMap(([k, v]) => {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v;
    return [dt, dd];
  }));
}

async function poll() {
  try {
    const response = await fetch("/api/status", { cache: "no-store" });
    if (response.ok) render(await response.json());
  } catch (error) {
    const phase = $("phase");
    phase.textContent = "not reachable (the run has ended?)";
    phase.className = "phase failed";
  }
  setTimeout(poll, 1000);
}

fetch("/api/graph").then((r) => r.json()).then(drawGraph).catch(() => {});
poll();
