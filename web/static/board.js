// The board's live part: status changes arrive over SSE (/api/v1/events) and update the row in place;
// forms learn the browser's time zone; times show in the viewer's zone. Without JavaScript the page still
// works: it just does not update by itself.
(function () {
  "use strict";
  document.querySelectorAll('input[name="tz"]').forEach(function (input) { input.value = String(new Date().getTimezoneOffset()); });

  var table = document.getElementById("board");
  var state = document.getElementById("live-state");
  if (!table || !window.EventSource) return;

  function shortTime(iso) {
    if (!iso) return "";
    var date = new Date(iso), now = new Date();
    var time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return date.toDateString() === now.toDateString() ? time : date.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" }) + " " + time;
  }

  function badge(text, colour, extra) {
    var span = document.createElement("span");
    span.className = "badge" + (extra ? " " + extra : "");
    if (colour) {   // as the templates do: the colour (#rrggbb) for the dot and border, 14% of it (alpha 0x24) behind the text
      span.style.setProperty("--c", colour);
      span.style.backgroundColor = colour + "24";
    }
    span.textContent = text;
    return span;
  }

  // Counts cover the whole filtered board (the server counted them). A change to a row on this page moves
  // them by what that row was and is now; a change to somebody on another page shows on reload.
  var counts = { "in": 0, out: 0, overdue: 0 };
  ["in", "out", "overdue"].forEach(function (name) {
    counts[name] = parseInt(document.getElementById("count-" + name).textContent, 10) || 0;
  });

  function shift(row, by) {
    if (row.dataset.presence === "in") counts["in"] += by;
    if (row.dataset.presence === "out") counts.out += by;
    if (row.dataset.overdue === "true") counts.overdue += by;
  }

  function showCounts() {
    document.getElementById("count-in").textContent = counts["in"] + " in";
    document.getElementById("count-out").textContent = counts.out + " out";
    document.getElementById("count-overdue").textContent = counts.overdue + " overdue";
  }

  function apply(entry) {
    var row = table.querySelector('tr[data-person="' + entry.id + '"]');
    if (!row) return;
    var status = entry.status;
    shift(row, -1);
    var cell = row.querySelector("td.status");
    cell.textContent = "";
    cell.appendChild(status ? badge(status.type, status.colour) : badge("No status", "#9e9e9e"));
    if (status && status.overdue) { cell.appendChild(document.createTextNode(" ")); cell.appendChild(badge("overdue", null, "overdue")); }
    row.querySelector("td.note").textContent = status && status.note ? status.note : "";
    row.querySelector("td.back").textContent = status ? shortTime(status.returnAt) : "";
    row.dataset.presence = status ? status.presence : "none";
    row.dataset.overdue = status && status.overdue ? "true" : "false";
    shift(row, 1);
    row.classList.remove("changed"); void row.offsetWidth; row.classList.add("changed");
    showCounts();
  }

  // From where the hub was before the page read the board: a change in between is replayed, not lost.
  var from = table.getAttribute("data-stream-from");
  var source = new EventSource("/api/v1/events" + (from ? "?lastEventId=" + encodeURIComponent(from) : ""));
  source.addEventListener("open", function () { if (state) state.textContent = "Live: changes appear as they happen."; });
  source.addEventListener("error", function () { if (state) state.textContent = "Reconnecting to live updates…"; });
  // More was missed than the server replays (a long sleep, a long outage): the page is read again, whole.
  source.addEventListener("reset", function () { location.reload(); });
  source.addEventListener("status", function (event) {
    var entry;
    try { entry = JSON.parse(event.data); } catch (e) { return; }   // a malformed frame is skipped
    apply(entry);
  });
})();
