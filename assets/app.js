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
    if (t && (t.isContentEditable || /^(TEXTAREA|SELECT)$/.test(t.tagName) ||
      (t.tagName === "INPUT" && !/^(checkbox|radio|button|submit)$/.test(t.type)))) return;
    if (document.querySelector(".modal.show")) return;
    // "/" goes to the navbar's search box (issue 18).
    var search = e.key === "/" && document.getElementById("nav-search");
    if (search && search.offsetParent !== null) {
      e.preventDefault();
      search.focus();
      search.select();
      return;
    }
    if (runChecksKey(e)) return;
    var link = document.querySelector('[data-key="' + e.key + '"]');
    if (link && link.href) window.location.href = link.href;
  });

  // ---- Dialog focus, field errors and the upload box (issue 12) ----------------------

  // Bootstrap moves the focus to the dialog when its fade-in ends, which swallowed what
  // had been typed into a field by then. The field the user is in keeps the focus, and
  // one marked data-autofocus gets it when the dialog opens.
  var dialogFocus = null;
  document.addEventListener("focusin", function (e) {
    var m = document.getElementById("modal");
    if (m && e.target !== m && m.contains(e.target)) dialogFocus = e.target;
  });
  document.addEventListener("show.bs.modal", function (e) {
    if (e.target.id === "modal") dialogFocus = null;
  });
  document.addEventListener("shown.bs.modal", function (e) {
    if (e.target.id !== "modal") return;
    var el = dialogFocus && dialogFocus.isConnected && e.target.contains(dialogFocus) ? dialogFocus : e.target.querySelector("[data-autofocus]");
    if (el && document.activeElement !== el) el.focus();
  });

  // A field's error goes as soon as the field is edited. data-clears-error="ID" on a
  // group of choices clears the error shown at field ID when a choice is made.
  function clearFieldError(el) {
    if (!el || !el.classList || !el.classList.contains("is-invalid")) return;
    el.classList.remove("is-invalid");
    el.removeAttribute("aria-invalid");
  }
  ["input", "change"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      var t = e.target;
      if (!t || !t.closest) return;
      clearFieldError(t);
      var group = t.closest("[data-clears-error]");
      if (group) clearFieldError(document.getElementById(group.getAttribute("data-clears-error")));
    });
  });

  // Upload box (data-upload-form): the upload's progress while the files are sent, then
  // that the server is importing them; afterwards the file picker is emptied. htmx
  // reports the sending and the receiving of the answer by the same event, so only the
  // events before the whole request is sent are counted.
  function uploadBox(e) {
    var form = e.detail && e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("[data-upload-form]");
    if (!form) return null;
    return { form: form, box: form.querySelector("[data-upload-progress]"), bar: form.querySelector("[data-upload-bar]"),
      status: form.querySelector("[data-upload-status]") };
  }
  function megabytes(n) { return (n / 1048576).toFixed(1) + " MB"; }
  function showUpload(u, pct, text) {
    u.box.classList.remove("d-none");
    u.box.setAttribute("aria-valuenow", String(pct));
    u.bar.setAttribute("data-progress", String(pct));
    applyProgress(u.bar);
    u.status.textContent = text;
  }
  document.addEventListener("htmx:beforeRequest", function (e) {
    var u = uploadBox(e);
    if (!u) return;
    u.form.setAttribute("data-upload-phase", "sending");
    showUpload(u, 0, "Uploading…");
  });
  document.addEventListener("htmx:xhr:progress", function (e) {
    var u = uploadBox(e);
    if (!u || u.form.getAttribute("data-upload-phase") !== "sending" || !e.detail.lengthComputable || !e.detail.total) return;
    var pct = Math.min(100, Math.floor(e.detail.loaded * 100 / e.detail.total));
    if (e.detail.loaded >= e.detail.total) {
      u.form.setAttribute("data-upload-phase", "importing");
      showUpload(u, 100, "Uploaded " + megabytes(e.detail.total) + "; importing the mails…");
      return;
    }
    showUpload(u, pct, "Uploading… " + megabytes(e.detail.loaded) + " of " + megabytes(e.detail.total) + " (" + pct + "%)");
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var u = uploadBox(e);
    if (!u) return;
    u.form.removeAttribute("data-upload-phase");
    u.box.classList.add("d-none");
    u.status.textContent = "";
    // The answer says what became of the files. A network failure, or a server too busy
    // to take them (503, "try again"), keeps them to retry.
    var status = e.detail.xhr ? e.detail.xhr.status : 0;
    if (status && status !== 503) u.form.reset();
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

  // ------------------------------------------------------------------------------
  // Run Checks and the run dialog: keyboard shortcuts and their overlay, the focus
  // kept on the queue across refreshes, the queue refreshed after a dialog action, an
  // open dialog kept current, and copy buttons. (Kept together in this section.)
  // ------------------------------------------------------------------------------

  // Run Checks keys: j/k move between runs, x selects, r reviews the selected runs (or
  // the run in focus when none is selected), ? shows the list of keys. Enter on a run
  // opens it (data-open-row, above).
  function runChecksKey(e) {
    if (e.key === "?") {
      var help = document.getElementById("shortcuts-help");
      if (!help || !window.bootstrap) return false;
      window.bootstrap.Modal.getOrCreateInstance(help).show();
      e.preventDefault();
      return true;
    }
    var runs = Array.prototype.slice.call(document.querySelectorAll("#runchecks-list .rc-run"));
    if (!runs.length || ["j", "k", "x", "r"].indexOf(e.key) < 0) return false;
    var i = runs.indexOf(focusedRun());
    if (e.key === "j" || e.key === "k") {
      var next = e.key === "j" ? Math.min(i + 1, runs.length - 1) : Math.max(i - 1, 0);
      runs[i < 0 ? 0 : next].focus();
    } else if (e.key === "x" && i >= 0) {
      var cb = runs[i].querySelector('input[name="run_ids"]');
      if (cb) cb.checked = !cb.checked;
    } else if (e.key === "r") {
      var selected = document.querySelector('#runchecks-list input[name="run_ids"]:checked');
      if (!selected && i >= 0) {
        var own = runs[i].querySelector('input[name="run_ids"]');
        if (own) own.checked = true;
      }
      var btn = document.getElementById("review-selected");
      if (btn) btn.click();
    }
    e.preventDefault();
    return true;
  }

  // The run in focus: the row itself, or its checkbox.
  function focusedRun() {
    var el = document.activeElement;
    return el && el.closest ? el.closest("#runchecks-list .rc-run") : null;
  }

  // When the queue is swapped (a review, a live refresh), the run that had the focus
  // keeps it; when it left the queue (reviewed), the next run that is still there gets
  // it, so that j/x/r go on where they were.
  var queueFocus = null;
  var queueSwapped = false;
  document.addEventListener("htmx:beforeSwap", function (e) {
    var list = e.detail.target;
    if (!list || list.id !== "runchecks-list") return;
    queueSwapped = true;
    var runs = Array.prototype.slice.call(list.querySelectorAll(".rc-run"));
    var i = runs.indexOf(focusedRun());
    queueFocus = i < 0 ? null : {
      ids: runs.slice(i).map(function (r) { return r.getAttribute("data-run-id"); }),
      index: i
    };
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!queueSwapped || !document.getElementById("runchecks-list")) return;
    queueSwapped = false;
    var kept = queueFocus;
    queueFocus = null;
    // An open run dialog asks for its footer again: a colleague may have reviewed it.
    if (document.getElementById("run-footer") && window.htmx) window.htmx.trigger(document.body, "runs-refreshed");
    if (!kept || document.querySelector(".modal.show")) return;
    var runs = document.querySelectorAll("#runchecks-list .rc-run");
    if (!runs.length) return;
    for (var k = 0; k < kept.ids.length; k++) {
      var row = document.querySelector('#runchecks-list .rc-run[data-run-id="' + kept.ids[k] + '"]');
      if (row) {
        row.focus();
        return;
      }
    }
    runs[Math.min(kept.index, runs.length - 1)].focus();
  });

  // A dialog action changed runs (review, Mark as Success, override, ticket): the queue
  // behind the dialog, where there is one, refreshes at once (HX-Trigger runsChanged).
  document.addEventListener("runsChanged", function () {
    var list = document.getElementById("runchecks-list");
    if (list && window.htmx) window.htmx.ajax("GET", list.getAttribute("hx-get"), {target: list, swap: "outerHTML"});
  });

  // Copy buttons (data-copy): the Clipboard API where the page may use it, else a
  // hidden textarea and execCommand("copy"), else a prompt to copy by hand. A copied
  // text shows a check mark on the button (class "copied") for 800 ms.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-copy]");
    if (!btn) return;
    e.preventDefault();
    var text = btn.getAttribute("data-copy");
    var done = function () {
      btn.classList.add("copied");
      clearTimeout(btn.copiedTimer);
      btn.copiedTimer = setTimeout(function () { btn.classList.remove("copied"); }, 800);
    };
    var byHand = function () {
      window.prompt("Copy with Ctrl+C (Cmd+C on a Mac), then press Enter:", text);
    };
    var viaTextarea = function () {
      var ta = document.createElement("textarea");
      ta.className = "copy-buffer";
      ta.value = text;
      ta.setAttribute("readonly", "");
      // Inside an open dialog, or its focus trap takes the focus (and selection) back.
      (btn.closest(".modal") || document.body).appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
      ta.remove();
      btn.focus();
      if (ok) done(); else byHand();
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, viaTextarea);
    } else {
      viaTextarea();
    }
  });

  // ------------------------------------------------------------------------------
  // Settings → Imports (issue 12): only the chosen mail source's fields are shown, and
  // secret fields kept across a re-rendered form show its current errors.
  // ------------------------------------------------------------------------------

  // A form with data-source-switch="NAME" shows, of its [data-source-fields="VALUE"]
  // parts, the one of the radio NAME that is checked; the others are hidden, not
  // removed, so their values are kept and still submitted. A part with an error
  // (data-source-errors) stays shown until it is corrected.
  document.addEventListener("change", function (e) {
    var radio = e.target;
    if (!radio || radio.type !== "radio" || !radio.checked || !radio.closest) return;
    var form = radio.closest("[data-source-switch]");
    if (!form || form.getAttribute("data-source-switch") !== radio.name) return;
    form.querySelectorAll("[data-source-fields]").forEach(function (part) {
      part.hidden = part.getAttribute("data-source-fields") !== radio.value && !part.hasAttribute("data-source-errors");
    });
  });

  // A secret input (hx-preserve) is the one the user typed into, not the one the server
  // sent with the re-rendered form; it takes the error state of its wrapper
  // (data-secret-field, data-invalid when the server refused it), which an edit clears.
  document.addEventListener("input", function (e) {
    var field = e.target.closest && e.target.closest("[data-secret-field]");
    if (field) field.removeAttribute("data-invalid");
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    var root = e.detail && e.detail.elt && e.detail.elt.querySelectorAll ? e.detail.elt : document;
    root.querySelectorAll("[data-secret-field]").forEach(function (field) {
      var input = field.querySelector("input");
      var error = field.querySelector(".invalid-feedback");
      if (!input) return;
      var invalid = field.hasAttribute("data-invalid");
      input.classList.toggle("is-invalid", invalid);
      if (invalid) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
      if (invalid && error) input.setAttribute("aria-describedby", error.id); else input.removeAttribute("aria-describedby");
    });
  });

  // ------------------------------------------------------------------------------
  // Feedback board (issue 18): screenshots pasted from the clipboard or chosen go
  // into the form's file input (data-paste-images), with a preview; a thumbnail
  // (data-lightbox) opens large over the page.
  // ------------------------------------------------------------------------------

  var pasted = 0;
  function formatSize(n) {
    return n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(n / 1024)) + " KB";
  }
  // The previews show what the input holds now (data: URLs: the CSP allows those for
  // images, and nothing leaves the page before the form is sent).
  function previewFiles(input) {
    var form = input.closest("[data-paste-images]");
    var box = form && form.querySelector("[data-paste-preview]");
    if (!box) return;
    box.textContent = "";
    var maxFiles = parseInt(input.getAttribute("data-max-files"), 10) || 0;
    var maxBytes = parseInt(input.getAttribute("data-max-file-bytes"), 10) || 0;
    Array.prototype.forEach.call(input.files, function (file, i) {
      var fig = document.createElement("figure");
      fig.className = "feedback-preview mb-0";
      var img = document.createElement("img");
      img.alt = file.name;
      var cap = document.createElement("figcaption");
      cap.className = "small text-body-secondary text-truncate";
      cap.textContent = file.name + " · " + formatSize(file.size);
      if ((maxBytes && file.size > maxBytes) || (maxFiles && i >= maxFiles)) {
        fig.classList.add("too-large");
        cap.textContent += maxBytes && file.size > maxBytes ? " (too large)" : " (too many files)";
      }
      fig.appendChild(img);
      fig.appendChild(cap);
      box.appendChild(fig);
      var reader = new FileReader();
      reader.onload = function () { img.src = reader.result; };
      reader.readAsDataURL(file);
    });
  }
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (input && input.type === "file" && input.closest && input.closest("[data-paste-images]")) previewFiles(input);
  });
  document.addEventListener("paste", function (e) {
    var form = e.target && e.target.closest && e.target.closest("[data-paste-images]");
    var input = form && form.querySelector('input[type="file"]');
    var data = e.clipboardData;
    if (!input || !data || !window.DataTransfer) return;
    var images = Array.prototype.filter.call(data.files || [], function (f) { return /^image\//.test(f.type); });
    if (!images.length) return;
    // Text pasted along with an image (from a web page) still goes into the field.
    if (!data.getData("text/plain")) e.preventDefault();
    var all = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (f) { all.items.add(f); });
    images.forEach(function (f) {
      pasted++;
      var ext = (f.type.split("/")[1] || "png").replace("jpeg", "jpg");
      all.items.add(new File([f], "pasted-" + pasted + "." + ext, { type: f.type }));
    });
    input.files = all.files;
    previewFiles(input);
  });

  function closeLightbox() {
    var box = document.getElementById("lightbox");
    if (!box) return;
    var back = box.lightboxOpener;
    box.remove();
    if (back && back.isConnected) back.focus();
  }
  document.addEventListener("click", function (e) {
    var box = document.getElementById("lightbox");
    if (box && box.contains(e.target)) {
      e.preventDefault();
      closeLightbox();
      return;
    }
    var link = e.target.closest && e.target.closest("a[data-lightbox]");
    if (!link || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    closeLightbox();
    box = document.createElement("div");
    box.id = "lightbox";
    box.className = "lightbox";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-label", link.getAttribute("title") || "Image");
    box.lightboxOpener = link;
    var img = document.createElement("img");
    img.src = link.getAttribute("href");
    img.alt = link.getAttribute("title") || "";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white lightbox-close";
    close.setAttribute("aria-label", "Close");
    box.appendChild(img);
    box.appendChild(close);
    document.body.appendChild(box);
    close.focus();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && document.getElementById("lightbox")) {
      e.preventDefault();
      closeLightbox();
    }
  });
})();
