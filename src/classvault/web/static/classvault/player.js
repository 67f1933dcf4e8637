// The in-app player: no download, no picture-in-picture, no casting, and a watermark that
// names the viewer and the time, so a screen photo still says who made it.
(function () {
  "use strict";
  var player = document.getElementById("player");
  var video = document.getElementById("video");
  if (!player || !video) { return; }
  video.disablePictureInPicture = true;
  video.disableRemotePlayback = true;
  video.addEventListener("contextmenu", function (event) { event.preventDefault(); });
  var text = document.getElementById("watermark-text");
  var viewer = player.getAttribute("data-viewer");
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var now = new Date();
    text.textContent = viewer + " · " + now.getDate() + "-" + (now.getMonth() + 1) + "-" +
      now.getFullYear() + " " + pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" +
      pad(now.getSeconds());
  }
  tick();
  window.setInterval(tick, 1000);
  // Let the watermark drift, so it cannot simply be cropped away.
  var mark = player.querySelector(".watermark");
  var step = 0;
  window.setInterval(function () {
    step = (step + 1) % 4;
    mark.setAttribute("data-corner", String(step));
  }, 15000);
})();

// Time-coded feedback: a comment's time seeks the video; new feedback takes the current time.
(function () {
  "use strict";
  var video = document.getElementById("video");
  var list = document.getElementById("comments");
  if (list && video) {
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button.seek");
      if (!button) { return; }
      video.currentTime = parseFloat(button.getAttribute("data-seconds"));
      video.focus();
    });
  }
  var form = document.getElementById("comment-form");
  if (!form) { return; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var text = document.getElementById("id_comment").value;
    var at = video ? Math.round(video.currentTime * 10) / 10 : 0;
    fetch(form.getAttribute("data-url"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ at_seconds: at, text: text })
    }).then(function (response) {
      if (response.ok) { window.location.reload(); return; }
      return response.json().then(function (data) {
        document.getElementById("comment-status").textContent = data.detail || response.statusText;
      });
    });
  });
})();
