// Backupchecks: the page's life in the tab, beside htmx — its one live-update stream,
// pages coming back from the back/forward cache, and dialogs that have their own URL.
// Loaded before htmx (not deferred), so its popstate listener runs before htmx's.
(function () {
  "use strict";

  // ---- Live updates --------------------------------------------------------------
  // An element refreshes itself on live events with hx-trigger="sse:<topic>" (inbox,
  // runs, tasks). A tab holds at most one stream: /events with every topic its page
  // listens to. Over plain HTTP/1.1 a browser keeps 6 connections per host, so a stream
  // per element, or one kept open by a page in the back/forward cache, soon leaves none
  // for loading pages. The stream closes when the page is hidden or left and opens again
  // when it is shown; a stream that opens again may have missed events, so every
  // listener then refreshes once.
  var stream = null;
  var streamTopics = [];
  var opens = 0;
  var retryTimer = null;
  var retryDelay = 1000;

  function listensTo(el, topic) {
    return new RegExp("(^|[\\s,])sse:" + topic + "(?![\\w-])").test(el.getAttribute("hx-trigger") || "");
  }

  function topicsWanted() {
    var seen = {};
    document.querySelectorAll('[hx-trigger*="sse:"]').forEach(function (el) {
      (el.getAttribute("hx-trigger").match(/sse:[\w-]+/g) || []).forEach(function (t) { seen[t.slice(4)] = true; });
    });
    return Object.keys(seen).sort();
  }

  function deliver(topic, data) {
    if (!window.htmx) return;
    document.querySelectorAll('[hx-trigger*="sse:' + topic + '"]').forEach(function (el) {
      if (listensTo(el, topic)) window.htmx.trigger(el, "sse:" + topic, { data: data });
    });
  }

  function closeStream() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (stream) {
      stream.close();
      stream = null;
    }
  }

  // openStream opens the tab's stream unless one with every topic the page needs is
  // open already (new content may listen to a new topic: the stream is then replaced).
  function openStream() {
    if (document.visibilityState === "hidden") return;
    var want = topicsWanted();
    if (stream && want.every(function (t) { return streamTopics.indexOf(t) >= 0; })) return;
    closeStream();
    if (!want.length) return;
    var es = new EventSource("/events?" + want.map(function (t) { return "topic=" + encodeURIComponent(t); }).join("&"));
    stream = es;
    streamTopics = want;
    es.onopen = function () {
      retryDelay = 1000;
      if (opens++ > 0) want.forEach(function (t) { deliver(t, ""); });
    };
    want.forEach(function (t) {
      es.addEventListener(t, function (e) { deliver(t, e.data); });
    });
    es.onerror = function () {
      // The browser reconnects a dropped stream by itself; a refused one (signed out,
      // server restarting) is tried again here, less and less often.
      if (stream !== es || es.readyState !== EventSource.CLOSED) return;
      stream = null;
      retryTimer = setTimeout(openStream, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 60000);
    };
  }

  document.addEventListener("DOMContentLoaded", openStream);
  document.addEventListener("htmx:load", openStream);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") closeStream();
    else openStream();
  });
  window.addEventListener("pagehide", closeStream);

  // ---- Back/forward cache --------------------------------------------------------
  // A page restored from the back/forward cache shows what it showed when it was left:
  // after Log out, customer data, and no live updates. It hides itself as it goes into
  // the cache and loads afresh when it comes back, so the server decides what Back
  // shows (the page as it is now, or the login).
  window.addEventListener("pagehide", function (e) {
    if (e.persisted) document.documentElement.style.visibility = "hidden";
  });
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) window.location.reload();
  });

  // ---- Dialogs with their own URL --------------------------------------------------
  // A dialog opened with hx-push-url (a run, a mail, a job's day) puts its URL in the
  // address bar, to be copied, refreshed or opened in another tab; the server answers a
  // full load of it with the page behind and the dialog open in it (data-back-url on
  // #modal). Closing the dialog gives the address bar back to the page: Back when the
  // dialog added the history entry, a replaced entry when the page was loaded with it
  // open. Back while such a dialog is open closes it.
  var pushed = null; // {url, back}: the history entry the open dialog added
  var ownBack = false; // the next popstate is the Back done here

  function here() { return window.location.pathname + window.location.search; }

  document.addEventListener("htmx:beforeHistoryUpdate", function (e) {
    var d = e.detail;
    if (d.history && d.history.type === "push" && d.target && d.target.id === "modal-dialog") {
      pushed = { url: d.history.path, back: here() };
    }
  });

  document.addEventListener("shown.bs.modal", function (e) {
    if (e.target.id === "modal" && pushed) pushed.shown = true;
  });
  document.addEventListener("hidden.bs.modal", function (e) {
    if (e.target.id !== "modal") return;
    if (pushed && !pushed.shown) return; // the end of an earlier dialog; this one is opening
    var back = e.target.getAttribute("data-back-url");
    e.target.removeAttribute("data-back-url");
    if (pushed && here() === pushed.url) {
      ownBack = true;
      window.history.back();
    } else if (back && here() !== back) {
      window.history.replaceState({ htmx: true }, "", back);
    }
    pushed = null;
  });

  window.addEventListener("popstate", function (e) {
    if (ownBack) {
      ownBack = false;
      e.stopImmediatePropagation(); // htmx would load the page again
      return;
    }
    if (pushed && here() === pushed.back) {
      pushed = null;
      e.stopImmediatePropagation();
      var m = document.getElementById("modal");
      var inst = m && window.bootstrap && window.bootstrap.Modal.getInstance(m);
      if (inst) inst.hide();
    }
  }, true);

  // A page loaded at a dialog's URL opens the dialog it was given.
  document.addEventListener("DOMContentLoaded", function () {
    var m = document.getElementById("modal");
    var d = document.getElementById("modal-dialog");
    if (m && d && d.children.length && window.bootstrap) window.bootstrap.Modal.getOrCreateInstance(m).show();
  });
})();
