// Record a lesson in the browser: camera and microphone through MediaRecorder, the recording
// sent to ClassVault in chunks while it runs (a "live" upload). Nothing is written to the
// device: every piece MediaRecorder hands over is copied into an ArrayBuffer in this page's
// memory at once (a large Blob may be paged to disk by the browser) and dropped as soon as the
// server confirmed it. While the connection is down the pieces wait in memory, up to
// data-buffer-bytes; the page shows how much waits and how long the rest of that room lasts,
// and catches up when the connection returns. Stop sends the rest and completes the recording.
(function () {
  "use strict";
  var form = document.getElementById("record-form");
  if (!form) { return; }
  var api = form.getAttribute("data-api");
  var bufferBytes = parseInt(form.getAttribute("data-buffer-bytes"), 10);
  var maxSeconds = 60 * parseInt(form.getAttribute("data-max-seconds"), 10);
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var panel = document.getElementById("record-panel");
  var problem = document.getElementById("record-problem");
  var stateLine = document.getElementById("record-state");

  function message(id) { return document.getElementById(id).innerHTML; }
  function text(id, value) { document.getElementById(id).textContent = value; }
  function mb(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }
  function sleep(ms) { return new Promise(function (r) { window.setTimeout(r, ms); }); }
  function clock(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
  }
  function showProblem(value) { problem.textContent = value; problem.hidden = false; }

  function call(method, path, body, headers) {
    var init = { method: method, credentials: "same-origin",
                 headers: Object.assign({ "X-CSRFToken": csrf }, headers || {}) };
    if (body !== undefined) { init.body = body; }
    return fetch(api + path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.detail || response.statusText);
          error.status = response.status; error.data = data; throw error;
        }
        return data;
      });
    });
  }

  // --- the group picker ---------------------------------------------------------------------
  var groupPicker = form.querySelector("[data-group-filter]");
  if (groupPicker) {
    groupPicker.addEventListener("change", function () {
      form.querySelectorAll("tr[data-group]").forEach(function (row) {
        row.hidden = groupPicker.value !== "" && row.getAttribute("data-group") !== groupPicker.value;
      });
    });
  }

  // --- recordings a closed tab left unfinished: keep or discard ----------------------------
  function listUnfinished() {
    call("GET", "/uploads").then(function (uploads) {
      var live = uploads.filter(function (u) { return u.kind === "live" && u.id !== current; });
      var list = document.getElementById("unfinished-list");
      list.textContent = "";
      live.forEach(function (upload) {
        var item = document.createElement("li");
        item.className = "queue-item";
        var title = document.createElement("span");
        title.className = "queue-title";
        title.textContent = upload.title || upload.filename;
        var facts = document.createElement("span");
        facts.textContent = new Date(upload.created_at).toLocaleString() + " · " +
          mb(upload.received) + " " + message("msg-received");
        var keep = document.createElement("button");
        keep.type = "button";
        keep.textContent = message("msg-keep");
        keep.disabled = upload.received === 0;
        keep.addEventListener("click", function () {
          keep.disabled = true;
          call("POST", "/uploads/" + upload.id + "/complete", "{}", { "Content-Type": "application/json" })
            .then(function (recording) { window.location.assign("/recordings/" + recording.id + "/"); })
            .catch(function (error) { showProblem(error.message); keep.disabled = false; });
        });
        var discard = document.createElement("button");
        discard.type = "button";
        discard.className = "manage-secondary";
        discard.textContent = message("msg-discard");
        discard.addEventListener("click", function () {
          call("DELETE", "/uploads/" + upload.id).then(function () {
            item.textContent = message("msg-discarded");
          }).catch(function (error) { showProblem(error.message); });
        });
        var actions = document.createElement("span");
        actions.className = "manage-share";
        actions.append(keep, discard);
        item.append(title, facts, actions);
        list.append(item);
      });
      document.getElementById("record-unfinished").hidden = live.length === 0;
    }).catch(function () { /* offline: nothing to show now */ });
  }

  // --- recording and sending ------------------------------------------------------------------
  var current = null;          // the upload's id
  var pending = [];            // Uint8Arrays not yet confirmed by the server, in order
  var pendingBytes = 0;
  var sent = 0;                // bytes the server confirmed
  var recordedBytes = 0;
  var stopped = false;         // MediaRecorder stopped and its last piece is in ``pending``
  var finished = false;        // completed (or abandoned): nothing to warn about
  var online = true;
  var startedAt = 0;
  var wakeUp = null;
  var recorder = null;
  var stream = null;
  var arrival = Promise.resolve();

  function wake() { if (wakeUp) { var w = wakeUp; wakeUp = null; w(); } }
  function nextEvent(ms) {
    return new Promise(function (resolve) {
      wakeUp = resolve;
      if (ms) { window.setTimeout(resolve, ms); }
    });
  }

  function take(count) {
    // The first ``count`` waiting bytes as one array (copied; the pieces stay until confirmed).
    var out = new Uint8Array(count), at = 0;
    for (var i = 0; at < count; i++) {
      var piece = pending[i].subarray(0, Math.min(pending[i].length, count - at));
      out.set(piece, at);
      at += piece.length;
    }
    return out;
  }
  function drop(count) {
    pendingBytes -= count;
    while (count > 0) {
      if (pending[0].length <= count) { count -= pending[0].length; pending.shift(); }
      else { pending[0] = pending[0].subarray(count); count = 0; }
    }
  }

  function setOnline(value) {
    online = value;
    text("record-connection", message(value ? "msg-online" : "msg-offline"));
    panel.classList.toggle("record-offline", !value);
  }

  async function put(body, contentRange) {
    return call("PUT", "/uploads/" + current, body,
                { "Content-Type": "application/octet-stream", "Content-Range": contentRange });
  }

  async function sender(chunkSize) {
    for (;;) {
      var last = stopped && pendingBytes < chunkSize;
      if (pendingBytes < chunkSize && !stopped) { await nextEvent(); continue; }
      var count = last ? pendingBytes : chunkSize;
      var range = count
        ? "bytes " + sent + "-" + (sent + count - 1) + "/" + (last ? sent + count : "*")
        : "bytes */" + sent;
      try {
        var state = await put(take(count), range);
        drop(state.received - sent);
        sent = state.received;
        setOnline(true);
        if (last) { return; }
      } catch (error) {
        if (error.status && error.status < 500 && error.status !== 409) { throw error; }
        if (!error.status) { setOnline(false); }
        await nextEvent(2000);
        try {
          // Where the server is (an answer may have got lost): drop what it already has.
          var status = await call("GET", "/uploads/" + current);
          if (status.received > sent) { drop(status.received - sent); sent = status.received; }
          setOnline(true);
          if (status.finished) { return; }
        } catch (ignored) { /* still offline */ }
      }
    }
  }

  function tick() {
    if (!startedAt) { return; }
    var seconds = Math.floor((Date.now() - startedAt) / 1000);
    text("record-elapsed", clock(seconds));
    text("record-sent", mb(sent));
    text("record-waiting", mb(pendingBytes));
    var rate = seconds > 0 ? recordedBytes / seconds : 0;
    if (rate > 0 && !stopped) {
      var minutes = Math.max(0, Math.floor((bufferBytes - pendingBytes) / rate / 60));
      text("record-room", message("msg-room").replace("{minutes}", minutes));
    }
    if (!stopped && recorder && recorder.state === "recording") {
      if (pendingBytes > bufferBytes) { showProblem(message("msg-full")); stop(); }
      else if (seconds >= maxSeconds) { showProblem(message("msg-toolong")); stop(); }
    }
  }

  function stop() {
    if (!recorder || recorder.state === "inactive") { return; }
    stateLine.textContent = message("msg-finishing");
    document.getElementById("record-stop").disabled = true;
    panel.classList.remove("record-running");
    recorder.stop();
  }

  function mimeType() {
    var options = ["video/webm;codecs=vp9,opus", "video/webm;codecs=vp8,opus", "video/webm", "video/mp4"];
    for (var i = 0; i < options.length; i++) {
      if (window.MediaRecorder && MediaRecorder.isTypeSupported(options[i])) { return options[i]; }
    }
    return "";
  }

  window.addEventListener("beforeunload", function (event) {
    if (!current || finished) { return; }
    event.preventDefault();
    event.returnValue = message("msg-leave");
    return event.returnValue;
  });
  window.addEventListener("online", wake);

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    problem.hidden = true;
    var startButton = document.getElementById("record-start");
    startButton.disabled = true;
    var picked = function (name) {
      return Array.prototype.map.call(form.querySelectorAll("input[name=" + name + "]:checked"),
                                      function (box) { return box.value; });
    };
    var attested = picked("attest");
    var present = picked("pupils").filter(function (id) { return attested.indexOf(id) < 0; });
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 1280 }, height: { ideal: 720 }, facingMode: "environment" },
        audio: true
      });
    } catch (error) {
      showProblem(message("msg-nocamera"));
      startButton.disabled = false;
      return;
    }
    var type = mimeType();
    var upload;
    try {
      // Consent, date, title and guidelines are checked here, before anything is recorded.
      upload = await call("POST", "/uploads", JSON.stringify({
        kind: "live", filename: type.indexOf("mp4") >= 0 ? "opname.mp4" : "opname.webm",
        title: document.getElementById("id_title").value,
        pupils: present, attest_out_of_view: attested
      }), { "Content-Type": "application/json" });
    } catch (error) {
      stream.getTracks().forEach(function (t) { t.stop(); });
      showProblem(message("msg-failed") + " " + error.message);
      startButton.disabled = false;
      return;
    }
    current = upload.id;
    form.hidden = true;
    panel.hidden = false;
    panel.classList.add("record-running");
    document.getElementById("record-preview").srcObject = stream;
    recorder = new MediaRecorder(stream, Object.assign(
      { videoBitsPerSecond: 1500000, audioBitsPerSecond: 96000 }, type ? { mimeType: type } : {}));
    recorder.ondataavailable = function (e) {
      if (!e.data || !e.data.size) { return; }
      var blob = e.data;
      arrival = arrival.then(function () { return blob.arrayBuffer(); }).then(function (buffer) {
        var bytes = new Uint8Array(buffer);
        pending.push(bytes);
        pendingBytes += bytes.length;
        recordedBytes += bytes.length;
        wake();
      });
    };
    recorder.onstop = function () {
      stream.getTracks().forEach(function (t) { t.stop(); });
      arrival.then(function () { stopped = true; wake(); });
    };
    document.getElementById("record-stop").addEventListener("click", stop);
    startedAt = Date.now();
    recorder.start(1000);
    var timer = window.setInterval(tick, 500);
    try {
      await sender(upload.chunk_size);
      window.clearInterval(timer);
      tick();
      var recording = await call("POST", "/uploads/" + current + "/complete", "{}",
                                 { "Content-Type": "application/json" });
      finished = true;
      stateLine.textContent = message("msg-done");
      window.location.assign("/recordings/" + recording.id + "/");
    } catch (error) {
      window.clearInterval(timer);
      finished = true;
      if (recorder.state !== "inactive") { recorder.stop(); }
      showProblem(message("msg-failed") + " " + error.message);
      form.hidden = false;
      document.getElementById("record-start").disabled = false;
      listUnfinished();
    }
  });

  listUnfinished();
})();
