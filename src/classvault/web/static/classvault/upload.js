// Resumable upload: the file goes up in chunks; after a dropped connection the page asks
// the server how far it got and goes on from there. Each chunk is encrypted on arrival.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var api = form.getAttribute("data-api");
  var progress = document.getElementById("upload-progress");
  var statusLine = document.getElementById("upload-status");
  var button = document.getElementById("upload-button");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function message(id) { return document.getElementById(id).innerHTML; }
  function say(text) { statusLine.textContent = text; }
  function sleep(ms) { return new Promise(function (r) { window.setTimeout(r, ms); }); }

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

  async function sendChunks(file, upload) {
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
        progress.value = Math.floor(100 * received / file.size);
        say(message("msg-sending") + " " + progress.value + "%");
      } catch (error) {
        if (error.status && error.status < 500 && error.status !== 409) { throw error; }
        failures += 1;
        if (failures > 30) { throw error; }
        say(message("msg-resuming"));
        await sleep(Math.min(30000, 1000 * Math.pow(2, Math.min(failures, 5))));
        try {
          received = (await call("GET", "/uploads/" + upload.id)).received;
        } catch (ignored) { /* still offline: try again */ }
      }
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var file = document.getElementById("id_file").files[0];
    if (!file) { return; }
    button.disabled = true;
    try {
      var upload = await call("POST", "/uploads", JSON.stringify({ size: file.size, filename: file.name }),
                              { "Content-Type": "application/json" });
      await sendChunks(file, upload);
      var picked = function (name) {
        return Array.prototype.map.call(form.querySelectorAll("input[name=" + name + "]:checked"),
                                        function (box) { return box.value; });
      };
      var attested = picked("attest");
      var present = picked("pupils").filter(function (id) { return attested.indexOf(id) < 0; });
      var recording = await call("POST", "/uploads/" + upload.id + "/complete", JSON.stringify({
        title: document.getElementById("id_title").value,
        recorded_at: document.getElementById("id_recorded_at").value,
        pupils: present, attest_out_of_view: attested
      }), { "Content-Type": "application/json" });
      progress.value = 100;
      say(message("msg-done"));
      window.location.assign("/recordings/" + recording.id + "/");
    } catch (error) {
      say(message("msg-failed") + " " + error.message);
      button.disabled = false;
    }
  });
})();
