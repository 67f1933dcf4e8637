// Marking a person on the player, and drawing the computed track over it for review.
// Boxes are kept in the video's own pixels; the canvas maps them to the displayed size.
(function () {
  "use strict";
  var video = document.getElementById("redact-video");
  var canvas = document.getElementById("redact-canvas");
  var input = document.getElementById("id_track");
  if (!video || !canvas || !input) return;
  var stage = document.getElementById("stage");
  var list = document.getElementById("marks");
  var label = document.getElementById("mark-label");
  var data = document.getElementById("track-data");
  var track = data ? JSON.parse(data.textContent) || [] : [];
  var marks = [];
  var drag = null;

  function size() {
    return {
      w: video.videoWidth || Number(stage.dataset.width) || 1,
      h: video.videoHeight || Number(stage.dataset.height) || 1,
    };
  }
  function fit() {
    canvas.width = canvas.clientWidth;
    canvas.height = canvas.clientHeight;
  }
  function toScreen(box) {
    var s = size();
    var sx = canvas.width / s.w, sy = canvas.height / s.h;
    return [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy];
  }
  function nearest(t) {
    var best = null, gap = 0.25;
    track.forEach(function (p) {
      var d = Math.abs(p.at_seconds - t);
      if (d <= gap) { gap = d; best = p; }
    });
    return best;
  }
  function draw() {
    var ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    var t = video.currentTime;
    var p = nearest(t);
    if (p) {
      var b = toScreen(p.box);
      ctx.strokeStyle = "#ffcc00"; ctx.lineWidth = 3;
      ctx.strokeRect(b[0], b[1], b[2], b[3]);
    }
    marks.forEach(function (m) {
      if (Math.abs(m.at_seconds - t) < 0.5) {
        var b = toScreen(m.box);
        ctx.strokeStyle = "#00c2ff"; ctx.lineWidth = 3;
        ctx.strokeRect(b[0], b[1], b[2], b[3]);
      }
    });
    if (drag && drag.now) {
      ctx.strokeStyle = "#00c2ff"; ctx.setLineDash([6, 4]);
      ctx.strokeRect(drag.x, drag.y, drag.now.x - drag.x, drag.now.y - drag.y);
      ctx.setLineDash([]);
    }
  }
  function loop() { draw(); window.requestAnimationFrame(loop); }
  function point(e) {
    var r = canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }
  function save() {
    input.value = JSON.stringify(marks);
    if (!list) return;
    list.textContent = "";
    marks.forEach(function (m) {
      var li = document.createElement("li");
      li.textContent = (label ? label.textContent : "%s").replace("%s", m.at_seconds.toFixed(1));
      list.appendChild(li);
    });
  }
  canvas.addEventListener("pointerdown", function (e) {
    video.pause();
    drag = point(e);
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener("pointermove", function (e) { if (drag) drag.now = point(e); });
  canvas.addEventListener("pointerup", function (e) {
    if (!drag) return;
    var end = point(e), s = size();
    var sx = s.w / canvas.width, sy = s.h / canvas.height;
    var x = Math.min(drag.x, end.x), y = Math.min(drag.y, end.y);
    var w = Math.abs(end.x - drag.x), h = Math.abs(end.y - drag.y);
    drag = null;
    if (w < 4 || h < 4) return;
    marks.push({
      at_seconds: Math.round(video.currentTime * 100) / 100,
      box: [Math.round(x * sx), Math.round(y * sy), Math.round(w * sx), Math.round(h * sy)],
    });
    save();
  });
  var clear = document.getElementById("marks-clear");
  if (clear) clear.addEventListener("click", function () { marks = []; save(); });
  window.addEventListener("resize", fit);
  video.addEventListener("loadedmetadata", fit);
  fit();
  loop();
})();
