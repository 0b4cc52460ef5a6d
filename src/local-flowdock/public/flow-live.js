// Live updates for a flow's page and a thread's page. It listens to the flow's
// stream (the Streaming API's event-stream form: each event a JSON message
// with an id) and, when something happens, fetches the page again and brings
// in what changed: new chat or thread messages are appended (so screen readers
// announce only those), the team inbox is replaced. Pages work without it.
/* global document, location, window, DOMParser, EventSource */
(function () {
  "use strict";
  var root = document.querySelector("[data-stream-url]");
  if (!root || typeof EventSource === "undefined" || typeof fetch === "undefined") return;
  var live = root.getAttribute("data-live") === "on";
  var threadId = root.getAttribute("data-thread-id");
  var notice = document.getElementById("live-notice");
  // Presence and typing notices change nothing on these pages.
  var IGNORED = { "activity.user": true, "user-edit": true };
  // Edits and deletions change messages already shown, so lists are redrawn, not appended to.
  var REDRAW = { "message-edit": true, "message-delete": true, "tag-change": true };
  var timer = null;
  var busy = false;
  var again = false;
  var redraw = false;

  function scrollChatToEnd() {
    var log = document.getElementById("chat-log");
    if (log) log.scrollTop = log.scrollHeight;
  }

  function appendNew(region, fresh) {
    var log = document.getElementById("chat-log");
    var atEnd = !log || log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    Array.prototype.forEach.call(fresh.children, function (item) {
      if (item.id && !document.getElementById(item.id)) region.appendChild(document.importNode(item, true));
    });
    var empty = document.getElementById("chat-empty");
    if (empty && region.children.length > 0) empty.remove();
    if (atEnd) scrollChatToEnd();
  }

  function replace(region, fresh) {
    region.replaceChildren.apply(region, Array.prototype.map.call(fresh.childNodes, function (node) {
      return document.importNode(node, true);
    }));
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    var whole = redraw;
    redraw = false;
    fetch(location.pathname + location.search, { credentials: "same-origin", headers: { accept: "text/html" } })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-region]").forEach(function (region) {
          var fresh = doc.getElementById(region.id);
          if (!fresh) return;
          if (region.getAttribute("data-live-region") === "append" && !whole) appendNew(region, fresh);
          else replace(region, fresh);
        });
      })
      .catch(function () { /* the next event tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  function onEvent(event) {
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (!message || IGNORED[message.event]) return;
    if (threadId && message.thread_id !== threadId) return;
    if (!live) {
      if (notice) notice.hidden = false;
      return;
    }
    if (REDRAW[message.event]) redraw = true;
    // Several events at once (a busy integration) make one fetch.
    clearTimeout(timer);
    timer = setTimeout(refresh, 100);
  }

  scrollChatToEnd();
  var stream = new EventSource(root.getAttribute("data-stream-url"));
  stream.onmessage = onEvent;
  window.addEventListener("pagehide", function () { stream.close(); });
}());
