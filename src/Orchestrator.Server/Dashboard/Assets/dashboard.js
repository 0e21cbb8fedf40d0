// The dashboard: plain browser code over the orchestrator's own /v1 API (no framework, nothing
// fetched from elsewhere). The figures are re-read when the namespace's event stream says a task
// moved (debounced), so what is shown is what the API answers.
"use strict";

const STATUSES = ["PENDING", "READY", "CLAIMED", "COMPLETED", "FAILED", "DEAD", "CANCELLED"];
const PRIORITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW"];
const PAGE = 50;

const state = {
  namespace: new URLSearchParams(location.search).get("namespace") || "default",
  key: sessionStorage.getItem("orchestrator.api-key") || "",
  offset: 0,
  stream: null,
  refresh: null,
};

const $ = (id) => document.getElementById(id);

function headers() {
  return state.key ? { Authorization: `Bearer ${state.key}` } : {};
}

// GET a /v1 route as JSON; a 401 asks for a key and tries again with it.
async function api(path) {
  const response = await fetch(path, { headers: headers() });
  if (response.status === 401) {
    await askForKey();
    return api(path);
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
  // "hh:mm:ss(.fffffff)" or "d.hh:mm:ss" as the API writes a TimeSpan: shown as it is, seconds rounded.
  return text ? text.replace(/\.\d+$/, "") : "none";
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
}

async function loadTasks() {
  const query = new URLSearchParams({ offset: String(state.offset), limit: String(PAGE) });
  if ($("status-filter").value) query.set("status", $("status-filter").value);
  if ($("agent-filter").value.trim()) query.set("agent", $("agent-filter").value.trim());
  if ($("priority-filter").value) query.set("priority", $("priority-filter").value);
  const page = await api(`${ns()}/tasks?${query}`);
  const body = $("tasks").tBodies[0];
  body.replaceChildren(...page.tasks.map((task) => {
    const row = document.createElement("tr");
    row.dataset.taskId = task.taskId;
    for (const [value, cls] of [[task.taskId], [task.status, "status"], [task.priority], [task.agent], [task.attempts ?? 0], [task.claim?.agent ?? ""]]) {
      const cell = document.createElement("td");
      cell.textContent = String(value);
      if (cls) cell.className = cls;
      row.append(cell);
    }
    return row;
  }));
  const last = Math.min(page.offset + page.tasks.length, page.total);
  $("page-info").textContent = page.total === 0 ? "no tasks" : `${page.offset + 1}–${last} of ${page.total}`;
  $("previous").disabled = page.offset === 0;
  $("next").disabled = last >= page.total;
}

async function refresh() {
  try {
    await Promise.all([loadStats(), loadTasks()]);
    showError(null);
  } catch (error) {
    showError(error);
  }
}

function scheduleRefresh() {
  if (state.refresh) return;
  state.refresh = setTimeout(() => { state.refresh = null; refresh(); }, 250);
}

function setLive(text, mode) {
  const live = $("live");
  live.textContent = text;
  live.dataset.state = mode;
}

// The namespace's event stream, read with fetch (an EventSource cannot send the API key). Every
// event (a transition, or a reset after a gap) refreshes the figures; a broken stream is followed
// again after a second.
async function follow() {
  const controller = new AbortController();
  state.stream?.abort();
  state.stream = controller;
  try {
    const response = await fetch(`${ns()}/events`, { headers: { ...headers(), Accept: "text/event-stream" }, signal: controller.signal });
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
  state.offset = 0;
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
  $("task-filters").addEventListener("change", () => { state.offset = 0; loadTasks().catch(showError); });
  $("task-filters").addEventListener("submit", (event) => event.preventDefault());
  $("previous").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); loadTasks().catch(showError); });
  $("next").addEventListener("click", () => { state.offset += PAGE; loadTasks().catch(showError); });
  show(state.namespace);
});
