// Resumable upload: the details go first, so the server refuses (consent, date, guidelines,
// size, duration) before a byte of the file is sent. The file then goes up in chunks; after
// a dropped connection the page asks the server how far it got and goes on from there. The
// same file chosen again later (its name, size and last change: the fingerprint, kept in
// localStorage with the upload's id) continues the same upload. Each chunk is encrypted into
// place on arrival.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var api = form.getAttribute("data-api");
  var progress = document.getElementById("upload-progress");
  var statusLine = document.getElementById("upload-status");
  var button = document.getElementById("upload-button");
  var resumeBox = document.getElementById("upload-resume");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var STORE = "classvault.uploads";
  var busy = false;

  function message(id) { return document.getElementById(id).innerHTML; }
  function say(text) { statusLine.textContent = text; }
  function sleep(ms) { return new Promise(function (r) { window.setTimeout(r, ms); }); }

  function remembered() {
    try { return JSON.parse(window.localStorage.getItem(STORE) || "{}"); } catch (e) { return {}; }
  }
  function remember(fingerprint, entry) {
    var all = remembered();
    if (entry) { all[fingerprint] = entry; } else { delete all[fingerprint]; }
    try { window.localStorage.setItem(STORE, JSON.stringify(all)); } catch (e) { /* private mode */ }
  }
  function fingerprintOf(file) { return [file.name, file.size, file.lastModified].join("|"); }

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

  // Group picker: show only the pupils of the chosen group.
  var groupPicker = form.querySelector("[data-group-filter]");
  if (groupPicker) {
    groupPicker.addEventListener("change", function () {
      form.querySelectorAll("tr[data-group]").forEach(function (row) {
        row.hidden = groupPicker.value !== "" && row.getAttribute("data-group") !== groupPicker.value;
      });
    });
  }

  // Coming back after an interrupted upload: offer to continue with the same file.
  (function offerResume() {
    var all = remembered();
    var names = Object.keys(all).map(function (key) { return all[key]; })
      .filter(function (entry) { return entry.expires > Date.now(); });
    if (!names.length) { return; }
    resumeBox.textContent = message("msg-resume") + " " + names.map(function (entry) {
      return entry.name + " (" + Math.floor(100 * entry.received / entry.size) + "%)";
    }).join(", ");
    resumeBox.hidden = false;
  })();

  window.addEventListener("beforeunload", function (event) {
    if (!busy) { return; }
    event.preventDefault();
    event.returnValue = message("msg-leave");
    return event.returnValue;
  });

  function durationOf(file) {
    // What the browser reads from the file's header; the server checks the video itself too.
    return new Promise(function (resolve) {
      var video = document.createElement("video");
      var url = URL.createObjectURL(file);
      var done = function (value) { URL.revokeObjectURL(url); resolve(value); };
      video.preload = "metadata";
      video.onloadedmetadata = function () { done(isFinite(video.duration) ? video.duration : null); };
      video.onerror = function () { done(null); };
      window.setTimeout(function () { done(null); }, 3000);
      video.src = url;
    });
  }

  async function sendChunks(file, upload, fingerprint) {
    var received = upload.received;
    var failures = 0;
    while (received < file.size) {
      var end = Math.min(received + upload.chunk_size, file.size);
      try {
        var state = await call("PUT", "/uploads/" + upload.id, file.slice(received, end), {
          "Content-Type": "application/octet-stream",
          "Content-Range": "bytes " + received + "-" + (end - 1) + "/" + file.size
        });
        received = state.received;
        failures = 0;
      } catch (error) {
        if (error.status === 409 && error.data && typeof error.data.received === "number") {
          received = error.data.received;  // the server has more (or less): go on from there
          continue;
        }
        if (error.status && error.status < 500) { throw error; }
        failures += 1;
        if (failures > 30) { throw error; }
        say(message("msg-resuming"));
        await sleep(Math.min(30000, 1000 * Math.pow(2, Math.min(failures, 5))));
        try {
          received = (await call("GET", "/uploads/" + upload.id)).received;
        } catch (ignored) { /* still offline: try again */ }
      }
      progress.value = Math.floor(100 * received / file.size);
      say(message("msg-sending") + " " + progress.value + "%");
      remember(fingerprint, { id: upload.id, name: file.name, size: file.size, received: received,
                              expires: Date.parse(upload.expires_at) });
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var file = document.getElementById("id_file").files[0] ||
               document.getElementById("id_camera").files[0];
    if (!file) { say(message("msg-nofile")); return; }
    button.disabled = true;
    busy = true;
    var fingerprint = fingerprintOf(file);
    try {
      var picked = function (name) {
        return Array.prototype.map.call(form.querySelectorAll("input[name=" + name + "]:checked"),
                                        function (box) { return box.value; });
      };
      var attested = picked("attest");
      var present = picked("pupils").filter(function (id) { return attested.indexOf(id) < 0; });
      say(message("msg-checking"));
      var upload = await call("POST", "/uploads", JSON.stringify({
        size: file.size, filename: file.name, fingerprint: fingerprint,
        duration_seconds: await durationOf(file),
        title: document.getElementById("id_title").value,
        recorded_at: document.getElementById("id_recorded_at").value,
        pupils: present, attest_out_of_view: attested
      }), { "Content-Type": "application/json" });
      if (upload.received > 0) { say(message("msg-continuing")); }
      await sendChunks(file, upload, fingerprint);
      var recording = await call("POST", "/uploads/" + upload.id + "/complete", JSON.stringify({}),
                                 { "Content-Type": "application/json" });
      remember(fingerprint, null);
      progress.value = 100;
      say(message("msg-done"));
      busy = false;
      window.location.assign("/recordings/" + recording.id + "/");
    } catch (error) {
      busy = false;
      say(message("msg-failed") + " " + error.message);
      button.disabled = false;
    }
  });
})();
