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

// Time-coded feedback without reloading the page: the video keeps playing where it was.
// New, changed and deleted feedback goes to the JSON API with the session cookie and the
// CSRF header; the result is announced in a live region and focus stays where the user works.
(function () {
  "use strict";
  var video = document.getElementById("video");
  var form = document.getElementById("comment-form");
  var list = document.getElementById("comments");
  var markers = document.getElementById("markers");
  var timeline = document.getElementById("timeline");
  var empty = document.getElementById("comments-empty");
  var statusLine = document.getElementById("comment-status");

  // 2712 -> "45:12"; 3909 -> "1:05:09" (the same as the server's timecode filter).
  function timecode(seconds) {
    var total = Math.max(0, Math.floor(seconds));
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var two = function (n) { return n < 10 ? "0" + n : String(n); };
    return h ? h + ":" + two(m) + ":" + two(s) : two(m) + ":" + two(s);
  }
  // "" / "now" / "nu" -> the current time; "12:05", "1:02:03" or "75" -> seconds; else NaN.
  function parseMoment(raw) {
    var text = (raw || "").trim().toLowerCase();
    if (text === "" || text === "now" || text === "nu") {
      return video ? Math.round(video.currentTime * 10) / 10 : 0;
    }
    if (!/^\d+(:[0-5]?\d){0,2}$/.test(text)) { return NaN; }
    return text.split(":").reduce(function (acc, part) { return acc * 60 + parseInt(part, 10); }, 0);
  }
  function seek(seconds) {
    if (!video || isNaN(seconds)) { return; }
    video.currentTime = seconds;
  }
  function duration() {
    var known = timeline ? parseFloat(timeline.getAttribute("data-duration")) : NaN;
    if (video && isFinite(video.duration) && video.duration > 0) { return video.duration; }
    return known > 0 ? known : NaN;
  }
  function placeMarkers() {
    if (!markers) { return; }
    var total = duration();
    Array.prototype.forEach.call(markers.children, function (item) {
      var at = parseFloat(item.getAttribute("data-seconds"));
      // CSSOM, not a style attribute: allowed by the page's Content-Security-Policy.
      item.style.left = (total > 0 ? Math.min(100, 100 * at / total) : 0) + "%";
    });
  }
  function refreshEmpty() {
    if (!list) { return; }
    var none = list.children.length === 0;
    list.hidden = none;
    if (empty) { empty.hidden = !none; }
    if (timeline) { timeline.hidden = none; }
  }
  if (video) {
    video.addEventListener("loadedmetadata", placeMarkers);
  }
  placeMarkers();

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.seek");
    if (button) { seek(parseFloat(button.getAttribute("data-seconds"))); }
  });
  if (!form || !list) { return; }

  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var url = form.getAttribute("data-url");
  var textField = document.getElementById("id_comment");
  var atField = document.getElementById("id_at");
  var submit = document.getElementById("comment-submit");
  var template = document.getElementById("comment-template");
  function msg(name) { return form.getAttribute("data-msg-" + name) || ""; }
  function say(text) {
    // Cleared first, so the same message twice is announced twice.
    statusLine.textContent = "";
    window.setTimeout(function () { statusLine.textContent = text; }, 50);
  }
  function call(method, path, body) {
    var init = { method: method, credentials: "same-origin",
                 headers: { "X-CSRFToken": csrf, "Accept": "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url + path, init).then(function (response) {
      if (response.status === 204) { return null; }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.detail || response.statusText); }
        return data;
      });
    });
  }
  function sortedInsert(parent, node) {
    var at = parseFloat(node.getAttribute("data-seconds"));
    var after = Array.prototype.find.call(parent.children, function (other) {
      return other !== node && parseFloat(other.getAttribute("data-seconds")) > at;
    });
    parent.insertBefore(node, after || null);
  }
  function markerFor(id) {
    return markers ? markers.querySelector('li[data-comment-id="' + id + '"]') : null;
  }
  function setTime(item, seconds) {
    var value = seconds.toFixed(1);
    item.setAttribute("data-seconds", value);
    item.querySelector("button.seek").setAttribute("data-seconds", value);
    item.querySelector(".tc").textContent = timecode(seconds);
    var marker = markerFor(item.getAttribute("data-comment-id"));
    if (!marker) {
      marker = document.createElement("li");
      marker.setAttribute("data-comment-id", item.getAttribute("data-comment-id"));
      var button = document.createElement("button");
      button.type = "button";
      button.className = "marker seek mine";
      var label = document.createElement("span");
      label.className = "vh";
      button.appendChild(label);
      marker.appendChild(button);
    }
    marker.setAttribute("data-seconds", value);
    marker.firstChild.setAttribute("data-seconds", value);
    marker.querySelector(".vh").textContent = msg("goto").replace("{at}", timecode(seconds))
      .replace("{name}", form.getAttribute("data-me"));
    if (markers) { sortedInsert(markers, marker); }
    sortedInsert(list, item);
    placeMarkers();
  }
  function addComment(comment) {
    var item = template.content.firstElementChild.cloneNode(true);
    item.id = "comment-" + comment.id;
    item.setAttribute("data-comment-id", comment.id);
    item.querySelector(".comment-text").textContent = comment.text;
    // The owner's own feedback is her reflection; the API says so, like the server's list.
    item.querySelector(".tag.reflection").hidden = !comment.is_reflection;
    setTime(item, comment.at_seconds);
    refreshEmpty();
    return item;
  }

  var busy = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }  // a double click posts once
    var at = parseMoment(atField.value);
    if (isNaN(at)) { say(msg("bad-time")); atField.focus(); return; }
    var text = textField.value.trim();
    if (!text) { textField.focus(); return; }
    busy = true;
    submit.disabled = true;
    call("POST", "", { at_seconds: at, text: text }).then(function (comment) {
      addComment(comment);
      textField.value = "";
      atField.value = "";
      say(msg("added").replace("{at}", timecode(comment.at_seconds)));
    }).catch(function (error) {
      say(msg("failed") + " " + error.message);
    }).then(function () {
      busy = false;
      submit.disabled = false;
      textField.focus();
    });
  });

  function startEdit(item) {
    if (item.querySelector(".comment-edit")) { return; }
    var id = item.getAttribute("data-comment-id");
    var textNode = item.querySelector(".comment-text");
    var actions = item.querySelector(".comment-actions");
    var editor = document.createElement("div");
    editor.className = "comment-edit";
    var uid = "edit-" + id;
    editor.innerHTML = '<p><label></label><textarea rows="2" maxlength="4000" required></textarea></p>' +
      '<p><label></label><input type="text" autocomplete="off"></p>' +
      '<p><button type="button" class="save"></button> <button type="button" class="secondary cancel"></button></p>';
    var labels = editor.querySelectorAll("label");
    var area = editor.querySelector("textarea"), input = editor.querySelector("input");
    area.id = uid + "-text"; labels[0].htmlFor = area.id; labels[0].textContent = msg("text");
    input.id = uid + "-at"; labels[1].htmlFor = input.id; labels[1].textContent = msg("at");
    area.value = textNode.textContent;
    input.value = timecode(parseFloat(item.getAttribute("data-seconds")));
    editor.querySelector(".save").textContent = msg("save");
    editor.querySelector(".cancel").textContent = msg("cancel");
    textNode.hidden = true; actions.hidden = true;
    item.appendChild(editor);
    area.focus();
    function close() {
      editor.remove(); textNode.hidden = false; actions.hidden = false;
      item.querySelector("button.edit").focus();
    }
    editor.querySelector(".cancel").addEventListener("click", close);
    var saving = false;
    editor.querySelector(".save").addEventListener("click", function () {
      if (saving) { return; }
      var at = input.value.trim() === "" ? NaN : parseMoment(input.value);
      if (isNaN(at)) { say(msg("bad-time")); input.focus(); return; }
      saving = true;
      call("PATCH", "/" + id, { text: area.value, at_seconds: at }).then(function (comment) {
        textNode.textContent = comment.text;
        setTime(item, comment.at_seconds);
        close();
        say(msg("edited"));
      }).catch(function (error) {
        say(msg("failed") + " " + error.message);
      }).then(function () { saving = false; });
    });
  }
  function remove(item) {
    if (!window.confirm(msg("confirm"))) { return; }
    var id = item.getAttribute("data-comment-id");
    call("DELETE", "/" + id).then(function () {
      item.remove();
      var marker = markerFor(id);
      if (marker) { marker.remove(); }
      refreshEmpty();
      say(msg("deleted"));
      textField.focus();
    }).catch(function (error) { say(msg("failed") + " " + error.message); });
  }
  list.addEventListener("click", function (event) {
    var item = event.target.closest("li.comment");
    if (!item) { return; }
    if (event.target.closest("button.edit")) { startEdit(item); }
    if (event.target.closest("button.delete")) { remove(item); }
  });
})();
