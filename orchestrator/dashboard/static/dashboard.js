// The dashboard's live parts: sign-in, polling the page's JSON view every 2 s (not while the
// tab is hidden), the log's tail, and confirmed actions. Text is only ever set with
// textContent, never as HTML, so nothing the server stores is run as markup.
"use strict";

const POLL_MS = 2000;
const LOG_KEEP = 1024 * 1024; // characters of log kept on the page; the download has all

function csrf() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function send(method, url, body) {
  return fetch(url, {
    method: method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
    body: JSON.stringify(body || {}),
  });
}

function drawBar(element, parts) {
  element.replaceChildren();
  for (const [status, percent] of parts) {
    if (percent <= 0) continue;
    const part = document.createElement("span");
    part.className = "part status-" + status.replace(/ /g, "-");
    part.style.width = percent + "%";
    part.title = status + " " + percent + "%";
    element.appendChild(part);
  }
}

function drawCell(cell, value) {
  if (value !== null && typeof value === "object" && "h" in value) {
    const link = document.createElement("a");
    link.href = value.h;
    link.textContent = value.t;
    cell.appendChild(link);
  } else if (value !== null && typeof value === "object" && "bar" in value) {
    const bar = document.createElement("span");
    bar.className = "bar";
    drawBar(bar, JSON.parse(value.bar));
    cell.appendChild(bar);
  } else if (value !== null && typeof value === "object" && "cancel" in value) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "danger small";
    button.dataset.cancel = value.cancel;
    button.dataset.count = value.n;
    button.textContent = value.t;
    button.addEventListener("click", () => cancel(button));
    cell.appendChild(button);
  } else {
    cell.textContent = value;
  }
}

function emptyRow(body) {
  const line = document.createElement("tr");
  line.className = "empty";
  const cell = document.createElement("td");
  cell.colSpan = Number(body.dataset.columns || "1");
  cell.textContent = body.dataset.empty || "none";
  line.appendChild(cell);
  return line;
}

function apply(view) {
  for (const [key, value] of Object.entries(view.text || {})) {
    for (const element of document.querySelectorAll('[data-text="' + key + '"]')) {
      element.textContent = value;
    }
  }
  for (const [key, parts] of Object.entries(view.bars || {})) {
    for (const element of document.querySelectorAll('[data-bar-key="' + key + '"]')) {
      drawBar(element, parts);
    }
  }
  for (const [key, rows] of Object.entries(view.rows || {})) {
    const body = document.querySelector('[data-rows="' + key + '"]');
    if (!body) continue;
    const fresh = rows.map((row) => {
      const line = document.createElement("tr");
      for (const value of row) {
        const cell = document.createElement("td");
        drawCell(cell, value);
        line.appendChild(cell);
      }
      return line;
    });
    body.replaceChildren(...(fresh.length ? fresh : [emptyRow(body)]));
  }
  for (const image of document.querySelectorAll("[data-chart]")) {
    image.src = image.dataset.chart + "?at=" + Date.now();
  }
}

function reachable(yes) {
  const note = document.getElementById("reachability");
  if (note) note.classList.toggle("hidden", yes);
}

async function poll() {
  if (document.hidden) return;
  if (document.getElementById("reload-when-reachable")) {
    // the page could not be built: reload it once the server answers /ui/api/overview
    try {
      const answer = await fetch("/ui/api/overview", { credentials: "same-origin" });
      if (answer.ok || answer.status === 401) window.location.reload();
    } catch (error) {
      reachable(false);
    }
    return;
  }
  const api = document.body.dataset.api;
  if (!api) return;
  try {
    const answer = await fetch(api + window.location.search, { credentials: "same-origin" });
    if (answer.status === 401) {
      window.location.reload();
      return;
    }
    // 503: the dashboard answers but the platform behind it does not
    reachable(answer.status !== 503);
    if (answer.ok) apply(await answer.json());
  } catch (error) {
    reachable(false);
  }
}

async function followLog() {
  const log = document.getElementById("log");
  if (!log || document.hidden) return;
  try {
    const answer = await fetch(log.dataset.log + "?offset=" + log.dataset.offset, {
      credentials: "same-origin",
    });
    if (!answer.ok) return;
    const slice = await answer.json();
    if (slice.text) {
      let text = log.textContent + slice.text;
      if (text.length > LOG_KEEP) text = text.slice(text.length - LOG_KEEP);
      log.textContent = text;
    }
    log.dataset.offset = String(slice.next);
  } catch (error) {
    reachable(false);
  }
}

function countOf(button) {
  if (button.dataset.countFrom) {
    const source = document.getElementById(button.dataset.countFrom);
    return source ? Number(source.textContent) : 0;
  }
  return Number(button.dataset.count || "0");
}

async function cancel(button) {
  const count = countOf(button);
  const noun = count === 1 ? "job" : "jobs";
  if (!window.confirm("Cancel " + count + " unfinished " + noun + "?")) return;
  const answer = await send("POST", button.dataset.cancel);
  const result = document.getElementById("action-result");
  const body = await answer.json();
  if (result) {
    result.textContent = answer.ok
      ? "Cancelled " + body.cancelled + " " + (body.cancelled === 1 ? "job" : "jobs") + "."
      : body.error;
  }
  await poll();
}

async function redeemCode() {
  // the code is in the URL's fragment, which is never sent to a server or written to a log
  const code = window.location.hash.slice(1);
  history.replaceState(null, "", "/ui/code");
  const answer = await send("POST", "/ui/code", { code: code });
  if (answer.ok) {
    window.location.assign("/");
    return;
  }
  const body = await answer.json();
  document.getElementById("code-result").textContent = body.error;
}

function wire() {
  for (const element of document.querySelectorAll("[data-bar]")) {
    drawBar(element, JSON.parse(element.dataset.bar));
  }
  const form = document.getElementById("sign-in");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answer = await send("POST", "/ui/session", {
        token: document.getElementById("token").value,
      });
      if (answer.ok) {
        window.location.reload();
      } else {
        const body = await answer.json();
        document.getElementById("sign-in-error").textContent = body.error;
      }
    });
  }
  const out = document.getElementById("sign-out");
  if (out) {
    out.addEventListener("click", async () => {
      await send("DELETE", "/ui/session");
      window.location.assign("/");
    });
  }
  if (document.getElementById("redeem-code")) redeemCode();
  for (const button of document.querySelectorAll("[data-cancel]")) {
    button.addEventListener("click", () => cancel(button));
  }
  followLog();
  setInterval(poll, POLL_MS);
  setInterval(followLog, POLL_MS);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      poll();
      followLog();
    }
  });
}

document.addEventListener("DOMContentLoaded", wire);
