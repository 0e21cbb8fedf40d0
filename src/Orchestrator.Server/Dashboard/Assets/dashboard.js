// The dashboard: plain browser code over the orchestrator's own /v1 API (no framework, nothing
// fetched from elsewhere). The figures are re-read when the namespace's event stream says a task
// moved (debounced), so what is shown is what the API answers.
"use strict";

const STATUSES = ["PENDING", "READY", "CLAIMED", "WAITING", "COMPLETED", "FAILED", "DEAD", "CANCELLED"];
const PRIORITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW"];
const PAGE = 50;
const STEP = 10; // seconds per point of the charts: 360 points over the hour
const SVG = "http://www.w3.org/2000/svg";

const state = {
  namespace: new URLSearchParams(location.search).get("namespace") || "default",
  key: sessionStorage.getItem("orchestrator.api-key") || "",
  offset: 0,
  // The offsets of the pages before this one, for Previous: a page may end early (the server keeps
  // each reply under its size limit), so the next one starts at the page's nextOffset, not offset + PAGE.
  offsets: [],
  nextOffset: null,
  stream: null,
  refresh: null,
  refreshed: 0,
  task: null,
  leaseUntil: null,
  activityRead: 0,
  activityLater: null,
};

const $ = (id) => document.getElementById(id);

function headers() {
  return state.key ? { Authorization: `Bearer ${state.key}` } : {};
}

// A /v1 route as JSON (GET, or POST with a body); a 401 asks for a key and tries again with it.
async function api(path, body) {
  const init = body === undefined
    ? { headers: headers() }
    : { method: "POST", headers: { ...headers(), "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  if (response.status === 401) {
    await askForKey();
    return api(path, body);
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || `${response.status} ${response.statusText}`);
  }
  return response.json();
}

function askForKey() {
  const dialog = $("key-dialog");
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      state.key = $("api-key").value.trim();
      sessionStorage.setItem("orchestrator.api-key", state.key);
      resolve();
    }, { once: true });
    if (!dialog.open) dialog.showModal();
  });
}

function ns() {
  return `/v1/namespaces/${encodeURIComponent(state.namespace)}`;
}

function showError(error) {
  const element = $("error");
  element.textContent = error ? String(error.message || error) : "";
  element.hidden = !error;
}

function duration(text) {
  // "hh:mm:ss(.fffffff)" or "d.hh:mm:ss" as the API writes a TimeSpan: shown without the fraction.
  return text ? text.replace(/\.\d+$/, "") : "none";
}

// A TimeSpan as the API writes it ("30.00:00:00") in the largest unit that divides it ("30d").
function span(text) {
  const parts = /^(?:(\d+)\.)?(\d+):(\d+):(\d+)$/.exec(text ?? "");
  if (!parts) return duration(text);
  const seconds = Number(parts[1] ?? 0) * 86400 + Number(parts[2]) * 3600 + Number(parts[3]) * 60 + Number(parts[4]);
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]]) if (seconds > 0 && seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

function card(container, name, value) {
  const id = `count-${name}`;
  let dd = document.getElementById(id);
  if (!dd) {
    const div = document.createElement("div");
    const dt = document.createElement("dt");
    dt.textContent = name;
    dd = document.createElement("dd");
    dd.id = id;
    div.append(dt, dd);
    container.append(div);
  }
  dd.textContent = String(value);
}

async function loadStats() {
  const stats = await api(`${ns()}/stats`);
  for (const status of STATUSES) card($("by-status"), status, stats.byStatus[status] ?? 0);
  for (const priority of PRIORITIES) card($("by-priority"), priority, stats.byPriority[priority] ?? 0);
  $("total").textContent = String(stats.tasks);
  $("agents").textContent = String(stats.agents);
  $("oldest-ready").textContent = duration(stats.oldestReadyAge);
  $("events").textContent = String(stats.eventsJournaled);
  $("claim-limits").textContent = limitsText(stats.claimLimits);
  $("retention").textContent = stats.retention ? `finished tasks kept ${span(stats.retention)}` : "every task kept";
  $("purged").textContent = String(stats.purged ?? 0);
  $("schedule-count").textContent = String(stats.schedules ?? 0);
}

async function loadTasks() {
  const query = new URLSearchParams({ offset: String(state.offset), limit: String(PAGE) });
  if ($("status-filter").value) query.set("status", $("status-filter").value);
  if ($("agent-filter").value.trim()) query.set("agent", $("agent-filter").value.trim());
  if ($("priority-filter").value) query.set("priority", $("priority-filter").value);
  if ($("prefix-filter").value.trim()) query.set("idPrefix", $("prefix-filter").value.trim());
  if ($("tag-filter").value.trim()) query.set("tag", $("tag-filter").value.trim());
  const page = await api(`${ns()}/tasks?${query}`);
  const body = $("tasks").tBodies[0];
  body.replaceChildren(...page.tasks.map((task) => {
    const row = document.createElement("tr");
    row.dataset.taskId = task.taskId;
    cells(row, [[task.taskId], [task.status, "status"], [task.priority], [task.agent], [task.attempts ?? 0], [task.claim?.agent], [(task.tags ?? []).join(", ")]]);
    return row;
  }));
  const last = Math.min(page.offset + page.tasks.length, page.total);
  $("page-info").textContent = page.total === 0 ? "no tasks" : `${page.offset + 1}–${last} of ${page.total}`;
  state.nextOffset = page.nextOffset ?? null;
  $("previous").disabled = page.offset === 0;
  $("next").disabled = state.nextOffset === null;
}

function limitsText(limits) {
  if (!limits) return "none";
  const parts = [];
  if (limits.maxClaims !== null && limits.maxClaims !== undefined) parts.push(`namespace ${limits.maxClaims}`);
  if (limits.maxClaimsPerAgent !== null && limits.maxClaimsPerAgent !== undefined) parts.push(`per agent ${limits.maxClaimsPerAgent}`);
  for (const [tag, most] of Object.entries(limits.maxClaimsPerTag ?? {})) parts.push(`${tag} ${most}`);
  for (const [tag, rate] of Object.entries(limits.maxClaimsPerSecondPerTag ?? {})) parts.push(`${tag} ${rate}/s`);
  if (limits.fairBy) parts.push(`fair by ${limits.fairBy}`);
  return parts.length === 0 ? "none" : parts.join(", ");
}

function firstPage() {
  state.offset = 0;
  state.offsets = [];
}

function cells(row, values) {
  for (const [value, cls] of values) {
    const cell = document.createElement("td");
    cell.textContent = value === null || value === undefined ? "" : String(value);
    if (cls) cell.className = cls;
    row.append(cell);
  }
}

function pretty(json) {
  return json === null || json === undefined ? "none" : JSON.stringify(json, null, 2);
}

function when(text) {
  return text ? new Date(text).toLocaleString() : "";
}

// DEAD and FAILED tasks, each with what may be done to it; the server decides whether the key may.
async function loadAttention() {
  const [dead, failed] = await Promise.all(["DEAD", "FAILED"].map((status) => api(`${ns()}/tasks?status=${status}&limit=50`)));
  const body = $("attention").tBodies[0];
  body.replaceChildren(...[...dead.tasks, ...failed.tasks].map((task) => {
    const row = document.createElement("tr");
    row.dataset.taskId = task.taskId;
    cells(row, [[task.taskId], [task.status, "status"], [`${task.attempts}/${task.maxAttempts}`], [task.reason], [when(task.retryAt)]]);
    const actions = document.createElement("td");
    if (task.status === "DEAD") actions.append(actionButton("Requeue", task.taskId, "requeue", {}));
    actions.append(actionButton("Cancel", task.taskId, "cancel", { reason: "cancelled from the dashboard" }));
    row.append(actions);
    return row;
  }));
  $("attention-empty").hidden = body.rows.length > 0;
}

function actionButton(label, taskId, action, body) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.className = `action-${action}`;
  button.addEventListener("click", async () => {
    if (!confirm(`${label} task ${taskId}?`)) return;
    const result = $("action-result");
    try {
      const task = await api(`${ns()}/tasks/${encodeURIComponent(taskId)}/${action}`, body);
      result.textContent = `${label}: ${task.taskId} is now ${task.status}`;
      result.dataset.ok = "true";
    } catch (error) {
      result.textContent = `${label} of ${taskId} refused: ${error.message}`;
      result.dataset.ok = "false";
    }
    result.hidden = false;
    scheduleRefresh();
  });
  return button;
}

// The first page of agents (100, by name); the note says how many there are when there are more.
async function loadAgents() {
  const list = await api(`${ns()}/agents`);
  $("agents-more").textContent = `(the first ${list.agents.length} of ${list.total}, by name)`;
  $("agents-more").hidden = list.nextOffset === null || list.nextOffset === undefined;
  $("agents-table").tBodies[0].replaceChildren(...list.agents.map((agent) => {
    const row = document.createElement("tr");
    row.dataset.agent = agent.agent;
    cells(row, [[agent.agent], [when(agent.lastSeen)], [agent.claimsHeld], [agent.completed], [agent.failed], [agent.leasesExpired],
      [agent.registered ? "yes" : "no"], [agent.capabilities.join(", ")]]);
    return row;
  }));
}

// The first page of recurring schedules (100, by id), each with its next occurrence and what it did.
async function loadSchedules() {
  const list = await api(`${ns()}/schedules`);
  $("schedules-more").textContent = `(the first ${list.schedules.length} of ${list.total}, by id)`;
  $("schedules-more").hidden = list.nextOffset === null || list.nextOffset === undefined;
  $("schedules-empty").hidden = list.total !== 0;
  $("schedules-table").tBodies[0].replaceChildren(...list.schedules.map((schedule) => {
    const row = document.createElement("tr");
    row.dataset.scheduleId = schedule.scheduleId;
    const recurrence = schedule.every ? `every ${schedule.every}` : `${schedule.cron} (${schedule.timeZone ?? "UTC"})`;
    cells(row, [[schedule.scheduleId], [recurrence], [schedule.catchUp], [schedule.agent], [when(schedule.nextAt)], [schedule.occurrences],
      [schedule.missed], [when(schedule.lastOccurrence)], [schedule.note]]);
    return row;
  }));
}

// The last hour in steps of STEP seconds: one chart per figure, the counts shown per second. Read at
// most every five seconds (the event stream asks more often when busy) and every STEP seconds idle.
async function loadActivity(force) {
  const wait = 5000 - (Date.now() - state.activityRead);
  if (!force && wait > 0) {
    // Asked again too soon: once more when the five seconds are up.
    state.activityLater ??= setTimeout(() => { state.activityLater = null; loadActivity(true).catch(showError); }, wait);
    return;
  }
  state.activityRead = Date.now();
  const activity = await api(`${ns()}/activity?stepSeconds=${STEP}`);
  $("activity-note").textContent = `(since the namespace started on its node, ${when(activity.since)}; steps of ${activity.stepSeconds} s)`;
  for (const figure of $("charts").querySelectorAll("figure")) {
    const names = figure.dataset.series.split(" ");
    const latency = names[0].endsWith("Ms");
    // Counts become rates; the latency is shown as it is, and only for steps that had writes.
    const series = names.map((name) => activity.points.map((p) => latency ? (p.writes > 0 ? p[name] : null) : p[name] / activity.stepSeconds));
    figure.dataset.total = String(latency ? activity.points.reduce((sum, p) => sum + p.writes, 0)
      : activity.points.reduce((sum, p) => sum + p[names[0]], 0));
    chart(figure, series, latency ? "ms" : "/s");
  }
}

// Lines of the series (null is a gap) over one shared scale from 0 to the largest value, the
// newest value and the largest written beside them.
function chart(figure, series, unit) {
  const width = series[0].length;
  const height = 100;
  const top = Math.max(...series.flat().filter((v) => v !== null), 0);
  const scale = top > 0 ? height / top : 0;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  const axis = document.createElementNS(SVG, "line");
  axis.setAttribute("class", "axis");
  for (const [name, value] of [["x1", 0], ["y1", height], ["x2", width], ["y2", height]]) axis.setAttribute(name, String(value));
  svg.append(axis);
  series.forEach((values, index) => {
    let points = [];
    const flush = () => {
      if (points.length === 0) return;
      // A lone point (a step with writes between steps without) is drawn a few steps wide, so that it shows.
      if (points.length === 1) points.push([points[0][0] + 3, points[0][1]]);
      const line = document.createElementNS(SVG, "polyline");
      line.setAttribute("class", `series-${index}`);
      line.setAttribute("points", points.map(([x, y]) => `${x},${y.toFixed(2)}`).join(" "));
      svg.append(line);
      points = [];
    };
    values.forEach((value, x) => {
      if (value === null) flush();
      else points.push([x, height - value * scale]);
    });
    flush();
  });
  const newest = series.map((values) => values.findLast((v) => v !== null) ?? 0);
  const now = document.createElement("div");
  now.className = "now";
  now.textContent = `${newest.map(round).join(" / ")} ${unit} now · max ${round(top)} ${unit}`;
  figure.querySelector("svg")?.remove();
  figure.querySelector(".now")?.remove();
  figure.append(now, svg);
}

function round(value) {
  return value >= 10 ? String(Math.round(value)) : String(Math.round(value * 100) / 100);
}

// The nodes and what runs where; a key limited to namespaces may not read it, which is said.
async function loadCluster() {
  try {
    const cluster = await api("/v1/cluster");
    const namespacesOf = (address) => cluster.shards.filter((s) => s.node === address).flatMap((s) => s.namespaces);
    $("members").tBodies[0].replaceChildren(...cluster.members.map((member) => {
      const row = document.createElement("tr");
      row.dataset.address = member.address;
      // On one node there are no shards: the node runs every namespace the status reports.
      const running = cluster.clustered ? namespacesOf(member.address) : cluster.namespaces.map((n) => n.namespace);
      cells(row, [[member.address + (member.leader ? " (leader)" : "")], [member.status], [member.roles.join(", ")], [member.reachable ? "yes" : "no"], [running.join(", ")]]);
      return row;
    }));
    $("cluster-error").hidden = true;
  } catch (error) {
    $("cluster-error").textContent = error.message;
    $("cluster-error").hidden = false;
  }
}

// One task: its fields, payload and result, its claim's lease counting down, its history.
async function loadTask(taskId) {
  const path = `${ns()}/tasks/${encodeURIComponent(taskId)}`;
  const [task, history] = await Promise.all([api(path), api(`${path}/history`)]);
  state.task = taskId;
  $("task").hidden = false;
  $("task-id").textContent = task.taskId;
  const fields = $("task-fields");
  fields.replaceChildren();
  for (const [name, value] of [["Status", task.status], ["Priority", task.priority], ["Agent", task.agent], ["File", task.taskFile],
    ["Attempts", `${task.attempts}/${task.maxAttempts}`], ["Depends on", task.dependsOn.join(", ")], ["Tags", (task.tags ?? []).join(", ")], ["Not before", when(task.notBefore)], ["Question", task.question], ["Answer by", when(task.answerBy)],
    ["Input", task.input === null || task.input === undefined ? null : JSON.stringify(task.input)], ["Defined", when(task.definedAt)],
    ["Claimed by", task.claim?.agent], ["Retry at", when(task.retryAt)], ["Reason", task.reason]]) {
    if (!value) continue;
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = String(value);
    dd.dataset.field = name;
    fields.append(dt, dd);
  }
  $("task-payload").textContent = pretty(task.payload);
  $("task-result").textContent = pretty(task.result);
  state.leaseUntil = task.claim ? new Date(task.claim.leaseUntil) : null;
  tickLease();
  $("task-history").replaceChildren(...history.entries.map((entry) => {
    const item = document.createElement("li");
    const time = document.createElement("time");
    time.dateTime = entry.at;
    time.textContent = when(entry.at);
    item.append(time, `${entry.event}: ${entry.from ?? "–"} → ${entry.to}${entry.by ? ` by ${entry.by}` : ""}${entry.detail ? ` (${entry.detail})` : ""}`);
    return item;
  }));
}

function tickLease() {
  const lease = $("lease");
  if (!state.leaseUntil) {
    lease.hidden = true;
    return;
  }
  const left = Math.max(0, Math.round((state.leaseUntil - Date.now()) / 1000));
  $("lease-left").textContent = `${left} s`;
  lease.hidden = false;
}

async function refresh() {
  try {
    await Promise.all([loadStats(), loadTasks(), loadAttention(), loadAgents(), loadSchedules(), loadActivity(false), state.task ? loadTask(state.task) : null]);
    showError(null);
  } catch (error) {
    showError(error);
  }
  await loadCluster();
}

// A quarter of a second after the first event, and at most once a second while events keep coming:
// live to the eye, and a few reads a second of the server however busy it is.
function scheduleRefresh() {
  if (state.refresh) return;
  const wait = Math.max(250, 1000 - (Date.now() - state.refreshed));
  state.refresh = setTimeout(() => { state.refresh = null; state.refreshed = Date.now(); refresh(); }, wait);
}

function setLive(text, mode) {
  const live = $("live");
  live.textContent = text;
  live.dataset.state = mode;
}

// The namespace's event stream as digests, read with fetch (an EventSource cannot send the API key).
// Every event (a digest of transitions, or a reset after a gap) refreshes the figures; a broken stream is followed
// again after a second.
async function follow() {
  const controller = new AbortController();
  state.stream?.abort();
  state.stream = controller;
  try {
    // A digest a second at most: the page needs to know that tasks moved, not each move.
    const response = await fetch(`${ns()}/events?digest=1s`, { headers: { ...headers(), Accept: "text/event-stream" }, signal: controller.signal });
    if (!response.ok) throw new Error(`event stream: ${response.status}`);
    setLive("live", "live");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.split("\n").some((line) => line.startsWith("event:"))) scheduleRefresh();
      }
    }
    throw new Error("event stream ended");
  } catch (error) {
    if (controller.signal.aborted) return;
    setLive("reconnecting", "error");
    setTimeout(() => { if (state.stream === controller) follow(); }, 1000);
  }
}

function show(namespace) {
  state.namespace = namespace || "default";
  firstPage();
  state.task = null;
  state.activityRead = 0;
  $("task").hidden = true;
  $("namespace").value = state.namespace;
  $("overview-namespace").textContent = state.namespace;
  history.replaceState(null, "", `?namespace=${encodeURIComponent(state.namespace)}`);
  refresh();
  follow();
}

document.addEventListener("DOMContentLoaded", () => {
  for (const status of STATUSES) {
    const option = document.createElement("option");
    option.textContent = status;
    $("status-filter").append(option);
  }
  $("namespace-form").addEventListener("submit", (event) => { event.preventDefault(); show($("namespace").value.trim()); });
  $("task-filters").addEventListener("change", () => { firstPage(); loadTasks().catch(showError); });
  $("task-filters").addEventListener("submit", (event) => event.preventDefault());
  $("previous").addEventListener("click", () => {
    state.offset = state.offsets.pop() ?? Math.max(0, state.offset - PAGE);
    loadTasks().catch(showError);
  });
  $("next").addEventListener("click", () => {
    if (state.nextOffset === null) return;
    state.offsets.push(state.offset);
    state.offset = state.nextOffset;
    loadTasks().catch(showError);
  });
  $("tasks").tBodies[0].addEventListener("click", (event) => {
    const row = event.target.closest("tr");
    if (row?.dataset.taskId) loadTask(row.dataset.taskId).catch(showError);
  });
  setInterval(tickLease, 1000);
  setInterval(() => loadActivity(true).catch(showError), STEP * 1000);
  show(state.namespace);
});
