// Small enhancements on top of plain server-rendered pages; every page works without them.
"use strict";

// <time datetime="..."> shown in the browser's own time zone.
function localTimes(root) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    const d = new Date(el.getAttribute("datetime"));
    if (!isNaN(d)) { el.title = el.textContent; el.textContent = d.toLocaleString(); }
  }
}

// Elements with data-poll="/api/v1/..." refresh from that JSON every two seconds while data-live is "true":
// children with data-field="name" get the value of that field; a <progress data-field> gets its value.
function livePolls() {
  for (const el of document.querySelectorAll("[data-poll]")) {
    const tick = async () => {
      if (el.dataset.live !== "true") return;
      try {
        const r = await fetch(el.dataset.poll, { headers: { accept: "application/json" }, credentials: "same-origin" });
        if (r.ok) {
          const data = await r.json();
          for (const f of el.querySelectorAll("[data-field]")) {
            const v = f.dataset.field.split(".").reduce((o, k) => (o == null ? o : o[k]), data);
            if (v === undefined) continue;
            if (f.tagName === "PROGRESS") f.value = v; else f.textContent = v;
          }
          if (data.finished) el.dataset.live = "false";
        }
      } catch (e) { /* the next tick tries again */ }
      if (el.dataset.live === "true") setTimeout(tick, 2000);
    };
    setTimeout(tick, 2000);
  }
}

// A checkbox with data-select-all="name" ticks every checkbox called name in its form.
function selectAll() {
  for (const box of document.querySelectorAll("input[data-select-all]")) {
    box.addEventListener("change", () => {
      for (const other of box.form.querySelectorAll(`input[name="${box.dataset.selectAll}"]`)) other.checked = box.checked;
    });
  }
}

document.addEventListener("DOMContentLoaded", () => { localTimes(document); livePolls(); selectAll(); });
