// Backupchecks: the little JavaScript the pages need beside htmx and Bootstrap.
(function () {
  "use strict";

  // Theme: "auto" follows the system; light/dark are fixed. Applied before first paint.
  var media = window.matchMedia("(prefers-color-scheme: dark)");
  function applyTheme() {
    var root = document.documentElement;
    var pref = root.getAttribute("data-theme-pref") || "auto";
    root.setAttribute("data-bs-theme", pref === "auto" ? (media.matches ? "dark" : "light") : pref);
  }
  applyTheme();
  media.addEventListener("change", applyTheme);
  document.addEventListener("themeChanged", function (e) {
    document.documentElement.setAttribute("data-theme-pref", (e.detail && e.detail.value) || "auto");
    applyTheme();
  });

  function modal() {
    var el = document.getElementById("modal");
    return el && window.bootstrap ? window.bootstrap.Modal.getOrCreateInstance(el) : null;
  }

  // Open the dialog when content lands in it; close it when the server says so.
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "modal-dialog" && e.detail.target.children.length) {
      var m = modal();
      closePending = false;
      if (m) m.show();
    }
    autohideFlashes(e.detail.target);
  });
  // Bootstrap ignores hide() while the dialog is still fading in; a close asked for
  // then is remembered and done once it has shown.
  var closePending = false;
  document.addEventListener("closeModal", function () {
    var m = modal();
    if (!m) return;
    closePending = true;
    m.hide();
  });
  document.addEventListener("shown.bs.modal", function (e) {
    if (e.target.id === "modal" && closePending) modal().hide();
  });
  document.addEventListener("hidden.bs.modal", function (e) {
    if (e.target.id !== "modal") return;
    closePending = false;
    document.getElementById("modal-dialog").innerHTML = "";
  });

  // Success and info messages fade after a few seconds; warnings and errors stay.
  function autohideFlashes(root) {
    (root || document).querySelectorAll('[data-autohide="true"]').forEach(function (el) {
      el.removeAttribute("data-autohide");
      setTimeout(function () {
        if (window.bootstrap && el.isConnected) window.bootstrap.Alert.getOrCreateInstance(el).close();
      }, 6000);
    });
  }
  document.addEventListener("htmx:oobAfterSwap", function (e) { autohideFlashes(e.detail.target); });
  document.addEventListener("DOMContentLoaded", function () { autohideFlashes(document); });

  // The page's CSP allows no inline handlers, inline styles or eval (htmx's
  // hx-trigger="click[…]" filters need eval), so that behaviour lives here, driven by
  // data attributes.

  // A row with data-open-row opens its dialog (hx-trigger="open-row") on a click that is
  // not on a control inside it, or on Enter while the row itself has focus.
  document.addEventListener("click", function (e) {
    var row = e.target.closest && e.target.closest("[data-open-row]");
    if (!row || !window.htmx) return;
    var control = e.target.closest("input, a, label, button, select, textarea");
    if (control && row.contains(control)) return;
    window.htmx.trigger(row, "open-row");
  });
  document.addEventListener("keyup", function (e) {
    var t = e.target;
    if (!window.htmx || !t.hasAttribute) return;
    if (e.key === "Enter" && t.hasAttribute("data-open-row")) window.htmx.trigger(t, "open-row");
    // Escape in an inline edit field cancels the edit (hx-trigger="edit-cancel").
    if (e.key === "Escape" && t.hasAttribute("data-cancel-on-escape")) window.htmx.trigger(t, "edit-cancel");
  });
  // A field with data-autosubmit submits its form when it changes (requestSubmit, so
  // that submit handlers and htmx see it as a submission).
  document.addEventListener("change", function (e) {
    var el = e.target.closest && e.target.closest("[data-autosubmit]");
    if (!el || !el.form) return;
    if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
  });
  // A plain form with data-confirm asks before it is submitted.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });
  // Progress bars carry their width in data-progress; setting it from script is allowed.
  function applyProgress(root) {
    if (!root || !root.querySelectorAll) return;
    var bars = Array.prototype.slice.call(root.querySelectorAll("[data-progress]"));
    if (root.hasAttribute && root.hasAttribute("data-progress")) bars.push(root);
    bars.forEach(function (el) { el.style.width = el.getAttribute("data-progress") + "%"; });
  }
  document.addEventListener("htmx:load", function (e) { applyProgress(e.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { applyProgress(document); });

  // "Select all" checkboxes: data-select-all names the checkboxes they control.
  document.addEventListener("change", function (e) {
    var name = e.target.getAttribute && e.target.getAttribute("data-select-all");
    if (!name) return;
    var form = e.target.closest("form") || document;
    form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (cb) {
      cb.checked = e.target.checked;
    });
  });

  // Run Checks: select a job's runs, or every listed success.
  document.addEventListener("change", function (e) {
    var id = e.target.getAttribute && e.target.getAttribute("data-select-group");
    if (!id) return;
    document.querySelectorAll("#" + id + ' input[name="run_ids"]').forEach(function (cb) { cb.checked = e.target.checked; });
  });
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-select-status]");
    if (!btn) return;
    var status = btn.getAttribute("data-select-status");
    document.querySelectorAll('input[name="run_ids"][data-status="' + status + '"]').forEach(function (cb) { cb.checked = true; });
  });
  // A live refresh of a list must not lose the operator's selection.
  var keptSelection = null;
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (!e.detail.target || e.detail.target.id !== "runchecks-list") return;
    keptSelection = {};
    e.detail.target.querySelectorAll('input[name="run_ids"]:checked').forEach(function (cb) { keptSelection[cb.value] = true; });
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    if (!keptSelection || !document.getElementById("runchecks-list")) return;
    var kept = keptSelection;
    keptSelection = null;
    // After a review the reviewed runs are gone; the others stay selected.
    document.querySelectorAll('#runchecks-list input[name="run_ids"]').forEach(function (cb) { if (kept[cb.value]) cb.checked = true; });
  });

  // Drag and drop .eml files onto an upload area: they go into its file input and the
  // form is submitted.
  document.addEventListener("dragover", function (e) {
    var zone = e.target.closest && e.target.closest(".upload-drop");
    if (!zone) return;
    e.preventDefault();
    zone.classList.add("dragover");
  });
  document.addEventListener("dragleave", function (e) {
    var zone = e.target.closest && e.target.closest(".upload-drop");
    if (zone) zone.classList.remove("dragover");
  });
  document.addEventListener("drop", function (e) {
    var zone = e.target.closest && e.target.closest(".upload-drop");
    if (!zone) return;
    e.preventDefault();
    zone.classList.remove("dragover");
    var input = zone.querySelector('input[type="file"]');
    if (!input || !e.dataTransfer || !e.dataTransfer.files.length) return;
    input.files = e.dataTransfer.files;
    if (window.htmx) window.htmx.trigger(zone, "submit");
  });

  // Keyboard shortcuts: a link with data-key="x" is followed on x, unless typing.
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    if (document.querySelector(".modal.show")) return;
    if (runChecksKey(e)) return;
    var link = document.querySelector('[data-key="' + e.key + '"]');
    if (link && link.href) window.location.href = link.href;
  });

  // Run Checks keys: j/k move between runs, x selects, r reviews the selection,
  // Enter (on the focused run) opens it.
  function runChecksKey(e) {
    var runs = Array.prototype.slice.call(document.querySelectorAll("#runchecks-list .rc-run"));
    if (!runs.length || ["j", "k", "x", "r"].indexOf(e.key) < 0) return false;
    var i = runs.indexOf(document.activeElement);
    if (e.key === "j" || e.key === "k") {
      var next = e.key === "j" ? Math.min(i + 1, runs.length - 1) : Math.max(i - 1, 0);
      runs[i < 0 ? 0 : next].focus();
    } else if (e.key === "x" && i >= 0) {
      var cb = runs[i].querySelector('input[name="run_ids"]');
      if (cb) cb.checked = !cb.checked;
    } else if (e.key === "r") {
      var btn = document.getElementById("review-selected");
      if (btn) btn.click();
    }
    e.preventDefault();
    return true;
  }

  // Copy buttons (⧉): the Clipboard API where allowed, else a hidden textarea; a ✓ for
  // 800 ms says it worked.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-copy]");
    if (!btn) return;
    e.stopPropagation();
    var text = btn.getAttribute("data-copy");
    var done = function () {
      var old = btn.textContent;
      btn.textContent = "✓";
      setTimeout(function () { btn.textContent = old; }, 800);
    };
    var fallback = function () {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.style.position = "fixed";
      ta.style.opacity = "0";
      document.body.appendChild(ta);
      ta.select();
      try { document.execCommand("copy"); done(); } catch (err) { /* nothing more to try */ }
      ta.remove();
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  });

  // A request that fails on the network shows a message instead of doing nothing.
  document.addEventListener("htmx:sendError", function () {
    var area = document.getElementById("flash");
    if (!area) return;
    var div = document.createElement("div");
    div.className = "alert alert-danger alert-dismissible fade show";
    div.setAttribute("role", "alert");
    div.textContent = "The server could not be reached. Check your connection and try again.";
    area.appendChild(div);
  });
})();
