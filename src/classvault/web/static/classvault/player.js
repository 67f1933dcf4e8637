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
