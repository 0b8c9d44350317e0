// Live progress of a running training job: poll its JSON, reload when it ends.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.dataset.status !== "running") { return; }
  var url = "/training/jobs/" + encodeURIComponent(box.dataset.job);
  var stage = box.querySelector("[data-testid=job-stage]");
  var seconds = box.querySelector("[data-testid=job-seconds]");
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { setTimeout(poll, 5000); return; }
        stage.textContent = job.stage_text;
        seconds.textContent = job.seconds;
        if (job.status !== "running") { window.location.reload(); return; }
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
}());
