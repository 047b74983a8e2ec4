// The pages' few behaviours, switched on by data attributes: the Content-Security-Policy
// runs no inline script and no on…= handler, only this file.
"use strict";

// <form data-busy="Import en cours…">: once submitted, its buttons are disabled and say so.
document.querySelectorAll("form[data-busy]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    var clicked = event.submitter;
    form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
    if (clicked) {
      if (clicked.name) {  // a disabled button is not sent: keep its value
        var kept = document.createElement("input");
        kept.type = "hidden"; kept.name = clicked.name; kept.value = clicked.value;
        form.appendChild(kept);
      }
      clicked.textContent = form.dataset.busy;
    }
    var status = form.querySelector("[role=status]");
    if (status) { status.hidden = false; }
  });
});

// <input type="checkbox" data-check-all="member_ids">: checks every box of that name.
document.querySelectorAll("input[data-check-all]").forEach(function (all) {
  all.addEventListener("change", function () {
    var boxes = document.querySelectorAll('input[name="' + all.dataset.checkAll + '"]');
    boxes.forEach(function (box) { box.checked = all.checked; });
  });
});

// <button data-print>: prints the page.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});

// <div data-refresh-url="…" data-refresh-seconds="15">: reloads its content from that URL
// (several tablets at the check-in desk: each shows what the others recorded).
document.querySelectorAll("[data-refresh-url]").forEach(function (box) {
  var seconds = Number(box.dataset.refreshSeconds) || 15;
  setInterval(function () {
    fetch(box.dataset.refreshUrl, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html) { box.innerHTML = html; } })
      .catch(function () {});
  }, seconds * 1000);
});

// <section data-task-state="/import/taches/N/etat">: an import task running in the scheduler.
// Polls its JSON every second: the <progress> bar and the [data-task-field] counters follow
// it; once the task is finished the page reloads, to show its report or its result.
document.querySelectorAll("[data-task-state]").forEach(function (box) {
  var bar = box.querySelector("progress");
  function show(state) {
    box.querySelectorAll("[data-task-field]").forEach(function (field) {
      var value = state[field.dataset.taskField];
      if (value !== undefined && value !== null) { field.textContent = value; }
    });
    if (bar) {
      if (state.max) { bar.max = state.max; bar.value = state.value; }
      else { bar.removeAttribute("value"); }  // reading: how many rows is not known yet
    }
  }
  function poll() {
    fetch(box.dataset.taskState, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (!state) { setTimeout(poll, 5000); return; }
        show(state);
        if (state.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 500);
});
