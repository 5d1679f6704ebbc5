// The Sync page's progress bars: a running run is polled every half second until it finishes, then the
// page reloads to show its counts.
(function () {
  "use strict";
  var running = document.querySelectorAll('tr[data-state="running"]');
  running.forEach(function (row) {
    var id = row.dataset.run;
    var bar = row.querySelector(".progress"), fill = bar && bar.querySelector("span"), text = row.querySelector(".progress-text");
    function poll() {
      fetch("/api/v1/admin/sync/runs/" + id, { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (run) {
          if (run.state !== "running") { window.location.replace("/admin/sync"); return; }
          var percent = run.estimated ? Math.min(100, Math.floor(run.processed * 100 / run.estimated)) : 0;
          if (fill) fill.style.width = percent + "%";
          if (bar) bar.setAttribute("aria-valuenow", String(percent));
          if (text) text.textContent = run.phase + ": " + run.processed + " of " + (run.estimated || "?");
          setTimeout(poll, 500);
        })
        .catch(function () { setTimeout(poll, 2000); });
    }
    poll();
  });
})();
